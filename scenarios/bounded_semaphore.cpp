// bounded-semaphore (有界信号量, not in the tutorials): a car park with 3 spaces guarded by a semaphore. A buggy car
// leaves twice, giving back a space it never took; then the rush hour comes.
// Teaches: a Semaphore is only a counter: one release() too many raises it above its start, and from then on it lets
// one car too many in. A BoundedSemaphore refuses that release with ValueError, so the bug shows where it happened.
// Watch: the value of "spaces" after the buggy car (4 with a Semaphore; with a BoundedSemaphore, the error on the
// buggy car's lane and the value still 3); then, in the rush hour, "parked" above 3 only with the plain Semaphore.
#include <vector>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

void park(int i, forkscope::Semaphore spaces, forkscope::Counter parked) {
  spaces.acquire();
  parked.add(1);
  forkscope::print("车{}停进来了", i);
  forkscope::sleep(static_cast<double>(forkscope::random_int(1, 3)));
  parked.add(-1);
  spaces.release();
}

void buggy_car(forkscope::Semaphore spaces, forkscope::Counter parked) {
  park(0, spaces, parked);
  forkscope::print("车0又离开了一次");
  spaces.release();  // the bug: a second release for one acquire
}

void body(forkscope::LessonContext& lesson) {
  const auto n = lesson.int_param("spaces");
  forkscope::Semaphore spaces =
      lesson.bool_param("bounded") ? forkscope::BoundedSemaphore(n, "spaces") : forkscope::Semaphore(n, "spaces");
  forkscope::Counter parked("parked", 0);
  forkscope::Process buggy([=] { buggy_car(spaces, parked); });
  buggy.start();
  buggy.join();
  const std::int64_t after_bug = spaces.get_value();
  forkscope::print("停车场现在认为有 {} 个空位", after_bug);

  std::vector<forkscope::Process> cars;  // the rush hour
  for (int i = 1; i <= lesson.int_param("cars"); ++i) cars.emplace_back([=] { park(i, spaces, parked); });
  for (auto& c : cars) c.start();
  for (auto& c : cars) c.join();
  lesson.result() = {{"value_after_bug", after_bug}, {"buggy_exitcode", buggy.exitcode().value_or(0)},
                     {"final_value", spaces.get_value()}};
}

void check(forkscope::RunReport& run) {
  const forkscope::TraceModel& model = *run.model;
  const auto n = run.params["spaces"].get<std::int64_t>();
  const forkscope::ObjectInfo* parked = model.object_named("parked");
  const forkscope::ProcessInfo* buggy = forkscope::scenarios::process_named(model, "Process-1");
  run.result["max_parked"] = parked->max_value();
  const forkscope::ObjectInfo* spaces = model.object_named("spaces");
  std::int64_t entered = 0;
  for (const forkscope::TraceEvent& e : model.events())
    entered += e.kind == forkscope::EventKind::SemAcquire && e.phase == forkscope::Phase::Done && e.object == spaces->id &&
               e.pid != buggy->pid;
  run.expect("every_car_parked", entered == run.params["cars"].get<std::int64_t>(), {{"parked", entered}});
  if (run.params["bounded"].get<bool>()) {
    run.expect("extra_release_raised",
               buggy->exitcode == 1 && buggy->error.starts_with("ValueError"), {{"error", buggy->error}});
    run.expect("stayed_within_bound", run.result["value_after_bug"] == n && run.result["final_value"] == n);
    run.expect("never_more_cars_than_spaces", parked->max_value() <= n, {{"most", parked->max_value()}});
  } else {
    run.expect("plain_semaphore_took_extra_release", buggy->exitcode == 0);
    run.expect("one_space_too_many", run.result["value_after_bug"] == n + 1 && run.result["final_value"] == n + 1);
    run.expect_to_break("semaphore_within_bound", run.result["value_after_bug"] == n && run.result["final_value"] == n,
                        {{"value", run.result["final_value"]}, {"spaces", n}});
  }
}

// What the extra release did: refused (BoundedSemaphore), or counted as a space that does not exist.
std::optional<forkscope::LessonPoint> point(const forkscope::RunReport& run) {
  if (!run.result.contains("final_value")) return std::nullopt;
  return forkscope::LessonPoint{run.params["bounded"].get<bool>() ? "point.extra_release_caught" : "point.extra_release_counted",
                                {run.params["spaces"].dump(), run.result["final_value"].dump()}};
}

}  // namespace

namespace forkscope::scenarios {

Lesson bounded_semaphore() {
  return {.id = "bounded-semaphore",
          .topic = "sync",
          .source = "scenarios/bounded_semaphore.cpp",
          .params = {ParamSpec::integer("spaces", 3, 1, 10), ParamSpec::integer("cars", 8, 1, 32),
                     ParamSpec::boolean("bounded", true)},
          .body = body,
          .check = check,
          .point = point};
}

}  // namespace forkscope::scenarios
