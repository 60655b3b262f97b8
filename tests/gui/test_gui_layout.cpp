// The parts of the GUI that need no window: UI strings in both languages, the timeline's lane order and level of
// detail, counters, and the synthetic trace the frame benchmark draws.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "forkscope/lesson_text.hpp"
#include "frame_bench.hpp"
#include "gui_test_support.hpp"
#include "palette.hpp"
#include "strings.hpp"
#include "timeline_layout.hpp"

using namespace forkscope;
using namespace forkscope::gui;

namespace {

// A tiny trace in nanoseconds: main (pid 10) starts child 11, which waits 300 ns for a lock.
TraceModel lock_trace() {
  TraceModel m;
  m.ingest_ns({0, 10, EventKind::ProcessBegin, Phase::Done, 0, 1, pack_arg(1)}, "MainProcess");
  m.ingest_ns({5, 10, EventKind::ObjectNew, Phase::Done, 1, 0, pack_arg(2, static_cast<std::uint32_t>(ObjectKind::Lock))}, "mutex");
  m.ingest_ns({10, 10, EventKind::ProcessStart, Phase::Done, 0, 0, pack_arg(3, 11)}, "Process-1");
  m.ingest_ns({20, 11, EventKind::ProcessBegin, Phase::Done, 0, 10, pack_arg(3)}, "Process-1");
  m.ingest_ns({100, 11, EventKind::LockAcquire, Phase::Want, 1}, {});
  m.ingest_ns({400, 11, EventKind::LockAcquire, Phase::Done, 1, 1}, {});
  m.ingest_ns({500, 11, EventKind::LockRelease, Phase::Done, 1, 0}, {});
  m.ingest_ns({600, 11, EventKind::ProcessEnd, Phase::Done}, {});
  return m;
}

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(GuiStrings, BothLanguagesHaveEveryKeyTheCodeUses) {
  const Strings strings(assets_dir() / "i18n");
  const auto en = strings.keys("en"), zh = strings.keys("zh");
  const std::set<std::string> english(en.begin(), en.end()), chinese(zh.begin(), zh.end());
  // Chinese has the UI's keys and, on top, a sentence for every event (English takes those from the core).
  std::set<std::string> expected_chinese = english;
  for (const PhraseFormat& phrase : phrase_book()) expected_chinese.emplace(phrase.key);
  EXPECT_EQ(chinese, expected_chinese);
  // Every literal key in the GUI's sources, and every state's key.
  std::set<std::string> used;
  const std::regex key(R"re("((toolbar|status|panel|lesson|params|processes|objects|console|result|compare|timeline|tooltip|value|kind|open|save|explore|deadlock|run)\.[a-z_]+)")re");
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(FORKSCOPE_SOURCE_DIR) / "app" / "gui")) {
    const std::string code = read(entry.path());
    for (auto m = std::sregex_iterator(code.begin(), code.end(), key); m != std::sregex_iterator(); ++m) used.insert((*m)[1]);
  }
  for (int s = 0; s < static_cast<int>(ProcState::Count_); ++s) used.insert(state_key(static_cast<ProcState>(s)));
  EXPECT_GT(used.size(), 50u);
  for (const std::string& k : used) {
    EXPECT_TRUE(english.contains(k)) << k << " is missing in en.json";
    EXPECT_TRUE(chinese.contains(k)) << k << " is missing in zh.json";
  }
}

TEST(GuiStrings, EveryEventReadsInChineseWithItsArguments) {
  Strings strings(assets_dir() / "i18n");
  strings.set_language("zh");
  for (const PhraseFormat& format : phrase_book()) {
    const Phrase phrase{format.key, std::vector<std::string>(static_cast<std::size_t>(format.args), "§")};
    const std::optional<std::string> chinese = fill(strings(format.key), phrase);
    ASSERT_TRUE(chinese) << format.key << ": the Chinese sentence does not take " << format.args << " arguments";
    std::size_t shown = 0;
    for (std::size_t at = chinese->find("§"); at != std::string::npos; at = chinese->find("§", at + 1)) ++shown;
    EXPECT_EQ(shown, phrase.args.size()) << format.key;
  }
  EXPECT_EQ(strings.say({"op.get", {"3", "Queue 'q'", "2"}}), "从 Queue 'q' 取出第 3 个数据（深度 2）");
  strings.set_language("en");
  EXPECT_EQ(strings.say({"op.get", {"3", "Queue 'q'", "2"}}), "got item #3 from Queue 'q' (depth 2)");
}

