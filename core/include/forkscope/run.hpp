// One run of a lesson, seen from the viewer (the CLI, the GUI, a test). The viewer never runs lesson code: it makes
// the session, launches the lesson's main process as its child (exec'ing forkscope-lesson, which is safe from a
// multi-threaded GUI), drains the trace into a TraceModel, drives the gate, and at the end reaps every lesson
// process and removes the segment and the run directory. Every lesson process dies with the viewer.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forkscope/lesson.hpp"
#include "forkscope/paths.hpp"
#include "forkscope/session.hpp"
#include "forkscope/trace_drain.hpp"
#include "forkscope/trace_model.hpp"

namespace forkscope {

// The steps a teacher granted, by process name (names are stable from run to run; PIDs are not).
struct Schedule {
  std::string lesson;
  nlohmann::json params = nlohmann::json::object();
  std::uint64_t seed = 0;
  std::vector<std::string> steps;

  static constexpr std::size_t kMaxSteps = 100'000;
  static constexpr std::uint64_t kMaxFileBytes = 16ull << 20;

  [[nodiscard]] nlohmann::json to_json() const;
  // UsageError when malformed: wrong types, a seed that is not an integer 0..2^64-1, more than kMaxSteps steps, a
  // step that is not a process name. The lesson and its parameters are checked by whoever knows the lessons.
  [[nodiscard]] static Schedule from_json(const nlohmann::json& j);
  void save(const std::filesystem::path& file) const;  // atomically; SystemFailure when it cannot write
  // UsageError: unreadable, not a regular file, over kMaxFileBytes, not JSON, nested too deep, malformed.
  [[nodiscard]] static Schedule load(const std::filesystem::path& file);
};

// Python's process names as Forkscope gives them (MainProcess, Process-N[:M...], ForkPoolWorker-N[:M...],
// SyncManager-N[:M...])
// and names lessons give (letters, digits, '_', '.', '-'; at most 63 bytes).
[[nodiscard]] bool is_process_name(std::string_view name);

struct RunOptions {
  const Lesson* lesson = nullptr;
  Params params;
  std::optional<std::uint64_t> seed;  // random when absent
  double speed = 1.0;
  bool start_stepping = false;        // every process holds at its first operation until granted
  std::optional<Schedule> replay;     // grants exactly these steps, then lets the lesson run
  bool step_after_replay = false;     // with `replay`: once its last step has settled, stay in Step mode (Back)
  // With `replay`: each of its steps waits for request_step (the teacher's N), so a class walks through a saved or
  // found interleaving; the first `replay_free_steps` are granted at once (Back re-runs them). A step asked of another
  // process than the schedule's next leaves the schedule: from there on the run is stepped as usual.
  bool replay_step_by_step = false;
  std::size_t replay_free_steps = 0;
  // Fork the lesson main from this process instead of exec'ing forkscope-lesson. Only for single-threaded
  // callers (tests and benchmarks whose lesson is not registered); refused when the caller has threads.
  bool fork_in_process = false;
  std::filesystem::path runner;       // forkscope-lesson; empty: next to this executable
  // A Python program instead of a C++ lesson: its file and arguments (the lesson is python_program_lesson()). Its
  // main process is Debian's python3.11 running forkscope._boot (core/python/forkscope), with the program's cwd.
  std::vector<std::string> program;
  std::filesystem::path program_cwd;  // where the program runs; empty: the viewer's working directory
  // Or in the run's own directory (removed at the end), with these files written there first (name -> text): a
  // tutorial's program that reads a file the tutorial made by hand.
  bool program_in_run_dir = false;
  std::map<std::string, std::string> program_files;
  SessionLimits limits;
  // Drain only when a ring is half full or the lesson has ended, so the viewer stays off the CPUs the lesson's
  // processes are measured on (benchmarks). Every event still reaches the model; live views want this off.
  bool lazy_drain = false;
};

struct HeldProcess {
  std::int32_t pid = 0;
  std::string name;
  EventKind op = EventKind::Mark;  // what it is about to do
  std::uint16_t object = 0;
  std::string detail;    // more about it: a mark's label, a counter's "= 2" or "+= 1", a put's item
  bool blocked = false;  // blocked while stepping: a grant makes it try again
  bool ready = false;    // blocked, but its object changed: the retry may succeed
  bool timed = false;    // blocked with a timeout: grantable at any time; a retry that fails times out
  bool asleep = false;   // sleeping while stepping (lesson time stands still): a grant ends the sleep
  std::uint64_t order = 0;
  std::uint32_t slot = 0;  // the order processes were started in: the same from run to run for the same steps
  // A step may be granted to it now (request_step would take it).
  [[nodiscard]] bool grantable() const { return !blocked || ready || timed; }
};

// What a held process will do next, in English: "buy: read info" (a mark's label), "tickets left = 2",
// "put 'x' into Queue 'q'", "acquire Lock 'mutex'".
[[nodiscard]] std::string next_operation(const HeldProcess& held, const TraceModel& model);

class Run {
 public:
  explicit Run(RunOptions options);  // UsageError, SystemFailure; nothing is left behind when it throws
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // Drains the trace into the model, reaps, grants pending or replayed steps. Never blocks for long.
  // UsageError when a replayed schedule names a process that cannot appear (every process waits at the gate).
  std::size_t poll();
  [[nodiscard]] bool finished() const { return finished_; }
  // poll() until finished; past the deadline, stops the run and throws SystemFailure.
  const RunReport& wait(double timeout_seconds);
  void stop();  // kills every lesson process now (Reset); the report notes it

