// forkscope: the classroom viewer. Without options it opens on the default lesson; --python FILE.py [-- ARGS] opens it on
// a Python program instead, --tutorial-code on the lesson's tutorial code (the Python it mirrors). With --screenshot, --frames or
// --stats it runs headless (for tests and slides): optionally runs the lesson to its end, draws, writes the window
// to a PNG and exits. --bench-frames measures drawing a synthetic trace (a million events, or --events N).
#include <cstdio>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app.hpp"
#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/lesson_file.hpp"
#include "forkscope/paths.hpp"
#include "forkscope/trace_file.hpp"
#include "frame_bench.hpp"
#include "registry.hpp"

namespace {

using namespace forkscope;
using namespace forkscope::gui;

constexpr int kOk = 0, kInvariantsFailed = 1, kBadInput = 2, kRuntimeFailure = 3;

struct Arguments {
  std::string lesson;
  std::optional<std::string> python;      // a Python program instead of a lesson
  std::optional<std::string> lesson_file;  // a lesson built with the SDK (FILE.so) instead of one of ours
  std::optional<std::string> tutorial;    // the lesson's tutorial code: "" the first that ends, or an example's file
  std::vector<std::string> program_args;  // after --: its sys.argv[1:]
  std::vector<std::string> sets;
  std::vector<std::string> compare_with;
  std::string language = "en";
  double speed = 1;
  std::optional<std::string> seed;  // checked: decimal digits, 0..2^64-1
  double scale = 1;
  bool run = false;
  int steps = 0;
  int back = 0;
  std::optional<std::string> schedule;    // a saved schedule: its lesson, parameters and seed, replayed step by step
  std::optional<std::string> screenshot;  // given but empty is refused
  std::optional<int> frames;
  bool stats = false;
  std::vector<double> hover;
  std::optional<double> playhead;         // seconds of trace time
  std::optional<std::string> step_axis;  // on, off
  std::string filter;                    // the timeline's lane filter
  bool collapse = false;                 // every group of lanes collapsed into its summary lane
  std::string view = "timeline";
  std::string tab = "console";
  std::optional<std::string> open;
  double timeout = 600;
  bool bench = false;
  std::size_t bench_events = 1'000'000;
  bool bench_live = false;
  int rate = 1'000'000;
  int bench_lanes = 200;
  bool json = false;
};

const Lesson& lesson_or_usage_error(const std::string& id) {
  if (id.empty()) return scenarios::default_lesson();
  if (const Lesson* l = scenarios::find(id); l && !l->hidden) return *l;
  std::string known;
  for (const Lesson& l : scenarios::all())
    if (!l.hidden) known += (known.empty() ? "" : ", ") + l.id;
  throw UsageError(fmt::format("unknown lesson '{}'; the lessons are: {}", id, known));
}

// What CLI11 cannot check: NaN passes its ranges, and an empty file name is not a file.
void check_arguments(const Arguments& args) {
  check_finite_range(args.speed, 0.1, 10, "--speed");
  check_finite_range(args.scale, 1, 2, "--scale");
  check_finite_range(args.timeout, 0.001, 1e6, "--timeout (seconds)");
  for (const double at : args.hover) check_finite_range(at, 0, 10000, "--hover");
  if (args.playhead) check_finite_range(*args.playhead, 0, 1e6, "--playhead (seconds)");
  if (args.seed) (void)parse_decimal_u64(*args.seed, "--seed");
  for (const auto& [file, option] : {std::pair{&args.screenshot, "--screenshot"}, std::pair{&args.open, "--open"},
                                     std::pair{&args.python, "--python"}, std::pair{&args.schedule, "--schedule"}})
    if (*file) check_file_name(**file, option);
  if (args.schedule && (!args.lesson.empty() || args.python || args.tutorial || args.open || !args.sets.empty() || args.seed ||
                        !args.compare_with.empty()))
    throw UsageError("--schedule fixes the lesson, its parameters and the seed: drop --lesson, --python, --tutorial-code, "
                     "--open, --set, --seed and --compare-with");
  if (args.back > 0 && args.steps < args.back) throw UsageError("--back N takes back N of the --steps taken: add --steps M, M >= N");
  if (args.python && !args.lesson.empty()) throw UsageError("--lesson and --python exclude each other: a lesson or a program");
  if (args.lesson_file && (!args.lesson.empty() || args.python || args.tutorial || args.schedule || args.open))
    throw UsageError("--lesson-file is the lesson: drop --lesson, --python, --tutorial-code, --schedule and --open");
  if (args.python && args.tutorial) throw UsageError("--tutorial-code is a lesson's own; --python opens a program of yours");
  if (args.tutorial && !args.sets.empty()) throw UsageError("--set is for the lesson's C++; its tutorial code has no parameters");
  if (args.tutorial && !args.compare_with.empty()) throw UsageError("--compare-with is for lessons and their parameters");
  if (args.python && !args.sets.empty()) throw UsageError("--set is for lessons; a Python program takes its arguments after --");
  if (args.python && !args.compare_with.empty()) throw UsageError("--compare-with is for lessons and their parameters");
  if (!args.python && !args.program_args.empty())
    throw UsageError("arguments after -- are for a Python program: add --python FILE.py");
}

// --tutorial-code [FILE]: the lesson's example with that file name, or the first that ends by itself.
std::size_t tutorial_example(Classroom& classroom, const Lesson& lesson, const std::string& file) {
  const std::vector<TutorialProgram>& examples = classroom.tutorial_programs(lesson);
  std::string names;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const std::string name = examples[i].file.filename().string();
    if (!file.empty() && (name == file || examples[i].file.stem().string() == file)) return i;
    names += (names.empty() ? "" : ", ") + name + (examples[i].blocks_forever ? " (waits for ever, as written)" : "");
  }
  if (examples.empty()) throw UsageError(fmt::format("lesson '{}' mirrors no tutorial code", lesson.id));
  if (!file.empty()) throw UsageError(fmt::format("lesson '{}' has no tutorial example '{}'; its examples: {}", lesson.id, file, names));
  if (const auto first = classroom.default_tutorial(lesson)) return *first;
  throw UsageError(fmt::format("every tutorial example of lesson '{}' waits for ever as written; name one: {}", lesson.id, names));
}

