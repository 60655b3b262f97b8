// `forkscope-cli run`: a lesson in real processes with a live text timeline; stepping from the keyboard; schedules
// saved and replayed; traces written; a JSON summary for tools.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "commands.hpp"
#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/lesson_file.hpp"
#include "forkscope/lesson_text.hpp"
#include "forkscope/run.hpp"
#include "forkscope/trace_file.hpp"
#include "registry.hpp"
#include "timeline_printer.hpp"

namespace forkscope::cli {

const Lesson& lesson_or_usage_error(const std::string& id) {
  if (const Lesson* l = scenarios::find(id); l && !l->hidden) return *l;
  std::string known;
  for (const Lesson& l : scenarios::all())
    if (!l.hidden) known += (known.empty() ? "" : ", ") + l.id;
  throw UsageError(fmt::format("unknown lesson '{}'; the lessons are: {}", id, known));
}

namespace {

nlohmann::json summary(const Run& run) {
  const RunReport& r = run.report();
  nlohmann::json processes = nlohmann::json::array();
  for (const ProcessInfo& p : run.model().processes())
    processes.push_back({{"pid", p.pid},
                         {"ppid", p.ppid},
                         {"name", p.name},
                         {"exitcode", p.exitcode ? nlohmann::json(*p.exitcode) : nlohmann::json()},
                         {"daemon", p.daemon}});
  nlohmann::json invariants = nlohmann::json::array();
  for (const Invariant& i : r.invariants)
    invariants.push_back({{"name", i.name}, {"ok", i.ok}, {"values", i.values}, {"meant_to_break", i.meant_to_break}});
  return {{"schema", kRunSchema},
          {"lesson", r.lesson},     {"params", r.params},         {"seed", r.seed},
          {"speed", r.speed},       {"wall_seconds", r.wall_seconds}, {"processes", processes},
          {"events", r.events},     {"lost_events", r.lost_events}, {"ring_full_waits", r.ring_full_waits},
          {"result", r.result},     {"invariants", invariants},     {"invariants_ok", r.invariants_ok()},
          {"steps", run.schedule().steps.size()}, {"stuck", r.stuck.empty() ? nlohmann::json() : nlohmann::json(r.stuck)},
          {"deadlock", r.deadlock ? r.deadlock->to_json() : nlohmann::json()},
          {"point", r.point ? r.point->to_json() : nlohmann::json()}};
}

// The keyboard side of --step: show who is held, read Enter / PID / b / c / q.
class Stepper {
 public:
  Stepper(std::unique_ptr<Run>& run, TimelinePrinter& printer, bool json) : run_(run), printer_(printer), json_(json) {}

  // Returns false once the user quit (q).
  bool tick() {
    Run& run = *run_;
    if (run.mode() != GateMode::Step) return !quit_typed();
    if (!run.stalled().empty() && !told_stalled_) {  // said once; a step asked for meanwhile never comes
      fmt::print("  {}\n  (no step can move the run; b: back one step · q: quit)\n", run.stalled());
      std::fflush(stdout);
      told_stalled_ = true;
    }
    if (run.step_in_progress() && !told_stalled_) return true;
    const auto held = run.held();
    std::string shown;
    for (const HeldProcess& h : held)
      shown += fmt::format(" [{} {}: {}{}]", h.pid, h.name, next_operation(h, run.model()),
                           h.asleep    ? ", asleep"
                           : h.timed   ? ", blocked with a timeout"
                           : h.blocked ? (h.ready ? ", may retry" : ", blocked")
                                       : "");
    if (shown != last_shown_ && !told_stalled_) {
      if (!held.empty())
        fmt::print("  held:{}\n  (Enter: next operation · PID: that process · b: back one step · c: continue · q: quit)\n",
                   shown);
      std::fflush(stdout);
      last_shown_ = shown;
    }
    if (held.empty()) return true;
    const std::optional<std::string> line_read = next_line();
    if (!line_read) return true;
    if (input_ended_ && line_read->empty() && input_.empty()) {  // end of input: let the lesson run on
      run.set_mode(GateMode::Run);
      return true;
    }
    const std::string& line = *line_read;
    last_shown_.clear();
    if (line == "q") return false;
    if (line == "b") {
      back();
    } else if (told_stalled_) {
      fmt::print("  nothing can move; b: back one step · q: quit\n");
    } else if (line == "c") {
      run.set_mode(GateMode::Run);
    } else if (line.empty()) {
      run.request_step();
    } else {
      std::int32_t pid = 0;
      auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
      const bool known = ec == std::errc() && end == line.data() + line.size() &&
                         std::any_of(held.begin(), held.end(), [&](const HeldProcess& h) { return h.pid == pid; });
      if (known) run.request_step(pid);
      else fmt::print("  '{}' is not a held PID\n", one_line(line));
    }
    return true;
  }

