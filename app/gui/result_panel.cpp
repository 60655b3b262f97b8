// What the shown run reported: its result facts and whether each invariant held.
#include <fmt/format.h>

#include "panels.hpp"

namespace forkscope::gui {

void draw_result(Ui& ui) {
  const RunRecord* shown = shown_or_hint(ui);
  if (!shown) return;
  if (shown->live()) {
    ImGui::TextDisabled("%s", ui.tr("result.running"));
    return;
  }
  const RunFacts& f = shown->facts();
  ImGui::TextUnformatted(run_label(ui, *shown).c_str());
  ImGui::TextDisabled("%s", ui.text.format("result.summary", f.wall_seconds, f.seed, f.speed).c_str());
  if (!f.failure.empty()) ImGui::TextColored({1.0f, 0.35f, 0.35f, 1.0f}, "%s", f.failure.c_str());
  ImGui::Separator();
  const LessonNames& names = ui.names(f.lesson);
  for (const auto& [key, value] : f.result.items()) {
    if (key == "phases") continue;  // the comparison draws them
    ImGui::TextColored({0.55f, 0.78f, 1.0f, 1.0f}, "%s", names.result(key).c_str());
    ImGui::SameLine(ui.px(180));
    ImGui::TextUnformatted(value_text(ui, value).c_str());
  }
  ImGui::Separator();
  for (const Invariant& i : f.invariants) {
    if (i.ok) ImGui::TextColored({0.4f, 0.85f, 0.45f, 1.0f}, "%s", ui.tr("result.ok"));
    else ImGui::TextColored({1.0f, 0.35f, 0.35f, 1.0f}, "%s", ui.tr("result.failed"));
    ImGui::SameLine(ui.px(70));
    ImGui::TextWrapped("%s", (i.ok ? names.invariant(i.name) : names.invariant_with_detail(i.name, i.values)).c_str());
  }
}

}  // namespace forkscope::gui
