// Lock, RLock, Semaphore, BoundedSemaphore, Event, Counter across real processes.
#include <sys/mman.h>
#include <sys/resource.h>

#include <csignal>

#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::InlineRun;

class Sync : public CleanTest {};

namespace {
// A plain integer in memory every forked child shares: what a lock is supposed to protect.
std::int64_t* shared_integer() {
  return static_cast<std::int64_t*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
}

// From the trace: a lock's held-samples (1 acquired, 0 released) never show two holders in a row.
bool held_by_one_at_a_time(const ObjectInfo& lock) {
  for (std::size_t i = 1; i < lock.samples.size(); ++i)
    if (lock.samples[i].value == 1 && lock.samples[i - 1].value == 1) return false;
  return true;
}
}  // namespace

TEST_F(Sync, LockGivesMutualExclusionUnderContention) {
  InlineRun run([](LessonContext& lesson) {
    std::int64_t* counter = shared_integer();
    Lock lock("lock");
    std::vector<Process> workers;
    for (int w = 0; w < 4; ++w)
      workers.emplace_back([=]() mutable {
        for (int i = 0; i < 20'000; ++i) {
          std::lock_guard guard(lock);
          const std::int64_t seen = *counter;
          *counter = seen + 1;  // a read-modify-write that races without the lock
        }
      });
    for (auto& p : workers) p.start();
    for (auto& p : workers) p.join();
    lesson.result() = {{"count", *counter}};
  });
  EXPECT_EQ(run.report().result["count"], 80'000);
  EXPECT_TRUE(held_by_one_at_a_time(*run.model().object_named("lock")));
  EXPECT_EQ(run.report().lost_events, 0u);
}

TEST_F(Sync, NonBlockingAndTimedAcquireFailWhileHeld) {
  InlineRun run([](LessonContext& lesson) {
    Lock lock("lock");
    Event held("held"), done("done");
    Process holder([=]() mutable {
      lock.acquire();
      held.set();
      done.wait();
      lock.release();
    });
    holder.start();
    held.wait();
    const bool nonblocking = lock.acquire(false);
    const double t0 = lesson_time();
    const bool timed = lock.acquire(true, 0.3);
    const double waited = lesson_time() - t0;
    done.set();
    const bool later = lock.acquire(true, 10);
    lock.release();
    holder.join();
    lesson.result() = {{"nonblocking", nonblocking}, {"timed", timed}, {"waited", waited}, {"later", later}};
  });
  const auto& r = run.report().result;
  EXPECT_FALSE(r["nonblocking"]);
  EXPECT_FALSE(r["timed"]);
  EXPECT_GE(r["waited"].get<double>(), 0.29);
  EXPECT_TRUE(r["later"]);
}

// Boost 1.74's interprocess_mutex would wedge here forever; the robust mutex recovers, and says so.
TEST_F(Sync, ALockWhoseHolderIsKilledDoesNotWedge) {
  InlineRun run([](LessonContext& lesson) {
    Lock lock("lock");
    Process victim([=]() mutable {
      lock.acquire();
      raise(SIGKILL);  // dies holding the lock
    });
    victim.start();
    victim.join();
    const bool got = lock.acquire(true, 5);
    if (got) lock.release();
    lesson.result() = {{"got", got}, {"victim", *victim.exitcode()}};
  });
  EXPECT_TRUE(run.report().result["got"]);
  EXPECT_EQ(run.report().result["victim"], -SIGKILL);
  int recoveries = 0;
  for (const TraceEvent& e : run.model().events()) recoveries += e.kind == EventKind::LockRecovered;
  EXPECT_EQ(recoveries, 1);
  EXPECT_EQ(run.model().describe(*std::find_if(run.model().events().begin(), run.model().events().end(),
                                               [](const TraceEvent& e) { return e.kind == EventKind::LockRecovered; })),
            fmt::format("recovered Lock 'lock': its holder (pid {}) died holding it", run.process("Process-1").pid));
}

// Python's Lock is a semaphore with one token: any process may release it, even one that never acquired it, and a
// waiter blocked on it gets it then. Releasing it while free is the error; an RLock has an owner.
TEST_F(Sync, AnyProcessMayReleaseALockButNobodyMayReleaseAFreeOne) {
  InlineRun run([](LessonContext& lesson) {
    Lock lock("lock");
    RLock rlock;
    lock.acquire();
    Process waiter([=]() mutable {
      if (lock.acquire(true, 20)) print("waiter got the lock the main process holds");
    });
    Process releaser([=]() mutable {
      lock.release();
      print("releaser released it");
    });
    waiter.start();
    releaser.start();
    waiter.join(30);
    releaser.join(30);
    // The waiter exited holding it; another release frees it for the main process.
    lock.release();
    const bool main_again = lock.acquire(false);
    lock.release();
    std::string lock_error, rlock_error;
    try {
      lock.release();
    } catch (const ValueError& e) {
      lock_error = fmt::format("{}: {}", e.python_name(), e.what());
    }
    try {
      rlock.release();
    } catch (const AssertionError& e) {
      rlock_error = e.python_name();
    }
    lesson.result() = {{"main_again", main_again}, {"lock", lock_error}, {"rlock", rlock_error},
                       {"waiter", *waiter.exitcode()}};
  });
  const auto& r = run.report().result;
  std::vector<std::string> lines = run.lines();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"releaser released it", "waiter got the lock the main process holds"}));
  EXPECT_EQ(r["waiter"], 0);
  EXPECT_TRUE(r["main_again"]);
  EXPECT_EQ(r["lock"], "ValueError: semaphore or lock released too many times");
  EXPECT_EQ(r["rlock"], "AssertionError");
  // The timeline's holder follows the releases, whoever made them: the lock ends free.
  EXPECT_EQ(run.model().object_named("lock")->holder, 0);
}

