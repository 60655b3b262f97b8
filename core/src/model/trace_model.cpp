#include "forkscope/trace_model.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace forkscope {

ProcState blocked_state_for(EventKind kind) {
  switch (kind) {
    case EventKind::LockAcquire: return ProcState::BlockedLock;
    case EventKind::SemAcquire: return ProcState::BlockedSemaphore;
    case EventKind::EventWait: return ProcState::BlockedEvent;
    case EventKind::QueueGet: return ProcState::BlockedQueueGet;
    case EventKind::QueuePut: return ProcState::BlockedQueuePut;
    case EventKind::QueueJoin: return ProcState::BlockedQueueJoin;
    case EventKind::ProcessJoin: return ProcState::BlockedJoin;
    case EventKind::PipeRecv:
    case EventKind::PipePoll: return ProcState::BlockedPipe;
    case EventKind::ConditionWait: return ProcState::BlockedCondition;
    case EventKind::ManagerCall: return ProcState::BlockedManager;
    case EventKind::SocketWait: return ProcState::BlockedSocket;
    case EventKind::ResultGet: return ProcState::BlockedResult;
    case EventKind::MpiCall: return ProcState::BlockedMpi;
    case EventKind::Sleep: return ProcState::Sleeping;
    default: return ProcState::BlockedOther;
  }
}

std::int64_t ProcessInfo::line_at(std::int64_t t_ns) const {
  auto it = std::upper_bound(source_lines.begin(), source_lines.end(), t_ns,
                             [](std::int64_t t, const Sample& s) { return t < s.t_ns; });
  return it == source_lines.begin() ? 0 : std::prev(it)->value;
}

std::optional<StateSpan> ProcessInfo::span_at(std::int64_t t_ns) const {
  auto it = std::upper_bound(spans.begin(), spans.end(), t_ns,
                             [](std::int64_t t, const StateSpan& s) { return t < s.begin_ns; });
  if (it == spans.begin()) return std::nullopt;
  const StateSpan span = *std::prev(it);
  return t_ns < span.end_ns ? std::optional(span) : std::nullopt;
}

std::int64_t ObjectInfo::max_value() const {
  std::int64_t m = samples.empty() ? 0 : samples.front().value;
  for (const Sample& s : samples) m = std::max(m, s.value);
  return m;
}

std::int64_t ObjectInfo::min_value() const {
  std::int64_t m = samples.empty() ? 0 : samples.front().value;
  for (const Sample& s : samples) m = std::min(m, s.value);
  return m;
}

std::int64_t ObjectInfo::value_at(std::int64_t t_ns) const {
  auto it = std::upper_bound(samples.begin(), samples.end(), t_ns,
                             [](std::int64_t t, const Sample& s) { return t < s.t_ns; });
  return it == samples.begin() ? 0 : std::prev(it)->value;
}

TraceModel::TraceModel() : events_(std::make_unique<EventLog>()) { point_lists_at_log(); }

TraceModel::TraceModel(const TraceModel& other)
    : clock_(other.clock_),
      events_(std::make_unique<EventLog>(*other.events_)),
      processes_(other.processes_),
      process_of_lane_(other.process_of_lane_),
      objects_(other.objects_),
      object_index_(other.object_index_),
      flows_(other.flows_),
      lines_(other.lines_),
      texts_(other.texts_),
      transient_texts_(other.transient_texts_),
      result_(other.result_),
      end_ns_(other.end_ns_) {
  point_lists_at_log();
}

TraceModel& TraceModel::operator=(const TraceModel& other) {
  if (this != &other) *this = TraceModel(other);
  return *this;
}

TraceModel::~TraceModel() = default;

void TraceModel::point_lists_at_log() {
  for (ObjectInfo& o : objects_) o.samples.log_ = events_.get();
  flows_.log_ = events_.get();
}

const ProcessInfo* TraceModel::process(std::int32_t pid) const {
  const std::uint32_t lane = events_->find_lane(pid);
  if (lane >= process_of_lane_.size() || process_of_lane_[lane] < 0) return nullptr;
  return &processes_[static_cast<std::size_t>(process_of_lane_[lane])];
}

