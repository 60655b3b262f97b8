#include "cpu_work.hpp"

#include <sched.h>
#include <time.h>

#include <vector>

#include "crunch.hpp"
#include "forkscope/lesson_api.hpp"
#include "forkscope/process.hpp"

namespace forkscope::scenarios {

namespace {

double seconds_of(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The work of crunch(), looking at the clock every 64 units (about 1.6 us) so that the lane shows when it waited
// for a CPU.
std::uint64_t crunch_watched(std::int64_t begin, std::int64_t end, ReadyWatch& watch) {
  std::uint64_t sum = 0;
  for (std::int64_t i = begin; i < end; ++i) {
    if ((i & 63) == 0) watch.tick();
    sum += crunch_unit(i);
  }
  return sum;
}

}  // namespace

std::uint64_t crunch(std::int64_t begin, std::int64_t end) {
  ReadyWatch watch;
  return crunch_watched(begin, end, watch);
}

double wall_seconds() { return seconds_of(CLOCK_MONOTONIC); }
double cpu_seconds() { return seconds_of(CLOCK_PROCESS_CPUTIME_ID); }

double burn_cpu(double seconds) {
  const double wall_start = wall_seconds();
  const double until = cpu_seconds() + seconds;
  ReadyWatch watch;
  std::uint64_t sink = 0;
  for (std::int64_t unit = 0; cpu_seconds() < until; unit += 1000) sink += crunch_watched(unit, unit + 1000, watch);
  asm volatile("" : : "r"(sink));  // keep the work
  return wall_seconds() - wall_start;
}

SharedJob run_in_processes(std::int64_t work, std::int64_t processes, Queue results,
                           const std::function<std::uint64_t(std::int64_t, std::int64_t)>& share) {
  const double start = wall_seconds();
  std::vector<Process> workers;
  for (std::int64_t i = 0; i < processes; ++i) {
    const std::int64_t begin = work * i / processes, end = work * (i + 1) / processes;
    workers.emplace_back([=]() mutable { results.put(static_cast<std::int64_t>(share(begin, end))); });
    workers.back().start();
  }
  std::uint64_t answer = 0;  // the shares' sums travel as int64 (a queue's int); adding them unsigned wraps alike
  for (std::int64_t i = 0; i < processes; ++i) answer += static_cast<std::uint64_t>(results.get().as_int());
  for (Process& w : workers) w.join();
  return {static_cast<std::int64_t>(answer), wall_seconds() - start};
}

SharedJob CountedJob::run(std::int64_t processes) {
  return run_in_processes(work_, processes, results_, [computing = computing_](std::int64_t begin, std::int64_t end) mutable {
    computing.add(1);
    const std::uint64_t sum = crunch(begin, end);
    computing.add(-1);
    return sum;
  });
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return CPU_COUNT(&set);
}

}  // namespace forkscope::scenarios
