#include "forkscope/event_log.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace forkscope {

namespace {
// A block's base lies this far before its first event: events of other processes arrive a little out of time order.
constexpr std::uint64_t kEarlier = std::uint64_t{1} << 28;  // 0.27 s; later events fit up to 4 s after it

constexpr std::uint32_t fields(std::uint32_t kind, std::uint32_t phase, std::uint32_t form, std::uint32_t object,
                               std::uint32_t lane) {
  return kind | phase << 6 | form << 8 | object << 10 | lane << 20;
}
}  // namespace

EventLog::EventLog(const EventLog& other)
    : bases_(other.bases_), size_(other.size_), spilled_(other.spilled_), lanes_(other.lanes_) {
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
  bases_ = std::move(other.bases_);
  size_ = std::exchange(other.size_, 0);
  spilled_ = std::move(other.spilled_);
  lanes_ = std::exchange(other.lanes_, PidTable());
  other.chunks_.clear();
  other.bases_.clear();
  other.spilled_.clear();
  return *this;
}

std::uint32_t EventLog::push_back(const TraceEvent& e) {
  if ((size_ & (kChunk - 1)) == 0) chunks_.push_back(std::make_unique_for_overwrite<Packed[]>(kChunk));
  if ((size_ & ((std::size_t{1} << kBlockBits) - 1)) == 0) bases_.push_back(e.time > kEarlier ? e.time - kEarlier : 0);
  const std::uint32_t lane = lane_of(e.pid);
  const std::uint64_t base = bases_.back();
  std::uint32_t form = kSpilled;
  std::uint32_t payload = 0;
  const bool fits = e.time >= base && e.time - base <= UINT32_MAX && e.object < kObjects && lane < kLanes &&
                    static_cast<std::uint8_t>(e.kind) < 64 && static_cast<std::uint8_t>(e.phase) < 4;
  if (fits) {
    if (e.arg == 0 && e.value >= std::numeric_limits<std::int32_t>::min() && e.value <= std::numeric_limits<std::int32_t>::max()) {
      form = kValueForm;
      payload = static_cast<std::uint32_t>(static_cast<std::int32_t>(e.value));
    } else if (e.arg <= UINT32_MAX && (e.value == 0 || e.value == 1)) {
      form = kArgForm + static_cast<std::uint32_t>(e.value);
      payload = static_cast<std::uint32_t>(e.arg);
    }
  }
  Packed& p = chunks_[size_ >> kChunkBits][size_ & (kChunk - 1)];
  if (form == kSpilled) {
    p = Packed{0, fields(0, 0, kSpilled, 0, std::min(lane, kLanes - 1)), static_cast<std::uint32_t>(spilled_.size())};
    spilled_.push_back(e);
  } else {
    p = Packed{static_cast<std::uint32_t>(e.time - base),
               fields(static_cast<std::uint8_t>(e.kind), static_cast<std::uint8_t>(e.phase), form, e.object, lane), payload};
  }
  ++size_;
  return lane;
}

TraceEvent EventLog::operator[](std::size_t i) const {
  const Packed& p = packed(i);
  const std::uint32_t form = form_of(p.fields);
  if (form == kSpilled) return spilled_[p.payload];
  TraceEvent e;
  e.time = bases_[i >> kBlockBits] + p.offset;
  e.pid = lanes_.pid(lane_in(p.fields));
  e.kind = static_cast<EventKind>(p.fields & 0x3f);
  e.phase = static_cast<Phase>((p.fields >> 6) & 0x3);
  e.object = object_of(p.fields);
  if (form == kValueForm) {
    e.value = static_cast<std::int32_t>(p.payload);
  } else {
    e.value = form - kArgForm;
    e.arg = p.payload;
  }
  return e;
}

std::uint32_t EventLog::lane(std::size_t i) const {
  const Packed& p = packed(i);
  const std::uint32_t lane = lane_in(p.fields);
  return lane != kLanes - 1 || form_of(p.fields) != kSpilled ? lane : lanes_.find(spilled_[p.payload].pid);
}

}  // namespace forkscope
