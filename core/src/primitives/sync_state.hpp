// The shared-memory state behind each primitive. Plain structs, no pointers: they live in the session arena.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "primitives/shared_sync.hpp"

namespace forkscope::detail {

// Lock and RLock: one futex word holding the holder's pid, 0 when free. Like Python's SemLock it is a count, not
// an owned mutex, so any process may give a Lock back (an RLock checks its owner first). A holder that dies holding
// it is noticed by the waiters (sync.cpp) and the lock taken over.
struct LockState {
  std::atomic<std::uint32_t> holder{0};
  std::atomic<std::uint32_t> sleepers{0};  // inside futex_wait on `holder`
  std::int64_t depth = 0;                  // RLock recursion, changed only by its holder

  [[nodiscard]] bool try_take(pid_t me) {
    std::uint32_t free = 0;
    return holder.compare_exchange_strong(free, static_cast<std::uint32_t>(me), std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  [[nodiscard]] pid_t holder_pid() const { return static_cast<pid_t>(holder.load(std::memory_order_relaxed)); }
  // Frees the lock and wakes a sleeper. Returns the pid that held it, 0 when it was free already.
  std::uint32_t give_back() {
    const std::uint32_t was = holder.exchange(0, std::memory_order_seq_cst);
    if (was != 0 && sleepers.load(std::memory_order_seq_cst) != 0) futex_wake(holder, 1);
    return was;
  }
};

struct SemaphoreState {
  SharedMutex mutex;
  SharedCondition cond;
  std::int64_t value = 0;
  std::int64_t bound = -1;  // BoundedSemaphore's initial value, -1 when unbounded
};

struct EventState {
  SharedMutex mutex;
  SharedCondition cond;
  bool flag = false;
};

struct CounterState {
  SharedMutex mutex;
  std::int64_t value = 0;
};

}  // namespace forkscope::detail
