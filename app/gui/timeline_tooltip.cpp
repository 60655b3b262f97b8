// The timeline's tooltip: under the pointer, a counter's value, or a lane's process, state, line of code, task, the
// nearest operation and what it waits at the gate to do.
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "palette.hpp"
#include "timeline_canvas.hpp"

namespace forkscope::gui {

namespace {

// An event's phrase with the lesson's words for what its code named: a mark's label.
Phrase phrase_in_words(const LessonNames& names, const TraceModel& model, const TraceEvent& event) {
  Phrase phrase = model.phrase(event);
  if (event.kind == EventKind::Mark && !phrase.args.empty()) phrase.args.front() = names.mark(phrase.args.front());
  return phrase;
}

// Line `line` (1-based) of `source`, without its indentation; empty when there is no such line.
std::string_view source_line(std::string_view source, std::int64_t line) {
  std::size_t at = 0;
  for (std::int64_t n = 1; n < line; ++n) {
    at = source.find('\n', at);
    if (at == std::string_view::npos) return {};
    ++at;
  }
  std::string_view text = source.substr(std::min(at, source.size()));
  text = text.substr(0, text.find('\n'));
  const std::size_t first = text.find_first_not_of(" \t");
  return first == std::string_view::npos ? std::string_view() : text.substr(first);
}

}  // namespace

void TimelineCanvas::draw_tooltip(Ui& ui, std::span<const Track> tracks, ImVec2 mouse, float lanes_bottom) const {
  const double view_t = axis_.t_of(mouse.x);
  if (mouse.y >= lanes_bottom) {
    for (const CounterRow& c : counter_rows_) {
      if (mouse.y < c.top || mouse.y >= c.top + counter_height_) continue;
      const auto t = static_cast<std::int64_t>(view_t) + tracks[c.track].window.shift_ns;
      ImGui::BeginTooltip();
      ImGui::TextUnformatted(fmt::format("{} · {}", c.object->name, kind_text(ui, c.object->kind)).c_str());
      ImGui::TextUnformatted(ui.text.format("tooltip.value_at", value_text(ui, *c.object, c.object->value_at(t)),
                                            time_label(view_t)).c_str());
      // A lock's holder then (the lanes mark it too).
      for (const ProcessInfo& p : tracks[c.track].model->processes())
        for (const HoldSpan& h : p.holds)
          if (h.object == c.object->id && h.begin_ns <= t && t < h.end_ns)
            ImGui::TextUnformatted(ui.text.format("tooltip.held_by", tracks[c.track].model->process_label(p.pid)).c_str());
      ImGui::EndTooltip();
      return;
    }
    return;
  }
  if (const LaneRow* fold = fold_arrow_at(ui, mouse, lanes_bottom)) {
    ImGui::SetTooltip("%s", ui.tr(fold->threads > 0 && fold->group < 0 ? "timeline.fold_tip" : "timeline.group_tip"));
    return;
  }
  for (const LaneRow& row : rows_) {
    if (!row.visible || mouse.y < row.top || mouse.y >= row.bottom) continue;
    const Track& track = tracks[row.track];
    const TraceModel& model = *track.model;
    if (row.group >= 0) {
      draw_group_tooltip(ui, track, groups_[static_cast<std::size_t>(row.group)], view_t);
      return;
    }
    const ProcessInfo* p = model.process(row.pid);
    if (p == nullptr) return;
    const auto shift = track.window.shift_ns;
    const auto t = static_cast<std::int64_t>(view_t) + shift;
    const LessonNames none;
    const LessonNames& names = track.names ? *track.names : none;
    ImGui::BeginTooltip();
    ImGui::TextUnformatted(fmt::format("{} · PID {}{}", names.process(p->name), p->pid,
                                       p->daemon ? fmt::format(" · {}", ui.tr("processes.daemon")) : "").c_str());
    if (const auto s = p->span_at(t); s && t <= track.window.now_ns) {
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(state_text_color(s->state)));
      std::string what = ui.tr(state_key(s->state));
      if (s->object != 0) what += " · " + object_text(names, model, s->object);
      if (s->peer != 0 && s->state == ProcState::BlockedJoin) what += " · " + process_text(names, model, s->peer);
      ImGui::TextUnformatted(what.c_str());
      ImGui::PopStyleColor();
      const std::int64_t end = std::min(s->end_ns, track.window.now_ns);
      // Instants in the ruler's unit (as its ticks and readout), the length as a duration.
      ImGui::TextUnformatted(ui.text.format("tooltip.span", time_label(static_cast<double>(s->begin_ns - shift)),
                                            time_label(static_cast<double>(end - shift)),
                                            format_duration(static_cast<double>(end - s->begin_ns))).c_str());
      if (const ObjectInfo* o = s->object ? model.object(s->object) : nullptr)
        ImGui::TextUnformatted(ui.text.format("tooltip.object_value", object_name(names, *o),
                                              value_text(ui, *o, o->value_at(t))).c_str());
    }
    // The locks it held then, and a signal it was sent within a few pixels.
    for (const HoldSpan& h : p->holds)
      if (h.begin_ns <= t && t < std::min(h.end_ns, track.window.now_ns))
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(state_color(ProcState::BlockedLock)), "%s",
                           ui.text.format("tooltip.holds", model.object_label(h.object)).c_str());
    for (const SignalMark& s : p->signals)
      if (std::abs(axis_.x_of(static_cast<double>(s.t_ns - shift)) - mouse.x) <= ui.px(6))
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kSignalColor), "%s",
                           ui.text.format("tooltip.signal", signal_name(s.signo), model.process_label(s.from_pid)).c_str());
    // The line of the program it was at (a Python program's processes say when it changes).
    if (const std::int64_t line = p->line_at(t); line > 0 && t >= p->begin_ns && (!p->end_ns || t < *p->end_ns))
      ImGui::TextUnformatted(ui.text.format("tooltip.line", line, source_line(track.source, line)).c_str());
    // The task it was running (a pool task, a callback).
    auto task = std::partition_point(p->tasks.begin(), p->tasks.end(), [&](const TaskSpan& x) { return x.end_ns <= t; });
    if (task != p->tasks.end() && task->begin_ns <= t) {
      const std::int64_t end = std::min(task->end_ns, track.window.now_ns);
      ImGui::TextUnformatted(ui.text.format(task->failed ? "tooltip.task_failed" : "tooltip.task", task->label,
                                            format_duration(static_cast<double>(end - task->begin_ns))).c_str());
    }
    // The nearest operation within a few pixels.
    TimeAxis near = axis_;
    near.begin_ns = axis_.unit_of(view_t) - 5 * axis_.ns_per_column();
    near.end_ns = axis_.unit_of(view_t) + 5 * axis_.ns_per_column();
    const TimedOperation* nearest = nullptr;
    for (const TimedOperation& op : operations_in_view(operations_.of(model, *p), near, track.window))
      if (!nearest || std::abs(op.t_ns - t) < std::abs(nearest->t_ns - t)) nearest = &op;
    if (nearest) {
      const TraceEvent best = model.events()[nearest->event];
      ImGui::Separator();
      ImGui::TextUnformatted(ui.text.format("tooltip.operation", time_label(static_cast<double>(best.time) - static_cast<double>(shift)),
                                            ui.text.say(phrase_in_words(names, model, best))).c_str());
    }
    if (track.held)
      for (const HeldProcess& h : *track.held)
        if (h.pid == p->pid) {
          ImGui::Separator();
          ImGui::TextUnformatted(ui.text.format("tooltip.held", next_operation_text(ui, names, h, model)).c_str());
        }
    ImGui::EndTooltip();
    return;
  }
}

