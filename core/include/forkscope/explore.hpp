// The race finder: runs a lesson again and again, stepping it in orders a search chooses, and hands back the shortest
// schedule found that breaks the lesson's invariants, deadlocks, or changes one of its outcome facts (Lesson::outcome)
// against a run that takes one process at a time (the reference: an invariant that fails there too finds nothing). Every try is a real stepped run. Orders alternate between a random
// walk (any process that can move, uniformly) and PCT (Burckhardt et al., ASPLOS 2010: random distinct priorities per
// process, depth-1 priority change points at random steps, always the highest-priority process that can move).
// Seeded: the same options search the same schedules. Runs on the caller's thread a slice at a time (the GUI calls
// work_for each frame): a lesson main's parent-death signal belongs to the thread that started it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forkscope/lesson.hpp"
#include "forkscope/run.hpp"

namespace forkscope {

struct ExploreOptions {
  const Lesson* lesson = nullptr;
  Params params;
  std::uint64_t seed = 0;  // the search's, and the lesson's random numbers in every try
  std::size_t budget = 200;  // schedules to try at most (the reference run included), 1..kMaxBudget
  int depth = 3;             // PCT's d: d-1 priority change points, 1..kMaxDepth
  double run_timeout_seconds = 30;  // a try that runs longer is stopped and counts as nothing found
  std::filesystem::path runner;     // empty: next to this executable, as RunOptions

  static constexpr std::size_t kMaxBudget = 100'000;
  static constexpr int kMaxDepth = 20;
};

struct ExploreResult {
  std::size_t tried = 0;
  bool found = false;
  std::optional<Schedule> schedule;  // the shortest found
  std::size_t steps = 0;
  nlohmann::json result;  // its result (empty after a deadlock: the lesson never finished)
  std::string why;        // "oversold = 2 (one process at a time: 0)", "deadlock: ...", "invariant '...' failed (...)"
  // The same as facts, for a face that says it in its language: {"kind": "outcome", "key", "got", "want"},
  // {"kind": "invariant", "key", "values"}, {"kind": "exit", "code"} or {"kind": "stuck"} (then `deadlock` or why).
  nlohmann::json finding;
  std::optional<Deadlock> deadlock;
  nlohmann::json reference;  // the result of the run that took one process at a time
};

class Explorer {
 public:
  explicit Explorer(ExploreOptions options);  // UsageError for a bad lesson or options
  ~Explorer();
  Explorer(const Explorer&) = delete;
  Explorer& operator=(const Explorer&) = delete;

  // Does tries for about that long (at least one poll); true once done (found and shortened, or budget spent).
  bool work_for(double seconds);
  [[nodiscard]] bool done() const { return done_; }
  [[nodiscard]] std::size_t tried() const { return result_.tried; }
  [[nodiscard]] const ExploreResult& result() const { return result_; }
  void stop();  // ends the run under way, nothing left behind; done() afterwards

 private:
  enum class Order { OneAtATime, RandomWalk, Pct, PrefixThenOneAtATime };
  struct Attempt;

  void start_next();
  void drive();  // one look at the run under way: grant a step, or finish the attempt
  void finish(bool stalled);
  [[nodiscard]] const HeldProcess* choose(const std::vector<HeldProcess>& movable);  // nullptr: off the prefix
  struct Finding {
    std::string why;
    nlohmann::json facts;
  };
  [[nodiscard]] std::optional<Finding> finding(const Run& run, bool stalled) const;

  ExploreOptions options_;
  std::mt19937_64 rng_;
  ExploreResult result_;
  std::unique_ptr<Attempt> attempt_;
  std::optional<nlohmann::json> reference_;  // the result one process at a time
  std::size_t reference_steps_ = 0;
  std::set<std::string> reference_failed_;  // the invariants that failed one process at a time
  // Shortening: prefixes of the first schedule found, each followed by one process at a time; a binary search over
  // the prefix's length (lo, hi).
  std::vector<std::string> first_found_;
  std::size_t shrink_lo_ = 0, shrink_hi_ = 0;
  bool shrinking_ = false;
  bool done_ = false;
};

}  // namespace forkscope