 private:
  // Back: the lesson again, replayed up to the step before the last, then held; its timeline from the start.
  void back() {
    if (run_->schedule().steps.empty()) {
      fmt::print("  no step to go back from\n");
      return;
    }
    run_ = step_back(*run_, 30);
    told_stalled_ = false;
    fmt::print("  back to step {} (processes re-run: new PIDs)\n", run_->schedule().steps.size());
    printer_.restart();
    if (!json_) {
      printer_.print_header();
      printer_.print_new(run_->model());
    }
  }

  // While the lesson runs freely (after c, or at the end of input) only q is read: other lines are dropped.
  bool quit_typed() {
    while (const std::optional<std::string> line = next_line()) {
      if (*line == "q") return true;
      if (input_ended_ && input_.empty()) return false;  // the end of input reads as empty lines for ever
    }
    return false;
  }

  // The next line typed, without blocking: read with read(2), not std::cin, whose buffer would hide lines already
  // read from poll(). At the end of input, an empty line once nothing is left.
  std::optional<std::string> next_line() {
    std::size_t end = input_.find('\n');
    if (end == std::string::npos && !input_ended_) {
      pollfd in{STDIN_FILENO, POLLIN, 0};
      if (poll(&in, 1, 0) > 0) {
        char buffer[4096];
        const ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
        if (n > 0) input_.append(buffer, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR) input_ended_ = true;
      }
      end = input_.find('\n');
    }
    if (end == std::string::npos && !input_ended_) return std::nullopt;
    if (end == std::string::npos) end = input_.size();  // the last line, without its newline
    std::string line = input_.substr(0, end);
    input_.erase(0, std::min(end + 1, input_.size()));
    return line;
  }

