#include "forkscope/trace_file.hpp"

#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "forkscope/errors.hpp"

namespace forkscope {

namespace {
constexpr char kMagic[8] = {'F', 'S', 'T', 'R', 'A', 'C', 'E', '1'};
}

void save_trace(const TraceModel& model, const nlohmann::json& meta, const std::filesystem::path& file) {
  nlohmann::json header{{"meta", meta}, {"texts", nlohmann::json::object()}};
  for (const auto& [id, text] : model.texts()) header["texts"][std::to_string(id)] = text;
  const std::string head = header.dump();
  const auto head_size = static_cast<std::uint64_t>(head.size());
  const auto count = static_cast<std::uint64_t>(model.events().size());
  std::ofstream out(file, std::ios::binary);
  out.write(kMagic, sizeof kMagic);
  out.write(reinterpret_cast<const char*>(&head_size), sizeof head_size);
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  out.write(reinterpret_cast<const char*>(&count), sizeof count);
  out.write(reinterpret_cast<const char*>(model.events().data()), static_cast<std::streamsize>(count * sizeof(TraceEvent)));
  if (!out) throw SystemFailure(fmt::format("cannot write the trace to {}", file.string()));
}

TraceModel load_trace(const std::filesystem::path& file, nlohmann::json* meta) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot read the trace file {}", file.string()));
  const auto bad = [&] { return UsageError(fmt::format("{} is not a Forkscope trace (or it is truncated)", file.string())); };
  char magic[sizeof kMagic]{};
  std::uint64_t head_size = 0;
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0) throw bad();
  if (!in.read(reinterpret_cast<char*>(&head_size), sizeof head_size) || head_size > (1ull << 31)) throw bad();
  std::string head(head_size, '\0');
  if (!in.read(head.data(), static_cast<std::streamsize>(head_size))) throw bad();
  const nlohmann::json header = nlohmann::json::parse(head, nullptr, false);
  if (header.is_discarded() || !header.contains("texts")) throw bad();
  std::uint64_t count = 0;
  if (!in.read(reinterpret_cast<char*>(&count), sizeof count) || count > (1ull << 32)) throw bad();
  std::vector<TraceEvent> events(count);
  if (!in.read(reinterpret_cast<char*>(events.data()), static_cast<std::streamsize>(count * sizeof(TraceEvent)))) throw bad();

  TraceModel model;
  for (const TraceEvent& e : events) {
    if (static_cast<std::uint8_t>(e.kind) >= static_cast<std::uint8_t>(EventKind::Count_)) throw bad();
    std::string text;
    if (carries_string(e.kind)) text = header["texts"].value(std::to_string(arg_string(e.arg)), "");
    model.ingest_ns(e, text);
  }
  if (meta) *meta = header.value("meta", nlohmann::json::object());
  return model;
}

nlohmann::json chrome_trace(const TraceModel& model) {
  nlohmann::json events = nlohmann::json::array();
  const auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1000.0; };
  const std::int64_t end = model.end_ns();
  for (const ProcessInfo& p : model.processes()) {
    const std::string label = fmt::format("{} ({})", p.name, p.pid);
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", p.pid}, {"args", {{"name", label}}}});
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", p.pid}, {"tid", p.pid}, {"args", {{"name", label}}}});
    for (const StateSpan& s : p.spans) {
      const std::int64_t stop = s.end_ns == kOpenEnd ? std::max(end, s.begin_ns) : s.end_ns;
      if (s.state == ProcState::Exited) continue;
      nlohmann::json args = nlohmann::json::object();
      if (s.object) args["object"] = model.object_label(s.object);
      if (s.peer) args["joins"] = model.process_label(s.peer);
      events.push_back({{"name", to_string(s.state)}, {"cat", "state"}, {"ph", "X"}, {"ts", us(s.begin_ns)},
                        {"dur", us(stop - s.begin_ns)}, {"pid", p.pid}, {"tid", p.pid}, {"args", args}});
    }
  }
  for (const TraceEvent& e : model.events()) {
    // Grants and ready spans are already the state slices above.
    if (e.pid == kViewerPid || e.kind == EventKind::GateGranted || e.kind == EventKind::Preempted) continue;
    const bool line = e.kind == EventKind::Print || e.kind == EventKind::Error;
    events.push_back({{"name", line ? std::string(model.text(arg_string(e.arg))) : model.describe(e)},
                      {"cat", line ? "print" : "op"}, {"ph", "i"}, {"s", "t"}, {"ts", us(static_cast<std::int64_t>(e.time))},
                      {"pid", e.pid}, {"tid", e.pid}});
  }
  for (const ObjectInfo& o : model.objects()) {
    if (o.kind == ObjectKind::Lock || o.kind == ObjectKind::RLock) continue;  // a lock's story is its holder's slices
    const std::string name = fmt::format("{} {}", to_string(o.kind), o.name);
    for (const Sample& s : o.samples)
      events.push_back({{"name", name}, {"ph", "C"}, {"ts", us(s.t_ns)}, {"pid", o.creator}, {"args", {{"value", s.value}}}});
  }
  std::uint64_t flow_id = 0;
  for (const Flow& f : model.flows()) {
    if (!f.complete()) continue;
    ++flow_id;
    const std::string name = fmt::format("{} item #{}", model.object_label(f.object), f.seq);
    events.push_back({{"name", name}, {"cat", "flow"}, {"ph", "s"}, {"id", flow_id}, {"ts", us(f.put_ns)},
                      {"pid", f.put_pid}, {"tid", f.put_pid}});
    events.push_back({{"name", name}, {"cat", "flow"}, {"ph", "f"}, {"bp", "e"}, {"id", flow_id}, {"ts", us(f.get_ns)},
                      {"pid", f.get_pid}, {"tid", f.get_pid}});
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

}  // namespace forkscope
