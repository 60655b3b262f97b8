// Lock, RLock, Semaphore, BoundedSemaphore, Event and Counter. Each operation: pass the gate, try the fast path,
// and only when it must wait record Want, wait (BlockingWait), record Done or Fail. Timestamps are taken while the
// state is still protected (and, after an acquisition, with the ordered clock), so the timeline orders the
// operations on one object exactly as they took effect.
#include "forkscope/sync.hpp"

#include <time.h>

#include "forkscope/errors.hpp"
#include "runtime.hpp"
#include "sync_state.hpp"

namespace forkscope {

using detail::emit_at;
using detail::g_context;

// ---- Lock / RLock -------------------------------------------------------------------------------------------------

Lock::Lock(std::string_view name) : Lock(name, false) {}

Lock::Lock(std::string_view name, bool recursive) : recursive_(recursive) {
  state_ = detail::new_shared_state<detail::LockState>(recursive ? ObjectKind::RLock : ObjectKind::Lock, name, 1, id_);
  state_->mutex.init();
}

bool Lock::acquire(bool block, std::optional<double> timeout) {
  detail::gate_pass(EventKind::LockAcquire, id_);
  detail::LockState& s = *state_;
  const pid_t me = g_context->pid;
  if (s.owner.load(std::memory_order_relaxed) == me) {
    if (recursive_) {
      emit_at(trace_clock(), EventKind::LockAcquire, Phase::Done, id_, ++s.depth, 0);
      return true;
    }
    // Python's Lock is not re-entrant: acquiring it again blocks until the timeout, or forever.
    if (!block) {
      detail::emit(EventKind::LockAcquire, Phase::Fail, id_);
      return false;
    }
    detail::BlockingWait w(EventKind::LockAcquire, id_, id_, timeout);
    const auto nothing_can_free_it = [](const detail::Deadline& d) {
      const std::int64_t ns = d.remaining_ns().value();
      timespec ts{ns / 1'000'000'000, ns % 1'000'000'000};
      nanosleep(&ts, nullptr);
      return false;
    };
    while (w.wait_for(nothing_can_free_it)) {
    }
    detail::emit(EventKind::LockAcquire, Phase::Fail, id_);
    return false;
  }

  detail::SharedMutex::TimedResult r = s.mutex.try_lock();
  if (!r.acquired) {
    if (!block) {
      detail::emit(EventKind::LockAcquire, Phase::Fail, id_);
      return false;
    }
    detail::BlockingWait w(EventKind::LockAcquire, id_, id_, timeout);
    while (!(r = s.mutex.try_lock()).acquired) {
      const bool ok = w.wait_for([&](const detail::Deadline& d) { return (r = s.mutex.lock_until(d)).acquired; });
      if (r.acquired) break;
      if (!ok) {
        detail::emit(EventKind::LockAcquire, Phase::Fail, id_);
        return false;
      }
    }
  }
  const std::uint64_t t = trace_clock_ordered();
  const pid_t previous = s.owner.load(std::memory_order_relaxed);  // we hold the mutex: a plain store suffices
  s.owner.store(me, std::memory_order_relaxed);
  s.depth = 1;
  if (r.recovered) detail::note_recovered(id_, previous);
  emit_at(t, EventKind::LockAcquire, Phase::Done, id_, 1, 0);
  return true;
}

void Lock::release() {
  detail::gate_pass(EventKind::LockRelease, id_);
  detail::LockState& s = *state_;
  if (s.owner.load(std::memory_order_relaxed) != g_context->pid) {
    if (recursive_) throw AssertionError("cannot release un-acquired lock");
    throw ValueError("lock released by a process that does not hold it (or released too many times)");
  }
  if (recursive_ && s.depth > 1) {
    emit_at(trace_clock(), EventKind::LockRelease, Phase::Done, id_, --s.depth, 0);
    return;
  }
  const std::uint64_t t = trace_clock();
  s.depth = 0;
  s.owner.store(0, std::memory_order_relaxed);
  s.mutex.unlock();
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
  detail::gate_pass(EventKind::CounterSet, id_);
  detail::Guard g(state_->mutex, id_);
  state_->value = value;
  const std::uint64_t t = trace_clock_ordered();
  g.unlock();
  emit_at(t, EventKind::CounterSet, Phase::Done, id_, value, 0);
  return value;
}

std::int64_t Counter::add(std::int64_t delta) {
  detail::gate_pass(EventKind::CounterSet, id_);
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
