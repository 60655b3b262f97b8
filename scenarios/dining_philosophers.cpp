// dining-philosophers (哲学家就餐, Dijkstra's classic, not in the tutorials): philosophers sit round a table with one
// fork between each two neighbours. To eat, a philosopher picks up the fork on the left, reaches for the one on the
// right, eats, and puts both down.
// Teaches: a deadlock. When every philosopher holds the left fork, each waits for the right one, which the neighbour
// holds and will not put down: a cycle of waits that nothing breaks. Python would hang for ever; Forkscope sees the
// cycle, names it and ends the run. Taking the lower-numbered fork first (ordered=true) breaks the cycle: the last
// philosopher reaches for fork 0 first, so someone always gets both forks.
// Watch: every lane blocked on "fork i+1" while it holds "fork i", and the cycle on the status line; with ordered=true,
// at most half the table eating at once and every meal eaten. `forkscope-cli explore` finds the deadlocking order.
#include <algorithm>
#include <string>
#include <vector>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

constexpr double kReachSeconds = 0.3;  // from the first fork to the second: long enough for the neighbours to start
constexpr double kEatSeconds = 0.3;

void philosopher(int i, forkscope::Lock first, forkscope::Lock second, forkscope::Event served, forkscope::Counter eaten,
                 std::int64_t meals) {
  served.wait();  // everyone is hungry when dinner is served
  for (std::int64_t meal = 1; meal <= meals; ++meal) {
    first.acquire();
    forkscope::print("哲学家{}拿起了第一把叉子", i);
    forkscope::sleep(kReachSeconds);  // reaching for the other fork
    second.acquire();
    forkscope::print("哲学家{}拿到两把叉子, 吃第{}顿", i, meal);
    eaten.add(1);
    forkscope::sleep(kEatSeconds);
    second.release();
    first.release();
    forkscope::sleep(0.1 * static_cast<double>(forkscope::random_int(1, 3)));  // thinking
  }
}

void body(forkscope::LessonContext& lesson) {
  const int n = static_cast<int>(lesson.int_param("philosophers"));
  const std::int64_t meals = lesson.int_param("meals");
  const bool ordered = lesson.bool_param("ordered");
  std::vector<forkscope::Lock> forks;
  for (int f = 0; f < n; ++f) forks.emplace_back(fmt::format("fork {}", f));
  forkscope::Event served("dinner served");
  forkscope::Counter eaten("meals_eaten", 0);

  std::vector<forkscope::Process> table;
  for (int i = 0; i < n; ++i) {
    const int left = i, right = (i + 1) % n;  // philosopher i sits between fork i and fork i+1
    const int first = ordered ? std::min(left, right) : left;
    const int second = ordered ? std::max(left, right) : right;
    table.emplace_back([=] { philosopher(i + 1, forks[first], forks[second], served, eaten, meals); },
                       forkscope::ProcessOptions{.name = fmt::format("philosopher-{}", i + 1)});
    table.back().start();
  }
  served.set();
  for (auto& p : table) p.join();
  lesson.result() = {{"meals", eaten.value()}, {"meals_expected", n * meals}};  // a deadlocked run never gets here: see RunReport::deadlock
}

void check(forkscope::RunReport& run) {
  const forkscope::TraceModel& model = *run.model;
  const auto n = run.params["philosophers"].get<std::int64_t>();
  run.expect("every_meal_eaten", run.result["meals"] == run.result["meals_expected"],
             {{"meals", run.result["meals"]}, {"expected", run.result["meals_expected"]}});
  // From the trace: a fork is in one hand at a time.
  bool exclusive = true;
  for (std::int64_t f = 0; f < n; ++f)
    exclusive &= forkscope::scenarios::held_by_one_at_a_time(model.object_named(fmt::format("fork {}", f)));
  run.expect("fork_one_holder", exclusive);
  if (run.params["ordered"].get<bool>()) {
    // The last philosopher sits between fork n-1 and fork 0, and reaches for fork 0 first.
    const forkscope::ObjectInfo* fork0 = model.object_named("fork 0");
    const forkscope::ProcessInfo* last = forkscope::scenarios::process_named(model, fmt::format("philosopher-{}", n));
    bool zero_first = last != nullptr && fork0 != nullptr;
    if (zero_first)
      for (const forkscope::TraceEvent& e : forkscope::scenarios::events_of(model, last->pid))
        if (e.kind == forkscope::EventKind::LockAcquire && e.phase == forkscope::Phase::Done) {
          zero_first = e.object == fork0->id;
          break;
        }
    run.expect("ordered_last_takes_fork_0_first", zero_first);
  }
}

// The deadlock, when it happened: every philosopher holds one fork and waits for the next one's.
std::optional<forkscope::LessonPoint> point(const forkscope::RunReport& run) {
  if (!run.deadlock) return std::nullopt;
  return forkscope::LessonPoint{"point.deadlock", {std::to_string(run.deadlock->cycle.size())}};
}

}  // namespace

namespace forkscope::scenarios {

Lesson dining_philosophers() {
  return {.id = "dining-philosophers",
          .topic = "sync",
          .source = "scenarios/dining_philosophers.cpp",
          .params = {ParamSpec::integer("philosophers", 5, 2, 16), ParamSpec::integer("meals", 2, 1, 20),
                     ParamSpec::boolean("ordered", false)},
          .body = body,
          .check = check,
          .outcome = {"meals"},
          .deadlocks_by_default = true,
          .point = point};
}

}  // namespace forkscope::scenarios
