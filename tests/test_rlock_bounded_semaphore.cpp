// RLock and BoundedSemaphore across processes, the Python semantics test_sync.cpp does not cover, and their lessons.
#include <signal.h>

#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::InlineRun;
using forkscope::testing::run_lesson;

class RLockSemaphoreTest : public CleanTest {};

TEST_F(RLockSemaphoreTest, AnRLockHeldElsewhereCannotBeTakenOrReleasedAndShowsItsDepth) {
  InlineRun run([](LessonContext& lesson) {
    RLock rlock("r");
    Event held("held"), done("done");
    Process holder([=]() mutable {
      rlock.acquire();
      rlock.acquire();
      held.set();
      done.wait();
      rlock.release();
      rlock.release();
    });
    holder.start();
    held.wait();
    const bool nonblocking = rlock.acquire(false);
    const double t0 = lesson_time();
    const bool timed = rlock.acquire(true, 0.2);
    const double waited = lesson_time() - t0;
    std::string release_error;
    try {
      rlock.release();
    } catch (const AssertionError& e) {
      release_error = e.what();
    }
    done.set();
    const bool later = rlock.acquire(true, 30);
    rlock.release();
    holder.join();
    lesson.result() = {{"nonblocking", nonblocking}, {"timed", timed}, {"waited", waited},
                       {"release_error", release_error}, {"later", later}};
  });
  const auto& r = run.report().result;
  EXPECT_FALSE(r["nonblocking"]);
  EXPECT_FALSE(r["timed"]);
  EXPECT_GE(r["waited"].get<double>(), 0.19);
  EXPECT_EQ(r["release_error"], "cannot release un-acquired lock");
  EXPECT_TRUE(r["later"]);
  // The timeline's "held" series is the depth: 1, 2 in the holder, back down to 0, then 1 and 0 in the main.
  std::vector<std::int64_t> depth;
  for (const Sample& s : run.model().object_named("r")->samples) depth.push_back(s.value);
  EXPECT_EQ(depth, (std::vector<std::int64_t>{0, 1, 2, 1, 0, 1, 0}));
}

TEST_F(RLockSemaphoreTest, AnRLockWhoseHolderDiesDeepInsideIsRecoveredAtDepthOne) {
  InlineRun run([](LessonContext& lesson) {
    RLock rlock("r");
    Process victim([=]() mutable {
      rlock.acquire();
      rlock.acquire();
      raise(SIGKILL);
    });
    victim.start();
    victim.join();
    const bool got = rlock.acquire(true, 5);
    rlock.release();  // once is enough: the dead holder's depth is not inherited
    const bool free_again = rlock.acquire(false);
    if (free_again) rlock.release();
    lesson.result() = {{"got", got}, {"free_again", free_again}};
  });
  EXPECT_TRUE(run.report().result["got"]);
  EXPECT_TRUE(run.report().result["free_again"]);
  int recoveries = 0;
  for (const TraceEvent& e : run.model().events()) recoveries += e.kind == EventKind::LockRecovered;
  EXPECT_EQ(recoveries, 1);
}

TEST_F(RLockSemaphoreTest, ABoundedSemaphoreHasNoOwnerButKeepsItsBoundAcrossProcesses) {
  InlineRun run([](LessonContext& lesson) {
    BoundedSemaphore s(1, "s");
    s.acquire();
    const double t0 = lesson_time();
    const bool timed = s.acquire(true, 0.2);  // at 0: waits, then gives up
    const double waited = lesson_time() - t0;
    Process releaser([=]() mutable { s.release(); });  // a semaphore has no owner: anyone may release it
    releaser.start();
    const bool later = s.acquire(true, 30);  // the other process's release lets the main in
    releaser.join();
    s.release();  // back at its bound, 1
    Process extra([=]() mutable {
      try {
        s.release();
      } catch (const ValueError& e) {
        print("{}: {}", e.python_name(), e.what());
      }
    });
    extra.start();
    extra.join();
    lesson.result() = {{"timed", timed}, {"waited", waited}, {"later", later}, {"value", s.get_value()}};
  });
  const auto& r = run.report().result;
  EXPECT_FALSE(r["timed"]);
  EXPECT_GE(r["waited"].get<double>(), 0.19);
  EXPECT_TRUE(r["later"]);
  EXPECT_EQ(r["value"], 1);
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"ValueError: Semaphore released too many times"}));
  EXPECT_LE(run.model().object_named("s")->max_value(), 1);
  EXPECT_EQ(run.model().object_named("s")->kind, ObjectKind::BoundedSemaphore);
}

TEST_F(RLockSemaphoreTest, ASemaphoreCannotStartBelowZero) {
  InlineRun run([](LessonContext& lesson) {
    std::string error;
    try {
      BoundedSemaphore s(-1);
    } catch (const ValueError& e) {
      error = e.what();
    }
    lesson.result() = {{"error", error}};
  });
  EXPECT_EQ(run.report().result["error"], "semaphore initial value must be >= 0");
}

TEST_F(RLockSemaphoreTest, TheRLockLessonTransfersEverythingAndThePlainLockDeadlocks) {
  auto reentrant = run_lesson("rlock", {}, 50);
  EXPECT_TRUE(reentrant->report().invariants_ok());
  EXPECT_EQ(reentrant->report().result["transferred"], 60);
  EXPECT_EQ(reentrant->report().result["deadlocks"], 0);

  auto plain = run_lesson("rlock", {"reentrant=false"}, 50);
  EXPECT_TRUE(plain->report().invariants_ok());
  EXPECT_EQ(plain->report().result["transferred"], 0);
  EXPECT_EQ(plain->report().result["deadlocks"], 3);
  // Each clerk was blocked on the lock it held itself.
  for (const char* name : {"Process-1", "Process-2", "Process-3"}) {
    const ProcessInfo* clerk = nullptr;
    for (const ProcessInfo& p : plain->model().processes())
      if (p.name == name) clerk = &p;
    ASSERT_NE(clerk, nullptr) << name;
    EXPECT_TRUE(std::any_of(clerk->spans.begin(), clerk->spans.end(),
                            [](const StateSpan& s) { return s.state == ProcState::BlockedLock; }))
        << name;
  }
}

TEST_F(RLockSemaphoreTest, TheBoundedSemaphoreLessonCatchesTheExtraRelease) {
  auto bounded = run_lesson("bounded-semaphore", {}, 50);
  EXPECT_TRUE(bounded->report().invariants_ok());
  EXPECT_EQ(bounded->report().result["value_after_bug"], 3);
  EXPECT_EQ(bounded->report().result["buggy_exitcode"], 1);
  EXPECT_LE(bounded->report().result["max_parked"].get<int>(), 3);

  auto plain = run_lesson("bounded-semaphore", {"bounded=false"}, 50);
  EXPECT_TRUE(plain->report().invariants_ok());
  EXPECT_EQ(plain->report().result["value_after_bug"], 4);
  EXPECT_EQ(plain->report().result["final_value"], 4);
  EXPECT_EQ(plain->report().result["buggy_exitcode"], 0);
}
