// sync-async (同步和异步): two ways to hand out a task, told in 002_7108acfb1758bed7.txt as calling friends to dinner.
// Synchronous: hand out a task, then wait on the spot for its answer before doing anything else (call a friend
// and wait until they are ready). Asynchronous: hand it out and go straight on to the next line; collect the answer
// later (call everyone, leave first, meet at the table).
// Teaches: sync vs async is about how a task is submitted, not about the task: the same friends take the same time;
// submitted one by one and awaited, N tasks cost N times one; submitted all at once, about one.
// Watch: in the sync part one friend's lane at a time, the main process blocked on get from "sync answers" right
// after each start(); in the async part every friend starts at once and the main process goes on printing
// "我先走了" before any answer arrives.
#include <vector>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

constexpr const char* kFriends[] = {"egon", "alex", "tank", "jason", "kevin", "nezha", "yuan", "wusir"};

void get_ready(const std::string& name, double seconds, forkscope::Queue answers) {
  forkscope::sleep(seconds);  // 收拾一下
  answers.put(fmt::format("{}: 我好了", name));
}

void body(forkscope::LessonContext& lesson) {
  const auto friends = lesson.int_param("friends");
  const double seconds = lesson.float_param("ready_seconds");
  forkscope::Queue sync_answers(0, "sync answers");
  forkscope::Queue async_answers(0, "async answers");

  // 同步: 提交任务之后, 原地等待任务的返回结果, 期间不做任何事.
  forkscope::mark("同步 (sync): call one friend, wait for the answer, then the next");
  double start = forkscope::lesson_time();
  for (int i = 0; i < friends; ++i) {
    forkscope::Process p([=] { get_ready(kFriends[i], seconds, sync_answers); });
    p.start();
    forkscope::print("{}", sync_answers.get());  // waits right here
    p.join();
  }
  const double sync_seconds = forkscope::lesson_time() - start;

  // 异步: 提交任务之后, 不等待任务的返回结果, 直接执行下一行代码.
  forkscope::mark("异步 (async): call every friend, go on, collect the answers later");
  start = forkscope::lesson_time();
  std::vector<forkscope::Process> called;
  for (int i = 0; i < friends; ++i) {
    called.emplace_back([=] { get_ready(kFriends[i], seconds, async_answers); });
    called.back().start();
  }
  forkscope::print("叫完了, 我先走了");
  for (int i = 0; i < friends; ++i) forkscope::print("{}", async_answers.get());
  for (auto& p : called) p.join();
  const double async_seconds = forkscope::lesson_time() - start;

  forkscope::print("同步 {:.2f} 秒, 异步 {:.2f} 秒", sync_seconds, async_seconds);
  lesson.result() = {{"sync_seconds", sync_seconds}, {"async_seconds", async_seconds}};
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  const forkscope::TraceModel& model = *run.model;
  const auto friends = run.params["friends"].get<std::int64_t>();
  const double seconds = run.params["ready_seconds"].get<double>();
  const double sync_seconds = run.result["sync_seconds"].get<double>();
  const double async_seconds = run.result["async_seconds"].get<double>();
  run.expect("sync_took_n_times", sync_seconds >= 0.99 * static_cast<double>(friends) * seconds, {{"seconds", sync_seconds}});
  // Tasks much shorter than this are lost in the cost of starting processes: the async claims need real tasks.
  const bool tasks_take_time = seconds >= 0.5;
  if (friends > 1 && tasks_take_time)
    run.expect("async_faster", async_seconds < sync_seconds, {{"async", async_seconds}, {"sync", sync_seconds}});

  // Sync: never two friends alive at once. Async: every friend still getting ready when "我先走了" was printed.
  // Python's names tell the parts apart: Process-1..N were called synchronously, Process-N+1..2N asynchronously.
  const auto left_first = printed_at(model, "叫完了, 我先走了");
  std::vector<const forkscope::ProcessInfo*> sync_part, async_part;
  for (std::int64_t i = 1; i <= 2 * friends; ++i)
    if (const forkscope::ProcessInfo* p = process_named(model, fmt::format("Process-{}", i)))
      (i <= friends ? sync_part : async_part).push_back(p);
  bool one_at_a_time = sync_part.size() == static_cast<std::size_t>(friends);
  bool all_still_busy = left_first && async_part.size() == static_cast<std::size_t>(friends);
  for (std::size_t i = 1; i < sync_part.size(); ++i)
    one_at_a_time &= sync_part[i - 1]->end_ns && *sync_part[i - 1]->end_ns <= sync_part[i]->begin_ns;
  for (const forkscope::ProcessInfo* c : async_part) all_still_busy &= c->end_ns && *left_first < *c->end_ns;
  run.expect("sync_one_friend_at_a_time", one_at_a_time);
  // Every friend still busy when the main leaves needs tasks longer, in real time, than starting them all takes (a
  // fast speed factor on a loaded machine can make the first friend ready before the last one is called).
  if (tasks_take_time && seconds / run.speed >= 0.1)
    run.expect("async_main_went_on", all_still_busy);
}

}  // namespace

namespace forkscope::scenarios {

Lesson sync_async() {
  return {.id = "sync-async",
          .topic = "concepts",
          .source = "scenarios/sync_async.cpp",
          .params = {ParamSpec::integer("friends", 3, 1, 8), ParamSpec::real("ready_seconds", 1.0, 0, 10)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
