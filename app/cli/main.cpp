// forkscope-cli: every lesson in a terminal. list, run (a live text timeline, stepping, schedules, traces), explore
// (a search for the schedule that breaks a lesson), bench.
#include <cerrno>
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/paths.hpp"

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
void on_signal(int) { g_interrupted = 1; }
}  // namespace

bool forkscope::cli::interrupted() { return g_interrupted != 0; }

void forkscope::cli::print_error(std::string_view message) {
  std::fprintf(stderr, "forkscope-cli: %s\n", forkscope::one_line(message).c_str());
}

void forkscope::cli::install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
}

int main(int argc, char** argv) {
  using namespace forkscope::cli;
  CLI::App app{"Forkscope: Python multiprocessing lessons in real processes, in a terminal", "forkscope-cli"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "forkscope-cli " + forkscope::version_text());

  bool list_json = false;
  auto* list = app.add_subcommand("list", "List the lessons and their parameters");
  list->add_flag("--json", list_json, "One JSON object: {\"lessons\": [...]}");

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "Run a lesson in real processes with a live text timeline");
  run_cmd->add_option("lesson", run.lesson, "Lesson id (see `list`), a Python program FILE.py, or a lesson built with the SDK (FILE.so)")->required();
  run_cmd->add_flag("--python", run.tutorial_code,
                    "Run the lesson's tutorial code as written (Python, scenarios/tutorial_python/) instead of its C++");
  run_cmd->add_option("args", run.program_args, "After --: the Python program's arguments (its sys.argv[1:])");
  run_cmd->add_option("--set", run.sets, "Set a parameter: KEY=VALUE (repeatable)");
  run_cmd->add_option("--speed", run.speed, "Speed factor for lesson sleeps and timeouts (0.01 to 1000)");
  run_cmd->add_option("--seed", run.seed, "Seed for the lesson's random numbers (0 to 2^64-1, decimal)");
  run_cmd->add_flag("--step", run.step,
                    "Step: Enter grants the next operation, a PID advances that process, b goes back one step, c runs "
                    "on, q stops the lesson (\"stopped\", exit code 130; q is read after c too)");
  run_cmd->add_option("--schedule", run.schedule_in, "Replay a saved schedule (fixes lesson, parameters, seed)");
  run_cmd->add_option("--save-schedule", run.schedule_out, "Save the granted steps as a schedule");
  run_cmd->add_option("--trace-out", run.trace_out, "Write a Chrome trace event JSON file (open it in Perfetto)");
  run_cmd->add_option("--save-trace", run.save_trace, "Write the native trace (.fstrace) for the GUI to open");
  run_cmd->add_option("--timeout", run.timeout, "Stop the lesson after this many seconds (0.001 to 1000000, default 3600)");
  run_cmd->add_flag("--json", run.json, "Print one JSON object at the end instead of the timeline");
  run_cmd->footer("Exit codes: 0 ok, 1 an invariant failed, 2 bad usage or input, 3 runtime failure (a stuck run too), "
                  "130 stopped: Ctrl-C, or q while stepping");

  ExploreArgs explore_args;
  auto* explore_cmd = app.add_subcommand("explore", "Search schedules for one that breaks a lesson: its invariants, a "
                                                    "deadlock, or a result that one process at a time would not give");
  explore_cmd->add_option("lesson", explore_args.lesson, "Lesson id (see `list`)")->required();
  explore_cmd->add_option("--set", explore_args.sets, "Set a parameter: KEY=VALUE (repeatable)");
  explore_cmd->add_option("--seed", explore_args.seed, "Seed of the search and of the lesson's random numbers (0 to 2^64-1)");
  explore_cmd->add_option("--budget", explore_args.budget, "Schedules to try at most (1 to 100000, default 200)");
  explore_cmd->add_option("--depth", explore_args.depth, "PCT depth: priority change points + 1 (1 to 20, default 3)");
  explore_cmd->add_option("--save-schedule", explore_args.schedule_out, "Save the shortest schedule found");
  explore_cmd->add_flag("--json", explore_args.json, "Print one JSON object at the end");

  bool bench_json = false;
  int repeats = 5;
  auto* bench_cmd = app.add_subcommand("bench", "Measure the traced primitives; medians of several runs");
  bench_cmd->add_flag("--json", bench_json, "One JSON object");
  bench_cmd->add_option("--repeats", repeats, "Runs per measurement (median reported)")->check(CLI::Range(1, 101));
  bool bench_scale_flag = false;
  bench_cmd->add_flag("--scale", bench_scale_flag,
                      "Measure the viewer at scale instead: ingest rate, memory per event, .fstrace and Chrome trace files of "
                      "10 M events, 1,000 processes x 10,000 events lossless");
  std::string only;
  bench_cmd->add_option("--only", only, "Measure one group: trace, queue, lock, process, back (step Back), pool, python (a Python program plain and under Forkscope) "
                                        "or mpi (an MPI round trip traced and untraced; the scale-out lesson's speed-ups); "
                                        "with --scale: ingest, model, fstrace, chrome or lossless")
      ->check(CLI::IsMember({"trace", "queue", "lock", "process", "back", "pool", "python", "mpi", "ingest", "model", "fstrace", "chrome", "lossless"}));

  // `help [COMMAND]`: the same text as `COMMAND --help`.
  std::string help_topic;
  auto* help_cmd = app.add_subcommand("help", "Show the options of a command, with their ranges: help run");
  help_cmd->add_option("command", help_topic, "list, run, explore or bench")
      ->check(CLI::IsMember({"list", "run", "explore", "bench"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(e.what());
    return kBadInput;
  }
  if (*help_cmd) {
    std::fputs((help_topic.empty() ? app.help() : app.get_subcommand(help_topic)->help(app.get_name())).c_str(), stdout);
    return kOk;
  }
  install_interrupt_handlers();
  int code = kBadInput;
  try {
    if (*list) code = list_lessons(list_json);
    if (*run_cmd) code = run_lesson(run);
    if (*explore_cmd) code = explore(explore_args);
    if (*bench_cmd) code = bench_scale_flag ? bench_scale(bench_json, repeats, only) : bench(bench_json, repeats, only);
  } catch (const forkscope::UsageError& e) {
    print_error(e.what());
    return kBadInput;
  } catch (const forkscope::ForkError& e) {
    print_error(e.what());
    return kBadInput;
  } catch (const std::exception& e) {
    print_error(e.what());
    return kRuntimeFailure;
  }
  // What went to stdout (--json, list) may have gone to a full disk or a closed pipe: that is a failed write too.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    print_error(forkscope::describe_errno("writing to standard output", errno));
    return kRuntimeFailure;
  }
  return code;
}
