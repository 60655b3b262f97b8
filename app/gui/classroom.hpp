// The teacher's side of the viewer, with no drawing in it: the chosen lesson and its parameters, the live run and the
// toolbar's actions on it, and the runs of this session, kept for comparison. Like Run, it lives on the main thread:
// the GUI has threads, and a lesson main's parent-death signal belongs to the thread that started it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forkscope/explore.hpp"
#include "forkscope/lesson.hpp"
#include "forkscope/run.hpp"
#include "forkscope/trace_model.hpp"
#include "timeline_layout.hpp"

namespace forkscope::gui {

// What is known about a run once it ended (or about a saved trace), for the result panel and the comparison.
struct RunFacts {
  std::string lesson;
  nlohmann::json params = nlohmann::json::object();
  std::uint64_t seed = 0;
  double speed = 1;
  double wall_seconds = 0;
  int main_exitcode = 0;
  std::string failure;  // the lesson main's uncaught error, if it failed
  nlohmann::json result = nlohmann::json::object();
  std::vector<Invariant> invariants;
  std::optional<Deadlock> deadlock;  // the viewer ended it: every process waited for another, in this cycle
  std::optional<LessonPoint> point;  // the lesson's point, when this run showed it (the status line's banner)

  [[nodiscard]] bool invariants_ok() const;
  [[nodiscard]] static RunFacts from_summary(const nlohmann::json& summary);  // a saved trace's meta (the CLI's --json)
};

// A Python program opened in the viewer: the lesson it runs as (its id is the file as given), its arguments (its
// sys.argv[1:]) and its source as read when it was opened or last run, for the Code view. A tutorial's own code
// belongs to the C++ lesson that mirrors it (`tutorial_of`): it runs in the run's own folder, with the files the
// tutorial made by hand, as `forkscope-cli run LESSON --python` runs it.
struct Program {
  Lesson lesson;
  std::vector<std::string> args;
  std::string source;
  const Lesson* tutorial_of = nullptr;
  TutorialProgram tutorial;  // its entry in the tutorials' index, when tutorial_of is set
  [[nodiscard]] const std::string& file() const { return lesson.id; }
  [[nodiscard]] std::string file_name() const;  // "x.py": how lists and titles name it

  static constexpr std::uint64_t kMaxSourceBytes = 1u << 20;
};

// One run of the session: a live or finished Run, or a trace that was loaded (or made up, for the frame benchmark).
class RunRecord {
 public:
  // `replay_of`: the run whose schedule this one replays (0: a run of its own; -1: a schedule opened from a file).
  RunRecord(int number, std::unique_ptr<Run> run, int replay_of = 0);
  RunRecord(int number, TraceModel model, RunFacts facts);

  [[nodiscard]] int number() const { return number_; }
  [[nodiscard]] const TraceModel& model() const { return run_ ? run_->model() : loaded_; }
  [[nodiscard]] Run* run() { return run_.get(); }
  [[nodiscard]] const Run* run() const { return run_.get(); }
  [[nodiscard]] bool live() const { return run_ && !run_->finished(); }
  [[nodiscard]] const RunFacts& facts() const { return facts_; }
  [[nodiscard]] const std::string& lesson() const { return facts_.lesson; }
  // "#3 ticket-lock lock=false": how lists and the comparison name it; a replay ends with `replay_mark` ("↺ #2").
  [[nodiscard]] std::string label(std::string_view replay_mark = "replay") const;
  [[nodiscard]] int replay_of() const { return replay_of_; }
  // Back: the same run, re-executed up to a step before where it was (new processes, so new PIDs; the same names).
  void replace_run(std::unique_ptr<Run> run);
  // Where the trace ends for drawing: the trace clock's now while live (open spans grow), else the last event.
  [[nodiscard]] std::int64_t now_ns() const;
  [[nodiscard]] TrackWindow whole() const { return TrackWindow{0, 0, kOpenEnd, now_ns()}; }
  void collect_facts();  // once the Run finished