TEST(GuiLayout, ChildrenGetLanesUnderTheirParent) {
  TraceModel m;
  auto begin = [&](std::uint64_t t, std::int32_t pid, std::int32_t ppid) {
    m.ingest_ns({t, pid, EventKind::ProcessBegin, Phase::Done, 0, ppid, pack_arg(static_cast<StringId>(pid))}, "p");
  };
  begin(0, 1, 0);
  begin(10, 2, 1);
  begin(20, 3, 1);
  begin(30, 4, 2);  // a grandchild, begun after its uncle
  const std::vector<Lane> lanes = lanes_in_tree_order(m);
  ASSERT_EQ(lanes.size(), 4u);
  EXPECT_EQ(lanes[0].pid, 1);
  EXPECT_EQ(lanes[1].pid, 2);
  EXPECT_EQ(lanes[2].pid, 4);
  EXPECT_EQ(lanes[2].depth, 2);
  EXPECT_EQ(lanes[3].pid, 3);
  EXPECT_EQ(lanes[3].depth, 1);
}

TEST(GuiLayout, EachColumnShowsTheStateThatFillsMostOfIt) {
  const TraceModel m = lock_trace();
  const ProcessInfo& child = *m.process(11);
  std::vector<std::uint8_t> cells(6);
  // 100 ns per column: 0-100 running (from 20), 100-400 blocked on the lock, then running, exited from 600.
  rasterize_states(child, TimeAxis{0, 600, 0, 6}, TrackWindow{0, 0, kOpenEnd, 600}, cells);
  EXPECT_EQ(cells[0], static_cast<std::uint8_t>(ProcState::Running));
  for (int c : {1, 2, 3}) EXPECT_EQ(cells[static_cast<std::size_t>(c)], static_cast<std::uint8_t>(ProcState::BlockedLock)) << c;
  EXPECT_EQ(cells[4], static_cast<std::uint8_t>(ProcState::Running));
  // Zoomed out, one column holds it all: blocked (300 ns) outweighs running (280 ns).
  std::vector<std::uint8_t> one(1);
  rasterize_states(child, TimeAxis{0, 600, 0, 1}, TrackWindow{0, 0, kOpenEnd, 600}, one);
  EXPECT_EQ(one[0], static_cast<std::uint8_t>(ProcState::BlockedLock));
  // Nothing before the process began, nothing past the live edge.
  rasterize_states(child, TimeAxis{0, 600, 0, 6}, TrackWindow{0, 0, kOpenEnd, 250}, cells);
  EXPECT_EQ(cells[3], kNoState);
  rasterize_states(child, TimeAxis{-600, 0, 0, 6}, TrackWindow{0, 0, kOpenEnd, 600}, cells);
  EXPECT_EQ(cells[5], kNoState);
}

