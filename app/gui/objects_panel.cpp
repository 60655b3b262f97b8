// The objects of the shown run as they are now: each lock's holder and waiters, each semaphore's value, each
// queue's items and capacity, each event's flag, each lesson value.
#include <fmt/format.h>

#include "palette.hpp"
#include "panels.hpp"

namespace forkscope::gui {

namespace {
std::string names(const TraceModel& model, const std::vector<std::int32_t>& pids) {
  std::string out;
  for (std::int32_t pid : pids) out += (out.empty() ? "" : ", ") + model.process_label(pid);
  return out;
}
}  // namespace

void draw_objects(Ui& ui) {
  const RunRecord* shown = shown_or_hint(ui);
  if (!shown) return;
  const TraceModel& model = shown->model();
  const Column columns[] = {{"objects.name", 1.2f},   {"objects.kind", 1.6f},    {"objects.value", 1.2f},
                            {"objects.holder", 1.6f}, {"objects.waiters", 2.4f}, {"objects.traffic", 1.6f}};
  if (!begin_table(ui, "objects", columns)) return;
  for (const ObjectInfo& o : model.objects()) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(counter_color(o.kind)), "%s", o.name.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(kind_text(ui, o.kind));
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(value_text(ui, o, o.value()).c_str());
    ImGui::TableNextColumn();
    if ((o.kind == ObjectKind::Lock || o.kind == ObjectKind::RLock) && o.holder != 0 && o.value() > 0)
      ImGui::TextUnformatted(model.process_label(o.holder).c_str());
    ImGui::TableNextColumn();
    if (!o.waiters.empty())
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(state_color(ProcState::BlockedLock)), "%s", names(model, o.waiters).c_str());
    ImGui::TableNextColumn();
    if (o.puts || o.gets) ImGui::TextUnformatted(ui.text.format("objects.puts_gets", o.puts, o.gets).c_str());
  }
  ImGui::EndTable();
}

}  // namespace forkscope::gui
