// Hidden lessons that `forkscope-cli bench` runs: each measures one traced primitive in real processes, through
// exactly the machinery a lesson uses (gate, trace rings drained live by the viewer), and reports its numbers.
#include <sys/mman.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <unordered_map>

#include "forkscope/clock.hpp"
#include "forkscope/forkscope.hpp"
#include "registry.hpp"

namespace {

using forkscope::ParamSpec;

// Nanoseconds per iteration of `work`, timed with the trace clock (the calibration is the viewer's).
template <class Work>
double ns_per(std::int64_t n, Work&& work) {
  const double t0 = forkscope::lesson_time();
  for (std::int64_t i = 0; i < n; ++i) work(i);
  return (forkscope::lesson_time() - t0) * 1e9 / static_cast<double>(n);
}

// The same, for work that writes trace events: timed in bursts of half a ring, each started once the viewer has
// caught up, after two warm-up bursts that fault the ring's pages in. That is the writer's steady-state cost; the
// viewer's own pace is a separate number (a writer waits, never drops, when the viewer falls behind).
template <class Work>
double ns_per_event_burst(std::int64_t n, std::int64_t events_per_iteration, Work&& work) {
  const std::int64_t burst = 4096 / events_per_iteration;
  double total_ns = 0;
  std::int64_t counted = 0;
  for (std::int64_t done = 0, round = 0; done < n; done += burst, ++round) {
    while (forkscope::trace_backlog() != 0) sched_yield();
    const double t0 = forkscope::lesson_time();
    for (std::int64_t i = 0; i < burst; ++i) work(done + i);
    if (round >= 2) {
      total_ns += (forkscope::lesson_time() - t0) * 1e9;
      counted += burst;
    }
  }
  return total_ns / static_cast<double>(std::max<std::int64_t>(counted, 1));
}

void trace_cost(forkscope::LessonContext& lesson) {
  const auto n = lesson.int_param("n");
  volatile std::uint64_t sink = 0;
  const double clock = ns_per(n, [&](std::int64_t) { sink = sink + forkscope::trace_clock(); });
  const double event =
      ns_per_event_burst(n, 1, [](std::int64_t i) { forkscope::trace_event(forkscope::EventKind::Mark, 0, i); });
  lesson.result() = {{"clock_read_ns", clock}, {"trace_event_ns", event}};
}

// Producer and consumer released together by an Event; messages per second from the release to the last get.
void queue_throughput(forkscope::LessonContext& lesson) {
  const auto n = lesson.int_param("n");
  forkscope::Queue q(lesson.int_param("maxsize"), "q");
  forkscope::Event go("go");
  forkscope::Process producer([=]() mutable {
    go.wait();
    for (std::int64_t i = 0; i < n; ++i) q.put(i);
  });
  forkscope::Process consumer([=]() mutable {
    go.wait();
    for (std::int64_t i = 0; i < n; ++i)
      if (q.get().as_int() != i) throw forkscope::ValueError("items out of order");
  });
  producer.start();
  consumer.start();
  const double t0 = forkscope::lesson_time();
  go.set();
  producer.join();
  consumer.join();
  const double seconds = forkscope::lesson_time() - t0;
  if (consumer.exitcode() != 0) throw forkscope::RuntimeError("the consumer failed");
  lesson.result() = {{"msgs_per_s", static_cast<double>(n) / seconds}};
}

void lock_uncontended(forkscope::LessonContext& lesson) {
  forkscope::Lock lock("lock");
  const double ns = ns_per_event_burst(lesson.int_param("n"), 2, [&](std::int64_t) {
    lock.acquire();
    lock.release();
  });
  lesson.result() = {{"lock_uncontended_ns", ns}};
}

// Two processes, each incrementing a shared integer under the Lock; the total proves mutual exclusion.
void lock_contended(forkscope::LessonContext& lesson) {
  const auto n = lesson.int_param("n");
  auto* shared = static_cast<std::int64_t*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  forkscope::Lock lock("lock");
  forkscope::Event go("go");
  std::vector<forkscope::Process> workers;
  for (int w = 0; w < 2; ++w)
    workers.emplace_back([=]() mutable {
      go.wait();
      for (std::int64_t i = 0; i < n; ++i) {
        lock.acquire();
        *shared = *shared + 1;
        lock.release();
      }
    });
  for (auto& w : workers) w.start();
  const double t0 = forkscope::lesson_time();
  go.set();
  for (auto& w : workers) w.join();
  const double ms = (forkscope::lesson_time() - t0) * 1e3;
  lesson.result() = {{"lock_contended_ms", ms}, {"total", *shared}, {"expected", 2 * n}};
  munmap(shared, 4096);
}

double median_of(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Process start+join against a bare fork+waitpid, alternating iteration by iteration so that both see the same
// machine (fork gets slower as a process grows, and the other CPU is never quiet); medians of each.
void process_cost(forkscope::LessonContext& lesson) {
  const auto n = lesson.int_param("n");
  std::vector<double> traced, raw;
  const auto time_us = [](auto&& work) {
    const double t0 = forkscope::lesson_time();
    work();
    return (forkscope::lesson_time() - t0) * 1e6;
  };
  for (std::int64_t i = 0; i < n; ++i) {
    traced.push_back(time_us([] {
      forkscope::Process p([] {});
      p.start();
      p.join();
    }));
    raw.push_back(time_us([] {
      const pid_t pid = fork();
      if (pid == 0) _exit(0);
      int status = 0;
      waitpid(pid, &status, 0);
    }));
  }
  lesson.result() = {{"process_start_join_us", median_of(traced)}, {"fork_waitpid_us", median_of(raw)}};
}

// 003's comparison, timed as the tutorial times it. The task: f1(n), five additions.
std::int64_t f1(std::int64_t n) {
  for (std::int64_t i = 0; i < 5; ++i) n = n + i;
  return n;
}
const forkscope::Task f1_task("f1", f1);

// Pool(4).map over n tasks: from making the pool to map's return (the pool is closed and joined untimed).
void pool_map_cost(forkscope::LessonContext& lesson) {
  const auto n = lesson.int_param("n");
  std::vector<forkscope::Value> items;
  for (std::int64_t i = 0; i < n; ++i) items.emplace_back(i);
  std::vector<double> ms;
  for (std::int64_t round = 0; round < lesson.int_param("rounds"); ++round) {
    const double t0 = forkscope::lesson_time();
    forkscope::Pool pool(4);
    const std::vector<forkscope::Value> results = pool.map(f1_task, items);
    ms.push_back((forkscope::lesson_time() - t0) * 1e3);
    if (results.back().as_int() != f1(n - 1)) throw forkscope::ValueError("wrong results");
    pool.close();
    pool.join();
  }
  lesson.result() = {{"pool_map_ms", median_of(ms)}};
}

// n processes each doing one task: every start, then every join.
void processes_cost(forkscope::LessonContext& lesson) {
  const auto n = lesson.int_param("n");
  std::vector<double> ms;
  for (std::int64_t round = 0; round < lesson.int_param("rounds"); ++round) {
    const double t0 = forkscope::lesson_time();
    std::vector<forkscope::Process> processes;
    processes.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) processes.emplace_back([i] { (void)f1(i); });
    for (auto& p : processes) p.start();
    for (auto& p : processes) p.join();
    ms.push_back((forkscope::lesson_time() - t0) * 1e3);
  }
  lesson.result() = {{"processes_ms", median_of(ms)}};
}

// Lossless at scale: `processes` processes, released together, each write `events` marks numbered 1, 2, ... as fast
// as they can, into their own rings, drained live by the viewer. The check (in the viewer) counts what arrived.
void lossless_at_scale(forkscope::LessonContext& lesson) {
  const auto events = lesson.int_param("events");
  forkscope::Event go("go");
  std::vector<forkscope::Process> writers;
  writers.reserve(static_cast<std::size_t>(lesson.int_param("processes")));
  for (std::int64_t w = 0; w < lesson.int_param("processes"); ++w)
    writers.emplace_back([=]() mutable {
      go.wait();
      for (std::int64_t i = 1; i <= events; ++i) forkscope::trace_event(forkscope::EventKind::Mark, 0, i);
    });
  try {
    for (auto& w : writers) w.start();
  } catch (const forkscope::LessonError&) {  // past the session's process limit: those started still end
    go.set();
    throw;
  }
  go.set();
  for (auto& w : writers) w.join();
}

// Writers that together trace `rate` events a second for `seconds`, a millisecond's share at a time with a traced
// sleep to the next millisecond in between: what a busy program's live run asks of the viewer (`forkscope --bench-live`).
void live_rate(forkscope::LessonContext& lesson) {
  const auto processes = lesson.int_param("processes");
  const double per_ms = static_cast<double>(lesson.int_param("rate")) / static_cast<double>(processes) / 1000;
  const std::int64_t slices = lesson.int_param("seconds") * 1000;
  std::vector<forkscope::Process> writers;
  writers.reserve(static_cast<std::size_t>(processes));
  for (std::int64_t w = 0; w < processes; ++w)
    writers.emplace_back([=] {
      const double start = forkscope::lesson_time();
      double owed = 0;
      std::int64_t written = 0;
      for (std::int64_t slice = 1; slice <= slices; ++slice) {
        for (owed += per_ms; owed >= 1; owed -= 1) forkscope::trace_event(forkscope::EventKind::Mark, 0, ++written);
        const double ahead = start + static_cast<double>(slice) * 1e-3 - forkscope::lesson_time();
        if (ahead > 0) forkscope::sleep(ahead);
      }
    });
  for (auto& w : writers) w.start();
  for (auto& w : writers) w.join();
}

// Every writer's marks, in the order the model has them: complete (1..events, none lost) and in the order written.
void check_lossless(forkscope::RunReport& report) {
  const std::int64_t events = report.params["events"];
  struct Writer {
    std::int64_t last = 0;  // the last mark seen
    bool in_order = true;
  };
  std::unordered_map<std::int32_t, Writer> writers;
  std::int64_t arrived = 0;
  for (const forkscope::TraceEvent& e : report.model->events()) {
    if (e.kind != forkscope::EventKind::Mark || e.arg != forkscope::kNoString) continue;
    Writer& w = writers[e.pid];
    w.in_order &= e.value == w.last + 1;
    w.last = e.value;
    ++arrived;
  }
  bool order_kept = true;
  std::int64_t complete = 0;  // every mark, in order
  for (const auto& [pid, w] : writers) {
    order_kept &= w.in_order;
    complete += w.in_order && w.last == events;
  }
  const std::int64_t expected = report.params["processes"].get<std::int64_t>() * events;
  report.result["lossless_processes"] = complete;
  report.result["events_per_process"] = events;
  report.result["arrived_events"] = arrived;
  report.result["lost_events"] = expected - arrived;
  report.result["order_kept"] = order_kept;
}

forkscope::Lesson hidden(std::string id, std::vector<ParamSpec> params, std::function<void(forkscope::LessonContext&)> body,
                         std::function<void(forkscope::RunReport&)> check = {}) {
  return {.id = std::move(id), .topic = "bench", .source = "scenarios/bench_lessons.cpp", .params = std::move(params),
          .body = std::move(body), .check = std::move(check), .hidden = true};
}

}  // namespace

