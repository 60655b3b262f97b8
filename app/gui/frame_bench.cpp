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

FrameBenchResult bench_frames(App& app, int frames, bool step_axis, int processes) {
  TraceModel model = synthetic_trace(1'000'000, processes);
  FrameBenchResult result;
  result.events = model.events().size();
  RunFacts facts;
  facts.lesson = "synthetic";
  RunRecord& record = app.classroom().add(std::move(model), std::move(facts));
  app.classroom().show(&record);
  for (int i = 0; i < 3; ++i) app.frame();  // fonts, window sizes
  app.ui().step_axis = step_axis;
  std::vector<double> ms;
  for (int i = 0; i < frames; ++i) {
    const auto start = std::chrono::steady_clock::now();
    app.timeline().canvas().invalidate();
    app.frame();
    app.window().wait_for_gpu();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  result.median_ms = percentile(ms, 0.5);
  result.p95_ms = percentile(ms, 0.95);
  std::vector<double> cut_ms;
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const TraceModel cut = record.model().cut(record.model().end_ns() / 2);
    cut_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  result.cut_ms = percentile(cut_ms, 0.5);
  return result;
}

}  // namespace forkscope::gui
