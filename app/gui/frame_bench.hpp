// `forkscope --bench-frames`: how long the viewer takes to draw a frame of a long trace, fully zoomed out, with the
// timeline laid out again every frame (as while a live run grows or the user pans).
#pragma once

#include <cstddef>

#include "app.hpp"
#include "forkscope/synthetic_trace.hpp"  // synthetic_trace, shared with the CLI's bench --scale
#include "forkscope/trace_model.hpp"

namespace forkscope::gui {

struct FrameBenchResult {
  std::size_t events = 0;
  double median_ms = 0, p95_ms = 0;
  double cut_ms = 0;  // the playhead's model cut (TraceModel::cut) at the trace's middle: the median of five
};
// x in steps: an operation each; `processes`: the synthetic trace's lanes.
[[nodiscard]] FrameBenchResult bench_frames(App& app, int frames, bool step_axis = false, int processes = 200);

// The median and the 95th percentile of a set of durations.
[[nodiscard]] double percentile(std::vector<double> values, double fraction);

}  // namespace forkscope::gui
