// Condition across real processes: Python's semantics (wait releases the lock, notify(n) wakes the oldest n,
// timeouts, RuntimeError without the lock, an RLock's depth restored), the timeline, stepping, and its lesson.
#include <mutex>

#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::test_lesson;
using forkscope::testing::InlineRun;
using forkscope::testing::run_lesson;

class ConditionTest : public CleanTest {};

namespace {
std::vector<TraceEvent> events_of(const TraceModel& model, EventKind kind, std::optional<Phase> phase = std::nullopt) {
  std::vector<TraceEvent> out;
  for (const TraceEvent& e : model.events())
    if (e.kind == kind && (!phase || e.phase == *phase)) out.push_back(e);
  std::stable_sort(out.begin(), out.end(), [](const TraceEvent& a, const TraceEvent& b) { return a.time < b.time; });
  return out;
}
}  // namespace

TEST_F(ConditionTest, AWaiterSleepsWithoutTheLockUntilANotify) {
  InlineRun run([](LessonContext&) {
    Condition cond(std::nullopt, "cond");
    Counter items("items");
    Event inside("inside");
    Process consumer([=]() mutable {
      std::lock_guard with(cond);
      inside.set();  // still holding the lock: whoever takes it next finds this consumer in wait()
      const bool got = cond.wait_for([&] { return items.value() > 0; }, 30);
      items.add(-1);
      print("consumed {}", got);
    });
    consumer.start();
    inside.wait();
    {
      // The consumer waits inside `with cond:`, yet the lock is free for the producer: wait() released it.
      std::lock_guard with(cond);
      items.add(1);
      print("produced");
      cond.notify();
    }
    consumer.join();
  });
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"produced", "consumed true"}));
  const auto notifies = events_of(run.model(), EventKind::ConditionNotify);
  ASSERT_EQ(notifies.size(), 1u);
  EXPECT_EQ(notifies[0].value, 1);
  // The consumer's wait ended with the notify. wait() gives the lock back before it looks for a notify, so the
  // producer may notify in between: then the consumer finds it made and never sleeps (no blocked span, as in
  // CPython); otherwise it was blocked on the condition until the notify.
  const ProcessInfo& consumer = run.process("Process-1");
  const auto woke = std::find_if(run.model().events().begin(), run.model().events().end(), [&](const TraceEvent& e) {
    return e.pid == consumer.pid && e.kind == EventKind::ConditionWait && e.phase == Phase::Done;
  });
  ASSERT_NE(woke, run.model().events().end());
  EXPECT_GE(woke->time, notifies[0].time);
  const auto blocked = std::find_if(consumer.spans.begin(), consumer.spans.end(),
                                    [](const StateSpan& s) { return s.state == ProcState::BlockedCondition; });
  if (blocked != consumer.spans.end()) {
    EXPECT_GE(blocked->end_ns, static_cast<std::int64_t>(notifies[0].time));
    EXPECT_EQ(run.model().object(blocked->object)->name, "cond");
  }
  EXPECT_EQ(run.report().lost_events, 0u);
}

TEST_F(ConditionTest, NotifyWakesTheOldestWaitersAndOnlyAsManyAsAsked) {
  InlineRun run([](LessonContext& lesson) {
    Condition cond(std::nullopt, "cond");
    std::vector<Process> waiters;
    for (int w = 1; w <= 3; ++w) {
      Event enrolled;
      waiters.emplace_back([=]() mutable {
        std::lock_guard with(cond);
        enrolled.set();
        print("woke {} {}", w, cond.wait(30));
      });
      waiters.back().start();
      enrolled.wait();
      std::lock_guard with(cond);  // free only once the waiter is inside wait(): waiters enroll in order 1, 2, 3
    }
    {
      std::lock_guard with(cond);
      cond.notify(2);
    }
    const bool first_two_done = waiters[0].join(30) && waiters[1].join(30);
    const bool third_still_waiting = waiters[2].is_alive();
    {
      std::lock_guard with(cond);
      cond.notify_all();
      cond.notify_all();  // nobody left to wake
    }
    waiters[2].join();
    lesson.result() = {{"first_two_done", first_two_done}, {"third_still_waiting", third_still_waiting}};
  });
  EXPECT_TRUE(run.report().result["first_two_done"]);
  EXPECT_TRUE(run.report().result["third_still_waiting"]);
  const auto lines = run.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(std::set<std::string>(lines.begin(), lines.begin() + 2), (std::set<std::string>{"woke 1 true", "woke 2 true"}));
  EXPECT_EQ(lines[2], "woke 3 true");
  std::vector<std::int64_t> woken;
  for (const TraceEvent& e : events_of(run.model(), EventKind::ConditionNotify)) woken.push_back(e.value);
  EXPECT_EQ(woken, (std::vector<std::int64_t>{2, 1, 0}));
}

TEST_F(ConditionTest, AWaitThatTimesOutReturnsFalseAndHoldsTheLockAgain) {
  InlineRun run([](LessonContext& lesson) {
    Lock lock("lock");
    Condition cond(lock, "cond");
    cond.acquire();
    const double t0 = lesson_time();
    const bool notified = cond.wait(0.3);
    const double waited = lesson_time() - t0;
    Process other([=]() mutable { print("{}", lock.acquire(false) ? "got it" : "still held"); });
    other.start();
    other.join();
    cond.release();
    lesson.result() = {{"notified", notified}, {"waited", waited}};
  });
  EXPECT_FALSE(run.report().result["notified"]);
  EXPECT_GE(run.report().result["waited"].get<double>(), 0.29);
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"still held"}));
  EXPECT_EQ(events_of(run.model(), EventKind::ConditionWait, Phase::Fail).size(), 1u);
  EXPECT_EQ(run.model().object_named("cond")->kind, ObjectKind::Condition);
}

