#include "forkscope/trace_drain.hpp"

#include <algorithm>
#include <cstdint>

namespace forkscope {

namespace {
bool earlier(const TraceEvent& a, const TraceEvent& b) { return a.time < b.time; }

std::size_t pending_events(const Session& session) {
  std::size_t pending = 0;
  for (std::uint32_t i = 0; i < session.slots_used(); ++i) pending += session.ring_reader(i).pending();
  return pending;
}
}  // namespace

std::size_t TraceDrain::drain(const Session& session, TraceModel& model, bool everything) {
  // Each ring holds one process's events in time order, but rings are copied one after the other, so a process
  // drained early may still write events older than what a later ring already gave. Ingest in time order, and only
  // up to the watermark: the earliest "latest event" among the rings that produced something. Whatever is newer
  // waits for the next pass, when every ring has caught up to it.
  std::size_t n = 0;
  // A backlog goes in slices. A slice holds every event up to its end from every ring, so slice after slice gives
  // the model what one merge of the whole backlog would, in the same order. Only what the rings hold now: a live
  // run's writers go on writing, and what they add waits for the next drain.
  std::size_t backlog = pending_events(session);
  while (backlog > kSlice) {
    const std::uint64_t end = slice_end(session);
    const std::size_t held = held_back_.size();
    copy(session, end);
    backlog -= std::min(backlog, held_back_.size() - held);
    n += ingest(session, model, end);
  }
  held_back_.reserve(held_back_.size() + backlog);
  const std::uint64_t watermark = copy(session, UINT64_MAX);
  return n + ingest(session, model, everything ? UINT64_MAX : watermark);
}

std::uint64_t TraceDrain::slice_end(const Session& session) {
  std::size_t rings = 0;
  for (std::uint32_t i = 0; i < session.slots_used(); ++i) rings += session.ring_reader(i).pending() > 0;
  // Each ring's share ends at its k-th event (its last, when it has fewer): the slice ends at the earliest of those,
  // so no ring gives more than its share (but for events of that very time), and one gives all of it.
  const std::uint64_t share = std::max<std::size_t>(kSlice / std::max<std::size_t>(rings, 1), 1);
  std::uint64_t end = UINT64_MAX;
  for (std::uint32_t i = 0; i < session.slots_used(); ++i) {
    const RingReader ring = session.ring_reader(i);
    if (const std::uint64_t p = ring.pending(); p > 0) end = std::min(end, ring.time_of_pending(std::min(p, share) - 1));
  }
  return end;
}

std::uint64_t TraceDrain::copy(const Session& session, std::uint64_t last) {
  std::uint64_t watermark = UINT64_MAX;
  runs_.assign(1, 0);
  if (!held_back_.empty()) runs_.push_back(held_back_.size());
  for (std::uint32_t i = 0; i < session.slots_used(); ++i) {
    const std::size_t before = held_back_.size();
    session.ring_reader(i).drain(last, [&](std::span<const TraceEvent> run) { held_back_.append(run.data(), run.size()); });
    if (held_back_.size() == before) continue;
    watermark = std::min(watermark, held_back_.back().time);
    runs_.push_back(held_back_.size());
  }
  return watermark;
}

std::size_t TraceDrain::ingest(const Session& session, TraceModel& model, std::uint64_t watermark) {
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
