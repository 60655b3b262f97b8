#include "frame_bench.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include <fmt/format.h>

#include "forkscope/clock.hpp"
#include "forkscope/errors.hpp"
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

LiveBenchResult bench_live(App& app, double writing_seconds, double timeout_seconds) {
  Classroom& classroom = app.classroom();
  const auto started = std::chrono::steady_clock::now();
  if (!classroom.run()) throw SystemFailure(classroom.status());
  const RunRecord& record = *classroom.shown();
  std::vector<double> ms, lag_ms;
  LiveBenchResult result;
  while (classroom.live()) {
    if (ms_since(started) > timeout_seconds * 1e3)
      throw SystemFailure(fmt::format("the live run did not end within {:.0f} s; it was stopped", timeout_seconds));
    const auto start = std::chrono::steady_clock::now();
    app.frame();
    app.window().wait_for_gpu();
    const double frame_ms = ms_since(start);
    if (!record.live()) break;
    const TraceModel& model = record.model();
    const double since_start_ms = ms_since(started);
    if (since_start_ms < 500 || since_start_ms > writing_seconds * 1e3 - 500) continue;  // writers starting or ending
    ms.push_back(frame_ms);
    if (frame_ms > result.max_ms) {
      result.max_ms = frame_ms;
      result.max_at_events = model.events().size();
    }
    lag_ms.push_back(static_cast<double>(model.clock().to_ns(trace_clock()) - model.end_ns()) / 1e6);
  }
  result.events = record.model().events().size();
  result.frames = ms.size();
  result.median_ms = percentile(ms, 0.5);
  result.p95_ms = percentile(ms, 0.95);
  result.lag_p95_ms = percentile(lag_ms, 0.95);
  result.lag_max_ms = lag_ms.empty() ? 0 : *std::max_element(lag_ms.begin(), lag_ms.end());
  return result;
}

}  // namespace forkscope::gui