TEST(GuiLayout, AStepAxisGivesEveryStepTheSameColumnsHoweverLongItTook) {
  const TraceModel m = lock_trace();
  const ProcessInfo& child = *m.process(11);
  // Steps start at 100 (the lock wait, 300 ns), 400 and 500 (100 ns each); the last runs on to 600.
  const auto warp = std::make_shared<const StepWarp>(std::vector<double>{100, 400, 500}, 600);
  EXPECT_EQ(warp->steps(), 3u);
  for (double t : {0.0, 50.0, 100.0, 250.0, 400.0, 599.0, 700.0}) EXPECT_NEAR(warp->time_at(warp->step_at(t)), t, 1e-9) << t;
  EXPECT_DOUBLE_EQ(warp->step_at(400), 2);
  EXPECT_DOUBLE_EQ(warp->step_at(250), 1.5);

  // Two columns a step: the 300 ns wait takes two, as the 100 ns steps do.
  TimeAxis steps{0, 4, 0, 8};
  steps.use_steps(warp);
  std::vector<std::uint8_t> cells(8);
  rasterize_states(child, steps, TrackWindow{0, 0, kOpenEnd, 600}, cells);
  const auto blocked = static_cast<std::uint8_t>(ProcState::BlockedLock), running = static_cast<std::uint8_t>(ProcState::Running);
  EXPECT_EQ(cells, (std::vector<std::uint8_t>{running, running, blocked, blocked, running, running, running, running}));
  // The column table gives each time the column the warp gives it.
  TimeAxis untabled = steps;
  untabled.column_times.reset();
  for (double t = 0; t < 600; t += 7) EXPECT_EQ(std::floor(steps.column_of(t)), std::floor(untabled.column_of(t))) << t;
  // In time, the wait takes half of the same width.
  rasterize_states(child, TimeAxis{0, 600, 0, 8}, TrackWindow{0, 0, kOpenEnd, 600}, cells);
  EXPECT_EQ(std::count(cells.begin(), cells.end(), blocked), 4);
}

TEST(GuiLayout, ShiftedWindowsAlignAtZero) {
  const TraceModel m = lock_trace();
  std::vector<std::uint8_t> cells(3);
  // Only trace times 100..400, moved to start at 0: the lock wait fills the view.
  rasterize_states(*m.process(11), TimeAxis{0, 300, 0, 3}, TrackWindow{100, 100, 400, 600}, cells);
  for (std::uint8_t c : cells) EXPECT_EQ(c, static_cast<std::uint8_t>(ProcState::BlockedLock));
}

TEST(GuiLayout, OperationsAndCountersKeepWhatAColumnSaw) {
  const TraceModel m = lock_trace();
  OperationIndex index;
  std::vector<std::uint8_t> ops(6);
  rasterize_operations(index.of(m, *m.process(11)), TimeAxis{0, 600, 0, 6}, TrackWindow{0, 0, kOpenEnd, 600}, ops);
  EXPECT_EQ(ops[1], static_cast<std::uint8_t>(OpCategory::Sync));  // the Want at 100
  EXPECT_EQ(ops[2], 0);
  EXPECT_EQ(ops[4], static_cast<std::uint8_t>(OpCategory::Sync));  // acquired at 400
  std::vector<CounterCell> cells(6);
  const ObjectInfo& mutex = *m.object_named("mutex");
  rasterize_counter(mutex, counter_blocks(mutex), TimeAxis{0, 600, 0, 6}, TrackWindow{0, 0, kOpenEnd, 600}, cells);
  EXPECT_FALSE(cells[0].known && cells[0].high > 0);
  EXPECT_EQ(cells[4].high, 1);  // held from 400 to 500
  EXPECT_EQ(cells[5].low, 0);
  EXPECT_EQ(cells[5].high, 1);  // released at 500: the column saw both
}

