// process-create (创建进程的两种方式): a function target with its arguments, and a subclass that overrides run()
// (002_7108acfb1758bed7.txt); the constructor's arguments group, target, name, args, kwargs (004_1109b9fac48ba366.txt).
// Teaches: Python's Process(target=task, args=('egon',)) is, in C++, a lambda that calls task with those arguments;
// kwargs become the designated initializers of an argument struct; name and daemon go in ProcessOptions; group has
// no counterpart (Python reserves it, always None). start() asks the system for a process and returns at once.
// Watch: a lane appears at each start(); "主进程" comes right after the first start(), long before any child ends
// (usually before the child's first line too, the tutorial's order; a forked child can be quick enough to win);
// the lanes are named Process-1 (the default name), "worker" (ProcessOptions) and "tank" (the subclass).
#include <map>
#include <set>
#include <string>

#include <fmt/ranges.h>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

// The target's parameters. args=('egon', 3) fills them in order: task({"egon", 3});
// kwargs={'name': 'alex', 'seconds': 3} names them: task({.name = "alex", .seconds = 3}).
struct TaskArgs {
  std::string name;
  double seconds = 3;
};

void task(const TaskArgs& args) {
  forkscope::print("{} is running", args.name);
  forkscope::sleep(args.seconds);
  forkscope::print("{} is over", args.name);
}

// Way two: a subclass; its run() is the body of the new process.
class MyProcess : public forkscope::Process {
 public:
  MyProcess(std::string name, double seconds) : seconds_(seconds) { set_name(std::move(name)); }  // self.name = name

 protected:
  void run() override {
    forkscope::print("{} is running", name());
    forkscope::sleep(seconds_);
    forkscope::print("{} is end", name());
  }

 private:
  double seconds_;
};

void body(forkscope::LessonContext& lesson) {
  const double seconds = lesson.float_param("task_seconds");
  // Process(target=task, args=('egon',))
  forkscope::Process p1([=] { task({"egon", seconds}); });
  // Process(target=task, name='worker', kwargs={'name': 'alex', 'seconds': seconds})
  forkscope::Process p2([=] { task({.name = "alex", .seconds = seconds}); }, {.name = "worker"});
  MyProcess obj("tank", lesson.float_param("run_seconds"));
  p1.start();  // tells the system to make a process, and goes on at once
  forkscope::print("主进程");
  p2.start();
  obj.start();
  lesson.result()["names"] = {p1.name(), p2.name(), obj.name()};
  // Like Python, the main process waits for its (non-daemon) children when its body ends.
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  const forkscope::TraceModel& model = *run.model;
  const forkscope::ProcessInfo* main = main_process(model);
  const auto children = children_of(model, main->pid);
  const auto main_line = printed_at(model, "主进程");
  const std::map<std::string, std::vector<std::string>> expected = {
      {"Process-1", {"egon is running", "egon is over"}},
      {"worker", {"alex is running", "alex is over"}},
      {"tank", {"tank is running", "tank is end"}}};

  bool printed_before_children_ended = main_line.has_value();
  bool bodies_ran = children.size() == expected.size();
  std::set<std::string> names;
  for (const forkscope::ProcessInfo* child : children) {
    names.insert(child->name);
    printed_before_children_ended &= main_line && child->end_ns && *main_line < *child->end_ns;
    std::vector<std::string> texts;
    for (const forkscope::PrintedLine& l : lines_in_order(model, child->pid)) texts.emplace_back(l.text);
    bodies_ran &= expected.contains(child->name) && expected.at(child->name) == texts && child->exitcode == 0;
  }
  const auto lines = lines_in_order(model);
  run.result["first_line"] = lines.empty() ? "" : lines.front().text;
  run.result["main_printed_first"] = !lines.empty() && lines.front().pid == main->pid;

  run.expect("start_does_not_wait", printed_before_children_ended);
  run.expect("lanes_carry_names",
             names == std::set<std::string>{"Process-1", "worker", "tank"}, {{"names", fmt::format("{}", fmt::join(names, ", "))}});
  run.expect("each_child_ran_its_body", bodies_ran);
}

}  // namespace

namespace forkscope::scenarios {

Lesson process_create() {
  return {.id = "process-create",
          .topic = "processes",
          .source = "scenarios/process_create.cpp",
          .params = {ParamSpec::real("task_seconds", 3.0, 0.1, 30), ParamSpec::real("run_seconds", 1.0, 0.1, 30)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