// A summary lane: what it stands for, and how many of its members were in each state then, most first.
void TimelineCanvas::draw_group_tooltip(const Ui& ui, const Track& track, const Group& group, double view_t) const {
  const auto t = static_cast<std::int64_t>(view_t) + track.window.shift_ns;
  std::array<int, static_cast<std::size_t>(ProcState::Count_)> counts{};
  for (std::int32_t pid : group.members)
    if (const ProcessInfo* p = track.model->process(pid))
      if (const auto s = p->span_at(t); s && t <= track.window.now_ns) ++counts[static_cast<std::size_t>(s->state)];
  std::vector<std::size_t> states;
  for (std::size_t s = 0; s < counts.size(); ++s)
    if (counts[s] > 0) states.push_back(s);
  std::stable_sort(states.begin(), states.end(), [&](std::size_t a, std::size_t b) { return counts[a] > counts[b]; });
  ImGui::BeginTooltip();
  ImGui::TextUnformatted(group.label.c_str());
  for (std::size_t s : states)
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(state_text_color(static_cast<ProcState>(s))), "%s",
                       ui.text.format("tooltip.group_state", counts[s], ui.tr(state_key(static_cast<ProcState>(s)))).c_str());
  ImGui::TextDisabled("%s", ui.tr("timeline.group_tip"));
  ImGui::EndTooltip();
}

}  // namespace forkscope::gui
