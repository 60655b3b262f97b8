// The parameter form, built from the lesson's typed parameters: a checkbox for a bool, a slider within the bounds
// for a number. Values cannot change under a live run (it was started with them).
#include <cmath>

#include <fmt/format.h>

#include "panels.hpp"

namespace forkscope::gui {

void draw_params(Ui& ui) {
  Classroom& c = ui.classroom;
  const auto& specs = c.lesson().params;
  if (specs.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", ui.tr(c.program() ? "params.program" : "params.none"));
    ImGui::PopStyleColor();
    return;
  }
  ImGui::BeginDisabled(c.live());
  std::vector<double>& values = c.param_values();
  const float width = ImGui::GetContentRegionAvail().x * 0.55f;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const ParamSpec& spec = specs[i];
    ImGui::PushID(static_cast<int>(i));
    ImGui::SetNextItemWidth(width);
    switch (spec.type) {
      case ParamType::Bool: {
        bool on = values[i] != 0;
        if (ImGui::Checkbox(spec.key.c_str(), &on)) values[i] = on ? 1 : 0;
        break;
      }
      case ParamType::Int: {
        int v = static_cast<int>(std::lround(values[i]));
        if (ImGui::SliderInt(spec.key.c_str(), &v, static_cast<int>(spec.min), static_cast<int>(spec.max), "%d",
                             ImGuiSliderFlags_AlwaysClamp))
          values[i] = v;
        break;
      }
      case ParamType::Float: {
        auto v = static_cast<float>(values[i]);
        if (ImGui::SliderFloat(spec.key.c_str(), &v, static_cast<float>(spec.min), static_cast<float>(spec.max), "%.2f",
                               ImGuiSliderFlags_AlwaysClamp))
          values[i] = v;
        break;
      }
    }
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
      ImGui::SetTooltip("%s", fmt::format("--set {}  ({})", param_assignment(spec, values[i]), spec.allowed()).c_str());
    ImGui::PopID();
  }
  if (ImGui::SmallButton(label(ui.tr("params.defaults"), "defaults").c_str())) c.reset_params();
  ImGui::EndDisabled();
}

}  // namespace forkscope::gui
