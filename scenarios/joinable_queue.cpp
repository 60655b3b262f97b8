// joinable-queue (JoinableQueue): three cooks and two eaters (000_ec34fb1d3354b95f.txt). Each cook puts its dishes,
// then q.join(); the eaters confirm every dish with task_done(); the main process joins the cooks, then ends.
// Teaches: q.join() blocks until every item ever put has been confirmed with task_done(). So when the cooks have
// returned from q.join(), everything was eaten; the main process waits only for the cooks, and the eaters, which
// loop forever, are daemons: they have no reason to live on and end with the main process.
// Watch: cooks blocked in join() of "q" after their last put, released together by the last task_done();
// "主" printed after every "吃了"; the two eaters terminated (SIGTERM) when the main process ends.
#include <vector>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

void producer(const std::string& food, const std::string& name, std::int64_t items, std::int64_t max_delay,
              forkscope::JoinableQueue q) {
  for (std::int64_t i = 0; i < items; ++i) {
    forkscope::sleep(static_cast<double>(forkscope::random_int(1, max_delay)));
    const std::string res = fmt::format("{}{}", food, i);
    q.put(res);
    forkscope::print("厨师 {} 生产了 {}", name, res);
  }
  q.join();  // returns once every dish put so far has been eaten
}

void consumer(const std::string& name, std::int64_t max_delay, forkscope::JoinableQueue q) {
  while (true) {
    const forkscope::Value res = q.get();
    if (res.is_none()) break;
    forkscope::sleep(static_cast<double>(forkscope::random_int(1, max_delay)));
    forkscope::print("{} 吃了 {}", name, res);
    q.task_done();  // 向q.join()发送一次信号, 证明一个数据已经被处理了
  }
}

void body(forkscope::LessonContext& lesson) {
  const auto items = lesson.int_param("items");
  const auto max_delay = lesson.int_param("max_delay");
  forkscope::JoinableQueue q(0, "q");
  forkscope::Process p1([=] { producer("泔水", "egon", items, max_delay, q); });
  forkscope::Process p2([=] { producer("骨头", "aaa", items, max_delay, q); });
  forkscope::Process p3([=] { producer("包子", "bbb", items, max_delay, q); });
  forkscope::Process c1([=] { consumer("alex", max_delay, q); });
  forkscope::Process c2([=] { consumer("haha", max_delay, q); });
  c1.set_daemon(true);
  c2.set_daemon(true);
  for (forkscope::Process* p : {&p1, &p2, &p3, &c1, &c2}) p->start();

  p1.join();
  p2.join();
  p3.join();
  forkscope::print("主");
  // 主进程等 p1,p2,p3, p1,p2,p3 等 c1,c2: once the cooks are back, every dish was eaten; the daemons end with us.
  lesson.result()["produced"] = 3 * items;
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  using forkscope::EventKind;
  const forkscope::TraceModel& model = *run.model;
  const forkscope::ObjectInfo* q = model.object_named("q");
  const auto produced = run.result["produced"].get<std::int64_t>();

  std::vector<forkscope::TraceEvent> confirmations, joins;  // copies: the model hands events out by value
  for (const forkscope::TraceEvent& e : model.events()) {
    if (e.object != q->id || e.phase != forkscope::Phase::Done) continue;
    if (e.kind == EventKind::QueueTaskDone) confirmations.push_back(e);
    if (e.kind == EventKind::QueueJoin) joins.push_back(e);
  }
  const auto task_dones = static_cast<std::int64_t>(confirmations.size());
  run.result["eaten"] = task_dones;
  run.expect("every_dish_put_and_eaten_once", q->puts == produced && q->gets == produced && task_dones == produced,
             {{"puts", q->puts}, {"gets", q->gets}, {"task_dones", task_dones}});

  // Each cook's join() returned at a moment when nothing was unfinished: the last task_done before it left 0.
  bool joins_waited = joins.size() == 3;
  for (const forkscope::TraceEvent& j : joins) {
    const forkscope::TraceEvent* last = nullptr;
    for (const forkscope::TraceEvent& c : confirmations)
      if (c.time <= j.time && (!last || c.time >= last->time)) last = &c;
    joins_waited &= last && last->value == 0;
  }
  run.expect("join_waited_for_task_done", joins_waited);

  const auto main_line = printed_at(model, "主");
  std::int64_t eaten_before = 0;
  for (const forkscope::PrintedLine& l : model.lines())
    eaten_before += main_line && l.t_ns < *main_line && l.text.find(" 吃了 ") != std::string::npos;
  run.expect("main_line_after_every_dish", eaten_before == produced, {{"eaten_before", eaten_before}});

  std::int64_t terminated = 0;
  for (const forkscope::ProcessInfo& p : model.processes()) terminated += p.daemon && p.exitcode == -15;
  run.result["eaters_terminated"] = terminated;
  run.expect("eaters_terminated_as_daemons", terminated == 2);
}

}  // namespace

namespace forkscope::scenarios {

Lesson joinable_queue() {
  return {.id = "joinable-queue",
          .topic = "queues",
          .source = "scenarios/joinable_queue.cpp",
          .params = {ParamSpec::integer("items", 2, 1, 20), ParamSpec::integer("max_delay", 3, 1, 10)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
