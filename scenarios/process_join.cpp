// process-join (join方法): three children sleep 0, 1 and 2 s; the main process joins them all and prints how long
// that took (002_7108acfb1758bed7.txt): about 2 s, not 0 + 1 + 2 = 3, because the children sleep at the same time.
// Then join(timeout): the main process waits at most that long, and the child is still alive afterwards.
// Teaches: join() makes the main process wait for a child to end; joining several children costs the longest of
// them, not their sum. join(timeout) gives up after the timeout, without stopping the child.
// Watch: the three sleeping spans start together; the main process is blocked in join() until the slowest child
// ends; in the second part, the join times out (blocked for exactly the timeout) while "慢进程" sleeps on.
#include <algorithm>
#include <set>
#include <vector>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

void task(const std::string& name, double n) {
  forkscope::print("{} is running", name);
  forkscope::sleep(n);
}

void body(forkscope::LessonContext& lesson) {
  const auto children = lesson.int_param("children");
  const double start_time = forkscope::lesson_time();
  std::vector<forkscope::Process> p_list;
  for (int i = 0; i < children; ++i) {
    p_list.emplace_back([=] { task(fmt::format("子进程{}", i), i); });  // args=('子进程%s' % i, i)
    p_list.back().start();
  }
  for (auto& p : p_list) p.join();
  const double total = forkscope::lesson_time() - start_time;
  forkscope::print("主进程 {}", total);

  // join(timeout): wait at most `timeout` seconds; the child keeps running. Python's join returns None either way:
  // is_alive() tells which happened.
  const double timeout = lesson.float_param("join_timeout");
  const double slow_seconds = lesson.float_param("slow_seconds");
  forkscope::Process slow([=] { task("慢进程", slow_seconds); });
  slow.start();
  const double before = forkscope::lesson_time();
  slow.join(timeout);
  const double waited = forkscope::lesson_time() - before;
  const bool alive = slow.is_alive();
  forkscope::print("join(timeout={}) 等了 {:.2f} 秒, is_alive() = {}", timeout, waited, forkscope::scenarios::py(alive));
  slow.join();
  lesson.result() = {{"total_seconds", total}, {"timed_join_seconds", waited}, {"alive_after_timed_join", alive}};
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  const auto children = run.params["children"].get<std::int64_t>();
  const auto longest = static_cast<double>(children - 1), sum = static_cast<double>(children * (children - 1) / 2);
  const double total = run.result["total_seconds"].get<double>();
  run.expect("join_waited_for_slowest", total >= longest, {{"total", total}, {"longest", longest}});
  // From the trace: the children slept at the same time (their sleeps overlap, however slow a machine or a
  // sanitizer makes starting them); the main process joined every child, and was blocked in join() (not running)
  // while the slowest child slept.
  const forkscope::TraceModel& model = *run.model;
  const forkscope::ProcessInfo* main = main_process(model);
  if (sum > longest) {
    std::int64_t last_begin = 0, first_end = forkscope::kOpenEnd;
    for (std::int64_t i = 1; i < children; ++i)  // child i sleeps i seconds and is Process-(i+1)
      if (const forkscope::ProcessInfo* child = process_named(model, fmt::format("Process-{}", i + 1)))
        for (const forkscope::StateSpan& span : child->spans)
          if (span.state == forkscope::ProcState::Sleeping) {
            last_begin = std::max(last_begin, span.begin_ns);
            first_end = std::min(first_end, span.end_ns);
          }
    run.expect("children_slept_together", last_begin < first_end, {{"total", total}, {"sum", sum}});
  }
  std::set<std::int32_t> joined;
  std::int64_t timed_out = 0;
  for (const forkscope::TraceEvent& e : events_of(model, main->pid)) {
    if (e.kind != forkscope::EventKind::ProcessJoin) continue;
    if (e.phase == forkscope::Phase::Done) joined.insert(static_cast<std::int32_t>(e.arg));
    timed_out += e.phase == forkscope::Phase::Fail;
  }
  const auto kids = children_of(model, main->pid);
  run.expect("main_joined_every_child",
             std::all_of(kids.begin(), kids.end(), [&](const forkscope::ProcessInfo* c) { return joined.contains(c->pid); }));
  if (longest > 0) {
    // Python's names count from 1: child i (sleeping i seconds) is Process-(i+1).
    const forkscope::ProcessInfo* slowest = process_named(model, fmt::format("Process-{}", children));
    std::optional<forkscope::StateSpan> sleep;
    if (slowest)
      for (const forkscope::StateSpan& span : slowest->spans)
        if (span.state == forkscope::ProcState::Sleeping) sleep = span;
    const auto waiting = sleep ? main->span_at((sleep->begin_ns + sleep->end_ns) / 2) : std::nullopt;
    run.expect("main_blocked_in_join",
               waiting && waiting->state == forkscope::ProcState::BlockedJoin);
  }

  const double timeout = run.params["join_timeout"].get<double>();
  if (run.params["slow_seconds"].get<double>() >= timeout + 1) {
    run.expect("timed_join_gave_up",
               timed_out == 1 && run.result["alive_after_timed_join"] == true &&
                   run.result["timed_join_seconds"].get<double>() >= timeout,
               {{"seconds", run.result["timed_join_seconds"]}});
  }
}

}  // namespace

namespace forkscope::scenarios {

Lesson process_join() {
  return {.id = "process-join",
          .topic = "processes",
          .source = "scenarios/process_join.cpp",
          .params = {ParamSpec::integer("children", 3, 1, 10), ParamSpec::real("join_timeout", 1.0, 0.1, 10),
                     ParamSpec::real("slow_seconds", 3.0, 0.1, 30)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
