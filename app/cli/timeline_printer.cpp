#include "timeline_printer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

namespace forkscope::cli {

bool wants_color(std::FILE* out) { return isatty(fileno(out)) && std::getenv("NO_COLOR") == nullptr; }

int TimelinePrinter::color_of(std::int32_t pid) {
  static constexpr int kPalette[] = {33, 36, 35, 32, 34, 91, 93, 96, 95, 92, 94, 31};
  auto [it, fresh] = colors_.try_emplace(pid, kPalette[colors_.size() % std::size(kPalette)]);
  return it->second;
}

void TimelinePrinter::print_header() const {
  fmt::print(out_, "{:>9}  {:>7}  {:<16} {}\n", "time", "pid", "process", "what happened");
}

void TimelinePrinter::print_new(const TraceModel& model) {
  const auto& events = model.events();
  if (printed_ >= events.size()) return;
  // Rings are drained one process at a time: put this batch back in time order.
  std::vector<std::size_t> batch(events.size() - printed_);
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i] = printed_ + i;
  std::stable_sort(batch.begin(), batch.end(), [&](std::size_t a, std::size_t b) { return events[a].time < events[b].time; });
  printed_ = events.size();

  for (std::size_t index : batch) {
    const TraceEvent& e = events[index];
    // Held and granted are the stepping prompt's business, not the timeline's; ready spans come every few
    // milliseconds while processes share the cores, and the lessons print their sums.
    if (e.kind == EventKind::GateHeld || e.kind == EventKind::GateGranted || e.kind == EventKind::Preempted ||
        e.kind == EventKind::SourceLine ||
        e.pid == kViewerPid)
      continue;
    const ProcessInfo* p = model.process(e.pid);
    const std::string name = p ? p->name : "?";
    const bool line = e.kind == EventKind::Print;
    const bool error = e.kind == EventKind::Error;
    const std::string what = line ? fmt::format("» {}", model.text(arg_string(e.arg))) : model.describe(e);
    const std::string when = fmt::format("{:8.3f}s", static_cast<double>(e.time) * 1e-9);
    if (!color_) {
      fmt::print(out_, "{}  {:>7}  {:<16} {}\n", when, e.pid, name, what);
      continue;
    }
    const int c = color_of(e.pid);
    const char* style = error ? "\x1b[1;31m" : line ? "\x1b[1m" : e.phase == Phase::Want ? "\x1b[2m" : "";
    fmt::print(out_, "\x1b[2m{}\x1b[0m  \x1b[{}m{:>7}  {:<16}\x1b[0m {}{}\x1b[0m\n", when, c, e.pid, name, style, what);
  }
  std::fflush(out_);
}

}  // namespace forkscope::cli