  std::unique_ptr<Run>& run_;
  TimelinePrinter& printer_;
  bool json_;
  std::string last_shown_;
  std::string input_;  // read, not yet a whole line
  bool input_ended_ = false;
  bool told_stalled_ = false;
};

// "ok", "FAIL", or for an invariant the lesson breaks on purpose "broke" (as it shows) and "held" (not this time).
std::string_view invariant_mark(const Invariant& i) {
  if (i.meant_to_break) return i.ok ? "held" : "broke";
  return i.ok ? "ok  " : "FAIL";
}

// Lessons that time several ways of doing the same work report "phases" (name, seconds) and may report
// "floor_seconds", the least any way could take: one row per phase, against the floor and against the first phase.
void print_phases(const nlohmann::json& result) {
  const auto phases = result.value("phases", nlohmann::json::array());
  if (!phases.is_array() || phases.empty()) return;
  const double floor = result.value("floor_seconds", 0.0);
  const double first = phases.front().value("seconds", 0.0);
  fmt::print("\n  {:<24} {:>9} {:>9} {:>9}\n", "phase", "seconds", "vs floor", "speed-up");
  for (const auto& phase : phases) {
    const double seconds = phase.value("seconds", 0.0);
    const std::string vs_floor = floor > 0 ? fmt::format("{:.2f}x", seconds / floor) : "-";
    fmt::print("  {:<24} {:>9.3f} {:>9} {:>8.2f}x\n", phase.value("name", "?"), seconds, vs_floor, first / seconds);
  }
  if (floor > 0) fmt::print("  {:<24} {:>9.3f}\n", "floor", floor);
}

}  // namespace

namespace {

// A file option that was given must name a file.
const std::string* file_option(const std::optional<std::string>& value, std::string_view option) {
  if (!value) return nullptr;
  check_file_name(*value, option);
  return &*value;
}

// The first of a lesson's tutorial examples that ends by itself (the others: `forkscope-cli list --json`).
TutorialProgram tutorial_code_of(const Lesson& lesson) {
  const auto programs = tutorial_programs_for(lesson.id);
  for (const TutorialProgram& p : programs)
    if (!p.blocks_forever) return p;
  throw UsageError(fmt::format("lesson '{}' has no tutorial code of its own to run", lesson.id));
}

bool is_python_program(const std::string& name) { return name.size() > 3 && name.ends_with(".py"); }

// What a Python program printed, in order, with who printed it and where.
nlohmann::json printed_lines(const TraceModel& model) {
  nlohmann::json lines = nlohmann::json::array();
  for (const PrintedLine& l : model.lines()) {
    const ProcessInfo* p = model.process(l.pid);
    lines.push_back({{"pid", l.pid},
                     {"name", p ? p->name : std::string()},
                     {"stream", l.stderr_stream || l.error ? "stderr" : "stdout"},
                     {"text", l.text}});
  }
  return lines;
}

// Why nothing could move the run: ended as stuck by the viewer, or quit while stepping once no step could move it.
const std::string& stuck_text(const Run& run) {
  return run.report().stuck.empty() ? run.stalled() : run.report().stuck;
}

// A Python program's end: its exit code is the user's, not an invariant. 0 when it ended with 0; 1 (and why) when it
// ended otherwise; 2 when it could not run at all; 3 when it was stuck.
int finish_program(const Run& run, const RunArgs& args) {
  const RunReport& report = run.report();
  const std::string bad = report.result.value("bad_program", "");
  if (args.json) {
    nlohmann::json out = summary(run);
    out["program"] = run.lesson().id;
    out["args"] = args.program_args;
    out["exitcode"] = report.main_exitcode;
    out["lines"] = printed_lines(run.model());
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("\n{} events, {} lost, {:.3f} s\n", report.events, report.lost_events, report.wall_seconds);
  }
  std::fflush(stdout);
  if (const std::string& stuck = stuck_text(run); !stuck.empty()) {
    print_error(fmt::format("{} was stuck: {}", args.lesson, stuck));
    return kRuntimeFailure;
  }
  if (!bad.empty()) {
    print_error(bad);
    return kBadInput;
  }
  if (report.main_exitcode != 0) {
    print_error(report.main_exitcode < 0
                    ? fmt::format("{} was killed by signal {}", args.lesson, -report.main_exitcode)
                    : fmt::format("{} ended with exit code {}", args.lesson, report.main_exitcode));
    return kInvariantsFailed;  // the program's own failure, not Forkscope's
  }
  return kOk;
}

}  // namespace

int run_lesson(const RunArgs& args) {
  const bool python = is_python_program(args.lesson);
  if (!python && !args.program_args.empty())
    throw UsageError(fmt::format("arguments after the lesson are for Python programs (FILE.py); '{}' is a lesson",
                                 args.lesson));
  if (python && !args.sets.empty())
    throw UsageError("--set is for lessons; a Python program takes its arguments after --");
  if (python && args.tutorial_code) throw UsageError("--python runs a lesson's tutorial code; give a lesson, not a file");
  std::optional<TutorialProgram> tutorial;
  if (args.tutorial_code) tutorial = tutorial_code_of(lesson_or_usage_error(args.lesson));
  const std::string program = tutorial ? tutorial->file.string() : args.lesson;
  std::optional<Lesson> program_lesson;
  const Lesson& lesson = python || tutorial        ? program_lesson.emplace(python_program_lesson(program))
                        : is_lesson_file(args.lesson) ? program_lesson.emplace(lesson_from_file(args.lesson))
                                                      : lesson_or_usage_error(args.lesson);
  RunOptions options;
  options.lesson = &lesson;
  if (python || tutorial) {
    options.program = {program};
    options.program.insert(options.program.end(), args.program_args.begin(), args.program_args.end());
  }
  if (tutorial) {  // in the run's own folder, with the files the tutorial made by hand
    options.program_in_run_dir = true;
    options.program_files = tutorial->setup_files;
    if (!args.json) fmt::print("{}: the tutorial's own code, {}\n", args.lesson, tutorial->file.filename().string());
  }
  options.speed = check_finite_range(args.speed, 0.01, 1000, "--speed");
  check_finite_range(args.timeout, 0.001, 1e6, "--timeout (seconds)");
  if (args.seed) options.seed = parse_decimal_u64(*args.seed, "--seed");
  options.start_stepping = args.step;
  const std::string* schedule_in = file_option(args.schedule_in, "--schedule");
  const std::string* schedule_out = file_option(args.schedule_out, "--save-schedule");
  const std::string* trace_out = file_option(args.trace_out, "--trace-out");
  const std::string* save_trace_to = file_option(args.save_trace, "--save-trace");
  if (schedule_in) {
    if (!args.sets.empty() || args.seed) throw UsageError("--schedule fixes the parameters and the seed; drop --set and --seed");
    Schedule schedule = Schedule::load(*schedule_in);
    if (schedule.lesson != lesson.id)
      throw UsageError(fmt::format("the schedule is for lesson '{}', not '{}'", schedule.lesson, lesson.id));
    options.params = Params::from_json(lesson.params, schedule.params);
    options.seed = schedule.seed;
    options.replay = std::move(schedule);
  } else {
    options.params = Params::resolve(lesson.params, args.sets);
  }

  auto live = std::make_unique<Run>(std::move(options));  // Back replaces it with a replay of its prefix
  TimelinePrinter printer(stdout, wants_color(stdout));
  Stepper stepper(live, printer, args.json);
  if (!args.json) {
    fmt::print("{} {}  seed {}  speed {}x{}\n", lesson.id, live->schedule().params.dump(), live->seed(), args.speed,
               args.step ? "  (stepping)" : "");
    printer.print_header();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(args.timeout);
  bool timed_out = false;
  bool quit = false;  // q while stepping: the user's choice, not a failure of the lesson
  while (!live->finished()) {
    if (interrupted() || std::chrono::steady_clock::now() > deadline) {
      timed_out = !interrupted();
      live->stop();
      break;
    }
    const std::size_t n = live->poll();
    if (!args.json) printer.print_new(live->model());
    if (args.step && !stepper.tick()) {
      quit = true;
      live->stop();
      break;
    }
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!args.json) printer.print_new(live->model());

  if (schedule_out) live->schedule().save(*schedule_out);
  if (trace_out) save_chrome_trace(live->model(), *trace_out);
  if (save_trace_to) save_trace(live->model(), summary(*live), *save_trace_to);

  const Run& run = *live;
  if (interrupted()) {
    print_error("interrupted; every lesson process was stopped");
    return kInterrupted;
  }
  if (quit) {
    print_error("stopped (q); every lesson process was stopped");
    return kInterrupted;
  }
  if (timed_out) {
    print_error(fmt::format("{} did not finish within {:.0f} s; every lesson process was stopped", lesson.id, args.timeout));
    return kRuntimeFailure;
  }
  const RunReport& report = run.report();
  if (python || tutorial) return finish_program(run, args);
  if (args.json) {
    fmt::print("{}\n", summary(run).dump(2));
  } else if (report.main_exitcode == 0) {
    fmt::print("\nresult {}\n", report.result.dump());
    print_phases(report.result);
    const LessonNames names = LessonNames::load(report.lesson, "en");
    for (const Invariant& i : report.invariants)
      fmt::print("  {} {}\n", invariant_mark(i), i.ok ? names.invariant(i.name) : names.invariant_with_detail(i.name, i.values));
    fmt::print("{} events, {} lost, {:.3f} s\n", report.events, report.lost_events, report.wall_seconds);
  }
  if (report.point && !args.json) fmt::print("{}\n", report.point->english());
  if (const std::string& stuck = stuck_text(run); !stuck.empty()) {
    std::fflush(stdout);
    std::fprintf(stderr, "forkscope-cli: lesson %s was stuck: %s\n", lesson.id.c_str(), stuck.c_str());
    return kRuntimeFailure;
  }
  if (report.main_exitcode != 0) {
    std::string why = fmt::format("exit code {}", report.main_exitcode);
    for (const PrintedLine& l : run.model().lines())
      if (l.error && l.pid == run.main_pid()) why = l.text;
    std::fflush(stdout);
    print_error(fmt::format("lesson {} failed: {}", lesson.id, why));
  }
  if (report.main_exitcode == 2) return kBadInput;  // fork() refused: the system's process limit
  if (report.main_exitcode != 0) return kRuntimeFailure;
  return report.invariants_ok() ? kOk : kInvariantsFailed;
}

}  // namespace forkscope::cli
