// `forkscope-cli explore`: searches schedules for one that breaks a lesson (core/explore.hpp), says what it found, and
// saves the shortest one for `run --schedule`.
#include <random>

#include <fmt/format.h>

#include "commands.hpp"
#include "forkscope/errors.hpp"
#include "forkscope/explore.hpp"
#include "forkscope/input.hpp"

namespace forkscope::cli {

namespace {

std::uint64_t count_option(const std::optional<std::string>& text, std::string_view option, std::uint64_t fallback,
                           std::uint64_t min, std::uint64_t max) {
  if (!text) return fallback;
  const auto bad = [&] { return UsageError(fmt::format("{} must be an integer from {} to {}, got '{}'", option, min, max, *text)); };
  std::uint64_t value = 0;
  try {
    value = parse_decimal_u64(*text, option);
  } catch (const UsageError&) {
    throw bad();
  }
  if (value < min || value > max) throw bad();
  return value;
}

}  // namespace

int explore(const ExploreArgs& args) {
  const Lesson& lesson = lesson_or_usage_error(args.lesson);
  ExploreOptions o;
  o.lesson = &lesson;
  o.params = Params::resolve(lesson.params, args.sets);
  o.seed = args.seed ? parse_decimal_u64(*args.seed, "--seed") : std::random_device{}();
  o.budget = count_option(args.budget, "--budget", o.budget, 1, ExploreOptions::kMaxBudget);
  o.depth = static_cast<int>(count_option(args.depth, "--depth", static_cast<std::uint64_t>(o.depth), 1, ExploreOptions::kMaxDepth));
  if (args.schedule_out) check_file_name(*args.schedule_out, "--save-schedule");

  Explorer explorer(o);
  if (!args.json)
    fmt::print("explore {} {}  seed {}  budget {}  depth {}\n", lesson.id, o.params.to_json().dump(), o.seed, o.budget, o.depth);
  std::fflush(stdout);
  std::size_t shown_steps = 0;
  bool shown_reference = false;
  while (!explorer.done()) {
    if (interrupted()) {
      explorer.stop();
      print_error(fmt::format("interrupted after {} schedules; every lesson process was stopped", explorer.tried()));
      return kInterrupted;
    }
    explorer.work_for(0.1);
    const ExploreResult& r = explorer.result();
    if (args.json) continue;
    if (!shown_reference && !r.reference.is_null()) {
      fmt::print("one process at a time: result {}\n", r.reference.dump());
      shown_reference = true;
    }
    if (r.found && r.steps != shown_steps) {
      fmt::print("{} after {} schedule{}: {} steps, {}\n", shown_steps == 0 ? "found" : "shorter", r.tried,
                 r.tried == 1 ? "" : "s", r.steps, r.why);
      shown_steps = r.steps;
    }
    std::fflush(stdout);
  }
  const ExploreResult& r = explorer.result();
  if (r.found && args.schedule_out) r.schedule->save(*args.schedule_out);
  if (args.json) {
    nlohmann::json out{{"schema", kExploreSchema},
                       {"lesson", lesson.id},
                       {"params", o.params.to_json()},
                       {"seed", o.seed},
                       {"tried", r.tried},
                       {"found", r.found},
                       {"schedule", r.schedule ? r.schedule->to_json() : nlohmann::json()},
                       {"steps", r.steps},
                       {"result", r.result},
                       {"reference", r.reference},
                       {"why", r.found ? nlohmann::json(r.why) : nlohmann::json()},
                       {"deadlock", r.deadlock ? r.deadlock->to_json() : nlohmann::json()}};
    fmt::print("{}\n", out.dump(2));
  } else if (r.found) {
    fmt::print("tried {} schedules; the shortest that breaks {} has {} steps: {}\n", r.tried, lesson.id, r.steps, r.why);
    if (!r.result.empty()) fmt::print("result {}\n", r.result.dump());
    if (args.schedule_out)
      fmt::print("saved to {}; replay it: forkscope-cli run {} --schedule {}\n", *args.schedule_out, lesson.id, *args.schedule_out);
  } else {
    fmt::print("tried {} schedules; none broke {}\n", r.tried, lesson.id);
  }
  return r.found ? kInvariantsFailed : kOk;
}

}  // namespace forkscope::cli
