// The concept lessons of issue 5: sync vs async, running / ready / blocked, scaling across cores, and the GIL.
// CPU-bound parts compute for real; the tests check what is certain (answers, states, counts) and leave the
// measured speed-ups, which depend on what else the machine runs, to the lesson's report.
#include <algorithm>

#include "cpu_work.hpp"
#include "lesson_expectations.hpp"
#include "lesson_support.hpp"
#include "registry.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::expect_clean_run;
using forkscope::testing::run_lesson;

class ConceptLessons : public CleanTest {};

TEST_F(ConceptLessons, AreListedAsConcepts) {
  for (const char* id : {"sync-async", "blocking-states", "scaling", "gil"})
    EXPECT_EQ(scenarios::find(id)->topic, "concepts") << id;
}

TEST_F(ConceptLessons, SyncCostsTheSumAsyncAboutOneTask) {
  // At speed 5 a lesson second is 200 ms: a loaded machine (a sanitizer build, two suites at once) adds tens of
  // milliseconds, far from the second that separates "about one task" from the sum.
  auto run = run_lesson("sync-async", {}, 5);
  expect_clean_run(*run);
  EXPECT_GE(run->report().result["sync_seconds"].get<double>(), 3.0);
  EXPECT_GE(run->report().result["async_seconds"].get<double>(), 1.0);
  EXPECT_LT(run->report().result["async_seconds"].get<double>(), 2.0);
}

TEST_F(ConceptLessons, BlockingStatesShowReadyTimeWhenProcessesOutnumberCores) {
  const int cores = scenarios::available_cores();
  auto run = run_lesson("blocking-states", {fmt::format("workers={}", 2 * cores), "cpu_ms=100"}, 50);
  expect_clean_run(*run);
  const auto& r = run->report().result;
  EXPECT_EQ(r["cores"], cores);
  // Twice as many processes as cores, 100 ms of CPU each: together they must wait for CPUs.
  EXPECT_GT(r["ready_ms"].get<std::int64_t>(), 0);
  EXPECT_GE(r["most_wanting_a_cpu"].get<int>(), 1);
  // The lanes show it: each worker switches between running and ready while it computes, and the ready spans add
  // up to what the workers measured with their clocks (the lesson's invariant checks how closely).
  for (const ProcessInfo* w : scenarios::children_of(run->model(), scenarios::main_process(run->model())->pid)) {
    EXPECT_EQ(w->exitcode, 0) << w->name;
    EXPECT_TRUE(std::ranges::any_of(w->spans, [](const StateSpan& s) { return s.state == ProcState::Ready; })) << w->name;
  }
  EXPECT_GT(r["ready_ms_on_timeline"].get<std::int64_t>(), 0);
}

TEST_F(ConceptLessons, ScalingSplitsTheSameWorkAcrossOneProcessPerCore) {
  auto run = run_lesson("scaling", {"work=4"}, 50);
  expect_clean_run(*run);
  const auto& r = run->report().result;
  EXPECT_TRUE(r["same_answer"]);
  EXPECT_EQ(r["processes"], scenarios::available_cores());  // processes=0: one per core
  EXPECT_GT(r["one_process_seconds"].get<double>(), 0);
  EXPECT_NEAR(r["speedup"].get<double>(), r["one_process_seconds"].get<double>() / r["n_processes_seconds"].get<double>(), 1e-9);

  auto three = run_lesson("scaling", {"work=3", "processes=3"}, 50);
  expect_clean_run(*three);
  EXPECT_EQ(three->report().result["processes"], 3);
  EXPECT_EQ(scenarios::children_of(three->model(), scenarios::main_process(three->model())->pid).size(), 4u);
}

TEST_F(ConceptLessons, TheSharesOfAJobAddUpToTheWholeJob) {
  const std::uint64_t whole = scenarios::crunch(0, 1000);
  EXPECT_EQ(scenarios::crunch(0, 300) + scenarios::crunch(300, 1000), whole);
  EXPECT_NE(scenarios::crunch(0, 999), whole);
}

TEST_F(ConceptLessons, AGilLetsOneProcessComputeAtATime) {
  auto run = run_lesson("gil", {"work=4", "processes=3"}, 50);
  expect_clean_run(*run);
  const auto& r = run->report().result;
  EXPECT_TRUE(r["same_answer"]);
  EXPECT_EQ(run->model().object_named("computing_with_gil")->max_value(), 1);
  // Blocked spans on the GIL exist: the others waited while one computed.
  int blocked = 0;
  for (const ProcessInfo& p : run->model().processes())
    for (const StateSpan& s : p.spans) blocked += s.state == ProcState::BlockedLock;
  EXPECT_GT(blocked, 0);
}