 private:
  int number_;
  std::unique_ptr<Run> run_;
  int replay_of_ = 0;
  TraceModel loaded_;
  RunFacts facts_;
};

class Classroom {
 public:
  explicit Classroom(const Lesson& lesson, double speed = 1.0);
  ~Classroom();
  Classroom(const Classroom&) = delete;
  Classroom& operator=(const Classroom&) = delete;

  [[nodiscard]] const Lesson& lesson() const { return *lesson_; }
  void select(const Lesson& lesson);  // resets a live run; shows that lesson's latest run, if any
  // Chooses a Python program instead of a lesson (opening the same file again takes the new arguments and reads
  // it again). UsageError: missing, not a regular file, unreadable, over Program::kMaxSourceBytes.
  const Program& open_program(const std::string& file, std::vector<std::string> args = {});
  // The tutorial's own Python examples `lesson` mirrors (read once per lesson; empty when none, or when the index
  // cannot be read).
  [[nodiscard]] const std::vector<TutorialProgram>& tutorial_programs(const Lesson& lesson);
  // Switches `lesson` to its tutorial example `example` (an index into tutorial_programs(lesson)): the Code view
  // shows that file and Run runs it. select(lesson) switches back. UsageError: no such example, unreadable file.
  const Program& open_tutorial(const Lesson& lesson, std::size_t example);
  // The same from the GUI: false (and status() says why) when the file cannot be read.
  bool choose_tutorial(const Lesson& lesson, std::size_t example);
  // The first example that ends by itself (as forkscope-cli run LESSON --python picks it); nullopt when none does.
  [[nodiscard]] std::optional<std::size_t> default_tutorial(const Lesson& lesson);
  // The C++ lesson whose tutorial code is chosen, or nullptr.
  [[nodiscard]] const Lesson* tutorial_lesson() const {
    const Program* p = program();
    return p ? p->tutorial_of : nullptr;
  }
  // The chosen lesson's program, or nullptr when it is a C++ lesson.
  [[nodiscard]] const Program* program() const { return program_of(*lesson_); }
  [[nodiscard]] const Program* program_of(const Lesson& lesson) const;
  // The tutorial lists read so far, by lesson id (the font atlas notes their titles).
  [[nodiscard]] const std::map<std::string, std::vector<TutorialProgram>>& tutorials_read() const { return tutorials_; }
  // Every program opened in this session, in the order opened (runs keep pointing at their lessons).
  [[nodiscard]] const std::vector<std::unique_ptr<Program>>& programs() const { return programs_; }
  // Changes whenever a program is opened or its source read again, or a lesson's tutorial list is read (the font
  // atlas notes the new text).
  [[nodiscard]] std::uint64_t programs_revision() const { return programs_revision_; }
  // The parameter form's values, in the order of lesson().params (bools as 0/1).
  [[nodiscard]] std::vector<ParamValue>& param_values() { return param_values_; }
  void set_params(const Params& params);
  void reset_params();
  [[nodiscard]] Params params() const;  // the form's values, checked against the lesson's bounds

  // The toolbar. Each returns false (and sets status()) when a run could not start.
  bool run();                        // a new run, or resume a paused one
  void pause();                      // every process stops at its next operation
  // One operation of any process, or of `pid` if it waits at the gate; starts a paused run when none is live.
  bool step(std::int32_t pid = 0);
  void reset();                      // stops the live run and clears the timeline
  // Back (B): the shown stepped run as it was before its last step. Its other steps are replayed into new processes
  // (the same names, new PIDs), and it is paused again: on a live stepping run, and on a finished one that was
  // stepped. False (and a status line) when there is no step to take back or the replay failed.
  bool back();
  [[nodiscard]] bool can_go_back() const;
  // The steps granted in the shown run, as a schedule (its lesson, parameters and seed); none for a loaded trace or a
  // run nobody stepped.
  [[nodiscard]] std::optional<Schedule> shown_schedule() const;
  bool save_schedule(const std::filesystem::path& file);  // false (and the status line says why) when it cannot write
  // Replays a schedule (a saved one, or one explore found): its lesson or Python program, parameters and seed are
  // chosen, and a new run grants its steps in order. `step_by_step`: each of its steps waits for Step (N), so a
  // class can walk through a found race; otherwise it runs through and then goes on freely.
  bool replay(const Schedule& schedule, bool step_by_step);

