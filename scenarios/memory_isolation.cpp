// memory-isolation (进程之间内存隔离): x = 100 in the parent; the child sets x = 20 and prints it; the parent,
// after join(), still prints 100 (002_7108acfb1758bed7.txt).
// Teaches: every process has its own memory. fork() gives the child a copy of the parent's memory (the pages are
// shared until one side writes, then copied: copy-on-write), so a write in one process is invisible in the other,
// even at the same address. To share data, processes must communicate (a Queue, a Pipe, a Manager).
// Watch: the two counters "x in MainProcess" and "x in Process-1", each mirroring that process's own x: the child's
// drops to 20, the parent's stays 100. Both processes print the same address for x, holding different values.
#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

int x = 100;  // a global, like the tutorial's module-level x

void task(int value, forkscope::Counter child_view) {
  x = value;  // global x; x = 20: changes this process's copy only
  child_view.set(x);
  forkscope::print("子进程 {}", x);
  forkscope::print("子进程里 &x = {}", fmt::ptr(&x));
}

void body(forkscope::LessonContext& lesson) {
  // Counters are shared across processes: each one shows the x of one process, so the timeline can show both.
  forkscope::Counter parent_view("x_in_main", x);
  forkscope::Counter child_view("x_in_child", x);
  const int value = static_cast<int>(lesson.int_param("child_value"));
  forkscope::Process p([=] { task(value, child_view); });
  p.start();
  p.join();
  parent_view.set(x);
  forkscope::print("主进程 {}", x);
  forkscope::print("主进程里 &x = {}", fmt::ptr(&x));
  lesson.result() = {{"child_x", child_view.value()}, {"parent_x", x}};
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  const forkscope::TraceModel& model = *run.model;
  const auto value = run.params["child_value"].get<std::int64_t>();
  run.expect("child_x_changed", run.result["child_x"] == value, {{"x", run.result["child_x"]}});
  run.expect("parent_x_unchanged", run.result["parent_x"] == 100, {{"x", run.result["parent_x"]}});
  const auto child_line = printed_at(model, fmt::format("子进程 {}", value));
  const auto parent_line = printed_at(model, "主进程 100");
  run.expect("child_printed_first",
             child_line && parent_line && *child_line < *parent_line);

  // The same address in both processes, two different values: two copies of the memory, not one shared x.
  std::string child_address, parent_address;
  for (const forkscope::PrintedLine& l : model.lines()) {
    if (l.text.starts_with("子进程里 &x = ")) child_address = l.text.substr(l.text.find('=') + 2);
    if (l.text.starts_with("主进程里 &x = ")) parent_address = l.text.substr(l.text.find('=') + 2);
  }
  run.result["address_of_x"] = parent_address;
  run.expect("same_address", !child_address.empty() && child_address == parent_address,
             {{"child", child_address}, {"parent", parent_address}});
  const forkscope::ObjectInfo* parent_view = model.object_named("x_in_main");
  run.expect("parent_x_stays_on_timeline",
             parent_view && parent_view->min_value() == 100 && parent_view->max_value() == 100);
}

// Two copies of x: the child's changed, the parent's did not.
std::optional<forkscope::LessonPoint> point(const forkscope::RunReport& run) {
  if (!run.result.contains("child_x") || run.result["child_x"] == run.result["parent_x"]) return std::nullopt;
  return forkscope::LessonPoint{"point.isolated", {run.result["child_x"].dump(), run.result["parent_x"].dump()}};
}

}  // namespace

namespace forkscope::scenarios {

Lesson memory_isolation() {
  return {.id = "memory-isolation",
          .topic = "processes",
          .source = "scenarios/memory_isolation.cpp",
          .params = {ParamSpec::integer("child_value", 20, -1000, 1000)},
          .body = body,
          .check = check,
          .point = point};
}

}  // namespace forkscope::scenarios
