// The gate from the viewer's side: modes and speed, who is held, one step at a time and when it has settled,
// schedules replayed (at once, or one step per request), and Back (step_back).
#include <algorithm>
#include <bit>
#include <chrono>
#include <climits>
#include <thread>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/run.hpp"
#include "session/futex.hpp"
#include "session/proc.hpp"

namespace forkscope {

// ---- the gate, from the viewer's side ------------------------------------------------------------------------------

bool Run::all_held() const {
  if (!session_) return false;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (state == SlotState::Exited || waits_for_grant(state)) continue;
    // Waiting for what only another process's step can give (a manager's reply to a request that was a step).
    if (state == SlotState::Blocked && s.wait_timed.load(std::memory_order_relaxed) == 0) continue;
    const pid_t pid = s.pid.load(std::memory_order_acquire);
    if (pid == 0 || !detail::process_ended(pid)) return false;
  }
  return true;
}

GateMode Run::mode() const {
  return session_ ? static_cast<GateMode>(session_->gate().mode.load()) : GateMode::Run;
}

double Run::speed() const {
  return session_ ? std::bit_cast<double>(session_->gate().speed_bits.load()) : options_.speed;
}

void Run::wake_all() {
  GateShared& g = session_->gate();
  g.changes.fetch_add(1, std::memory_order_seq_cst);
  detail::futex_wake(g.changes, INT_MAX);
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) detail::futex_wake(session_->slot(i).grant, INT_MAX);
}

void Run::set_mode(GateMode mode) {
  if (!session_) return;
  if (mode == GateMode::Run) {
    pending_.clear();
    settling_.reset();
  }
  session_->gate().mode.store(static_cast<std::uint32_t>(mode), std::memory_order_seq_cst);
  wake_all();
}

void Run::set_speed(double factor) {
  if (!(factor > 0)) throw UsageError("the speed factor must be above 0");
  if (!session_) return;
  session_->gate().speed_bits.store(std::bit_cast<std::uint64_t>(factor), std::memory_order_relaxed);
  wake_all();
}

std::vector<HeldProcess> Run::held() const {
  std::vector<HeldProcess> out;
  if (!session_) return out;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (!waits_for_grant(state)) continue;
    const std::uint32_t key = s.wait_key.load();
    const bool blocked = state == SlotState::BlockedHeld;
    // A join names its child; other details belong to the gate's own hold (a blocked or sleeping process's slot
    // keeps an older operation's).
    const bool joins = key >= kJoinKeyBase && key - kJoinKeyBase < session_->slots_used();
    std::string detail = joins ? session_->slot(key - kJoinKeyBase).name : state == SlotState::Held ? s.held_detail : "";
    out.push_back(HeldProcess{s.pid.load(), s.name, static_cast<EventKind>(s.held_kind.load()),
                              static_cast<std::uint16_t>(key < kJoinKeyBase ? key : 0), std::move(detail), blocked,
                              blocked && retry_may_succeed(i), blocked && s.wait_timed.load() != 0,
                              state == SlotState::SleepingHeld, s.held_order.load(), i});
  }
  std::sort(out.begin(), out.end(), [](const HeldProcess& a, const HeldProcess& b) { return a.order < b.order; });
  return out;
}

std::string next_operation(const HeldProcess& held, const TraceModel& model) {
  if (held.detail.empty()) return held.object ? fmt::format("{} {}", to_string(held.op), model.object_label(held.object))
                                              : std::string(to_string(held.op));
  switch (held.op) {
    case EventKind::Mark: return held.detail;
    case EventKind::CounterSet: {
      const ObjectInfo* counter = model.object(held.object);
      return fmt::format("{} {}", counter ? counter->name : model.object_label(held.object), held.detail);
    }
    case EventKind::QueuePut: return fmt::format("put {} into {}", held.detail, model.object_label(held.object));
    case EventKind::PipeSend: return fmt::format("send {} on {}", held.detail, model.object_label(held.object));
    default: return fmt::format("{} {}", to_string(held.op), held.detail);
  }
}

void Run::request_step(std::int32_t pid) {
  if (!session_) return;
  if (mode() != GateMode::Step) set_mode(GateMode::Step);
  pending_.push_back(pid);
}

// The process waits for the viewer (held, blocked or asleep while stepping), waits in the kernel (a wait begun while
// running), or has ended. A slot its parent has named but not yet forked has not stopped: that process is being born.
bool Run::stopped(std::uint32_t slot_index) const {
  const ProcessSlot& s = session_->slot(slot_index);
  const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
  if (state != SlotState::Running && state != SlotState::Sleeping) return true;  // a sleeper notices Step mode
  const pid_t pid = s.pid.load(std::memory_order_acquire);
  return pid != 0 && detail::process_ended(pid);
}

