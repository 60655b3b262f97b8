// A lesson: an id, typed parameters with bounds, a body that runs in the lesson's main process, and a check that
// turns the run into a result and invariants. Scenarios define lessons; viewers run them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "forkscope/trace_model.hpp"

namespace forkscope {

// File: a readable file's path, or empty (made absolute when given: a lesson runs in its run directory).
enum class ParamType { Bool, Int, Float, File };

struct ParamSpec {
  std::string key;
  ParamType type = ParamType::Int;
  double default_value = 0, min = 0, max = 0;
  // A file's: what its contents must be, checked when it is given (throws UsageError saying what is wrong).
  std::function<void(const std::filesystem::path&)> check_file;

  static ParamSpec boolean(std::string key, bool default_value) {
    return {std::move(key), ParamType::Bool, default_value ? 1.0 : 0.0, 0, 1};
  }
  static ParamSpec integer(std::string key, std::int64_t default_value, std::int64_t min, std::int64_t max) {
    return {std::move(key), ParamType::Int, static_cast<double>(default_value), static_cast<double>(min),
            static_cast<double>(max)};
  }
  static ParamSpec real(std::string key, double default_value, double min, double max) {
    return {std::move(key), ParamType::Float, default_value, min, max};
  }
  static ParamSpec file(std::string key, std::function<void(const std::filesystem::path&)> check = {}) {  // empty by default
    return {std::move(key), ParamType::File, 0, 0, 0, std::move(check)};
  }
  // "an integer from 1 to 100", "true or false": what the user may give.
  [[nodiscard]] std::string allowed() const;
  [[nodiscard]] nlohmann::json to_json() const;
};

using ParamValue = std::variant<bool, std::int64_t, double, std::string>;
[[nodiscard]] ParamValue default_value_of(const ParamSpec& spec);
// "KEY=VALUE" as --set takes it.
[[nodiscard]] std::string assignment_of(const ParamSpec& spec, const ParamValue& value);

class Params {
 public:
  // The defaults, then each "KEY=VALUE" in order. Throws UsageError naming the key and what is allowed.
  [[nodiscard]] static Params resolve(const std::vector<ParamSpec>& specs, const std::vector<std::string>& assignments);
  // The same checks for values given as JSON (a saved schedule, the launch request).
  [[nodiscard]] static Params from_json(const std::vector<ParamSpec>& specs, const nlohmann::json& values);
  void set(const ParamSpec& spec, std::string_view text);  // one assignment, checked

  [[nodiscard]] bool get_bool(std::string_view key) const;
  [[nodiscard]] std::int64_t get_int(std::string_view key) const;
  [[nodiscard]] double get_float(std::string_view key) const;
  [[nodiscard]] const std::string& get_text(std::string_view key) const;
  [[nodiscard]] const ParamValue& at(std::string_view key) const;
  [[nodiscard]] nlohmann::json to_json() const;

 private:
  std::vector<std::pair<std::string, ParamValue>> values_;  // in the order of the specs
};

// What a lesson body sees: its parameters, and a result it fills in (facts as JSON).
class LessonContext {
 public:
  LessonContext(Params params, std::uint64_t seed) : params_(std::move(params)), seed_(seed) {}
  [[nodiscard]] const Params& params() const { return params_; }
  [[nodiscard]] bool bool_param(std::string_view key) const { return params_.get_bool(key); }
  [[nodiscard]] std::int64_t int_param(std::string_view key) const { return params_.get_int(key); }
  [[nodiscard]] double float_param(std::string_view key) const { return params_.get_float(key); }
  [[nodiscard]] const std::string& text_param(std::string_view key) const { return params_.get_text(key); }
  [[nodiscard]] std::uint64_t seed() const { return seed_; }
  nlohmann::json& result() { return result_; }

 private:
  Params params_;
  std::uint64_t seed_;
  nlohmann::json result_ = nlohmann::json::object();
};

// What a check expects of a run. Its name is a key: the sentence, and the detail sentence its values fill in, are
// the lesson's, per language (LessonNames, assets/lessons/<lang>/<id>.json).
struct Invariant {
  std::string name;
  bool ok = false;
  nlohmann::json values = nlohmann::json::object();  // named values the detail shows ({"left": 2})
  // The lesson breaks it on purpose with these parameters (the race without the lock): broken is the expected
  // outcome, not a failure, and holding means the race did not happen this time.
  bool meant_to_break = false;
};
// Every invariant held, those meant to break aside.
[[nodiscard]] bool invariants_hold(const std::vector<Invariant>& invariants);

// What a lesson is there to show, when a run showed it ("RACE: 5 sold, 3 tickets"): a sentence of the phrase book
// (phrases.hpp: a "point.*" key, English in the core, Chinese in assets/i18n/zh.json) and its arguments.
struct LessonPoint {
  std::string key;
  std::vector<std::string> args;

