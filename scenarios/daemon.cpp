// daemon (守护进程): a daemon child ends as soon as the main process's code ends (002_7108acfb1758bed7.txt).
// Teaches: p.daemon = True (before start) ties a child to the main process: when the main process reaches the end
// of its code, it terminates its daemon children instead of waiting for them (non-daemon children are joined).
// Use it for helpers that make no sense once the main task is over.
// Watch: "主进程正在结束", then the main process sends SIGTERM to "egon总管", which dies in its sleep: its last line
// "egon总管正常结束" never appears. Run with daemon=false: the main process now waits in join() and the line appears.
#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

constexpr const char* kLastLine = "egon总管正常结束";

void task(const std::string& name, double seconds) {
  forkscope::print("{}正活着", name);
  forkscope::sleep(seconds);
  forkscope::print("{}正常结束", name);  // the line a daemon never gets to print
}

void body(forkscope::LessonContext& lesson) {
  const double seconds = lesson.float_param("task_seconds");
  forkscope::Process p([=] { task("egon总管", seconds); });  // args=('egon总管',)
  p.set_daemon(lesson.bool_param("daemon"));                  // p.daemon = True, before start()
  p.start();
  forkscope::print("主进程正在结束");
  lesson.result()["daemon"] = p.daemon();
  // The end of the body: a daemon child is terminated here; a non-daemon child is joined.
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  const forkscope::TraceModel& model = *run.model;
  const forkscope::ProcessInfo* child = process_named(model, "Process-1");
  const bool finished = printed_at(model, kLastLine).has_value();
  run.result["daemon_finished"] = finished;
  run.expect("main_printed_its_line", printed_at(model, "主进程正在结束").has_value());
  if (run.params["daemon"].get<bool>()) {
    run.expect("daemon_never_finished", !finished);
    run.expect("daemon_terminated", child && child->exitcode == -15,
               {{"exitcode", child && child->exitcode ? nlohmann::json(*child->exitcode) : nlohmann::json()}});
  } else {
    run.expect("child_finished", finished);
    const forkscope::ProcessInfo* main = main_process(model);
    run.expect("main_waited_for_child",
               child && child->exitcode == 0 && child->end_ns && main->end_ns && *main->end_ns >= *child->end_ns);
  }
}

}  // namespace

namespace forkscope::scenarios {

Lesson daemon() {
  return {.id = "daemon",
          .topic = "processes",
          .source = "scenarios/daemon.cpp",
          .params = {ParamSpec::boolean("daemon", true), ParamSpec::real("task_seconds", 3.0, 0.1, 30)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