ProcessInfo* TraceModel::process_mut(std::int32_t pid) { return const_cast<ProcessInfo*>(std::as_const(*this).process(pid)); }

const ObjectInfo* TraceModel::object_named(std::string_view name) const {
  for (const ObjectInfo& o : objects_)
    if (o.name == name) return &o;
  return nullptr;
}

std::string_view TraceModel::text(StringId id) const {
  return texts_.find(id).value_or(std::string_view{});
}

ProcessInfo& TraceModel::process_for(std::int32_t pid, std::int64_t t) { return process_of(events_->lane_of(pid), pid, t); }

ProcessInfo& TraceModel::new_process(std::uint32_t lane, std::int32_t pid, std::int64_t t) {
  if (lane >= process_of_lane_.size()) process_of_lane_.resize(lane + 1, -1);
  process_of_lane_[lane] = static_cast<std::int32_t>(processes_.size());
  ProcessInfo p;
  p.pid = pid;
  p.name = fmt::format("pid {}", pid);
  p.begin_ns = t;
  p.spans.push_back(StateSpan{t, kOpenEnd, ProcState::Running, 0, 0});
  processes_.push_back(std::move(p));
  return processes_.back();
}

// The hold of `lock` its holder has open (its latest): the holder, and the hold's index in its list.
std::optional<std::pair<ProcessInfo*, std::size_t>> TraceModel::open_hold(const ObjectInfo& lock) {
  ProcessInfo* holder = lock.holder == 0 ? nullptr : process_mut(lock.holder);
  if (holder == nullptr) return std::nullopt;
  for (std::size_t i = holder->holds.size(); i-- > 0;)
    if (const HoldSpan h = holder->holds[i]; h.object == lock.id && h.end_ns == kOpenEnd) return std::pair(holder, i);
  return std::nullopt;
}

void TraceModel::end_hold(const ObjectInfo& lock, std::int64_t t) {
  if (const auto open = open_hold(lock)) open->first->holds.end_at(open->second, t);
}

void TraceModel::transition(ProcessInfo& p, std::int64_t t, ProcState state, std::uint16_t object, std::int32_t peer) {
  const StateSpan last = p.spans.back();
  if (last.state == ProcState::Exited) return;  // nothing follows an exit
  t = std::max(t, last.begin_ns);
  if (last.state == state && last.object == object && last.peer == peer) return;
  if (t == last.begin_ns && p.spans.size() > 1) {
    p.spans.replace_back(StateSpan{t, kOpenEnd, state, object, peer});  // a zero-length span says nothing: replace it
    return;
  }
  p.spans.push_back(StateSpan{t, kOpenEnd, state, object, peer});  // the last one ends where this begins
}

void TraceModel::sample(std::uint16_t object, std::int64_t t, std::int64_t value) {
  ObjectInfo* o = object_mut(object);
  if (o == nullptr) return;
  // Events of different processes arrive out of time order; keep the series sorted. Most arrive in order: append.
  if (o->samples.empty() || o->samples.back().t_ns <= t) {
    o->samples.push_back(latest(), value);
    return;
  }
  const auto at = std::upper_bound(o->samples.begin(), o->samples.end(), t,
                                   [](std::int64_t x, const Sample& s) { return x < s.t_ns; });
  o->samples.insert(static_cast<std::size_t>(at - o->samples.begin()), latest(), value);
}