int bench(const Arguments& args) {
  AppOptions options;
  options.vsync = false;
  App app(scenarios::default_lesson(), options);
  app.window().set_headless(true);
  app.ui().lane_filter = args.filter;
  const FrameBenchResult r = bench_frames(app, FrameBenchOptions{.events = args.bench_events,
                                                                 .processes = args.bench_lanes,
                                                                 .frames = args.frames.value_or(300),
                                                                 .step_axis = args.step_axis == "on"});
  if (args.screenshot) {
    Image picture;
    app.frame(&picture);
    picture.save_png(*args.screenshot);
  }
  const ZoomTiming& whole = r.zooms.front();
  if (args.json) {
    std::string zooms;
    for (const ZoomTiming& z : r.zooms)
      zooms += fmt::format("{}{{\"fraction\": {}, \"frame_ms_median\": {:.2f}, \"frame_ms_p95\": {:.2f}}}", zooms.empty() ? "" : ", ",
                           z.fraction, z.median_ms, z.p95_ms);
    fmt::print("{{\"events\": {}, \"frame_ms_median\": {:.2f}, \"frame_ms_p95\": {:.2f}, \"zooms\": [{}], \"cut_ms\": {:.1f}}}\n",
               r.events, whole.median_ms, whole.p95_ms, zooms, r.cut_ms);
  } else {
    fmt::print("{} events, fully zoomed out: median {:.2f} ms per frame, p95 {:.2f} ms\n", r.events, whole.median_ms, whole.p95_ms);
    for (const ZoomTiming& z : r.zooms)
      if (z.fraction < 1) fmt::print("  1/{:g} of it, at the middle: median {:.2f} ms, p95 {:.2f} ms\n", 1 / z.fraction, z.median_ms, z.p95_ms);
    fmt::print("the playhead's cut at the middle: {:.1f} ms\n", r.cut_ms);
  }
  return kOk;
}

