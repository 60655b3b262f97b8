// The shown run on its timeline: a legend of the states it went through, then its lanes and counters. A click on a
// lane picks that process; a double click steps it while the run is paused.
#include <algorithm>

#include <fmt/format.h>

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

}  // namespace

void TimelinePanel::draw(Ui& ui) {
  Classroom& c = ui.classroom;
  RunRecord* shown = c.shown();
  if (shown != last_shown_) {  // a new run starts fitted
    last_shown_ = shown;
    view_ = TimeView{};
  }

  // The legend lists what this run went through, and always the three states every run shows.
  if (!shown) {
    legend_ = {ProcState::Running, ProcState::Held, ProcState::Sleeping, ProcState::BlockedLock, ProcState::Exited};
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
  ImGui::SameLine(0, ui.px(14));
  draw_legend(ui, legend_);
  if (canvas_.arrows_hidden()) {
    ImGui::SameLine(0, ui.px(14));
    ImGui::TextDisabled("%s", ui.tr("timeline.arrows_hidden"));
  }

  if (!shown) {
    const char* hint = ui.tr("timeline.empty");
    const ImVec2 size = ImGui::CalcTextSize(hint);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    ImGui::SetCursorPos({ImGui::GetCursorPosX() + (avail.x - size.x) * 0.5f, ImGui::GetCursorPosY() + avail.y * 0.4f});
    ImGui::TextDisabled("%s", hint);
    return;
  }
  Track track{&shown->model(), shown->whole(), {}, &c.held(), true, shown->live()};
  for (const auto& program : c.programs())
    if (program->file() == shown->lesson()) track.source = program->source;
  const CanvasInput input = canvas_.draw(ui, std::span(&track, 1), view_);
  if (input.hovered_ns) ui.hovered_ns = static_cast<std::int64_t>(*input.hovered_ns) + track.window.shift_ns;
  if (input.clicked_pid) ui.selected_pid = input.clicked_pid;
  if (input.double_clicked_pid && c.paused()) c.step(input.double_clicked_pid);
}

}  // namespace forkscope::gui
