// scaling (集中式与分布式, 垂直扩展与水平扩展): the same CPU-bound job done by one process, then split across N
// processes (000_ec34fb1d3354b95f.txt), with the speed-up measured on this machine's cores.
// Teaches: centralized means one machine (here one process) does everything; it scales vertically only, by a faster
// CPU or faster code, and that has a ceiling. Distributed means the work is cut into shares done side by side;
// it scales horizontally, by adding workers (here processes on more cores). Horizontal scaling pays only while
// there are cores to run on: past the number of cores, more processes just take turns.
// Watch: "computing" at 1 during the first part, then at N; each worker's lane running at the same time; an arrow
// from each worker's result to the main process. The speed-up is close to min(N, cores) on an idle machine.
// CPU work is not scaled by the speed factor: the seconds here are real seconds.
#include <algorithm>

#include "cpu_work.hpp"
#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

void body(forkscope::LessonContext& lesson) {
  const int cores = forkscope::scenarios::available_cores();
  const std::int64_t processes = lesson.int_param("processes") > 0 ? lesson.int_param("processes") : cores;
  const std::int64_t work = lesson.int_param("work") * 1'000'000;
  forkscope::scenarios::CountedJob job(work);
  forkscope::mark("集中式 (centralized): one process does the whole job");
  const auto alone = job.run(1);
  forkscope::mark(fmt::format("分布式 (distributed): {} processes share it", processes));
  const auto shared = job.run(processes);

  const double speedup = alone.seconds / shared.seconds;
  forkscope::print("1 个进程: {:.3f} 秒", alone.seconds);
  forkscope::print("{} 个进程: {:.3f} 秒, 快了 {:.2f} 倍 (这台机器有 {} 个核)", processes, shared.seconds, speedup, cores);
  lesson.result() = {{"cores", cores},
                     {"processes", processes},
                     {"one_process_seconds", alone.seconds},
                     {"n_processes_seconds", shared.seconds},
                     {"speedup", speedup},
                     {"same_answer", alone.answer == shared.answer}};
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  const forkscope::TraceModel& model = *run.model;
  const auto processes = run.result["processes"].get<std::int64_t>();
  run.expect("same_answer", run.result["same_answer"] == true);

  // From the trace: 1 + N workers, each ended normally and sent one result to the main process.
  const forkscope::ProcessInfo* main = main_process(model);
  const auto workers = children_of(model, main->pid);
  const forkscope::ObjectInfo* results = model.object_named("results");
  std::int64_t delivered = 0;
  for (const forkscope::Flow& f : model.flows()) delivered += f.object == results->id && f.complete() && f.get_pid == main->pid;
  run.expect("workers_ended_normally",
             static_cast<std::int64_t>(workers.size()) == 1 + processes &&
                 std::all_of(workers.begin(), workers.end(), [](const forkscope::ProcessInfo* w) { return w->exitcode == 0; }),
             {{"workers", workers.size()}});
  run.expect("every_share_delivered", delivered == 1 + processes, {{"results", delivered}});
  run.result["most_computing_at_once"] = model.object_named("computing")->max_value();
}

}  // namespace

namespace forkscope::scenarios {

Lesson scaling() {
  return {.id = "scaling",
          .topic = "concepts",
          .source = "scenarios/scaling.cpp",
          .params = {ParamSpec::integer("processes", 0, 0, 32), ParamSpec::integer("work", 12, 1, 1000)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
