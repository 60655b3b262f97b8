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
  RunRecord(int number, std::unique_ptr<Run> run);
  RunRecord(int number, TraceModel model, RunFacts facts);

  [[nodiscard]] int number() const { return number_; }
  [[nodiscard]] const TraceModel& model() const { return run_ ? run_->model() : loaded_; }
  [[nodiscard]] Run* run() { return run_.get(); }
  [[nodiscard]] const Run* run() const { return run_.get(); }
  [[nodiscard]] bool live() const { return run_ && !run_->finished(); }
  [[nodiscard]] const RunFacts& facts() const { return facts_; }
  [[nodiscard]] const std::string& lesson() const { return facts_.lesson; }
  // "#3 ticket-lock lock=false": how lists and the comparison name it.
  [[nodiscard]] std::string label() const;
  // Where the trace ends for drawing: the trace clock's now while live (open spans grow), else the last event.
  [[nodiscard]] std::int64_t now_ns() const;
  [[nodiscard]] TrackWindow whole() const { return TrackWindow{0, 0, kOpenEnd, now_ns()}; }
  void collect_facts();  // once the Run finished

 private:
  int number_;
  std::unique_ptr<Run> run_;
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
  [[nodiscard]] std::vector<double>& param_values() { return param_values_; }
  void set_params(const Params& params);
  void reset_params();
  [[nodiscard]] Params params() const;  // the form's values, checked against the lesson's bounds

  // The toolbar. Each returns false (and sets status()) when a run could not start.
  bool run();                        // a new run, or resume a paused one
  void pause();                      // every process stops at its next operation
  // One operation of any process, or of `pid` if it waits at the gate; starts a paused run when none is live.
  bool step(std::int32_t pid = 0);
  void reset();                      // stops the live run and clears the timeline
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

  [[nodiscard]] const std::string& status() const { return status_; }
  [[nodiscard]] bool status_is_error() const { return status_is_error_; }

  static constexpr double kMinSpeed = 0.1;
  static constexpr double kMaxSpeed = 10.0;
  static constexpr std::size_t kKeptRuns = 16;

 private:
  bool start(bool stepping);
  Program& load_program(const std::string& file, std::vector<std::string> args);
  void forget_oldest();
  void note(std::string text, bool error);

  const Lesson* lesson_;
  std::vector<std::unique_ptr<Program>> programs_;
  std::map<std::string, std::vector<TutorialProgram>> tutorials_;  // by lesson id
  std::uint64_t programs_revision_ = 0;
  std::vector<double> param_values_;
  double speed_;
  std::optional<std::uint64_t> seed_;
  std::vector<std::unique_ptr<RunRecord>> runs_;
  RunRecord* live_ = nullptr;
  RunRecord* shown_ = nullptr;
  std::vector<HeldProcess> held_;
  int next_number_ = 1;
  std::string status_;
  bool status_is_error_ = false;
};

// "tickets=3", "lock=false": a form value as --set takes it.
[[nodiscard]] std::string param_assignment(const ParamSpec& spec, double value);

}  // namespace forkscope::gui