// A holder killed while others sleep on the lock: a sleeper notices and takes it over.
TEST_F(Sync, AWaiterTakesOverALockWhoseHolderIsKilledWhileItWaits) {
  InlineRun run([](LessonContext& lesson) {
    Lock lock("lock");
    Event holding("holding");
    Process victim([=]() mutable {
      lock.acquire();
      holding.set();
      forkscope::sleep(0.2);  // long enough for the main process to be waiting; not for synchronisation
      raise(SIGKILL);
    });
    victim.start();
    holding.wait(20);
    const double t0 = lesson_time();
    const bool got = lock.acquire(true, 20);
    lesson.result() = {{"got", got}, {"waited", lesson_time() - t0}};
    if (got) lock.release();
    victim.join(20);
  });
  EXPECT_TRUE(run.report().result["got"]);
  EXPECT_LT(run.report().result["waited"].get<double>(), 5);
  int recoveries = 0;
  for (const TraceEvent& e : run.model().events()) recoveries += e.kind == EventKind::LockRecovered;
  EXPECT_EQ(recoveries, 1);
}

TEST_F(Sync, RLockIsReentrantAndFreeOnlyAfterAsManyReleases) {
  InlineRun run([](LessonContext& lesson) {
    RLock rlock("r");
    rlock.acquire();
    rlock.acquire();
    rlock.release();
    Process other([=]() mutable { print("{}", rlock.acquire(false) ? "got it" : "still held"); });
    other.start();
    other.join();
    rlock.release();
    Process again([=]() mutable {
      const bool got = rlock.acquire(false);
      print("{}", got ? "got it" : "still held");
      if (got) rlock.release();
    });
    again.start();
    again.join();
    lesson.result() = {};
  });
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"still held", "got it"}));
}

TEST_F(Sync, ASemaphoreLetsAtMostItsValueIn) {
  InlineRun run([](LessonContext&) {
    Semaphore seats(3, "seats");
    Counter inside("inside");
    std::vector<Process> guests;
    for (int g = 0; g < 8; ++g)
      guests.emplace_back([=]() mutable {
        std::lock_guard guard(seats);
        inside.add(1);
        forkscope::sleep(0.05);
        inside.add(-1);
      });
    for (auto& p : guests) p.start();
    for (auto& p : guests) p.join();
  });
  EXPECT_LE(run.model().object_named("inside")->max_value(), 3);
  EXPECT_EQ(run.model().object_named("inside")->value(), 0);
  EXPECT_GE(run.model().object_named("seats")->min_value(), 0);
  EXPECT_EQ(run.model().object_named("seats")->value(), 3);
}

