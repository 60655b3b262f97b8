// The subcommands of forkscope-cli. Each returns the process exit code: 0 ok, 1 invariants failed,
// 2 bad usage or input, 3 runtime failure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "forkscope/session.hpp"

namespace forkscope {
struct Lesson;
}

namespace forkscope::cli {

enum ExitCode : int { kOk = 0, kInvariantsFailed = 1, kBadInput = 2, kRuntimeFailure = 3, kInterrupted = 130 };

// The "schema" field of each --json output: its name and version, documented in docs/schema/<name>.schema.json. A
// change that removes or retypes a field is a new version.
inline constexpr const char* kListSchema = "forkscope.list/1";
inline constexpr const char* kRunSchema = "forkscope.run/1";
inline constexpr const char* kExploreSchema = "forkscope.explore/1";
inline constexpr const char* kBenchSchema = "forkscope.bench/1";
inline constexpr const char* kBenchScaleSchema = "forkscope.bench-scale/1";

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
// --scale: the viewer at scale (bench_scale.cpp); `only` is one of kScaleGroups or empty.
inline constexpr const char* kScaleGroups[] = {"ingest", "model", "fstrace", "chrome", "lossless"};
int bench_scale(bool json, int repeats, const std::string& only);
// What both benches share (bench_command.cpp): a hidden lesson's result (plus ring_full_waits and wall_seconds),
// run with `limits` and a viewer that drains lazily or live; the median of samples.
nlohmann::json run_hidden(const char* id, const std::vector<std::string>& sets, SessionLimits limits = {8, 1u << 21},
                          bool lazy_drain = true);
double median(std::vector<double> v);
// A row of a bench's table: a measured value (NaN when not measured this time) against its limit.
struct BenchTarget {
  const char* name;
  double value;  // a ratio for `bench`, the measure itself for `bench --scale`
  double limit;
  bool at_least;
  const char* meaning;
};
// Prints the measured medians and every measured target ("met" or "MISS"), or all of it as one JSON object of
// `schema` (each target's value under `value_key`). Returns kOk.
int print_bench(nlohmann::json measured, std::span<const BenchTarget> targets, const char* value_key, const char* schema,
                int repeats, bool json);

struct ExploreArgs {
  std::string lesson;
  std::vector<std::string> sets;
  std::optional<std::string> seed, budget, depth;  // checked: decimal digits within their ranges
  std::optional<std::string> schedule_out;
  bool json = false;
};
// 0: nothing found within the budget; 1: a schedule that breaks the lesson was found (and saved, if asked).
int explore(const ExploreArgs& args);

// A listed lesson by id; UsageError naming the lessons otherwise.
[[nodiscard]] const Lesson& lesson_or_usage_error(const std::string& id);

// "forkscope-cli: <message>" on stderr, always one line (control characters of user text escaped).
void print_error(std::string_view message);

// Set by SIGINT/SIGTERM/SIGHUP: commands stop what runs, clean up and return 130.
bool interrupted();
void install_interrupt_handlers();

}  // namespace forkscope::cli
