// pool-callback (进程池的回调函数): each task prints the PID of the worker running it, each callback the PID it runs in
// (003_d6fbf71d022d77d7.txt, 004_1109b9fac48ba366.txt).
// Teaches: apply_async(f1, args, callback=...) hands the task's result to the callback, and the callback runs in the
// main process, not in the worker: the worker only computes, the main process handles the results as they arrive.
// An error_callback gets the task's exception instead (with error=true the last task raises).
// Watch: the task spans on the worker lanes, then a "callback" span on the main process's lane for each result;
// the PIDs the callbacks print are all the main process's.
#include <set>
#include <vector>

#include "forkscope/forkscope.hpp"

namespace {

const forkscope::Task f1("f1", [](std::int64_t n) {
  forkscope::print("进程池里面的进程id {}", forkscope::current_pid());
  forkscope::print(">>>> {}", n);
  if (n < 0) throw forkscope::ValueError(fmt::format("f1 got a negative number: {}", n));
  return n * n;
});

void body(forkscope::LessonContext& lesson) {
  const auto tasks = lesson.int_param("tasks");
  std::vector<pid_t> callback_pids;  // the callbacks run here, in the main process, so they can fill this in
  const forkscope::Callback<forkscope::Value> call_back_func{"call_back_func", [&](const forkscope::Value& asdf) {
                                                               forkscope::print(">>>>>>>>>>>>> {}", forkscope::current_pid());
                                                               forkscope::print("回调函数中的结果: {}", asdf);
                                                               callback_pids.push_back(forkscope::current_pid());
                                                             }};
  const forkscope::Callback<forkscope::LessonError> error_func{"error_func", [&](const forkscope::LessonError& e) {
                                                                forkscope::print("error_callback in {}: {}", forkscope::current_pid(), e.what());
                                                                callback_pids.push_back(forkscope::current_pid());
                                                              }};

  forkscope::Pool pool(4);
  for (std::int64_t i = 0; i < tasks; ++i) {
    const bool fails = lesson.bool_param("error") && i == tasks - 1;
    pool.apply_async(f1, {fails ? -1 : 5 + i}, {.callback = call_back_func, .error_callback = error_func});
  }
  pool.close();
  pool.join();  // the results arrive, and the callbacks run, while the main process waits here
  lesson.result() = {{"main_pid", forkscope::current_pid()}, {"callback_pids", callback_pids}};
}

void check(forkscope::RunReport& run) {
  const auto main_pid = run.result["main_pid"].get<std::int32_t>();
  std::set<std::int32_t> worker_pids;
  std::size_t callbacks_on_main = 0;
  for (const forkscope::ProcessInfo& p : run.model->processes()) {
    if (p.name.starts_with("ForkPoolWorker-") && !p.tasks.empty()) worker_pids.insert(p.pid);
    if (p.pid == main_pid)
      for (const forkscope::TaskSpan& t : p.tasks) callbacks_on_main += t.label.starts_with("callback ");
  }
  run.result["worker_pids"] = worker_pids;
  const auto callback_pids = run.result["callback_pids"].get<std::vector<std::int32_t>>();
  const auto tasks = run.params["tasks"].get<std::size_t>();
  run.expect("every_result_got_callback", callback_pids.size() == tasks && callbacks_on_main == tasks,
             {{"callbacks", callback_pids.size()}, {"on_main", callbacks_on_main}});
  run.expect("callbacks_in_main",
             std::all_of(callback_pids.begin(), callback_pids.end(), [&](std::int32_t pid) { return pid == main_pid; }));
  run.expect("tasks_in_workers", !worker_pids.empty() && !worker_pids.count(main_pid));
}

}  // namespace

namespace forkscope::scenarios {

Lesson pool_callback() {
  return {.id = "pool-callback",
          .topic = "pools",
          .source = "scenarios/pool_callback.cpp",
          .params = {ParamSpec::integer("tasks", 4, 1, 32), ParamSpec::boolean("error", false)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
