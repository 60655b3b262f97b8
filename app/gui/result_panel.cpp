// What the shown run reported: its result facts and whether each invariant held.
#include <fmt/format.h>

#include "forkscope/lesson_text.hpp"
#include "panels.hpp"

namespace forkscope::gui {

bool draw_result(Ui& ui, const LessonLibrary& library) {
  const RunRecord* shown = shown_or_hint(ui);
  if (!shown) return false;
  if (shown->live()) {
    ImGui::TextDisabled("%s", ui.tr("result.running"));
    return false;
  }
  const RunFacts& f = shown->facts();
  // The question the class answered before the run, next to what happened.
  const LessonText* text = library.text(shown->lesson(), ui.text.language());
  const bool question = text && !text->predict.empty();
  if (question) {
    ImGui::TextColored({1.0f, 0.84f, 0.3f, 1.0f}, "%s", ui.tr("result.question"));
    draw_markdown(text->predict);
    ImGui::Separator();
  }
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
  if (f.point) ImGui::TextColored({1.0f, 0.45f, 0.35f, 1.0f}, "%s", point_text(ui, f).c_str());
  for (const Invariant& i : f.invariants) {
    // One the lesson breaks on purpose: broken is what it shows (amber), held means not this time (grey).
    if (i.meant_to_break) ImGui::TextColored(i.ok ? ImVec4{0.6f, 0.6f, 0.65f, 1.0f} : ImVec4{1.0f, 0.7f, 0.2f, 1.0f}, "%s",
                                             ui.tr(i.ok ? "result.held_this_time" : "result.broke_as_expected"));
    else if (i.ok) ImGui::TextColored({0.4f, 0.85f, 0.45f, 1.0f}, "%s", ui.tr("result.ok"));
    else ImGui::TextColored({1.0f, 0.35f, 0.35f, 1.0f}, "%s", ui.tr("result.failed"));
    if (i.meant_to_break) ImGui::SameLine(0, ui.px(10));
    else ImGui::SameLine(ui.px(70));
    ImGui::TextWrapped("%s", (i.ok ? names.invariant(i.name) : names.invariant_with_detail(i.name, i.values)).c_str());
  }
  return question;
}

}  // namespace forkscope::gui
