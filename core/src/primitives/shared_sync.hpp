// The two building blocks every traced primitive stands on, both living in shared memory:
// SharedMutex, a robust process-shared pthread mutex (a holder killed while holding it wedges no one), and
// SharedCondition, a futex sequence word that waiters watch, spinning briefly before they sleep, because waking a
// process on the other CPU costs tens of microseconds on these machines.
#pragma once

#include <pthread.h>

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "session/futex.hpp"

namespace forkscope::detail {

struct SharedMutex {
  pthread_mutex_t native;

  void init();  // once, by the creator, before any other process can see it
  // Returns true when the previous holder died holding it: the mutex was made consistent again and is now ours.
  [[nodiscard]] bool lock();
  void unlock();  // throws ValueError when this process does not hold it
};

struct SharedCondition {
  std::atomic<std::uint32_t> seq{0};       // bumped by every notify
  std::atomic<std::uint32_t> waiters{0};   // registered (spinning or asleep)
  std::atomic<std::uint32_t> sleepers{0};  // inside futex_wait

  // Called with `mutex` held; releases it while waiting and holds it again on return. Returns false when the
  // deadline expired (the caller re-checks its predicate either way). `recovered` is set when re-locking found a
  // dead holder.
  bool wait(SharedMutex& mutex, const Deadline& deadline, bool& recovered);
  // Called with the mutex held.
  void notify_one() { notify(1); }
  void notify_all() { notify(0x7fffffff); }

 private:
  void notify(int how_many);
};

// Spinning before sleeping pays when the other side runs on the other CPU (waking a sleeper costs 20-40 us here)
// and only burns the time that side needs when both share one CPU. So each process learns how long to spin: the
// budget halves after a spin in vain and doubles after one that paid off, between these bounds.
inline constexpr std::int64_t kSpinBudgetMaxNs = 30'000;
inline constexpr std::int64_t kSpinBudgetMinNs = 1'000;
// While spinning, give the CPU away now and then, in case the side we wait for is waiting for it.
inline constexpr std::int64_t kYieldEveryNs = 4'000;

class SpinBudget {
 public:
  [[nodiscard]] static std::int64_t ns() { return budget_; }
  static void paid_off() { budget_ = std::min(budget_ * 2, kSpinBudgetMaxNs); }
  static void in_vain() { budget_ = std::max(budget_ / 2, kSpinBudgetMinNs); }

 private:
  static inline std::int64_t budget_ = kSpinBudgetMaxNs;  // per process: forked children start from their parent's
};

void yield_cpu();

// Spins until `ready()` or `budget_ns` has passed, yielding the CPU now and then. True when ready.
template <class Ready>
bool spin_until(Ready&& ready, std::int64_t budget_ns) {
  const std::int64_t start = monotonic_now_ns();
  std::int64_t next_yield = start + kYieldEveryNs;
  for (int i = 0;; ++i) {
    if (ready()) return true;
    _mm_pause();
    if ((i & 63) != 63) continue;
    const std::int64_t now = monotonic_now_ns();
    if (now - start >= budget_ns) return false;
    if (now >= next_yield) {
      yield_cpu();
      next_yield = now + kYieldEveryNs;
    }
  }
}

// spin_until with the learned budget, and the lesson learned from it.
template <class Ready>
bool spin_adaptively(Ready&& ready) {
  const bool ok = spin_until(ready, SpinBudget::ns());
  ok ? SpinBudget::paid_off() : SpinBudget::in_vain();
  return ok;
}

}  // namespace forkscope::detail
