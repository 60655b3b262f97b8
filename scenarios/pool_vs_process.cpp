// pool-vs-process (进程池与多进程的效率对比): the same 100 small tasks, first on Pool(4).map, then on 100 processes
// (003_d6fbf71d022d77d7.txt; the tutorial measured 0.40 s against 9.25 s).
// Teaches: making and ending a process costs far more than a small task; a pool pays for its four processes once and
// feeds them the tasks, so it is many times faster than one process per task.
// Watch: four ForkPoolWorker lanes sharing a hundred short task spans, then a hundred Process lanes, each alive for
// a moment; the main process blocked on "pool results", then in join after join.
#include <vector>

#include "forkscope/forkscope.hpp"

namespace {

std::int64_t add_up(std::int64_t n) {
  for (std::int64_t i = 0; i < 5; ++i) n = n + i;
  return n;
}
const forkscope::Task f1("f1", add_up);  // a module-level function: every pool's workers know it

void body(forkscope::LessonContext& lesson) {
  const auto tasks = lesson.int_param("tasks");
  std::vector<forkscope::Value> numbers;
  for (std::int64_t i = 0; i < tasks; ++i) numbers.emplace_back(i);

  // 统计进程池执行 100 个任务的时间
  const double s_time = forkscope::lesson_time();
  forkscope::Pool pool(4);
  pool.map(f1, numbers);  // 自带 join 的效果：所有任务做完才返回
  const double pool_seconds = forkscope::lesson_time() - s_time;
  pool.close();
  pool.join();

  // 统计 100 个进程执行 100 个任务的时间
  const double p_s_t = forkscope::lesson_time();
  std::vector<forkscope::Process> p_list;
  for (std::int64_t i = 0; i < tasks; ++i) p_list.emplace_back([i] { (void)add_up(i); });
  for (forkscope::Process& p : p_list) p.start();
  for (forkscope::Process& p : p_list) p.join();
  const double processes_seconds = forkscope::lesson_time() - p_s_t;

  forkscope::print("进程池的时间: {:.4f}", pool_seconds);
  forkscope::print("多进程的执行时间: {:.4f}", processes_seconds);
  lesson.result() = {{"pool_seconds", pool_seconds},
                     {"processes_seconds", processes_seconds},
                     {"ratio", processes_seconds / pool_seconds}};
}

void check(forkscope::RunReport& run) {
  const auto tasks = run.params["tasks"].get<std::size_t>();
  std::size_t workers = 0, pool_tasks = 0, processes = 0, processes_ok = 0;
  for (const forkscope::ProcessInfo& p : run.model->processes()) {
    if (p.name.starts_with("ForkPoolWorker-")) {
      ++workers;
      pool_tasks += p.tasks.size();
    } else if (p.name.starts_with("Process-")) {
      ++processes;
      processes_ok += p.exitcode == 0;
    }
  }
  run.expect("four_workers_ran_every_task", workers == 4 && pool_tasks == tasks, {{"workers", workers}, {"tasks", pool_tasks}});
  run.expect("one_process_per_task", processes == tasks && processes_ok == tasks, {{"processes", processes}, {"ok", processes_ok}});
  run.expect("pool_faster", run.result["ratio"].get<double>() > 1, {{"ratio", run.result["ratio"]}});
}

}  // namespace

namespace forkscope::scenarios {

Lesson pool_vs_process() {
  return {.id = "pool-vs-process",
          .topic = "pools",
          .source = "scenarios/pool_vs_process.cpp",
          .params = {ParamSpec::integer("tasks", 100, 1, 400)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
