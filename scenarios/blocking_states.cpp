// blocking-states (阻塞与非阻塞): the three states of a process in 002_7108acfb1758bed7.txt. Running: on a CPU.
// Ready: able to run, waiting for a CPU another process holds. Blocked: waiting for I/O (or a lock, a queue, ...),
// not wanting a CPU at all. Non-blocking means running or ready.
// Teaches: more processes than cores cannot all run: while N > cores want to compute, cores of them run and the
// others are ready, taking turns. A blocked process uses no CPU however long it waits, leaving it to the others.
// Watch: each worker computes, its lane switching between running and ready (the work notices when it had no CPU:
// ReadyWatch), then sleeps on its "I/O" (blocked). "want a CPU" above the number of cores means some of them are
// ready, not running; each worker prints how long it ran and how long it was ready, and the lanes show the same.
// The main process is blocked in join() throughout. CPU work is not scaled by the speed factor: the milliseconds
// printed are real.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_work.hpp"
#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

using forkscope::scenarios::cpu_seconds;

// What the workers measure, shared so the main process can report it.
struct Measures {
  forkscope::Counter want_cpu{"want_cpu", 0};
  forkscope::Counter ready_ms{"ready_ms", 0};
  forkscope::Counter blocked_cpu_us{"cpu_us_while_blocked", 0};
};

void worker(double cpu, double io_seconds, Measures measures) {
  forkscope::mark("compute: running, or ready while another process has the CPU");
  measures.want_cpu.add(1);
  const double wall = forkscope::scenarios::burn_cpu(cpu);
  measures.want_cpu.add(-1);
  measures.ready_ms.add(std::llround((wall - cpu) * 1e3));
  forkscope::print("{} 计算用了 {:.0f} ms: 运行 {:.0f} ms, 就绪 (等 CPU) {:.0f} ms", forkscope::current_process_name(),
                   wall * 1e3, cpu * 1e3, (wall - cpu) * 1e3);

  forkscope::mark("read a file: blocked on I/O, no CPU wanted");
  const double cpu_before = cpu_seconds();
  forkscope::sleep(io_seconds);  // the tutorials' stand-in for I/O
  measures.blocked_cpu_us.add(std::llround((cpu_seconds() - cpu_before) * 1e6));
}

void body(forkscope::LessonContext& lesson) {
  const int cores = forkscope::scenarios::available_cores();
  const auto workers = lesson.int_param("workers");
  const double cpu = static_cast<double>(lesson.int_param("cpu_ms")) * 1e-3;
  const double io_seconds = lesson.float_param("io_seconds");
  const Measures measures;
  forkscope::print("这台机器有 {} 个核: 同一时刻最多 {} 个进程在运行, 其余想运行的进程处于就绪态", cores, cores);

  std::vector<forkscope::Process> processes;
  for (int i = 0; i < workers; ++i) {
    processes.emplace_back([=] { worker(cpu, io_seconds, measures); });
    processes.back().start();
  }
  for (auto& p : processes) p.join();
  lesson.result() = {{"cores", cores},
                     {"workers", workers},
                     {"ready_ms", measures.ready_ms.value()},
                     {"cpu_us_while_blocked", measures.blocked_cpu_us.value()}};
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  using forkscope::ProcState;
  const forkscope::TraceModel& model = *run.model;
  const double io_seconds = run.params["io_seconds"].get<double>();
  const forkscope::ProcessInfo* main = main_process(model);
  const auto workers = children_of(model, main->pid);

  // Every worker: running (computing) first, then blocked on its I/O for io_seconds, then exited.
  bool states_in_order = static_cast<std::int64_t>(workers.size()) == run.params["workers"].get<std::int64_t>();
  for (const forkscope::ProcessInfo* w : workers) {
    std::vector<ProcState> order;
    for (const forkscope::StateSpan& s : w->spans)
      if (order.empty() || order.back() != s.state) order.push_back(s.state);
    states_in_order &= order.size() >= 3 && order.front() == ProcState::Running && order.back() == ProcState::Exited &&
                       std::find(order.begin(), order.end(), ProcState::Sleeping) != order.end() &&
                       seconds_in(run, *w, ProcState::Sleeping) >= 0.9 * io_seconds;
  }
  run.expect("run_then_blocked_then_exited", states_in_order);
  // A blocked process sleeps in the kernel: a few microseconds of CPU to go to sleep and wake up, nothing more.
  const auto blocked_cpu_us = run.result["cpu_us_while_blocked"].get<std::int64_t>();
  run.expect("blocked_uses_no_cpu", blocked_cpu_us < 1000 * static_cast<std::int64_t>(workers.size()), {{"us", blocked_cpu_us}});
  // The lanes' ready spans add up to what the workers measured (wall minus CPU time); the watch misses only gaps
  // under 50 us, and the time between the last tick and the end of the work.
  double ready_ms_on_lanes = 0;
  for (const forkscope::ProcessInfo* w : workers) ready_ms_on_lanes += seconds_in(run, *w, ProcState::Ready) / run.speed * 1e3;
  const auto ready_ms = static_cast<double>(run.result["ready_ms"].get<std::int64_t>());
  run.result["ready_ms_on_timeline"] = std::llround(ready_ms_on_lanes);
  run.expect("lanes_show_ready_time",
             std::abs(ready_ms_on_lanes - ready_ms) <= std::max(0.2 * ready_ms, 20.0),
             {{"on_lanes", std::llround(ready_ms_on_lanes)}, {"measured", std::llround(ready_ms)}});
  const forkscope::ObjectInfo* want_cpu = model.object_named("want_cpu");
  run.result["most_wanting_a_cpu"] = want_cpu->max_value();
  run.expect("main_blocked_in_join",
             seconds_in(run, *main, ProcState::Running) < seconds_in(run, *main, ProcState::BlockedJoin));
}

}  // namespace

namespace forkscope::scenarios {

Lesson blocking_states() {
  return {.id = "blocking-states",
          .topic = "concepts",
          .source = "scenarios/blocking_states.cpp",
          .params = {ParamSpec::integer("workers", 4, 1, 16), ParamSpec::integer("cpu_ms", 150, 10, 2000),
                     ParamSpec::real("io_seconds", 1.0, 0.1, 10)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
