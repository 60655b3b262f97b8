// The viewer's side of the trace rings: drain every ring, order the events by time, hand them to the model. `Run`
// does this on every poll; `forkscope-cli bench --scale` measures exactly this code on rings it filled itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "forkscope/big_vector.hpp"
#include "forkscope/session.hpp"
#include "forkscope/trace_event.hpp"
#include "forkscope/trace_model.hpp"

namespace forkscope {

class TraceDrain {
 public:
  // Copies every ring's new events and ingests, in time order, those up to the watermark: the earliest "latest event"
  // among the rings that produced something. Newer events wait for the next pass (`everything`: the run is over,
  // ingest them all). Returns how many the model got.
  std::size_t drain(const Session& session, TraceModel& model, bool everything = false);
  [[nodiscard]] bool holds_events() const { return !held_back_.empty(); }

  // A backlog of more events than this goes into the model in slices of about this many: the drain's two buffers
  // stay about 1 MB each, near the cache, instead of two copies of the whole backlog (10 M events: 640 MB). Measured
  // (the ingest bench, same build): 8, 16, 64 and 128 Ki slices gave 16.5, 17.0, 17.2 and 17.4 M events/s, 32 Ki 19.2.
  static constexpr std::size_t kSlice = 32 * 1024;

 private:
  // Copies what the rings hold up to time `last` (UINT64_MAX: all of it) behind what was held back. Returns the
  // watermark: the earliest "latest event" among the rings that gave some (UINT64_MAX when none did).
  std::uint64_t copy(const Session& session, std::uint64_t last);
  // Orders what was copied and held back, and ingests it up to `watermark`. Returns how many the model got.
  std::size_t ingest(const Session& session, TraceModel& model, std::uint64_t watermark);
  // The time up to which a slice of about kSlice events goes in (the rings hold some).
  [[nodiscard]] static std::uint64_t slice_end(const Session& session);
  void order();  // held_back_ by time, stably

  BigVector<TraceEvent> held_back_;  // drained, not yet in the model (newer than the watermark)
  std::vector<std::size_t> runs_;    // where each run in time order starts in held_back_, then its end
  BigVector<TraceEvent> merged_;     // order()'s other buffer
};

}  // namespace forkscope
