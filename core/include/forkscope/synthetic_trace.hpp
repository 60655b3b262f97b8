// A made-up run for measuring the viewer at scale (`forkscope --bench-frames`, `forkscope-cli bench --scale`) and for
// tests of traces too large to record: processes doing sleeps, locked updates, queue puts and gets, semaphore
// rounds and prints. One generator, so the GUI's frames and the CLI's numbers are about the same trace.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "forkscope/trace_event.hpp"
#include "forkscope/trace_model.hpp"

namespace forkscope {

struct SyntheticTrace {
  std::vector<std::string> texts;  // string id i is texts[i - 1]
  std::vector<TraceEvent> events;  // times in ns, in time order (equal times in the order they were made)

  // The string an event carries, if it carries one.
  [[nodiscard]] std::string_view text_of(const TraceEvent& e) const {
    return carries_string(e.kind) && arg_string(e.arg) != kNoString ? std::string_view(texts[arg_string(e.arg) - 1])
                                                                     : std::string_view{};
  }
  // The model of these events, ingested in time order as a drained run would.
  [[nodiscard]] TraceModel model() const;
};

// At least `min_events` events from `processes` processes (the main and its workers, at least two).
[[nodiscard]] SyntheticTrace make_synthetic_trace(std::size_t min_events, int processes = 200);
// make_synthetic_trace(...).model()
[[nodiscard]] TraceModel synthetic_trace(std::size_t min_events, int processes = 200);

}  // namespace forkscope