TEST(GuiLayout, CounterBlocksGiveTheSameColumnsAsEverySample) {
  const TraceModel m = synthetic_trace(200'000, 20);
  const ObjectInfo& done = *m.object_named("done");
  ASSERT_GT(done.samples.size(), 10 * kCounterBlock);
  const TimeAxis axis{0, static_cast<double>(m.end_ns()), 0, 97};
  const TrackWindow window{0, 0, kOpenEnd, m.end_ns()};
  std::vector<CounterCell> fast(97), slow(97);
  rasterize_counter(done, counter_blocks(done), axis, window, fast);
  rasterize_counter(done, CounterBlocks{}, axis, window, slow);  // no blocks: sample by sample
  for (std::size_t c = 0; c < fast.size(); ++c) {
    EXPECT_EQ(fast[c].known, slow[c].known) << c;
    EXPECT_EQ(fast[c].low, slow[c].low) << c;
    EXPECT_EQ(fast[c].high, slow[c].high) << c;
  }
}

TEST(GuiLayout, AMillionEventsBecomeOneRowOfCellsPerLane) {
  const TraceModel m = synthetic_trace(1'000'000);
  EXPECT_GE(m.events().size(), 1'000'000u);
  EXPECT_GE(m.processes().size(), 100u);
  EXPECT_GT(m.flows().size(), 10'000u);
  const TimeAxis axis{0, static_cast<double>(m.end_ns()), 0, 1000};
  std::vector<std::uint8_t> cells(1000);
  rasterize_states(m.processes()[5], axis, TrackWindow{0, 0, kOpenEnd, m.end_ns()}, cells);
  EXPECT_EQ(std::count(cells.begin(), cells.end(), kNoState), 0);  // every column has a state, fully zoomed out
}

// Zoomed out on a dense lane, the columns come from its level of detail: the same states as every span gives in
// nearly every column (a bucket straddling a column's edge counts for both), and every operation still shows.
TEST(GuiLayout, ADenseLaneReadFromItsLevelOfDetailShowsWhatItsSpansShow) {
  const TraceModel m = synthetic_trace(1'000'000, 4);
  const TimeAxis axis{0, static_cast<double>(m.end_ns()), 0, 1000};
  const TrackWindow window{0, 0, kOpenEnd, m.end_ns()};
  OperationIndex index;
  LaneDetail detail;
  std::vector<std::uint8_t> exact_states(1000), exact_ops(1000), states(1000), ops(1000);
  int dense = 0;
  for (const ProcessInfo& p : m.processes()) {
    if (p.spans.size() < LaneDetail::kDenseSpans * 1000) continue;
    ++dense;
    const BigVector<TimedOperation>& operations = index.of(m, p);
    ASSERT_TRUE(detail.rasterize(m, p, operations, axis, window, states, ops)) << p.name;
    rasterize_states(p, axis, window, exact_states);
    rasterize_operations(operations, axis, window, exact_ops);
    std::size_t same = 0;
    for (std::size_t c = 0; c < 1000; ++c) {
      same += states[c] == exact_states[c];
      EXPECT_GE(ops[c], exact_ops[c]) << p.name << " column " << c;
    }
    EXPECT_GE(same, 950u) << p.name;
  }
  EXPECT_EQ(dense, 3);  // the workers
  // A sparse lane is drawn exactly.
  const TraceModel small = lock_trace();
  const TimeAxis tiny{0, 600, 0, 100};
  std::vector<std::uint8_t> few(100), few_ops(100);
  EXPECT_FALSE(detail.rasterize(small, *small.process(11), index.of(small, *small.process(11)), tiny,
                                TrackWindow{0, 0, kOpenEnd, 600}, few, few_ops));
}

// A live run's lanes grow under their level of detail: extended, it gives what one made from the whole trace gives.
TEST(GuiLayout, ALevelOfDetailExtendedAsTheRunGrowsMatchesOneMadeAtTheEnd) {
  const SyntheticTrace trace = make_synthetic_trace(400'000, 3);
  TraceModel grown;
  OperationIndex index;
  LaneDetail extended, fresh;
  std::vector<std::uint8_t> states(800), ops(800), want_states(800), want_ops(800);
  const auto ingest = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) grown.ingest_ns(trace.events[i], trace.text_of(trace.events[i]));
  };
  const std::size_t half = trace.events.size() / 2;
  ingest(0, half);
  const std::int32_t pid = grown.processes()[1].pid;
  const auto draw = [&](LaneDetail& detail, std::vector<std::uint8_t>& s, std::vector<std::uint8_t>& o) {
    const TimeAxis axis{0, static_cast<double>(trace.events.back().time), 0, 800};  // the whole run's width throughout
    const ProcessInfo& p = *grown.process(pid);
    return detail.rasterize(grown, p, index.of(grown, p), axis, TrackWindow{0, 0, kOpenEnd, grown.end_ns()}, s, o);
  };
  ASSERT_TRUE(draw(extended, states, ops));
  ingest(half, trace.events.size());
  ASSERT_TRUE(draw(extended, states, ops));
  ASSERT_TRUE(draw(fresh, want_states, want_ops));
  EXPECT_EQ(states, want_states);
  EXPECT_EQ(ops, want_ops);
}
