// TraceModel: turns trace events into what people look at. Per process: state spans (running, held at the gate,
// blocked on an object, sleeping, exited); per object: its counter over time, holder and waiters; flows (each put
// matched to its get); printed lines. Built from live rings or from a saved trace; the CLI, the GUI and the tests
// all read it. No GUI, no shared memory: events in, facts out.
#pragma once

#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "forkscope/big_vector.hpp"
#include "forkscope/clock.hpp"
#include "forkscope/event_log.hpp"
#include "forkscope/phrases.hpp"
#include "forkscope/text_table.hpp"
#include "forkscope/trace_event.hpp"
#include "forkscope/value_iterator.hpp"

namespace forkscope {

enum class ProcState : std::uint8_t {
  Running,
  Held,  // waiting at the gate for the teacher
  Ready,  // able to run, waiting for a CPU another process holds (measured by computing lesson code: ReadyWatch)
  Sleeping,
  BlockedLock,
  BlockedSemaphore,
  BlockedEvent,
  BlockedQueueGet,
  BlockedQueuePut,
  BlockedQueueJoin,
  BlockedJoin,
  BlockedPipe,       // recv on an empty pipe
  BlockedCondition,  // Condition.wait
  BlockedManager,    // a proxy call waiting for the manager's reply
  BlockedSocket,     // accept, recv, connect or send on a socket that must wait
  BlockedResult,     // AsyncResult.get() of a pool: the result is not there yet
  BlockedMpi,        // an MPI rank inside a call that waits for other ranks (MpiCall)
  BlockedOther,
  Exited,
  Count_
};
[[nodiscard]] std::string_view to_string(ProcState state);
[[nodiscard]] constexpr bool is_blocked(ProcState s) { return s >= ProcState::BlockedLock && s <= ProcState::BlockedOther; }
// The state a Want of this kind puts a process in.
[[nodiscard]] ProcState blocked_state_for(EventKind kind);

inline constexpr std::int32_t kViewerPid = 0;  // events the viewer adds itself (the lesson main's exit)
inline constexpr std::int64_t kOpenEnd = std::numeric_limits<std::int64_t>::max();
// How far an item's sequence number may run ahead of the events seen: each item is put once, so only puts whose
// events are not in yet (one per process at most, a process killed mid-put) separate the two. Item numbers beyond
// get no flow arrow, and a trace file with one is refused: a number alone must never size the model's memory.
inline constexpr std::uint64_t kMaxItemLead = 1u << 16;

struct StateSpan {
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = kOpenEnd;  // kOpenEnd while it lasts
  ProcState state = ProcState::Running;
  std::uint16_t object = 0;  // what it is blocked on or held before
  std::int32_t peer = 0;     // the child it joins
};

// A process's state spans, 8 bytes each: a span ends where the next begins (the last one lasts), so only its begin
// is kept, in 48 bits (78 hours), with its state and, in the 11 bits left, the object. The rare span that does not fit
// (a join's child, the 2,047th object, a later time) is kept whole beside the list. Spans are handed out by value,
// with their end.
class SpanList {
 public:
  [[nodiscard]] std::size_t size() const { return spans_.size(); }
  [[nodiscard]] bool empty() const { return spans_.empty(); }
  [[nodiscard]] StateSpan operator[](std::size_t i) const {
    StateSpan s = unpack(i);
    if (i + 1 < spans_.size()) s.end_ns = unpack(i + 1).begin_ns;
    return s;
  }
  [[nodiscard]] StateSpan back() const { return (*this)[spans_.size() - 1]; }
  [[nodiscard]] StateSpan front() const { return (*this)[0]; }
  using const_iterator = ValueIterator<SpanList, StateSpan>;
  [[nodiscard]] const_iterator begin() const { return {this, 0}; }
  [[nodiscard]] const_iterator end() const { return {this, spans_.size()}; }
  [[nodiscard]] std::reverse_iterator<const_iterator> rbegin() const { return std::make_reverse_iterator(end()); }
  [[nodiscard]] std::reverse_iterator<const_iterator> rend() const { return std::make_reverse_iterator(begin()); }

