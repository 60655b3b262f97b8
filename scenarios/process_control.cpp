// process-control (进程对象其他方法): terminate(), is_alive(), pid and ppid, exitcode (002_7108acfb1758bed7.txt).
// Teaches: terminate() only sends SIGTERM: right after it the child may still be alive; a moment later it is gone,
// and its exitcode is -15 (minus the signal's number). os.getpid() is a process's own number, os.getppid() its
// parent's: the child's ppid is the main process's pid, and p.pid in the parent is the child's getpid().
// Watch: p1 receives SIGTERM and is reaped "killed by signal 15" without ever printing "is over"; p2, left alone,
// prints its pid, sleeps, and prints its parent's pid, which is the main process's.
#include <charconv>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

void task(double seconds) {
  forkscope::print("{} is running", forkscope::current_pid());  // os.getpid()
  forkscope::sleep(seconds);
  forkscope::print("{} is over", forkscope::parent_pid());  // os.getppid()
}

void body(forkscope::LessonContext& lesson) {
  using forkscope::scenarios::py;
  const double seconds = lesson.float_param("task_seconds");
  forkscope::Process p1([=] { task(seconds); });
  p1.start();
  p1.terminate();  // 杀死子进程: sends SIGTERM and returns at once
  const bool alive_at_once = p1.is_alive();
  forkscope::print("terminate() 之后马上 is_alive(): {}", py(alive_at_once));
  forkscope::sleep(lesson.float_param("moment_seconds"));
  const bool alive_later = p1.is_alive();  // 判断子进程是否存活
  forkscope::print("{}", py(alive_later));
  p1.join();
  forkscope::print("p1.exitcode = {}", *p1.exitcode());

  // A child left alone shows its pid and its parent's.
  forkscope::Process p2([=] { task(seconds); });
  p2.start();
  forkscope::print("主进程 pid {}, p2.pid {}", forkscope::current_pid(), p2.pid());
  p2.join();
  lesson.result() = {{"alive_right_after_terminate", alive_at_once},
                     {"alive_a_moment_later", alive_later},
                     {"exitcode", *p1.exitcode()},
                     {"main_pid", forkscope::current_pid()},
                     {"p2_pid", p2.pid()}};
}

// The number a line like "12345 is running" starts with (0 when it starts with none).
std::int64_t leading_number(std::string_view text) {
  std::int64_t n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  const forkscope::TraceModel& model = *run.model;
  const forkscope::ProcessInfo* p1 = process_named(model, "Process-1");
  const forkscope::ProcessInfo* p2 = process_named(model, "Process-2");
  run.expect("p1_terminated", run.result["exitcode"] == -15 && p1 && p1->exitcode == -15,
             {{"exitcode", run.result["exitcode"]}});
  bool p1_finished = false;
  for (const forkscope::PrintedLine& l : lines_in_order(model, p1 ? p1->pid : -1)) p1_finished |= l.text.ends_with("is over");
  run.expect("p1_never_finished", !p1_finished);

  // p2's own lines: getpid() is the pid its parent saw, getppid() is the main process's pid.
  const auto lines = p2 ? lines_in_order(model, p2->pid) : std::vector<forkscope::PrintedLine>{};
  const bool both = lines.size() == 2;
  run.result["p2_getpid"] = both ? leading_number(lines[0].text) : 0;
  run.result["p2_getppid"] = both ? leading_number(lines[1].text) : 0;
  run.expect("p2_getpid_is_pid", both && run.result["p2_getpid"] == run.result["p2_pid"],
             {{"getpid", run.result.value("p2_getpid", nlohmann::json())}, {"pid", run.result["p2_pid"]}});
  run.expect("p2_getppid_is_main", both && run.result["p2_getppid"] == run.result["main_pid"],
             {{"getppid", run.result.value("p2_getppid", nlohmann::json())}, {"main", run.result["main_pid"]}});
  run.expect("p2_ended_normally", p2 && p2->exitcode == 0);
}

}  // namespace

namespace forkscope::scenarios {

Lesson process_control() {
  return {.id = "process-control",
          .topic = "processes",
          .source = "scenarios/process_control.cpp",
          .params = {ParamSpec::real("task_seconds", 3.0, 0.1, 30), ParamSpec::real("moment_seconds", 0.1, 0, 5)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