// Queue depth is counted, not reported: every put adds one, every get takes one, in the order their timestamps say
// they took effect. Events of different processes arrive out of order, so a late one shifts the samples after it.
void TraceModel::add_to_series(std::uint16_t object, std::int64_t t, std::int64_t delta) {
  ObjectInfo* o = object_mut(object);
  if (o == nullptr) return;
  if (o->samples.empty() || o->samples.back().t_ns <= t) {  // in order, as most are: nothing after it to shift
    o->samples.push_back(latest(), (o->samples.empty() ? 0 : o->samples.back().value) + delta);
    return;
  }
  const auto at = static_cast<std::size_t>(std::upper_bound(o->samples.begin(), o->samples.end(), t,
                                                            [](std::int64_t x, const Sample& s) { return x < s.t_ns; }) -
                                           o->samples.begin());
  const std::int64_t before = at == 0 ? 0 : o->samples[at - 1].value;
  o->samples.insert(at, latest(), before + delta);
  o->samples.add(at + 1, delta);
}

void TraceModel::ingest(const TraceEvent& event, std::string_view text) {
  TraceEvent e = event;
  e.time = static_cast<std::uint64_t>(std::max<std::int64_t>(clock_.to_ns(event.time), 0));
  ingest_ns(e, text);
}

void TraceModel::ingest_ns(const TraceEvent& event, std::string_view text) {
  TraceEvent e = event;
  // A transient string's id is reused once the viewer has read it (Session::release_string): give it one of our
  // own, so every event keeps its text.
  if (carries_string(e.kind) && (arg_string(e.arg) & kTransientString))
    e.arg = pack_arg(kTransientString | ++transient_texts_, arg_extra(e.arg));
  append(e, text);
}

void TraceModel::append(const TraceEvent& e, std::string_view text) {
  if (events_->size() >= kNoEvent) throw std::length_error("a trace model holds at most 4,294,967,295 events");
  if (carries_string(e.kind)) text = texts_.add(arg_string(e.arg), text);  // from here on, the stored copy
  const std::uint32_t lane = events_->push_back(e);
  end_ns_ = std::max(end_ns_, static_cast<std::int64_t>(e.time));
  apply(e, lane, text);
}

TraceModel TraceModel::cut(std::int64_t t_ns) const {
  // In time order: live events of different processes can arrive out of it (a release read after the acquire that
  // followed it), and the instant's holder must not depend on when the viewer happened to read them.
  std::vector<std::uint32_t> order;
  const EventLog& log = *events_;
  for (std::uint32_t i = 0; i < log.size(); ++i)
    if (static_cast<std::int64_t>(log.time(i)) <= t_ns) order.push_back(i);
  const auto by_time = [&](std::uint32_t a, std::uint32_t b) { return log.time(a) < log.time(b); };
  if (!std::is_sorted(order.begin(), order.end(), by_time)) std::stable_sort(order.begin(), order.end(), by_time);
  TraceModel at;
  at.clock_ = clock_;
  at.transient_texts_ = transient_texts_;
  at.events_->reserve(order.size());
  for (std::uint32_t i : order) {
    const TraceEvent e = log[i];
    at.append(e, carries_string(e.kind) ? text(arg_string(e.arg)) : std::string_view{});
  }
  return at;
}

std::vector<Flow> TraceModel::items_in(std::uint16_t object) const {
  std::vector<Flow> items;
  const ObjectInfo* o = this->object(object);
  if (o == nullptr) return items;
  for (std::uint32_t slot : o->flow_of_item)
    if (slot != 0 && flows_.links_[slot - 1].put != kNoEvent && flows_.links_[slot - 1].get == kNoEvent) items.push_back(flows_[slot - 1]);
  std::stable_sort(items.begin(), items.end(), [](const Flow& a, const Flow& b) { return a.put_ns < b.put_ns; });
  return items;
}

void TraceModel::note_exit(std::int32_t pid, int exitcode, std::int64_t t_ns) {
  // Written as the viewer's own event (pid 0), so a saved trace keeps it.
  ingest_ns(TraceEvent{static_cast<std::uint64_t>(std::max<std::int64_t>(t_ns, 0)), kViewerPid, EventKind::ProcessReaped,
                       Phase::Done, 0, exitcode, static_cast<std::uint64_t>(pid)});
}

