// pool-sync-vs-async (进程池的同步与异步): Pool(4) runs ten 0.5 s tasks twice in one run, first with apply, then with
// apply_async + get (003_d6fbf71d022d77d7.txt, 001_2f08fe807ab70379.txt).
// Teaches: apply (同步) submits a task and waits for its result before submitting the next, so four workers run one
// task at a time: 10 x 0.5 s = 5 s. apply_async (异步) submits everything first and collects afterwards, so all four
// work at once: ceil(10 / 4) x 0.5 s = 1.5 s, the floor no pool of four can beat.
// Watch: in the first phase one task span at a time across the worker lanes, and the main process blocked on
// "pool results" after every submit; in the second, four spans side by side and "pool tasks" draining from 6.
#include <algorithm>
#include <cmath>
#include <vector>

#include "forkscope/forkscope.hpp"

namespace {

nlohmann::json phase(const char* name, double begin_s, double end_s) {
  return {{"name", name}, {"begin_s", begin_s}, {"end_s", end_s}, {"seconds", end_s - begin_s}};
}

void body(forkscope::LessonContext& lesson) {
  const auto processes = lesson.int_param("processes");
  const auto tasks = lesson.int_param("tasks");
  const double seconds = lesson.float_param("task_seconds");
  // f1 is defined before the pool, as in the tutorial: the workers are forked knowing it.
  const forkscope::Task f1("f1", [seconds](std::int64_t n) {
    forkscope::sleep(seconds);
    return n * n;
  });
  forkscope::Pool pool(processes);

  forkscope::mark("apply (sync)");
  const double sync_begin = forkscope::lesson_time();
  for (std::int64_t i = 0; i < tasks; ++i) {
    const forkscope::Value res = pool.apply(f1, {i});  // 同步：提交后原地等结果，拿到了才提交下一个
    forkscope::print("{}", res);
  }
  const double sync_end = forkscope::lesson_time();

  forkscope::mark("apply_async (async)");
  const double async_begin = forkscope::lesson_time();
  std::vector<forkscope::ApplyResult> res_list;
  for (std::int64_t i = 0; i < tasks; ++i) res_list.push_back(pool.apply_async(f1, {i}));  // 异步：先全部提交
  for (forkscope::ApplyResult& res : res_list) forkscope::print("{}", res.get());          // 再逐个 get 结果
  const double async_end = forkscope::lesson_time();
  pool.close();
  pool.join();

  const double sync_seconds = sync_end - sync_begin;
  const double async_seconds = async_end - async_begin;
  lesson.result() = {
      {"sync_seconds", sync_seconds},
      {"async_seconds", async_seconds},
      {"speedup", sync_seconds / async_seconds},
      {"floor_seconds", std::ceil(static_cast<double>(tasks) / static_cast<double>(processes)) * seconds},
      {"phases", {phase("apply (sync)", sync_begin, sync_end), phase("apply_async (async)", async_begin, async_end)}}};
}

// The most task spans that were open at one moment, among `spans`.
std::size_t most_at_once(const std::vector<forkscope::TaskSpan>& spans) {
  std::vector<std::pair<std::int64_t, int>> edges;
  for (const forkscope::TaskSpan& s : spans) {
    edges.emplace_back(s.begin_ns, 1);
    edges.emplace_back(s.end_ns, -1);
  }
  std::sort(edges.begin(), edges.end());  // at equal times an end (-1) sorts before a begin
  int open = 0, most = 0;
  for (const auto& [t, step] : edges) {
    open += step;
    most = std::max(most, open);
  }
  return static_cast<std::size_t>(most);
}

void check(forkscope::RunReport& run) {
  const auto processes = run.params["processes"].get<std::int64_t>();
  const auto tasks = run.params["tasks"].get<std::size_t>();
  const double seconds = run.params["task_seconds"].get<double>();
  const double sync = run.result["sync_seconds"].get<double>();
  const double async = run.result["async_seconds"].get<double>();
  const double floor = run.result["floor_seconds"].get<double>();

  // The worker's spans in time order: the first `tasks` ran under apply, the others under apply_async.
  std::vector<forkscope::TaskSpan> spans;
  for (const forkscope::ProcessInfo& p : run.model->processes())
    if (p.name.starts_with("ForkPoolWorker-")) spans.insert(spans.end(), p.tasks.begin(), p.tasks.end());
  std::sort(spans.begin(), spans.end(), [](const auto& a, const auto& b) { return a.begin_ns < b.begin_ns; });
  run.expect("every_task_ran_twice", spans.size() == 2 * tasks, {{"spans", spans.size()}});
  if (spans.size() == 2 * tasks) {
    const std::vector<forkscope::TaskSpan> sync_spans(spans.begin(), spans.begin() + static_cast<std::ptrdiff_t>(tasks));
    const std::vector<forkscope::TaskSpan> async_spans(spans.begin() + static_cast<std::ptrdiff_t>(tasks), spans.end());
    run.result["sync_most_at_once"] = most_at_once(sync_spans);
    run.result["async_most_at_once"] = most_at_once(async_spans);
    run.expect("apply_one_at_a_time", most_at_once(sync_spans) == 1);
    run.expect("apply_async_within_processes",
               most_at_once(async_spans) <= static_cast<std::size_t>(processes),
               {{"most", most_at_once(async_spans)}});
  }
  run.expect("apply_took_all_tasks", sync >= 0.99 * static_cast<double>(tasks) * seconds, {{"seconds", sync}});
  run.expect("apply_async_took_floor", async >= 0.99 * floor, {{"seconds", async}});
  if (processes > 1 && tasks > 1 && seconds > 0)
    run.expect("apply_async_faster", async < sync, {{"async", async}, {"sync", sync}});
}

}  // namespace

namespace forkscope::scenarios {

Lesson pool_sync_vs_async() {
  return {.id = "pool-sync-vs-async",
          .topic = "pools",
          .source = "scenarios/pool_sync_vs_async.cpp",
          .params = {ParamSpec::integer("processes", 4, 1, 64), ParamSpec::integer("tasks", 10, 1, 100),
                     ParamSpec::real("task_seconds", 0.5, 0, 10)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
