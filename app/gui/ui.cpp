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

namespace {
std::vector<std::string>* g_drawn_texts = nullptr;  // a test's copy of the texts drawn onto draw lists
}  // namespace

void record_drawn_texts(std::vector<std::string>* into) { g_drawn_texts = into; }

void draw_text(ImDrawList* draw, ImVec2 at, ImU32 color, const char* text) {
  if (g_drawn_texts) g_drawn_texts->emplace_back(text);
  draw->AddText(at, color, text);
}

void draw_text(ImDrawList* draw, const ImFont* font, float size, ImVec2 at, ImU32 color, const char* begin, const char* end) {
  if (g_drawn_texts) g_drawn_texts->emplace_back(begin, end);
  draw->AddText(font, size, at, color, begin, end);
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

std::string exit_text(const Ui& ui, const ProcessInfo& process) {
  if (!process.exitcode) return {};
  if (*process.exitcode >= 0) return ui.text.format("exit.code", *process.exitcode);
  const char* name = sigabbrev_np(-*process.exitcode);
  return name ? fmt::format("SIG{}", name) : ui.text.format("exit.signal", -*process.exitcode);
}

const LessonNames& LessonWords::of(std::string_view lesson_id, std::string_view language) {
  const std::string key = fmt::format("{}/{}", language, lesson_id);
  auto it = loaded_.find(key);
  if (it == loaded_.end()) it = loaded_.emplace(key, LessonNames::load(lesson_id, language)).first;
  return it->second;
}

std::string Ui::op_text(EventKind kind) const {
  const std::string key = fmt::format("opname.{}", to_string(kind));
  return text.has(key) ? text(key) : std::string(to_string(kind));
}

std::string next_operation_text(const Ui& ui, const LessonNames& names, const HeldProcess& held, const TraceModel& model) {
  const std::string object = held.object ? object_text(names, model, held.object) : std::string();
  if (held.detail.empty()) return object.empty() ? ui.op_text(held.op) : fmt::format("{} {}", ui.op_text(held.op), object);
  switch (held.op) {
    case EventKind::Mark: return names.mark(held.detail);  // the lesson's own label, in its words
    case EventKind::CounterSet: return fmt::format("{} {}", object, held.detail);
    case EventKind::ProcessJoin: return fmt::format("{} {}", ui.op_text(held.op), names.process(held.detail));  // the child
    case EventKind::QueuePut: return ui.text.format("next.put", held.detail, object);
    case EventKind::PipeSend: return ui.text.format("next.send", held.detail, object);
    default: return fmt::format("{} {}", ui.op_text(held.op), held.detail);
  }
}

std::string object_name(const LessonNames& names, const ObjectInfo& object) {
  return object.kind == ObjectKind::Counter ? names.counter(object.name) : object.name;
}

std::string object_text(const LessonNames& names, const TraceModel& model, std::uint16_t id) {
  const ObjectInfo* o = model.object(id);
  return o ? fmt::format("{} '{}'", to_string(o->kind), object_name(names, *o)) : model.object_label(id);
}

std::string process_text(const LessonNames& names, const TraceModel& model, std::int32_t pid) {
  const ProcessInfo* p = model.process(pid);
  return p ? fmt::format("{} ({})", names.process(p->name), pid) : model.process_label(pid);
}

std::string params_text(const Ui& ui, std::string_view lesson_id, const nlohmann::json& params) {
  const LessonNames& names = ui.names(lesson_id);
  std::string text;
  for (const auto& [key, value] : params.items())
    text += fmt::format("{}{}={}", text.empty() ? "" : " ", names.param(key),
                        value.is_boolean() ? ui.tr(value.get<bool>() ? "param.on" : "param.off") : value_text(value));
  return text;
}

std::string run_label(const Ui& ui, const RunRecord& run) {
  const RunFacts& f = run.facts();
  std::string text = fmt::format("#{} {}", run.number(), f.lesson);  // the id `run` and `explore` take
  if (!f.params.empty()) text += fmt::format(" {}", params_text(ui, f.lesson, f.params));
  if (run.replay_of() > 0) text += fmt::format(" ({} #{})", ui.tr("run.replay"), run.replay_of());
  else if (run.replay_of() < 0) text += fmt::format(" ({})", ui.tr("run.replay"));
  return text;
}

std::string value_text(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_number_float()) return fmt::format("{:.4g}", value.get<double>());
  return value.dump();
}

std::string value_text(const Ui& ui, const nlohmann::json& value) {
  return value.is_boolean() ? ui.tr(value.get<bool>() ? "value.yes" : "value.no") : value_text(value);
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
    case ObjectKind::MpiLink: return ui.tr("kind.mpi_link");
    case ObjectKind::Communicator: return ui.tr("kind.communicator");
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
