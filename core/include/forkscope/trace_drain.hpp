// The viewer's side of the trace rings: drain every ring, order the events by time, hand them to the model. `Run`
// does this on every poll; `forkscope-cli bench --scale` measures exactly this code on rings it filled itself.
#pragma once

#include <cstddef>
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

 private:
  void order();  // held_back_ by time, stably

  BigVector<TraceEvent> held_back_;  // drained, not yet in the model (newer than the watermark)
  std::vector<std::size_t> runs_;    // where each run in time order starts in held_back_, then its end
  BigVector<TraceEvent> merged_;     // order()'s other buffer
};

}  // namespace forkscope
