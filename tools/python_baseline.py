#!/usr/bin/env python3
"""Python's multiprocessing (fork) doing what `forkscope-cli bench` measures, side by side.

Each round measures the Python side, then runs `forkscope-cli bench --json --repeats 1` for the same groups, so both
see the same machine; the medians and the ratios (how many times faster Forkscope is) are printed at the end.
Without a forkscope-cli (see --cli) only the Python side is measured.

    tools/python_baseline.py --cli build/release/bin/forkscope-cli --rounds 5
    tools/python_baseline.py --only pool --json
"""
import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


# group -> {name: (measure, higher_is_better)}; the names are forkscope-cli bench's.
GROUPS = {
    "pool": {"pool_map_100_ms": (pool_map_100_ms, False), "processes_100_ms": (processes_100_ms, False)},
    "process": {"process_start_join_us": (process_start_join_us, False)},
    "queue": {"queue_msgs_per_s": (lambda: queue_msgs_per_s(0, 100_000), True),
              "queue_cap5_msgs_per_s": (lambda: queue_msgs_per_s(5, 50_000), True)},
    "lock": {"lock_uncontended_ns": (lock_uncontended_ns, False),
             "lock_contended_2x100k_ms": (lock_contended_2x100k_ms, False)},
}


def forkscope_round(cli, group):
    out = subprocess.run([cli, "bench", "--json", "--repeats", "1", "--only", group], check=True,
                         capture_output=True, text=True, timeout=600).stdout
    return json.loads(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", default=os.path.join(ROOT, "build", "release", "bin", "forkscope-cli"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=sorted(GROUPS), action="append", help="a group (repeatable); default all")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    mp.set_start_method("fork")
    groups = args.only or list(GROUPS)
    with_forkscope = os.access(args.cli, os.X_OK)

    python, forkscope = {}, {}
    for _ in range(args.rounds):
        for group in groups:
            for name, (measure, _) in GROUPS[group].items():
                python.setdefault(name, []).append(measure())
            if with_forkscope:
                result = forkscope_round(args.cli, group)
                for name in GROUPS[group]:
                    forkscope.setdefault(name, []).append(result[name])

    rows = []
    for group in groups:
        for name, (_, higher_is_better) in GROUPS[group].items():
            py = statistics.median(python[name])
            fs = statistics.median(forkscope[name]) if with_forkscope else None
            faster = (fs / py if higher_is_better else py / fs) if fs else None
            rows.append({"name": name, "python": py, "forkscope": fs, "forkscope_times_faster": faster})
    if args.json:
        print(json.dumps({"rounds": args.rounds, "python": sys.version.split()[0], "rows": rows}, indent=2))
        return
    print(f"medians of {args.rounds} rounds; Python {sys.version.split()[0]} multiprocessing (fork)"
          + ("" if with_forkscope else f"; no forkscope-cli at {args.cli}"))
    print(f"  {'measure':<26} {'python':>14} {'forkscope':>14} {'forkscope is':>14}")
    for r in rows:
        fs = f"{r['forkscope']:14.2f}" if r["forkscope"] is not None else f"{'-':>14}"
        faster = f"{r['forkscope_times_faster']:11.1f}x faster" if r["forkscope_times_faster"] else ""
        print(f"  {r['name']:<26} {r['python']:14.2f} {fs} {faster}")


if __name__ == "__main__":
    main()
