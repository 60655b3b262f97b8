// However a run ends — its main killed, a consumer killed before task_done(), two processes waiting on each other,
// a process killed at a random moment — the viewer reaps every lesson process, says who died and who waits for
// what, and ends within its deadline; and payloads that pass through never fill a run up.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "forkscope/forkscope.hpp"
#include "registry.hpp"
#include "test_support.hpp"

namespace forkscope::testing {
namespace {

using Endings = CleanTest;

// Polls the run until `ready` holds for its model (or fails the test past the deadline).
template <class Ready>
void poll_until(Run& run, Ready&& ready, double timeout = 30) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  while (!ready(run.model())) {
    ASSERT_FALSE(run.finished()) << "the run ended before the moment the test waits for";
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the moment the test waits for did not come";
    run.poll();
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

std::size_t begun(const TraceModel& m) {
  std::size_t n = 0;
  for (const TraceEvent& e : m.events()) n += e.kind == EventKind::ProcessBegin;
  return n;
}

TEST_F(Endings, KillingTheLessonMainLeavesNoZombieOfItsChildrenOrGrandchildren) {
  Lesson lesson = test_lesson("main-killed", [](LessonContext&) {
    std::vector<Process> children;
    for (int i = 0; i < 3; ++i) {
      children.emplace_back([] {
        Process grandchild([] { forkscope::sleep(60); });
        grandchild.start();
        forkscope::sleep(60);
        grandchild.join();
      });
      children.back().start();
    }
    for (auto& c : children) c.join();
  });
  auto run = start_inline(lesson, {});
  poll_until(*run, [](const TraceModel& m) { return begun(m) == 7; });  // the main, 3 children, 3 grandchildren
  ASSERT_EQ(kill(run->main_pid(), SIGKILL), 0);
  run->wait(30);
  EXPECT_EQ(run->report().main_exitcode, -SIGKILL);
  for (const ProcessInfo& p : run->model().processes()) EXPECT_TRUE(p.exitcode.has_value()) << p.name << " has no end";
}

TEST_F(Endings, AConsumerKilledBeforeTaskDoneEndsTheRunAndSaysWhoWaitsForWhom) {
  Lesson lesson = test_lesson("consumer-killed", [](LessonContext&) {
    JoinableQueue q(0, "q");
    Process eater([q]() mutable {
      (void)q.get();
      raise(SIGKILL);  // dies holding a task it never marks done
    });
    Process other([q]() mutable {
      while (true) {
        (void)q.get();
        q.task_done();
      }
    });
    eater.start();
    for (int i = 0; i < 3; ++i) q.put(i);
    eater.join();  // so the other consumer cannot take the eater's item
    other.set_daemon(true);
    other.start();
    q.join();  // Python waits here for ever
  });
  auto run = start_inline(lesson, {.timeout_seconds = 30});
  run->wait(30);
  const RunReport& r = run->report();
  EXPECT_NE(r.stuck.find("Process-1 was killed by SIGKILL"), std::string::npos) << r.stuck;
  EXPECT_NE(r.stuck.find("MainProcess waits in join() of JoinableQueue 'q'"), std::string::npos) << r.stuck;
  EXPECT_NE(r.stuck.find("Process-2 waits to get from JoinableQueue 'q'"), std::string::npos) << r.stuck;
}

TEST_F(Endings, TwoLocksTakenInOppositeOrdersAreADeadlockWithTheirHolders) {
  Lesson lesson = test_lesson("deadlock", [](LessonContext&) {
    Lock a("A"), b("B");
    Event both_hold("both hold");
    Semaphore holding(0, "holding");
    Process p1([=]() mutable {
      a.acquire();
      holding.release();
      both_hold.wait();
      b.acquire();
    });
    Process p2([=]() mutable {
      b.acquire();
      holding.release();
      both_hold.wait();
      a.acquire();
    });
    p1.start();
    p2.start();
    holding.acquire();
    holding.acquire();
    both_hold.set();
    p1.join();
  });
  auto run = start_inline(lesson, {.timeout_seconds = 30});
  run->wait(30);
  // The waiters wait for each other: the report names the cycle (the main, waiting in join(), is outside it).
  const std::string& why = run->report().stuck;
  EXPECT_EQ(why, "deadlock: Process-1 waits to acquire Lock 'B' held by Process-2; Process-2 waits to acquire Lock 'A' "
                 "held by Process-1");
  ASSERT_TRUE(run->report().deadlock.has_value());
  EXPECT_EQ(run->report().deadlock->text, why);
  EXPECT_EQ(run->report().deadlock->cycle.size(), 2u);
}

TEST_F(Endings, AWaitWithATimeoutIsNotStuck) {
  InlineRun run([](LessonContext&) {
    Event never("never");
    Process p([=]() mutable { (void)never.wait(1.5); });
    p.start();
    p.join();
    forkscope::print("joined");
  });
  EXPECT_TRUE(run.report().stuck.empty()) << run.report().stuck;
  EXPECT_EQ(run.lines(), std::vector<std::string>{"joined"});
}

// Long strings go through a queue as blocks of the payload store, given back by the get: 1.2 GiB passes through a
// store of 1 GiB.
TEST_F(Endings, PayloadsThatPassThroughAreGivenBack) {
  InlineRun run([](LessonContext&) {
    Queue q(64, "q");
    constexpr int kItems = 300'000;
    Process consumer([q]() mutable {
      std::size_t bytes = 0;
      for (int i = 0; i < kItems; ++i) bytes += q.get().as_str().size();
      forkscope::print("got {} bytes", bytes);
    });
    consumer.start();
    const std::string item(4096, 'x');
    for (int i = 0; i < kItems; ++i) q.put(item);
    consumer.join();
    for (int i = 0; i < 20'000; ++i) forkscope::print("line {} {}", i, std::string(200, 'y'));
  }, {.timeout_seconds = 120});
  EXPECT_EQ(run.report().main_exitcode, 0) << (run.errors().empty() ? "" : run.errors().front());
  const auto lines = run.lines();
  ASSERT_EQ(lines.size(), 20'001u);
  EXPECT_EQ(lines.front(), fmt::format("got {} bytes", 300'000ull * 4096));
  EXPECT_EQ(lines.back(), fmt::format("line 19999 {}", std::string(200, 'y')));
}

// An error too big for the trace (over the 64 MiB a message may have) still ends the process that raised it, in
// _exit: it says the error on stderr, and never unwinds into the code it was forked from (here: this test).
TEST_F(Endings, ALessonProcessNeverReturnsIntoTheCodeItWasForkedFrom) {
  const int saved = dup(2);  // the lesson's stderr gets the 64 MiB line; nobody needs to read it
  const int null = open("/dev/null", O_WRONLY);
  ASSERT_GE(null, 0);
  dup2(null, 2);
  close(null);
  Lesson lesson = test_lesson("huge-error", [](LessonContext&) {
    Process child([] { throw ValueError(std::string((64u << 20) + 1, 'x')); });
    child.start();
    child.join();
    forkscope::print("the child's exit code: {}", *child.exitcode());
    throw ValueError(std::string((64u << 20) + 1, 'y'));
  });
  auto run = start_inline(lesson, {});
  const bool ended = [&] {
    try {
      run->wait(30);
      return true;
    } catch (...) {
      return false;
    }
  }();
  dup2(saved, 2);
  close(saved);
  ASSERT_TRUE(ended) << "the run did not end: a lesson process went on somewhere else";
  EXPECT_EQ(run->report().main_exitcode, 1);
  ASSERT_EQ(run->model().lines().size(), 1u);
  EXPECT_EQ(run->model().lines()[0].text, "the child's exit code: 1");
}

// Python's put on a queue without maxsize never blocks: at Forkscope's limit the put says which limit it reached.
TEST_F(Endings, AQueueWithoutMaxsizeAtItsLimitSaysSoInsteadOfWaiting) {
  InlineRun run([](LessonContext&) {
    Queue q(0, "q");
    for (std::int64_t i = 0; i <= Queue::kUnboundedCapacity; ++i) q.put(i);
  });
  ASSERT_EQ(run.errors().size(), 1u);
  EXPECT_EQ(run.errors()[0], fmt::format("RuntimeError: Queue 'q' holds {} items, the most Forkscope keeps in a queue "
                                         "without maxsize (Queue::kUnboundedCapacity): get some first, or give the "
                                         "queue a maxsize",
                                         Queue::kUnboundedCapacity));
  EXPECT_EQ(run.report().main_exitcode, 1);
  EXPECT_TRUE(run.report().stuck.empty());
}

// Any lesson process killed at any moment: every run ends within its deadline, and nothing is left (CleanTest).
void kill_at_random(const std::string& lesson, std::vector<std::string> sets, double speed, unsigned seed) {
  std::mt19937 random(seed);
  const int trials = std::getenv("FORKSCOPE_SOAK") ? 60 : 6;
  for (int trial = 0; trial < trials; ++trial) {
    const Lesson* l = scenarios::find(lesson);
    ASSERT_NE(l, nullptr);
    RunOptions o;
    o.lesson = l;
    o.params = Params::resolve(l->params, sets);
    o.seed = random();
    o.speed = speed;
    Run run(std::move(o));
    const std::size_t at_events = 5 + random() % 60;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!run.finished() && run.model().events().size() < at_events && std::chrono::steady_clock::now() < deadline) {
      run.poll();
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    std::vector<std::int32_t> alive;
    for (const ProcessInfo& p : run.model().processes())
      if (!p.exitcode) alive.push_back(p.pid);
    if (!run.finished() && !alive.empty()) kill(alive[random() % alive.size()], SIGKILL);
    EXPECT_NO_THROW(run.wait(30)) << lesson << " trial " << trial << " did not end";
  }
}

// A pool worker can be killed between taking a chunk off the task queue and marking it as its own. The chunk is
// then nobody's: the pool gives it to another worker, so no map waits forever and no call runs twice.
const Task tiny_square("tiny_square", [](std::int64_t n) { return n * n; });

TEST_F(Endings, PoolWorkersKilledAtAnyMomentNeverLoseAChunk) {
  constexpr int kKills = 100;
  const TempDir dir;
  const std::string stop = dir.file("stop");  // the test writes it after its last kill
  Lesson lesson = test_lesson("pool-workers-killed", [stop](LessonContext& context) {
    Pool pool(2);
    int maps = 0, right = 0;
    nlohmann::json wrong = nlohmann::json::array();
    std::vector<Value> calls;
    for (std::int64_t i = 0; i < 40; ++i) calls.emplace_back(i);
    for (; access(stop.c_str(), F_OK) != 0; ++maps) {
      try {
        const std::vector<Value> values = pool.map(tiny_square, calls, 1);
        bool all = values.size() == calls.size();
        for (std::size_t i = 0; all && i < values.size(); ++i) all = values[i].as_int() == calls[i].as_int() * calls[i].as_int();
        right += all;
        if (!all) wrong.push_back("wrong values");
      } catch (const RuntimeError& e) {
        // Only the call a killed worker was running fails, and it says so.
        const std::string what = e.what();
        if (!what.starts_with("ForkPoolWorker-") || what.find(" was killed by SIGKILL while running tiny_square(") == std::string::npos)
          wrong.push_back(what);
      }
    }
    pool.terminate();
    context.result() = {{"maps", maps}, {"right", right}, {"wrong", wrong}};
  });
  auto run = start_inline(lesson, {.timeout_seconds = 120});
  std::mt19937 random(7);
  int kills = 0;
  std::size_t events_at_kill = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!run->finished() && kills < kKills && std::chrono::steady_clock::now() < deadline) {
    run->poll();
    const TraceModel& m = run->model();
    std::vector<std::int32_t> workers;
    for (const ProcessInfo& p : m.processes())
      if (!p.exitcode && p.name.starts_with("ForkPoolWorker-")) workers.push_back(p.pid);
    // Both workers up and some work done since the last kill: kill one of them at a random moment of its loop.
    if (workers.size() == 2 && m.events().size() > events_at_kill + 30) {
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 400));
      kill(workers[random() % 2], SIGKILL);
      ++kills;
      events_at_kill = m.events().size();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  dir.write("stop", "");
  ASSERT_NO_THROW(run->wait(60)) << "a map waited for a chunk no worker had, after " << kills << " kills";
  const RunReport& report = run->report();
  if (!report.stuck.empty()) {
    // A worker killed inside a queue operation itself (the few instructions between taking a cell and giving it
    // back) breaks that queue, as Python's documentation warns for its own: then the run ends as stuck, and says so.
    EXPECT_NE(report.stuck.find("Queue 'pool "), std::string::npos) << report.stuck;
    return;
  }
  ASSERT_EQ(report.main_exitcode, 0) << report.result.dump();
  EXPECT_EQ(kills, kKills);
  EXPECT_EQ(report.result["wrong"], nlohmann::json::array());
  EXPECT_GT(report.result["right"].get<int>(), 0);
}

TEST_F(Endings, KillAtRandomTicketLock) { kill_at_random("ticket-lock", {}, 20, 1); }
TEST_F(Endings, KillAtRandomJoinableQueue) { kill_at_random("joinable-queue", {}, 20, 2); }
TEST_F(Endings, KillAtRandomPoolSyncVsAsync) { kill_at_random("pool-sync-vs-async", {}, 20, 3); }
TEST_F(Endings, KillAtRandomProducerConsumer) { kill_at_random("producer-consumer", {"joinable=true"}, 20, 4); }
TEST_F(Endings, KillAtRandomManagerDict) { kill_at_random("manager-dict", {"processes=20"}, 20, 5); }

}  // namespace
}  // namespace forkscope::testing
