// Synchronisation primitives with Python multiprocessing's names and semantics, shared across real processes.
// Create them in a lesson process before starting the processes that use them (like Python, children inherit
// them); copies are handles to the same shared object. Every operation passes the gate and is traced.
// Timeouts are in lesson seconds (scaled by the speed factor); nullopt waits forever.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace forkscope {

namespace detail {
struct LockState;
struct SemaphoreState;
struct EventState;
struct CounterState;
struct ConditionState;
}  // namespace detail

// multiprocessing.Lock. As in Python, any process may release it (it is a semaphore with one token, not an owned
// mutex), and releasing it while free raises ValueError. When a holder dies holding it, a waiter takes it over
// within a few milliseconds and the recovery shows on the timeline (Python's would stay locked forever).
class Lock {
 public:
  explicit Lock(std::string_view name = {});
  bool acquire(bool block = true, std::optional<double> timeout = std::nullopt);
  void release();
  // BasicLockable: std::lock_guard / std::scoped_lock play the part of Python's `with lock:`.
  void lock() { acquire(); }
  void unlock() { release(); }
  [[nodiscard]] std::uint16_t id() const { return id_; }

 protected:
  Lock(std::string_view name, bool recursive);

 private:
  friend class Condition;
  detail::LockState* state_ = nullptr;
  std::uint16_t id_ = 0;
  bool recursive_ = false;
};

// multiprocessing.RLock: the holder may acquire it again; it is free once released as often as acquired. Unlike a
// Lock it has an owner: only the holder may release it (AssertionError otherwise).
class RLock : public Lock {
 public:
  explicit RLock(std::string_view name = {}) : Lock(name, true) {}
};

// multiprocessing.Condition over a Lock or an RLock (by default a new RLock named "<name> lock"). wait() releases the
// lock completely, waits for a notify (or the timeout) and takes the lock back before it returns; waiters are woken
// in the order they began to wait. wait and notify raise RuntimeError when this process does not hold the lock.
class Condition {
 public:
  explicit Condition(std::optional<Lock> lock = std::nullopt, std::string_view name = {});
  bool acquire(bool block = true, std::optional<double> timeout = std::nullopt) { return lock_.acquire(block, timeout); }
  void release() { lock_.release(); }
  void lock() { lock_.acquire(); }  // `with cond:` is std::lock_guard / std::unique_lock
  void unlock() { lock_.release(); }
  // True when notified, false when the timeout passed first. Either way the lock is held again on return.
  bool wait(std::optional<double> timeout = std::nullopt);
  // Waits until predicate() is true (checked with the lock held, before the first wait and after each wake-up);
  // returns its last value, false when the timeout passed first.
  bool wait_for(const std::function<bool()>& predicate, std::optional<double> timeout = std::nullopt);
  void notify(std::int64_t n = 1);  // wakes up to n waiters
  void notify_all();
  [[nodiscard]] std::uint16_t id() const { return id_; }

 private:
  Lock lock_;
  detail::ConditionState* state_ = nullptr;
  std::uint16_t id_ = 0;
};

// multiprocessing.Semaphore: a counter; acquire waits while it is 0.
class Semaphore {
 public:
  explicit Semaphore(std::int64_t value = 1, std::string_view name = {});
  bool acquire(bool block = true, std::optional<double> timeout = std::nullopt);
  void release();
  [[nodiscard]] std::int64_t get_value() const;
  void lock() { acquire(); }
  void unlock() { release(); }
  [[nodiscard]] std::uint16_t id() const { return id_; }

 protected:
  Semaphore(std::int64_t value, std::string_view name, bool bounded);

 private:
  detail::SemaphoreState* state_ = nullptr;
  std::uint16_t id_ = 0;
};

// multiprocessing.BoundedSemaphore: releasing above the initial value raises ValueError.
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::int64_t value = 1, std::string_view name = {}) : Semaphore(value, name, true) {}
};

// multiprocessing.Event: a flag that starts false; wait() blocks until it is set.
class Event {
 public:
  explicit Event(std::string_view name = {});
  void set();
  void clear();
  [[nodiscard]] bool is_set() const;
  bool wait(std::optional<double> timeout = std::nullopt);  // the flag on return (false after a timeout)
  [[nodiscard]] std::uint16_t id() const { return id_; }

 private:
  detail::EventState* state_ = nullptr;
  std::uint16_t id_ = 0;
};

// A lesson value shown as a counter on the timeline ("tickets left", "guests inside"). Not in Python: it is how a
// lesson makes a number visible. Atomic across processes.
class Counter {
 public:
  explicit Counter(std::string_view name, std::int64_t initial = 0);
  std::int64_t set(std::int64_t value);
  std::int64_t add(std::int64_t delta);  // returns the new value
  [[nodiscard]] std::int64_t value() const;
  [[nodiscard]] std::uint16_t id() const { return id_; }

 private:
  detail::CounterState* state_ = nullptr;
  std::uint16_t id_ = 0;
};

}  // namespace forkscope
