// What Forkscope's tests share: run a lesson body in real processes (forked from the test, with a deadline),
// run the CLI as a user would, and check that nothing was left behind.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "forkscope/forkscope.hpp"
#include "forkscope/run.hpp"

namespace forkscope::testing {

struct InlineOptions {
  double speed = 1.0;
  bool start_stepping = false;
  double timeout_seconds = 60;  // every run has a deadline; past it the run is stopped and the test fails
  SessionLimits limits;
  std::vector<ParamSpec> params;
  std::vector<std::string> sets;
};

// A lesson whose body is a lambda of the test, run to its end. The Run stays alive for inspection.
class InlineRun {
 public:
  explicit InlineRun(std::function<void(LessonContext&)> body, InlineOptions options = {});
  [[nodiscard]] const RunReport& report() const { return run_->report(); }
  [[nodiscard]] const TraceModel& model() const { return run_->model(); }
  [[nodiscard]] Run& run() { return *run_; }
  // Texts of the printed lines, in time order.
  [[nodiscard]] std::vector<std::string> lines() const;
  // The Error lines (uncaught exceptions), "ValueError: ...".
  [[nodiscard]] std::vector<std::string> errors() const;
  [[nodiscard]] const ProcessInfo& process(std::string_view name) const;

 private:
  std::unique_ptr<Lesson> lesson_;
  std::unique_ptr<Run> run_;
};

// A lesson body: a child puts five items into a Queue(2) named "q", the main process gets and prints them.
void five_items_through_a_queue(LessonContext& lesson);

// The error a call raised, as a Python traceback ends: "KeyError: 'x'" ("" when it returned).
template <class Call>
std::string error_of(Call&& call) {
  try {
    call();
  } catch (const LessonError& e) {
    return fmt::format("{}: {}", e.python_name(), e.what());
  }
  return "";
}

// One Value of every kind a lesson can send (bools, bytes, a 1-tuple, nested containers, texts too long to travel
// inline in a queue cell), each with the text Python's repr() prints for it.
struct ValueSample {
  Value value;
  std::string python_repr;
};
[[nodiscard]] std::vector<ValueSample> value_samples();
[[nodiscard]] std::vector<Value> sample_values();  // the values of value_samples()
[[nodiscard]] std::vector<std::string> sample_reprs();  // their Python reprs, in the same order
[[nodiscard]] std::vector<std::string> reprs(const std::vector<Value>& values);

// Starts an inline run without waiting (for stepping tests).
// A hidden lesson for a test: an id, a body, nothing checked afterwards.
Lesson test_lesson(std::string id, std::function<void(LessonContext&)> body, std::vector<ParamSpec> params = {});
std::unique_ptr<Run> start_inline(Lesson& lesson, InlineOptions options);

// Steps the process named `name` once it waits for a step (held at the gate, or blocked and ready for a retry).
// Throws when it does not within the timeout.
void step_process(Run& run, const std::string& name, double timeout = 10);

// What a teacher can tell of a run, without times or PIDs: per process (by name) its operations in order (kind, phase,
// object), each object's counter values in order, the printed lines ("Process-1: text"), the exit codes and the
// result. Two runs with equal fingerprints did the same thing: a replay, or the state Back returned to.
struct RunFingerprint {
  std::map<std::string, std::vector<std::string>> operations;
  std::map<std::string, std::vector<std::int64_t>> counters;
  std::vector<std::string> lines;
  std::map<std::string, int> exitcodes;
  nlohmann::json result;
  bool operator==(const RunFingerprint&) const = default;
};
[[nodiscard]] RunFingerprint fingerprint(const TraceModel& model);
void PrintTo(const RunFingerprint& f, std::ostream* out);  // what GoogleTest shows when two differ

// A registered lesson by id, run with `sets` at `speed`, to its end.
std::unique_ptr<Run> run_lesson(const std::string& id, std::vector<std::string> sets, double speed, double timeout = 120);

struct CommandResult {
  int exit_code = -1;
  pid_t pid = 0;
  std::string out, err;
};
// Runs forkscope-cli with `args` (and `input` on stdin), with a deadline.
CommandResult run_cli(const std::vector<std::string>& args, const std::string& input = {}, double timeout = 120);
// Runs any program (argv[0] is its path), the same way.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {}, double timeout = 120);

// Waits for a child of this process, with a deadline: past it the child is killed. Its wait status, or -1 if it was
// killed for the deadline.
int wait_child(pid_t pid, double timeout_seconds);

// Asserts what a user sees of a refused command: this exit code, exactly one line on stderr containing `message`, and
// no segment or run directory of it left.
void expect_one_line_error(const CommandResult& r, int exit_code, const std::string& message);

// A fresh directory under /tmp for one test's files, removed with everything in it when it goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `bytes` to `name` inside it; returns the path.
  std::string write(const std::string& name, const std::string& bytes) const;
  // The names it holds now, sorted.
  [[nodiscard]] std::vector<std::string> names() const;

 private:
  std::filesystem::path path_;
};

// Every /dev/shm and /tmp entry named like a Forkscope session, and whether the viewer that owns it still lives.
std::set<std::string> all_forkscope_entries();
bool owner_alive(const std::string& entry);

// This process's living children and zombies, and the segments and run directories it owns.
std::vector<pid_t> children_of_this_process();
std::vector<std::string> leftovers_of(pid_t viewer);

// Fails the test if a process, zombie, segment or run directory of this test is still there.
void expect_nothing_left_behind();

// A test fixture that checks for leftovers after every test.
class CleanTest : public ::testing::Test {
 protected:
  void TearDown() override { expect_nothing_left_behind(); }
};

}  // namespace forkscope::testing
