// queue-basics (队列): Queue(5): put, get, full(), empty(), a put that blocks, FIFO order, and a producer and a
// consumer talking through the queue (002_7108acfb1758bed7.txt).
// Teaches: a queue holds at most maxsize items; put() on a full queue waits (the tutorial's q.put(6) waits forever;
// here it gives up after a timeout with queue.Full, so the lesson ends); get() returns items first in, first out,
// and waits on an empty queue. full() and empty() are snapshots: under concurrency another process may change the
// queue right after you asked.
// Watch: the depth of "q" climbing to 5; the main process blocked on put (the 6th item), then on get (the queue is
// empty); arrows from each put to its get; then the consumer, which looks at empty() before get() and receives
// '你好' whatever empty() said a moment before.
#include <numeric>
#include <vector>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

using forkscope::scenarios::py;

void producer(forkscope::Queue q) { q.put("你好"); }

void consumer(forkscope::Queue q) {
  forkscope::print("消费者看了一眼: q.empty() = {}", py(q.empty()));  // already stale when it is printed
  forkscope::print("{}", q.get());
}

void body(forkscope::LessonContext& lesson) {
  const auto maxsize = lesson.int_param("maxsize");
  const double wait = lesson.float_param("wait_seconds");
  forkscope::Queue q(maxsize, "q");  // 最多能够存放 maxsize 个数据的队列
  for (int i = 1; i <= maxsize; ++i) {
    q.put(i);
    if (i == maxsize - 2) forkscope::print("{}", py(q.full()));  // False
  }
  const bool full = q.full();
  forkscope::print("{}", py(full));  // True: 只能放进去 maxsize 个
  try {
    q.put(maxsize + 1, true, wait);  // 再放一个放不进去了: put waits for room
  } catch (const forkscope::Full&) {
    forkscope::print("q.put({}) 等了 {} 秒还是放不进去: queue.Full", maxsize + 1, wait);
  }

  std::vector<std::int64_t> got;
  for (int i = 1; i <= maxsize; ++i) {
    got.push_back(q.get().as_int());  // 取数据, get一次就取一个
    forkscope::print("{}", got.back());
    if (i == maxsize - 2) forkscope::print("{}", py(q.empty()));  // False
  }
  const bool empty = q.empty();
  forkscope::print("{}", py(empty));  // True
  try {
    q.get(true, wait);  // 取完了, 队列为空, get会在原地等待
  } catch (const forkscope::Empty&) {
    forkscope::print("q.get() 等了 {} 秒还是没有数据: queue.Empty", wait);
  }

  // 基于队列实现进程间通信: a producer and a consumer that only meet in the queue.
  forkscope::Process p1([=] { producer(q); });
  forkscope::Process c1([=] { consumer(q); });
  p1.start();
  c1.start();
  p1.join();
  c1.join();
  lesson.result() = {{"full", full}, {"got", got}, {"empty", empty}};
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  const forkscope::TraceModel& model = *run.model;
  const auto maxsize = run.params["maxsize"].get<std::int64_t>();
  const double wait = run.params["wait_seconds"].get<double>();
  const forkscope::ObjectInfo* q = model.object_named("q");
  const forkscope::ProcessInfo* main = main_process(model);

  std::vector<std::int64_t> in_order(static_cast<std::size_t>(maxsize));
  std::iota(in_order.begin(), in_order.end(), 1);
  run.expect("full_after_maxsize_puts", run.result["full"] == true);
  run.expect("fifo", run.result["got"] == nlohmann::json(in_order), {{"got", run.result["got"]}});
  run.expect("empty_after_all_taken", run.result["empty"] == true);
  run.expect("depth_within_maxsize", q->max_value() <= maxsize, {{"most", q->max_value()}});

  // The put on the full queue and the get on the empty one: each a Want (blocked), then a Fail after the timeout.
  std::int64_t failed_puts = 0, failed_gets = 0;
  for (const forkscope::TraceEvent& e : events_of(model, main->pid)) {
    failed_puts += e.kind == forkscope::EventKind::QueuePut && e.phase == forkscope::Phase::Fail;
    failed_gets += e.kind == forkscope::EventKind::QueueGet && e.phase == forkscope::Phase::Fail;
  }
  const double blocked_put = seconds_in(run, *main, forkscope::ProcState::BlockedQueuePut);
  const double blocked_get = seconds_in(run, *main, forkscope::ProcState::BlockedQueueGet);
  run.result["blocked_put_seconds"] = blocked_put;
  run.expect("put_blocked_then_full", failed_puts == 1 && blocked_put >= 0.9 * wait, {{"seconds", blocked_put}});
  run.expect("get_blocked_then_empty", failed_gets == 1 && blocked_get >= 0.9 * wait, {{"seconds", blocked_get}});

  const forkscope::ProcessInfo* c1 = process_named(model, "Process-2");
  const auto consumer_lines = c1 ? lines_in_order(model, c1->pid) : std::vector<forkscope::PrintedLine>{};
  run.result["consumer_saw_empty"] = !consumer_lines.empty() && consumer_lines.front().text.ends_with("True");
  run.expect("consumer_received_hello", consumer_lines.size() == 2 && consumer_lines[1].text == "你好");
}

}  // namespace

namespace forkscope::scenarios {

Lesson queue_basics() {
  return {.id = "queue-basics",
          .topic = "queues",
          .source = "scenarios/queue_basics.cpp",
          .params = {ParamSpec::integer("maxsize", 5, 3, 20), ParamSpec::real("wait_seconds", 2.0, 0.1, 30)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
