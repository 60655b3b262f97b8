// The race finder: it finds the ticket race and the philosophers' deadlock by itself, finds nothing where there is
// nothing, searches the same schedules for the same seed, and what it hands back replays to the same finding.
#include <chrono>

#include "forkscope/errors.hpp"
#include "forkscope/explore.hpp"
#include "registry.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;

class Explore : public CleanTest {};

namespace {

ExploreOptions options_for(const std::string& id, const std::vector<std::string>& sets, std::size_t budget,
                           std::uint64_t seed = 1) {
  const Lesson* lesson = scenarios::find(id);
  ExploreOptions o;
  o.lesson = lesson;
  o.params = Params::resolve(lesson->params, sets);
  o.seed = seed;
  o.budget = budget;
  return o;
}

// Searches to the end, in slices as the GUI would, with a deadline.
ExploreResult explore(ExploreOptions o) {
  Explorer explorer(std::move(o));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!explorer.work_for(0.05))
    if (std::chrono::steady_clock::now() > deadline) {
      explorer.stop();
      throw std::runtime_error("the search did not end within 120 s");
    }
  return explorer.result();
}

// The schedule replayed as `run --schedule` does, to its end.
std::unique_ptr<Run> replay(const Schedule& schedule) {
  const Lesson* lesson = scenarios::find(schedule.lesson);
  RunOptions o;
  o.lesson = lesson;
  o.params = Params::from_json(lesson->params, schedule.params);
  o.seed = schedule.seed;
  o.speed = 100;
  o.replay = schedule;
  auto run = std::make_unique<Run>(std::move(o));
  run->wait(60);
  return run;
}

}  // namespace

TEST_F(Explore, FindsTheTicketRaceWithoutTheLockAndItsScheduleReplays) {
  const ExploreResult r = explore(options_for("ticket-lock", {"lock=false"}, 200));
  ASSERT_TRUE(r.found);
  EXPECT_LE(r.tried, 200u);
  EXPECT_EQ(r.reference["oversold"], 0);  // one process at a time
  const auto oversold = r.result["oversold"].get<int>();
  EXPECT_GT(oversold, 0);
  EXPECT_EQ(r.why, fmt::format("oversold = {} (one process at a time: 0)", oversold));
  ASSERT_TRUE(r.schedule.has_value());
  EXPECT_EQ(r.schedule->steps.size(), r.steps);
  EXPECT_EQ(r.schedule->lesson, "ticket-lock");
  EXPECT_EQ(r.schedule->params["lock"], false);
  for (int i = 0; i < 2; ++i) {
    auto run = replay(*r.schedule);
    EXPECT_EQ(run->report().result["oversold"], oversold);
    EXPECT_EQ(run->schedule().steps, r.schedule->steps);
  }
}

// The manager's server is a process too: one process at a time serves each worker's get and set together (count 0);
// a search finds a get served between another worker's get and set.
TEST_F(Explore, FindsTheManagerDictsLostUpdate) {
  const ExploreResult r = explore(options_for("manager-dict", {"lock=false", "processes=3"}, 200));
  EXPECT_EQ(r.reference["count"], 0);
  ASSERT_TRUE(r.found);
  EXPECT_GT(r.result["count"].get<int>(), 0);
  EXPECT_EQ(r.why, fmt::format("count = {} (one process at a time: 0)", r.result["count"].get<int>()));
  auto run = replay(*r.schedule);
  EXPECT_EQ(run->report().result["count"], r.result["count"]);
}

TEST_F(Explore, WithTheLockNothingIsFoundWithinTheBudget) {
  const ExploreResult r = explore(options_for("ticket-lock", {"lock=true"}, 30));
  EXPECT_FALSE(r.found);
  EXPECT_EQ(r.tried, 30u);
  EXPECT_FALSE(r.schedule.has_value());
  EXPECT_EQ(r.reference["oversold"], 0);
}

TEST_F(Explore, FindsThePhilosophersDeadlockAndItsScheduleReplaysIt) {
  const ExploreResult r = explore(options_for("dining-philosophers", {"philosophers=3"}, 200));
  ASSERT_TRUE(r.found);
  ASSERT_TRUE(r.deadlock.has_value()) << r.why;
  EXPECT_EQ(r.why, r.deadlock->text);
  ASSERT_EQ(r.deadlock->cycle.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const WaitEdge& e = r.deadlock->cycle[i];
    EXPECT_EQ(e.process, fmt::format("philosopher-{}", i + 1));
    EXPECT_EQ(e.object_name, fmt::format("fork {}", (i + 1) % 3));  // its right fork
    EXPECT_EQ(e.holder, fmt::format("philosopher-{}", (i + 1) % 3 + 1));
  }
  // Replayed, the steps lead into the deadlock; running on from there, the run is ended with the same cycle.
  auto run = replay(*r.schedule);
  ASSERT_TRUE(run->report().deadlock.has_value()) << run->report().stuck;
  EXPECT_EQ(run->report().deadlock->text, r.deadlock->text);
}

TEST_F(Explore, OrderedPhilosophersNeverDeadlock) {
  const ExploreResult r = explore(options_for("dining-philosophers", {"philosophers=3", "ordered=true"}, 30));
  EXPECT_FALSE(r.found) << r.why;
  EXPECT_EQ(r.tried, 30u);
  EXPECT_EQ(r.reference["meals"], 6);
}

TEST_F(Explore, TheSameSeedSearchesTheSameSchedules) {
  const ExploreResult a = explore(options_for("ticket-lock", {"lock=false", "buyers=3", "tickets=1"}, 200, 7));
  const ExploreResult b = explore(options_for("ticket-lock", {"lock=false", "buyers=3", "tickets=1"}, 200, 7));
  ASSERT_TRUE(a.found && b.found);
  EXPECT_EQ(a.tried, b.tried);
  EXPECT_EQ(a.schedule->steps, b.schedule->steps);
  EXPECT_EQ(a.result, b.result);
}

TEST_F(Explore, StopLeavesNothingBehind) {
  Explorer explorer(options_for("dining-philosophers", {"ordered=true"}, 200));
  EXPECT_FALSE(explorer.work_for(0.02));
  explorer.stop();
  EXPECT_TRUE(explorer.done());
  EXPECT_TRUE(explorer.work_for(0.01));
}

TEST_F(Explore, BadOptionsAreRefused) {
  EXPECT_THROW(Explorer(ExploreOptions{}), UsageError);
  ExploreOptions o = options_for("ticket-lock", {}, 0);
  EXPECT_THROW(Explorer{o}, UsageError);
  o.budget = ExploreOptions::kMaxBudget + 1;
  EXPECT_THROW(Explorer{o}, UsageError);
  o.budget = 10;
  o.depth = 0;
  EXPECT_THROW(Explorer{o}, UsageError);
}
