#include "forkscope/synthetic_trace.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace forkscope {

namespace {

// Builds events and the strings they carry, then puts them in time order.
class TraceMaker {
 public:
  StringId text(std::string s) {
    trace_.texts.push_back(std::move(s));
    return static_cast<StringId>(trace_.texts.size());
  }
  void add(std::int64_t t, std::int32_t pid, EventKind kind, Phase phase, std::uint16_t object = 0, std::int64_t value = 0,
           std::uint64_t arg = 0) {
    trace_.events.push_back(TraceEvent{static_cast<std::uint64_t>(t), pid, kind, phase, object, value, arg});
  }
  void reserve(std::size_t events) { trace_.events.reserve(events); }
  SyntheticTrace done() && {
    std::stable_sort(trace_.events.begin(), trace_.events.end(),
                     [](const TraceEvent& a, const TraceEvent& b) { return a.time < b.time; });
    return std::move(trace_);
  }

 private:
  SyntheticTrace trace_;
};

enum : std::uint16_t { kMutex = 1, kSeats, kQueue, kDone, kInside, kReady };

}  // namespace

TraceModel SyntheticTrace::model() const {
  TraceModel model;
  for (const TraceEvent& e : events) model.ingest_ns(e, text_of(e));
  return model;
}

SyntheticTrace make_synthetic_trace(std::size_t min_events, int processes) {
  TraceMaker m;
  constexpr std::int32_t kMain = 1000;
  constexpr std::int64_t kMs = 1'000'000;
  // Every worker repeats a round of about 12 events; rounds are aligned so that each get follows its put.
  const auto workers = static_cast<std::size_t>(std::max(processes, 2) - 1);
  const std::size_t rounds = min_events / (workers * 12) + 1;
  m.reserve(rounds * workers * 13 + 4 * workers + 16);
  m.add(0, kMain, EventKind::ProcessBegin, Phase::Done, 0, 1, pack_arg(m.text("MainProcess")));
  const std::pair<std::uint16_t, std::pair<const char*, ObjectKind>> objects[] = {
      {kMutex, {"mutex", ObjectKind::Lock}},     {kSeats, {"seats", ObjectKind::Semaphore}},
      {kQueue, {"q", ObjectKind::Queue}},        {kDone, {"done", ObjectKind::Counter}},
      {kInside, {"inside", ObjectKind::Counter}}, {kReady, {"ready", ObjectKind::Event}}};
  for (const auto& [id, what] : objects)
    m.add(1, kMain, EventKind::ObjectNew, Phase::Done, id, id == kSeats ? 4 : id == kQueue ? 8 : 0,
          pack_arg(m.text(what.first), static_cast<std::uint32_t>(what.second)));

  const std::int64_t round_ns = 120 * kMs;
  std::int64_t done = 0, inside = 0;
  for (std::size_t w = 0; w < workers; ++w) {
    const auto pid = static_cast<std::int32_t>(kMain + 1 + w);
    const std::string name = fmt::format("Process-{}", w + 1);
    m.add(2 * kMs, kMain, EventKind::ProcessStart, Phase::Done, 0, 0, pack_arg(m.text(name), static_cast<std::uint32_t>(pid)));
    m.add(3 * kMs, pid, EventKind::ProcessBegin, Phase::Done, 0, kMain, pack_arg(m.text(name)));
  }
  for (std::size_t r = 0; r < rounds; ++r) {
    for (std::size_t w = 0; w < workers; ++w) {
      const auto pid = static_cast<std::int32_t>(kMain + 1 + w);
      const std::int64_t t = 5 * kMs + static_cast<std::int64_t>(r) * round_ns + static_cast<std::int64_t>((w * 7919) % 40) * kMs;
      const std::uint64_t put_seq = r * workers + w + 1;
      const std::uint64_t get_seq = r * workers + (w + workers - 1) % workers + 1;
      m.add(t, pid, EventKind::Sleep, Phase::Want, 0, 20 * kMs);
      m.add(t + 20 * kMs, pid, EventKind::Sleep, Phase::Done);
      m.add(t + 21 * kMs, pid, EventKind::LockAcquire, Phase::Want, kMutex);
      m.add(t + 24 * kMs, pid, EventKind::LockAcquire, Phase::Done, kMutex, 1);
      m.add(t + 25 * kMs, pid, EventKind::CounterSet, Phase::Done, kDone, ++done);
      m.add(t + 26 * kMs, pid, EventKind::LockRelease, Phase::Done, kMutex, 0);
      m.add(t + 27 * kMs, pid, EventKind::QueuePut, Phase::Done, kQueue, 0, put_seq);
      m.add(t + 60 * kMs, pid, EventKind::QueueGet, Phase::Want, kQueue);
      m.add(t + 66 * kMs, pid, EventKind::QueueGet, Phase::Done, kQueue, 0, get_seq);
      m.add(t + 67 * kMs, pid, EventKind::SemAcquire, Phase::Done, kSeats, 3);
      m.add(t + 68 * kMs, pid, EventKind::CounterSet, Phase::Done, kInside, ++inside % 5);
      m.add(t + 75 * kMs, pid, EventKind::SemRelease, Phase::Done, kSeats, 4);
      if (r % 10 == 0) m.add(t + 76 * kMs, pid, EventKind::Print, Phase::Done, 0, 0, pack_arg(m.text(fmt::format("round {}", r))));
    }
  }
  const std::int64_t end = 5 * kMs + static_cast<std::int64_t>(rounds) * round_ns + 50 * kMs;
  m.add(end - 40 * kMs, kMain, EventKind::EventSet, Phase::Done, kReady, 1);
  for (std::size_t w = 0; w < workers; ++w) {
    const auto pid = static_cast<std::int32_t>(kMain + 1 + w);
    m.add(end - 20 * kMs, pid, EventKind::ProcessEnd, Phase::Done);
    m.add(end - 10 * kMs, kMain, EventKind::ProcessReaped, Phase::Done, 0, 0, static_cast<std::uint64_t>(pid));
  }
  m.add(end, kMain, EventKind::ProcessEnd, Phase::Done);
  return std::move(m).done();
}

TraceModel synthetic_trace(std::size_t min_events, int processes) { return make_synthetic_trace(min_events, processes).model(); }

}  // namespace forkscope
