// multiprocessing.Queue and JoinableQueue across real processes: FIFO, blocking put/get with timeouts, Full and
// Empty for non-blocking calls. Items are Values (None, bool, int, float, str, bytes, tuple, list, dict); the getter
// receives its own copy. Each put and get is traced with the depth after it and the item's sequence number, so a
// viewer can draw an arrow from every put to its get.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "forkscope/value.hpp"

namespace forkscope {

namespace detail {
struct QueueState;
}

class Queue {
 public:
  // Python's Queue() is unbounded; here it holds up to kUnboundedCapacity items, then put raises RuntimeError
  // naming the limit (it never waits where Python would not). Its ring sweeps every cell, so a bigger one costs page
  // faults and cache misses on every lap; a queue given a maxsize gets exactly that many (up to kMaxSize).
  static constexpr std::int64_t kUnboundedCapacity = 1 << 16;
  static constexpr std::int64_t kMaxSize = 1 << 20;

  explicit Queue(std::int64_t maxsize = 0, std::string_view name = {});
  void put(const Value& item, bool block = true, std::optional<double> timeout = std::nullopt);  // Full
  Value get(bool block = true, std::optional<double> timeout = std::nullopt);                   // Empty
  void put_nowait(const Value& item) { put(item, false); }
  Value get_nowait() { return get(false); }
  // Like Python's, these are snapshots: another process may change the queue right after.
  [[nodiscard]] std::int64_t qsize() const;
  [[nodiscard]] bool empty() const { return qsize() == 0; }
  [[nodiscard]] bool full() const;
  [[nodiscard]] std::int64_t maxsize() const;
  [[nodiscard]] std::uint16_t id() const { return id_; }
  // Python's close(): this process will put and get no more (both raise ValueError "Queue '<name>' is closed"
  // afterwards); other processes, and children started later, are not affected (Python reopens it after a fork).
  void close();
  // Python's join_thread(): waits until what this process put is flushed. Forkscope's queue has no feeder thread
  // (a put is in shared memory when it returns), so once closed it returns at once; AssertionError when not closed.
  void join_thread();

 protected:
  void check_open() const;
  Queue(std::int64_t maxsize, std::string_view name, bool joinable);
  detail::QueueState* state_ = nullptr;
  std::uint16_t id_ = 0;
};

// A Queue whose consumers confirm each item with task_done(); join() waits until every item put was confirmed.
class JoinableQueue : public Queue {
 public:
  explicit JoinableQueue(std::int64_t maxsize = 0, std::string_view name = {}) : Queue(maxsize, name, true) {}
  void task_done();  // ValueError when called more times than items were put
  void join();
};

}  // namespace forkscope
