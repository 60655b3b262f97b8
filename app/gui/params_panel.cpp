// The parameter form, built from the lesson's typed parameters: a checkbox for a bool, a slider within the bounds
// for a number. Values cannot change under a live run (it was started with them).
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "panels.hpp"

namespace forkscope::gui {

std::string explore_finding_text(const Ui& ui, const std::string& lesson_id, const ExploreResult& found) {
  const nlohmann::json& f = found.finding;
  const std::string kind = f.value("kind", std::string());
  const LessonNames& names = ui.names(lesson_id);
  if (kind == "outcome")
    return ui.text.format("explore.why_outcome", names.result(f.value("key", std::string())), value_text(ui, f["got"]),
                          value_text(ui, f["want"]));
  if (kind == "invariant")
    return ui.text.format("explore.why_invariant", names.invariant_with_detail(f.value("key", std::string()), f["values"]));
  if (kind == "exit") return ui.text.format("explore.why_exit", f.value("code", 0));
  if (kind == "stuck" && found.deadlock) return deadlock_text(ui, *found.deadlock);
  return found.why;
}

namespace {
// What a parameter takes, in the chosen language ("an integer from 0 to 100").
std::string allowed_text(const Ui& ui, const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::Bool: return ui.tr("params.allowed_bool");
    case ParamType::Int: return ui.text.format("params.allowed_int", spec.min, spec.max);
    case ParamType::Float: return ui.text.format("params.allowed_float", spec.min, spec.max);
    case ParamType::File: return ui.tr("params.allowed_file");
  }
  return spec.allowed();
}
}  // namespace

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
  std::vector<ParamValue>& values = c.param_values();
  const float width = ImGui::GetContentRegionAvail().x * 0.55f;
  const LessonNames& names = ui.names(c.lesson().id);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const ParamSpec& spec = specs[i];
    // The lesson's word for it; the key, which --set takes, is in the tooltip.
    const std::string name = label(names.param(spec.key).c_str(), spec.key.c_str());
    ImGui::PushID(static_cast<int>(i));
    ImGui::SetNextItemWidth(width);
    switch (spec.type) {
      case ParamType::Bool: {
        bool on = std::get<bool>(values[i]);
        if (ImGui::Checkbox(name.c_str(), &on)) values[i] = on;
        break;
      }
      case ParamType::Int: {
        int v = static_cast<int>(std::get<std::int64_t>(values[i]));
        if (ImGui::SliderInt(name.c_str(), &v, static_cast<int>(spec.min), static_cast<int>(spec.max), "%d",
                             ImGuiSliderFlags_AlwaysClamp))
          values[i] = std::int64_t{v};
        break;
      }
      case ParamType::Float: {
        auto v = static_cast<float>(std::get<double>(values[i]));
        if (ImGui::SliderFloat(name.c_str(), &v, static_cast<float>(spec.min), static_cast<float>(spec.max), "%.2f",
                               ImGuiSliderFlags_AlwaysClamp))
          values[i] = double{v};
        break;
      }
      case ParamType::File: {  // a path, typed; checked (readable) when the run starts, as --set checks it
        std::string& path = std::get<std::string>(values[i]);
        std::array<char, 1024> buffer{};
        path.copy(buffer.data(), buffer.size() - 1);
        if (ImGui::InputTextWithHint(name.c_str(), ui.tr("params.file_hint"), buffer.data(), buffer.size())) path = buffer.data();
        break;
      }
    }
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
      ImGui::SetTooltip("%s", fmt::format("--set {}  ({})", assignment_of(spec, values[i]), allowed_text(ui, spec)).c_str());
    ImGui::PopID();
  }
  if (ImGui::SmallButton(label(ui.tr("params.defaults"), "defaults").c_str())) c.reset_params();
  ImGui::EndDisabled();
  draw_explore(ui);
}

// Find a race: the search's progress, what it found, and the found schedule replayed step by step for the class.
void draw_explore(Ui& ui) {
  Classroom& c = ui.classroom;
  const Explorer* explorer = c.explorer();
  const bool searching = explorer && !explorer->done();
  ImGui::SameLine();
  if (!searching) {
    if (ImGui::SmallButton(label(ui.tr("explore.find"), "explore").c_str())) c.explore();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", ui.text.format("explore.find_tip", Classroom::kExploreBudget).c_str());
  } else if (ImGui::SmallButton(label(ui.tr("explore.stop"), "explore").c_str())) {
    c.stop_exploring();
  }
  if (searching) {
    ImGui::TextDisabled("%s", ui.text.format("explore.progress", explorer->tried(), Classroom::kExploreBudget).c_str());
    return;
  }
  if (!explorer) return;
  const ExploreResult& r = explorer->result();
  if (!r.found) {
    ImGui::TextDisabled("%s", ui.text.format("explore.none", r.tried).c_str());
    return;
  }
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4{1.0f, 0.55f, 0.3f, 1.0f});
  ImGui::TextWrapped("%s", ui.text.format("explore.found", r.tried, r.steps, explore_finding_text(ui, c.lesson().id, r)).c_str());
  ImGui::PopStyleColor();
  if (ImGui::SmallButton(label(ui.tr("explore.replay"), "explore_replay").c_str())) c.replay(*r.schedule, true);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", ui.tr("explore.replay_tip"));
}

}  // namespace forkscope::gui
