// The model's long lists, packed, their entries handed out by value. A process's state spans and lock holds keep
// their own times, packed (a process's lists are read in long runs, and stay together in memory). An object's
// counter and a queue's flows name the events that made them, by index in the model's EventLog (4 bytes, where a
// time alone is 8), and read the time, object, value or pid through the log (an object's events lie close together
// in it). Those lists point at their model's log: TraceModel keeps the log where a move leaves it, and points a
// copy's lists at the copy's log.
#pragma once

#include <cstdint>
#include <iterator>
#include <limits>
#include <string_view>
#include <vector>

#include "forkscope/big_vector.hpp"
#include "forkscope/event_log.hpp"
#include "forkscope/value_iterator.hpp"

namespace forkscope {

class TraceModel;

using EventIndex = std::uint32_t;  // an event's place in the model's EventLog
inline constexpr EventIndex kNoEvent = std::numeric_limits<EventIndex>::max();
inline constexpr std::int64_t kOpenEnd = std::numeric_limits<std::int64_t>::max();

enum class ProcState : std::uint8_t {
  Running,
  Held,  // waiting at the gate for the teacher
  Ready,  // able to run, waiting for a CPU another process holds (measured by computing lesson code: ReadyWatch)
  Sleeping,
  BlockedLock,
  BlockedSemaphore,
  BlockedEvent,
  BlockedQueueGet,
  BlockedQueuePut,
  BlockedQueueJoin,
  BlockedJoin,
  BlockedPipe,       // recv on an empty pipe
  BlockedCondition,  // Condition.wait
  BlockedManager,    // a proxy call waiting for the manager's reply
  BlockedSocket,     // accept, recv, connect or send on a socket that must wait
  BlockedResult,     // AsyncResult.get() of a pool: the result is not there yet
  BlockedMpi,        // an MPI rank inside a call that waits for other ranks (MpiCall)
  BlockedOther,
  Exited,
  Count_
};
[[nodiscard]] std::string_view to_string(ProcState state);
[[nodiscard]] constexpr bool is_blocked(ProcState s) { return s >= ProcState::BlockedLock && s <= ProcState::BlockedOther; }

struct StateSpan {
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = kOpenEnd;  // kOpenEnd while it lasts
  ProcState state = ProcState::Running;
  std::uint16_t object = 0;  // what it is blocked on or held before
  std::int32_t peer = 0;     // the child it joins
};

// The times of a list whose times never go down, in 4 bytes each: an offset from the first time of its block of 64
// entries (8 bytes of base per block: 1/8 of a byte an entry). A time more than 4.29 s past its block's first does not
// fit, and its list keeps that entry whole beside it: a process with fewer than 15 spans a second has a short list.
class BlockTimes {
 public:
  static constexpr std::uint32_t kTooFar = std::numeric_limits<std::uint32_t>::max();
  // Entry `i` (the list's size) appended at `t`: its offset, or kTooFar.
  [[nodiscard]] std::uint32_t append(std::size_t i, std::int64_t t) {
    if ((i & (kBlock - 1)) == 0) {
      truncate(i);
      bases_.push_back(t);  // a block's first time is its base
    }
    const std::int64_t base = bases_[i >> kBlockBits];
    if (t < base) return kTooFar;
    const std::uint64_t offset = static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(base);  // no overflow
    return offset < kTooFar ? static_cast<std::uint32_t>(offset) : kTooFar;
  }
  [[nodiscard]] std::int64_t time(std::size_t i, std::uint32_t offset) const { return bases_[i >> kBlockBits] + offset; }
  void truncate(std::size_t size) { bases_.resize((size + kBlock - 1) >> kBlockBits); }  // the list shrank to `size`

