// CPU-bound work for the concept lessons (blocking-states, scaling, gil). The speed factor slows or speeds up
// lesson sleeps, not a CPU: these lessons compute for real and measure real seconds.
#pragma once

#include <cstdint>
#include <functional>

#include "forkscope/queue.hpp"
#include "forkscope/sync.hpp"

namespace forkscope::scenarios {

// A deterministic sum over the units [begin, end), every unit costing the same (about 25 ns here), so equal shares
// cost the same on any core and the shares of a range add up to the sum of the whole range. In a lesson process,
// the time it waited for a CPU shows on its lane as "ready" (ReadyWatch).
[[nodiscard]] std::uint64_t crunch(std::int64_t begin, std::int64_t end);

// Real seconds on a steady clock, and the CPU seconds this process has used.
[[nodiscard]] double wall_seconds();
[[nodiscard]] double cpu_seconds();

// Computes until this process has used `seconds` of CPU time and returns the wall-clock seconds that took: the
// difference is time the process was ready to run but waited for a CPU another process held.
double burn_cpu(double seconds);

// The units [0, work) cut into `processes` contiguous shares, each computed by `share(begin, end)` in a process of
// its own that sends its answer back through `results`: the answer (the shares' sum) and the real seconds it took
// from the first start() to the last join().
struct SharedJob {
  std::int64_t answer = 0;
  double seconds = 0;
};
SharedJob run_in_processes(std::int64_t work, std::int64_t processes, Queue results,
                           const std::function<std::uint64_t(std::int64_t begin, std::int64_t end)>& share);

// The scaling lessons' job: `work` units shared out among processes (run_in_processes), each share counting itself on
// the "computing" counter while it runs, so the timeline shows how many compute at once.
class CountedJob {
 public:
  explicit CountedJob(std::int64_t work) : work_(work), computing_("computing", 0), results_(0, "results") {}
  SharedJob run(std::int64_t processes);

 private:
  std::int64_t work_;
  Counter computing_;
  Queue results_;
};

// The CPUs this process may run on (Python: len(os.sched_getaffinity(0))).
[[nodiscard]] int available_cores();

}  // namespace forkscope::scenarios
