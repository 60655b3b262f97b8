// Queue and JoinableQueue: FIFO, no lost or duplicated item, Full/Empty, timeouts, task_done/join, depth.
#include <map>

#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::InlineRun;

class QueueTest : public CleanTest {};

TEST_F(QueueTest, OneProducerOneConsumerIsFifo) {
  InlineRun run([](LessonContext& lesson) {
    Queue q(0, "q");
    Process producer([q]() mutable {
      for (int i = 0; i < 10'000; ++i) q.put(i);
    });
    producer.start();
    bool in_order = true;
    for (int i = 0; i < 10'000; ++i) in_order &= q.get(true, 30).as_int() == i;
    producer.join();
    lesson.result() = {{"in_order", in_order}};
  });
  EXPECT_TRUE(run.report().result["in_order"]);
  EXPECT_EQ(run.model().flows().size(), 10'000u);
  EXPECT_TRUE(std::all_of(run.model().flows().begin(), run.model().flows().end(), [](const Flow& f) { return f.complete(); }));
}

// Three producers, three consumers: every item taken exactly once, each producer's items in order for each consumer.
TEST_F(QueueTest, ManyProducersManyConsumersLoseNothingAndKeepEachProducersOrder) {
  constexpr int kEach = 5000;
  InlineRun run([](LessonContext& lesson) {
    Queue q(64, "q");
    Queue results(0, "results");
    std::vector<Process> producers, consumers;
    for (int p = 0; p < 3; ++p)
      producers.emplace_back([=]() mutable {
        for (int i = 0; i < kEach; ++i) q.put(p * 1'000'000 + i);
      });
    for (int c = 0; c < 3; ++c)
      consumers.emplace_back([=]() mutable {
        std::int64_t last[3] = {-1, -1, -1};
        std::int64_t taken = 0, disorder = 0, sum = 0;
        for (Value v = q.get(); !v.is_none(); v = q.get()) {
          const std::int64_t x = v.as_int(), p = x / 1'000'000, i = x % 1'000'000;
          disorder += i <= last[p];
          last[p] = i;
          ++taken;
          sum += x;
        }
        results.put(fmt::format("{} {} {}", taken, disorder, sum));
      });
    for (auto& p : producers) p.start();
    for (auto& c : consumers) c.start();
    for (auto& p : producers) p.join();
    for (int c = 0; c < 3; ++c) q.put(None);
    for (auto& c : consumers) c.join();
    std::int64_t taken = 0, disorder = 0, sum = 0;
    for (int c = 0; c < 3; ++c) {
      std::int64_t t = 0, d = 0, s = 0;
      std::sscanf(results.get().as_str().c_str(), "%ld %ld %ld", &t, &d, &s);
      taken += t;
      disorder += d;
      sum += s;
    }
    lesson.result() = {{"taken", taken}, {"disorder", disorder}, {"sum", sum}};
  });
  std::int64_t expected_sum = 0;
  for (int p = 0; p < 3; ++p)
    for (int i = 0; i < kEach; ++i) expected_sum += p * 1'000'000 + i;
  EXPECT_EQ(run.report().result["taken"], 3 * kEach);
  EXPECT_EQ(run.report().result["disorder"], 0);
  EXPECT_EQ(run.report().result["sum"], expected_sum);
  const ObjectInfo* q = run.model().object_named("q");
  EXPECT_LE(q->max_value(), 64);
  EXPECT_GE(q->min_value(), 0);
  EXPECT_EQ(q->value(), 0);
}

TEST_F(QueueTest, NonBlockingCallsRaiseFullAndEmpty) {
  InlineRun run([](LessonContext& lesson) {
    Queue q(2, "q");
    q.put(1);
    q.put_nowait(2);
    const bool full = q.full();
    std::string put_error, get_error;
    try {
      q.put_nowait(3);
    } catch (const Full& e) {
      put_error = e.python_name();
    }
    (void)q.get();
    (void)q.get_nowait();
    const bool empty = q.empty();
    try {
      (void)q.get_nowait();
    } catch (const Empty& e) {
      get_error = e.python_name();
    }
    lesson.result() = {{"full", full}, {"empty", empty}, {"put", put_error}, {"get", get_error}};
  });
  EXPECT_TRUE(run.report().result["full"]);
  EXPECT_TRUE(run.report().result["empty"]);
  EXPECT_EQ(run.report().result["put"], "queue.Full");
  EXPECT_EQ(run.report().result["get"], "queue.Empty");
}

TEST_F(QueueTest, BlockingCallsTimeOutAfterTheirTimeout) {
  InlineRun run([](LessonContext& lesson) {
    Queue q(1, "q");
    double get_waited = 0, put_waited = 0;
    double t0 = lesson_time();
    try {
      (void)q.get(true, 0.2);
    } catch (const Empty&) {
      get_waited = lesson_time() - t0;
    }
    q.put(1);
    t0 = lesson_time();
    try {
      q.put(2, true, 0.2);
    } catch (const Full&) {
      put_waited = lesson_time() - t0;
    }
    lesson.result() = {{"get", get_waited}, {"put", put_waited}};
  });
  EXPECT_GE(run.report().result["get"].get<double>(), 0.19);
  EXPECT_GE(run.report().result["put"].get<double>(), 0.19);
  // Both waits show as blocked spans on the timeline.
  int blocked = 0;
  for (const StateSpan& s : run.process("MainProcess").spans)
    blocked += s.state == ProcState::BlockedQueueGet || s.state == ProcState::BlockedQueuePut;
  EXPECT_EQ(blocked, 2);
}

TEST_F(QueueTest, ItemsKeepTheirValues) {
  InlineRun run([](LessonContext& lesson) {
    Queue q;
    const std::string long_text = "一段很长的字符串，超过了一个格子里能放下的二十二个字节";
    std::vector<Value> in = {None, 42, -7, 2.5, "", "包子", long_text};
    Process child([q, in]() mutable {
      for (const Value& v : in) q.put(v);
    });
    child.start();
    bool same = true;
    for (const Value& v : in) same &= q.get() == v;
    child.join();
    lesson.result() = {{"same", same}};
  });
  EXPECT_TRUE(run.report().result["same"]);
}

TEST_F(QueueTest, JoinReturnsOnlyAfterEveryTaskDoneAndAnExtraTaskDoneIsAnError) {
  InlineRun run([](LessonContext& lesson) {
    JoinableQueue q(0, "q");
    for (int i = 0; i < 5; ++i) q.put(i);
    Process worker([q]() mutable {
      for (int i = 0; i < 5; ++i) {
        (void)q.get();
        forkscope::sleep(0.02);
        q.task_done();
      }
    });
    worker.start();
    q.join();
    print("joined");
    std::string error;
    try {
      q.task_done();
    } catch (const ValueError& e) {
      error = e.what();
    }
    worker.join();
    lesson.result() = {{"error", error}};
  });
  EXPECT_EQ(run.report().result["error"], "task_done() called too many times");
  // join() returned after the fifth task_done.
  std::int64_t last_task_done = 0, joined = 0;
  for (const TraceEvent& e : run.model().events()) {
    if (e.kind == EventKind::QueueTaskDone) last_task_done = static_cast<std::int64_t>(e.time);
    if (e.kind == EventKind::QueueJoin && e.phase == Phase::Done) joined = static_cast<std::int64_t>(e.time);
  }
  EXPECT_GE(joined, last_task_done);
}

// Python's close() and join_thread(): per process; a closed queue refuses put and get, join_thread needs a close.
TEST_F(QueueTest, CloseRefusesPutAndGetInThisProcessOnlyAndJoinThreadNeedsIt) {
  InlineRun run([](LessonContext& lesson) {
    Queue q(0, "jobs");
    auto& r = lesson.result();
    try {
      q.join_thread();
    } catch (const AssertionError& e) {
      r["join_thread_open"] = e.what();
    }
    q.put(1);
    q.close();
    q.join_thread();  // returns at once: every put is already in shared memory
    for (const char* call : {"put", "get"}) {
      try {
        if (call == std::string("put")) q.put(2);
        else (void)q.get();
      } catch (const ValueError& e) {
        r[call] = e.what();
      }
    }
    // A child started after the close has the queue open again, as in Python after a fork.
    Process child([=]() mutable { print("child got {}", q.get(true, 20).as_int()); });
    child.start();
    child.join(30);
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["join_thread_open"], "Queue 'jobs' not closed");
  EXPECT_EQ(r["put"], "Queue 'jobs' is closed");
  EXPECT_EQ(r["get"], "Queue 'jobs' is closed");
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"child got 1"}));
}

// Every kind of value crosses to another process unchanged: the getter's repr is Python's, so a bool stays a bool,
// a 1-tuple a tuple, and nested containers keep their shape.
TEST_F(QueueTest, EveryKindOfValueCrossesUnchanged) {
  InlineRun run([](LessonContext& lesson) {
    Queue q(0, "q");
    Process producer([q]() mutable {
      for (const Value& v : forkscope::testing::sample_values()) q.put(v);
    });
    producer.start();
    std::vector<Value> got;
    for (std::size_t i = 0; i < forkscope::testing::sample_values().size(); ++i) got.push_back(q.get(true, 30));
    producer.join();
    lesson.result() = {{"reprs", forkscope::testing::reprs(got)}, {"bool", got.at(1).is_bool()}};
  });
  EXPECT_EQ(run.report().result["reprs"].get<std::vector<std::string>>(), forkscope::testing::sample_reprs());
  EXPECT_TRUE(run.report().result["bool"]);
}

// 40 MB of 1 KiB strings through one queue: each is a block of the payload store, given back by its get, so the
// store grows only to what is in flight at once (at most the queue's 1000 items), not to everything that passed.
TEST_F(QueueTest, LongStringsDoNotAccumulate) {
  constexpr int kItems = 40'000;
  InlineRun run(
      [](LessonContext& lesson) {
        Queue q(1000, "q");
        Process producer([q]() mutable {
          for (int i = 0; i < kItems; ++i) q.put(fmt::format("{:04}", i % 10'000) + std::string(1020, 'x'));
        });
        producer.start();
        std::int64_t bytes = 0, in_order = 0;
        for (int i = 0; i < kItems; ++i) {
          const Value v = q.get(true, 30);
          bytes += v.len();
          in_order += v.as_str().starts_with(fmt::format("{:04}", i % 10'000));
        }
        producer.join();
        lesson.result() = {{"bytes", bytes}, {"in_order", in_order}};
      },
      {.timeout_seconds = 120});
  EXPECT_EQ(run.report().result["bytes"], std::int64_t{kItems} * 1024);
  EXPECT_EQ(run.report().result["in_order"], kItems);
  EXPECT_LT(run.report().payload_store_bytes, 8u << 20);  // 80 MiB if every block stayed
}