namespace forkscope::scenarios {

Lesson bench_mpi();  // scale_out.cpp: what tracing costs an MPI rank

std::vector<Lesson> bench_lessons() {
  return {
      hidden("bench-trace", {ParamSpec::integer("n", 2'000'000, 1, 100'000'000)}, trace_cost),
      hidden("bench-queue", {ParamSpec::integer("n", 500'000, 1, 100'000'000), ParamSpec::integer("maxsize", 0, 0, 1 << 20)},
             queue_throughput),
      hidden("bench-lock", {ParamSpec::integer("n", 1'000'000, 1, 100'000'000)}, lock_uncontended),
      hidden("bench-lock-contended", {ParamSpec::integer("n", 100'000, 1, 100'000'000)}, lock_contended),
      hidden("bench-process", {ParamSpec::integer("n", 200, 1, 500)}, process_cost),
      hidden("bench-pool-map", {ParamSpec::integer("n", 100, 1, 100'000), ParamSpec::integer("rounds", 5, 1, 50)},
             pool_map_cost),
      hidden("bench-lossless", {ParamSpec::integer("processes", 1000, 1, 100'000), ParamSpec::integer("events", 10'000, 1, 10'000'000)},
             lossless_at_scale, check_lossless),
      hidden("bench-live", {ParamSpec::integer("rate", 1'000'000, 1'000, 10'000'000), ParamSpec::integer("processes", 4, 1, 64),
                            ParamSpec::integer("seconds", 5, 1, 60)},
             live_rate),
      hidden("bench-processes", {ParamSpec::integer("n", 100, 1, 100), ParamSpec::integer("rounds", 3, 1, 5)},
             processes_cost),
#if FORKSCOPE_HAS_MPI
      bench_mpi(),
#endif
  };
}

}  // namespace forkscope::scenarios
