// The status line: what the run is doing, how big it is, whether its invariants held, the last error.
#include <algorithm>

#include <fmt/format.h>

#include "palette.hpp"
#include "panels.hpp"

namespace forkscope::gui {

namespace {
// The shown lesson's words for its processes (a philosopher is "哲学家1" in 中文).
const LessonNames& shown_names(const Ui& ui) {
  const RunRecord* shown = ui.classroom.shown();
  return ui.names(shown ? std::string_view(shown->facts().lesson) : std::string_view(ui.classroom.lesson().id));
}
}  // namespace

std::string deadlock_text(const Ui& ui, const Deadlock& deadlock) {
  const LessonNames& names = shown_names(ui);
  std::string text = ui.tr("deadlock.title");
  for (std::size_t i = 0; i < deadlock.cycle.size(); ++i) {
    const WaitEdge& e = deadlock.cycle[i];
    text += i == 0 ? " " : ui.tr("deadlock.separator");
    text += e.object_name.empty()
                ? ui.text.format("deadlock.waits_for_process", names.process(e.process), names.process(e.holder))
                : ui.text.format("deadlock.waits_for_object", names.process(e.process), e.object_name, names.process(e.holder));
  }
  return text;
}

std::string deadlock_cycle_text(const Ui& ui, const Deadlock& deadlock) {
  const LessonNames& names = shown_names(ui);
  std::string text = ui.tr("deadlock.title");
  const char* arrow = ui.tr("deadlock.arrow");
  for (const WaitEdge& e : deadlock.cycle) {
    text += fmt::format(" {}", names.process(e.process));
    if (!e.object_name.empty()) text += fmt::format(" {} '{}'", arrow, e.object_name);
    text += fmt::format(" {}", arrow);
  }
  if (!deadlock.cycle.empty()) text += fmt::format(" {}", names.process(deadlock.cycle.front().process));
  return text;
}

std::string point_text(const Ui& ui, const RunFacts& facts) {
  return facts.point ? ui.text.say(Phrase{facts.point->key, facts.point->args}) : std::string();
}

std::string status_text(const Ui& ui) {
  const Classroom& c = ui.classroom;
  if (c.status_key().empty()) return c.status();
  return ui.text.format_list(c.status_key(), c.status_args());
}

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
    const RunFacts& facts = shown->facts();
    if (!shown->live() && facts.point) {
      // The lesson's point, when it happened: a banner, where "invariants hold" would say all is well.
      ImGui::SameLine(0, ui.px(20));
      const std::string said = point_text(ui, facts);
      const ImVec2 at = ImGui::GetCursorScreenPos();
      const ImVec2 size = ImGui::CalcTextSize(said.c_str());
      const ImVec2 pad{ui.px(6), ImGui::GetStyle().FramePadding.y};
      ImGui::GetWindowDrawList()->AddRectFilled({at.x - pad.x, at.y}, {at.x + size.x + pad.x, at.y + size.y + 2 * pad.y},
                                                kPointBannerColor, ui.px(3));
      ImGui::TextColored({1, 1, 1, 1}, "%s", said.c_str());
    }
    if (!shown->live() && !facts.invariants.empty() && !(facts.point && facts.invariants_ok())) {
      ImGui::SameLine(0, ui.px(20));
      if (facts.invariants_ok()) ImGui::TextColored({0.4f, 0.85f, 0.45f, 1.0f}, "%s", ui.tr("status.invariants_ok"));
      else ImGui::TextColored({1.0f, 0.35f, 0.35f, 1.0f}, "%s", ui.tr("status.invariants_failed"));
    }
  }
  ImGui::SameLine(0, ui.px(20));
  ImGui::TextDisabled("%s", ui.text.format("status.speed", c.speed()).c_str());
  if (const Deadlock* deadlock = c.deadlock(); deadlock && !deadlock->cycle.empty()) {
    ImGui::SameLine(0, ui.px(20));
    // The cycle in short fits the line; the sentence is its tooltip.
    ImGui::TextColored({1.0f, 0.35f, 0.35f, 1.0f}, "%s", deadlock_cycle_text(ui, *deadlock).c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", deadlock_text(ui, *deadlock).c_str());
  }
  const std::string said = status_text(ui);
  if (!said.empty()) {
    ImGui::SameLine(0, ui.px(20));
    if (c.status_is_error()) ImGui::TextColored({1.0f, 0.35f, 0.35f, 1.0f}, "%s", said.c_str());
    else ImGui::TextUnformatted(said.c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", said.c_str());  // whole, where the line cuts it (200 %)
  }
}

}  // namespace forkscope::gui
