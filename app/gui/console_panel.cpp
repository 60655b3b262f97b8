// What the processes printed, in time order, each line in its process's colour (the same as its lane label);
// filtered by text and by process; with the playhead set, only what was printed up to then. Errors (uncaught exceptions) in red; what a Python program wrote to sys.stderr
// (tracebacks, warnings) in a paler red, so stdout and stderr stay apart where they interleave.
#include <fmt/format.h>

#include "palette.hpp"
#include "panels.hpp"

namespace forkscope::gui {

namespace {

const ImVec4 kErrorText{1.0f, 0.35f, 0.35f, 1.0f};
const ImVec4 kStderrText{1.0f, 0.6f, 0.5f, 1.0f};

}  // namespace

void ConsolePanel::draw(Ui& ui) {
  lines_shown_ = 0;
  const RunRecord* shown = shown_or_hint(ui);
  if (!shown) return;
  const TraceModel& model = shown->model();  // lanes and their colours are the timeline's
  const BigVector<PrintedLine>& printed = ui.model(*shown).lines();
  if (lanes_of_ != std::pair{&model, model.processes().size()}) {
    lanes_of_ = {&model, model.processes().size()};
    lane_of_.clear();
    const std::vector<Lane> lanes = lanes_in_tree_order(model);
    for (std::size_t i = 0; i < lanes.size(); ++i) lane_of_[lanes[i].pid] = i;
  }

  draw_playhead_note(ui, *shown);
  filter_.Draw(label(ui.tr("console.filter"), "filter").c_str(), ui.px(220));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ui.px(200));
  const ProcessInfo* only = only_pid_ ? model.process(only_pid_) : nullptr;
  const LessonNames& names = ui.names(shown->facts().lesson);
  const std::string current = only ? fmt::format("{} {}", names.process(only->name), only->pid) : ui.tr("console.all_processes");
  if (ImGui::BeginCombo("##only", current.c_str())) {
    if (ImGui::Selectable(ui.tr("console.all_processes"), only == nullptr)) only_pid_ = 0;
    for (const ProcessInfo& p : model.processes())
      if (ImGui::Selectable(fmt::format("{} {}", names.process(p.name), p.pid).c_str(), p.pid == only_pid_)) only_pid_ = p.pid;
    ImGui::EndCombo();
  }

  ImGui::BeginChild("lines", {0, 0}, false, ImGuiWindowFlags_HorizontalScrollbar);
  const bool at_bottom = ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 1;
  Matches& m = matches_;
  if (m.run != shown->number() || m.lines != &printed || m.only_pid != only_pid_ || m.filter != filter_.InputBuf ||
      printed.size() < m.scanned)
    m = Matches{shown->number(), &printed, only_pid_, filter_.InputBuf, 0, {}};
  for (; m.scanned < printed.size(); ++m.scanned) {
    const PrintedLine& l = printed[m.scanned];
    if ((only_pid_ == 0 || l.pid == only_pid_) && filter_.PassFilter(l.text.data(), l.text.data() + l.text.size()))
      m.indexes.push_back(static_cast<std::uint32_t>(m.scanned));
  }
  lines_shown_ = m.indexes.size();
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(m.indexes.size()));
  while (clipper.Step())
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const PrintedLine& l = printed[m.indexes[static_cast<std::size_t>(i)]];
      const ProcessInfo* p = model.process(l.pid);
      ImGui::TextDisabled("%8.3f s", static_cast<double>(l.t_ns) * 1e-9);
      ImGui::SameLine();
      const auto lane = lane_of_.find(l.pid);
      const ImU32 color = lane == lane_of_.end() ? IM_COL32_WHITE : process_color(lane->second);
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(color), "%-14s", p ? names.process(p->name).c_str() : "?");
      ImGui::SameLine();
      if (l.error) {
        ImGui::TextColored(kErrorText, "%.*s", static_cast<int>(l.text.size()), l.text.data());
      } else if (l.stderr_stream) {
        ImGui::TextColored(kStderrText, "%.*s", static_cast<int>(l.text.size()), l.text.data());
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", ui.tr("console.stderr_tip"));
      } else {
        ImGui::TextUnformatted(l.text.data(), l.text.data() + l.text.size());
      }
    }
  if (at_bottom && shown->live()) ImGui::SetScrollHereY(1.0f);  // follow a live run, unless the reader scrolled up
  ImGui::EndChild();
}

}  // namespace forkscope::gui