  [[nodiscard]] std::string english() const;
  [[nodiscard]] nlohmann::json to_json() const;
  [[nodiscard]] static std::optional<LessonPoint> from_json(const nlohmann::json& j);  // nullopt unless well-formed
};

// A wait-for edge: `process` waits for `object`, which `holder` has (a lock's holder; for a join, the child it waits
// for, and then object is 0 and object_name "").
struct WaitEdge {
  std::int32_t pid = 0;
  std::string process;
  std::uint16_t object = 0;
  std::string object_name;
  std::int32_t holder_pid = 0;
  std::string holder;
};

// Processes that wait for each other in a circle: nothing any of them could do frees the others.
struct Deadlock {
  std::vector<WaitEdge> cycle;  // in order: cycle[i].holder is cycle[i+1].process, the last one's is cycle[0]'s
  std::string text;             // "deadlock: Process-1 waits to acquire Lock 'A' held by Process-2; ..."
  std::int64_t t_ns = 0;        // when it was found, on the model's time axis

  [[nodiscard]] nlohmann::json to_json() const;
};

// Everything known after a run: what the lesson reported, what the trace shows, and the invariants checked.
struct RunReport {
  std::string lesson;
  nlohmann::json params;
  std::uint64_t seed = 0;
  double speed = 1;
  double wall_seconds = 0;
  int main_exitcode = 0;
  std::uint64_t events = 0;
  std::uint64_t lost_events = 0;
  std::uint64_t ring_full_waits = 0;
  // How far the payload store (long queue items, pool messages, printed text) grew: blocks are given back when
  // read, so this is about the most that was in flight at once, not everything that passed through.
  std::uint64_t payload_store_bytes = 0;
  nlohmann::json result = nlohmann::json::object();
  std::vector<Invariant> invariants;
  // Set when the viewer ended the run because every live process waited for ever: who died, who waits for what.
  std::string stuck;
  // The wait-for cycle, when the processes that wait for ever wait for each other (then stuck == deadlock->text). Also
  // set when the cycle was found while stepping and the run was ended afterwards.
  std::optional<Deadlock> deadlock;
  const TraceModel* model = nullptr;

  // The lesson's point, when this run showed it (Lesson::point).
  std::optional<LessonPoint> point;

  void expect(std::string name, bool ok, nlohmann::json values = nlohmann::json::object()) {
    invariants.push_back(Invariant{std::move(name), ok, std::move(values)});
  }
  // An invariant these parameters are meant to break: shown as what the lesson predicts, never as a failure.
  void expect_to_break(std::string name, bool ok, nlohmann::json values = nlohmann::json::object()) {
    invariants.push_back(Invariant{std::move(name), ok, std::move(values), true});
  }
  [[nodiscard]] bool invariants_ok() const;
};

struct Lesson {
  std::string id;
  std::string topic;   // groups lessons in lists ("sync", "queues", "processes", "pools", "concepts")
  std::string source;  // the scenario's file, relative to the repository, shown next to the lesson text
  std::vector<ParamSpec> params;
  std::function<void(LessonContext&)> body;  // runs in the lesson's main process
  std::function<void(RunReport&)> check;     // runs in the viewer after the run: result facts and invariants
  bool hidden = false;                       // internal lessons (benchmarks) stay out of lists
  // Result facts a correct program keeps whatever the interleaving: `explore` compares them with a run that takes
  // one process at a time ("oversold", "count").
  std::vector<std::string> outcome;
  // Its default free run ends in a deadlock the viewer reports (and ends): the lesson is about that.
  bool deadlocks_by_default = false;
  // A lesson built with the SDK (forkscope/lesson_file.hpp): the shared object the runner loads to run it. Its body
  // is empty in a viewer, and its check asks the runner.
  std::string file;
  // The lesson's point, when a run showed it (a race that oversold, a deadlock): runs in the viewer after check, on
  // every run that was not stopped by the user, and says it in a sentence the faces show (a banner, a line).
  std::function<std::optional<LessonPoint>(const RunReport&)> point;
};

}  // namespace forkscope
