// The shown run on its timeline: a legend of the states it went through, then its lanes and counters. A click on a
// lane picks that process; a double click steps it while the run is paused. On a paused or finished run, a click or
// drag on the ruler places the playhead (the instant every panel shows); the step axis counts steps instead of seconds.
#include <algorithm>
#include <cmath>

#include <GLFW/glfw3.h>
#include <fmt/format.h>

#include "forkscope/lesson_text.hpp"
#include "palette.hpp"
#include "panels.hpp"

namespace forkscope::gui {

namespace {

void draw_legend(Ui& ui, const std::vector<ProcState>& states) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const float box = ImGui::GetTextLineHeight() * 0.8f;
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  for (std::size_t i = 0; i < states.size(); ++i) {
    const char* name = ui.tr(state_key(states[i]));
    const float width = box + ui.px(4) + ImGui::CalcTextSize(name).x;
    if (i > 0) {
      ImGui::SameLine(0, ui.px(14));
      if (ImGui::GetCursorScreenPos().x + width > right) ImGui::NewLine();
    }
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float y = at.y + (ImGui::GetTextLineHeight() - box) * 0.5f;
    draw->AddRectFilled({at.x, y}, {at.x + box, y + box}, state_color(states[i]), 2);
    ImGui::Dummy({box, ImGui::GetTextLineHeight()});
    ImGui::SameLine(0, ui.px(4));
    ImGui::TextUnformatted(name);
  }
}

// A deadlock's cycle on the lanes: from each waiting process's lane an arrow to the lane of the process that holds
// what it waits for, at the instant the deadlock was found, labelled with the object. Side by side, so a cycle of
// five philosophers reads as five arrows going round.
std::vector<TimelineCanvas::Arrow> draw_deadlock(Ui& ui, const TimelineCanvas& canvas, const TraceModel& model,
                                                  const Deadlock& deadlock, std::int64_t shift_ns) {
  std::vector<TimelineCanvas::Arrow> drawn;
  auto lane_middle = [&](std::int32_t pid) -> std::optional<float> {
    for (const auto& row : canvas.lane_rows())
      if (row.pid == pid && row.visible) return (row.top + row.bottom) * 0.5f;
    return std::nullopt;
  };
  const TimeAxis& axis = canvas.axis();
  const float gap = ui.px(14);
  const auto n = static_cast<float>(deadlock.cycle.size());
  // Where the cycle closed: the last of its processes to start waiting (the deadlock itself was noticed later).
  std::int64_t closed_ns = 0;
  for (const WaitEdge& e : deadlock.cycle)
    if (const ProcessInfo* p = model.process(e.pid))  // its last wait (a run ended as stuck ends its lanes after it)
      for (auto span = p->spans.rbegin(); span != p->spans.rend(); ++span)
        if (is_blocked(span->state)) {
          closed_ns = std::max(closed_ns, span->begin_ns);
          break;
        }
  const float x0 = std::clamp(axis.x_of(static_cast<double>((closed_ns ? closed_ns : deadlock.t_ns) - shift_ns)) + gap * n,
                              axis.left + gap * (n + 1), axis.left + static_cast<float>(axis.columns) - ui.px(80));
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (std::size_t i = 0; i < deadlock.cycle.size(); ++i) {
    const WaitEdge& e = deadlock.cycle[i];
    const std::optional<float> from = lane_middle(e.pid), to = lane_middle(e.holder_pid);
    if (!from || !to) continue;  // scrolled out of sight, or a folded thread
    // On a pixel's centre: a 2-pixel line is then one solid column with its antialiased fringe around it.
    const float x = std::floor(x0 - gap * static_cast<float>(deadlock.cycle.size() - 1 - i)) + 0.5f;
    drawn.push_back({{x, *from}, {x, *to}});
    if (!e.object_name.empty()) {  // on a dark plate: the lanes under it are red too
      const ImVec2 size = ImGui::CalcTextSize(e.object_name.c_str());
      const ImVec2 at{x + ui.px(4), (*from + *to) * 0.5f - size.y * 0.5f};
      draw->AddRectFilled({at.x - ui.px(2), at.y}, {at.x + size.x + ui.px(2), at.y + size.y}, IM_COL32(20, 20, 24, 230), ui.px(3));
      draw_text(draw, at, kDeadlockColor, e.object_name.c_str());
    }
  }
  // The arrows over every label: a neighbour's label never hides one.
  const float head = ui.px(6);
  for (const TimelineCanvas::Arrow& a : drawn) {
    const float dir = a.to.y > a.from.y ? 1.0f : -1.0f;
    draw->AddCircleFilled(a.from, ui.px(3), kDeadlockColor);
    draw->AddLine(a.from, {a.to.x, a.to.y - dir * head}, kDeadlockColor, ui.px(2));
    draw->AddTriangleFilled({a.to.x - head * 0.6f, a.to.y - dir * head}, {a.to.x + head * 0.6f, a.to.y - dir * head}, a.to,
                            kDeadlockColor);
  }
  return drawn;
}

}  // namespace

