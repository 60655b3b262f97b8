// EventLog: the model's events in arrival order, 12 bytes each instead of a TraceEvent's 32. Most fields are small:
// a time is a 32-bit offset from its block's base (a block is 1,024 events, seconds at most in a trace dense enough
// for its size to matter), a kind, a phase and how value and arg are kept take 10 bits, the object 10 and the process
// a 12-bit lane of the log's own pid table, and value and arg usually one 32-bit word between them (a queue item's
// number, a semaphore's value, a printed line's string). An event that does not fit is kept whole in a spill list.
// Chunks of 64 Ki events are never moved once written: the log grows without copying and without touching more
// memory than it holds.
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
  void reserve(std::size_t events) {
    chunks_.reserve((events + kChunk - 1) / kChunk);
    bases_.reserve((events >> kBlockBits) + 1);
  }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] TraceEvent operator[](std::size_t i) const;
  // One field of operator[](i), without the rest: the model's lists read their times and values through these.
  [[nodiscard]] std::uint64_t time(std::size_t i) const {
    const Packed& p = packed(i);
    return form_of(p.fields) == kSpilled ? spilled_[p.payload].time : bases_[i >> kBlockBits] + p.offset;
  }
  [[nodiscard]] std::int64_t value(std::size_t i) const {
    const Packed& p = packed(i);
    const std::uint32_t form = form_of(p.fields);
    if (form == kValueForm) return static_cast<std::int32_t>(p.payload);
    return form == kSpilled ? spilled_[p.payload].value : form - kArgForm;
  }
  [[nodiscard]] std::uint64_t arg(std::size_t i) const {
    const Packed& p = packed(i);
    const std::uint32_t form = form_of(p.fields);
    if (form == kValueForm) return 0;
    return form == kSpilled ? spilled_[p.payload].arg : p.payload;
  }
  [[nodiscard]] std::uint16_t object(std::size_t i) const {
    const Packed& p = packed(i);
    return form_of(p.fields) == kSpilled ? spilled_[p.payload].object : object_of(p.fields);
  }
  [[nodiscard]] std::uint32_t lane(std::size_t i) const;  // the lane of operator[](i).pid
  [[nodiscard]] std::int32_t pid(std::size_t i) const { return lanes_.pid(lane(i)); }
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
    std::uint32_t offset;  // time - the block's base
    std::uint32_t fields;  // kind (6) | phase (2) | form (2): how value and arg are kept | object (10) | lane (12)
    std::uint32_t payload;
  };
  static_assert(sizeof(Packed) == 12);
  static constexpr std::size_t kChunkBits = 16, kChunk = std::size_t{1} << kChunkBits;
  static constexpr std::size_t kBlockBits = 10;  // events sharing a time base
  // Forms: value in the payload (arg 0); arg in the payload and value 0 or 1; spilled (payload = index).
  static constexpr std::uint32_t kValueForm = 0, kArgForm = 1, kSpilled = 3;
  static constexpr std::uint32_t kObjects = 1u << 10, kLanes = 1u << 12;  // objects and lanes from here on are spilled
  static constexpr std::uint32_t form_of(std::uint32_t fields) { return (fields >> 8) & 0x3u; }
  static constexpr std::uint16_t object_of(std::uint32_t fields) { return static_cast<std::uint16_t>((fields >> 10) & (kObjects - 1)); }
  static constexpr std::uint32_t lane_in(std::uint32_t fields) { return fields >> 20; }

  [[nodiscard]] const Packed& packed(std::size_t i) const { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }

  std::vector<std::unique_ptr<Packed[]>> chunks_;
  std::vector<std::uint64_t> bases_;  // per block: the time its offsets count from
  std::size_t size_ = 0;
  std::vector<TraceEvent> spilled_;  // events kept whole (form kSpilled, payload = index)
  PidTable lanes_;  // pid -> lane
};

}  // namespace forkscope
