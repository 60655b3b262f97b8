// event-signal (事件): a child computes a result, writes it to a file and sets an Event; the main process waits on
// the Event, then reads the file (003_d6fbf71d022d77d7.txt).
// Teaches: Event is a flag that starts False; wait() blocks while it is False; set() wakes every waiter.
// Watch: the main process blocked on "e" for the whole computation, and the flag going to 1 the moment it wakes.
#include <fstream>

#include "forkscope/forkscope.hpp"

namespace {

void f1(forkscope::Event e, double seconds) {
  forkscope::sleep(seconds);
  const int n = 100;
  forkscope::print("子进程计算结果为 {}", n);
  std::ofstream("result.txt") << n;
  e.set();
}

void body(forkscope::LessonContext& lesson) {
  forkscope::Event e("e");  // 初始状态为 False
  forkscope::print("e的状态是: {}", e.is_set() ? "True" : "False");
  const double seconds = lesson.float_param("compute_seconds");
  forkscope::Process p([=] { f1(e, seconds); });
  p.start();
  forkscope::print("主进程等待....");
  const double before = forkscope::lesson_time();
  e.wait();  // blocks until the child sets the flag
  const double waited = forkscope::lesson_time() - before;
  int value = 0;
  std::ifstream("result.txt") >> value;
  forkscope::print("结果已经写入文件,可以拿到值 {}", value);
  p.join();
  lesson.result() = {{"value", value}, {"waited_seconds", waited}};
}

void check(forkscope::RunReport& run) {
  const double seconds = run.params["compute_seconds"].get<double>();
  run.expect("main_read_100", run.result["value"] == 100, {{"value", run.result["value"]}});
  run.expect("main_waited_whole_computation",
             run.result["waited_seconds"].get<double>() >= 0.9 * seconds,
             {{"seconds", run.result["waited_seconds"]}});
  // From the trace: the main's wait returned after the child's set.
  std::int64_t set_at = -1, woke_at = -1;
  for (const forkscope::TraceEvent& e : run.model->events()) {
    if (e.kind == forkscope::EventKind::EventSet) set_at = static_cast<std::int64_t>(e.time);
    if (e.kind == forkscope::EventKind::EventWait && e.phase == forkscope::Phase::Done) woke_at = static_cast<std::int64_t>(e.time);
  }
  run.expect("wait_returned_after_set", set_at >= 0 && woke_at >= set_at);
}

}  // namespace

namespace forkscope::scenarios {

Lesson event_signal() {
  return {.id = "event-signal",
          .topic = "sync",
          .source = "scenarios/event_signal.cpp",
          .params = {ParamSpec::real("compute_seconds", 2.0, 0, 30)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
