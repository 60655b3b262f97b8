// Condition: a list of waiters in shared memory next to the user's Lock or RLock. A waiter enrolls while it still
// holds the lock (so a notifier, who must hold the lock too, either sees it or came before it), releases the lock,
// and sleeps until a notify marks its entry; notify marks the oldest entries first. Stepping: the wait is a
// BlockingWait keyed on the condition, so a notify makes the waiter ready, and taking the lock back afterwards is a
// LockAcquire of its own, held at the gate like any other. A waiter killed while waiting keeps its place in the list,
// so a later notify may be spent on it (Python's Condition would wedge its notifier instead).
#include <algorithm>
#include <limits>

#include "forkscope/errors.hpp"
#include "forkscope/lesson_api.hpp"
#include "forkscope/sync.hpp"
#include "session/runtime.hpp"
#include "primitives/sync_state.hpp"

namespace forkscope::detail {

struct ConditionState {
  struct Waiter {
    std::int32_t pid = 0;
    bool notified = false;
  };

  SharedMutex mutex;  // guards the waiter list; never held while waiting for the user's lock
  SharedCondition cond;
  std::uint32_t capacity = 0;  // one entry per lesson process at most: a process waits on one thing at a time
  std::uint32_t count = 0;

  Waiter* waiters() { return reinterpret_cast<Waiter*>(this + 1); }
  Waiter* find(std::int32_t pid) {
    for (std::uint32_t i = 0; i < count; ++i)
      if (waiters()[i].pid == pid) return &waiters()[i];
    return nullptr;
  }
  void enroll(std::int32_t pid) {
    if (count == capacity) throw RuntimeError("too many processes waiting on one Condition");
    waiters()[count++] = Waiter{pid, false};
  }
  // Removes this process's entry; true when a notify had chosen it.
  bool leave(std::int32_t pid) {
    Waiter* w = find(pid);
    const bool notified = w->notified;
    std::copy(w + 1, waiters() + count, w);
    --count;
    return notified;
  }
  // Chooses up to n waiters, oldest first, that no notify has chosen yet. Returns how many.
  std::int64_t choose(std::int64_t n) {
    std::int64_t chosen = 0;
    for (std::uint32_t i = 0; i < count && chosen < n; ++i)
      if (!waiters()[i].notified) {
        waiters()[i].notified = true;
        ++chosen;
      }
    return chosen;
  }
};

}  // namespace forkscope::detail

namespace forkscope {

using detail::g_context;

namespace {
// Python's Condition(lock=None) makes a fresh RLock; ours is named after the condition, "cond lock".
Lock default_lock(std::string_view condition_name) {
  return condition_name.empty() ? RLock() : RLock(std::string(condition_name) + " lock");
}
}  // namespace

Condition::Condition(std::optional<Lock> lock, std::string_view name) : lock_(lock ? *lock : default_lock(name)) {
  detail::ProcessContext& c = detail::context();
  const std::uint32_t capacity = c.session->limits().max_processes;
  void* memory = c.session->allocate(sizeof(detail::ConditionState) + capacity * sizeof(detail::ConditionState::Waiter));
  state_ = new (memory) detail::ConditionState();
  state_->mutex.init();
  state_->capacity = capacity;
  id_ = detail::announce_object(ObjectKind::Condition, name, 0);
}

bool Condition::wait(std::optional<double> timeout) {
  detail::gate_pass(EventKind::ConditionWait, id_);
  detail::LockState& lock = *lock_.state_;
  const pid_t me = g_context->pid;
  if (lock.holder_pid() != me) throw RuntimeError("cannot wait on un-acquired lock");
  detail::ConditionState& s = *state_;
  {
    detail::Guard g(s.mutex, id_);
    s.enroll(me);
  }

  // Release the lock completely, however deep an RLock was taken, as Python's wait() does.
  const std::int64_t depth = lock.depth;
  const std::uint64_t released_at = trace_clock_then_fence();  // before the lock is free: ordered before the next acquire
  lock.depth = 0;
  lock.give_back();
  detail::emit_at(released_at, EventKind::LockRelease, Phase::Done, lock_.id_, 0, 0);
  detail::mark_ready(lock_.id_);

  bool notified = false;
  {
    detail::Guard g(s.mutex, id_);
    if (!s.find(me)->notified) {
      detail::BlockingWait w(EventKind::ConditionWait, id_, id_, timeout);
      while (!s.find(me)->notified && g.wait(w, s.cond)) {
      }
    }
    notified = s.leave(me);
  }

  lock_.acquire();
  lock.depth = depth;  // we hold it again: restore the RLock's recursion level
  detail::emit(EventKind::ConditionWait, notified ? Phase::Done : Phase::Fail, id_);
  return notified;
}

bool Condition::wait_for(const std::function<bool()>& predicate, std::optional<double> timeout) {
  // Python's loop: the timeout covers all the waits together, in lesson seconds.
  const std::optional<double> end = timeout ? std::optional(lesson_time() + *timeout) : std::nullopt;
  bool result = predicate();
  while (!result) {
    std::optional<double> left;
    if (end) {
      left = *end - lesson_time();
      if (*left <= 0) break;
    }
    // A wait that timed out used all that was left (Python would find endtime passed): one last look, then stop.
    // Asking the clock again instead would let a teacher's pause while stepping change what a replay does.
    const bool notified = wait(left);
    result = predicate();
    if (!notified) break;
  }
  return result;
}

void Condition::notify(std::int64_t n) {
  detail::gate_pass(EventKind::ConditionNotify, id_);
  if (lock_.state_->holder_pid() != g_context->pid)
    throw RuntimeError("cannot notify on un-acquired lock");
  detail::ConditionState& s = *state_;
  detail::Guard g(s.mutex, id_);
  const std::int64_t woken = s.choose(n);
  if (woken > 0) s.cond.notify_all();  // each waiter checks its own entry
  const std::uint64_t t = trace_clock_ordered();
  g.unlock();
  detail::emit_at(t, EventKind::ConditionNotify, Phase::Done, id_, woken, 0);
  if (woken > 0) detail::mark_ready(id_);
}

void Condition::notify_all() { notify(std::numeric_limits<std::int64_t>::max()); }

}  // namespace forkscope
