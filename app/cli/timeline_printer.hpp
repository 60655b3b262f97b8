// The live text timeline: one line per event as it arrives (time, PID, process, what happened), coloured by
// process on a terminal.
#pragma once

#include <cstdio>
#include <unordered_map>

#include "forkscope/trace_model.hpp"

namespace forkscope::cli {

class TimelinePrinter {
 public:
  TimelinePrinter(std::FILE* out, bool color) : out_(out), color_(color) {}
  // Prints the events the model received since the last call, in time order.
  void print_new(const TraceModel& model);
  void print_header() const;
  // Forgets what was printed: the next print_new starts from a model's first event (a new run, after Back).
  void restart() {
    printed_ = 0;
    colors_.clear();
  }

 private:
  [[nodiscard]] int color_of(std::int32_t pid);

  std::FILE* out_;
  bool color_;
  std::size_t printed_ = 0;
  std::unordered_map<std::int32_t, int> colors_;
};

// True when `out` is a terminal and NO_COLOR is not set.
[[nodiscard]] bool wants_color(std::FILE* out);

}  // namespace forkscope::cli
