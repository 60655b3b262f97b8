// semaphore-guests (信号量): Semaphore(4) lets four guests in at once; ten arrive (003_d6fbf71d022d77d7.txt).
// Teaches: a semaphore is a lock with a count: acquire takes one seat (waiting at 0), release gives it back.
// Watch: the semaphore's value fall to 0, later guests blocked on it, and each release letting one more in;
// "inside" never goes above the number of seats.
#include <vector>

#include "forkscope/forkscope.hpp"

namespace {

void guest(int i, forkscope::Semaphore s, forkscope::Counter inside, forkscope::Counter entered) {
  s.acquire();
  inside.add(1);
  entered.add(1);
  forkscope::print("{}男嘉宾到了", i);
  forkscope::sleep(static_cast<double>(forkscope::random_int(1, 3)));
  inside.add(-1);
  s.release();
}

void body(forkscope::LessonContext& lesson) {
  forkscope::Semaphore s(lesson.int_param("seats"), "s");
  forkscope::Counter inside("inside", 0);
  forkscope::Counter entered("entered", 0);
  std::vector<forkscope::Process> guests;
  for (int i = 0; i < lesson.int_param("guests"); ++i) {
    guests.emplace_back([=] { guest(i, s, inside, entered); });
    guests.back().start();
  }
  for (auto& g : guests) g.join();
  lesson.result()["entered"] = entered.value();
}

void check(forkscope::RunReport& run) {
  const forkscope::ObjectInfo* inside = run.model->object_named("inside");
  const forkscope::ObjectInfo* s = run.model->object_named("s");
  const auto seats = run.params["seats"].get<std::int64_t>();
  const auto guests = run.params["guests"].get<std::int64_t>();
  run.result["max_inside"] = inside->max_value();
  run.expect("every_guest_got_in", run.result["entered"] == guests, {{"entered", run.result["entered"]}});
  run.expect("never_more_than_seats", inside->max_value() <= seats, {{"most", inside->max_value()}});
  run.expect("semaphore_never_below_0", s->min_value() >= 0, {{"lowest", s->min_value()}});
}

}  // namespace

namespace forkscope::scenarios {

Lesson semaphore_guests() {
  return {.id = "semaphore-guests",
          .topic = "sync",
          .source = "scenarios/semaphore_guests.cpp",
          .params = {ParamSpec::integer("seats", 4, 1, 32), ParamSpec::integer("guests", 10, 1, 128)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
