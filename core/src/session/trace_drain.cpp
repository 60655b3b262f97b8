#include "forkscope/trace_drain.hpp"

#include <algorithm>
#include <cstdint>

namespace forkscope {

namespace {
bool earlier(const TraceEvent& a, const TraceEvent& b) { return a.time < b.time; }
}  // namespace

std::size_t TraceDrain::drain(const Session& session, TraceModel& model, bool everything) {
  // Each ring holds one process's events in time order, but rings are copied one after the other, so a process
  // drained early may still write events older than what a later ring already gave. Ingest in time order, and only
  // up to the watermark: the earliest "latest event" among the rings that produced something. Whatever is newer
  // waits for the next pass, when every ring has caught up to it.
  std::uint64_t watermark = UINT64_MAX;
  const std::uint32_t used = session.slots_used();
  std::size_t pending = 0;
  for (std::uint32_t i = 0; i < used; ++i) pending += session.ring_reader(i).pending();
  held_back_.reserve(held_back_.size() + pending);
  runs_.assign(1, 0);
  if (!held_back_.empty()) runs_.push_back(held_back_.size());
  for (std::uint32_t i = 0; i < used; ++i) {
    const std::size_t before = held_back_.size();
    session.ring_reader(i).drain([&](const TraceEvent& e) { held_back_.push_back(e); });
    if (held_back_.size() == before) continue;
    watermark = std::min(watermark, held_back_.back().time);
    runs_.push_back(held_back_.size());
  }
  if (everything) watermark = UINT64_MAX;
  order();
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

void TraceDrain::order() {
  // The batch is a few runs already in time order (what was held back, then each ring's new events): merged in
  // pairs, log2(runs) passes instead of a sort's log2(events). Stable like a sort of the whole batch: on equal times
  // the earlier run's event comes first. A run out of order (a clock that went back) gets the sort.
  const auto at = [&](std::size_t i) { return held_back_.begin() + static_cast<std::ptrdiff_t>(i); };
  for (std::size_t r = 0; r + 1 < runs_.size(); ++r)
    if (!std::is_sorted(at(runs_[r]), at(runs_[r + 1]), earlier)) {
      std::stable_sort(held_back_.begin(), held_back_.end(), earlier);
      return;
    }
  while (runs_.size() > 2) {  // run i is [runs_[i], runs_[i + 1])
    merged_.resize(held_back_.size());
    std::vector<std::size_t> starts{0};
    const std::size_t runs = runs_.size() - 1;
    for (std::size_t i = 0; i < runs; i += 2) {
      const std::size_t begin = runs_[i], middle = runs_[i + 1], end = i + 2 <= runs ? runs_[i + 2] : middle;
      std::merge(at(begin), at(middle), at(middle), at(end), merged_.begin() + static_cast<std::ptrdiff_t>(begin), earlier);
      starts.push_back(end);
    }
    held_back_.swap(merged_);
    runs_ = std::move(starts);
  }
}

}  // namespace forkscope
