// gil (GIL, 001_2f08fe807ab70379.txt's subject): why Python reaches for processes. CPython threads share one Global
// Interpreter Lock: only the thread holding it runs Python code, so CPU-bound threads take turns and are no faster
// than one. Processes have an interpreter, and a GIL, each: they compute in parallel on separate cores.
// Teaches: C++ has no GIL, and these are processes anyway. Part one runs N processes freely: they use N cores at
// once. Part two mimics a GIL: the same processes compute in slices of about 5 ms (CPython's switch interval), each
// slice holding one shared Lock "GIL". The work is the same; only one process computes at a time, so it takes as
// long as one process alone.
// Watch: "computing (no GIL)" at N during part one; in part two "computing (GIL)" never above 1, the lanes blocked
// on "GIL" while one holds it. Compare the two times printed at the end. CPU work is not scaled by the speed factor:
// the seconds here are real seconds.
#include <algorithm>
#include <optional>

#include "cpu_work.hpp"
#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

constexpr std::int64_t kSliceUnits = 200'000;  // about 5 ms of crunch(): CPython's sys.getswitchinterval()

// One process's share: in one go without a GIL; with one, slice by slice, each slice holding the GIL as a CPython
// thread does between two switches.
std::uint64_t compute(std::int64_t begin, std::int64_t end, std::optional<forkscope::Lock> gil,
                      forkscope::Counter computing) {
  const std::int64_t slice = gil ? kSliceUnits : end - begin;
  std::uint64_t sum = 0;
  for (std::int64_t at = begin; at < end; at += slice) {
    if (gil) gil->acquire();
    computing.add(1);
    sum += forkscope::scenarios::crunch(at, std::min(end, at + slice));
    computing.add(-1);
    if (gil) gil->release();
  }
  return sum;
}

void body(forkscope::LessonContext& lesson) {
  using forkscope::scenarios::run_in_processes;
  const int cores = forkscope::scenarios::available_cores();
  const std::int64_t processes = lesson.int_param("processes") > 0 ? lesson.int_param("processes") : cores;
  const std::int64_t work = lesson.int_param("work") * 1'000'000;
  forkscope::Queue results(0, "results");
  forkscope::Counter free_computing("computing_without_gil", 0);
  forkscope::Counter gil_computing("computing_with_gil", 0);
  const forkscope::Lock gil("GIL");

  forkscope::mark("no GIL: every process computes whenever it has a core");
  const auto free = run_in_processes(work, processes, results, [=](std::int64_t begin, std::int64_t end) {
    return compute(begin, end, std::nullopt, free_computing);
  });
  forkscope::mark("a GIL: one process at a time, slice by slice");
  const auto locked = run_in_processes(work, processes, results, [=](std::int64_t begin, std::int64_t end) {
    return compute(begin, end, gil, gil_computing);
  });

  forkscope::print("{} 个进程, 没有 GIL: {:.3f} 秒", processes, free.seconds);
  forkscope::print("{} 个进程, 共用一把 GIL: {:.3f} 秒 (这台机器有 {} 个核)", processes, locked.seconds, cores);
  lesson.result() = {{"cores", cores},
                     {"processes", processes},
                     {"no_gil_seconds", free.seconds},
                     {"gil_seconds", locked.seconds},
                     {"gil_slowdown", locked.seconds / free.seconds},
                     {"same_answer", free.answer == locked.answer}};
}

void check(forkscope::RunReport& run) {
  const forkscope::TraceModel& model = *run.model;
  const forkscope::ObjectInfo* gil = model.object_named("GIL");
  const forkscope::ObjectInfo* gil_computing = model.object_named("computing_with_gil");
  const forkscope::ObjectInfo* free_computing = model.object_named("computing_without_gil");
  run.result["most_computing_without_gil"] = free_computing->max_value();
  run.expect("same_answer", run.result["same_answer"] == true);
  run.expect("gil_one_computes_at_a_time", gil_computing->max_value() == 1, {{"most", gil_computing->max_value()}});
  run.expect("gil_one_holder",
             forkscope::scenarios::held_by_one_at_a_time(gil) && gil->max_value() == 1);
}

}  // namespace

namespace forkscope::scenarios {

Lesson gil() {
  return {.id = "gil",
          .topic = "concepts",
          .source = "scenarios/gil.cpp",
          .params = {ParamSpec::integer("processes", 0, 0, 32), ParamSpec::integer("work", 12, 1, 1000)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