// The one switch: what each kind of event means for processes, objects, flows and lines.
void TraceModel::apply(const TraceEvent& e, std::uint32_t lane, std::string_view text) {
  const auto t = static_cast<std::int64_t>(e.time);
  if (e.pid == kViewerPid) {  // the viewer has no lane; it only reports the lesson main's exit
    if (e.kind == EventKind::ProcessReaped) {
      ProcessInfo& main = process_for(static_cast<std::int32_t>(e.arg), t);
      if (!main.exitcode || e.value < 0) main.exitcode = static_cast<int>(e.value);
      if (!main.end_ns) main.end_ns = t;
      transition(main, t, ProcState::Exited);
    }
    return;
  }
  ProcessInfo& p = process_of(lane, e.pid, t);
  const bool want = e.phase == Phase::Want;

  switch (e.kind) {
    case EventKind::ProcessBegin:
      p.name = std::string(text);
      p.ppid = static_cast<std::int32_t>(e.value);
      p.daemon = (arg_extra(e.arg) & kBeginDaemon) != 0;
      p.thread = (arg_extra(e.arg) & kBeginThread) != 0;
      break;
    case EventKind::ProcessEnd:
      if (!p.exitcode) p.exitcode = static_cast<int>(e.value);
      p.end_ns = t;
      transition(p, t, ProcState::Exited);
      break;
    case EventKind::ProcessReaped: {
      const auto child_pid = static_cast<std::int32_t>(e.arg);
      ProcessInfo& child = process_for(child_pid, t);
      child.exitcode = static_cast<int>(e.value);  // the kernel's word is final: -15 after terminate
      if (!child.end_ns) child.end_ns = t;
      transition(child, t, ProcState::Exited);
      // A task still open when its process is gone was cut short (a worker of a terminated pool).
      if (!child.tasks.empty() && child.tasks.back().end_ns == kOpenEnd) {
        child.tasks.back().end_ns = t;
        child.tasks.back().failed = true;
      }
      break;
    }
    case EventKind::ProcessStart: {
      ProcessInfo& child = process_for(static_cast<std::int32_t>(arg_extra(e.arg)), t);
      child.ppid = e.pid;
      child.daemon = e.value != 0;
      if (!text.empty()) child.name = std::string(text);
      break;
    }
    case EventKind::ObjectNew: {
      ObjectInfo o;
      o.id = e.object;
      o.kind = static_cast<ObjectKind>(arg_extra(e.arg));
      o.name = std::string(text);
      o.capacity = e.value;
      o.creator = e.pid;
      o.created_ns = t;
      const bool counts_from_capacity = o.kind == ObjectKind::Semaphore || o.kind == ObjectKind::BoundedSemaphore ||
                                        o.kind == ObjectKind::Counter;
      o.samples.log_ = events_.get();
      o.samples.insert(0, latest(), counts_from_capacity ? e.value : 0);
      if (object_index_.size() <= e.object) object_index_.resize(e.object + 1u, -1);
      object_index_[e.object] = static_cast<std::int32_t>(objects_.size());
      objects_.push_back(std::move(o));
      break;
    }
    case EventKind::GateHeld: transition(p, t, ProcState::Held, e.object); break;
    case EventKind::GateGranted: transition(p, t, ProcState::Running); break;
    case EventKind::SourceLine: p.source_lines.push_back(Sample{t, e.value}); break;
    case EventKind::Sleep: transition(p, t, want ? ProcState::Sleeping : ProcState::Running); break;
    case EventKind::Preempted: transition(p, t, want ? ProcState::Ready : ProcState::Running); break;
    case EventKind::Print:
    case EventKind::Error:
      lines_.push_back(
          PrintedLine{t, e.pid, e.kind == EventKind::Error, e.kind == EventKind::Print && e.value == 1, text});
      if (e.kind == EventKind::Error) p.error = std::string(text);
      break;
    case EventKind::LessonResult:
      result_ = nlohmann::json::parse(text, nullptr, false);
      if (result_.is_discarded()) result_ = nlohmann::json::object();
      break;
    case EventKind::TaskBegin: p.tasks.push_back(TaskSpan{t, kOpenEnd, std::string(text), e.object, false}); break;
    case EventKind::TaskEnd:
      if (!p.tasks.empty() && p.tasks.back().end_ns == kOpenEnd) {
        p.tasks.back().end_ns = t;
        p.tasks.back().failed = e.value != 0;
      }
      break;
    default: break;
  }

  // Blocking operations: Want puts the process in a blocked state, Done or Fail ends it.
  switch (e.kind) {
    case EventKind::LockAcquire:
    case EventKind::SemAcquire:
    case EventKind::EventWait:
    case EventKind::QueueGet:
    case EventKind::QueuePut:
    case EventKind::QueueJoin:
    case EventKind::ProcessJoin:
    case EventKind::PipeRecv:
    case EventKind::PipePoll:
    case EventKind::ConditionWait:
    case EventKind::ManagerCall:
    case EventKind::SocketWait:
    case EventKind::ResultGet:
    case EventKind::MpiCall:
    case EventKind::ManagerServe: {  // Want: the manager's server waits for a request
      ObjectInfo* o = object_mut(e.object);
      if (want) {
        transition(p, t, blocked_state_for(e.kind), e.object, static_cast<std::int32_t>(e.arg));
        if (o) o->waiters.push_back(e.pid);
      } else {
        transition(p, t, ProcState::Running);
        if (o) {  // the first waiter is the likeliest to be done: look from the front, for this one only
          const auto w = std::find(o->waiters.begin(), o->waiters.end(), e.pid);
          if (w != o->waiters.end()) o->waiters.erase(w);
        }
      }
      break;
    }
    default: break;
  }

  if (e.phase != Phase::Done) return;
  // Object counters and flows.
  switch (e.kind) {
    case EventKind::LockAcquire:
      if (ObjectInfo* o = object_mut(e.object)) {
        if (o->holder != e.pid) {  // an RLock taken again by its holder is still the same hold
          end_hold(*o, t);         // a Lock another process released without a trace of it (never, but be safe)
          p.holds.push_back(t, e.object);
        }
        o->holder = e.pid;
      }
      sample(e.object, t, e.value);
      break;
    case EventKind::LockRelease:
      if (ObjectInfo* o = object_mut(e.object); o && e.value == 0) {
        // Any process may release a Lock: the hold that ends is its holder's. Unless the release is older than the
        // holder's acquire: live events of different processes can arrive so (the releaser wrote its event after
        // the next holder wrote its own). That acquire already ended the releaser's hold, at its own later time:
        // the release puts the end where it was, and the lock keeps its new holder.
        const auto open = open_hold(*o);
        if (open && open->first->holds[open->second].begin_ns > t) {
          for (std::size_t i = p.holds.size(); i-- > 0;)
            if (const HoldSpan h = p.holds[i]; h.object == o->id && h.begin_ns <= t && h.end_ns >= t) {
              p.holds.end_at(i, t);
              break;
            }
        } else {
          end_hold(*o, t);
          o->holder = 0;
        }
      }
      sample(e.object, t, e.value);
      break;
    case EventKind::LockRecovered:
      if (ObjectInfo* o = object_mut(e.object)) {
        end_hold(*o, t);
        o->holder = 0;
      }
      break;
    case EventKind::ProcessSignal:
      if (ProcessInfo* target = process_mut(static_cast<std::int32_t>(e.arg)))
        target->signals.push_back(SignalMark{t, static_cast<int>(e.value), e.pid});
      break;
    case EventKind::SemAcquire:
    case EventKind::SemRelease:
    case EventKind::EventSet:
    case EventKind::EventClear:
    case EventKind::CounterSet: sample(e.object, t, e.value); break;
    case EventKind::QueuePut:
    case EventKind::QueueGet:
    case EventKind::PipeSend:
    case EventKind::PipeRecv:
    case EventKind::MpiSend:
    case EventKind::MpiRecv: {
      // A pipe (and an MPI link) is drawn like a queue: messages in flight, and an arrow from each send to its recv.
      const bool put = e.kind == EventKind::QueuePut || e.kind == EventKind::PipeSend || e.kind == EventKind::MpiSend;
      add_to_series(e.object, t, put ? 1 : -1);
      ObjectInfo* o = object_mut(e.object);
      if (o == nullptr || e.arg == 0 || e.arg > events_->size() + kMaxItemLead || e.arg > UINT32_MAX) break;
      ++(put ? o->puts : o->gets);
      if (o->flow_of_item.size() < e.arg) o->flow_of_item.resize(e.arg, 0);
      std::uint32_t& slot = o->flow_of_item[e.arg - 1];  // flows_ index + 1, 0 = none yet
      if (slot == 0) {
        flows_.links_.push_back(FlowList::Link{});
        slot = static_cast<std::uint32_t>(flows_.size());
      }
      FlowList::Link& f = flows_.links_[slot - 1];
      (put ? f.put : f.get) = latest();
      break;
    }
    default: break;
  }
}

