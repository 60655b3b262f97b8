// The shared-memory state behind each primitive. Plain structs, no pointers: they live in the session arena.
#pragma once

#include <atomic>
#include <cstdint>

#include "shared_sync.hpp"

namespace forkscope::detail {

struct LockState {
  SharedMutex mutex;
  std::atomic<std::int32_t> owner{0};  // pid of the holder, 0 when free
  std::int64_t depth = 0;              // RLock recursion
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