 private:
  friend class TraceModel;
  // A new span from `begin_ns` (the one before ends there), or the last one replaced.
  void push_back(const StateSpan& s);
  void replace_back(const StateSpan& s);
  [[nodiscard]] StateSpan unpack(std::size_t i) const {  // its end left open
    const std::uint64_t v = spans_[i];
    const auto state = static_cast<ProcState>((v >> kTimeBits) & ((1u << kStateBits) - 1));
    const std::uint64_t object = v >> (kTimeBits + kStateBits);
    if (object == kAside) return aside(i, state);
    return StateSpan{static_cast<std::int64_t>(v & ((std::uint64_t{1} << kTimeBits) - 1)), kOpenEnd, state,
                     static_cast<std::uint16_t>(object), 0};
  }
  [[nodiscard]] StateSpan aside(std::size_t i, ProcState state) const;

  static constexpr unsigned kTimeBits = 48, kStateBits = 5;
  static constexpr std::uint64_t kAside = (std::uint64_t{1} << (64 - kTimeBits - kStateBits)) - 1;  // in the object's bits
  static_assert(static_cast<unsigned>(ProcState::Count_) <= 1u << kStateBits);
  struct Aside {
    std::size_t index;
    std::int64_t begin_ns;
    std::int32_t peer;
    std::uint16_t object;
  };
  BigVector<std::uint64_t> spans_;  // begin_ns | state << 48 | object << 53
  std::vector<Aside> aside_;        // by index: the spans whose object bits say kAside
};

// A unit of work inside a process: a pool task on a worker, a callback on the main process.
struct TaskSpan {
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = kOpenEnd;
  std::string label;
  std::uint16_t object = 0;  // the pool
  bool failed = false;
};

// A lock held by a process, from its acquire to the release that freed it (or its recovery from a dead holder).
struct HoldSpan {
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = kOpenEnd;
  std::uint16_t object = 0;
};

// A signal sent to a process (terminate, kill): when, which, and by whom.
struct SignalMark {
  std::int64_t t_ns = 0;
  int signo = 0;
  std::int32_t from_pid = 0;
};

struct Sample {
  std::int64_t t_ns = 0;
  std::int64_t value = 0;
  friend bool operator==(const Sample&, const Sample&) = default;
};

// An object's counter over time, in time order. A sample is 8 bytes while every value fits 16 bits and every time
// 48 (a lock, a semaphore, a queue's depth): one word each. From the first that does not, two columns, the values
// 32 bits wide (12 bytes a sample), and 64 from the first that needs it (a lesson's sum). Handed out by value.
class SampleList {
 public:
  [[nodiscard]] std::size_t size() const { return width_ == Width::Packed ? packed_.size() : times_.size(); }
  [[nodiscard]] bool empty() const { return size() == 0; }
  [[nodiscard]] Sample operator[](std::size_t i) const {
    if (width_ != Width::Packed) return Sample{times_[i], width_ == Width::Narrow ? narrow_values_[i] : wide_values_[i]};
    const std::uint64_t v = packed_[i];
    return Sample{static_cast<std::int64_t>(v & kTimeMask), static_cast<std::int16_t>(static_cast<std::uint16_t>(v >> kTimeBits))};
  }
  [[nodiscard]] static std::uint64_t pack(Sample s) {  // a sample that fits_packed, as one word
    return static_cast<std::uint64_t>(s.t_ns) | std::uint64_t{static_cast<std::uint16_t>(s.value)} << kTimeBits;
  }
  [[nodiscard]] Sample back() const { return (*this)[size() - 1]; }
  [[nodiscard]] Sample front() const { return (*this)[0]; }
  using const_iterator = ValueIterator<SampleList, Sample>;
  [[nodiscard]] const_iterator begin() const { return {this, 0}; }
  [[nodiscard]] const_iterator end() const { return {this, size()}; }

 private:
  friend class TraceModel;
  void insert(std::size_t at, Sample s);        // at == size(): appended
  void push_back(Sample s) {
    if (width_ == Width::Packed && fits_packed(s))
      packed_.push_back(pack(s));
    else
      insert(size(), s);
  }
  [[nodiscard]] static bool fits_packed(Sample s) {
    return s.t_ns >= 0 && s.t_ns <= static_cast<std::int64_t>(kTimeMask) && s.value >= INT16_MIN && s.value <= INT16_MAX;
  }
  void add(std::size_t from, std::int64_t delta);  // to every value from `from` on
  void widen_for(Sample s);                     // to the width `s` needs, if it is wider
  void set(std::size_t i, std::int64_t value);

