// Lock, RLock, Semaphore, BoundedSemaphore, Event and Counter. Each operation: pass the gate, try the fast path,
// and only when it must wait record Want, wait (BlockingWait), record Done or Fail. Timestamps are taken while the
// state is still protected (and, after an acquisition, with the ordered clock), so the timeline orders the
// operations on one object exactly as they took effect.
#include "forkscope/sync.hpp"

#include <immintrin.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "session/proc.hpp"
#include "session/runtime.hpp"
#include "primitives/sync_state.hpp"

namespace forkscope {

using detail::emit_at;
using detail::g_context;

// ---- Lock / RLock -------------------------------------------------------------------------------------------------

namespace {

// One attempt: takes the lock if it is free or its holder has ended (then `dead_holder` says who held it).
bool take_or_recover(detail::LockState& s, pid_t me, pid_t& dead_holder) {
  if (s.try_take(me)) return true;
  std::uint32_t holder = s.holder.load(std::memory_order_acquire);
  if (holder == 0 || !detail::process_ended(static_cast<pid_t>(holder))) return false;
  if (!s.holder.compare_exchange_strong(holder, static_cast<std::uint32_t>(me), std::memory_order_acquire,
                                        std::memory_order_relaxed))
    return false;
  dead_holder = static_cast<pid_t>(holder);
  return true;
}

// Waits until the lock is ours or `deadline` (always finite here: a BlockingWait slice) passes. Sleepers look at
// the holder every kLookEveryNs, so a holder killed while holding wedges no one for longer than that.
bool take_until(detail::LockState& s, pid_t me, const detail::Deadline& deadline, pid_t& dead_holder) {
  constexpr std::int64_t kLookEveryNs = 10'000'000;
  for (int i = 0; i < 64; ++i) {  // most waits here are a few hundred nanoseconds, far below a futex round trip
    if (s.try_take(me)) return true;
    _mm_pause();
  }
  while (!s.try_take(me)) {
    const std::uint32_t holder = s.holder.load(std::memory_order_acquire);
    if (holder == 0) continue;
    const std::int64_t left = deadline.remaining_ns(kLookEveryNs).value_or(kLookEveryNs);
    if (left <= 0) return false;
    s.sleepers.fetch_add(1, std::memory_order_seq_cst);
    const int rc = detail::futex_wait(s.holder, holder, left);
    s.sleepers.fetch_sub(1, std::memory_order_seq_cst);
    if (rc == ETIMEDOUT && take_or_recover(s, me, dead_holder)) return true;
  }
  return true;
}

}  // namespace

Lock::Lock(std::string_view name) : Lock(name, false) {}

Lock::Lock(std::string_view name, bool recursive) : recursive_(recursive) {
  state_ = detail::new_shared_state<detail::LockState>(recursive ? ObjectKind::RLock : ObjectKind::Lock, name, 1, id_);
}

bool Lock::acquire(bool block, std::optional<double> timeout) {
  detail::gate_pass(EventKind::LockAcquire, id_);
  detail::LockState& s = *state_;
  const pid_t me = g_context->pid;
  if (recursive_ && s.holder_pid() == me) {
    emit_at(trace_clock(), EventKind::LockAcquire, Phase::Done, id_, ++s.depth, 0);
    return true;
  }
  // A plain Lock taken again by its holder just waits, as in Python: another process may release it.
  pid_t dead_holder = 0;
  if (!s.try_take(me)) {
    if (!block) {
      detail::emit(EventKind::LockAcquire, Phase::Fail, id_);
      return false;
    }
    detail::BlockingWait w(EventKind::LockAcquire, id_, id_, timeout);
    bool acquired = false;
    while (!acquired) {
      const bool in_time =
          w.wait_for([&](const detail::Deadline& d) { return acquired = take_until(s, me, d, dead_holder); });
      // Granted while stepping, or out of time: one more try, which also takes over from a dead holder.
      if (!acquired) acquired = take_or_recover(s, me, dead_holder);
      if (!acquired && !in_time) {
        detail::emit(EventKind::LockAcquire, Phase::Fail, id_);
        return false;
      }
    }
  }
  const std::uint64_t t = trace_clock_ordered();
  s.depth = 1;
  if (dead_holder != 0) detail::note_recovered(id_, dead_holder);
  emit_at(t, EventKind::LockAcquire, Phase::Done, id_, 1, 0);
  return true;
}

void Lock::release() {
  detail::gate_pass(EventKind::LockRelease, id_);
  detail::LockState& s = *state_;
  if (recursive_) {
    if (s.holder_pid() != g_context->pid) throw AssertionError("cannot release un-acquired lock");
    if (s.depth > 1) {
      emit_at(trace_clock(), EventKind::LockRelease, Phase::Done, id_, --s.depth, 0);
      return;
    }
    s.depth = 0;
  }
  // While it is still held, and fenced: the timeline orders it before the next acquire.
  const std::uint64_t t = trace_clock_then_fence();
  if (s.give_back() == 0) throw ValueError("semaphore or lock released too many times");
  emit_at(t, EventKind::LockRelease, Phase::Done, id_, 0, 0);
  detail::mark_ready(id_);
}

// ---- Semaphore / BoundedSemaphore ----------------------------------------------------------------------------------

Semaphore::Semaphore(std::int64_t value, std::string_view name) : Semaphore(value, name, false) {}

Semaphore::Semaphore(std::int64_t value, std::string_view name, bool bounded) {
  if (value < 0) throw ValueError("semaphore initial value must be >= 0");
  state_ = detail::new_shared_state<detail::SemaphoreState>(
      bounded ? ObjectKind::BoundedSemaphore : ObjectKind::Semaphore, name, value, id_);
  state_->mutex.init();
  state_->value = value;
  state_->bound = bounded ? value : -1;
}

bool Semaphore::acquire(bool block, std::optional<double> timeout) {
  detail::gate_pass(EventKind::SemAcquire, id_);
  detail::SemaphoreState& s = *state_;
  detail::Guard g(s.mutex, id_);
  if (s.value == 0) {
    if (!block) {
      g.unlock();
      detail::emit(EventKind::SemAcquire, Phase::Fail, id_);
      return false;
    }
    detail::BlockingWait w(EventKind::SemAcquire, id_, id_, timeout);
    while (s.value == 0) {
      if (!g.wait(w, s.cond)) {
        g.unlock();
        detail::emit(EventKind::SemAcquire, Phase::Fail, id_);
        return false;
      }
    }
  }
  const std::int64_t value = --s.value;
  const std::uint64_t t = trace_clock_ordered();
  g.unlock();
  emit_at(t, EventKind::SemAcquire, Phase::Done, id_, value, 0);
  return true;
}

void Semaphore::release() {
  detail::gate_pass(EventKind::SemRelease, id_);
  detail::SemaphoreState& s = *state_;
  detail::Guard g(s.mutex, id_);
  if (s.bound >= 0 && s.value >= s.bound) throw ValueError("Semaphore released too many times");
  const std::int64_t value = ++s.value;
  s.cond.notify_one();
  const std::uint64_t t = trace_clock_ordered();
  g.unlock();
  emit_at(t, EventKind::SemRelease, Phase::Done, id_, value, 0);
  detail::mark_ready(id_);
}

std::int64_t Semaphore::get_value() const {
  detail::Guard g(state_->mutex, id_);
  return state_->value;
}

// ---- Event -----------------------------------------------------------------------------------------------------

Event::Event(std::string_view name) {
  state_ = detail::new_shared_state<detail::EventState>(ObjectKind::Event, name, 0, id_);
  state_->mutex.init();
}

void Event::set() {
  detail::gate_pass(EventKind::EventSet, id_);
  detail::Guard g(state_->mutex, id_);
  state_->flag = true;
  state_->cond.notify_all();
  const std::uint64_t t = trace_clock_ordered();
  g.unlock();
  emit_at(t, EventKind::EventSet, Phase::Done, id_, 1, 0);
  detail::mark_ready(id_);
}

void Event::clear() {
  detail::gate_pass(EventKind::EventClear, id_);
  detail::Guard g(state_->mutex, id_);
  state_->flag = false;
  const std::uint64_t t = trace_clock_ordered();
  g.unlock();
  emit_at(t, EventKind::EventClear, Phase::Done, id_, 0, 0);
}

bool Event::is_set() const {
  detail::Guard g(state_->mutex, id_);
  return state_->flag;
}

bool Event::wait(std::optional<double> timeout) {
  detail::gate_pass(EventKind::EventWait, id_);
  detail::EventState& s = *state_;
  detail::Guard g(s.mutex, id_);
  if (!s.flag) {
    detail::BlockingWait w(EventKind::EventWait, id_, id_, timeout);
    while (!s.flag && g.wait(w, s.cond)) {
    }
  }
  const bool flag = s.flag;
  const std::uint64_t t = trace_clock_ordered();
  g.unlock();
  emit_at(t, EventKind::EventWait, flag ? Phase::Done : Phase::Fail, id_, flag ? 1 : 0, 0);
  return flag;
}

// ---- Counter ---------------------------------------------------------------------------------------------------

Counter::Counter(std::string_view name, std::int64_t initial) {
  state_ = detail::new_shared_state<detail::CounterState>(ObjectKind::Counter, name, initial, id_);
  state_->mutex.init();
  state_->value = initial;
}

std::int64_t Counter::set(std::int64_t value) {
  detail::gate_pass(EventKind::CounterSet, id_, [&] { return fmt::format("= {}", value); });
  detail::Guard g(state_->mutex, id_);
  state_->value = value;
  const std::uint64_t t = trace_clock_ordered();
  g.unlock();
  emit_at(t, EventKind::CounterSet, Phase::Done, id_, value, 0);
  return value;
}

std::int64_t Counter::add(std::int64_t delta) {
  detail::gate_pass(EventKind::CounterSet, id_, [&] {
    return delta < 0 ? fmt::format("-= {}", 0 - static_cast<std::uint64_t>(delta)) : fmt::format("+= {}", delta);
  });
  detail::Guard g(state_->mutex, id_);
  const std::int64_t value = state_->value += delta;
  const std::uint64_t t = trace_clock_ordered();
  g.unlock();
  emit_at(t, EventKind::CounterSet, Phase::Done, id_, value, 0);
  return value;
}

std::int64_t Counter::value() const {
  detail::Guard g(state_->mutex, id_);
  return state_->value;
}

}  // namespace forkscope
