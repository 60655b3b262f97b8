// pipe (管道): conn1, conn2 = Pipe(); the main process sends on conn1, the child receives on conn2 until EOFError;
// the child reports back through a one-way pipe (003_d6fbf71d022d77d7.txt).
// Teaches: recv() blocks until a message comes; once the other end is closed and nothing is left, recv() raises
// EOFError. "Closed" means every copy: a child inherits a copy of each end that exists when it starts, so it must
// close the copy of conn1 it does not use, or its own copy keeps it waiting for ever (child_closes_copy=false).
// A one-way pipe, Pipe(false): the first end only receives, the second only sends.
// Watch: the child blocked on "pipe 1→2" until the first send, an arrow from each send to its recv, then the
// child's EOFError right after the main closes conn1 (or, without the close, the child blocked until terminated).
#include <vector>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

void f1(forkscope::Connection conn1, forkscope::Connection conn2, forkscope::Connection report, bool close_copy) {
  if (close_copy) conn1.close();  // 子进程用不到 conn1: 关掉自己继承来的那一份
  while (true) {
    try {
      const forkscope::Value from_zhujincheng = conn2.recv();  // blocks until the main process sends
      forkscope::print("我是子进程, 来自主进程的消息: {}", from_zhujincheng);
      report.send(from_zhujincheng);
    } catch (const forkscope::EOFError&) {
      forkscope::print("子进程: recv() 抛出 EOFError, 主进程关闭了 conn1");
      report.send("EOFError");
      return;
    }
  }
}

void body(forkscope::LessonContext& lesson) {
  const bool close_copy = lesson.bool_param("child_closes_copy");
  auto [conn1, conn2] = forkscope::Pipe(true, "pipe");              // 全双工: 两端都能收发
  auto [report_r, report_w] = forkscope::Pipe(false, "report");     // 单向: report_r 只收, report_w 只发
  forkscope::Process p1([=] { f1(conn1, conn2, report_w, close_copy); });
  p1.start();
  conn2.close();  // the main process uses neither the child's end nor the report's sending end
  report_w.close();

  forkscope::sleep(1);  // meanwhile the child waits in recv()
  for (std::int64_t i = 0; i < lesson.int_param("messages"); ++i)
    conn1.send(i == 0 ? std::string("小宝贝,你在哪") : fmt::format("第{}条消息", i + 1));
  forkscope::print("我是主进程");
  conn1.close();  // the child's recv() raises EOFError once no copy of conn1 is left open
  if (!p1.join(lesson.float_param("patience_seconds"))) {
    forkscope::print("子进程还在 recv() 里等: 它自己还拿着 conn1 的一份拷贝, EOF 永远不会来");
    p1.terminate();
    p1.join();
  }

  bool one_way_refused = false;
  try {
    report_r.send("report_r 只能收");
  } catch (const forkscope::OSError& e) {
    forkscope::print("OSError: {}", e.what());
    one_way_refused = true;
  }
  std::int64_t received = 0;
  bool eof_error = false;
  while (true) {  // the same pattern on the main's side: read until every copy of report_w is closed
    try {
      if (report_r.recv() == forkscope::Value("EOFError"))
        eof_error = true;
      else
        ++received;
    } catch (const forkscope::EOFError&) {
      break;
    }
  }
  lesson.result() = {{"received", received}, {"eof_error", eof_error}, {"one_way_refused", one_way_refused}};
}

void check(forkscope::RunReport& run) {
  const forkscope::TraceModel& model = *run.model;
  const auto messages = run.params["messages"].get<std::int64_t>();
  const bool close_copy = run.params["child_closes_copy"].get<bool>();
  const forkscope::ObjectInfo* pipe = model.object_named("pipe 1→2");
  const forkscope::ProcessInfo* child = forkscope::scenarios::process_named(model, "Process-1");
  run.expect("every_message_received", run.result["received"] == messages && pipe->gets == messages,
             {{"received", run.result["received"]}});
  std::int64_t in_order = 0;
  for (const forkscope::Flow& f : model.flows())
    in_order += f.object == pipe->id && f.complete() && f.put_ns <= f.get_ns && f.get_pid == child->pid;
  run.expect("recv_after_send", in_order == messages, {{"in_order", in_order}, {"messages", messages}});
  run.expect("one_way_refused", run.result["one_way_refused"] == true);

  // From the trace: when the child's EOFError came, and when the main closed conn1.
  std::optional<std::int64_t> eof_at, closed_at;
  for (const forkscope::TraceEvent& e : model.events()) {
    if (e.object != pipe->id) continue;
    if (e.kind == forkscope::EventKind::PipeRecv && e.phase == forkscope::Phase::Fail) eof_at = static_cast<std::int64_t>(e.time);
    if (e.kind == forkscope::EventKind::PipeClose && e.pid != child->pid) closed_at = static_cast<std::int64_t>(e.time);
  }
  if (close_copy) {
    run.expect("eof_after_close",
               run.result["eof_error"] == true && eof_at && closed_at && *eof_at >= *closed_at);
    run.expect("child_ended_itself", child->exitcode == 0);
  } else {
    run.expect("no_eof_with_own_copy", run.result["eof_error"] == false && !eof_at);
    run.expect("child_terminated_in_recv",
               child->exitcode == -15 && child->spans.size() >= 2 &&
                   child->spans[child->spans.size() - 2].state == forkscope::ProcState::BlockedPipe);
  }
}

}  // namespace

namespace forkscope::scenarios {

Lesson pipe() {
  return {.id = "pipe",
          .topic = "queues",
          .source = "scenarios/pipe.cpp",
          .params = {ParamSpec::integer("messages", 2, 1, 20), ParamSpec::boolean("child_closes_copy", true),
                     ParamSpec::real("patience_seconds", 5.0, 0.5, 30)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