TimelinePanel::Times& TimelinePanel::times_of(const RunRecord& run) {
  if (times_.model != &run.model()) times_ = Times{&run.model()};
  return times_;
}

const std::vector<double>& TimelinePanel::grants_of(const RunRecord& run) {
  Times& times = times_of(run);
  const EventLog& events = run.model().events();
  const std::size_t before = times.grants.size();
  for (; times.scanned < events.size(); ++times.scanned)
    if (events[times.scanned].kind == EventKind::GateGranted) times.grants.push_back(static_cast<double>(events[times.scanned].time));
  if (times.grants.size() != before) std::sort(times.grants.begin(), times.grants.end());  // a few, arriving late
  return times.grants;
}

const std::vector<double>& TimelinePanel::operations_of(const RunRecord& run) {
  Times& times = times_of(run);
  if (times.operations_of != run.model().events().size()) {
    times.operations_of = run.model().events().size();
    times.operations = operation_times(run.model());
  }
  return times.operations;
}

// The lane filter's field (Ctrl+F focuses it, Esc clears it), how many lanes match, and "collapse all groups".
void TimelinePanel::draw_filter(Ui& ui, const RunRecord& shown) {
  ImGui::SameLine(0, ui.px(14));
  if (ui.lane_filter != filter_text_.data()) {  // set from outside (--filter, a test)
    filter_text_.fill('\0');
    ui.lane_filter.copy(filter_text_.data(), filter_text_.size() - 1);
  }
  if (focus_filter_) ImGui::SetKeyboardFocusHere();
  focus_filter_ = false;
  ImGui::SetNextItemWidth(ui.px(290));
  if (ImGui::InputTextWithHint("##lane_filter", ui.tr("timeline.filter_hint"), filter_text_.data(), filter_text_.size()))
    ui.lane_filter = filter_text_.data();
  if (ImGui::IsItemDeactivated() && ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) {
    filter_text_.fill('\0');
    ui.lane_filter.clear();
  }
  if (ImGui::IsItemHovered() && !ImGui::IsItemActive()) ImGui::SetTooltip("%s", ui.tr("timeline.filter_tip"));
  LaneFilter& filter = canvas_.filter();
  filter.set_text(ui.lane_filter);
  const TraceModel& model = shown.model();
  if (filter.active()) {
    const std::size_t matched = filter.matches(model, ui.text, &ui.names(shown.facts().lesson), ui.playhead.at(&shown)).size();
    ImGui::SameLine();
    ImGui::TextUnformatted(ui.text.format("timeline.lanes_matched", grouped(matched), grouped(model.processes().size())).c_str());
  }
  ImGui::SameLine();
  const bool collapsed = canvas_.all_groups_collapsed(model);
  if (ImGui::SmallButton(label(ui.tr(collapsed ? "timeline.expand_groups" : "timeline.collapse_groups"), "groups").c_str()))
    canvas_.collapse_all_groups(model, !collapsed);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", ui.tr("timeline.group_tip"));
}

