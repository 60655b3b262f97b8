// Deadlocks shown, not hung: the wait-for cycle a free run is ended with, the cycle found at once while stepping (the
// run goes on), and the dining philosophers.
#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "registry.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::InlineRun;

class Deadlocks : public CleanTest {};

namespace {

void expect_edge(const WaitEdge& e, const std::string& process, const std::string& object, const std::string& holder) {
  EXPECT_EQ(e.process, process);
  EXPECT_EQ(e.object_name, object);
  EXPECT_EQ(e.holder, holder);
  EXPECT_EQ(e.object == 0, object.empty()) << process;
  EXPECT_GT(e.pid, 0);
  EXPECT_GT(e.holder_pid, 0);
}

}  // namespace

// Two locks taken in opposite orders, each process holding its first before the other asks for it (events make the
// order certain): the run ends with the cycle, not a hang. The main, waiting in join(), is outside the cycle.
TEST_F(Deadlocks, AFreeRunThatDeadlocksEndsWithTheCycle) {
  InlineRun run([](LessonContext&) {
    Lock a("A"), b("B");
    Event a_taken("a taken"), b_taken("b taken");
    Process p1([=]() mutable {
      a.acquire();
      a_taken.set();
      b_taken.wait();
      b.acquire();
    });
    Process p2([=]() mutable {
      b.acquire();
      b_taken.set();
      a_taken.wait();
      a.acquire();
    });
    p1.start();
    p2.start();
    p1.join();
    p2.join();
  }, {.timeout_seconds = 30});
  const RunReport& report = run.report();
  ASSERT_TRUE(report.deadlock.has_value()) << report.stuck;
  const Deadlock& d = *report.deadlock;
  ASSERT_EQ(d.cycle.size(), 2u) << d.text;
  expect_edge(d.cycle[0], "Process-1", "B", "Process-2");
  expect_edge(d.cycle[1], "Process-2", "A", "Process-1");
  EXPECT_EQ(d.cycle[0].holder_pid, d.cycle[1].pid);
  EXPECT_EQ(d.cycle[1].holder_pid, d.cycle[0].pid);
  EXPECT_EQ(d.text, "deadlock: Process-1 waits to acquire Lock 'B' held by Process-2; Process-2 waits to acquire Lock 'A' "
                    "held by Process-1");
  EXPECT_EQ(report.stuck, d.text);
  EXPECT_GT(d.t_ns, 0);
  EXPECT_EQ(report.main_exitcode, -9);  // the viewer ended it
}

// A join is an arrow too: the main holds the lock its child wants, and waits for that child to end.
TEST_F(Deadlocks, AJoinClosesACycle) {
  InlineRun run([](LessonContext&) {
    Lock a("A");
    a.acquire();
    Process child([=]() mutable { a.acquire(); });
    child.start();
    child.join();
  }, {.timeout_seconds = 30});
  ASSERT_TRUE(run.report().deadlock.has_value()) << run.report().stuck;
  const Deadlock& d = *run.report().deadlock;
  ASSERT_EQ(d.cycle.size(), 2u) << d.text;
  expect_edge(d.cycle[0], "MainProcess", "", "Process-1");
  expect_edge(d.cycle[1], "Process-1", "A", "MainProcess");
  EXPECT_EQ(d.text, "deadlock: MainProcess waits in join() for Process-1; Process-1 waits to acquire Lock 'A' held by "
                    "MainProcess");
}

// Stuck without a cycle (a queue nobody fills): the stuck text as before, and no deadlock.
TEST_F(Deadlocks, StuckWithoutACycleIsNoDeadlock) {
  InlineRun run([](LessonContext&) {
    Queue q(0, "q");
    (void)q.get();
  }, {.timeout_seconds = 30});
  EXPECT_FALSE(run.report().deadlock.has_value());
  EXPECT_NE(run.report().stuck.find("MainProcess waits to get from Queue 'q'"), std::string::npos) << run.report().stuck;
}

// While stepping: each philosopher steps until it holds its left fork, then on until it blocks on its right one. The
// moment nothing can move, the run says so with the cycle, and goes on (the teacher may step back).
TEST_F(Deadlocks, SteppingPhilosophersToTheirLeftForksShowsTheCycleAtOnce) {
  const Lesson& lesson = *scenarios::find("dining-philosophers");
  RunOptions o;
  o.lesson = &lesson;
  o.params = Params::resolve(lesson.params, {"philosophers=3"});
  o.seed = 5;
  o.speed = 1000;
  o.start_stepping = true;
  forkscope::Run run(std::move(o));
  std::set<std::string> took_left;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (run.stalled().empty()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no deadlock reported";
    ASSERT_FALSE(run.finished());
    run.poll();
    if (run.step_in_progress() || !run.all_held()) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    // The main first; then each philosopher until it has taken its first fork; once all have, on to the second.
    std::optional<HeldProcess> next;
    int best = 3;
    for (const HeldProcess& h : run.held()) {
      if (h.blocked && !h.ready) continue;
      const int rank = h.name == "MainProcess" ? 0 : !took_left.contains(h.name) ? 1 : took_left.size() == 3 ? 2 : 3;
      if (rank < best) {
        best = rank;
        next = h;
      }
    }
    if (!next) continue;
    if (next->name != "MainProcess" && next->op == EventKind::LockAcquire) took_left.insert(next->name);
    run.request_step(next->pid);
  }
  ASSERT_TRUE(run.deadlock().has_value()) << run.stalled();
  const Deadlock& d = *run.deadlock();
  EXPECT_EQ(run.stalled(), d.text);
  ASSERT_EQ(d.cycle.size(), 3u) << d.text;
  expect_edge(d.cycle[0], "philosopher-1", "fork 1", "philosopher-2");
  expect_edge(d.cycle[1], "philosopher-2", "fork 2", "philosopher-3");
  expect_edge(d.cycle[2], "philosopher-3", "fork 0", "philosopher-1");
  // The run goes on: nothing ends it while stepping.
  for (int i = 0; i < 20; ++i) {
    run.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(run.finished());
  run.stop();
  ASSERT_TRUE(run.report().deadlock.has_value());
  EXPECT_EQ(run.report().deadlock->text, d.text);
}

// With the lower-numbered fork first, the philosophers always finish: every meal eaten.
TEST_F(Deadlocks, OrderedPhilosophersEatEveryMeal) {
  auto run = forkscope::testing::run_lesson("dining-philosophers", {"ordered=true", "meals=3"}, 50, 60);
  EXPECT_EQ(run->report().main_exitcode, 0);
  EXPECT_TRUE(run->report().invariants_ok());
  EXPECT_EQ(run->report().result["meals"], 15);
  EXPECT_FALSE(run->report().deadlock.has_value());
}
