// F1 or ?: every key and mouse action on one plate over the window, in the chosen language (the key's name and what
// it does both come from assets/i18n). Esc, F1 or a click closes it.
#include <GLFW/glfw3.h>

#include <fmt/format.h>

#include "panels.hpp"

namespace forkscope::gui {

std::span<const char* const> keys_overlay_rows() {
  static constexpr const char* kRows[] = {"space",  "n",        "b",          "r",        "speed",         "open",
                                          "save_schedule", "export_window", "export_timeline", "scale", "t",
                                          "left_right", "home_end", "esc",  "ctrl_f",  "f11",      "f1",            "wheel",
                                          "drag",   "click_lane", "ruler",    "splitters"};
  return kRows;
}

void draw_keys_overlay(Ui& ui) {
  constexpr const char* kId = "keys_overlay";
  const bool opening = ui.keys_shown && !ImGui::IsPopupOpen(kId);  // the key that opened it must not close it
  if (opening) ImGui::OpenPopup(kId);
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowPos({display.x * 0.5f, display.y * 0.5f}, ImGuiCond_Always, {0.5f, 0.5f});
  ImGui::SetNextWindowSizeConstraints({0, 0}, {display.x * 0.95f, display.y * 0.95f});
  if (!ImGui::BeginPopupModal(kId, nullptr, ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
    ui.keys_shown = false;
    return;
  }
  ImGui::PushFont(ui.fonts.title());
  ImGui::TextUnformatted(ui.tr("keys.title"));
  ImGui::PopFont();
  ImGui::Separator();
  if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
    for (const char* row : keys_overlay_rows()) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextColored({1.0f, 0.84f, 0.3f, 1.0f}, "%s", ui.tr(fmt::format("keycap.{}", row)));
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(ui.tr(fmt::format("keys.{}", row)));
    }
    ImGui::EndTable();
  }
  ImGui::Spacing();
  ImGui::TextDisabled("%s", ui.tr("keys.close"));
  const bool close = !opening && (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false) || ImGui::IsKeyPressed(GLFW_KEY_F1, false) ||
                                  ImGui::IsMouseClicked(ImGuiMouseButton_Left));
  if (close) {
    ImGui::CloseCurrentPopup();
    ui.keys_shown = false;
  }
  ImGui::EndPopup();
}

}  // namespace forkscope::gui