  // Find a race (explore): searches schedules of the chosen lesson with the form's parameters for one that breaks its
  // invariants, deadlocks or changes its outcome. It works a slice of each frame (poll), on this thread like every
  // run; the search ends by itself (found, or the budget spent) or with stop_exploring().
  bool explore(std::size_t budget = kExploreBudget);
  void stop_exploring();
  [[nodiscard]] const Explorer* explorer() const { return explorer_.get(); }
  // The cycle of the shown run's deadlock: found while stepping (the run waits for Back or Reset), or the reason the
  // viewer ended a free run.
  [[nodiscard]] const Deadlock* deadlock() const;
  void set_speed(double factor);     // clamped to kMinSpeed..kMaxSpeed
  void set_seed(std::optional<std::uint64_t> seed) { seed_ = seed; }  // runs to come; none: a new one each run
  [[nodiscard]] double speed() const { return speed_; }

  void poll();  // every frame: drains the live run; a run that ended keeps its place in runs()
  [[nodiscard]] bool live() const { return live_ != nullptr; }
  [[nodiscard]] bool paused() const;
  [[nodiscard]] bool step_in_progress() const;
  [[nodiscard]] const std::vector<HeldProcess>& held() const { return held_; }
  [[nodiscard]] bool held_at_gate(std::int32_t pid) const;

  [[nodiscard]] RunRecord* shown() { return shown_; }  // what the timeline shows (nullptr: nothing yet)
  [[nodiscard]] const RunRecord* shown() const { return shown_; }
  void show(RunRecord* record) { shown_ = record; }
  [[nodiscard]] const std::vector<std::unique_ptr<RunRecord>>& runs() const { return runs_; }
  RunRecord& add(TraceModel model, RunFacts facts);  // a loaded trace joins the session's runs
  // A saved run opened (Open…, --open): it joins the session's runs and is shown, on its own lesson when that is one
  // of ours, with the parameter form set to the run's own parameters (the values a Run would use to make it again).
  RunRecord& open_trace(TraceModel model, RunFacts facts);

  // The status line: a UI string's key and its arguments (translated by the panel), or a text from the core.
  [[nodiscard]] const std::string& status() const { return status_; }
  [[nodiscard]] const std::string& status_key() const { return status_key_; }
  [[nodiscard]] const std::vector<std::string>& status_args() const { return status_args_; }
  [[nodiscard]] bool status_is_error() const { return status_is_error_; }
  // The status line says a UI string (its key and arguments), as the shell's exports do.
  void note_key(std::string key, std::vector<std::string> args = {}, bool error = false);

  static constexpr double kMinSpeed = 0.1;
  static constexpr double kMaxSpeed = 10.0;
  static constexpr std::size_t kKeptRuns = 16;
  static constexpr double kBackTimeoutSeconds = 10;
  static constexpr std::size_t kExploreBudget = 200;
  static constexpr double kExploreSliceSeconds = 0.012;  // of each frame

 private:
  bool start(bool stepping, std::optional<Schedule> replay = {}, bool step_by_step = false, int replay_of = 0);
  Program& load_program(const std::string& file, std::vector<std::string> args);
  void forget_oldest();
  void note(std::string text, bool error);
  void explore_a_slice();

  const Lesson* lesson_;
  std::vector<std::unique_ptr<Program>> programs_;
  std::map<std::string, std::vector<TutorialProgram>> tutorials_;  // by lesson id
  std::uint64_t programs_revision_ = 0;
  std::vector<ParamValue> param_values_;  // the form's, one per parameter
  double speed_;
  std::optional<std::uint64_t> seed_;
  std::vector<std::unique_ptr<RunRecord>> runs_;
  RunRecord* live_ = nullptr;
  RunRecord* shown_ = nullptr;
  std::vector<HeldProcess> held_;
  std::unique_ptr<Explorer> explorer_;
  int next_number_ = 1;
  std::string status_;
  std::string status_key_;
  std::vector<std::string> status_args_;
  bool status_is_error_ = false;
};

}  // namespace forkscope::gui