bool TimelinePanel::step_axis(Ui& ui) {
  const RunRecord* shown = ui.classroom.shown();
  return shown && ui.step_axis.value_or(!grants_of(*shown).empty());
}

void TimelinePanel::move_playhead(Ui& ui, const RunRecord& run, int key) {
  const std::vector<double>& ops = operations_of(run);
  if (ops.empty()) return;
  const std::optional<std::int64_t> at = ui.playhead.at(&run);
  double t = ops.back();
  if (key == GLFW_KEY_HOME) t = ops.front();
  else if (key == GLFW_KEY_RIGHT && at) {  // the next operation after the playhead (none set: the first)
    const auto next = std::upper_bound(ops.begin(), ops.end(), static_cast<double>(*at));
    t = next == ops.end() ? ops.back() : *next;
  } else if (key == GLFW_KEY_RIGHT) t = ops.front();
  else if (key == GLFW_KEY_LEFT && at) {  // the one before (none set: the last)
    const auto before = std::lower_bound(ops.begin(), ops.end(), static_cast<double>(*at));
    t = before == ops.begin() ? ops.front() : *std::prev(before);
  }
  ui.playhead.place(run, static_cast<std::int64_t>(t));
}

void TimelinePanel::update(Ui& ui) {
  const Classroom& c = ui.classroom;
  const RunRecord* shown = c.shown();
  const bool scrubbable = shown && (!shown->live() || c.paused());
  if (shown != last_shown_) {  // a new run starts fitted, on its own default axis
    last_shown_ = shown;
    view_ = TimeView{};
    ui.step_axis.reset();
  }
  if (!scrubbable || !ui.playhead.at(shown)) ui.playhead.clear();
  if (shown && ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_F, false)) focus_filter_ = true;
  if (!shown || !keys_are_shortcuts() || ImGui::GetIO().KeyCtrl) return;
  if (ImGui::IsKeyPressed(GLFW_KEY_T, false)) ui.step_axis = !step_axis(ui);
  if (!scrubbable) return;
  if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) ui.playhead.clear();
  for (int key : {GLFW_KEY_LEFT, GLFW_KEY_RIGHT, GLFW_KEY_HOME, GLFW_KEY_END})
    if (ImGui::IsKeyPressed(key, key == GLFW_KEY_LEFT || key == GLFW_KEY_RIGHT)) move_playhead(ui, *shown, key);
}

