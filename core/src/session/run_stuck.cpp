// The viewer's side of runs that nothing can move: a free run every live process of which waits for ever is ended
// and said why (who died, who waits for what, the wait-for cycle); while stepping, that no step can move it is said at
// once and the run goes on.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "forkscope/run.hpp"
#include "session/futex.hpp"
#include "session/proc.hpp"

namespace forkscope {

// ---- a run that nothing can move ------------------------------------------------------------------------------------

// Python hangs for ever when every process waits for something only a dead (or equally waiting) process could give:
// a consumer killed before task_done() while the main waits in q.join(), two locks taken in opposite orders. A
// teaching run says who died and who waits for what, and ends. Stuck means: running freely (not stepping), every
// live lesson process blocked without a timeout, and no event for kStuckAfterNs. While stepping, see
// watch_while_stepping.
void Run::watch_for_stuck(std::size_t events_drained) {
  const std::int64_t now = detail::monotonic_now_ns();
  if (events_drained > 0 || mode() != GateMode::Run) {
    quiet_since_ns_ = 0;
    if (mode() == GateMode::Step) watch_while_stepping();
    return;
  }
  if (now < next_stuck_check_ns_) return;
  next_stuck_check_ns_ = now + 50'000'000;
  bool anyone_waits = false;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (state == SlotState::Exited) continue;
    const bool waits_for_ever = state == SlotState::Blocked && s.wait_timed.load(std::memory_order_relaxed) == 0;
    if (!waits_for_ever && !detail::process_ended(s.pid.load())) {
      quiet_since_ns_ = 0;  // someone can still move
      return;
    }
    anyone_waits |= waits_for_ever && !detail::process_ended(s.pid.load());
  }
  if (!anyone_waits) return;
  if (quiet_since_ns_ == 0) quiet_since_ns_ = now;
  if (now - quiet_since_ns_ < kStuckAfterNs) return;
  deadlock_ = find_deadlock();
  std::string why = deadlock_ ? deadlock_->text : explain_stuck("; the run was ended");
  stop();
  report_.stuck = std::move(why);
  report_.deadlock = deadlock_;
}

// While stepping, nothing moves unless granted, so no quiet second is needed: once every live process is blocked,
// none may retry (its object has not changed, its child has not ended) and none waits with a timeout, no step can move
// the run. Said at once, and the run goes on: the teacher may step back.
void Run::watch_while_stepping() {
  if (!stalled_.empty() || settling_) return;
  const std::uint32_t used = session_->slots_used();
  // The cheap look first (most polls end here): someone held, running or grantable.
  for (std::uint32_t i = 0; i < used; ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (state == SlotState::Exited) continue;
    if (s.pid.load(std::memory_order_acquire) == 0 || state == SlotState::Held || state == SlotState::SleepingHeld)
      return;  // being born, or grantable
    if (state == SlotState::BlockedHeld && s.wait_timed.load(std::memory_order_relaxed) == 0) continue;
    if (!detail::process_ended(s.pid.load())) return;  // running, sleeping, or waiting with a timeout
  }
  bool anyone_waits = false;
  for (std::uint32_t i = 0; i < used; ++i) {
    const ProcessSlot& s = session_->slot(i);
    if (static_cast<SlotState>(s.state.load(std::memory_order_acquire)) != SlotState::BlockedHeld) continue;
    if (detail::process_ended(s.pid.load())) continue;
    if (grantable(i)) return;
    anyone_waits = true;
  }
  if (!anyone_waits) return;  // everyone is gone: the run is ending
  drain(true);  // every live process stands still, so all it wrote is in its ring: the model knows every holder
  deadlock_ = find_deadlock();
  stalled_ = deadlock_ ? deadlock_->text : explain_stuck("");
}