  void set_mode(GateMode mode);
  [[nodiscard]] GateMode mode() const;
  void set_speed(double factor);
  [[nodiscard]] double speed() const;
  [[nodiscard]] std::vector<HeldProcess> held() const;
  // One step: the next operation of any process (pid 0: the one waiting longest) or of that process.
  // poll() grants it once a candidate is held and the previous step has settled. Switches to Step mode.
  void request_step(std::int32_t pid = 0);
  // A step was asked for and has not settled yet (its process has not reached its next stop).
  [[nodiscard]] bool step_in_progress() const { return !pending_.empty() || settling_.has_value(); }
  // request_step, then poll() until it was granted and has settled. Returns who moved; throws past the deadline.
  std::string step(std::int32_t pid = 0, double timeout_seconds = 10);
  // Every step granted so far, replayed ones included (a run made by step_back holds the prefix it replayed).
  [[nodiscard]] const Schedule& schedule() const { return schedule_; }
  [[nodiscard]] std::size_t replay_position() const { return replay_at_; }
  // A replayed schedule still has steps to grant.
  [[nodiscard]] bool replaying() const { return options_.replay.has_value(); }
  // The replay's remaining steps are granted without waiting for request_step, then the run goes on freely (Run).
  void replay_through();
  // poll() until every step of the replayed schedule was granted and every live process has stopped again (held at the
  // gate, blocked while stepping, logically asleep, or ended): the state a teacher saw before the next step. True then;
  // false when the run finished first. Throws SystemFailure past the deadline (the run is stopped). Without a replay,
  // it waits for the last step to settle and the model to hold every event written so far.
  bool finish_replay(double timeout_seconds);
  [[nodiscard]] const RunOptions& options() const { return options_; }
  // Every live process waits at the gate, for a grant, or for another process's step (a manager's reply), and none
  // is being born: held() is the whole picture, so which process to grant next does not depend on timing (the
  // explorer chooses only then).
  [[nodiscard]] bool all_held() const;
  // While stepping, once every live process is blocked and nothing any step could do moves the run: why (the
  // deadlock's text when the waiters wait for each other, else who died and who waits for what). The run goes on (the
  // teacher may step back); a free-running run is ended instead (report().stuck). Empty while something can move.
  [[nodiscard]] const std::string& stalled() const { return stalled_; }
  // The wait-for cycle, found while stepping (the run goes on) or when a free run was ended as stuck.
  [[nodiscard]] const std::optional<Deadlock>& deadlock() const { return deadlock_; }

  [[nodiscard]] const TraceModel& model() const { return model_; }
  [[nodiscard]] const RunReport& report() const { return report_; }
  [[nodiscard]] pid_t main_pid() const { return main_pid_; }
  [[nodiscard]] const std::string& session_name() const;
  [[nodiscard]] const std::filesystem::path& run_dir() const { return run_dir_; }
  [[nodiscard]] std::uint64_t seed() const { return seed_; }
  [[nodiscard]] const Lesson& lesson() const { return *options_.lesson; }

