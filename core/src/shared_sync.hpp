// The two building blocks every traced primitive stands on, both living in shared memory:
// SharedMutex, a robust process-shared pthread mutex (a holder killed while holding it wedges no one), and
// SharedCondition, a futex sequence word that waiters watch, spinning briefly before they sleep, because waking a
// process on the other CPU costs tens of microseconds on these machines.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "futex.hpp"

namespace forkscope::detail {

struct SharedMutex {
  pthread_mutex_t native;

  void init();  // once, by the creator, before any other process can see it
  // Returns true when the previous holder died holding it: the mutex was made consistent again and is now ours.
  [[nodiscard]] bool lock();
  // Same, with a deadline; false in `acquired` when it expired.
  struct TimedResult {
    bool acquired;
    bool recovered;
  };
  [[nodiscard]] TimedResult lock_until(const Deadline& deadline);
  [[nodiscard]] TimedResult try_lock();
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

// How long a waiter spins before it sleeps in the kernel: long enough to cover a busy peer on the other CPU.
inline constexpr std::int64_t kSpinBeforeSleepNs = 30'000;

}  // namespace forkscope::detail
