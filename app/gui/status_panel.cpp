// The status line: what the run is doing, how big it is, whether its invariants held, the last error.
#include <algorithm>

#include <fmt/format.h>

#include "panels.hpp"

namespace forkscope::gui {

void draw_status(Ui& ui) {
  const Classroom& c = ui.classroom;
  const RunRecord* shown = c.shown();
  ImGui::AlignTextToFramePadding();
  if (c.live()) {
    if (c.paused()) ImGui::TextColored({1.0f, 0.84f, 0.0f, 1.0f}, "%s", ui.text.format("status.paused", c.held().size()).c_str());
    else ImGui::TextColored({0.4f, 0.85f, 0.45f, 1.0f}, "%s", ui.tr("status.running"));
  } else if (shown) {
    ImGui::TextUnformatted(ui.text.format("status.finished", shown->number(), shown->facts().wall_seconds).c_str());
  } else {
    ImGui::TextUnformatted(ui.tr("status.ready"));
  }
  if (shown) {
    ImGui::SameLine(0, ui.px(20));
    const auto& processes = shown->model().processes();  // a Python program's threads are not processes
    const auto count = std::count_if(processes.begin(), processes.end(), [](const ProcessInfo& p) { return !p.thread; });
    ImGui::TextDisabled("%s", ui.text.format("status.size", count, shown->model().events().size()).c_str());
    if (!shown->live() && !shown->facts().invariants.empty()) {
      ImGui::SameLine(0, ui.px(20));
      if (shown->facts().invariants_ok()) ImGui::TextColored({0.4f, 0.85f, 0.45f, 1.0f}, "%s", ui.tr("status.invariants_ok"));
      else ImGui::TextColored({1.0f, 0.35f, 0.35f, 1.0f}, "%s", ui.tr("status.invariants_failed"));
    }
  }
  ImGui::SameLine(0, ui.px(20));
  ImGui::TextDisabled("%s", ui.text.format("status.speed", c.speed()).c_str());
  if (!c.status().empty()) {
    ImGui::SameLine(0, ui.px(20));
    if (c.status_is_error()) ImGui::TextColored({1.0f, 0.35f, 0.35f, 1.0f}, "%s", c.status().c_str());
    else ImGui::TextUnformatted(c.status().c_str());
  }
}

}  // namespace forkscope::gui
