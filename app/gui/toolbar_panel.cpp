// The toolbar: what a teacher presses in front of the class, and the same actions on the keyboard.
#include <GLFW/glfw3.h>

#include <algorithm>
#include <array>
#include <span>

#include <fmt/format.h>

#include "palette.hpp"
#include "panels.hpp"

namespace forkscope::gui {

namespace {

constexpr std::array kSpeeds = {0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0};
constexpr std::array kScales = {1.0, 1.25, 1.5, 1.75, 2.0};

// The next of `steps` above `value` (or below it), else the last (the first).
double step_from(std::span<const double> steps, double value, bool up) {
  if (up) {
    for (double s : steps)
      if (s > value * 1.001) return s;
    return steps.back();
  }
  for (auto s = steps.rbegin(); s != steps.rend(); ++s)
    if (*s < value * 0.999) return *s;
  return steps.front();
}

// The toolbar wraps: the next item stays on this row when `width` still fits, else starts the next row, so at 200 %
// on a small window every button stays on screen.
void next_item(float width, float gap = -1) {
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  ImGui::SameLine(0, gap);
  if (ImGui::GetCursorScreenPos().x + width > right) ImGui::NewLine();
}

float button_width(const std::string& text) { return ImGui::CalcTextSize(text.c_str(), nullptr, true).x + ImGui::GetStyle().FramePadding.x * 2; }

// A toolbar button, placed by next_item (the first of the bar is not).
bool button(const std::string& text, float gap = -1, bool first = false) {
  if (!first) next_item(button_width(text), gap);
  return ImGui::Button(text.c_str());
}

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

double faster(double speed) { return step_from(kSpeeds, speed, true); }
double slower(double speed) { return step_from(kSpeeds, speed, false); }
float larger_scale(float scale) { return static_cast<float>(step_from(kScales, scale, true)); }
float smaller_scale(float scale) { return static_cast<float>(step_from(kScales, scale, false)); }

bool keys_are_shortcuts() {
  if (ImGui::GetIO().WantTextInput) return false;  // typing in the console filter or a path
  // The open dialog (or a list) has the keys while it is open: R must not reset the run behind it.
  return !ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId | ImGuiPopupFlags_AnyPopupLevel);
}

void handle_shortcuts(Ui& ui) {
  const ImGuiIO& io = ImGui::GetIO();
  if (!keys_are_shortcuts()) return;
  auto pressed = [](int key, int other = -1) {
    return ImGui::IsKeyPressed(key, false) || (other >= 0 && ImGui::IsKeyPressed(other, false));
  };
  if (io.KeyCtrl) {
    if (pressed(GLFW_KEY_O)) ui.open_requested = true;
    if (pressed(GLFW_KEY_E) && ui.classroom.shown_schedule()) ui.save_schedule_requested = true;
    if (pressed(GLFW_KEY_S)) ui.export_requested = io.KeyShift ? Export::Timeline : Export::Window;
    // The projector scale: Ctrl+0 resets it, Ctrl+= and Ctrl+- (the keypad's + and - too) change it.
    if (pressed(GLFW_KEY_0, GLFW_KEY_KP_0)) ui.scale = 1;
    if (pressed(GLFW_KEY_EQUAL, GLFW_KEY_KP_ADD)) ui.scale = larger_scale(ui.scale);
    if (pressed(GLFW_KEY_MINUS, GLFW_KEY_KP_SUBTRACT)) ui.scale = smaller_scale(ui.scale);
    return;  // Ctrl+R is not R
  }
  if (pressed(GLFW_KEY_F1) || (io.KeyShift && pressed(GLFW_KEY_SLASH))) ui.keys_shown = true;
  Classroom& c = ui.classroom;
  if (pressed(GLFW_KEY_SPACE)) toggle_run(ui);
  if (pressed(GLFW_KEY_N)) c.step();
  if (pressed(GLFW_KEY_B)) go_back(ui);
  if (pressed(GLFW_KEY_R)) c.reset();
  if (pressed(GLFW_KEY_EQUAL, GLFW_KEY_KP_ADD)) c.set_speed(faster(c.speed()));
  if (pressed(GLFW_KEY_MINUS, GLFW_KEY_KP_SUBTRACT)) c.set_speed(slower(c.speed()));
  if (pressed(GLFW_KEY_F11)) ui.toggle_fullscreen = true;
}

void draw_toolbar(Ui& ui) {
  Classroom& c = ui.classroom;
  const bool running = c.live() && !c.paused();

  if (button(label(ui.tr("toolbar.open"), "open"), -1, true)) ui.open_requested = true;
  tooltip(ui.tr("toolbar.open_tip"));
  ImGui::BeginDisabled(!c.shown_schedule());
  if (button(label(ui.tr("toolbar.save_schedule"), "save_schedule"))) ui.save_schedule_requested = true;
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.save_schedule_tip"));
  ImGui::BeginDisabled(running);
  if (button(label(ui.tr("toolbar.run"), "run"), ui.px(16))) c.run();
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.run_tip"));
  ImGui::BeginDisabled(!running);
  if (button(label(ui.tr("toolbar.pause"), "pause"))) c.pause();
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.pause_tip"));
  if (button(label(ui.tr("toolbar.step"), "step"))) c.step();
  tooltip(ui.tr("toolbar.step_tip"));
  ImGui::BeginDisabled(!c.can_go_back());
  if (button(label(ui.tr("toolbar.back"), "back"))) go_back(ui);
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.back_tip"));

  // Step one chosen process: the one picked on a lane or in the table, or from the list of who waits at the gate.
  const bool can_step_process = c.paused() && c.held_at_gate(ui.selected_pid);
  ImGui::BeginDisabled(!can_step_process);
  if (button(label(ui.tr("toolbar.step_process"), "step_process"))) c.step(ui.selected_pid);
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.step_process_tip"));
  next_item(ui.px(150));
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
  ImGui::BeginDisabled(!c.live() && c.shown() == nullptr);
  if (button(label(ui.tr("toolbar.reset"), "reset"))) c.reset();
  ImGui::EndDisabled();
  tooltip(ui.tr("toolbar.reset_tip"));

  // "Speed" stays with its slider.
  next_item(ImGui::CalcTextSize(ui.tr("toolbar.speed")).x + ImGui::GetStyle().ItemSpacing.x + ui.px(140), ui.px(24));
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(ui.tr("toolbar.speed"));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ui.px(140));
  auto speed = static_cast<float>(c.speed());
  if (ImGui::SliderFloat("##speed", &speed, static_cast<float>(Classroom::kMinSpeed), static_cast<float>(Classroom::kMaxSpeed),
                         "%.1fx", ImGuiSliderFlags_Logarithmic))
    c.set_speed(speed);
  tooltip(ui.tr("toolbar.speed_tip"));

  // The button names the other language, in that language.
  if (button(label(ui.tr("toolbar.other_language"), "language"), ui.px(24)))
    ui.text.set_language(ui.text.language() == "zh" ? "en" : "zh");
  next_item(ui.px(90));
  ImGui::SetNextItemWidth(ui.px(90));
  const std::string scale_text = fmt::format("{:.0f}%", ui.scale * 100);
  if (ImGui::BeginCombo("##scale", scale_text.c_str())) {
    for (double s : kScales)
      if (ImGui::Selectable(fmt::format("{:.0f}%", s * 100).c_str(), s == ui.scale)) ui.scale = static_cast<float>(s);
    ImGui::EndCombo();
  }
  tooltip(ui.tr("toolbar.scale_tip"));
}

}  // namespace forkscope::gui