int bench_live_run(const Arguments& args) {
  const Lesson& lesson = *scenarios::find("bench-live");
  AppOptions options;
  options.vsync = false;
  App app(lesson, options);
  app.window().set_headless(true);
  const Params params = Params::resolve(lesson.params, {fmt::format("rate={}", args.rate)});
  app.classroom().set_params(params);
  const LiveBenchResult r = bench_live(app, static_cast<double>(params.get_int("seconds")), args.timeout);
  const double fps = r.median_ms > 0 ? 1000 / r.median_ms : 0;
  if (args.json)
    fmt::print("{{\"rate\": {}, \"events\": {}, \"frames\": {}, \"frame_ms_median\": {:.2f}, \"frame_ms_p95\": {:.2f}, "
               "\"frame_ms_max\": {:.2f}, \"frame_max_at_events\": {}, \"fps\": {:.1f}, \"now_lag_ms_p95\": {:.1f}, "
               "\"now_lag_ms_max\": {:.1f}}}\n",
               args.rate, r.events, r.frames, r.median_ms, r.p95_ms, r.max_ms, r.max_at_events, fps, r.lag_p95_ms, r.lag_max_ms);
  else
    fmt::print("a live run writing {} events per second ({} events): {} frames, median {:.2f} ms ({:.0f} fps), p95 {:.2f} ms; "
               "the slowest {:.1f} ms (the model then held {} events); the newest event drawn trails the now line by {:.1f} ms at p95, "
               "{:.1f} ms at most\n",
               args.rate, r.events, r.frames, r.median_ms, fps, r.p95_ms, r.max_ms, r.max_at_events, r.lag_p95_ms, r.lag_max_ms);
  return kOk;
}

// Prints what the live part of the run cost the viewer: the work per frame and the frames per second it kept.
void print_stats(App& app) {
  const RunRecord* shown = app.classroom().shown();
  const double interval = percentile(app.frame_interval_ms(), 0.5);
  fmt::print("{{\"lesson\": \"{}\", \"processes\": {}, \"events\": {}, \"frames\": {}, \"fps\": {:.1f}, "
             "\"frame_ms_median\": {:.2f}, \"frame_ms_p95\": {:.2f}}}\n",
             shown ? shown->lesson() : "", shown ? shown->model().processes().size() : 0,
             shown ? shown->model().events().size() : 0, app.frame_ms().size(), interval > 0 ? 1000.0 / interval : 0.0,
             percentile(app.frame_ms(), 0.5), percentile(app.frame_ms(), 0.95));
}

