#include "frame_bench.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include <fmt/format.h>

#include "forkscope/synthetic_trace.hpp"

namespace forkscope::gui {

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto at = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(at, values.size() - 1)];
}

namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

FrameBenchResult bench_frames(App& app, const FrameBenchOptions& options) {
  TraceModel model = synthetic_trace(options.events, options.processes);
  FrameBenchResult result;
  result.events = model.events().size();
  RunFacts facts;
  facts.lesson = "synthetic";
  RunRecord& record = app.classroom().add(std::move(model), std::move(facts));
  app.classroom().show(&record);
  for (int i = 0; i < 3; ++i) app.frame();  // fonts, window sizes
  app.ui().step_axis = options.step_axis;
  app.frame();  // the axis in place: the fitted view's window is in its units
  TimeView& view = app.timeline().view();
  const TimeView fitted = view;
  for (const double fraction : kBenchZooms) {
    if (fraction < 1) {  // centred on the middle of the fitted view
      const double middle = (fitted.begin_ns + fitted.end_ns) / 2, half = (fitted.end_ns - fitted.begin_ns) * fraction / 2;
      view = TimeView{middle - half, middle + half, false, fitted.lane_scroll, fitted.counter_scroll};
    }
    std::vector<double> ms;
    for (int i = 0; i < options.frames; ++i) {
      const auto start = std::chrono::steady_clock::now();
      app.timeline().canvas().invalidate();
      app.frame();
      app.window().wait_for_gpu();
      ms.push_back(ms_since(start));
    }
    result.zooms.push_back(ZoomTiming{fraction, percentile(ms, 0.5), percentile(ms, 0.95)});
  }
  view = fitted;
  std::vector<double> cut_ms;
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const TraceModel cut = record.model().cut(record.model().end_ns() / 2);
    cut_ms.push_back(ms_since(start));
  }
  result.cut_ms = percentile(cut_ms, 0.5);
  return result;
}

}  // namespace forkscope::gui