// A step has settled once its process has stopped again, and so has every process born during it (a start's child
// runs up to its first operation as part of the step that started it) or woken by it (note_woken). A Python thread's
// lane may run on by itself (a Queue's feeder): it is not waited for.
bool Run::settled(std::uint32_t slot_index) const {
  if (!stopped(slot_index)) return false;
  for (const std::uint32_t i : stood_still_)
    if (!stopped(i)) return false;
  for (std::uint32_t i = born_from_; i < session_->slots_used(); ++i)
    if (session_->slot(i).thread.load(std::memory_order_acquire) == 0 && !stopped(i)) return false;
  return true;
}

bool Run::everyone_stopped() const {
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i)
    if (session_->slot(i).thread.load(std::memory_order_acquire) == 0 && !stopped(i)) return false;
  return true;
}

void Run::wait_for_a_stop(std::uint32_t seen) const {
  detail::futex_wait(session_->gate().stops, seen, 1'000'000);
}

// Held at the gate, asleep while stepping (the grant ends the sleep), or blocked with a timeout (a retry that fails
// times out) or with a retry that may succeed.
bool Run::grantable(std::uint32_t slot_index) const {
  const ProcessSlot& s = session_->slot(slot_index);
  const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
  if (state == SlotState::Held || state == SlotState::SleepingHeld) return true;
  if (state != SlotState::BlockedHeld) return false;
  return s.wait_timed.load(std::memory_order_relaxed) != 0 || retry_may_succeed(slot_index);
}

bool Run::retry_may_succeed(std::uint32_t slot_index) const {
  const ProcessSlot& s = session_->slot(slot_index);
  if (s.ready.load(std::memory_order_acquire)) return true;
  // Blocked in join(): ready once the child has ended, even if it was killed and could not say so.
  const std::uint32_t key = s.wait_key.load();
  if (key >= kJoinKeyBase && key - kJoinKeyBase < session_->slots_used()) {
    const ProcessSlot& child = session_->slot(key - kJoinKeyBase);
    return static_cast<SlotState>(child.state.load()) == SlotState::Exited || detail::process_ended(child.pid.load());
  }
  return false;
}

void Run::grant(std::uint32_t slot_index) {
  ProcessSlot& s = session_->slot(slot_index);
  // Before the process is let go: a child it starts at once must count as born during this step, and a process that
  // stands still now and is woken by it (a manager's reply) runs as part of it.
  born_from_ = session_->slots_used();
  stood_still_.clear();
  for (std::uint32_t i = 0; i < born_from_; ++i)
    if (i != slot_index && session_->slot(i).thread.load(std::memory_order_acquire) == 0 && stopped(i)) stood_still_.push_back(i);
  settling_ = slot_index;
  schedule_.steps.emplace_back(s.name);
  s.ready.store(0, std::memory_order_relaxed);
  s.state.store(static_cast<std::uint32_t>(SlotState::Running), std::memory_order_release);
  s.grant.fetch_add(1, std::memory_order_release);
  detail::futex_wake(s.grant, 1);
}

void Run::try_grant() {
  if (!session_ || mode() != GateMode::Step) return;
  if (settling_) {
    if (!settled(*settling_)) return;  // one step at a time: the last one must reach its next stop first
    settling_.reset();
  }
  const std::uint32_t used = session_->slots_used();
  if (options_.replay) {
    const auto& steps = options_.replay->steps;
    if (replay_at_ >= steps.size()) {
      options_.replay.reset();
      if (!options_.step_after_replay) set_mode(GateMode::Run);
      return;
    }
    const bool guided = options_.replay_step_by_step && replay_at_ >= options_.replay_free_steps;
    if (guided && pending_.empty()) return;  // each step of a guided replay waits for the teacher's N
    if (guided && pending_.front() != 0 && !names(pending_.front(), steps[replay_at_])) {
      options_.replay.reset();  // another process than the schedule's next: the teacher leaves the schedule
      try_grant();
      return;
    }
    for (std::uint32_t i = 0; i < used; ++i)
      if (steps[replay_at_] == session_->slot(i).name && grantable(i)) {
        ++replay_at_;
        if (guided) pending_.erase(pending_.begin());
        grant(i);
        return;
      }
    if (const auto waiting = replay_cannot_go_on(steps[replay_at_]))
      throw UsageError(fmt::format("the schedule's step {} is '{}', but no process has that name and every process waits "
                                   "at the gate ({}): the schedule does not fit this lesson and its parameters",
                                   replay_at_ + 1, steps[replay_at_], *waiting));
    return;
  }
  if (pending_.empty()) return;
  const std::int32_t want = pending_.front();
  std::optional<std::uint32_t> pick;
  for (std::uint32_t i = 0; i < used; ++i) {
    if (!grantable(i)) continue;
    const ProcessSlot& s = session_->slot(i);
    if (want != 0 && s.pid.load() != want) continue;
    if (!pick || s.held_order.load() < session_->slot(*pick).held_order.load()) pick = i;
  }
  if (!pick) return;
  pending_.erase(pending_.begin());
  grant(*pick);
}

