#include "primitives/shared_sync.hpp"

#include <immintrin.h>

#include <sched.h>

#include <cerrno>

#include "forkscope/errors.hpp"

namespace forkscope::detail {

void SharedMutex::init() {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  const int rc = pthread_mutex_init(&native, &attr);
  pthread_mutexattr_destroy(&attr);
  if (rc != 0) throw_system("pthread_mutex_init for a shared lock", rc);
}

namespace {
// EOWNERDEAD: we own it now, but must declare the state consistent or the mutex becomes unusable for everyone.
bool recover(pthread_mutex_t& m, int rc, const char* what) {
  if (rc == 0) return false;
  if (rc == EOWNERDEAD) {
    pthread_mutex_consistent(&m);
    return true;
  }
  throw_system(what, rc);
}
}  // namespace

bool SharedMutex::lock() {
  // A short spin on trylock first: most waits here are a few hundred nanoseconds, far below a futex round trip.
  for (int i = 0; i < 64; ++i) {
    const int rc = pthread_mutex_trylock(&native);
    if (rc != EBUSY) return recover(native, rc, "locking a shared mutex");
    _mm_pause();
  }
  return recover(native, pthread_mutex_lock(&native), "locking a shared mutex");
}

void SharedMutex::unlock() {
  const int rc = pthread_mutex_unlock(&native);
  if (rc == EPERM) throw ValueError("release of a lock that this process does not hold");
  if (rc != 0) throw_system("unlocking a shared mutex", rc);
}

bool SharedCondition::wait(SharedMutex& mutex, const Deadline& deadline, bool& recovered) {
  const std::uint32_t seen = seq.load(std::memory_order_acquire);
  waiters.fetch_add(1, std::memory_order_seq_cst);
  mutex.unlock();

  bool expired = false;
  // Spin first: a peer on the other CPU usually notifies within microseconds.
  const bool changed = spin_adaptively([&] { return seq.load(std::memory_order_acquire) != seen; });
  if (!changed) {
    sleepers.fetch_add(1, std::memory_order_seq_cst);
    while (seq.load(std::memory_order_seq_cst) == seen) {
      const auto left = deadline.remaining_ns();
      if (left && *left <= 0) {
        expired = true;
        break;
      }
      futex_wait(seq, seen, left);
    }
    sleepers.fetch_sub(1, std::memory_order_seq_cst);
  }
  waiters.fetch_sub(1, std::memory_order_seq_cst);
  recovered = mutex.lock() || recovered;
  return !expired;
}

void yield_cpu() { sched_yield(); }

void SharedCondition::notify(int how_many) {
  if (waiters.load(std::memory_order_seq_cst) == 0) return;
  seq.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers.load(std::memory_order_seq_cst) != 0) futex_wake(seq, how_many);
}

}  // namespace forkscope::detail