 private:
  static constexpr std::size_t kBlockBits = 6, kBlock = std::size_t{1} << kBlockBits;
  BigVector<std::int64_t> bases_;
};

// A process's state spans, 6 bytes each: a span ends where the next begins (the last one lasts), so only its begin
// is kept (BlockTimes), with its state and, in the 11 bits left, the object. The rare span that does not fit (a join's
// child, the 2,047th object, a time too far) is kept whole beside the list. Spans are handed out with their end.
class SpanList {
 public:
  [[nodiscard]] std::size_t size() const { return offsets_.size(); }
  [[nodiscard]] bool empty() const { return offsets_.empty(); }
  [[nodiscard]] StateSpan operator[](std::size_t i) const {
    StateSpan s = unpack(i);
    if (i + 1 < size()) s.end_ns = unpack(i + 1).begin_ns;
    return s;
  }
  [[nodiscard]] StateSpan back() const { return (*this)[size() - 1]; }
  [[nodiscard]] StateSpan front() const { return (*this)[0]; }
  using const_iterator = ValueIterator<SpanList, StateSpan>;
  [[nodiscard]] const_iterator begin() const { return {this, 0}; }
  [[nodiscard]] const_iterator end() const { return {this, size()}; }
  [[nodiscard]] std::reverse_iterator<const_iterator> rbegin() const { return std::make_reverse_iterator(end()); }
  [[nodiscard]] std::reverse_iterator<const_iterator> rend() const { return std::make_reverse_iterator(begin()); }

 private:
  friend class TraceModel;
  // A new span from `begin_ns` (the one before ends there; never earlier than it), or the last one replaced.
  void push_back(const StateSpan& s);
  void replace_back(const StateSpan& s);
  [[nodiscard]] StateSpan unpack(std::size_t i) const {  // its end left open
    const std::uint16_t tag = tags_[i];
    const auto state = static_cast<ProcState>(tag & ((1u << kStateBits) - 1));
    const auto object = static_cast<std::uint16_t>(tag >> kStateBits);
    if (object == kAside) return aside(i, state);
    return StateSpan{times_.time(i, offsets_[i]), kOpenEnd, state, object, 0};
  }
  [[nodiscard]] StateSpan aside(std::size_t i, ProcState state) const;

  static constexpr unsigned kStateBits = 5;
  static constexpr std::uint16_t kAside = (1u << (16 - kStateBits)) - 1;  // in the object's bits
  static_assert(static_cast<unsigned>(ProcState::Count_) <= 1u << kStateBits);
  struct Aside {
    std::size_t index;
    std::int64_t begin_ns;
    std::int32_t peer;
    std::uint16_t object;
  };
  BigVector<std::uint32_t> offsets_;  // begins (BlockTimes)
  BigVector<std::uint16_t> tags_;     // state | object << 5
  BlockTimes times_;
  std::vector<Aside> aside_;  // by index: the spans whose object bits say kAside
};

// A lock held by a process, from its acquire to the release that freed it (or its recovery from a dead holder).
struct HoldSpan {
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = kOpenEnd;
  std::uint16_t object = 0;
};

// A process's holds, in the order it took them, 12 bytes each: the begin in 48 bits (78 hours) and the lock in 16,
// and how long it was held in 32. A hold of 4.29 s or more (or a begin past 78 hours) is kept whole beside the list.
class HoldList {
 public:
  [[nodiscard]] std::size_t size() const { return begins_.size(); }
  [[nodiscard]] bool empty() const { return begins_.empty(); }
  [[nodiscard]] HoldSpan operator[](std::size_t i) const {
    const std::uint32_t length = lengths_[i];
    if (length == kAside) return aside(i);
    const std::uint64_t b = begins_[i];
    const auto begin = static_cast<std::int64_t>(b & kTimeMask);
    return HoldSpan{begin, length == kHeld ? kOpenEnd : begin + length, static_cast<std::uint16_t>(b >> kTimeBits)};
  }
  [[nodiscard]] HoldSpan back() const { return (*this)[size() - 1]; }
  [[nodiscard]] HoldSpan front() const { return (*this)[0]; }
  using const_iterator = ValueIterator<HoldList, HoldSpan>;
  [[nodiscard]] const_iterator begin() const { return {this, 0}; }
  [[nodiscard]] const_iterator end() const { return {this, size()}; }

 private:
  friend class TraceModel;
  void push_back(std::int64_t begin_ns, std::uint16_t object);  // held from then on
  void end_at(std::size_t i, std::int64_t end_ns);
  [[nodiscard]] HoldSpan aside(std::size_t i) const;

