// manager-dict (Manager 共享数据): a Manager's server process holds d = {"count": 100}; 100 processes each run
// d["count"] -= 1, with or without a Lock around it (000_ec34fb1d3354b95f.txt).
// Teaches: processes share no memory, but a Manager lets them share data through a server process: every proxy call
// is a request to it. `d["count"] -= 1` is two requests, a get and then a set, and another process's get can be
// served in between: without the Lock, updates are lost; with it, the count ends at 0.
// Watch: the SyncManager-1 lane serving one request at a time and blocked in between; each worker waiting for the
// manager twice; without the lock, several workers reading the same count before any of them writes it back.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

void work(forkscope::DictProxy d, std::optional<forkscope::Lock> lock) {
  if (lock) lock->acquire();  // with lock:
  d["count"] -= 1;            // a get, then a set: two requests to the server
  if (lock) lock->release();
}

void body(forkscope::LessonContext& lesson) {
  const auto processes = lesson.int_param("processes");
  forkscope::Manager n;                                          // 实例化产生一个 manager 对象: its server starts
  forkscope::DictProxy d = n.dict({{"count", processes}}, "d");  // the dict lives in the server process
  std::optional<forkscope::Lock> lock;
  if (lesson.bool_param("lock")) lock.emplace("lock");
  std::vector<forkscope::Process> p_l;
  for (int i = 0; i < processes; ++i) {  // 开启的进程数
    p_l.emplace_back([=] { work(d, lock); });
    p_l.back().start();
  }
  for (auto& p : p_l) p.join();  // 父进程必须等到子进程执行完成后才能执行下一步
  forkscope::print("{}", d.str());  // print(d)
  lesson.result() = {{"count", forkscope::Value(d["count"]).as_int()}};
}  // the Manager goes away here: its server serves "shutdown()" and exits

// One request the server served for d["count"]: who asked, and for a set, the value it stored.
struct Served {
  std::int32_t caller = 0;
  std::optional<std::int64_t> stored;
};

void check(forkscope::RunReport& run) {
  const forkscope::TraceModel& model = *run.model;
  const auto processes = run.params["processes"].get<std::int64_t>();
  const auto count = run.result["count"].get<std::int64_t>();
  const forkscope::ProcessInfo* server = forkscope::scenarios::process_named(model, "SyncManager-1");
  run.expect("server_is_a_process",
             server != nullptr && server->exitcode == 0);
  if (server == nullptr) return;

  // The server's log, in the order it served (its own events are in time order).
  const std::string get = "d['count']", set = "d['count'] = ";
  std::vector<Served> log;
  for (const forkscope::TraceEvent& e : forkscope::scenarios::events_of(model, server->pid)) {
    if (e.kind != forkscope::EventKind::ManagerServe || e.phase != forkscope::Phase::Done) continue;
    const std::string_view label = model.text(forkscope::arg_string(e.arg));
    const auto caller = static_cast<std::int32_t>(e.value);
    if (label == get) log.push_back({caller, std::nullopt});
    if (label.starts_with(set)) log.push_back({caller, std::stoll(std::string(label.substr(set.size())))});
  }
  const auto sets = std::count_if(log.begin(), log.end(), [](const Served& s) { return s.stored.has_value(); });
  run.expect("every_decrement_reached_server",
             sets == processes && std::ssize(log) == 2 * processes + 1,
             {{"sets", sets}, {"requests", log.size()}});
  run.expect("main_read_last_stored",
             sets > 0 && std::find_if(log.rbegin(), log.rend(), [](const Served& s) { return s.stored.has_value(); })->stored == count);

  // A worker's read-modify-write was interleaved when the server served something else between its get and its set.
  // (The main process's read at the end has no set: it is not counted.)
  std::int64_t interleaved = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    if (log[i].stored || log[i].caller == server->ppid) continue;
    const bool alone = i + 1 < log.size() && log[i + 1].caller == log[i].caller && log[i + 1].stored;
    interleaved += alone ? 0 : 1;
  }
  run.result["interleaved"] = interleaved;
  run.result["lost_updates"] = count;
  if (run.params["lock"].get<bool>()) {
    run.expect("lock_count_ends_at_0", count == 0, {{"count", count}});
    run.expect("lock_get_then_set", interleaved == 0, {{"interleaved", interleaved}});
  } else {
    run.expect("no_lock_some_decrement", count >= 0 && count < processes, {{"count", count}});
    run.expect("lost_updates_are_interleaved", count == 0 || interleaved > 0, {{"count", count}, {"interleaved", interleaved}});
    run.expect_to_break("no_lock_count_ends_at_zero", count == 0, {{"count", count}});
  }
}

// The race, when it happened: decrements that a worker's stale read overwrote.
std::optional<forkscope::LessonPoint> point(const forkscope::RunReport& run) {
  const auto lost = run.result.value("count", std::int64_t{0});
  if (lost <= 0) return std::nullopt;
  return forkscope::LessonPoint{"point.lost_updates", {std::to_string(lost), run.params["processes"].dump()}};
}

}  // namespace

namespace forkscope::scenarios {

Lesson manager_dict() {
  return {.id = "manager-dict",
          .topic = "sync",
          .source = "scenarios/manager_dict.cpp",
          .params = {ParamSpec::integer("processes", 100, 1, 200), ParamSpec::boolean("lock", true)},
          .body = body,
          .check = check,
          .outcome = {"count"},
          .point = point};
}

}  // namespace forkscope::scenarios