bool Run::names(std::int32_t pid, const std::string& name) const {
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i)
    if (session_->slot(i).pid.load() == pid) return session_->slot(i).name == name;
  return false;
}

void Run::replay_through() {
  options_.replay_step_by_step = false;
  options_.step_after_replay = false;
  pending_.clear();
  if (session_ && mode() != GateMode::Step) set_mode(GateMode::Step);  // the replay's steps are granted while stepping
}

// A replayed step names a process that does not exist while every living process waits at the gate: nothing can make
// it appear. Returns who waits, or nothing while some process may still move (or the named one exists).
std::optional<std::string> Run::replay_cannot_go_on(const std::string& name) const {
  std::string waiting;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (state == SlotState::Exited) continue;
    // A slot without a pid is a process being born (its parent named it before fork): it may still arrive.
    const pid_t pid = s.pid.load(std::memory_order_acquire);
    if (pid == 0 && state == SlotState::Running) return std::nullopt;
    if (detail::process_ended(pid)) continue;
    if (s.name == name || !waits_for_grant(state)) return std::nullopt;
    waiting += fmt::format("{}{}", waiting.empty() ? "" : ", ", s.name);
  }
  if (waiting.empty()) return std::nullopt;  // everyone is gone: the run is ending, not stuck
  return waiting;
}

std::string Run::step(std::int32_t pid, double timeout_seconds) {
  const std::size_t before = schedule_.steps.size();
  request_step(pid);
  const auto deadline = detail::Deadline::after_ns(static_cast<std::int64_t>(timeout_seconds * 1e9));
  while (!finished_ && (schedule_.steps.size() == before || settling_)) {
    const std::uint32_t seen = session_->gate().stops.load(std::memory_order_acquire);
    poll();
    if (finished_) break;
    if (settling_ && settled(*settling_)) settling_.reset();
    if (deadline.expired()) {
      pending_.clear();
      throw SystemFailure(pid ? fmt::format("process {} did not reach its next operation within {:.0f} s", pid, timeout_seconds)
                              : fmt::format("no process reached an operation within {:.0f} s", timeout_seconds));
    }
    wait_for_a_stop(seen);
  }
  return schedule_.steps.size() > before ? schedule_.steps[before] : std::string();
}

// ---- replays that stand still, and Back -----------------------------------------------------------------------------

bool Run::finish_replay(double timeout_seconds) {
  const auto deadline = detail::Deadline::after_ns(static_cast<std::int64_t>(timeout_seconds * 1e9));
  while (!finished_) {
    const std::uint32_t seen = session_->gate().stops.load(std::memory_order_acquire);
    poll();
    if (finished_) break;
    if (settling_ && settled(*settling_)) settling_.reset();
    // A guided replay stands where its re-run steps end (Back), waiting for the teacher's next N.
    const bool replayed = !options_.replay || (options_.replay_step_by_step && replay_at_ >= options_.replay_free_steps);
    if (replayed && !settling_ && everyone_stopped()) {
      // Nobody writes now: two passes hand the model every event (the second, with nothing new, has no watermark).
      while (drain() > 0 || drain_.holds_events()) {
      }
      return true;
    }
    if (deadline.expired()) {
      stop();
      throw SystemFailure(fmt::format("the replay of {} did not stand still within {:.0f} s (step {} of {}); it was stopped",
                                      options_.lesson->id, timeout_seconds, replay_at_,
                                      options_.replay ? options_.replay->steps.size() : replay_at_));
    }
    wait_for_a_stop(seen);
  }
  return false;
}

std::unique_ptr<Run> step_back(const Run& run, double timeout_seconds) {
  const std::vector<std::string>& steps = run.schedule().steps;
  if (steps.empty()) throw UsageError("there is no step to go back from: no step was granted yet");
  RunOptions options = run.options();
  options.seed = run.seed();
  options.speed = run.speed();  // as the teacher set it last
  options.start_stepping = true;
  options.step_after_replay = true;
  if (run.replaying() && options.replay_step_by_step) {
    // Back inside a guided replay: the same schedule, its steps before this one re-run at once, the rest still guided.
    options.replay_free_steps = steps.size() - 1;
  } else {
    options.replay = run.schedule();
    options.replay->steps.pop_back();
    options.replay_step_by_step = false;
  }
  auto back = std::make_unique<Run>(std::move(options));
  if (!back->finish_replay(timeout_seconds))
    throw SystemFailure(fmt::format("the replay of {} finished before its {} steps: the lesson does not replay the same way",
                                    run.lesson().id, steps.size() - 1));
  return back;
}

}  // namespace forkscope