std::string TraceModel::object_label(std::uint16_t id) const {
  const ObjectInfo* o = object(id);
  return o ? fmt::format("{} '{}'", to_string(o->kind), o->name) : fmt::format("object #{}", id);
}

std::string TraceModel::process_label(std::int32_t pid) const {
  const ProcessInfo* p = process(pid);
  return p ? fmt::format("{} ({})", p->name, pid) : fmt::format("pid {}", pid);
}

Phrase TraceModel::phrase(const TraceEvent& e) const {
  const std::string obj = object_label(e.object);
  const auto peer = static_cast<std::int32_t>(e.arg);
  const bool want = e.phase == Phase::Want;
  const bool fail = e.phase == Phase::Fail;
  const auto say = [](std::string_view key, auto&&... args) {
    return Phrase{key, {fmt::format("{}", std::forward<decltype(args)>(args))...}};
  };
  // Which of three sentences a blocking operation is: waiting, failed, or done.
  const auto by_phase = [&](std::string_view wait, std::string_view failed, std::string_view done) {
    return want ? wait : fail ? failed : done;
  };
  const auto text_arg = [&] { return std::string(text(arg_string(e.arg))); };
  const auto depth = [&] { return object(e.object) ? object(e.object)->value_at(static_cast<std::int64_t>(e.time)) : 0; };
  switch (e.kind) {
    case EventKind::ProcessBegin: return say(arg_extra(e.arg) & kBeginDaemon ? "op.begin_daemon" : "op.begin", e.value);
    case EventKind::ProcessEnd: return say("op.end", e.value);
    case EventKind::ProcessStart: return say("op.start", process_label(static_cast<std::int32_t>(arg_extra(e.arg))));
    case EventKind::ProcessJoin:
      if (!want && !fail) return say("op.join", process_label(peer), e.value);
      return say(want ? "op.join_want" : "op.join_fail", process_label(peer));
    case EventKind::ProcessSignal:
      if (e.value == 15 || e.value == 9) return say(e.value == 15 ? "op.terminate" : "op.kill", process_label(peer));
      return say("op.signal", e.value, process_label(peer));
    case EventKind::ProcessReaped:
      return say(e.value < 0 ? "op.reaped_signal" : "op.reaped", process_label(peer), e.value < 0 ? -e.value : e.value);
    case EventKind::ObjectNew: return say("op.create", obj);
    case EventKind::LockAcquire: return say(by_phase("op.acquire_want", "op.acquire_fail", "op.acquire"), obj);
    case EventKind::LockRelease: return say("op.release", obj);
    case EventKind::LockRecovered: return say("op.recovered", obj, peer);
    case EventKind::SemAcquire:
      if (!want && !fail) return say("op.sem_acquire", obj, e.value);
      return say(want ? "op.sem_want" : "op.acquire_fail", obj);
    case EventKind::SemRelease: return say("op.sem_release", obj, e.value);
    case EventKind::EventWait:
      return want ? say("op.event_want", obj) : say("op.event_wait", obj, e.value ? "True" : "False");
    case EventKind::EventSet: return say("op.event_set", obj);
    case EventKind::EventClear: return say("op.event_clear", obj);
    case EventKind::QueuePut:
      if (!want && !fail) return say("op.put", e.arg, obj, depth());
      return say(want ? "op.put_want" : "op.put_fail", obj);
    case EventKind::QueueGet:
      if (!want && !fail) return say("op.get", e.arg, obj, depth());
      return say(want ? "op.get_want" : "op.get_fail", obj);
    case EventKind::QueueTaskDone: return say("op.task_done", obj, e.value);
    case EventKind::QueueJoin: return say(want ? "op.queue_join_want" : "op.queue_join", obj);
    case EventKind::CounterSet: return say("op.counter", obj, e.value);
    case EventKind::Sleep:
      return want ? say("op.sleep", fmt::format("{:.2f}", static_cast<double>(e.value) * 1e-9)) : say("op.wake");
    case EventKind::GateHeld: return say("op.held", to_string(static_cast<EventKind>(e.value)));
    case EventKind::GateGranted: return say("op.granted");
    case EventKind::Print: return say("op.print", text_arg());
    case EventKind::Error: return say("op.error", text_arg());
    case EventKind::Mark: return say("op.mark", text_arg());
    case EventKind::LessonResult: return say("op.result", text_arg());
    case EventKind::TaskBegin: return say("op.task_begin", text_arg());
    case EventKind::TaskEnd: return say(e.value ? "op.task_raised" : "op.task_end");
    case EventKind::PipeSend: return say("op.send", e.arg, obj);
    case EventKind::PipeRecv:
      if (!want && !fail) return say("op.recv", e.arg, obj);
      return say(want ? "op.recv_want" : "op.recv_eof", obj);
    case EventKind::PipeClose: return say("op.close", obj);
    case EventKind::PipePoll: return want ? say("op.poll_want", obj) : say("op.poll", obj, e.value ? "True" : "False");
    case EventKind::ManagerCall:
      return want ? say("op.call_want", text_arg()) : say(fail ? "op.call_fail" : "op.call");
    case EventKind::ManagerServe: return want ? say("op.serve_want", obj) : say("op.serve", text_arg(), e.value);
    case EventKind::ConditionWait: return say(by_phase("op.condition_want", "op.condition_fail", "op.condition"), obj);
    case EventKind::ConditionNotify: return say("op.notify", e.value, obj);
    case EventKind::Preempted: return say(want ? "op.ready" : "op.running_again");
    case EventKind::SourceLine: return say("op.line", e.value);
    case EventKind::SocketWait: {
      static constexpr const char* kWant[] = {"op.accept_want", "op.recv_socket_want", "op.connect_want", "op.send_socket_want"};
      const auto op = static_cast<std::size_t>(std::clamp<std::int64_t>(e.value, 0, 3));
      return want ? say(kWant[op]) : say("op.socket_ready");
    }
    case EventKind::ResultGet: return say(by_phase("op.result_want", "op.result_timeout", "op.result_got"), obj);
    case EventKind::MpiCall: {
      const auto op = static_cast<MpiOp>(std::clamp<std::int64_t>(e.value, 0, static_cast<int>(MpiOp::Count_)));
      const std::string call(to_string(op));
      if (!want) return say("op.mpi_returned", call);
      if (e.arg == 0) return say("op.mpi_all_want", call);
      return say(op == MpiOp::Send ? "op.mpi_to_want" : "op.mpi_from_want", call, e.arg - 1);
    }
    case EventKind::MpiSend: return say("op.mpi_sent", e.arg, obj, e.value);
    case EventKind::MpiRecv: return say("op.mpi_received", e.arg, obj, e.value);
    case EventKind::Count_: break;
  }
  return say("op.unknown", to_string(e.kind));
}

std::string TraceModel::describe(const TraceEvent& e) const { return english(phrase(e)); }

}  // namespace forkscope