TEST_F(Sync, ABoundedSemaphoreRefusesAnExtraRelease) {
  InlineRun run([](LessonContext& lesson) {
    BoundedSemaphore s(2);
    Semaphore unbounded(2);
    std::string error;
    s.acquire();
    s.release();
    try {
      s.release();
    } catch (const ValueError& e) {
      error = e.what();
    }
    unbounded.release();
    lesson.result() = {{"error", error}, {"unbounded", unbounded.get_value()}, {"acquire0", Semaphore(0).acquire(false)}};
  });
  EXPECT_EQ(run.report().result["error"], "Semaphore released too many times");
  EXPECT_EQ(run.report().result["unbounded"], 3);
  EXPECT_FALSE(run.report().result["acquire0"]);
}

TEST_F(Sync, AnEventWakesEveryWaiterAndTimesOutWhenNeverSet) {
  InlineRun run([](LessonContext& lesson) {
    Event e("e");
    std::vector<Process> waiters;
    for (int w = 0; w < 3; ++w)
      waiters.emplace_back([=]() mutable { print("woke {}", e.wait(30)); });
    for (auto& p : waiters) p.start();
    const bool timed_out_flag = Event().wait(0.1);
    e.set();
    for (auto& p : waiters) p.join();
    const bool set = e.is_set();
    e.clear();
    lesson.result() = {{"timed_out_flag", timed_out_flag}, {"set", set}, {"cleared", e.is_set()}};
  });
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"woke true", "woke true", "woke true"}));
  EXPECT_FALSE(run.report().result["timed_out_flag"]);
  EXPECT_TRUE(run.report().result["set"]);
  EXPECT_FALSE(run.report().result["cleared"]);
  // Each waiter was blocked on the event until it was set.
  const ObjectInfo* e = run.model().object_named("e");
  std::int64_t set_at = 0;
  for (const TraceEvent& ev : run.model().events())
    if (ev.kind == EventKind::EventSet) set_at = static_cast<std::int64_t>(ev.time);
  for (int w = 1; w <= 3; ++w) {
    const ProcessInfo& p = run.process(fmt::format("Process-{}", w));
    const auto blocked = std::find_if(p.spans.begin(), p.spans.end(), [&](const StateSpan& s) {
      return s.state == ProcState::BlockedEvent && s.object == e->id;
    });
    ASSERT_NE(blocked, p.spans.end());
    EXPECT_GE(blocked->end_ns, set_at);
  }
}

TEST_F(Sync, CounterAddsAtomicallyAcrossProcesses) {
  InlineRun run([](LessonContext& lesson) {
    Counter c("c");
    std::vector<Process> adders;
    for (int w = 0; w < 4; ++w)
      adders.emplace_back([=]() mutable {
        for (int i = 0; i < 1000; ++i) c.add(1);
      });
    for (auto& p : adders) p.start();
    for (auto& p : adders) p.join();
    lesson.result() = {{"c", c.value()}};
  });
  EXPECT_EQ(run.report().result["c"], 4000);
  EXPECT_EQ(run.model().object_named("c")->value(), 4000);
}

namespace {
const Task sleepy("sleepy", [](double seconds) {
  forkscope::sleep(seconds);
  return 0;
});

double cpu_ms_of_this_process() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}
}  // namespace

// A blocked process sleeps in the kernel, also while a pool's results may arrive (it then wakes every 2 ms to look).
TEST_F(Sync, AProcessBlockedOnAnEventUsesAlmostNoCpuWithOrWithoutAPoolAtWork) {
  InlineRun run([](LessonContext& lesson) {
    Event never("never");
    double before = cpu_ms_of_this_process();
    const bool alone = never.wait(0.5);
    lesson.result()["alone_ms"] = cpu_ms_of_this_process() - before;
    Pool pool(1);
    (void)pool.apply_async(sleepy, {30.0});
    before = cpu_ms_of_this_process();
    const bool with_pool = never.wait(0.5);
    lesson.result()["with_pool_ms"] = cpu_ms_of_this_process() - before;
    lesson.result()["set"] = alone || with_pool;
  });
  const auto& r = run.report().result;
  EXPECT_FALSE(r["set"]);
  EXPECT_LT(r["alone_ms"].get<double>(), 50);
  EXPECT_LT(r["with_pool_ms"].get<double>(), 100);
}
