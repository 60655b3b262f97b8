// One single-producer/single-consumer ring per lesson process, in shared memory. The writer is that process, the
// reader is the viewer. Lossless: a full ring makes the writer wait (and counts the wait); it never drops an event.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <span>

#include "forkscope/trace_event.hpp"

namespace forkscope {

struct RingHeader {
  alignas(64) std::atomic<std::uint64_t> head{0};  // events ever committed (writer)
  std::uint64_t writer_tail = 0;                   // the writer's last look at `tail` (only the writer uses it)
  alignas(64) std::atomic<std::uint64_t> tail{0};  // events ever consumed (reader)
  std::atomic<std::uint32_t> reader_progress{0};   // futex word: bumped when the reader frees space
  std::atomic<std::uint32_t> writer_waiting{0};
  std::atomic<std::uint64_t> full_waits{0};        // how often the writer found the ring full
};

// The writer keeps its position in the shared header, not in its own memory: after fork() every private page a
// process writes costs a copy, and a process that traces is a process that forks.
class RingWriter {
 public:
  static constexpr std::uint64_t kPrefetchAhead = 16;  // events: 8 cache lines
  RingWriter() = default;
  RingWriter(RingHeader* header, TraceEvent* events, std::uint32_t capacity)
      : header_(header), events_(events), mask_(capacity - 1) {}

  [[nodiscard]] bool attached() const { return header_ != nullptr; }

  // Maps the whole ring into this process now. The first write to each fresh page of a ring faults (~4 us a page
  // on a VM, ~30 ns an event over a ring's first lap); a process that will write many events and is not yet
  // running the program (a Python program's main, before the program starts) pays that up front instead.
  // Best effort: on a kernel without MADV_POPULATE_WRITE the pages fault as they are written.
  void prefault() const;

  void push(const TraceEvent& event) {
    const std::uint64_t head = header_->head.load(std::memory_order_relaxed);
    if (head - header_->writer_tail > mask_) wait_for_space(head);
    // The viewer read these lines on the other CPU: ask for them a few lines ahead so the store does not wait.
    __builtin_prefetch(&events_[(head + kPrefetchAhead) & mask_], 1, 3);
    events_[head & mask_] = event;
    header_->head.store(head + 1, std::memory_order_release);  // commit: the reader sees the event whole
  }

 private:
  void wait_for_space(std::uint64_t head);

  RingHeader* header_ = nullptr;
  TraceEvent* events_ = nullptr;
  std::uint64_t mask_ = 0;
};

class RingReader {
 public:
  RingReader(RingHeader* header, const TraceEvent* events, std::uint32_t capacity)
      : header_(header), events_(events), capacity_(capacity) {}

  // Hands the committed events up to time `last` (UINT64_MAX: all of them) to `sink` in order, as one span or two
  // (where the ring wraps), then frees their space. Returns how many. The ring is in time order: where they end is a
  // binary search.
  template <class Sink>
  std::size_t drain(std::uint64_t last, Sink&& sink) {
    const std::uint64_t head = header_->head.load(std::memory_order_acquire);
    const std::uint64_t tail = header_->tail.load(std::memory_order_relaxed);
    std::uint64_t end = head;  // then the first event after `last`
    if (last != UINT64_MAX) {
      end = tail;
      for (std::uint64_t n = head - tail; n > 0;) {
        const std::uint64_t half = n / 2;
        if (events_[(end + half) & (capacity_ - 1)].time <= last) {
          end += half + 1;
          n -= half + 1;
        } else {
          n = half;
        }
      }
    }
    if (end == tail) return 0;
    const std::uint64_t first = tail & (capacity_ - 1);
    const std::uint64_t straight = std::min<std::uint64_t>(end - tail, capacity_ - first);
    sink(std::span<const TraceEvent>(events_ + first, straight));
    if (straight < end - tail) sink(std::span<const TraceEvent>(events_, end - tail - straight));
    release(end);
    return static_cast<std::size_t>(end - tail);
  }
  [[nodiscard]] std::uint64_t pending() const {
    return header_->head.load(std::memory_order_acquire) - header_->tail.load(std::memory_order_relaxed);
  }
  // The time of the k-th committed event not yet drained (k < pending()).
  [[nodiscard]] std::uint64_t time_of_pending(std::uint64_t k) const {
    return events_[(header_->tail.load(std::memory_order_relaxed) + k) & (capacity_ - 1)].time;
  }

 private:
  void release(std::uint64_t new_tail);

  RingHeader* header_;
  const TraceEvent* events_;
  std::uint32_t capacity_;
};

}  // namespace forkscope
