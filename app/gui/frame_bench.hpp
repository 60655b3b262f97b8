// `forkscope --bench-frames`: how long the viewer takes to draw a frame of a long trace, fully zoomed out and zoomed in
// on its middle, with the timeline laid out again every frame (as while a live run grows or the user pans).
#pragma once

#include <cstddef>
#include <vector>

#include "app.hpp"
#include "forkscope/synthetic_trace.hpp"  // synthetic_trace, shared with the CLI's bench --scale
#include "forkscope/trace_model.hpp"

namespace forkscope::gui {

struct FrameBenchOptions {
  std::size_t events = 1'000'000;  // at least this many synthetic events
  int processes = 200;             // the synthetic trace's lanes
  int frames = 300;                // per zoom level
  bool step_axis = false;          // x in steps: an operation each
};

// Frame times with the view on `fraction` of the trace, centred on its middle (1: the whole trace, fitted).
struct ZoomTiming {
  double fraction = 1;
  double median_ms = 0, p95_ms = 0;
};

// The zoom levels measured: the whole trace, then a tenth, a thousandth and a hundred-thousandth of it.
inline constexpr double kBenchZooms[] = {1, 1e-1, 1e-3, 1e-5};

struct FrameBenchResult {
  std::size_t events = 0;
  std::vector<ZoomTiming> zooms;  // kBenchZooms in order; zooms[0] is the whole trace
  double cut_ms = 0;  // the playhead's model cut (TraceModel::cut) at the trace's middle: the median of five
};
[[nodiscard]] FrameBenchResult bench_frames(App& app, const FrameBenchOptions& options);

// `forkscope --bench-live`: the frames drawn while a real run (the hidden lesson bench-live, its parameters set on
// the app's classroom) writes events, and how far the newest event drawn trails the clock when its frame is done
// (the now line). Both counted from half a second into the run to half a second before its writers stop.
struct LiveBenchResult {
  std::size_t events = 0;  // in the run's model at its end
  std::size_t frames = 0;  // measured
  double median_ms = 0, p95_ms = 0;
  double max_ms = 0;                // the slowest frame measured,
  std::size_t max_at_events = 0;    // and the events the model held after it
  double lag_p95_ms = 0, lag_max_ms = 0;
};
[[nodiscard]] LiveBenchResult bench_live(App& app, double writing_seconds, double timeout_seconds);

// The median and the 95th percentile of a set of durations.
[[nodiscard]] double percentile(std::vector<double> values, double fraction);

}  // namespace forkscope::gui
