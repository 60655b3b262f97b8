#include "forkscope/trace_file.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>

#include "forkscope/atomic_write.hpp"
#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/pid_table.hpp"

namespace forkscope {

namespace {
constexpr char kMagic[8] = {'F', 'S', 'T', 'R', 'A', 'C', 'E', '1'};
constexpr std::size_t kFixedBytes = sizeof kMagic + 2 * sizeof(std::uint64_t);  // magic, header size, event count
constexpr std::uint64_t kMaxCopiedTextBytes = 256ull << 20;
constexpr std::size_t kMaxTraceProcesses = 1u << 16;
constexpr std::size_t kWriteBlock = (1u << 20) / sizeof(TraceEvent);
constexpr std::size_t kReadBlock = (1u << 20) / sizeof(TraceEvent);  // a megabyte: stays in the cache while it is used

std::uint64_t u64_at(std::string_view bytes, std::size_t at) {
  std::uint64_t v = 0;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return v;
}

// The header's strings by id. Every id is a decimal number, every text a string: anything else is refused by name.
std::unordered_map<StringId, std::string> texts_of(const nlohmann::json& header, const std::function<UsageError(std::string_view)>& bad) {
  if (!header.is_object()) throw bad("its header is not a JSON object");
  if (header.contains("meta") && !header["meta"].is_object()) throw bad("its header's \"meta\" is not an object");
  if (!header.contains("texts") || !header["texts"].is_object()) throw bad("its header has no \"texts\" object");
  std::unordered_map<StringId, std::string> texts;
  for (const auto& [key, text] : header["texts"].items()) {
    std::uint32_t id = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (ec != std::errc() || end != key.data() + key.size() || key.empty() || key.front() == '-')
      throw bad("a key of its header's \"texts\" is not a string id (a decimal number below 2^32)");
    if (!text.is_string()) throw bad(fmt::format("its header's text {} is not a string", key));
    texts.emplace(id, text.get<std::string>());
  }
  return texts;
}

// What an event may say in a file: a known kind and phase, and for a queue or pipe item a sequence number no bigger
// than the file can justify (each item is put once, so it is at most the number of events, plus lost puts).
std::optional<std::string> malformed(const TraceEvent& e, std::uint64_t count) {
  if (static_cast<std::uint8_t>(e.kind) >= static_cast<std::uint8_t>(EventKind::Count_))
    return fmt::format("an event has the unknown kind {}", static_cast<int>(e.kind));
  if (static_cast<std::uint8_t>(e.phase) > static_cast<std::uint8_t>(Phase::Fail))
    return fmt::format("an event has the unknown phase {}", static_cast<int>(e.phase));
  if (e.kind == EventKind::ObjectNew && arg_extra(e.arg) >= static_cast<std::uint32_t>(ObjectKind::Count_))
    return fmt::format("an object has the unknown kind {}", arg_extra(e.arg));
  if (e.time > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return fmt::format("an event's time {} ns is out of range", e.time);
  if (carries_item(e.kind, e.phase) && e.arg > count + kMaxItemLead)
    return fmt::format("item number {} in a trace of {} events", e.arg, count);
  return std::nullopt;
}

// JSON written as it is produced, into a buffer handed to `write` a megabyte at a time: a Chrome trace of ten million
// events never exists whole in memory. Commas are placed by nesting level; numbers are the shortest text that reads
// back as the same value; strings are escaped as JSON requires (by nlohmann's serializer when they need it, which
// also replaces bytes that are not UTF-8).
class JsonStream {
 public:
  explicit JsonStream(const WriteBytes& write) : write_(write) { buffer_.reserve(kFlushAt + 4096); }

  void open(char bracket) {
    separate();
    buffer_.push_back(bracket);
    first_.push_back(true);
  }
  void close(char bracket) {
    buffer_.push_back(bracket);
    first_.pop_back();
    if (buffer_.size() >= kFlushAt) flush();
  }
  void key(std::string_view name) {
    separate();
    string(name);
    buffer_.push_back(':');
    after_key_ = true;
  }
  void value(std::string_view text) {
    separate();
    string(text);
  }
  void value(const char* text) { value(std::string_view(text)); }
  template <class Number>
    requires std::is_arithmetic_v<Number>
  void value(Number n) {
    separate();
    fmt::format_to(fmt::appender(buffer_), "{}", n);
  }
  template <class Value>
  void member(std::string_view name, const Value& v) {
    key(name);
    value(v);
  }
  void raw(std::string_view bytes) { append(bytes); }
  void flush() {
    write_(std::string_view(buffer_.data(), buffer_.size()));
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kFlushAt = 1u << 20;

  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) buffer_.push_back(',');
    first_.back() = false;
  }
  void string(std::string_view text) {
    const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
    });
    if (plain) {
      buffer_.push_back('"');
      append(text);
      buffer_.push_back('"');
      return;
    }
    append(nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

  void append(std::string_view bytes) { buffer_.append(bytes.data(), bytes.data() + bytes.size()); }

  const WriteBytes& write_;
  fmt::memory_buffer buffer_;
  std::vector<bool> first_;  // per open object or array: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace

void save_trace(const TraceModel& model, const nlohmann::json& meta, const std::filesystem::path& file) {
  nlohmann::json header{{"meta", meta}, {"texts", nlohmann::json::object()}};
  for (const auto& [id, text] : model.texts()) header["texts"][std::to_string(id)] = std::string(text);
  const std::string head = header.dump();
  const auto head_size = static_cast<std::uint64_t>(head.size());
  const auto count = static_cast<std::uint64_t>(model.events().size());
  const auto bytes_of = [](const auto& value) { return std::string_view(reinterpret_cast<const char*>(&value), sizeof value); };
  write_file_atomically(file, "trace", [&](const WriteBytes& write) {
    write(std::string_view(kMagic, sizeof kMagic));
    write(bytes_of(head_size));
    write(head);
    write(bytes_of(count));
    // The model keeps its events packed: they are written out whole, a megabyte at a time.
    std::vector<TraceEvent> block;
    block.reserve(kWriteBlock);
    for (const TraceEvent& e : model.events()) {
      block.push_back(e);
      if (block.size() == kWriteBlock) {
        write(std::string_view(reinterpret_cast<const char*>(block.data()), block.size() * sizeof(TraceEvent)));
        block.clear();
      }
    }
    write(std::string_view(reinterpret_cast<const char*>(block.data()), block.size() * sizeof(TraceEvent)));
  });
}

void save_chrome_trace(const TraceModel& model, const std::filesystem::path& file) {
  write_file_atomically(file, "Chrome trace", [&](const WriteBytes& write) { write_chrome_trace(model, write); });
}

TraceModel load_trace(const std::filesystem::path& file, nlohmann::json* meta) {
  const auto bad = [&](std::string_view why) { return UsageError(fmt::format("{} is not a Forkscope trace: {}", file.string(), why)); };
  // The events are read a block at a time, straight into TraceEvents, twice: once to check them all, once into the
  // model. The file is never whole in memory (the page cache has it), and nothing is sized by a size or count below
  // before it is checked against the bytes really there.
  const InputFile in(file, "trace file", kMaxTraceFileBytes);
  const std::uint64_t size = in.size();
  char fixed[sizeof kMagic + sizeof(std::uint64_t)] = {};
  in.read(0, fixed, std::min<std::uint64_t>(size, sizeof fixed));
  if (size < sizeof kMagic || std::memcmp(fixed, kMagic, sizeof kMagic) != 0) throw bad("it does not start with FSTRACE1");
  if (size < kFixedBytes) throw bad(fmt::format("it is truncated ({} bytes)", size));
  const std::uint64_t head_size = u64_at(std::string_view(fixed, sizeof fixed), sizeof kMagic);
  if (head_size > size - kFixedBytes)
    throw bad(fmt::format("its header of {} bytes does not fit in its {} bytes", head_size, size));
  std::string head(head_size, '\0');
  in.read(sizeof fixed, head.data(), head.size());
  const nlohmann::json header = parse_json_text(head, fmt::format("the header of {}", file.string()));
  const std::uint64_t events_at = sizeof fixed + head_size + sizeof(std::uint64_t);
  std::uint64_t count = 0;
  in.read(events_at - sizeof count, &count, sizeof count);
  const std::uint64_t event_bytes = size - events_at;
  if (count > event_bytes / sizeof(TraceEvent) || count * sizeof(TraceEvent) != event_bytes)
    throw bad(fmt::format("it says {} events but holds {} bytes of events ({} each)", count, event_bytes, sizeof(TraceEvent)));
  std::vector<TraceEvent> block(std::min<std::uint64_t>(count, kReadBlock));
  const auto for_each_event = [&](const auto& use) {
    for (std::uint64_t first = 0; first < count; first += block.size()) {
      const std::size_t n = std::min<std::uint64_t>(block.size(), count - first);
      in.read(events_at + first * sizeof(TraceEvent), block.data(), n * sizeof(TraceEvent));
      for (std::size_t i = 0; i < n; ++i) use(block[i]);
    }
  };

  const auto texts = texts_of(header, bad);
  // The model copies an event's text (a printed line, a name) and keeps a lane per process: bound both, so that a
  // small file cannot ask for gigabytes by naming one long text a million times, or a million processes.
  std::uint64_t copied_text = 0;
  PidTable pids;
  bool in_time_order = true;
  std::uint64_t last_time = 0;
  for_each_event([&](const TraceEvent& e) {
    if (const auto why = malformed(e, count)) throw bad(*why);
    in_time_order &= e.time >= last_time;
    last_time = e.time;
    if (carries_string(e.kind))
      if (const auto text = texts.find(arg_string(e.arg)); text != texts.end()) copied_text += text->second.size();
    if (copied_text > kMaxCopiedTextBytes)
      throw bad(fmt::format("its events repeat more than {} MiB of text", kMaxCopiedTextBytes >> 20));
    pids.number_of(e.pid);
    if (e.kind == EventKind::ProcessStart) pids.number_of(static_cast<std::int32_t>(arg_extra(e.arg)));  // lanes it names
    if (e.kind == EventKind::ProcessReaped) pids.number_of(static_cast<std::int32_t>(e.arg));
    if (pids.size() > kMaxTraceProcesses) throw bad(fmt::format("it has more than {} processes", kMaxTraceProcesses));
  });

  TraceModel model;
  model.reserve(count);
  const auto ingest = [&](const TraceEvent& e) {
    const auto text = carries_string(e.kind) ? texts.find(arg_string(e.arg)) : texts.end();
    model.ingest_ns(e, text == texts.end() ? std::string_view{} : std::string_view(text->second));
  };
  if (in_time_order) {  // as every file Forkscope saves
    for_each_event(ingest);
  } else {
    // Once, in time order: the model then appends instead of inserting into the middle of every series (quadratic).
    // Stable, so events with equal times keep the order they were saved in.
    std::vector<TraceEvent> events(count);
    in.read(events_at, events.data(), event_bytes);
    std::stable_sort(events.begin(), events.end(), [](const TraceEvent& a, const TraceEvent& b) { return a.time < b.time; });
    for (const TraceEvent& e : events) ingest(e);
  }
  if (meta) *meta = header.value("meta", nlohmann::json::object());
  return model;
}

void write_chrome_trace(const TraceModel& model, const WriteBytes& write) {
  JsonStream out(write);
  const auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1000.0; };
  const std::int64_t end = model.end_ns();
  out.open('{');
  out.key("traceEvents");
  out.open('[');
  for (const ProcessInfo& p : model.processes()) {
    const std::string label = fmt::format("{} ({})", p.name, p.pid);
    for (const bool thread : {false, true}) {
      out.open('{');
      out.member("name", thread ? "thread_name" : "process_name");
      out.member("ph", "M");
      out.member("pid", p.pid);
      if (thread) out.member("tid", p.pid);
      out.key("args");
      out.open('{');
      out.member("name", label);
      out.close('}');
      out.close('}');
    }
    for (const StateSpan& s : p.spans) {
      const std::int64_t stop = s.end_ns == kOpenEnd ? std::max(end, s.begin_ns) : s.end_ns;
      if (s.state == ProcState::Exited) continue;
      out.open('{');
      out.member("name", to_string(s.state));
      out.member("cat", "state");
      out.member("ph", "X");
      out.member("ts", us(s.begin_ns));
      out.member("dur", us(stop - s.begin_ns));
      out.member("pid", p.pid);
      out.member("tid", p.pid);
      out.key("args");
      out.open('{');
      if (s.object) out.member("object", model.object_label(s.object));
      if (s.peer) out.member("joins", model.process_label(s.peer));
      out.close('}');
      out.close('}');
    }
  }
  for (const TraceEvent& e : model.events()) {
    // Grants and ready spans are already the state slices above.
    if (e.pid == kViewerPid || e.kind == EventKind::GateGranted || e.kind == EventKind::Preempted) continue;
    const bool line = e.kind == EventKind::Print || e.kind == EventKind::Error;
    out.open('{');
    if (line)
      out.member("name", model.text(arg_string(e.arg)));
    else
      out.member("name", model.describe(e));
    out.member("cat", line ? "print" : "op");
    out.member("ph", "i");
    out.member("s", "t");
    out.member("ts", us(static_cast<std::int64_t>(e.time)));
    out.member("pid", e.pid);
    out.member("tid", e.pid);
    out.close('}');
  }
  for (const ObjectInfo& o : model.objects()) {
    if (o.kind == ObjectKind::Lock || o.kind == ObjectKind::RLock) continue;  // a lock's story is its holder's slices
    const std::string name = fmt::format("{} {}", to_string(o.kind), o.name);
    for (const Sample& s : o.samples) {
      out.open('{');
      out.member("name", name);
      out.member("ph", "C");
      out.member("ts", us(s.t_ns));
      out.member("pid", o.creator);
      out.key("args");
      out.open('{');
      out.member("value", s.value);
      out.close('}');
      out.close('}');
    }
  }
  std::uint64_t flow_id = 0;
  for (const Flow& f : model.flows()) {
    if (!f.complete()) continue;
    ++flow_id;
    const std::string name = fmt::format("{} item #{}", model.object_label(f.object), f.seq);
    for (const bool start : {true, false}) {
      out.open('{');
      out.member("name", name);
      out.member("cat", "flow");
      out.member("ph", start ? "s" : "f");
      if (!start) out.member("bp", "e");
      out.member("id", flow_id);
      out.member("ts", us(start ? f.put_ns : f.get_ns));
      out.member("pid", start ? f.put_pid : f.get_pid);
      out.member("tid", start ? f.put_pid : f.get_pid);
      out.close('}');
    }
  }
  out.close(']');
  out.member("displayTimeUnit", "ms");
  out.close('}');
  out.raw("\n");
  out.flush();
}

nlohmann::json chrome_trace(const TraceModel& model) {
  std::string text;
  write_chrome_trace(model, [&](std::string_view bytes) { text += bytes; });
  return nlohmann::json::parse(text);
}

}  // namespace forkscope
