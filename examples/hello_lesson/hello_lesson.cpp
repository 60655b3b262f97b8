// hello-counter: workers add to one shared Value, with or without a Lock around the read-modify-write. Without
// it, two workers read the same count and one of the two additions is lost.
#include <forkscope/forkscope.hpp>
#include <forkscope/lesson_file.hpp>

#include <vector>

namespace {

void body(forkscope::LessonContext& lesson) {
  const auto workers = lesson.int_param("workers");
  const auto rounds = lesson.int_param("rounds");
  std::optional<forkscope::Lock> lock;
  if (lesson.bool_param("lock")) lock.emplace("lock");
  forkscope::Counter count("count", 0);

  std::vector<forkscope::Process> processes;
  for (int w = 0; w < workers; ++w) {
    processes.emplace_back([=]() mutable {
      for (int r = 0; r < rounds; ++r) {
        if (lock) lock->acquire();
        forkscope::mark("read count");
        const auto seen = count.value();
        forkscope::sleep(0.01);  // between the read and the write: where another worker gets in without the lock
        forkscope::mark("write count");
        count.set(seen + 1);
        if (lock) lock->release();
      }
    });
    processes.back().start();
  }
  for (auto& p : processes) p.join();
  forkscope::print("count = {}", count.value());
  lesson.result() = {{"count", count.value()}, {"expected", workers * rounds}};
}

void check(forkscope::RunReport& run) {
  const auto count = run.result["count"].get<std::int64_t>();
  const auto expected = run.result["expected"].get<std::int64_t>();
  // Invariants are keys: their sentences, per language, are in hello-counter.<lang>.json next to this file.
  run.expect("count_at_most_additions", count <= expected, {{"count", count}});
  if (run.params["lock"].get<bool>())
    run.expect("lock_loses_nothing", count == expected, {{"count", count}, {"expected", expected}});
  else  // without the lock, losing additions is what the lesson shows
    run.expect_to_break("no_lock_loses_nothing", count == expected, {{"count", count}, {"expected", expected}});
}

forkscope::Lesson hello_counter() {
  return {.id = "hello-counter",
          .topic = "yours",
          .source = __FILE__,  // shown in the Code view
          .params = {forkscope::ParamSpec::integer("workers", 3, 1, 16), forkscope::ParamSpec::integer("rounds", 5, 1, 100),
                     forkscope::ParamSpec::boolean("lock", true)},
          .body = body,
          .check = check,
          .outcome = {"count"}};
}

}  // namespace

FORKSCOPE_LESSON(hello_counter)
