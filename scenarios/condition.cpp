// condition (条件变量, not in the tutorials): a chef puts dishes on a plate one by one; eaters wait on a Condition
// until the plate has food. Python's multiprocessing.Condition, the same API as threading.Condition.
// Teaches: a Condition is a lock plus a waiting room. wait() releases the lock while it waits, so the chef can take
// it and add a dish; notify() wakes one waiter, notify_all() every waiter; a woken waiter takes the lock back and
// checks the plate again (wait_for does that loop), because another eater may have been faster.
// Watch: eaters blocked on "cond" while the plate is empty, "cond lock" passing between the chef and the eaters,
// each notify waking one eater; with notify_all, every eater wakes and most of them find the plate empty again.
#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

#include "forkscope/forkscope.hpp"

namespace {

void eater(int i, forkscope::Condition cond, forkscope::Counter plate, forkscope::Counter eaten, std::int64_t rounds) {
  for (std::int64_t r = 0; r < rounds; ++r) {
    std::lock_guard with(cond);                        // with cond:
    cond.wait_for([&] { return plate.value() > 0; });  // releases the lock while it waits, holds it again after
    plate.add(-1);
    eaten.add(1);
    forkscope::print("吃货{}吃了一盘菜", i);
  }
}

void chef(forkscope::Condition cond, forkscope::Counter plate, std::int64_t dishes, double seconds, bool notify_all) {
  for (std::int64_t d = 1; d <= dishes; ++d) {
    forkscope::sleep(seconds);
    std::lock_guard with(cond);
    plate.add(1);
    forkscope::print("厨师: 第{}盘菜上桌", d);
    if (notify_all)
      cond.notify_all();  // every waiting eater wakes; all but one will find the plate empty
    else
      cond.notify();  // one waiting eater wakes
  }
}

void body(forkscope::LessonContext& lesson) {
  const auto eaters = lesson.int_param("eaters");
  const auto rounds = lesson.int_param("rounds");
  forkscope::Condition cond(std::nullopt, "cond");  // over a new RLock, "cond lock"
  forkscope::Counter plate("plate", 0);
  forkscope::Counter eaten("eaten", 0);
  std::vector<forkscope::Process> processes;
  for (int i = 1; i <= eaters; ++i) processes.emplace_back([=] { eater(i, cond, plate, eaten, rounds); }, forkscope::ProcessOptions{.name = fmt::format("eater-{}", i)});
  processes.emplace_back([=, seconds = lesson.float_param("cook_seconds"), all = lesson.bool_param("notify_all")] {
    chef(cond, plate, eaters * rounds, seconds, all);
  }, forkscope::ProcessOptions{.name = "chef"});
  for (auto& p : processes) p.start();
  for (auto& p : processes) p.join();
  lesson.result() = {{"cooked", eaters * rounds}, {"eaten", eaten.value()}, {"plate", plate.value()}};
}

void check(forkscope::RunReport& run) {
  const forkscope::TraceModel& model = *run.model;
  const forkscope::ObjectInfo* cond = model.object_named("cond");
  const forkscope::ObjectInfo* plate = model.object_named("plate");
  run.expect("every_dish_eaten_once",
             run.result["eaten"] == run.result["cooked"] && plate->min_value() >= 0 && plate->value() == 0,
             {{"eaten", run.result["eaten"]}, {"lowest", plate->min_value()}, {"end", plate->value()}});

  // Wake-ups: every one came from a notify. A wake-up is futile when the eater had to wait again before eating.
  std::int64_t woken_by_notifies = 0, wakeups = 0, max_woken = 0, futile = 0, timeouts = 0;
  std::map<std::int32_t, std::int64_t> wakeups_since_last_dish;
  for (const forkscope::TraceEvent& e : model.events()) {
    if (e.kind == forkscope::EventKind::ConditionNotify && e.object == cond->id) {
      woken_by_notifies += e.value;
      max_woken = std::max(max_woken, e.value);
    } else if (e.kind == forkscope::EventKind::ConditionWait && e.object == cond->id && e.phase != forkscope::Phase::Want) {
      ++(e.phase == forkscope::Phase::Done ? wakeups : timeouts);
      ++wakeups_since_last_dish[e.pid];
    } else if (e.kind == forkscope::EventKind::CounterSet && e.object == plate->id && wakeups_since_last_dish.contains(e.pid)) {
      futile += std::max<std::int64_t>(wakeups_since_last_dish[e.pid] - 1, 0);
      wakeups_since_last_dish[e.pid] = 0;
    }
  }
  run.result["wakeups"] = wakeups;
  run.result["futile_wakeups"] = futile;
  run.expect("woken_by_notify", wakeups == woken_by_notifies && timeouts == 0,
             {{"wakeups", wakeups}, {"by_notify", woken_by_notifies}});
  if (!run.params["notify_all"].get<bool>())
    run.expect("notify_wakes_one", max_woken <= 1, {{"most", max_woken}});
}

}  // namespace

namespace forkscope::scenarios {

Lesson condition() {
  return {.id = "condition",
          .topic = "sync",
          .source = "scenarios/condition.cpp",
          .params = {ParamSpec::integer("eaters", 3, 1, 8), ParamSpec::integer("rounds", 2, 1, 10),
                     ParamSpec::real("cook_seconds", 0.5, 0, 5), ParamSpec::boolean("notify_all", false)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