 private:
  void launch();
  std::size_t drain(bool everything = false);  // everything: the run is over, release what was held back
  [[nodiscard]] bool ring_half_full() const;
  void try_grant();
  [[nodiscard]] std::optional<std::string> replay_cannot_go_on(const std::string& name) const;
  void grant(std::uint32_t slot_index);
  [[nodiscard]] bool stopped(std::uint32_t slot_index) const;
  [[nodiscard]] bool settled(std::uint32_t slot_index) const;
  [[nodiscard]] bool everyone_stopped() const;
  void wait_for_a_stop(std::uint32_t seen) const;  // or a millisecond; `seen`: the gate's `stops` before looking
  [[nodiscard]] bool grantable(std::uint32_t slot_index) const;
  [[nodiscard]] bool retry_may_succeed(std::uint32_t slot_index) const;  // blocked while stepping
  [[nodiscard]] bool names(std::int32_t pid, const std::string& name) const;  // that process has that name
  void collect();
  void kill_and_reap_all();
  void watch_for_stuck(std::size_t events_drained);
  void watch_while_stepping();
  [[nodiscard]] std::optional<Deadlock> find_deadlock() const;
  [[nodiscard]] std::string explain_stuck(std::string_view ending) const;
  void wake_all();

  RunOptions options_;
  std::uint64_t seed_ = 0;
  std::unique_ptr<Session> session_;
  std::filesystem::path run_dir_;
  pid_t main_pid_ = 0;
  bool reaped_all_ = false;
  int main_status_ = 0;
  std::vector<std::pair<pid_t, int>> reaped_;  // by kill_and_reap_all: pid, wait status
  bool finished_ = false;
  bool stopped_ = false;
  std::int64_t started_ns_ = 0;
  TraceDrain drain_;
  TraceModel model_;
  RunReport report_;
  Schedule schedule_;
  std::vector<std::int32_t> pending_;            // requested steps (0: any process)
  std::optional<std::uint32_t> settling_;        // the slot granted last, until it stops running
  std::uint32_t born_from_ = 0;                  // slots from here on were born during the last step
  std::vector<std::uint32_t> stood_still_;       // slots stopped when the last step was granted: woken, they run in it
  std::size_t replay_at_ = 0;
  std::int64_t quiet_since_ns_ = 0;  // since when every live process has waited without a timeout (0: not now)
  std::int64_t next_stuck_check_ns_ = 0;
  std::string stalled_;
  std::optional<Deadlock> deadlock_;
};

// Back: a new run of the same lesson, parameters and seed that replays `run`'s schedule but its last step and stays in
// Step mode, returned once it stands where `run` stood before that step (finish_replay). Lanes keep their names; the
// processes are re-run, so their PIDs are new. Its schedule() is that prefix, so Back can repeat down to step 0. The
// lesson `run` points to must outlive the new run. UsageError when `run` has no step to take back; SystemFailure when
// the replay does not stand still within the timeout.
[[nodiscard]] std::unique_ptr<Run> step_back(const Run& run, double timeout_seconds = 30);

// How long every live process must wait for ever, with no event, before the viewer ends the run as stuck.
inline constexpr std::int64_t kStuckAfterNs = 1'000'000'000;

// ---- Python programs ---- (where the interpreter, the package and the tutorials are: forkscope/paths.hpp)
// The lesson a Python program runs as: its id is the file as given, no parameters; its check reports the exit code.
// UsageError when the file is missing, not a regular file, or unreadable.
[[nodiscard]] Lesson python_program_lesson(const std::string& file);
// The tutorials' own code (tutorial_programs_dir()): the examples a lesson mirrors, in tutorial order, from the
// folder's index.json. Empty when the lesson mirrors none.
struct TutorialProgram {
  std::filesystem::path file;
  std::string title_en, title_zh;
  std::map<std::string, std::string> setup_files;
  bool blocks_forever = false;  // as written, it waits for ever in CPython too (the lesson text says why)
};
[[nodiscard]] std::vector<TutorialProgram> tutorial_programs_for(const std::string& lesson_id);

// How the program's main process reports that its file could not run at all (unreadable, a syntax error): the
// result's "bad_program", and this exit code.
inline constexpr int kBadProgramExitCode = 2;

}  // namespace forkscope
