// The objects of the shown run as they are now, or at the playhead: each lock's holder and waiters, each semaphore's
// value, each queue's items in order (who put each) and capacity, each event's flag, each lesson value.
#include <fmt/format.h>

#include "palette.hpp"
#include "panels.hpp"

namespace forkscope::gui {

namespace {

std::string names_of(const LessonNames& names, const TraceModel& model, const std::vector<std::int32_t>& pids) {
  std::string out;
  for (std::int32_t pid : pids) out += (out.empty() ? "" : ", ") + process_text(names, model, pid);
  return out;
}

// "#3 from Process-2, #4 from Process-1": a queue's items in the order they were put (puts carry no text: their
// sequence number names them).
std::string items_text(const Ui& ui, const LessonNames& names, const TraceModel& model, const ObjectInfo& object) {
  std::string out;
  for (const Flow& f : model.items_in(object.id)) {
    const ProcessInfo* p = model.process(f.put_pid);
    out += (out.empty() ? "" : ", ") +
           ui.text.format("objects.item_from", f.seq, p ? names.process(p->name) : std::to_string(f.put_pid));
  }
  return out;
}

}  // namespace

// The time a panel shows, above its table, when the playhead is set.
void draw_playhead_note(Ui& ui, const RunRecord& shown) {
  if (const std::optional<std::int64_t> at = ui.playhead.at(&shown))
    ImGui::TextColored({0.0f, 0.9f, 1.0f, 1.0f}, "%s", ui.text.format("panel.at_playhead", format_duration(static_cast<double>(*at))).c_str());
}

void ObjectsPanel::draw(Ui& ui) {
  rows_.clear();
  const RunRecord* shown = shown_or_hint(ui);
  if (!shown) return;
  draw_playhead_note(ui, *shown);
  const TraceModel& model = ui.model(*shown);
  const Column columns[] = {{"objects.name", 1.2f},   {"objects.kind", 1.3f},    {"objects.value", 1.1f},
                            {"objects.holder", 1.5f}, {"objects.waiters", 1.8f}, {"objects.items", 3.6f},
                            {"objects.traffic", 1.3f}};
  if (!begin_table(ui, "objects", columns)) return;
  const LessonNames& names = ui.names(shown->facts().lesson);
  for (const ObjectInfo& o : model.objects()) {
    Row row{object_name(names, o), value_text(ui, o, o.value()), {}, names_of(names, model, o.waiters),
            items_text(ui, names, model, o)};
    if ((o.kind == ObjectKind::Lock || o.kind == ObjectKind::RLock) && o.holder != 0 && o.value() > 0)
      row.holder = process_text(names, model, o.holder);
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(counter_color(o.kind)), "%s", row.name.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(kind_text(ui, o.kind));
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(row.value.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(row.holder.c_str());
    ImGui::TableNextColumn();
    if (!row.waiters.empty())
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(state_color(ProcState::BlockedLock)), "%s", row.waiters.c_str());
    ImGui::TableNextColumn();
    ImGui::TextWrapped("%s", row.items.c_str());  // a full queue's items all show: the row grows
    ImGui::TableNextColumn();
    if (o.puts || o.gets) ImGui::TextUnformatted(ui.text.format("objects.puts_gets", o.puts, o.gets).c_str());
    rows_.push_back(std::move(row));
  }
  ImGui::EndTable();
}

}  // namespace forkscope::gui