  enum class Width : std::uint8_t { Packed, Narrow, Wide };
  static constexpr unsigned kTimeBits = 48;
  static constexpr std::uint64_t kTimeMask = (std::uint64_t{1} << kTimeBits) - 1;
  BigVector<std::uint64_t> packed_;  // Packed: time | value << 48
  BigVector<std::int64_t> times_;    // Narrow and Wide
  BigVector<std::int32_t> narrow_values_;
  BigVector<std::int64_t> wide_values_;
  Width width_ = Width::Packed;
};

struct ProcessInfo {
  std::int32_t pid = 0;
  std::int32_t ppid = 0;
  std::string name;
  bool daemon = false;
  bool thread = false;  // a thread of process `ppid` (a Python program's Queue feeder, Pool handler, own threads)
  std::int64_t begin_ns = 0;
  std::optional<std::int64_t> end_ns;
  std::optional<int> exitcode;  // negative: killed by that signal
  std::string error;            // an uncaught exception, "ValueError: ..."
  SpanList spans;
  std::vector<TaskSpan> tasks;
  std::vector<Sample> source_lines;   // a Python program's: the source line of its operations, as it changed
  BigVector<HoldSpan> holds;        // the Locks and RLocks it held, in the order it took them
  std::vector<SignalMark> signals;    // the signals other processes sent it

  [[nodiscard]] ProcState state() const { return spans.empty() ? ProcState::Running : spans.back().state; }
  [[nodiscard]] std::optional<StateSpan> span_at(std::int64_t t_ns) const;
  [[nodiscard]] std::int64_t line_at(std::int64_t t_ns) const;  // 0: no line known then
};


struct ObjectInfo {
  std::uint16_t id = 0;
  ObjectKind kind = ObjectKind::Unknown;
  std::string name;
  std::int64_t capacity = 0;  // queue maxsize (0: unbounded), initial semaphore or counter value
  std::int32_t creator = 0;
  std::int64_t created_ns = 0;
  SampleList samples;  // the counter: queue depth, semaphore value, event flag, lock held, lesson value
  std::int32_t holder = 0;      // a lock's holder
  std::vector<std::int32_t> waiters;
  std::int64_t puts = 0, gets = 0;  // queues
  std::vector<std::uint32_t> flow_of_item;  // queues: item sequence number - 1 -> index into TraceModel::flows()

  [[nodiscard]] std::int64_t value() const { return samples.empty() ? 0 : samples.back().value; }
  [[nodiscard]] std::int64_t max_value() const;
  [[nodiscard]] std::int64_t min_value() const;
  [[nodiscard]] std::int64_t value_at(std::int64_t t_ns) const;
};

struct Flow {  // 32 bytes: a loop of a million puts has a million of them
  std::uint16_t object = 0;
  std::uint32_t seq = 0;
  std::int32_t put_pid = 0, get_pid = 0;
  std::int64_t put_ns = -1, get_ns = -1;  // -1: not seen (yet)
  [[nodiscard]] bool complete() const { return put_ns >= 0 && get_ns >= 0; }
};

static_assert(sizeof(Flow) == 32);

struct PrintedLine {  // 32 bytes: a loop of a million prints has a million of them
  std::int64_t t_ns = 0;
  std::int32_t pid = 0;
  bool error = false;
  bool stderr_stream = false;  // a Python program's sys.stderr (tracebacks, warnings)
  std::string_view text;       // in the model's texts(): valid while the model (or a copy of it) lives
};
static_assert(sizeof(PrintedLine) == 32);

class TraceModel {
 public:
  void set_clock(const ClockCalibration& clock) { clock_ = clock; }
  [[nodiscard]] const ClockCalibration& clock() const { return clock_; }

  // One event as written (time in ticks); `text` is the string it carries, if carries_string(kind).
  void ingest(const TraceEvent& event, std::string_view text = {});
  // Same, for an event whose time is already in nanoseconds since the origin (a saved trace).
  void ingest_ns(const TraceEvent& event, std::string_view text = {});
  // Room for this many events in all, before ingesting a trace whose size is known (a file).
  void reserve(std::size_t events) { events_.reserve(events); }
  // The viewer reaped the lesson main itself: there is no parent process to write ProcessReaped.
  void note_exit(std::int32_t pid, int exitcode, std::int64_t t_ns);

