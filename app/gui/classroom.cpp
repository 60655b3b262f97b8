#include "classroom.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "registry.hpp"

namespace forkscope::gui {

bool RunFacts::invariants_ok() const { return invariants_hold(invariants); }

namespace {

UsageError malformed_summary(std::string_view key, std::string_view expected) {
  return UsageError(fmt::format("the trace's summary is malformed: \"{}\" must be {}", key, expected));
}

// A field of a saved trace's summary, or `fallback` when it is absent; UsageError naming the field when its type is wrong.
template <typename T>
T summary_field(const nlohmann::json& object, const char* key, T fallback, std::string_view expected) {
  try {
    return object.value(key, fallback);
  } catch (const nlohmann::json::exception&) {
    throw malformed_summary(key, expected);
  }
}

}  // namespace

RunFacts RunFacts::from_summary(const nlohmann::json& summary) {
  RunFacts f;
  f.lesson = summary_field(summary, "lesson", std::string("trace"), "a string");
  f.params = summary_field(summary, "params", nlohmann::json::object(), "an object");
  f.seed = summary_field(summary, "seed", std::uint64_t{0}, "an integer from 0 to 2^64-1");
  f.speed = summary_field(summary, "speed", 1.0, "a number");
  f.wall_seconds = summary_field(summary, "wall_seconds", 0.0, "a number");
  f.result = summary_field(summary, "result", nlohmann::json::object(), "an object");
  const nlohmann::json invariants = summary_field(summary, "invariants", nlohmann::json::array(), "an array");
  if (!f.params.is_object()) throw malformed_summary("params", "an object");
  if (!f.result.is_object()) throw malformed_summary("result", "an object");
  if (!invariants.is_array()) throw malformed_summary("invariants", "an array");
  for (const auto& i : invariants) {
    if (!i.is_object()) throw malformed_summary("invariants", "an array of objects");
    f.invariants.push_back(Invariant{summary_field(i, "name", std::string(), "a string"), summary_field(i, "ok", false, "true or false"),
                                     summary_field(i, "values", nlohmann::json::object(), "an object"),
                                     summary_field(i, "meant_to_break", false, "true or false")});
  }
  if (summary.contains("point") && !summary["point"].is_null()) {
    f.point = LessonPoint::from_json(summary["point"]);
    if (!f.point) throw malformed_summary("point", "an object with a \"key\" string and \"args\" strings");
  }
  return f;
}

RunRecord::RunRecord(int number, std::unique_ptr<Run> run, int replay_of)
    : number_(number), run_(std::move(run)), replay_of_(replay_of) {
  replace_run(std::move(run_));
}

void RunRecord::replace_run(std::unique_ptr<Run> run) {
  run_ = std::move(run);
  facts_ = RunFacts{};
  facts_.lesson = run_->lesson().id;
  facts_.params = run_->schedule().params;
  facts_.seed = run_->seed();
  facts_.speed = run_->speed();
}

RunRecord::RunRecord(int number, TraceModel model, RunFacts facts)
    : number_(number), loaded_(std::move(model)), facts_(std::move(facts)) {}

std::string RunRecord::label(std::string_view replay_mark) const {
  std::string text = fmt::format("#{} {}", number_, facts_.lesson);
  for (const auto& [key, value] : facts_.params.items()) text += fmt::format(" {}={}", key, value.dump());
  if (replay_of_ > 0) text += fmt::format(" ({} #{})", replay_mark, replay_of_);
  else if (replay_of_ < 0) text += fmt::format(" ({})", replay_mark);
  return text;
}

std::int64_t RunRecord::now_ns() const {
  const TraceModel& m = model();
  if (!live()) return m.end_ns();
  return std::max(m.end_ns(), m.clock().to_ns(trace_clock()));
}

void RunRecord::collect_facts() {
  const RunReport& r = run_->report();
  facts_.params = r.params;
  facts_.speed = r.speed;
  facts_.wall_seconds = r.wall_seconds;
  facts_.main_exitcode = r.main_exitcode;
  facts_.result = r.result;
  facts_.invariants = r.invariants;
  if (r.main_exitcode != 0)
    for (const PrintedLine& line : run_->model().lines())
      if (line.error && line.pid == run_->main_pid()) facts_.failure = line.text;
  // A Python program that could not run at all (unreadable, a syntax error) says why in its result.
  if (const auto bad = r.result.find("bad_program"); bad != r.result.end() && bad->is_string()) facts_.failure = *bad;
  if (!r.stuck.empty()) facts_.failure = r.stuck;  // the viewer ended it: say why
  facts_.deadlock = r.deadlock;
  facts_.point = r.point;
}

std::string Program::file_name() const {
  const std::string name = std::filesystem::path(file()).filename().string();
  return name.empty() ? file() : name;
}

Classroom::Classroom(const Lesson& lesson, double speed) : lesson_(&lesson), speed_(speed) { reset_params(); }

Classroom::~Classroom() = default;  // a live Run kills and reaps its processes as it goes

void Classroom::select(const Lesson& lesson) {
  if (&lesson == lesson_) return;
  reset();
  lesson_ = &lesson;
  reset_params();
  shown_ = nullptr;
  for (auto& r : runs_)
    if (r->lesson() == lesson.id) shown_ = r.get();
}

const Program& Classroom::open_program(const std::string& file, std::vector<std::string> args) {
  Program& program = load_program(file, std::move(args));
  program.tutorial_of = nullptr;  // opened as any program: it runs where the viewer runs
  return program;
}

Program& Classroom::load_program(const std::string& file, std::vector<std::string> args) {
  Lesson lesson = python_program_lesson(file);  // UsageError: missing, not a regular file, unreadable
  std::string source = read_input_file(file, "Python program", Program::kMaxSourceBytes);
  auto known = std::find_if(programs_.begin(), programs_.end(), [&](const auto& p) { return p->file() == file; });
  if (known == programs_.end()) {
    programs_.push_back(std::make_unique<Program>(Program{std::move(lesson), {}, {}}));
    known = std::prev(programs_.end());
  }
  Program& program = **known;
  if (lesson_ == &program.lesson) reset();  // the same program again, maybe with other arguments: a fresh start
  program.args = std::move(args);
  program.source = std::move(source);
  ++programs_revision_;
  select(program.lesson);
  return program;
}

const std::vector<TutorialProgram>& Classroom::tutorial_programs(const Lesson& lesson) {
  auto known = tutorials_.find(lesson.id);
  if (known != tutorials_.end()) return known->second;
  std::vector<TutorialProgram> programs;
  if (!lesson.id.ends_with(".py")) {  // a Python program mirrors nothing
    try {
      programs = tutorial_programs_for(lesson.id);
    } catch (const std::exception& e) {  // a broken index: the lessons still work, the status line says why
      note(e.what(), true);
    }
  }
  ++programs_revision_;
  return tutorials_.emplace(lesson.id, std::move(programs)).first->second;
}

std::optional<std::size_t> Classroom::default_tutorial(const Lesson& lesson) {
  const auto& programs = tutorial_programs(lesson);
  for (std::size_t i = 0; i < programs.size(); ++i)
    if (!programs[i].blocks_forever) return i;
  return std::nullopt;
}

const Program& Classroom::open_tutorial(const Lesson& lesson, std::size_t example) {
  const auto& programs = tutorial_programs(lesson);
  if (example >= programs.size())
    throw UsageError(fmt::format("lesson '{}' has {} tutorial examples; there is no example {}", lesson.id, programs.size(), example + 1));
  const TutorialProgram tutorial = programs[example];
  Program& program = load_program(tutorial.file.string(), {});
  program.tutorial_of = &lesson;
  program.tutorial = tutorial;
  return program;
}

bool Classroom::choose_tutorial(const Lesson& lesson, std::size_t example) {
  try {
    open_tutorial(lesson, example);
    return true;
  } catch (const std::exception& e) {
    note(e.what(), true);
    return false;
  }
}

const Program* Classroom::program_of(const Lesson& lesson) const {
  for (const auto& p : programs_)
    if (&p->lesson == &lesson) return p.get();
  return nullptr;
}

void Classroom::reset_params() {
  param_values_.clear();
  for (const ParamSpec& spec : lesson_->params) param_values_.push_back(default_value_of(spec));
}

void Classroom::set_params(const Params& params) {
  param_values_.clear();
  for (const ParamSpec& spec : lesson_->params) param_values_.push_back(params.at(spec.key));
}

Params Classroom::params() const {
  std::vector<std::string> assignments;
  for (std::size_t i = 0; i < lesson_->params.size(); ++i)
    assignments.push_back(assignment_of(lesson_->params[i], param_values_[i]));
  return Params::resolve(lesson_->params, assignments);
}

void Classroom::note(std::string text, bool error) {
  status_ = std::move(text);
  status_key_.clear();
  status_args_.clear();
  status_is_error_ = error;
}

void Classroom::note_key(std::string key, std::vector<std::string> args, bool error) {
  note({}, error);
  status_key_ = std::move(key);
  status_args_ = std::move(args);
}

bool Classroom::start(bool stepping, std::optional<Schedule> replay, bool step_by_step, int replay_of) {
  RunOptions options;
  options.lesson = lesson_;
  options.speed = speed_;
  options.seed = replay ? std::optional<std::uint64_t>(replay->seed) : seed_;
  options.start_stepping = stepping;
  options.replay_step_by_step = options.step_after_replay = replay && step_by_step;
  options.replay = std::move(replay);
  auto chosen = std::find_if(programs_.begin(), programs_.end(), [this](const auto& p) { return &p->lesson == lesson_; });
  if (chosen != programs_.end()) {
    Program* program = chosen->get();
    options.program = {program->file()};
    options.program.insert(options.program.end(), program->args.begin(), program->args.end());
    if (program->tutorial_of) {  // in the run's own folder, with the files the tutorial made by hand
      options.program_in_run_dir = true;
      options.program_files = program->tutorial.setup_files;
    }
    // The Code view shows what runs: the file as it is now (it may have been edited since it was opened).
    try {
      std::string source = read_input_file(program->file(), "Python program", Program::kMaxSourceBytes);
      if (source != program->source) {
        program->source = std::move(source);
        ++programs_revision_;
      }
    } catch (const std::exception&) {  // the run itself reports what is wrong with the file
    }
  }
  try {
    options.params = params();
    auto record = std::make_unique<RunRecord>(next_number_, std::make_unique<Run>(std::move(options)), replay_of);
    ++next_number_;
    live_ = shown_ = record.get();
    runs_.push_back(std::move(record));
    note({}, false);
    forget_oldest();
    return true;
  } catch (const std::exception& e) {  // UsageError, SystemFailure, ForkError: the machine or the input said no
    note(e.what(), true);
    return false;
  }
}

bool Classroom::run() {
  if (live_) {
    Run& run = *live_->run();
    if (run.replaying()) run.replay_through();  // the rest of the schedule in its order, then freely
    else run.set_mode(GateMode::Run);
    return true;
  }
  return start(false);
}

void Classroom::pause() {
  if (live_) live_->run()->set_mode(GateMode::Step);
}

bool Classroom::step(std::int32_t pid) {
  if (!live_) {
    // A finished run stays on the screen: a step past its end must not quietly replace it with a new run.
    if (shown_) {
      note_key("status.run_ended", {}, false);
      return false;
    }
    return start(true);
  }
  // A step asked for a process that is not at the gate would wait for it, and every step after it too.
  if (pid != 0 && !held_at_gate(pid)) return false;
  live_->run()->request_step(pid);
  return true;
}

bool Classroom::held_at_gate(std::int32_t pid) const {
  return std::any_of(held_.begin(), held_.end(), [&](const HeldProcess& h) { return h.pid == pid; });
}

void Classroom::reset() {
  held_.clear();
  if (!live_) {
    shown_ = nullptr;
    return;
  }
  live_->run()->stop();
  std::erase_if(runs_, [this](const auto& r) { return r.get() == live_; });
  live_ = shown_ = nullptr;
}

bool Classroom::can_go_back() const {
  const RunRecord* record = live_ ? live_ : shown_;
  return record && record->run() && !record->run()->schedule().steps.empty() && (!record->live() || paused());
}

bool Classroom::back() {
  RunRecord* record = live_ ? live_ : shown_;
  if (!can_go_back()) {
    note_key("status.nothing_to_undo");
    return false;
  }
  try {
    record->replace_run(step_back(*record->run(), kBackTimeoutSeconds));
  } catch (const std::exception& e) {  // the machine said no (fork refused), or the replay could not go on
    note_key("status.back_failed", {one_line(e.what())}, true);
    return false;
  }
  live_ = shown_ = record;
  held_ = record->run()->held();
  note_key("status.back", {std::to_string(record->run()->schedule().steps.size())});
  return true;
}

std::optional<Schedule> Classroom::shown_schedule() const {
  if (!shown_ || !shown_->run() || shown_->run()->schedule().steps.empty()) return std::nullopt;
  return shown_->run()->schedule();
}

bool Classroom::save_schedule(const std::filesystem::path& file) {
  const std::optional<Schedule> schedule = shown_schedule();
  if (!schedule) {
    note_key("status.no_schedule", {}, true);
    return false;
  }
  try {
    schedule->save(file);
  } catch (const std::exception& e) {
    note(one_line(e.what()), true);
    return false;
  }
  note_key("status.schedule_saved", {std::to_string(schedule->steps.size()), file.string()});
  return true;
}

bool Classroom::replay(const Schedule& schedule, bool step_by_step) {
  const int replay_of = shown_ && shown_->run() && shown_->run()->schedule().steps == schedule.steps ? shown_->number() : -1;
  try {
    if (schedule.lesson.ends_with(".py")) {
      open_program(schedule.lesson);
    } else {
      const Lesson* lesson = scenarios::find(schedule.lesson);
      if (!lesson || lesson->hidden) throw UsageError(fmt::format("the schedule is for lesson '{}', which does not exist", schedule.lesson));
      select(*lesson);
      set_params(Params::from_json(lesson->params, schedule.params));  // UsageError: unknown or out-of-range values
    }
  } catch (const std::exception& e) {
    note(one_line(e.what()), true);
    return false;
  }
  reset();
  if (!start(step_by_step, schedule, step_by_step, replay_of)) return false;
  note_key("status.replaying", {std::to_string(schedule.steps.size())});
  return true;
}

bool Classroom::explore(std::size_t budget) {
  if (program()) {
    note_key("status.explore_lessons_only", {}, true);
    return false;
  }
  try {
    ExploreOptions options;
    options.lesson = lesson_;
    options.params = params();
    options.seed = seed_.value_or(std::random_device{}());
    options.budget = budget;
    explorer_ = std::make_unique<Explorer>(std::move(options));
  } catch (const std::exception& e) {
    note(one_line(e.what()), true);
    return false;
  }
  note_key("status.exploring");
  return true;
}

void Classroom::stop_exploring() {
  if (!explorer_) return;
  explorer_->stop();
  if (!explorer_->done()) explorer_.reset();
}

void Classroom::explore_a_slice() {
  if (!explorer_ || explorer_->done()) return;
  try {
    if (!explorer_->work_for(kExploreSliceSeconds)) return;
  } catch (const std::exception& e) {  // a try could not run (fork refused, a stuck run past its deadline)
    explorer_.reset();
    note(one_line(e.what()), true);
    return;
  }
  const ExploreResult& r = explorer_->result();
  // What it found is said under the button, in the language (explore_finding_text).
  if (r.found) note_key("status.explore_found", {std::to_string(r.tried), std::to_string(r.steps)});
  else note_key("status.explore_none", {std::to_string(r.tried)});
}

const Deadlock* Classroom::deadlock() const {
  if (!shown_) return nullptr;
  if (const Run* run = shown_->run(); run && !run->finished()) return run->deadlock() ? &*run->deadlock() : nullptr;
  return shown_->facts().deadlock ? &*shown_->facts().deadlock : nullptr;
}

void Classroom::set_speed(double factor) {
  speed_ = std::clamp(factor, kMinSpeed, kMaxSpeed);
  if (live_) live_->run()->set_speed(speed_);
}

bool Classroom::paused() const { return live_ && live_->run()->mode() == GateMode::Step; }

bool Classroom::step_in_progress() const { return live_ && live_->run()->step_in_progress(); }

void Classroom::poll() {
  explore_a_slice();
  if (!live_) return;
  Run& run = *live_->run();
  run.poll();
  if (!run.finished()) {
    held_ = run.held();
    return;
  }
  held_.clear();
  live_->collect_facts();
  // A deadlock needs no words here: the status line draws its cycle in the chosen language.
  if (live_->facts().main_exitcode != 0 && !run.report().deadlock) {
    if (live_->facts().failure.empty()) note_key("status.lesson_exit", {live_->lesson(), std::to_string(live_->facts().main_exitcode)}, true);
    else note(fmt::format("{}: {}", live_->lesson(), live_->facts().failure), true);  // the program's own error, or who was stuck
  }
  live_ = nullptr;
}

RunRecord& Classroom::add(TraceModel model, RunFacts facts) {
  runs_.push_back(std::make_unique<RunRecord>(next_number_++, std::move(model), std::move(facts)));
  forget_oldest();
  return *runs_.back();
}

RunRecord& Classroom::open_trace(TraceModel model, RunFacts facts) {
  const Lesson* lesson = scenarios::find(facts.lesson);
  if (lesson && !lesson->hidden) {
    select(*lesson);
    try {
      set_params(Params::from_json(lesson->params, facts.params));
    } catch (const UsageError&) {  // a trace of an older build with other bounds: the form keeps the defaults
    }
  }
  RunRecord& record = add(std::move(model), std::move(facts));
  show(&record);
  return record;
}

void Classroom::forget_oldest() {
  while (runs_.size() > kKeptRuns) {
    auto victim = std::find_if(runs_.begin(), runs_.end(),
                               [this](const auto& r) { return r.get() != live_ && r.get() != shown_; });
    if (victim == runs_.end()) return;
    runs_.erase(victim);
  }
}

}  // namespace forkscope::gui
