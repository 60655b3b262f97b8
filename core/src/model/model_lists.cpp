#include "forkscope/model_lists.hpp"

#include <algorithm>

namespace forkscope {

namespace {
// Where the entry kept beside a list for its index `i` is (or would go): a side list is in index order.
template <class SideList>
auto aside_at(SideList& aside, std::size_t i) {
  return std::lower_bound(aside.begin(), aside.end(), i, [](const auto& x, std::size_t at) { return x.index < at; });
}
}  // namespace

std::string_view to_string(ProcState state) {
  switch (state) {
    case ProcState::Running: return "running";
    case ProcState::Held: return "held at the gate";
    case ProcState::Ready: return "ready (waiting for a CPU)";
    case ProcState::Sleeping: return "sleeping";
    case ProcState::BlockedLock: return "blocked on a lock";
    case ProcState::BlockedSemaphore: return "blocked on a semaphore";
    case ProcState::BlockedEvent: return "blocked on an event";
    case ProcState::BlockedQueueGet: return "blocked on queue get";
    case ProcState::BlockedQueuePut: return "blocked on queue put";
    case ProcState::BlockedQueueJoin: return "blocked on queue join";
    case ProcState::BlockedJoin: return "blocked on join";
    case ProcState::BlockedPipe: return "blocked on pipe recv";
    case ProcState::BlockedCondition: return "blocked on a condition";
    case ProcState::BlockedManager: return "waiting for the manager";
    case ProcState::BlockedSocket: return "blocked on a socket";
    case ProcState::BlockedResult: return "waiting for a pool's result";
    case ProcState::BlockedMpi: return "blocked in an MPI call";
    case ProcState::BlockedOther: return "blocked";
    case ProcState::Exited: return "exited";
    case ProcState::Count_: break;
  }
  return "?";
}

void SpanList::push_back(const StateSpan& s) {
  const std::uint32_t offset = times_.append(size(), s.begin_ns);
  const bool fits = offset != BlockTimes::kTooFar && s.object < kAside && s.peer == 0;
  if (!fits) aside_.push_back(Aside{size(), s.begin_ns, s.peer, s.object});
  offsets_.push_back(offset);
  tags_.push_back(static_cast<std::uint16_t>(static_cast<unsigned>(s.state) | unsigned{fits ? s.object : kAside} << kStateBits));
}

void SpanList::replace_back(const StateSpan& s) {
  offsets_.pop_back();
  tags_.pop_back();
  if (!aside_.empty() && aside_.back().index == size()) aside_.pop_back();
  times_.truncate(size());
  push_back(s);
}

StateSpan SpanList::aside(std::size_t i, ProcState state) const {
  const Aside& a = *aside_at(aside_, i);
  return StateSpan{a.begin_ns, kOpenEnd, state, a.object, a.peer};
}

void HoldList::push_back(std::int64_t begin_ns, std::uint16_t object) {
  const bool fits = begin_ns >= 0 && begin_ns <= static_cast<std::int64_t>(kTimeMask);
  if (!fits) aside_.push_back(Aside{size(), HoldSpan{begin_ns, kOpenEnd, object}});
  begins_.push_back(fits ? static_cast<std::uint64_t>(begin_ns) | std::uint64_t{object} << kTimeBits : 0);
  lengths_.push_back(fits ? kHeld : kAside);
}

void HoldList::end_at(std::size_t i, std::int64_t end_ns) {
  const auto at = aside_at(aside_, i);
  if (lengths_[i] == kAside) {
    at->hold.end_ns = end_ns;
    return;
  }
  const HoldSpan hold = (*this)[i];
  const std::int64_t length = end_ns - hold.begin_ns;
  if (length >= 0 && length < kAside) {
    lengths_[i] = static_cast<std::uint32_t>(length);
    return;
  }
  aside_.insert(at, Aside{i, HoldSpan{hold.begin_ns, end_ns, hold.object}});  // held too long to fit: kept whole
  lengths_[i] = kAside;
}

HoldSpan HoldList::aside(std::size_t i) const {
  return aside_at(aside_, i)->hold;
}

void SampleList::widen_for(EventIndex event, std::int64_t value) {
  const auto width_of = [](std::int64_t v) {
    return v >= INT16_MIN && v <= INT16_MAX ? Width::Short : v >= INT32_MIN && v <= INT32_MAX ? Width::Narrow : Width::Wide;
  };
  if (width_ == Width::FromEvents && value == log_->value(event)) return;
  Width wanted = std::max(width_, width_of(value));
  if (width_ == Width::FromEvents)  // the values so far are their events': as wide as the widest of them
    for (std::size_t i = 0; i < size() && wanted != Width::Wide; ++i) wanted = std::max(wanted, width_of(log_->value(events_[i])));
  if (wanted == width_) return;
  std::vector<std::int64_t> values(size());  // at most once a width: three times in a list's life
  for (std::size_t i = 0; i < size(); ++i) values[i] = (*this)[i].value;
  BigVector<std::int16_t>().swap(short_values_);
  BigVector<std::int32_t>().swap(narrow_values_);
  width_ = wanted;
  each_width([&](auto& column) {
    column.reserve(values.size() + 1);
    for (const std::int64_t v : values) column.push_back(static_cast<typename std::decay_t<decltype(column)>::value_type>(v));
  });
}

template <class F>
void SampleList::each_width(F&& f) {
  switch (width_) {
    case Width::FromEvents: return;
    case Width::Short: f(short_values_); return;
    case Width::Narrow: f(narrow_values_); return;
    case Width::Wide: f(wide_values_); return;
  }
}

void SampleList::insert(std::size_t at, EventIndex event, std::int64_t value) {
  widen_for(event, value);
  const auto offset = static_cast<std::ptrdiff_t>(at);
  each_width([&](auto& column) {
    column.insert(column.begin() + offset, static_cast<typename std::decay_t<decltype(column)>::value_type>(value));
  });
  events_.insert(events_.begin() + offset, event);
}

void SampleList::set(std::size_t i, std::int64_t value) {
  widen_for(events_[i], value);
  each_width([&](auto& column) { column[i] = static_cast<typename std::decay_t<decltype(column)>::value_type>(value); });
}

void SampleList::add(std::size_t from, std::int64_t delta) {
  for (std::size_t i = from; i < size(); ++i) set(i, (*this)[i].value + delta);
}

Flow FlowList::operator[](std::size_t i) const {
  const Link& link = links_[i];
  const EventIndex either = link.put != kNoEvent ? link.put : link.get;
  Flow f{log_->object(either), static_cast<std::uint32_t>(log_->arg(either)), 0, 0, -1, -1};
  if (link.put != kNoEvent) {
    f.put_pid = log_->pid(link.put);
    f.put_ns = static_cast<std::int64_t>(log_->time(link.put));
  }
  if (link.get != kNoEvent) {
    f.get_pid = log_->pid(link.get);
    f.get_ns = static_cast<std::int64_t>(log_->time(link.get));
  }
  return f;
}

}  // namespace forkscope
