// Every process of the shown run, in lane order: who it is, who started it, what it is doing or waiting for, how
// it ended; now, or at the playhead (a process not started by then says so). A row clicked picks the process for
// "Step process", as a lane does.
#include <algorithm>

#include <fmt/format.h>

#include "palette.hpp"
#include "panels.hpp"

namespace forkscope::gui {

void draw_processes(Ui& ui) {
  const RunRecord* shown = shown_or_hint(ui);
  if (!shown) return;
  draw_playhead_note(ui, *shown);
  const TraceModel& whole = shown->model();  // lanes and their colours are the timeline's
  const TraceModel& model = ui.model(*shown);
  const bool now = !ui.playhead.at(shown);
  const auto& held = ui.classroom.held();
  const Column columns[] = {{"processes.pid", 0.6f},   {"processes.ppid", 0.6f},       {"processes.name", 1.4f},
                            {"processes.state", 1.6f}, {"processes.blocked_on", 1.6f}, {"processes.next", 1.6f},
                            {"processes.exit", 0.8f},  {"processes.daemon", 0.7f}};
  if (!begin_table(ui, "processes", columns)) return;
  const LessonNames& names = ui.names(shown->facts().lesson);
  const std::vector<Lane> lanes = lanes_in_tree_order(whole);
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(lanes.size()));
  while (clipper.Step()) {
    for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
      const ProcessInfo* then = model.process(lanes[static_cast<std::size_t>(row)].pid);
      const ProcessInfo& p = then ? *then : *whole.process(lanes[static_cast<std::size_t>(row)].pid);
      const ProcState state = p.state();
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      const std::string pid = std::to_string(p.pid);
      if (ImGui::Selectable(pid.c_str(), p.pid == ui.selected_pid, ImGuiSelectableFlags_SpanAllColumns)) ui.selected_pid = p.pid;
      ImGui::TableNextColumn();
      ImGui::Text("%d", p.ppid);
      ImGui::TableNextColumn();
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(process_color(static_cast<std::size_t>(row))), "%s",
                         std::string(static_cast<std::size_t>(lanes[static_cast<std::size_t>(row)].depth) * 2, ' ').append(names.process(lane_name(whole, p))).c_str());
      ImGui::TableNextColumn();
      if (then == nullptr) {
        ImGui::TextDisabled("%s", ui.tr("processes.not_started"));
        continue;
      }
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(state_text_color(state)), "%s", ui.tr(state_key(state)));
      ImGui::TableNextColumn();
      if (is_blocked(state)) {
        const StateSpan& s = p.spans.back();
        if (s.object) ImGui::TextUnformatted(object_text(names, model, s.object).c_str());
        else if (s.peer) ImGui::TextUnformatted(process_text(names, model, s.peer).c_str());
      }
      ImGui::TableNextColumn();
      auto h = std::find_if(held.begin(), held.end(), [&](const HeldProcess& x) { return x.pid == p.pid; });
      if (now && h != held.end())
        ImGui::TextUnformatted(next_operation_text(ui, names, *h, model).c_str());
      ImGui::TableNextColumn();
      if (p.exitcode) {
        const std::string text = exit_text(ui, p);
        if (*p.exitcode != 0) ImGui::TextColored({1.0f, 0.45f, 0.45f, 1.0f}, "%s", text.c_str());
        else ImGui::TextUnformatted(text.c_str());
        if (!p.error.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", p.error.c_str());
      }
      ImGui::TableNextColumn();
      if (p.daemon) ImGui::TextUnformatted(ui.tr("processes.yes"));
    }
  }
  ImGui::EndTable();
}

}  // namespace forkscope::gui