void TimelinePanel::draw(Ui& ui, const LessonLibrary& library) {
  Classroom& c = ui.classroom;
  RunRecord* shown = c.shown();

  // The legend lists what this run went through, and always the three states every run shows; before a run, nothing
  // (a lesson without a lock must not promise "blocked on a lock").
  if (!shown) {
    legend_.clear();
  } else if (legend_of_ != std::pair{&shown->model(), shown->model().events().size()}) {
    legend_of_ = {&shown->model(), shown->model().events().size()};
    std::vector<bool> seen(static_cast<std::size_t>(ProcState::Count_), false);
    seen[static_cast<std::size_t>(ProcState::Running)] = seen[static_cast<std::size_t>(ProcState::Held)] = true;
    seen[static_cast<std::size_t>(ProcState::Exited)] = true;
    for (const ProcessInfo& p : shown->model().processes())
      for (const StateSpan& s : p.spans) seen[static_cast<std::size_t>(s.state)] = true;
    legend_.clear();
    for (std::size_t s = 0; s < seen.size(); ++s)
      if (seen[s]) legend_.push_back(static_cast<ProcState>(s));
  }
  if (ImGui::SmallButton(label(ui.tr("timeline.fit"), "fit").c_str())) view_.fit = true;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", ui.tr("timeline.fit_tip"));
  ImGui::SameLine();
  bool steps = step_axis(ui);
  if (ImGui::Checkbox(label(ui.tr("timeline.step_axis"), "step_axis").c_str(), &steps)) ui.step_axis = steps;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", ui.tr("timeline.step_axis_tip"));
  if (const std::optional<std::int64_t> at = ui.playhead.at(shown)) {
    ImGui::SameLine();
    if (ImGui::SmallButton(label(ui.tr("timeline.to_now"), "to_now").c_str())) ui.playhead.clear();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", ui.tr("timeline.playhead_tip"));
  }
  if (shown) draw_filter(ui, *shown);
  ImGui::SameLine(0, ui.px(14));
  draw_legend(ui, legend_);
  if (canvas_.arrows_hidden()) {
    ImGui::SameLine(0, ui.px(14));
    ImGui::TextDisabled("%s", ui.tr("timeline.arrows_hidden"));
  }

  if (!shown) {
    // Before the lesson's first run its question takes the middle of the screen, where the class looks: predict first.
    const Lesson& lesson = c.tutorial_lesson() ? *c.tutorial_lesson() : c.lesson();
    const LessonText* text = library.text(lesson.id, ui.text.language());
    ImGui::Dummy({0, 0});  // below the header line
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float margin = std::round(avail.x * 0.08f);
    const bool predict = text && !text->predict.empty() && awaiting_first_run(ui, lesson.id);
    ImGui::SetCursorPos({ImGui::GetCursorPosX() + margin, ImGui::GetCursorPosY() + avail.y * (predict ? 0.08f : 0.4f)});
    ImGui::BeginChild("before_the_run", {avail.x - 2 * margin, 0}, false, ImGuiWindowFlags_NoBackground);
    if (predict) {
      draw_question_to_predict(ui, text->predict);
      ImGui::Spacing();
    }
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    draw_markdown(ui.tr("timeline.empty"));
    ImGui::PopStyleColor();
    ImGui::EndChild();
    return;
  }
  Track track{&shown->model(), shown->whole(), {}, &c.held(), true, shown->live()};
  for (const auto& program : c.programs())
    if (program->file() == shown->lesson()) track.source = program->source;
  track.playhead_ns = ui.playhead.at(shown);
  track.names = &ui.names(shown->facts().lesson);
  // A step axis: one column per granted step, and per operation where the run ran freely (all of it, or after its
  // last step once it is no longer stepped); warped again as the trace grows.
  if (step_axis(ui)) {
    const std::tuple key{&shown->model(), shown->model().events().size(), track.window.now_ns};
    if (!warp_ || warp_of_ != key) {
      warp_of_ = key;
      std::vector<double> starts = grants_of(*shown);
      if (!(shown->live() && c.paused())) {
        const std::vector<double>& ops = operations_of(*shown);
        starts.insert(starts.end(), std::upper_bound(ops.begin(), ops.end(), starts.empty() ? -1.0 : starts.back()), ops.end());
      }
      warp_ = std::make_shared<const StepWarp>(starts, static_cast<double>(track.window.now_ns));
    }
    canvas_.set_steps(warp_);
  } else {
    canvas_.set_steps(nullptr);
  }
  canvas_.set_scrubbable(!shown->live() || c.paused());
  const CanvasInput input = canvas_.draw(ui, std::span(&track, 1), view_);
  if (input.playhead_ns) ui.playhead.place(*shown, static_cast<std::int64_t>(*input.playhead_ns) + track.window.shift_ns);
  ui.playhead.set_dragging(input.scrubbing);
  if (input.hovered_ns) ui.hovered_ns = static_cast<std::int64_t>(*input.hovered_ns) + track.window.shift_ns;
  deadlock_arrows_.clear();
  if (const Deadlock* deadlock = c.deadlock(); deadlock && !ui.playhead.at(shown))
    deadlock_arrows_ = draw_deadlock(ui, canvas_, shown->model(), *deadlock, track.window.shift_ns);
  if (input.clicked_pid) ui.selected_pid = input.clicked_pid;
  if (input.double_clicked_pid && c.paused()) c.step(input.double_clicked_pid);
}

}  // namespace forkscope::gui
