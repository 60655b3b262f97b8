#include "ui.hpp"

#include <csignal>
#include <cstring>

#include <fmt/format.h>
#include <imgui.h>

namespace forkscope::gui {

void Playhead::clear() {
  if (run_ == nullptr && cut_of_.model == nullptr) return;  // called every frame a run runs freely
  run_ = nullptr;
  at_ns_.reset();
  cut_ = TraceModel{};
  cut_of_ = CutOf{};
}

const TraceModel& Playhead::model(const RunRecord& run) {
  if (&run != run_ || !at_ns_) return run.model();
  const CutOf wanted{&run.model(), run.model().events().size(), *at_ns_};
  const bool deferred = dragging_ && cut_of_.model == wanted.model && wanted.events > kCutWhileDragging;
  if (wanted != cut_of_ && !deferred) {
    cut_ = run.model().cut(*at_ns_);
    cut_of_ = wanted;
  }
  return cut_;
}

std::string label(const char* text, const char* id) { return fmt::format("{}###{}", text, id); }

std::string signal_name(int signo) {
  if (signo == 15) return "SIGTERM";
  if (signo == 9) return "SIGKILL";
  return fmt::format("signal {}", signo);
}

std::string format_duration(double ns) {
  const double a = std::abs(ns);
  if (a >= 1e9) return fmt::format("{:.3g} s", ns * 1e-9);
  if (a >= 1e6) return fmt::format("{:.3g} ms", ns * 1e-6);
  if (a >= 1e3) return fmt::format("{:.3g} µs", ns * 1e-3);
  return fmt::format("{:.0f} ns", ns);
}

TimeUnit time_unit(double step_ns, double largest_ns) {
  if (step_ns >= 1e8 || std::abs(largest_ns) >= 1e9) return {1e9, "s"};
  if (step_ns >= 1e5) return {1e6, "ms"};
  if (step_ns >= 1e2) return {1e3, "µs"};
  return {1, "ns"};
}

std::string format_time(double ns, double resolution_ns, TimeUnit unit) {
  const int digits = std::clamp(static_cast<int>(std::ceil(-std::log10(resolution_ns / unit.ns) - 1e-9)), 0, 6);
  return fmt::format("{:.{}f} {}", ns / unit.ns, digits, unit.name);
}

std::string exit_text(const ProcessInfo& process) {
  if (!process.exitcode) return {};
  if (*process.exitcode >= 0) return fmt::format("exit {}", *process.exitcode);
  const char* name = sigabbrev_np(-*process.exitcode);
  return name ? fmt::format("SIG{}", name) : fmt::format("signal {}", -*process.exitcode);
}

std::string value_text(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_number_float()) return fmt::format("{:.4g}", value.get<double>());
  return value.dump();
}

const RunRecord* shown_or_hint(const Ui& ui) {
  const RunRecord* shown = ui.classroom.shown();
  if (shown == nullptr) ImGui::TextDisabled("%s", ui.tr("panel.nothing_yet"));
  return shown;
}

bool begin_table(const Ui& ui, const char* id, std::span<const Column> columns) {
  constexpr ImGuiTableFlags kFlags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                     ImGuiTableFlags_Resizable;
  if (!ImGui::BeginTable(id, static_cast<int>(columns.size()), kFlags)) return false;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (const Column& c : columns) ImGui::TableSetupColumn(ui.tr(c.key), ImGuiTableColumnFlags_WidthStretch, c.weight);
  ImGui::TableHeadersRow();
  return true;
}

const char* kind_text(const Ui& ui, ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Lock: return ui.tr("kind.lock");
    case ObjectKind::RLock: return ui.tr("kind.rlock");
    case ObjectKind::Semaphore: return ui.tr("kind.semaphore");
    case ObjectKind::BoundedSemaphore: return ui.tr("kind.bounded_semaphore");
    case ObjectKind::Event: return ui.tr("kind.event");
    case ObjectKind::Condition: return ui.tr("kind.condition");
    case ObjectKind::Queue: return ui.tr("kind.queue");
    case ObjectKind::JoinableQueue: return ui.tr("kind.joinable_queue");
    case ObjectKind::Counter: return ui.tr("kind.counter");
    case ObjectKind::Pipe: return ui.tr("kind.pipe");
    case ObjectKind::Manager: return ui.tr("kind.manager");
    case ObjectKind::Pool: return ui.tr("kind.pool");
    case ObjectKind::Unknown:
    case ObjectKind::Count_: break;
  }
  return ui.tr("kind.unknown");
}

std::string value_text(const Ui& ui, const ObjectInfo& object, std::int64_t value) {
  switch (object.kind) {
    case ObjectKind::Lock:
    case ObjectKind::RLock: return value > 0 ? ui.tr("value.held") : ui.tr("value.free");
    case ObjectKind::Event: return value != 0 ? ui.tr("value.set") : ui.tr("value.clear");
    case ObjectKind::Queue:
    case ObjectKind::JoinableQueue:
    case ObjectKind::Pipe:
      return object.capacity > 0 ? ui.text.format("value.items_of", value, object.capacity) : ui.text.format("value.items", value);
    case ObjectKind::Semaphore:
    case ObjectKind::BoundedSemaphore: return ui.text.format("value.semaphore", value);
    default: return std::to_string(value);
  }
}

}  // namespace forkscope::gui
