// `forkscope-cli bench`: the traced primitives measured in real processes, as ratios against their raw floors and
// against Python's multiprocessing. Runs are interleaved (every measurement once per round) and medians reported.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/lesson_text.hpp"
#include "forkscope/mpi_job.hpp"
#include "forkscope/run.hpp"
#include "forkscope/subprocess.hpp"
#include "registry.hpp"

namespace forkscope::cli {

// Rings large enough for a whole measurement, drained lazily: what is measured is the traced primitive in its
// processes, not the viewer competing with them for two CPUs (its own pace shows as `ring_full_waits`).
// Every event still goes through the rings into the model. Lessons run with the default rings, drained live.
nlohmann::json run_hidden(const char* id, const std::vector<std::string>& sets, SessionLimits limits, bool lazy_drain) {
  const Lesson* lesson = scenarios::find(id);
  RunOptions options;
  options.lesson = lesson;
  options.params = Params::resolve(lesson->params, sets);
  options.seed = 1;
  options.limits = limits;
  options.lazy_drain = lazy_drain;
  Run run(std::move(options));
  const RunReport& report = run.wait(600);
  if (report.main_exitcode != 0) {
    std::string why;
    for (const PrintedLine& l : run.model().lines())
      if (l.error) why += fmt::format(" {}", l.text);
    throw SystemFailure(fmt::format("benchmark {} failed (exit code {}){}", id, report.main_exitcode, why));
  }
  nlohmann::json result = report.result;
  result["ring_full_waits"] = report.ring_full_waits;
  result["wall_seconds"] = report.wall_seconds;
  return result;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int print_bench(nlohmann::json measured, std::span<const BenchTarget> targets, const char* value_key, const char* schema,
                int repeats, bool json) {
  nlohmann::json out = measured;
  bool all_ok = true;
  out["schema"] = schema;
  out["repeats"] = repeats;
  out["targets"] = nlohmann::json::array();
  for (const BenchTarget& t : targets) {
    if (std::isnan(t.value)) continue;
    const bool ok = t.at_least ? t.value >= t.limit : t.value <= t.limit;
    all_ok &= ok;
    out["targets"].push_back({{"name", t.name}, {value_key, t.value}, {"limit", t.limit}, {"ok", ok}, {"meaning", t.meaning}});
  }
  out["targets_ok"] = all_ok;
  if (json) {
    fmt::print("{}\n", out.dump(2));
    return kOk;
  }
  fmt::print("medians of {} runs\n", repeats);
  for (const auto& [name, value] : measured.items())
    if (value.is_boolean())
      fmt::print("  {:<34} {:>16}\n", name, value.get<bool>());
    else
      fmt::print("  {:<34} {:>16.2f}\n", name, value.get<double>());
  fmt::print("targets\n");
  for (const auto& t : out["targets"])
    fmt::print("  {} {:<34} {:>14.2f} (limit {}) {}\n", t["ok"].get<bool>() ? "met " : "MISS", t["name"].get<std::string>(),
               t[value_key].get<double>(), t["limit"].get<double>(), t["meaning"].get<std::string>());
  return kOk;
}

namespace {

// The same Python program (forkscope/bench_program.py) by plain CPython and under Forkscope, in one round: the cost
// of tracing CPython's multiprocessing, as ratios measured side by side.
// Python's multiprocessing doing the same measurements (the package's baseline_program.py, plain CPython), once per
// round next to ours, so that every ratio is against Python measured in the same run.
nlohmann::json run_cpython_baseline(const std::vector<std::string>& groups) {
  std::vector<std::string> argv{python_interpreter().string(),
                                (python_package_dir() / "forkscope" / "baseline_program.py").string()};
  argv.insert(argv.end(), groups.begin(), groups.end());
  const ProgramOutput plain = run_program(argv, 600);
  const auto result = nlohmann::json::parse(plain.out, nullptr, false);
  if (plain.exit_code != 0 || !result.is_object())
    throw SystemFailure("Python's side of the benchmark failed: " + one_line(plain.err));
  return result;
}

nlohmann::json run_python_bench(bool under_forkscope) {
  const std::string program = (python_package_dir() / "forkscope" / "bench_program.py").string();
  std::string last_line;
  if (under_forkscope) {
    const Lesson lesson = python_program_lesson(program);
    RunOptions options;
    options.lesson = &lesson;
    options.program = {program};
    // As run_hidden's: rings large enough for the whole program, below the half at which a lazy viewer starts
    // draining (the main writes ~1.3 million events: its 600,000 lock pairs, then its puts).
    options.limits = SessionLimits{64, 1u << 22};
    options.lazy_drain = true;
    Run run(std::move(options));
    const RunReport& report = run.wait(600);
    if (report.main_exitcode != 0 || run.model().lines().empty())
      throw SystemFailure(fmt::format("the Python benchmark failed under Forkscope (exit code {})", report.main_exitcode));
    last_line = run.model().lines().back().text;
  } else {
    const ProgramOutput plain = run_program({python_interpreter().string(), program}, 600);
    if (plain.exit_code != 0) throw SystemFailure("the Python benchmark failed under plain CPython: " + one_line(plain.err));
    std::string out = plain.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    last_line = out.substr(out.find_last_of('\n') == std::string::npos ? 0 : out.find_last_of('\n') + 1);
  }
  const auto result = nlohmann::json::parse(last_line, nullptr, false);
  if (!result.is_object()) throw SystemFailure("the Python benchmark printed no result");
  return result;
}

// Back as a teacher meets it: ticket-lock at its defaults, stepped kBackAfterSteps times (the process waiting longest
// each time), then Back: milliseconds until the re-run stands where the run stood before its last step.
constexpr std::size_t kBackAfterSteps = 40;
constexpr double kBackTargetMs = 300;

double back_ms() {
  const Lesson* lesson = scenarios::find("ticket-lock");
  RunOptions options;
  options.lesson = lesson;
  options.params = Params::resolve(lesson->params, {});
  options.seed = 1;
  options.start_stepping = true;
  Run run(std::move(options));
  while (run.schedule().steps.size() < kBackAfterSteps) {
    run.step();
    if (run.finished()) throw SystemFailure(fmt::format("ticket-lock ended before {} steps", kBackAfterSteps));
  }
  const auto started = std::chrono::steady_clock::now();
  const std::unique_ptr<Run> back = step_back(run, 30);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

int bench(bool json, int repeats, const std::string& only) {
  if (std::find(std::begin(kScaleGroups), std::end(kScaleGroups), only) != std::end(kScaleGroups))
    throw UsageError(fmt::format("--only {} is a group of --scale", only));
  std::map<std::string, std::vector<double>> samples;
  const auto wanted = [&](const char* group) { return only.empty() || only == group; };
  for (int round = 0; round < repeats && !interrupted(); ++round) {
    if (wanted("trace")) {
    const auto trace = run_hidden("bench-trace", {"n=1000000"}, SessionLimits{}, false);
    samples["clock_read_ns"].push_back(trace["clock_read_ns"]);
    samples["trace_event_ns"].push_back(trace["trace_event_ns"]);
    }
    if (wanted("queue")) {
    samples["queue_msgs_per_s"].push_back(run_hidden("bench-queue", {"maxsize=0", "n=500000"})["msgs_per_s"]);
    samples["queue_cap5_msgs_per_s"].push_back(run_hidden("bench-queue", {"maxsize=5", "n=200000"})["msgs_per_s"]);
    }
    if (wanted("lock")) {
    samples["lock_uncontended_ns"].push_back(run_hidden("bench-lock", {}, SessionLimits{}, false)["lock_uncontended_ns"]);
    const auto contended = run_hidden("bench-lock-contended", {"n=100000"});
    if (contended["total"] != contended["expected"])
      throw SystemFailure(fmt::format("the contended lock lost increments: {} of {}", contended["total"].dump(),
                                      contended["expected"].dump()));
    samples["lock_contended_2x100k_ms"].push_back(contended["lock_contended_ms"]);
    }
    if (wanted("process")) {
    const auto process = run_hidden("bench-process", {}, SessionLimits{}, false);
    samples["process_start_join_us"].push_back(process["process_start_join_us"]);
    samples["fork_waitpid_us"].push_back(process["fork_waitpid_us"]);
    }
    if (wanted("python")) {
      const auto plain = run_python_bench(false);
      const auto traced = run_python_bench(true);
      for (const char* key : {"lock_ns", "queue_msgs_per_s", "pool_map_ms"}) {
        samples[fmt::format("python_plain_{}", key)].push_back(plain[key]);
        samples[fmt::format("python_traced_{}", key)].push_back(traced[key]);
      }
    }
    if (wanted("back")) samples["back_after_40_steps_ms"].push_back(back_ms());
    std::vector<std::string> compared;  // the groups whose targets are ratios to Python's multiprocessing
    for (const char* group : {"queue", "lock", "process", "pool"})
      if (wanted(group)) compared.emplace_back(group);
    if (!compared.empty()) {
      const nlohmann::json cpython = run_cpython_baseline(compared);
      for (const auto& [name, value] : cpython.items()) samples["cpython_" + name].push_back(value.get<double>());
    }
    if (wanted("pool")) {
    samples["pool_map_100_ms"].push_back(run_hidden("bench-pool-map", {"n=100"}, SessionLimits{})["pool_map_ms"]);
    samples["processes_100_ms"].push_back(run_hidden("bench-processes", {"n=100"}, SessionLimits{})["processes_ms"]);
    }
    if (wanted("mpi") && (only == "mpi" || !mpi_wrapper_path().empty())) {  // a sanitizer build has no MPI wrapper
      const auto pingpong = run_hidden("bench-mpi", {"rounds=300"}, SessionLimits{16, 1u << 21});
      samples["mpi_plain_round_trip_us"].push_back(pingpong["plain_round_trip_us"]);
      samples["mpi_traced_round_trip_us"].push_back(pingpong["traced_round_trip_us"]);
      // The scale-out lesson at its defaults: the horizontal phase next to the vertical one, on this machine's cores.
      const auto scale_out = run_hidden("scale-out", {}, SessionLimits{}, false);
      for (const char* key : {"cores", "vertical_speedup", "horizontal_speedup", "communication_share"})
        samples[fmt::format("scale_out_{}", key)].push_back(scale_out[key]);
    }
  }
  if (interrupted()) return kInterrupted;

  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, values] : samples) out[name] = median(values);
  const auto m = [&](const char* name) { return out.contains(name) ? out[name].get<double>() : std::nan(""); };
  const auto py = [&](const char* name) { return m(("cpython_" + std::string(name)).c_str()); };
  const BenchTarget targets[] = {
      {"trace_event_vs_clock_read", m("trace_event_ns") / m("clock_read_ns"), 1.2, false, "a trace event costs <= 1.2x a clock read"},
      {"queue_vs_python", m("queue_msgs_per_s") / py("queue_msgs_per_s"), 50, true, "traced queue 1->1 >= 50x Python's"},
      {"queue_cap5_vs_python", m("queue_cap5_msgs_per_s") / py("queue_cap5_msgs_per_s"), 10, true,
       "traced bounded queue (5) >= 10x Python's"},
      {"lock_vs_python", m("lock_uncontended_ns") / py("lock_uncontended_ns"), 1.0, false,
       "traced uncontended lock <= Python's untraced one"},
      {"process_vs_fork", m("process_start_join_us") / m("fork_waitpid_us"), 1.5, false,
       "process start+join <= 1.5x fork+waitpid"},
      {"pool_map_vs_python", py("pool_map_100_ms") / m("pool_map_100_ms"), 10, true,
       "Pool(4).map over 100 tasks >= 10x faster than Python's"},
      {"processes_vs_python", py("processes_100_ms") / m("processes_100_ms"), 10, true,
       "100 processes >= 10x faster than Python's"},
      {"back_vs_target", m("back_after_40_steps_ms") / kBackTargetMs, 1.0, false,
       "Back after 40 steps of ticket-lock (defaults) <= 300 ms"},
      {"python_lock_traced_vs_plain", m("python_traced_lock_ns") / m("python_plain_lock_ns"), 1.5, false,
       "a Python program's Lock acquire+release under Forkscope <= 1.5x plain CPython"},
      {"python_queue_traced_vs_plain", m("python_traced_queue_msgs_per_s") / m("python_plain_queue_msgs_per_s"), 0.8, true,
       "a Python program's Queue 1->1 under Forkscope >= 0.8x plain CPython's messages per second"},
      {"python_pool_map_traced_vs_plain", m("python_traced_pool_map_ms") / m("python_plain_pool_map_ms"), 1.3, false,
       "a Python program's Pool(4).map over 100 tasks under Forkscope <= 1.3x plain CPython's time"},
      {"mpi_traced_vs_plain", m("mpi_traced_round_trip_us") / m("mpi_plain_round_trip_us"), 1.1, false,
       "an MPI round trip between two hosts, traced <= 1.1x untraced"},
  };
  return print_bench(std::move(out), targets, "ratio", kBenchSchema, repeats, json);
}

}  // namespace forkscope::cli