  [[nodiscard]] const EventLog& events() const { return events_; }  // time in ns, arrival order
  [[nodiscard]] const std::vector<ProcessInfo>& processes() const { return processes_; }
  [[nodiscard]] const ProcessInfo* process(std::int32_t pid) const;
  [[nodiscard]] const std::vector<ObjectInfo>& objects() const { return objects_; }
  [[nodiscard]] const ObjectInfo* object(std::uint16_t id) const {
    return id < object_index_.size() && object_index_[id] >= 0 ? &objects_[static_cast<std::size_t>(object_index_[id])] : nullptr;
  }
  [[nodiscard]] const ObjectInfo* object_named(std::string_view name) const;
  [[nodiscard]] const BigVector<Flow>& flows() const { return flows_; }
  [[nodiscard]] const BigVector<PrintedLine>& lines() const { return lines_; }
  [[nodiscard]] const nlohmann::json& result() const { return result_; }
  [[nodiscard]] std::string_view text(StringId id) const;  // the strings events carried
  [[nodiscard]] const TextTable& texts() const { return texts_; }
  [[nodiscard]] std::int64_t end_ns() const { return end_ns_; }  // the latest time seen
  // The items inside a queue (or messages in a pipe) now: put and not yet got, in the order they were put.
  [[nodiscard]] std::vector<const Flow*> items_in(std::uint16_t object) const;

  // The model as it stood at `t_ns`: built again from exactly the events up to then (in time order, with their
  // texts), so every fact (states, holders, waiters, depths, queue items, lines, counters) is the instant's.
  [[nodiscard]] TraceModel cut(std::int64_t t_ns) const;

  // A short English description of an event ("put 'x' into q (depth 3)"), for text timelines and tooltips.
  // What an event did, in words: the sentence's key and its arguments (phrases.hpp), and that in English.
  [[nodiscard]] Phrase phrase(const TraceEvent& event) const;
  [[nodiscard]] std::string describe(const TraceEvent& event) const;
  [[nodiscard]] std::string object_label(std::uint16_t id) const;
  [[nodiscard]] std::string process_label(std::int32_t pid) const;

 private:
  ProcessInfo& process_for(std::int32_t pid, std::int64_t t);
  ProcessInfo& process_of(std::uint32_t lane, std::int32_t pid, std::int64_t t) {  // pid's lane in events_
    if (lane < process_of_lane_.size() && process_of_lane_[lane] >= 0)
      return processes_[static_cast<std::size_t>(process_of_lane_[lane])];
    return new_process(lane, pid, t);
  }
  ProcessInfo& new_process(std::uint32_t lane, std::int32_t pid, std::int64_t t);  // its lane's first event at t
  ProcessInfo* process_mut(std::int32_t pid);
  ObjectInfo* object_mut(std::uint16_t id) { return const_cast<ObjectInfo*>(std::as_const(*this).object(id)); }
  void transition(ProcessInfo& p, std::int64_t t, ProcState state, std::uint16_t object = 0, std::int32_t peer = 0);
  void end_hold(const ObjectInfo& lock, std::int64_t t);  // its holder lets go
  void sample(std::uint16_t object, std::int64_t t, std::int64_t value);
  void add_to_series(std::uint16_t object, std::int64_t t, std::int64_t delta);
  void apply(const TraceEvent& e, std::uint32_t lane, std::string_view text);
  void append(const TraceEvent& e, std::string_view text);  // an event whose strings are already renumbered

  ClockCalibration clock_;
  EventLog events_;
  std::vector<ProcessInfo> processes_;
  std::vector<std::int32_t> process_of_lane_;  // events_'s lane of a pid -> index into processes_, -1 when none
  std::vector<ObjectInfo> objects_;
  std::vector<std::int32_t> object_index_;  // object id -> index into objects_, -1 when unknown
  BigVector<Flow> flows_;
  BigVector<PrintedLine> lines_;
  TextTable texts_;
  StringId transient_texts_ = 0;  // transient strings renumbered so far
  nlohmann::json result_ = nlohmann::json::object();
  std::int64_t end_ns_ = 0;
};

}  // namespace forkscope
