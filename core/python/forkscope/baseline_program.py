"""Python's multiprocessing (fork) doing what `forkscope-cli bench` measures, so that every ratio it reports is
against Python measured in the same run on the same machine. `forkscope-cli bench` runs it once per round with the
groups it measures and reads the one JSON line it prints: {"<measure>": value, ...}.

    python3.11 baseline_program.py queue lock process pool
"""
import json
import multiprocessing as mp
import statistics
import sys
import time


def f1(n):  # 003's task
    for i in range(5):
        n = n + i
    return n


def pool_map_100_ms():
    """Pool(4).map over 100 tasks, timed as the tutorial times it: from making the pool to map's return."""
    t0 = time.perf_counter()
    pool = mp.Pool(4)
    pool.map(f1, range(100))
    ms = (time.perf_counter() - t0) * 1e3
    pool.close()
    pool.join()
    return ms


def processes_100_ms():
    """100 processes each doing one task: every start, then every join."""
    t0 = time.perf_counter()
    processes = [mp.Process(target=f1, args=(i,)) for i in range(100)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    return (time.perf_counter() - t0) * 1e3


def process_start_join_us(n=50):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        p = mp.Process(target=f1, args=(0,))
        p.start()
        p.join()
        samples.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(samples)


def _produce(q, go, n):
    go.wait()
    for i in range(n):
        q.put(i)


def _consume(q, go, n):
    go.wait()
    for i in range(n):
        if q.get() != i:
            raise ValueError("items out of order")


def released_together_s(workers, go):
    """Starts the workers, releases them at once with the Event `go`, and times them until all are joined."""
    for w in workers:
        w.start()
    t0 = time.perf_counter()
    go.set()
    for w in workers:
        w.join()
    return time.perf_counter() - t0


def queue_msgs_per_s(maxsize, n):
    """A producer and a consumer released together; messages per second until both are joined."""
    q, go = mp.Queue(maxsize), mp.Event()
    workers = [mp.Process(target=_produce, args=(q, go, n)), mp.Process(target=_consume, args=(q, go, n))]
    return n / released_together_s(workers, go)


def lock_uncontended_ns(n=1_000_000):
    lock = mp.Lock()
    t0 = time.perf_counter()
    for _ in range(n):
        lock.acquire()
        lock.release()
    return (time.perf_counter() - t0) * 1e9 / n


def _increment(lock, total, go, n):
    go.wait()
    for _ in range(n):
        with lock:
            total.value += 1


def lock_contended_2x100k_ms(n=100_000):
    lock, total, go = mp.Lock(), mp.Value("q", 0, lock=False), mp.Event()
    workers = [mp.Process(target=_increment, args=(lock, total, go, n)) for _ in range(2)]
    seconds = released_together_s(workers, go)
    if total.value != 2 * n:
        raise ValueError("lost increments")
    return seconds * 1e3


# group -> {name: measure}; the names are forkscope-cli bench's.
GROUPS = {
    "pool": {"pool_map_100_ms": pool_map_100_ms, "processes_100_ms": processes_100_ms},
    "process": {"process_start_join_us": process_start_join_us},
    "queue": {"queue_msgs_per_s": lambda: queue_msgs_per_s(0, 100_000),
              "queue_cap5_msgs_per_s": lambda: queue_msgs_per_s(5, 50_000)},
    "lock": {"lock_uncontended_ns": lock_uncontended_ns, "lock_contended_2x100k_ms": lock_contended_2x100k_ms},
}


def main(groups):
    mp.set_start_method("fork")
    measured = {}
    for group in groups:
        for name, measure in GROUPS[group].items():
            measured[name] = measure()
    print(json.dumps(measured))


if __name__ == "__main__":
    main([g for g in sys.argv[1:] if g in GROUPS])
