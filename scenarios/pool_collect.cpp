// pool-collect (无需回调函数): submit every task with apply_async, close and join the pool, then collect all the
// results with get (001_2f08fe807ab70379.txt).
// Teaches: when the main process handles the results all together at the end, it needs no callback: after join()
// every result is ready, and get() returns at once, in the order the tasks were submitted. Pool() without a number
// has one worker per CPU (os.cpu_count()).
// Watch: the worker lanes busy with work(i) spans while the main process is blocked in join; then the prints of
// the collected results, with no waiting left.
#include <vector>

#include "forkscope/forkscope.hpp"

namespace {

void body(forkscope::LessonContext& lesson) {
  const auto tasks = lesson.int_param("tasks");
  const double seconds = lesson.float_param("task_seconds");
  const forkscope::Task work("work", [seconds](std::int64_t n) {
    forkscope::sleep(seconds);
    return n * n;
  });

  forkscope::Pool p;  // one worker per CPU
  std::vector<forkscope::ApplyResult> res_l;
  for (std::int64_t i = 0; i < tasks; ++i) res_l.push_back(p.apply_async(work, {i}));
  p.close();
  p.join();  // 等待进程池中所有任务执行完毕

  bool all_ready = true;
  for (forkscope::ApplyResult& res : res_l) all_ready = all_ready && res.ready();
  std::vector<std::int64_t> nums;
  for (forkscope::ApplyResult& res : res_l) nums.push_back(res.get().as_int());  // 拿到所有结果
  forkscope::print("{}", nlohmann::json(nums).dump());
  lesson.result() = {{"processes", p.processes()}, {"nums", nums}, {"ready_after_join", all_ready}};
}

void check(forkscope::RunReport& run) {
  const auto tasks = run.params["tasks"].get<std::int64_t>();
  std::vector<std::int64_t> squares;
  for (std::int64_t i = 0; i < tasks; ++i) squares.push_back(i * i);
  run.expect("ready_after_join", run.result["ready_after_join"] == true);
  run.expect("results_in_submit_order", run.result["nums"] == nlohmann::json(squares), {{"nums", run.result["nums"]}});
}

}  // namespace

namespace forkscope::scenarios {

Lesson pool_collect() {
  return {.id = "pool-collect",
          .topic = "pools",
          .source = "scenarios/pool_collect.cpp",
          .params = {ParamSpec::integer("tasks", 10, 1, 200), ParamSpec::real("task_seconds", 1.0, 0, 10)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
