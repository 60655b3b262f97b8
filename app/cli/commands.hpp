// The subcommands of forkscope-cli. Each returns the process exit code: 0 ok, 1 invariants failed,
// 2 bad usage or input, 3 runtime failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forkscope::cli {

enum ExitCode : int { kOk = 0, kInvariantsFailed = 1, kBadInput = 2, kRuntimeFailure = 3 };

int list_lessons(bool json);

struct RunArgs {
  std::string lesson;  // a lesson id, or a Python program: a file ending in .py
  std::vector<std::string> program_args;  // after --, for a Python program
  bool tutorial_code = false;  // --python: a lesson's tutorial code (scenarios/tutorial_python/) instead of its C++
  std::vector<std::string> sets;
  double speed = 1.0;
  std::optional<std::string> seed;  // checked: decimal digits, 0..2^64-1
  bool step = false;
  // Absent when not given; given but empty is refused.
  std::optional<std::string> schedule_in, schedule_out, trace_out, save_trace;
  bool json = false;
  double timeout = 3600;
};
int run_lesson(const RunArgs& args);

int bench(bool json, int repeats, const std::string& only);

// "forkscope-cli: <message>" on stderr, always one line (control characters of user text escaped).
void print_error(std::string_view message);

// Set by SIGINT/SIGTERM/SIGHUP: commands stop what runs, clean up and return 130.
bool interrupted();
void install_interrupt_handlers();

}  // namespace forkscope::cli
