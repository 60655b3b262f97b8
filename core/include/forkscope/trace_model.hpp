// TraceModel: turns trace events into what people look at. Per process: state spans (running, held at the gate,
// blocked on an object, sleeping, exited); per object: its counter over time, holder and waiters; flows (each put
// matched to its get); printed lines. Built from live rings or from a saved trace; the CLI, the GUI and the tests
// all read it. No GUI, no shared memory: events in, facts out.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "forkscope/big_vector.hpp"
#include "forkscope/clock.hpp"
#include "forkscope/event_log.hpp"
#include "forkscope/model_lists.hpp"
#include "forkscope/phrases.hpp"
#include "forkscope/text_table.hpp"
#include "forkscope/trace_event.hpp"

namespace forkscope {

// The state a Want of this kind puts a process in.
[[nodiscard]] ProcState blocked_state_for(EventKind kind);

inline constexpr std::int32_t kViewerPid = 0;  // events the viewer adds itself (the lesson main's exit)
// How far an item's sequence number may run ahead of the events seen: each item is put once, so only puts whose
// events are not in yet (one per process at most, a process killed mid-put) separate the two. Item numbers beyond
// get no flow arrow, and a trace file with one is refused: a number alone must never size the model's memory.
inline constexpr std::uint64_t kMaxItemLead = 1u << 16;

// A unit of work inside a process: a pool task on a worker, a callback on the main process.
struct TaskSpan {
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = kOpenEnd;
  std::string label;
  std::uint16_t object = 0;  // the pool
  bool failed = false;
};

// A signal sent to a process (terminate, kill): when, which, and by whom.
struct SignalMark {
  std::int64_t t_ns = 0;
  int signo = 0;
  std::int32_t from_pid = 0;
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
  HoldList holds;                     // the Locks and RLocks it held, in the order it took them
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
  TraceModel();
  TraceModel(const TraceModel& other);  // its lists read the copy's own log
  TraceModel& operator=(const TraceModel& other);
  // The log stays where it is, so the lists still read it; a model moved from may only be assigned or destroyed.
  TraceModel(TraceModel&&) noexcept = default;
  TraceModel& operator=(TraceModel&&) noexcept = default;
  ~TraceModel();

  void set_clock(const ClockCalibration& clock) { clock_ = clock; }
  [[nodiscard]] const ClockCalibration& clock() const { return clock_; }

  // One event as written (time in ticks); `text` is the string it carries, if carries_string(kind).
  void ingest(const TraceEvent& event, std::string_view text = {});
  // Same, for an event whose time is already in nanoseconds since the origin (a saved trace).
  void ingest_ns(const TraceEvent& event, std::string_view text = {});
  // Room for this many events in all, before ingesting a trace whose size is known (a file).
  void reserve(std::size_t events) { events_->reserve(events); }
  // The viewer reaped the lesson main itself: there is no parent process to write ProcessReaped.
  void note_exit(std::int32_t pid, int exitcode, std::int64_t t_ns);

  [[nodiscard]] const EventLog& events() const { return *events_; }  // time in ns, arrival order
  [[nodiscard]] const std::vector<ProcessInfo>& processes() const { return processes_; }
  [[nodiscard]] const ProcessInfo* process(std::int32_t pid) const;
  [[nodiscard]] const std::vector<ObjectInfo>& objects() const { return objects_; }
  [[nodiscard]] const ObjectInfo* object(std::uint16_t id) const {
    return id < object_index_.size() && object_index_[id] >= 0 ? &objects_[static_cast<std::size_t>(object_index_[id])] : nullptr;
  }
  [[nodiscard]] const ObjectInfo* object_named(std::string_view name) const;
  [[nodiscard]] const FlowList& flows() const { return flows_; }
  [[nodiscard]] const BigVector<PrintedLine>& lines() const { return lines_; }
  [[nodiscard]] const nlohmann::json& result() const { return result_; }
  [[nodiscard]] std::string_view text(StringId id) const;  // the strings events carried
  [[nodiscard]] const TextTable& texts() const { return texts_; }
  [[nodiscard]] std::int64_t end_ns() const { return end_ns_; }  // the latest time seen
  // The items inside a queue (or messages in a pipe) now: put and not yet got, in the order they were put.
  [[nodiscard]] std::vector<Flow> items_in(std::uint16_t object) const;

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
  std::optional<std::pair<ProcessInfo*, std::size_t>> open_hold(const ObjectInfo& lock);
  void end_hold(const ObjectInfo& lock, std::int64_t t);  // its holder lets go
  void sample(std::uint16_t object, std::int64_t t, std::int64_t value);
  void add_to_series(std::uint16_t object, std::int64_t t, std::int64_t delta);
  void apply(const TraceEvent& e, std::uint32_t lane, std::string_view text);
  void append(const TraceEvent& e, std::string_view text);  // an event whose strings are already renumbered
  // The event being applied: every sample and flow an event makes is that event's.
  [[nodiscard]] EventIndex latest() const { return static_cast<EventIndex>(events_->size() - 1); }
  void point_lists_at_log();  // after a copy: every list reads this model's log

  ClockCalibration clock_;
  std::unique_ptr<EventLog> events_;  // on the heap: the lists point at it, and a move must not move it
  std::vector<ProcessInfo> processes_;
  std::vector<std::int32_t> process_of_lane_;  // events_'s lane of a pid -> index into processes_, -1 when none
  std::vector<ObjectInfo> objects_;
  std::vector<std::int32_t> object_index_;  // object id -> index into objects_, -1 when unknown
  FlowList flows_;
  BigVector<PrintedLine> lines_;
  TextTable texts_;
  StringId transient_texts_ = 0;  // transient strings renumbered so far
  nlohmann::json result_ = nlohmann::json::object();
  std::int64_t end_ns_ = 0;
};

}  // namespace forkscope