  static constexpr unsigned kTimeBits = 48;
  static constexpr std::uint64_t kTimeMask = (std::uint64_t{1} << kTimeBits) - 1;
  static constexpr std::uint32_t kHeld = std::numeric_limits<std::uint32_t>::max(), kAside = kHeld - 1;  // lengths
  struct Aside {
    std::size_t index;
    HoldSpan hold;
  };
  BigVector<std::uint64_t> begins_;  // begin | object << 48
  BigVector<std::uint32_t> lengths_;  // end - begin; kHeld while it is held; kAside: kept whole beside
  std::vector<Aside> aside_;  // by index
};

struct Sample {
  std::int64_t t_ns = 0;
  std::int64_t value = 0;
  friend bool operator==(const Sample&, const Sample&) = default;
};

// An object's counter over time, in time order: each sample is the event that set it (4 bytes: the log has its time
// and, for a lock, a semaphore, a flag or a lesson's counter, its value). From the first sample whose value is not its
// event's (a queue's depth is counted, not written), the values are kept too: 16 bits wide, then 32, then 64 from
// the first that needs it.
class SampleList {
 public:
  [[nodiscard]] std::size_t size() const { return events_.size(); }
  [[nodiscard]] bool empty() const { return events_.empty(); }
  [[nodiscard]] Sample operator[](std::size_t i) const {
    const EventIndex at = events_[i];
    return Sample{static_cast<std::int64_t>(log_->time(at)), value(i, at)};
  }
  [[nodiscard]] Sample back() const { return (*this)[size() - 1]; }
  [[nodiscard]] Sample front() const { return (*this)[0]; }
  using const_iterator = ValueIterator<SampleList, Sample>;
  [[nodiscard]] const_iterator begin() const { return {this, 0}; }
  [[nodiscard]] const_iterator end() const { return {this, size()}; }

 private:
  friend class TraceModel;
  void push_back(EventIndex event, std::int64_t value) {
    if (width_ == Width::FromEvents && value == log_->value(event))
      events_.push_back(event);
    else
      insert(size(), event, value);
  }
  void insert(std::size_t at, EventIndex event, std::int64_t value);  // at == size(): appended
  void add(std::size_t from, std::int64_t delta);                     // to every value from `from` on
  void set(std::size_t i, std::int64_t value);
  void widen_for(EventIndex event, std::int64_t value);  // to the width a sample of `value` by `event` needs
  [[nodiscard]] std::int64_t value(std::size_t i, EventIndex at) const {
    switch (width_) {
      case Width::FromEvents: return log_->value(at);
      case Width::Short: return short_values_[i];
      case Width::Narrow: return narrow_values_[i];
      case Width::Wide: break;
    }
    return wide_values_[i];
  }
  template <class F>
  void each_width(F&& f);  // f(values) on the list of values in use, if any

  enum class Width : std::uint8_t { FromEvents, Short, Narrow, Wide };
  BigVector<EventIndex> events_;
  BigVector<std::int16_t> short_values_;   // Short: a queue's depth
  BigVector<std::int32_t> narrow_values_;  // Narrow
  BigVector<std::int64_t> wide_values_;    // Wide
  Width width_ = Width::FromEvents;
  const EventLog* log_ = nullptr;
};

struct Flow {  // an item's way through a queue (or a message's through a pipe): from its put to its get
  std::uint16_t object = 0;
  std::uint32_t seq = 0;
  std::int32_t put_pid = 0, get_pid = 0;
  std::int64_t put_ns = -1, get_ns = -1;  // -1: not seen (yet)
  [[nodiscard]] bool complete() const { return put_ns >= 0 && get_ns >= 0; }
};

// The model's flows, 8 bytes each (a loop of a million puts has a million of them): the put and the get, whose
// events say the queue, the item's number, who and when. In the order their first end was ingested.
class FlowList {
 public:
  [[nodiscard]] std::size_t size() const { return links_.size(); }
  [[nodiscard]] bool empty() const { return links_.empty(); }
  [[nodiscard]] Flow operator[](std::size_t i) const;
  using const_iterator = ValueIterator<FlowList, Flow>;
  [[nodiscard]] const_iterator begin() const { return {this, 0}; }
  [[nodiscard]] const_iterator end() const { return {this, size()}; }

 private:
  friend class TraceModel;
  struct Link {
    EventIndex put = kNoEvent, get = kNoEvent;  // kNoEvent: not seen (yet)
  };
  BigVector<Link> links_;
  const EventLog* log_ = nullptr;
};

}  // namespace forkscope
