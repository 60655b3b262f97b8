#include "forkscope/event_log.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace forkscope {

namespace {
constexpr std::uint64_t kTimeMask = (std::uint64_t{1} << 48) - 1;
// Forms: value in the payload (arg 0); arg in the payload and a value 0..kSmallValues-1 in the form byte; spilled.
constexpr std::uint8_t kValueForm = 0x01;
constexpr std::uint8_t kArgForm = 0x80;
constexpr std::int64_t kSmallValues = 0x7f;
constexpr std::uint8_t kSpilled = 0xff;
constexpr std::uint16_t kWideLane = 0xffff;  // lanes from here on are spilled with their event
}  // namespace

EventLog::EventLog(const EventLog& other)
    : size_(other.size_), spilled_(other.spilled_), lanes_(other.lanes_) {
  chunks_.reserve(other.chunks_.size());
  for (std::size_t c = 0; c < other.chunks_.size(); ++c) {
    chunks_.push_back(std::make_unique_for_overwrite<Packed[]>(kChunk));
    const std::size_t n = std::min(kChunk, size_ - c * kChunk);
    std::memcpy(chunks_.back().get(), other.chunks_[c].get(), n * sizeof(Packed));
  }
}

EventLog& EventLog::operator=(const EventLog& other) {
  if (this != &other) *this = EventLog(other);
  return *this;
}

EventLog& EventLog::operator=(EventLog&& other) noexcept {
  if (this == &other) return *this;
  chunks_ = std::move(other.chunks_);
  size_ = std::exchange(other.size_, 0);
  spilled_ = std::move(other.spilled_);
  lanes_ = std::exchange(other.lanes_, PidTable());
  other.chunks_.clear();
  other.spilled_.clear();
  return *this;
}

std::uint32_t EventLog::push_back(const TraceEvent& e) {
  if ((size_ & (kChunk - 1)) == 0) chunks_.push_back(std::make_unique_for_overwrite<Packed[]>(kChunk));
  const std::uint32_t lane = lane_of(e.pid);
  std::uint8_t form = kSpilled;
  std::uint32_t payload = 0;
  const bool fits = e.time <= kTimeMask && lane < kWideLane && static_cast<std::uint8_t>(e.kind) < 64 &&
                    static_cast<std::uint8_t>(e.phase) < 4;  // a ring's bytes are checked by the model, not here
  if (fits) {
    if (e.arg == 0 && e.value >= std::numeric_limits<std::int32_t>::min() && e.value <= std::numeric_limits<std::int32_t>::max()) {
      form = kValueForm;
      payload = static_cast<std::uint32_t>(static_cast<std::int32_t>(e.value));
    } else if (e.arg <= UINT32_MAX && e.value >= 0 && e.value < kSmallValues) {
      form = static_cast<std::uint8_t>(kArgForm | e.value);
      payload = static_cast<std::uint32_t>(e.arg);
    }
  }
  if (form == kSpilled) {
    payload = static_cast<std::uint32_t>(spilled_.size());
    spilled_.push_back(e);
  }
  const std::uint64_t head = (e.time & kTimeMask) | (std::uint64_t{static_cast<std::uint8_t>(e.kind) & 0x3fu} << 48) |
                             (std::uint64_t{static_cast<std::uint8_t>(e.phase) & 0x3u} << 54) | (std::uint64_t{form} << 56);
  chunks_[size_ >> kChunkBits][size_ & (kChunk - 1)] =
      Packed{head, e.object, static_cast<std::uint16_t>(std::min<std::uint32_t>(lane, kWideLane)), payload};
  ++size_;
  return lane;
}

TraceEvent EventLog::operator[](std::size_t i) const {
  const Packed& p = chunks_[i >> kChunkBits][i & (kChunk - 1)];
  const auto form = static_cast<std::uint8_t>(p.head >> 56);
  if (form == kSpilled) return spilled_[p.payload];
  TraceEvent e;
  e.time = p.head & kTimeMask;
  e.pid = lanes_.pid(p.lane);
  e.kind = static_cast<EventKind>((p.head >> 48) & 0x3f);
  e.phase = static_cast<Phase>((p.head >> 54) & 0x3);
  e.object = p.object;
  if (form == kValueForm) {
    e.value = static_cast<std::int32_t>(p.payload);
  } else {
    e.value = form & ~kArgForm;
    e.arg = p.payload;
  }
  return e;
}

std::uint64_t EventLog::time(std::size_t i) const {
  const Packed& p = chunks_[i >> kChunkBits][i & (kChunk - 1)];
  return static_cast<std::uint8_t>(p.head >> 56) == kSpilled ? spilled_[p.payload].time : p.head & kTimeMask;
}

}  // namespace forkscope