int run_app(const Arguments& args) {
  const std::optional<Schedule> schedule = args.schedule ? std::optional(Schedule::load(*args.schedule)) : std::nullopt;
  std::optional<TraceModel> opened;
  nlohmann::json meta = nlohmann::json::object();
  std::optional<RunFacts> opened_facts;
  if (args.open) {
    opened = load_trace(*args.open, &meta);
    opened_facts = RunFacts::from_summary(meta);  // UsageError when the saved summary has wrong types
  }
  // A saved trace opens on its own lesson, unless another is named.
  const std::string saved_lesson = schedule ? schedule->lesson : opened_facts ? opened_facts->lesson : std::string();
  if (schedule && !schedule->lesson.ends_with(".py")) (void)lesson_or_usage_error(schedule->lesson);
  // A lesson file lives as long as the viewer: the runner describes it, runs it and checks its runs.
  static std::optional<Lesson> file_lesson;
  if (args.lesson_file) file_lesson = lesson_from_file(*args.lesson_file);  // UsageError: its one-line reason
  const Lesson& lesson = file_lesson ? *file_lesson
                                     : lesson_or_usage_error(args.lesson.empty() && scenarios::find(saved_lesson)
                                                                 ? saved_lesson
                                                                 : args.lesson);
  const Params params = Params::resolve(lesson.params, args.sets);  // UsageError names the key and what is allowed
  const bool headless = args.screenshot || args.frames || args.stats;
  std::vector<std::string> second_sets = args.sets;
  second_sets.insert(second_sets.end(), args.compare_with.begin(), args.compare_with.end());
  const Params second = Params::resolve(lesson.params, second_sets);
  if (!args.compare_with.empty() && !args.run) throw UsageError("--compare-with needs --run");
  if (!args.compare_with.empty() && !headless) throw UsageError("--compare-with is for pictures: add --screenshot FILE");
  if (args.steps > 0 && args.run) throw UsageError("--steps and --run exclude each other: step a run, or run it to its end");

  AppOptions options;
  options.language = args.language;
  options.speed = args.speed;
  options.scale = static_cast<float>(args.scale);
  options.vsync = !headless;
  App app(lesson, options);
  app.window().set_headless(headless);
  Classroom& classroom = app.classroom();
  classroom.set_seed(args.seed ? std::optional(parse_decimal_u64(*args.seed, "--seed")) : std::nullopt);
  if (args.python) classroom.open_program(*args.python, args.program_args);  // UsageError: not a readable file
  if (args.tutorial) classroom.open_tutorial(lesson, tutorial_example(classroom, lesson, *args.tutorial));
  // The form shows the opened run's own parameters (what Run would use), unless --set names others.
  const bool opened_here = opened && opened_facts->lesson == lesson.id;
  if (opened_here) classroom.open_trace(std::move(*opened), std::move(*opened_facts));
  else if (opened) classroom.show(&classroom.add(std::move(*opened), std::move(*opened_facts)));
  if (!opened_here || !args.sets.empty()) classroom.set_params(params);
  // A schedule opens paused on its first step: N (or --steps) follows it, Run (or --run) plays it through.
  if (schedule && !classroom.replay(*schedule, true)) throw UsageError(classroom.status());
  app.show(args.view == "compare" ? CenterView::Compare : args.view == "code" ? CenterView::Code : CenterView::Timeline);
  app.show(args.tab == "processes" ? DetailTab::Processes
           : args.tab == "objects" ? DetailTab::Objects
           : args.tab == "result"  ? DetailTab::Result
           : args.tab == "code"    ? DetailTab::Code
                                   : DetailTab::Console);

  // With a window, --run only starts the lesson; headless, it runs to its end (twice with --compare-with).
  if (!headless) {
    if (args.run && !classroom.run()) throw SystemFailure(classroom.status());
    if (args.steps > 0) app.take_steps(args.steps, args.timeout);
    app.run();
    return kOk;
  }
  bool invariants_ok = true;
  const std::string& run_name = classroom.lesson().id;
  const bool program = args.python || args.tutorial;
  std::optional<std::string> program_failure;  // a Python program's own failure: the picture is still taken
  std::optional<std::string> run_failure;      // a lesson's run ended as deadlocked: the picture is still taken
  auto run_to_end = [&] {
    if (!classroom.run()) throw SystemFailure(classroom.status());
    if (!app.finish_run(args.timeout))
      throw SystemFailure(fmt::format("{} did not finish within {:.0f} s; every lesson process was stopped", run_name, args.timeout));
    const RunFacts& f = classroom.shown()->facts();
    if (program) {
      if (const std::string bad = f.result.value("bad_program", ""); !bad.empty()) throw UsageError(bad);
      if (f.main_exitcode != 0)
        program_failure = f.main_exitcode < 0 ? fmt::format("{} was killed by signal {}", run_name, -f.main_exitcode)
                                              : fmt::format("{} ended with exit code {}", run_name, f.main_exitcode);
      return;
    }
    // A deadlock is what the picture is for (dining-philosophers): it is taken, then the run's end is said, exit 3.
    if (f.deadlock) {
      run_failure = fmt::format("lesson {} was stuck: {}", lesson.id, f.deadlock->text);
      return;
    }
    if (f.main_exitcode != 0) throw SystemFailure(fmt::format("lesson {} failed: {}", lesson.id, classroom.status()));
    invariants_ok &= f.invariants_ok();
  };
  if (args.run) {
    app.record_frames(args.stats);
    run_to_end();
    app.record_frames(false);
    if (!args.compare_with.empty()) {
      classroom.set_params(second);
      run_to_end();
      app.show(CenterView::Compare);
    }
  }
  if (args.steps > 0 && !app.take_steps(args.steps, args.timeout)) {
    classroom.reset();
    throw SystemFailure(fmt::format("{}: the steps did not settle within {:.0f} s", run_name, args.timeout));
  }
  for (int i = 0; i < args.back; ++i)
    if (!classroom.back()) throw SystemFailure(fmt::format("{}: Back failed: {}", run_name, status_text(app.ui())));
  if (args.step_axis) app.ui().step_axis = *args.step_axis == "on";
  app.ui().lane_filter = args.filter;
  if (args.collapse && classroom.shown()) app.timeline().canvas().collapse_all_groups(classroom.shown()->model(), true);
  if (args.playhead) {
    const RunRecord* shown = classroom.shown();
    if (shown == nullptr || (shown->live() && !classroom.paused()))
      throw UsageError("--playhead needs a finished or paused run: add --run, --steps or --open");
    app.ui().playhead.place(*shown, std::llround(*args.playhead * 1e9));
  }
  if (!args.hover.empty())
    app.window().set_pointer({{static_cast<float>(args.hover[0]), static_cast<float>(args.hover[1])}, false, 0});
  Image picture;
  const int frames = std::max(1, args.frames.value_or(3));
  for (int i = 0; i < frames; ++i) app.frame(i + 1 == frames ? &picture : nullptr);
  if (args.screenshot) picture.save_png(*args.screenshot);
  if (args.stats) print_stats(app);
  if (run_failure) {
    std::fprintf(stderr, "forkscope: %s\n", one_line(*run_failure).c_str());
    return kRuntimeFailure;  // as forkscope-cli run reports a stuck run
  }
  if (program_failure) {
    std::fprintf(stderr, "forkscope: %s\n", one_line(*program_failure).c_str());
    return kInvariantsFailed;  // the program's own failure, as forkscope-cli run reports it
  }
  return invariants_ok ? kOk : kInvariantsFailed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Forkscope: Python multiprocessing lessons in real processes, on a live timeline", "forkscope"};
  cli.set_version_flag("--version", "forkscope " + version_text());
  Arguments args;
  cli.add_option("--lesson", args.lesson, "Lesson id (forkscope-cli list); default: ticket-lock");
  cli.add_option("--python", args.python, "A Python multiprocessing program (FILE.py) instead of a lesson");
  cli.add_option("--lesson-file", args.lesson_file,
                 "A lesson built with Forkscope's SDK (FILE.so, see examples/hello_lesson): listed under its topic, run "
                 "by the lesson runner");
  cli.add_option("args", args.program_args, "After --: the Python program's arguments (its sys.argv[1:])");
  cli.add_option("--tutorial-code", args.tutorial,
                 "The lesson's tutorial code (Python, as written) instead of its C++: the first example that ends by itself, "
                 "or the one named (FILE, e.g. t002_08_ticket_lock.py)")
      ->expected(0, 1);
  cli.add_option("--set", args.sets, "Set a parameter: KEY=VALUE (repeatable)");
  cli.add_option("--lang", args.language, "Language of the interface and lesson texts")->check(CLI::IsMember({"en", "zh"}));
  cli.add_option("--speed", args.speed, "Speed factor for lesson sleeps and timeouts (0.1 to 10)");
  cli.add_option("--seed", args.seed, "Seed for the lessons' random numbers (the same picture every time)");
  cli.add_option("--scale", args.scale, "Projector scale for the whole interface (1 to 2)");
  cli.add_flag("--run", args.run, "Start the lesson at once (headless: run it to its end)");
  cli.add_option("--steps", args.steps, "Start the lesson paused and step this many operations (headless: then the picture)")
      ->check(CLI::Range(1, 100000));
  cli.add_option("--back", args.back, "After --steps: take this many steps back (B), re-running the steps before them")
      ->check(CLI::Range(1, 100000));
  cli.add_option("--schedule", args.schedule,
                 "Replay a saved schedule (forkscope-cli run --save-schedule, or Save schedule…): its lesson, parameters "
                 "and seed; paused, N follows it step by step, --run plays it through");
  cli.add_option("--screenshot", args.screenshot, "Headless: write the window to this PNG file, then exit");
  cli.add_option("--frames", args.frames, "Headless: frames drawn before the screenshot or exit (default 3)")
      ->check(CLI::Range(1, 100000));
  cli.add_option("--hover", args.hover, "Headless: the pointer rests at X Y for the picture (a tooltip)")
      ->expected(2);
  cli.add_option("--playhead", args.playhead, "Headless: the panels show the run at this time (seconds), as a playhead")
      ->check(CLI::Range(0.0, 1e6));
  cli.add_option("--step-axis", args.step_axis,
                 "The timeline's x axis counts steps (on) or seconds (off); default: steps for a stepped run (with --bench-frames too)")
      ->check(CLI::IsMember({"on", "off"}));
  cli.add_option("--filter", args.filter,
                 "The timeline shows only the lanes whose name, PID or a touched object contains TEXT, or state:WORD "
                 "(state:blocked), with their parents (also with --bench-frames)");
  cli.add_flag("--collapse-groups", args.collapse, "Headless: every process's child processes collapsed into one summary lane");
  cli.add_flag("--stats", args.stats, "Headless: print frame times and frames per second of the live run as JSON");
  cli.add_option("--compare-with", args.compare_with, "With --run: run again with KEY=VALUE changed and show the comparison");
  cli.add_option("--view", args.view, "Center view: timeline, compare or code")
      ->check(CLI::IsMember({"timeline", "compare", "code"}));
  cli.add_option("--tab", args.tab, "Detail tab: processes, objects, console, result or code (under the timeline)")
      ->check(CLI::IsMember({"processes", "objects", "console", "result", "code"}));
  cli.add_option("--open", args.open, "Open a saved trace (forkscope-cli run --save-trace)");
  cli.add_option("--timeout", args.timeout, "Headless: stop a run after this many seconds (up to 1000000)");
  CLI::Option* bench_frames = cli.add_flag("--bench-frames", args.bench,
               "Measure frame times on a synthetic trace, fully zoomed out and zoomed in on its middle (1/10, 1/1000, 1/100000)");
  cli.add_option("--events", args.bench_events, "With --bench-frames: the synthetic trace's events (default 1000000, up to 20000000)")
      ->check(CLI::Range(std::size_t{1000}, std::size_t{20'000'000}))
      ->needs(bench_frames);
  cli.add_option("--bench-lanes", args.bench_lanes, "With --bench-frames: the synthetic trace's processes (default 200)")
      ->check(CLI::Range(2, 4000));
  CLI::Option* live = cli.add_flag("--bench-live", args.bench_live,
                                    "Measure frame times and the now line's lag while a live run writes --rate events per second");
  cli.add_option("--rate", args.rate, "With --bench-live: events per second (default 1000000)")
      ->check(CLI::Range(1'000, 10'000'000))
      ->needs(live);
  cli.add_flag("--json", args.json, "With --bench-frames or --bench-live: one JSON object");
  const auto fail = [](int code, std::string_view message) {
    std::fprintf(stderr, "forkscope: %s\n", one_line(message).c_str());
    return code;
  };
  try {
    cli.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(kBadInput, e.what());
  }
  try {
    check_arguments(args);
    return args.bench ? bench(args) : args.bench_live ? bench_live_run(args) : run_app(args);
  } catch (const UsageError& e) {
    return fail(kBadInput, e.what());
  } catch (const std::exception& e) {
    return fail(kRuntimeFailure, e.what());
  }
}
