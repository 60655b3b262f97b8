#include "forkscope/trace_drain.hpp"

#include <algorithm>
#include <cstdint>

namespace forkscope {

std::size_t TraceDrain::drain(const Session& session, TraceModel& model, bool everything) {
  // Each ring holds one process's events in time order, but rings are copied one after the other, so a process
  // drained early may still write events older than what a later ring already gave. Ingest in time order, and only
  // up to the watermark: whatever is newer waits for the next pass, when every ring has caught up to it.
  std::uint64_t watermark = UINT64_MAX;
  const std::uint32_t used = session.slots_used();
  for (std::uint32_t i = 0; i < used; ++i) {
    const std::size_t before = held_back_.size();
    session.ring_reader(i).drain([&](const TraceEvent& e) { held_back_.push_back(e); });
    if (held_back_.size() > before) watermark = std::min(watermark, held_back_.back().time);
  }
  if (everything) watermark = UINT64_MAX;
  std::stable_sort(held_back_.begin(), held_back_.end(), [](const TraceEvent& a, const TraceEvent& b) { return a.time < b.time; });
  std::size_t n = 0;
  for (; n < held_back_.size() && held_back_[n].time <= watermark; ++n) {
    const TraceEvent& e = held_back_[n];
    if (!carries_string(e.kind)) {
      model.ingest(e);
      continue;
    }
    model.ingest(e, session.string(arg_string(e.arg)));
    session.release_string(arg_string(e.arg));  // a printed line's block is free again once the model has it
  }
  held_back_.erase(held_back_.begin(), held_back_.begin() + static_cast<std::ptrdiff_t>(n));
  return n;
}

}  // namespace forkscope