TEST_F(ConditionTest, WaitAndNotifyWithoutTheLockRaiseRuntimeError) {
  InlineRun run([](LessonContext& lesson) {
    Condition cond;
    std::string wait_error, notify_error;
    try {
      cond.wait(1);
    } catch (const RuntimeError& e) {
      wait_error = e.what();
    }
    try {
      cond.notify_all();
    } catch (const RuntimeError& e) {
      notify_error = e.what();
    }
    lesson.result() = {{"wait", wait_error}, {"notify", notify_error}};
  });
  EXPECT_EQ(run.report().result["wait"], "cannot wait on un-acquired lock");
  EXPECT_EQ(run.report().result["notify"], "cannot notify on un-acquired lock");
  EXPECT_TRUE(events_of(run.model(), EventKind::ConditionWait).empty());  // refused before anything happened
}

// Python's default lock is an RLock; wait() releases it however deep it was taken and restores that depth.
TEST_F(ConditionTest, WaitReleasesAnRLockCompletelyAndRestoresItsDepth) {
  InlineRun run([](LessonContext& lesson) {
    Condition cond(std::nullopt, "cond");
    Event waiting("waiting");
    cond.acquire();
    cond.acquire();
    Process notifier([=]() mutable {
      waiting.wait();
      const bool got = cond.acquire(true, 30);  // free although the main process took it twice
      cond.notify();
      cond.release();
      print("notifier got the lock: {}", got);
    });
    notifier.start();
    waiting.set();
    const bool notified = cond.wait(30);
    cond.release();
    cond.release();
    std::string third;
    try {
      cond.release();
    } catch (const AssertionError& e) {
      third = e.python_name();
    }
    notifier.join();
    lesson.result() = {{"notified", notified}, {"third_release", third}};
  });
  EXPECT_TRUE(run.report().result["notified"]);
  EXPECT_EQ(run.report().result["third_release"], "AssertionError");
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"notifier got the lock: true"}));
  EXPECT_EQ(run.model().object_named("cond lock")->kind, ObjectKind::RLock);
}

TEST_F(ConditionTest, WaitForReturnsThePredicateAndHonoursItsTimeout) {
  InlineRun run([](LessonContext& lesson) {
    Condition cond;
    std::lock_guard with(cond);
    const bool already = cond.wait_for([] { return true; });
    const double t0 = lesson_time();
    int checks = 0;
    const bool never = cond.wait_for([&] { return ++checks < 0; }, 0.3);
    lesson.result() = {{"already", already}, {"never", never}, {"waited", lesson_time() - t0}, {"checks", checks}};
  });
  const auto& r = run.report().result;
  EXPECT_TRUE(r["already"]);
  EXPECT_FALSE(r["never"]);
  EXPECT_GE(r["waited"].get<double>(), 0.29);
  EXPECT_EQ(r["checks"], 2);  // before the first wait, and after it timed out
  EXPECT_EQ(events_of(run.model(), EventKind::ConditionWait, Phase::Fail).size(), 1u);
}

// While stepping, a waiter is blocked on the condition and no grant can move it until a notify makes it ready.
TEST_F(ConditionTest, ASteppedWaiterBecomesReadyOnlyWithANotify) {
  Lesson lesson = test_lesson("stepped-condition", [](LessonContext&) {
    Condition cond(std::nullopt, "cond");
    Event enrolled("enrolled");
    Process waiter([=]() mutable {
      std::lock_guard with(cond);
      enrolled.set();
      print("woke {}", cond.wait());
    });
    waiter.start();
    enrolled.wait();
    std::lock_guard with(cond);
    cond.notify();
  });
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  bool seen_waiting = false, seen_ready = false;
  for (int steps = 0; !run->finished(); ++steps) {
    ASSERT_LT(steps, 80);
    run->step();
    run->poll();
    for (const HeldProcess& h : run->held())
      if (h.name == "Process-1" && h.blocked && h.op == EventKind::ConditionWait) (h.ready ? seen_ready : seen_waiting) = true;
  }
  run->wait(30);
  EXPECT_TRUE(seen_waiting);
  EXPECT_TRUE(seen_ready);
  std::vector<std::string> lines;
  for (const PrintedLine& l : run->model().lines()) lines.emplace_back(l.text);
  EXPECT_EQ(lines, (std::vector<std::string>{"woke true"}));
}

TEST_F(ConditionTest, TheLessonEatsEveryDishWithNotifyAndWithNotifyAll) {
  for (const char* mode : {"notify_all=false", "notify_all=true"}) {
    auto run = run_lesson("condition", {mode}, 50);
    const auto& r = run->report();
    EXPECT_TRUE(r.invariants_ok()) << mode;
    EXPECT_EQ(r.result["eaten"], 6) << mode;
    EXPECT_EQ(r.result["plate"], 0) << mode;
    EXPECT_GE(r.result["wakeups"].get<int>(), 1) << mode;
    EXPECT_EQ(r.lost_events, 0u) << mode;
  }
}
