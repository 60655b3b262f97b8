// The trace: fixed-size events, lossless rings (a full ring makes the writer wait), the model, saved files.
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

#include "forkscope/big_vector.hpp"
#include "forkscope/pid_table.hpp"
#include "forkscope/trace_drain.hpp"
#include "forkscope/trace_file.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::InlineRun;

class Trace : public CleanTest {};

TEST_F(Trace, StringIdsAndExtrasPackIntoOneArgument) {
  const std::uint64_t arg = pack_arg(0xdeadbeef, 7);
  EXPECT_EQ(arg_string(arg), 0xdeadbeefu);
  EXPECT_EQ(arg_extra(arg), 7u);
}

// The model keeps events packed (12 bytes, most fields narrowed): every shape an event can take comes back as written,
// the ones that do not fit (wide values and args, far times, times out of order, kinds no packing can hold) included.
TEST_F(Trace, PackedEventsComeBackExactlyAsWritten) {
  std::vector<TraceEvent> written;
  const std::int64_t values[] = {0, 1, 126, 127, -1, -15, INT32_MAX, INT32_MIN, std::int64_t{INT32_MAX} + 1, INT64_MIN, INT64_MAX};
  const std::uint64_t args[] = {0, 7, UINT32_MAX, std::uint64_t{UINT32_MAX} + 1, pack_arg(3, 0x8001), UINT64_MAX};
  const std::uint64_t times[] = {0, 1'000'000, (std::uint64_t{1} << 48) - 1, std::uint64_t{1} << 48, INT64_MAX, 5'000'000'000};
  std::uint16_t object = 0;
  for (const std::int64_t value : values)
    for (const std::uint64_t arg : args)
      for (const std::uint64_t time : times)
        for (const Phase phase : {Phase::Done, Phase::Want, Phase::Fail, static_cast<Phase>(200)})
          written.push_back(TraceEvent{time, static_cast<std::int32_t>(written.size() % 5) - 2,
                                       static_cast<EventKind>(written.size() % 70), phase, object++, value, arg});
  EventLog log;
  for (const TraceEvent& e : written) log.push_back(e);
  ASSERT_EQ(log.size(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i) {
    ASSERT_EQ(log[i], written[i]) << "event " << i;
    ASSERT_EQ(log.time(i), written[i].time) << "event " << i;
    ASSERT_EQ(log.lane(i), log.find_lane(written[i].pid)) << "event " << i;
  }
  // A dense run's events, a little out of time order across processes, fit their block; far ones are kept whole.
  EventLog dense;
  std::vector<TraceEvent> in_order;
  for (std::uint64_t i = 0; i < 5000; ++i)
    in_order.push_back(TraceEvent{10'000'000'000 + i * 1000 - (i % 7) * 50'000'000, static_cast<std::int32_t>(i % 3),
                                  EventKind::QueuePut, Phase::Done, static_cast<std::uint16_t>(i % 1500), 0, i + 1});
  for (const TraceEvent& e : in_order) dense.push_back(e);
  EXPECT_TRUE(std::equal(dense.begin(), dense.end(), in_order.begin(), in_order.end()));
  const EventLog copy = log;  // a copy owns its own chunks
  log.push_back(TraceEvent{});
  EXPECT_EQ(copy.size() + 1, log.size());
  EXPECT_TRUE(std::equal(copy.begin(), copy.end(), written.begin()));
  EventLog moved = std::move(log);  // a log moved from is empty, and usable
  EXPECT_EQ(moved.size(), copy.size() + 1);
  EXPECT_TRUE(log.empty());  // NOLINT(bugprone-use-after-move)
  log.push_back(written.back());
  EXPECT_EQ(log[0], written.back());
}

// The model's big arrays (BigVector) grow with realloc (in place, or by moving page tables): every element is kept,
// through growth, inserts, erases, copies, moves and a shrink.
TEST_F(Trace, BigArraysKeepEveryElementThroughGrowthCopiesAndMoves) {
  constexpr std::uint32_t kCount = 5u << 20;  // 20 MB of uint32_t: in a mapping of its own (glibc: from 32 MB at most)
  const auto value = [](std::uint32_t i) { return i * 2654435761u; };
  BigVector<std::uint32_t> big;
  for (std::uint32_t i = 0; i < kCount; ++i) big.push_back(value(i));
  ASSERT_GE(big.capacity(), big.size());
  big.push_back(big[0]);  // an element of its own, at a full capacity or not
  big.insert(big.begin() + 1, value(kCount));
  big.erase(big.begin() + 1, big.begin() + 2);
  big.pop_back();
  const BigVector<std::uint32_t> copy = big;
  BigVector<std::uint32_t> moved = std::move(big);
  EXPECT_TRUE(big.empty());  // NOLINT(bugprone-use-after-move)
  ASSERT_EQ(copy.size(), kCount);
  ASSERT_TRUE(copy == moved);
  for (std::uint32_t i = 0; i < kCount; ++i) ASSERT_EQ(copy[i], value(i)) << i;
  moved.resize(10);
  moved.shrink_to_fit();
  EXPECT_EQ(moved.capacity(), 10u);
  moved.resize(12);  // new elements are zero
  EXPECT_EQ(moved[9], value(9));
  EXPECT_EQ(moved[11], 0u);
  big = copy;  // a moved-from vector can be assigned to
  EXPECT_EQ(big.back(), value(kCount - 1));
}

// Pids are numbered in the order they were first seen, through the table's growth, negative pids and 0 included.
TEST_F(Trace, PidsAreNumberedInTheOrderFirstSeen) {
  PidTable table;
  std::vector<std::int32_t> pids;
  for (std::int32_t i = 0; i < 5000; ++i) pids.push_back((i % 2 ? -1 : 1) * i * 7919);
  for (std::size_t round = 0; round < 3; ++round)
    for (std::size_t i = 0; i < pids.size(); ++i) {
      ASSERT_EQ(table.number_of(pids[i]), i) << pids[i];
      ASSERT_EQ(table.number_of(pids[i]), i) << "asked again at once";
    }
  EXPECT_EQ(table.size(), pids.size());
  for (std::size_t i = 0; i < pids.size(); ++i) {
    EXPECT_EQ(table.find(pids[i]), i);
    EXPECT_EQ(table.pid(static_cast<std::uint32_t>(i)), pids[i]);
  }
  EXPECT_EQ(table.find(3), PidTable::kNone);
  EXPECT_EQ(PidTable().find(0), PidTable::kNone);
}

// A counter's samples are kept 32 bits wide until a value needs more (a lesson's sum): every value comes back, before
// and after, and a late queue event still shifts the depths after it.
// The model's texts are stored once: a printed line is a view into them. Whatever becomes of a model, a copy's
// views stay right: the copy shares the chunks written before it, and each writes its own after.
TEST_F(Trace, TextsAreStoredOnceAndCopiesKeepTheirs) {
  TextTable table;
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.find(7), std::nullopt);
  EXPECT_EQ(table.add(7, "seven"), "seven");
  EXPECT_EQ(table.add(7, "another"), "seven");  // the first text of an id stays
  EXPECT_EQ(table.add(9, ""), "");
  const std::string long_text(200'000, 'x');  // longer than a chunk
  EXPECT_EQ(table.add(3, long_text), long_text);
  for (StringId id = 100; id < 5'100; ++id) table.add(id, fmt::format("text {}", id));  // grows the index many times
  ASSERT_EQ(table.size(), 5'003u);
  EXPECT_EQ(table.find(4'321), "text 4321");
  EXPECT_EQ(table.find(9), "");
  EXPECT_EQ(table[0], (std::pair<StringId, std::string_view>{7, "seven"}));  // in the order they were added
  EXPECT_EQ(table[2].second, long_text);

  TextTable reordered;  // the same texts added in another order are the same table
  for (std::size_t i = table.size(); i > 0; --i) reordered.add(table[i - 1].first, table[i - 1].second);
  EXPECT_EQ(reordered, table);
  reordered.add(1, "one more");
  EXPECT_NE(reordered, table);

  // A printed line's text lives as long as any model holding it; the copy and the original each add their own.
  auto original = std::make_unique<TraceModel>();
  original->ingest_ns(TraceEvent{1, 5, EventKind::Print, Phase::Done, 0, 0, pack_arg(1)}, "before the copy");
  TraceModel copy = *original;
  original->ingest_ns(TraceEvent{2, 5, EventKind::Print, Phase::Done, 0, 0, pack_arg(2)}, "only the original's");
  copy.ingest_ns(TraceEvent{2, 5, EventKind::Print, Phase::Done, 0, 0, pack_arg(2)}, "only the copy's");
  EXPECT_EQ(original->lines()[1].text, "only the original's");
  original.reset();
  ASSERT_EQ(copy.lines().size(), 2u);
  EXPECT_EQ(copy.lines()[0].text, "before the copy");
  EXPECT_EQ(copy.lines()[1].text, "only the copy's");
  EXPECT_EQ(copy.text(2), "only the copy's");
  TraceModel moved = std::move(copy);
  EXPECT_EQ(moved.lines()[0].text, "before the copy");
}

// Live events of different processes can arrive out of time order: a release read after the acquire that followed
// it (the releaser wrote its event after the next holder wrote its own). Each hold still runs from its acquire to
// its release, and the lock keeps its new holder.
TEST_F(Trace, AReleaseThatArrivesAfterTheNextAcquireEndsItsOwnHold) {
  TraceModel m;
  m.ingest_ns(TraceEvent{1, 1, EventKind::ObjectNew, Phase::Done, 1, 1, pack_arg(1, static_cast<std::uint32_t>(ObjectKind::Lock))}, "mutex");
  const auto lock = [&](std::uint64_t t, std::int32_t pid, EventKind kind, Phase phase, std::int64_t value) {
    m.ingest_ns(TraceEvent{t, pid, kind, phase, 1, value, 0});
  };
  lock(10, 1, EventKind::LockAcquire, Phase::Done, 1);
  lock(12, 2, EventKind::LockAcquire, Phase::Want, 0);
  lock(30, 2, EventKind::LockAcquire, Phase::Done, 1);  // arrives before the release that let it happen
  lock(20, 1, EventKind::LockRelease, Phase::Done, 0);
  EXPECT_EQ(m.object(1)->holder, 2);
  lock(40, 2, EventKind::LockRelease, Phase::Done, 0);
  EXPECT_EQ(m.object(1)->holder, 0);
  ASSERT_EQ(m.process(1)->holds.size(), 1u);
  EXPECT_EQ(m.process(1)->holds[0].begin_ns, 10);
  EXPECT_EQ(m.process(1)->holds[0].end_ns, 20);
  ASSERT_EQ(m.process(2)->holds.size(), 1u);
  EXPECT_EQ(m.process(2)->holds[0].begin_ns, 30);
  EXPECT_EQ(m.process(2)->holds[0].end_ns, 40);
}

TEST_F(Trace, CounterSamplesKeepValuesBeyondThirtyTwoBits) {
  TraceModel m;
  m.ingest_ns(TraceEvent{1, 7, EventKind::ObjectNew, Phase::Done, 1, 0, pack_arg(1, static_cast<std::uint32_t>(ObjectKind::Counter))}, "sum");
  m.ingest_ns(TraceEvent{1, 7, EventKind::ObjectNew, Phase::Done, 2, 0, pack_arg(2, static_cast<std::uint32_t>(ObjectKind::Queue))}, "q");
  const std::int64_t values[] = {5, INT32_MAX, std::int64_t{INT32_MAX} + 1, -(std::int64_t{1} << 40), 3};
  std::uint64_t t = 10;
  for (const std::int64_t v : values) m.ingest_ns(TraceEvent{t++, 7, EventKind::CounterSet, Phase::Done, 1, v});
  std::vector<std::int64_t> seen;
  for (const Sample& s : m.object(1)->samples) seen.push_back(s.value);
  EXPECT_EQ(seen, (std::vector<std::int64_t>{0, 5, INT32_MAX, std::int64_t{INT32_MAX} + 1, -(std::int64_t{1} << 40), 3}));
  EXPECT_EQ(m.object(1)->max_value(), std::int64_t{INT32_MAX} + 1);
  EXPECT_EQ(m.object(1)->value_at(11), INT32_MAX);

  m.ingest_ns(TraceEvent{100, 7, EventKind::QueuePut, Phase::Done, 2, 0, 1});
  m.ingest_ns(TraceEvent{300, 7, EventKind::QueuePut, Phase::Done, 2, 0, 2});
  m.ingest_ns(TraceEvent{200, 8, EventKind::QueueGet, Phase::Done, 2, 0, 1});  // read late: the depth after it drops
  std::vector<std::int64_t> depth;
  for (const Sample& s : m.object(2)->samples) depth.push_back(s.value);
  EXPECT_EQ(depth, (std::vector<std::int64_t>{0, 1, 0, 1}));
}

// A model's spans, holds, samples and flows are the events that made them, read through the model's log: each says
// the time, object, child, value and pid its event says; what an event does not say (a begin moved to keep a
// process's spans in order) is kept beside it. A copy reads its own log once the original is gone, and so does a move.
TEST_F(Trace, TheModelsListsSayWhatTheirEventsSayInACopyAndAfterAMove) {
  auto original = std::make_unique<TraceModel>();
  const auto add = [&](std::uint64_t t, std::int32_t pid, EventKind kind, Phase phase, std::uint16_t object = 0,
                       std::int64_t value = 0, std::uint64_t arg = 0) {
    original->ingest_ns(TraceEvent{t, pid, kind, phase, object, value, arg});
  };
  const auto object_new = [&](std::uint16_t id, ObjectKind kind, std::int64_t value) {
    original->ingest_ns(TraceEvent{1, 10, EventKind::ObjectNew, Phase::Done, id, value, pack_arg(id, static_cast<std::uint32_t>(kind))}, "o");
  };
  const std::int64_t big = std::int64_t{1} << 40;
  object_new(1, ObjectKind::Lock, 0);
  object_new(2, ObjectKind::Queue, 3);
  object_new(3, ObjectKind::Counter, big);  // a value only a whole event keeps
  add(20, 10, EventKind::ProcessJoin, Phase::Want, 0, 0, 11);
  add(21, 11, EventKind::LockAcquire, Phase::Want, 1);
  add(22, 11, EventKind::LockAcquire, Phase::Done, 1, 1);
  add(23, 11, EventKind::QueuePut, Phase::Done, 2, 0, 1);
  add(24, 11, EventKind::QueuePut, Phase::Done, 3, 0, 1);  // a hostile trace: a put into a counter
  add(26, 11, EventKind::LockRelease, Phase::Done, 1, 0);
  add(40, 11, EventKind::Sleep, Phase::Want, 0, 5);
  add(35, 10, EventKind::ProcessReaped, Phase::Done, 0, 0, 11);  // read after the child's later sleep
  add(36, 10, EventKind::ProcessJoin, Phase::Done, 0, 0, 11);
  add(37, 10, EventKind::QueueGet, Phase::Done, 2, 0, 1);

  const auto check = [&](const TraceModel& m) {
    const auto spans = [&](std::int32_t pid) {
      std::vector<std::tuple<std::int64_t, std::int64_t, ProcState, std::uint16_t, std::int32_t>> out;
      for (const StateSpan& s : m.process(pid)->spans) out.emplace_back(s.begin_ns, s.end_ns, s.state, s.object, s.peer);
      return out;
    };
    using Spans = decltype(spans(0));
    EXPECT_EQ(spans(10), (Spans{{1, 20, ProcState::Running, 0, 0}, {20, 36, ProcState::BlockedJoin, 0, 11},
                                {36, kOpenEnd, ProcState::Running, 0, 0}}));
    // The child's reap, read after its later sleep, ends the sleep where it began: that span's begin is not its event's.
    EXPECT_EQ(spans(11), (Spans{{21, 21, ProcState::Running, 0, 0}, {21, 22, ProcState::BlockedLock, 1, 0},
                                {22, 40, ProcState::Running, 0, 0}, {40, kOpenEnd, ProcState::Exited, 0, 0}}));
    const ProcessInfo& child = *m.process(11);
    ASSERT_EQ(child.holds.size(), 1u);
    EXPECT_EQ(child.holds[0].begin_ns, 22);
    EXPECT_EQ(child.holds[0].end_ns, 26);
    EXPECT_EQ(child.holds[0].object, 1);
    const auto samples = [&](std::uint16_t id) {
      std::vector<std::pair<std::int64_t, std::int64_t>> out;
      for (const Sample& s : m.object(id)->samples) out.emplace_back(s.t_ns, s.value);
      return out;
    };
    using Samples = decltype(samples(0));
    EXPECT_EQ(samples(1), (Samples{{1, 0}, {22, 1}, {26, 0}}));
    EXPECT_EQ(samples(2), (Samples{{1, 0}, {23, 1}, {37, 0}}));
    EXPECT_EQ(samples(3), (Samples{{1, big}, {24, big + 1}}));
    ASSERT_EQ(m.flows().size(), 2u);
    const Flow f = m.flows()[0];
    EXPECT_EQ(std::tuple(f.object, f.seq, f.put_pid, f.get_pid, f.put_ns, f.get_ns), std::tuple(std::uint16_t{2}, 1u, 11, 10, std::int64_t{23}, std::int64_t{37}));
    EXPECT_FALSE(m.flows()[1].complete());
    EXPECT_EQ(m.flows()[1].put_ns, 24);
    EXPECT_EQ(m.flows()[1].get_pid, 0);
  };
  check(*original);
  TraceModel copy = *original;
  original.reset();
  check(copy);
  const TraceModel moved = std::move(copy);
  check(moved);
}

// A queue's depth is kept 16 bits wide while it fits, then 32: a queue 40,000 deep (a producer far ahead of its
// consumer) keeps every depth, and a get read late still lowers every depth after it, across the widening.
TEST_F(Trace, AQueueDeeperThanSixteenBitsKeepsEveryDepth) {
  TraceModel m;
  m.ingest_ns(TraceEvent{1, 7, EventKind::ObjectNew, Phase::Done, 1, 0, pack_arg(1, static_cast<std::uint32_t>(ObjectKind::Queue))}, "q");
  constexpr std::uint64_t kPuts = 40'000;
  for (std::uint64_t i = 1; i <= kPuts; ++i) m.ingest_ns(TraceEvent{10 * i, 7, EventKind::QueuePut, Phase::Done, 1, 0, i});
  m.ingest_ns(TraceEvent{15, 8, EventKind::QueueGet, Phase::Done, 1, 0, 1});  // between the first two puts, read last
  const SampleList& depth = m.object(1)->samples;
  ASSERT_EQ(depth.size(), kPuts + 2);
  EXPECT_EQ(depth[0], (Sample{1, 0}));
  EXPECT_EQ(depth[1], (Sample{10, 1}));
  EXPECT_EQ(depth[2], (Sample{15, 0}));
  for (std::uint64_t i = 2; i <= kPuts; ++i) ASSERT_EQ(depth[i + 1], (Sample{static_cast<std::int64_t>(10 * i), static_cast<std::int64_t>(i - 1)})) << i;
  EXPECT_EQ(m.object(1)->max_value(), static_cast<std::int64_t>(kPuts - 1));
}

// Beyond 4,095 processes a lane no longer fits its 12 bits: those events are kept whole, and every pid is still its own.
TEST_F(Trace, PackedEventsOfMoreProcessesThanLanesFitKeepTheirPids) {
  EventLog log;
  constexpr std::int32_t kPids = 70'000;
  for (std::int32_t pid = 1; pid <= kPids; ++pid) log.push_back(TraceEvent{static_cast<std::uint64_t>(pid), pid, EventKind::Mark});
  for (std::int32_t pid = kPids; pid >= 1; --pid) log.push_back(TraceEvent{static_cast<std::uint64_t>(pid), pid, EventKind::Print});
  ASSERT_EQ(log.lanes(), static_cast<std::size_t>(kPids));
  for (std::size_t i = 0; i < log.size(); ++i) {
    const std::int32_t pid = i < kPids ? static_cast<std::int32_t>(i) + 1 : static_cast<std::int32_t>(2 * kPids - i);
    ASSERT_EQ(log[i].pid, pid) << "event " << i;
    ASSERT_EQ(log.find_lane(pid), static_cast<std::uint32_t>(pid - 1));
    ASSERT_EQ(log.lane(i), static_cast<std::uint32_t>(pid - 1));
  }
  EXPECT_EQ(log.find_lane(kPids + 1), EventLog::kNoLane);
}

// 16 processes write 100k events each into rings of 16k: every event arrives, in order, and writers waited.
TEST_F(Trace, SixteenProcessesTimesHundredThousandEventsAllArriveInOrder) {
  constexpr int kProcesses = 16;
  constexpr std::int64_t kEvents = 100'000;
  InlineRun run(
      [](LessonContext&) {
        std::vector<Process> writers;
        for (int w = 0; w < kProcesses; ++w)
          writers.emplace_back([] {
            for (std::int64_t i = 0; i < kEvents; ++i) trace_event(EventKind::Mark, 0, i);
          });
        for (auto& p : writers) p.start();
        for (auto& p : writers) p.join();
      },
      {.timeout_seconds = 240});
  ASSERT_EQ(run.report().main_exitcode, 0);
  EXPECT_EQ(run.report().lost_events, 0u);
  EXPECT_GT(run.report().ring_full_waits, 0u) << "the rings were meant to fill and make the writers wait";

  std::map<std::int32_t, std::int64_t> marks;  // per pid: how many came, while each came in its turn
  std::map<std::int32_t, bool> in_order;
  for (const TraceEvent& e : run.model().events())
    if (e.kind == EventKind::Mark) {
      auto [ordered, fresh] = in_order.try_emplace(e.pid, true);
      ordered->second &= e.value == marks[e.pid]++;
    }
  int writers_seen = 0;
  for (const ProcessInfo& p : run.model().processes()) {
    if (p.name == "MainProcess") continue;
    ++writers_seen;
    EXPECT_EQ(marks[p.pid], kEvents) << p.name;
    EXPECT_TRUE(in_order[p.pid]) << p.name;
  }
  EXPECT_EQ(writers_seen, kProcesses);
}

TEST_F(Trace, TimestampsOfOneProcessNeverGoBackwards) {
  InlineRun run([](LessonContext&) {
    Lock lock("l");
    Queue q(0, "q");
    for (int i = 0; i < 1000; ++i) {
      std::lock_guard guard(lock);
      q.put(i);
      (void)q.get();
    }
  });
  std::map<std::int32_t, std::uint64_t> last;  // per process
  for (const TraceEvent& e : run.model().events()) {
    if (e.pid == kViewerPid) continue;
    EXPECT_GE(e.time, last[e.pid]) << e.pid;
    last[e.pid] = e.time;
  }
  EXPECT_EQ(last.size(), run.model().processes().size());
}

TEST_F(Trace, ASavedTraceRebuildsTheSameModel) {
  InlineRun run(forkscope::testing::five_items_through_a_queue);
  const auto file = std::filesystem::temp_directory_path() / fmt::format("forkscope-test-{}.fstrace", getpid());
  save_trace(run.model(), {{"lesson", "inline-test"}}, file);
  nlohmann::json meta;
  const TraceModel loaded = load_trace(file, &meta);
  std::filesystem::remove(file);

  EXPECT_EQ(meta["lesson"], "inline-test");
  EXPECT_EQ(loaded.events().size(), run.model().events().size());
  ASSERT_EQ(loaded.processes().size(), run.model().processes().size());
  for (std::size_t i = 0; i < loaded.processes().size(); ++i) {
    EXPECT_EQ(loaded.processes()[i].name, run.model().processes()[i].name);
    EXPECT_EQ(loaded.processes()[i].exitcode, run.model().processes()[i].exitcode);
    EXPECT_EQ(loaded.processes()[i].spans.size(), run.model().processes()[i].spans.size());
  }
  ASSERT_EQ(loaded.lines().size(), 5u);
  EXPECT_EQ(loaded.object_named("q")->max_value(), run.model().object_named("q")->max_value());
  EXPECT_EQ(loaded.flows().size(), 5u);
}

TEST_F(Trace, AFileThatIsNotATraceIsABadInput) {
  const auto file = std::filesystem::temp_directory_path() / fmt::format("forkscope-test-{}.bad", getpid());
  std::ofstream(file) << "not a trace";
  EXPECT_THROW((void)load_trace(file), UsageError);
  std::filesystem::remove(file);
  EXPECT_THROW((void)load_trace("/nonexistent/forkscope.fstrace"), UsageError);
}

TEST_F(Trace, ChromeTraceHasSlicesCountersAndFlowArrows) {
  InlineRun run([](LessonContext&) {
    Queue q(0, "q");
    Process child([q]() mutable { q.put(1); });
    child.start();
    (void)q.get();
    child.join();
  });
  const nlohmann::json chrome = chrome_trace(run.model());
  std::set<std::string> phases;
  for (const auto& e : chrome["traceEvents"]) phases.insert(e["ph"].get<std::string>());
  for (const char* ph : {"M", "X", "C", "s", "f", "i"}) EXPECT_TRUE(phases.count(ph)) << ph;
}

// Every event, in every phase, is one sentence of the phrase book, filled completely.
TEST_F(Trace, EveryEventIsASentenceOfThePhraseBook) {
  TraceModel model;
  model.ingest_ns({0, 1, EventKind::ObjectNew, Phase::Done, 1, 5, pack_arg(1, static_cast<std::uint32_t>(ObjectKind::Queue))}, "q");
  for (int kind = 0; kind < static_cast<int>(EventKind::Count_); ++kind)
    for (Phase phase : {Phase::Done, Phase::Want, Phase::Fail}) {
      const TraceEvent e{10, 1, static_cast<EventKind>(kind), phase, 1, 15, 2};
      const Phrase phrase = model.phrase(e);
      const PhraseFormat* format = find_phrase(phrase.key);
      ASSERT_NE(format, nullptr) << to_string(e.kind);
      EXPECT_EQ(format->args, static_cast<int>(phrase.args.size())) << phrase.key;
      EXPECT_EQ(model.describe(e), english(phrase));
      EXPECT_EQ(english(phrase).find('{'), std::string::npos) << phrase.key;
    }
  EXPECT_EQ(model.describe({10, 1, EventKind::QueuePut, Phase::Want, 1, 0, 0}), "waits to put into Queue 'q' (full)");
}

// A translated sentence must use each argument once, in order or by index; one that does not falls back.
TEST_F(Trace, ASentenceFitsItsArgumentsOrIsRefused) {
  const Phrase served{"op.serve", {"d['count']", "42"}};
  EXPECT_EQ(fill("serves {} for pid {}", served), "serves d['count'] for pid 42");
  EXPECT_EQ(fill("为 pid {1} 处理 {0}", served), "为 pid 42 处理 d['count']");
  EXPECT_EQ(fill("{{literal}} {} {}", served), "{literal} d['count'] 42");
  for (const char* wrong : {"{}", "{} {} {}", "{0} {0}", "{1} {2}", "{} {1}", "{:>5} {}", "{ {}"})
    EXPECT_EQ(fill(wrong, served), std::nullopt) << wrong;
  EXPECT_EQ(english({"op.no_such_sentence", {}}), "op.no_such_sentence");
}

// The viewer's drain (TraceDrain, what Run does every poll) hands the model each pass's events in time order up to
// the watermark; equal times keep ring order (what was held back first), and a ring whose clock went back is sorted.
TEST_F(Trace, TheDrainOrdersRingsByTimeUpToTheWatermark) {
  Session session = Session::create(ClockCalibration{}, SessionLimits{2, 64});
  RingWriter a = session.ring_writer(session.allocate_slot()), b = session.ring_writer(session.allocate_slot());
  const auto mark = [](RingWriter& ring, std::int32_t pid, std::uint64_t t, std::int64_t value) {
    ring.push(TraceEvent{t, pid, EventKind::Mark, Phase::Done, 0, value, kNoString});
  };
  TraceModel model;
  TraceDrain drain;
  const auto seen = [&] {
    std::vector<std::int64_t> values;
    for (const TraceEvent& e : model.events()) values.push_back(e.pid * 100 + e.value);
    return values;
  };
  mark(a, 1, 10, 1), mark(a, 1, 20, 2), mark(a, 1, 30, 3), mark(a, 1, 30, 4);
  mark(b, 2, 5, 1), mark(b, 2, 20, 2), mark(b, 2, 25, 3);
  EXPECT_EQ(drain.drain(session, model), 5u);  // up to 25, the earliest ring's latest; 30 waits
  EXPECT_EQ(seen(), (std::vector<std::int64_t>{201, 101, 102, 202, 203}));
  mark(b, 2, 30, 4), mark(b, 2, 40, 5);
  EXPECT_EQ(drain.drain(session, model), 4u);
  EXPECT_EQ(seen(), (std::vector<std::int64_t>{201, 101, 102, 202, 203, 103, 104, 204, 205}));
  mark(a, 1, 50, 5), mark(a, 1, 45, 6);
  EXPECT_EQ(drain.drain(session, model, true), 2u);
  EXPECT_EQ(seen(), (std::vector<std::int64_t>{201, 101, 102, 202, 203, 103, 104, 204, 205, 106, 105}));
  EXPECT_FALSE(drain.holds_events());
}

// Forty rings (more than the sixteen merged at once: two passes) with many equal times come out exactly as a stable
// sort by time of the rings' events in ring order would give them.
TEST_F(Trace, TheDrainMergesManyRingsAsAStableSortWould) {
  constexpr std::uint32_t kRings = 40;
  Session session = Session::create(ClockCalibration{}, SessionLimits{kRings, 256});
  std::vector<TraceEvent> written;
  for (std::uint32_t r = 0; r < kRings; ++r) {
    RingWriter ring = session.ring_writer(session.allocate_slot());
    const std::uint32_t events = (r * 37) % 101;  // 0 to 100 events, some rings empty
    for (std::uint32_t i = 0; i < events; ++i) {
      const TraceEvent e{(i * (r % 3 + 1)) / 4 * 10, static_cast<std::int32_t>(100 + r), EventKind::Mark, Phase::Done, 0, i, kNoString};
      ring.push(e);
      written.push_back(e);
    }
  }
  std::stable_sort(written.begin(), written.end(), [](const TraceEvent& a, const TraceEvent& b) { return a.time < b.time; });
  TraceModel model;
  TraceDrain drain;
  EXPECT_EQ(drain.drain(session, model, true), written.size());
  ASSERT_EQ(model.events().size(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i) {
    ASSERT_EQ(model.events()[i].pid, written[i].pid) << i;
    ASSERT_EQ(model.events()[i].value, written[i].value) << i;
    ASSERT_EQ(model.events()[i].time, written[i].time) << i;
  }
}

// A backlog bigger than a slice goes in slice after slice, and still as one stable sort of it all would give it: with
// many equal times, rings of every size (one event, or thousands), and a drain that holds newer events back first.
TEST_F(Trace, ABacklogDrainedInSlicesComesOutAsAStableSortWould) {
  constexpr std::uint32_t kRings = 50, kCapacity = 8192;
  for (const bool hold_back_first : {false, true}) {
    Session session = Session::create(ClockCalibration{}, SessionLimits{kRings, kCapacity});
    std::vector<TraceEvent> written;
    for (std::uint32_t r = 0; r < kRings; ++r) {
      RingWriter ring = session.ring_writer(session.allocate_slot());
      const std::uint32_t events = r % 7 == 0 ? 1 : (r * 977) % kCapacity;
      for (std::uint32_t i = 0; i < events; ++i) {
        const std::uint64_t t = r % 7 == 0 ? r * 10'000 : (i * (r % 4 + 1)) / 3 * 10;
        const TraceEvent e{t, static_cast<std::int32_t>(100 + r), EventKind::Mark, Phase::Done, 0, i, kNoString};
        ring.push(e);
        written.push_back(e);
      }
    }
    ASSERT_GT(written.size(), 4 * TraceDrain::kSlice);
    std::stable_sort(written.begin(), written.end(), [](const TraceEvent& a, const TraceEvent& b) { return a.time < b.time; });
    TraceModel model;
    TraceDrain drain;
    std::size_t got = 0;
    if (hold_back_first) {
      got = drain.drain(session, model);
      EXPECT_LT(got, written.size());  // the newest wait: the ring of one early event ends the watermark
      EXPECT_TRUE(drain.holds_events());
    }
    got += drain.drain(session, model, true);
    EXPECT_EQ(got, written.size());
    ASSERT_EQ(model.events().size(), written.size());
    for (std::size_t i = 0; i < written.size(); ++i) {
      ASSERT_EQ(model.events()[i].pid, written[i].pid) << i << (hold_back_first ? " after holding back" : "");
      ASSERT_EQ(model.events()[i].value, written[i].value) << i;
    }
  }
}
