// The toolbar: what a teacher presses in front of the class, and the same actions on the keyboard.
#include <GLFW/glfw3.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "palette.hpp"
#include "panels.hpp"

namespace forkscope::gui {

namespace {

constexpr std::array kSpeeds = {0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0};
constexpr std::array kScales = {1.0f, 1.25f, 1.5f, 1.75f, 2.0f};

void toggle_run(Ui& ui) {
  Classroom& c = ui.classroom;
  if (c.live() && !c.paused()) c.pause();
  else c.run();
}

// Back re-runs the processes: the chosen one keeps its name, not its PID.
void go_back(Ui& ui) {
  Classroom& c = ui.classroom;
  const ProcessInfo* chosen = c.shown() && ui.selected_pid ? c.shown()->model().process(ui.selected_pid) : nullptr;
  const std::string name = chosen ? chosen->name : std::string();
  if (!c.back()) return;
  ui.playhead.clear();  // the run's model is a new one: a cut of the old one must not be shown
  ui.selected_pid = 0;
  for (const ProcessInfo& p : c.shown()->model().processes())
    if (p.name == name) ui.selected_pid = p.pid;
}

void tooltip(const char* text) {
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", text);
}

}  // namespace

double faster(double speed) {
  for (double s : kSpeeds)
    if (s > speed * 1.001) return s;
  return kSpeeds.back();
}

double slower(double speed) {
  for (auto s = kSpeeds.rbegin(); s != kSpeeds.rend(); ++s)
    if (*s < speed * 0.999) return *s;
  return kSpeeds.front();
}

bool keys_are_shortcuts() {
  if (ImGui::GetIO().WantTextInput) return false;  // typing in the console filter or a path
  // The open dialog (or a list) has the keys while it is open: R must not reset the run behind it.
  return !ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId | ImGuiPopupFlags_AnyPopupLevel);
}

void handle_shortcuts(Ui& ui) {
  const ImGuiIO& io = ImGui::GetIO();
  if (!keys_are_shortcuts()) return;
  if (io.KeyCtrl) {
    if (ImGui::IsKeyPressed(GLFW_KEY_O, false)) ui.open_requested = true;
    if (ImGui::IsKeyPressed(GLFW_KEY_S, false) && ui.classroom.shown_schedule()) ui.save_schedule_requested = true;
    return;  // Ctrl+R is not R
  }
  Classroom& c = ui.classroom;
  if (ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) toggle_run(ui);
  if (ImGui::IsKeyPressed(GLFW_KEY_N, false)) c.step();
  if (ImGui::IsKeyPressed(GLFW_KEY_B, false)) go_back(ui);
  if (ImGui::IsKeyPressed(GLFW_KEY_R, false)) c.reset();
  if (ImGui::IsKeyPressed(GLFW_KEY_EQUAL, false) || ImGui::IsKeyPressed(GLFW_KEY_KP_ADD, false)) c.set_speed(faster(c.speed()));
  if (ImGui::IsKeyPressed(GLFW_KEY_MINUS, false) || ImGui::IsKeyPressed(GLFW_KEY_KP_SUBTRACT, false))
    c.set_speed(slower(c.speed()));
  if (ImGui::IsKeyPressed(GLFW_KEY_F11, false)) ui.toggle_fullscreen = true;
}

void draw_toolbar(Ui& ui) {
  Classroom& c = ui.classroom;
  const bool running = c.live() && !c.paused();

  if (ImGui::Button(label(ui.tr("toolbar.open"), "open").c_str())) ui.open_requested = true;
  tooltip(ui.tr("toolbar.open_tip"));
  ImGui::SameLine();
  ImGui::BeginDisabled(!c.shown_schedule());
  if (ImGui::Button(label(ui.tr("toolbar.save_schedule"), "save_schedule").c_str())) ui.save_schedule_requested = true;
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.save_schedule_tip"));
  ImGui::SameLine(0, ui.px(16));
  ImGui::BeginDisabled(running);
  if (ImGui::Button(label(ui.tr("toolbar.run"), "run").c_str())) c.run();
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.run_tip"));
  ImGui::SameLine();
  ImGui::BeginDisabled(!running);
  if (ImGui::Button(label(ui.tr("toolbar.pause"), "pause").c_str())) c.pause();
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.pause_tip"));
  ImGui::SameLine();
  if (ImGui::Button(label(ui.tr("toolbar.step"), "step").c_str())) c.step();
  tooltip(ui.tr("toolbar.step_tip"));
  ImGui::SameLine();
  ImGui::BeginDisabled(!c.can_go_back());
  if (ImGui::Button(label(ui.tr("toolbar.back"), "back").c_str())) go_back(ui);
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.back_tip"));

  // Step one chosen process: the one picked on a lane or in the table, or from the list of who waits at the gate.
  ImGui::SameLine();
  const bool can_step_process = c.paused() && c.held_at_gate(ui.selected_pid);
  ImGui::BeginDisabled(!can_step_process);
  if (ImGui::Button(label(ui.tr("toolbar.step_process"), "step_process").c_str())) c.step(ui.selected_pid);
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.step_process_tip"));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ui.px(150));
  const RunRecord* shown = c.shown();
  const ProcessInfo* selected = shown && ui.selected_pid ? shown->model().process(ui.selected_pid) : nullptr;
  const LessonNames& names = ui.names(shown ? shown->facts().lesson : c.lesson().id);
  const std::string current = selected ? fmt::format("{} {}", names.process(selected->name), selected->pid) : ui.tr("toolbar.choose_pid");
  if (ImGui::BeginCombo("##pid", current.c_str())) {
    for (const HeldProcess& h : c.held()) {
      const std::string item = fmt::format("{} {} · {}", names.process(h.name), h.pid, ui.op_text(h.op));
      if (ImGui::Selectable(item.c_str(), h.pid == ui.selected_pid)) ui.selected_pid = h.pid;
    }
    if (c.held().empty()) ImGui::TextDisabled("%s", ui.tr("toolbar.nobody_held"));
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  ImGui::BeginDisabled(!c.live() && c.shown() == nullptr);
  if (ImGui::Button(label(ui.tr("toolbar.reset"), "reset").c_str())) c.reset();
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.reset_tip"));

  ImGui::SameLine(0, ui.px(24));
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(ui.tr("toolbar.speed"));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ui.px(140));
  auto speed = static_cast<float>(c.speed());
  if (ImGui::SliderFloat("##speed", &speed, static_cast<float>(Classroom::kMinSpeed), static_cast<float>(Classroom::kMaxSpeed),
                         "%.1fx", ImGuiSliderFlags_Logarithmic))
    c.set_speed(speed);
  tooltip(ui.tr("toolbar.speed_tip"));

  ImGui::SameLine(0, ui.px(24));
  // The button names the other language, in that language.
  if (ImGui::Button(label(ui.tr("toolbar.other_language"), "language").c_str()))
    ui.text.set_language(ui.text.language() == "zh" ? "en" : "zh");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ui.px(90));
  const std::string scale_text = fmt::format("{:.0f}%", ui.scale * 100);
  if (ImGui::BeginCombo("##scale", scale_text.c_str())) {
    for (float s : kScales)
      if (ImGui::Selectable(fmt::format("{:.0f}%", s * 100).c_str(), s == ui.scale)) ui.scale = s;
    ImGui::EndCombo();
  }
  tooltip(ui.tr("toolbar.scale_tip"));
}

}  // namespace forkscope::gui