// The wait-for cycle among the live blocked processes: each points to the holder of the lock it waits for, or to the
// child it joins. In slot order, starting at the earliest process of the cycle.
std::optional<Deadlock> Run::find_deadlock() const {
  const std::uint32_t used = session_->slots_used();
  std::unordered_map<std::int32_t, std::uint32_t> slot_of;
  for (std::uint32_t i = 0; i < used; ++i) slot_of[session_->slot(i).pid.load()] = i;
  std::vector<std::optional<WaitEdge>> waits(used);
  std::vector<std::uint32_t> next(used);
  for (std::uint32_t i = 0; i < used; ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    const pid_t pid = s.pid.load();
    if ((state != SlotState::Blocked && state != SlotState::BlockedHeld) || detail::process_ended(pid)) continue;
    const std::uint32_t key = s.wait_key.load();
    WaitEdge edge{.pid = pid, .process = s.name};
    if (key >= kJoinKeyBase) {
      if (key - kJoinKeyBase >= used) continue;
      edge.holder_pid = session_->slot(key - kJoinKeyBase).pid.load();
    } else if (const ObjectInfo* o = model_.object(static_cast<std::uint16_t>(key));
               o && (o->kind == ObjectKind::Lock || o->kind == ObjectKind::RLock)) {
      edge.object = o->id;
      edge.object_name = o->name;
      edge.holder_pid = o->holder;
    }
    const auto holder = slot_of.find(edge.holder_pid);
    if (edge.holder_pid == 0 || holder == slot_of.end()) continue;
    edge.holder = session_->slot(holder->second).name;
    next[i] = holder->second;
    waits[i] = std::move(edge);
  }
  // Each process waits for at most one other: follow the arrows until they end or come back.
  enum Mark : std::uint8_t { kNew, kOnPath, kDone };
  std::vector<Mark> mark(used, kNew);
  for (std::uint32_t start = 0; start < used; ++start) {
    std::vector<std::uint32_t> path;
    std::uint32_t i = start;
    while (waits[i] && mark[i] == kNew) {
      mark[i] = kOnPath;
      path.push_back(i);
      i = next[i];
    }
    const bool closed = waits[i] && mark[i] == kOnPath;
    for (const std::uint32_t p : path) mark[p] = kDone;
    if (!closed) continue;
    auto first = std::find(path.begin(), path.end(), i);
    std::vector<std::uint32_t> ring(first, path.end());
    std::rotate(ring.begin(), std::min_element(ring.begin(), ring.end()), ring.end());
    Deadlock d;
    std::vector<std::string> said;
    for (const std::uint32_t r : ring) {
      const WaitEdge& e = *waits[r];
      said.push_back(e.object ? fmt::format("{} waits to acquire {} held by {}", e.process, model_.object_label(e.object), e.holder)
                              : fmt::format("{} waits in join() for {}", e.process, e.holder));
      d.cycle.push_back(e);
    }
    d.text = fmt::format("deadlock: {}", fmt::join(said, "; "));
    d.t_ns = model_.clock().to_ns(trace_clock());
    return d;
  }
  return std::nullopt;
}

// "Process-4 was killed by SIGKILL; MainProcess waits in join() of JoinableQueue 'q' (2 unfinished) — nothing can
// wake it", then `ending`.
std::string Run::explain_stuck(std::string_view ending) const {
  std::vector<std::string> dead, waiting;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const ProcessSlot& s = session_->slot(i);
    const pid_t pid = s.pid.load();
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    const ProcessInfo* p = model_.process(pid);
    if (state == SlotState::Exited) {  // joined: only a killed one matters here
      if (p && p->exitcode && *p->exitcode < 0) dead.push_back(fmt::format("{} {}", s.name, detail::how_it_ended(*p->exitcode)));
      continue;
    }
    if (detail::process_ended(pid)) {
      const std::optional<int> code = p && p->exitcode ? p->exitcode : detail::zombie_exit_code(pid);
      dead.push_back(fmt::format("{} {}", s.name, code ? detail::how_it_ended(*code) : "ended without a word"));
      continue;
    }
    std::string what = "waits";
    const EventLog& events = model_.events();
    const std::uint32_t lane = events.find_lane(pid);
    for (std::size_t at = events.size(); p != nullptr && at-- > 0;) {  // its latest Want: what it waits for
      if (events.lane(at) != lane) continue;
      const TraceEvent e = events[at];
      if (e.phase != Phase::Want) continue;
      what = model_.describe(e);
      if (const ObjectInfo* o = model_.object(e.object); o && o->holder != 0 && o->holder != pid)
        what += fmt::format(" (held by {})", model_.process_label(o->holder));
      break;
    }
    waiting.push_back(fmt::format("{} {}", s.name, what));
  }
  std::string text = dead.empty() ? "deadlock: every process waits for another" : fmt::format("{}", fmt::join(dead, "; "));
  return fmt::format("{}; {} — nothing can wake {}{}", text, fmt::join(waiting, "; "), waiting.size() == 1 ? "it" : "them",
                     ending);
}

}  // namespace forkscope
