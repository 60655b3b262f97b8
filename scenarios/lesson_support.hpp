// What several lessons share: Python's way of printing a bool, and the questions their checks ask the trace
// (who printed what and when, how long a process spent in a state), so each check reads like its invariants.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forkscope/lesson.hpp"
#include "forkscope/trace_model.hpp"

namespace forkscope::scenarios {

// print(True) in Python.
[[nodiscard]] inline const char* py(bool value) { return value ? "True" : "False"; }

[[nodiscard]] inline const ProcessInfo* process_named(const TraceModel& model, std::string_view name) {
  for (const ProcessInfo& p : model.processes())
    if (p.name == name) return &p;
  return nullptr;
}

// The lesson's main process (Python's name for it).
[[nodiscard]] inline const ProcessInfo* main_process(const TraceModel& model) { return process_named(model, "MainProcess"); }

// What one process did: its events, in its own (time) order.
[[nodiscard]] inline std::vector<TraceEvent> events_of(const TraceModel& model, std::int32_t pid) {
  std::vector<TraceEvent> events;
  for (const TraceEvent& e : model.events())
    if (e.pid == pid) events.push_back(e);
  return events;
}

// The processes `parent` started, in the order the trace first saw them (not always the order of their starts).
[[nodiscard]] inline std::vector<const ProcessInfo*> children_of(const TraceModel& model, std::int32_t parent) {
  std::vector<const ProcessInfo*> children;
  for (const ProcessInfo& p : model.processes())
    if (p.ppid == parent && p.pid != parent) children.push_back(&p);
  return children;
}

// Printed lines (not errors) in time order: all of them, or one process's.
[[nodiscard]] inline std::vector<PrintedLine> lines_in_order(const TraceModel& model, std::int32_t pid = 0) {
  std::vector<PrintedLine> lines;
  for (const PrintedLine& l : model.lines())
    if ((pid == 0 || l.pid == pid) && !l.error) lines.push_back(l);
  std::stable_sort(lines.begin(), lines.end(), [](const PrintedLine& a, const PrintedLine& b) { return a.t_ns < b.t_ns; });
  return lines;
}

// When a line with exactly this text was first printed (by anyone).
[[nodiscard]] inline std::optional<std::int64_t> printed_at(const TraceModel& model, std::string_view text) {
  std::optional<std::int64_t> at;
  for (const PrintedLine& l : model.lines())
    if (l.text == text && (!at || l.t_ns < *at)) at = l.t_ns;
  return at;
}

// A lock's series (1 held, 0 free) never shows two acquisitions without a release between them: one holder at a time.
// False when there is no such lock.
[[nodiscard]] inline bool held_by_one_at_a_time(const ObjectInfo* lock) {
  if (lock == nullptr) return false;
  for (std::size_t i = 1; i < lock->samples.size(); ++i)
    if (lock->samples[i].value == 1 && lock->samples[i - 1].value == 1) return false;
  return true;
}

// How long a process spent in a state, in lesson seconds (real nanoseconds times the run's speed).
[[nodiscard]] inline double seconds_in(const RunReport& run, const ProcessInfo& p, ProcState state) {
  std::int64_t ns = 0;
  for (const StateSpan& s : p.spans)
    if (s.state == state) ns += (s.end_ns == kOpenEnd ? run.model->end_ns() : s.end_ns) - s.begin_ns;
  return static_cast<double>(ns) * 1e-9 * run.speed;
}

}  // namespace forkscope::scenarios
