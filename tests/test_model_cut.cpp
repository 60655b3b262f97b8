// A model cut at time t (what the GUI's playhead shows) is the model of exactly the events up to t: a real lesson's
// run, cut at many instants, says what a model built from the first events only says, for every lock holder and
// waiter, queue depth, item inside each queue, process state and printed line.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "forkscope/trace_file.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::run_lesson;

namespace {

// A model of the first `count` events of `whole` (time-ordered: a loaded trace), ingested one by one.
TraceModel first_events(const TraceModel& whole, std::size_t count) {
  TraceModel model;
  model.set_clock(whole.clock());
  for (std::size_t i = 0; i < count; ++i) {
    const TraceEvent& e = whole.events()[i];
    model.ingest_ns(e, carries_string(e.kind) ? whole.text(arg_string(e.arg)) : std::string_view{});
  }
  return model;
}

std::vector<std::int32_t> sorted(std::vector<std::int32_t> pids) {
  std::sort(pids.begin(), pids.end());
  return pids;
}

// What a playhead shows of a model, compared field by field (the items as sequence number and who put them).
void expect_same_instant(const TraceModel& cut, const TraceModel& reference, std::int64_t t) {
  SCOPED_TRACE(fmt::format("at {} ns", t));
  ASSERT_EQ(cut.objects().size(), reference.objects().size());
  for (const ObjectInfo& want : reference.objects()) {
    const ObjectInfo* got = cut.object(want.id);
    ASSERT_NE(got, nullptr) << want.name;
    EXPECT_EQ(got->holder, want.holder) << want.name;
    EXPECT_EQ(sorted(got->waiters), sorted(want.waiters)) << want.name;
    EXPECT_EQ(got->value(), want.value()) << want.name;
    EXPECT_EQ(got->puts, want.puts) << want.name;
    EXPECT_EQ(got->gets, want.gets) << want.name;
    const auto items = cut.items_in(want.id), wanted = reference.items_in(want.id);
    ASSERT_EQ(items.size(), wanted.size()) << want.name;
    const bool queue = want.kind == ObjectKind::Queue || want.kind == ObjectKind::JoinableQueue || want.kind == ObjectKind::Pipe;
    if (queue) {
      EXPECT_EQ(static_cast<std::int64_t>(items.size()), want.value()) << want.name;  // the depth counts them
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      EXPECT_EQ(items[i].seq, wanted[i].seq) << want.name;
      EXPECT_EQ(items[i].put_pid, wanted[i].put_pid) << want.name;
    }
  }
  ASSERT_EQ(cut.processes().size(), reference.processes().size());
  for (const ProcessInfo& want : reference.processes()) {
    const ProcessInfo* got = cut.process(want.pid);
    ASSERT_NE(got, nullptr) << want.name;
    EXPECT_EQ(got->name, want.name);
    EXPECT_EQ(got->state(), want.state()) << want.name;
    EXPECT_EQ(got->spans.size(), want.spans.size()) << want.name;
    EXPECT_EQ(got->exitcode, want.exitcode) << want.name;
  }
  ASSERT_EQ(cut.lines().size(), reference.lines().size());
  for (std::size_t i = 0; i < cut.lines().size(); ++i) EXPECT_EQ(cut.lines()[i].text, reference.lines()[i].text);
}

}  // namespace

class ModelCut : public CleanTest {};

TEST_F(ModelCut, ACutEqualsTheModelOfTheFirstEventsOfARealRun) {
  // A bounded queue that fills (producers faster than consumers), and a lock with waiters.
  for (const auto& [lesson, sets] : {std::pair<std::string, std::vector<std::string>>{"producer-consumer", {"items=6", "maxsize=2"}},
                                     {"ticket-lock", {"buyers=4", "tickets=3"}}}) {
    SCOPED_TRACE(lesson);
    auto run = run_lesson(lesson, sets, 50);
    // A saved trace's events are in time order, so the first k of them are exactly those up to the k-th's time.
    const auto file = std::filesystem::temp_directory_path() / fmt::format("forkscope-test-cut-{}.fstrace", getpid());
    save_trace(run->model(), {{"lesson", lesson}}, file);
    const TraceModel whole = load_trace(file);
    std::filesystem::remove(file);
    const auto& events = whole.events();
    ASSERT_GT(events.size(), 50u);

    std::size_t instants = 0, with_items = 0, with_waiters = 0;
    for (std::size_t k = 1; k <= events.size(); k += std::max<std::size_t>(1, events.size() / 97)) {
      if (k < events.size() && events[k].time == events[k - 1].time) continue;  // the cut takes every event of an instant
      const auto t = static_cast<std::int64_t>(events[k - 1].time);
      const TraceModel reference = first_events(whole, k);
      expect_same_instant(whole.cut(t), reference, t);
      expect_same_instant(run->model().cut(t), reference, t);  // the live model's events, in arrival order
      ++instants;
      for (const ObjectInfo& o : reference.objects()) {
        with_items += !reference.items_in(o.id).empty();
        with_waiters += !o.waiters.empty();
      }
    }
    EXPECT_GT(instants, 40u);
    // The cuts did see items inside the queue, and processes waiting on it or on the lock.
    if (lesson == "producer-consumer") {
      EXPECT_GT(with_items, 0u);
    }
    EXPECT_GT(with_waiters, 0u);
    // A cut at the end is the whole model; before the first event, an empty one.
    expect_same_instant(whole.cut(whole.end_ns()), whole, whole.end_ns());
    EXPECT_TRUE(whole.cut(-1).events().empty());
  }
}
