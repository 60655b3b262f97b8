// EventLog: the model's events in arrival order, 16 bytes each instead of a TraceEvent's 32. Most fields are small:
// a time fits 48 bits of nanoseconds (78 hours), a kind and a phase one byte, the process a 16-bit lane of the log's
// own pid table, and value and arg usually one 32-bit word between them (a queue item's number, a semaphore's value,
// a printed line's string). An event that does not fit is kept whole in a spill list. Chunks of 64 Ki events are
// never moved once written: the log grows without copying and without touching more memory than it holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "forkscope/pid_table.hpp"
#include "forkscope/trace_event.hpp"
#include "forkscope/value_iterator.hpp"

static_assert(static_cast<int>(forkscope::EventKind::Count_) <= 64, "EventLog keeps a kind in 6 bits");

namespace forkscope {

class EventLog {
 public:
  EventLog() = default;
  EventLog(const EventLog& other);
  EventLog& operator=(const EventLog& other);
  EventLog(EventLog&& other) noexcept { *this = std::move(other); }
  EventLog& operator=(EventLog&& other) noexcept;  // leaves `other` empty

  std::uint32_t push_back(const TraceEvent& event);  // returns the event's lane (lane_of its pid)
  void reserve(std::size_t events) { chunks_.reserve((events + kChunk - 1) / kChunk); }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] TraceEvent operator[](std::size_t i) const;
  [[nodiscard]] std::uint64_t time(std::size_t i) const;  // operator[](i).time, without the rest
  [[nodiscard]] TraceEvent back() const { return (*this)[size_ - 1]; }

  // The lane of a pid in this log's table (a new lane for a pid not seen before). The model numbers its processes
  // by it too, so one lookup serves both.
  [[nodiscard]] std::uint32_t lane_of(std::int32_t pid) { return lanes_.number_of(pid); }
  [[nodiscard]] std::uint32_t find_lane(std::int32_t pid) const { return lanes_.find(pid); }  // kNoLane: never seen
  static constexpr std::uint32_t kNoLane = PidTable::kNone;
  [[nodiscard]] std::size_t lanes() const { return lanes_.size(); }

  // Events by value: range-for and the standard algorithms work as on a vector.
  using const_iterator = ValueIterator<EventLog, TraceEvent>;
  [[nodiscard]] const_iterator begin() const { return {this, 0}; }
  [[nodiscard]] const_iterator end() const { return {this, size_}; }

 private:
  struct Packed {
    std::uint64_t head;  // time (48 bits) | kind (6) | phase (2) | form (8): how value and arg are kept
    std::uint16_t object;
    std::uint16_t lane;
    std::uint32_t payload;
  };
  static_assert(sizeof(Packed) == 16);
  static constexpr std::size_t kChunkBits = 16, kChunk = std::size_t{1} << kChunkBits;

  std::vector<std::unique_ptr<Packed[]>> chunks_;
  std::size_t size_ = 0;
  std::vector<TraceEvent> spilled_;  // events kept whole (form kSpilled, payload = index)
  PidTable lanes_;  // pid -> lane
};

}  // namespace forkscope
