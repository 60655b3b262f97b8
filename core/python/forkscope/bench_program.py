"""What `forkscope-cli bench --only python` measures, run twice in one bench: by plain CPython and under Forkscope.
Prints one JSON line: lock acquire+release (ns), Queue 1->1 put+get (messages per second), Pool(4).map over 100
tasks (ms). Medians of a few repetitions inside, so that one slow moment does not decide."""
import json
import multiprocessing as mp
import statistics
import time

import baseline_program  # next to this file


def lock_ns(n=200_000):
    return baseline_program.lock_uncontended_ns(n)  # the same loop the bench times in plain Python


def _consume(q, n):
    for _ in range(n):
        q.get()


def queue_msgs_per_s(n=20_000):
    q = mp.Queue()
    consumer = mp.Process(target=_consume, args=(q, n))
    consumer.start()
    start = time.perf_counter()
    for i in range(n):
        q.put(i)
    consumer.join()
    return n / (time.perf_counter() - start)


def _task(x):
    for i in range(5):
        x = x + i
    return x


def pool_map_ms(n=100):
    start = time.perf_counter()
    with mp.Pool(4) as pool:
        pool.map(_task, range(n))
    return (time.perf_counter() - start) * 1e3


if __name__ == "__main__":
    print(json.dumps({"lock_ns": statistics.median(lock_ns() for _ in range(3)),
                      "queue_msgs_per_s": statistics.median(queue_msgs_per_s() for _ in range(3)),
                      "pool_map_ms": statistics.median(pool_map_ms() for _ in range(3))}))
