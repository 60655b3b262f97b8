#include "forkscope/lesson_file.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <cctype>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/lesson_text.hpp"
#include "forkscope/paths.hpp"
#include "forkscope/subprocess.hpp"
#include "forkscope/trace_file.hpp"

namespace forkscope {

// ---- in the lesson runner ----

const Lesson& load_lesson_file(const std::filesystem::path& file) {
  // Never unloaded: the lesson's code runs until the runner exits.
  void* library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    std::string why = dlerror();  // "FILE: reason"
    if (why.starts_with(file.string() + ": ")) why.erase(0, file.string().size() + 2);
    throw UsageError(fmt::format("cannot load the lesson {}: {}", file.string(), why));
  }
  using Version = const char* (*)();
  using Make = const Lesson* (*)();
  const auto version = reinterpret_cast<Version>(dlsym(library, "forkscope_lesson_sdk_version"));
  const auto make = reinterpret_cast<Make>(dlsym(library, "forkscope_lesson"));
  if (version == nullptr || make == nullptr)
    throw UsageError(fmt::format("{} is not a Forkscope lesson (it has no FORKSCOPE_LESSON)", file.string()));
  if (std::string_view(version()) != FORKSCOPE_VERSION)
    throw UsageError(fmt::format("{} was built with Forkscope {}, this is {}: build it again", file.string(), version(),
                                 FORKSCOPE_VERSION));
  const Lesson* lesson = make();
  if (lesson == nullptr || lesson->id.empty() || !lesson->body)
    throw UsageError(fmt::format("{}: its lesson has no id or no body", file.string()));
  return *lesson;
}

nlohmann::json describe_lesson(const Lesson& lesson) {
  nlohmann::json params = nlohmann::json::array();
  for (const ParamSpec& p : lesson.params) params.push_back(p.to_json());
  return {{"id", lesson.id},
          {"topic", lesson.topic},
          {"source", lesson.source},
          {"params", params},
          {"outcome", lesson.outcome},
          {"deadlocks_by_default", lesson.deadlocks_by_default}};
}

nlohmann::json check_saved_run(const Lesson& lesson, const std::filesystem::path& saved_run) {
  nlohmann::json meta;
  const TraceModel model = load_trace(saved_run, &meta);
  RunReport report;
  report.lesson = lesson.id;
  report.params = meta.value("params", nlohmann::json::object());
  report.seed = meta.value("seed", std::uint64_t{0});
  report.speed = meta.value("speed", 1.0);
  report.wall_seconds = meta.value("wall_seconds", 0.0);
  report.main_exitcode = meta.value("main_exitcode", 0);
  report.events = model.events().size();
  report.lost_events = meta.value("lost_events", std::uint64_t{0});
  report.stuck = meta.value("stuck", std::string());
  report.result = model.result();
  report.model = &model;
  if (lesson.check) lesson.check(report);
  nlohmann::json invariants = nlohmann::json::array();
  for (const Invariant& i : report.invariants)
    invariants.push_back({{"name", i.name}, {"ok", i.ok}, {"values", i.values}, {"meant_to_break", i.meant_to_break}});
  std::optional<LessonPoint> point;
  if (lesson.point) point = lesson.point(report);
  return {{"invariants", invariants}, {"point", point ? point->to_json() : nlohmann::json()}};
}

// ---- in a viewer ----

bool is_lesson_file(const std::string& name) { return name.ends_with(".so"); }

namespace {

// What the runner printed as JSON, or its one-line complaint as a UsageError.
nlohmann::json ask_runner(const std::vector<std::string>& args, const std::string& file) {
  std::vector<std::string> argv{default_runner_path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProgramOutput answer = run_program(argv, 60);
  if (answer.exit_code != 0) {
    std::string why = answer.err;
    while (!why.empty() && std::isspace(static_cast<unsigned char>(why.back()))) why.pop_back();
    why = one_line(why);
    if (why.starts_with("forkscope-lesson: ")) why.erase(0, 18);
    throw UsageError(why.empty() ? fmt::format("the lesson runner failed on {} (exit code {})", file, answer.exit_code)
                                 : why);
  }
  return parse_json_text(answer.out, "the lesson runner's answer");
}

ParamSpec param_from_json(const nlohmann::json& j, const std::string& file) {
  try {
    const std::string key = j.at("key").get<std::string>();
    const std::string type = j.at("type").get<std::string>();
    if (type == "bool") return ParamSpec::boolean(key, j.at("default").get<bool>());
    if (type == "int")
      return ParamSpec::integer(key, j.at("default").get<std::int64_t>(), j.at("min").get<std::int64_t>(),
                                j.at("max").get<std::int64_t>());
    if (type == "float")
      return ParamSpec::real(key, j.at("default").get<double>(), j.at("min").get<double>(), j.at("max").get<double>());
  } catch (const nlohmann::json::exception&) {
  }
  throw UsageError(fmt::format("{}: a parameter the runner described is malformed: {}", file, j.dump()));
}

}  // namespace

Lesson lesson_from_file(const std::string& file) {
  std::error_code ec;
  const std::string path = std::filesystem::absolute(file, ec).lexically_normal().string();
  if (ec || !std::filesystem::is_regular_file(path, ec))
    throw UsageError(fmt::format("cannot open the lesson {}: no such file", file));
  const nlohmann::json d = ask_runner({"--describe", path}, file);
  Lesson lesson;
  try {
    lesson.id = d.at("id").get<std::string>();
    lesson.topic = d.value("topic", std::string("yours"));
    for (const auto& p : d.at("params")) lesson.params.push_back(param_from_json(p, file));
    lesson.outcome = d.value("outcome", std::vector<std::string>{});
    lesson.deadlocks_by_default = d.value("deadlocks_by_default", false);
  } catch (const nlohmann::json::exception&) {
    throw UsageError(fmt::format("{}: the runner's description of it is malformed", file));
  }
  // Its source, for the Code view: as the lesson names it (`__FILE__`), or next to the shared object.
  const std::filesystem::path source = d.value("source", std::string());
  lesson.source = source.empty() || source.is_absolute() ? source.string()
                                                         : (std::filesystem::path(path).parent_path() / source).string();
  lesson.file = path;
  if (!lesson.source.empty()) add_lesson_folder(lesson.id, std::filesystem::path(lesson.source).parent_path());
  // The runner answers the check and the point in one go; the point waits here until the viewer asks for it.
  const auto point = std::make_shared<std::optional<LessonPoint>>();
  lesson.point = [point](const RunReport&) { return *point; };
  lesson.check = [path, point](RunReport& report) {
    // The run, saved where the runner can read it, then checked there: the lesson's own check runs in its code.
    static std::atomic<int> checks{0};
    const std::filesystem::path saved = std::filesystem::temp_directory_path() /
                                        fmt::format("forkscope-check.{}.{}.fstrace", getpid(), checks.fetch_add(1));
    nlohmann::json meta{{"params", report.params},       {"seed", report.seed},   {"speed", report.speed},
                        {"wall_seconds", report.wall_seconds}, {"main_exitcode", report.main_exitcode},
                        {"lost_events", report.lost_events},   {"stuck", report.stuck}};
    try {
      save_trace(*report.model, meta, saved);
      const nlohmann::json answer = ask_runner({"--check", path, saved.string()}, path);
      for (const auto& i : answer.at("invariants")) {
        auto expect = i.value("meant_to_break", false) ? &RunReport::expect_to_break : &RunReport::expect;
        (report.*expect)(i.at("name").get<std::string>(), i.at("ok").get<bool>(), i.value("values", nlohmann::json::object()));
      }
      *point = LessonPoint::from_json(answer.value("point", nlohmann::json()));
    } catch (const std::exception& e) {
      report.expect("lesson_check_ran", false, {{"error", one_line(e.what())}});
    }
    std::error_code ignored;
    std::filesystem::remove(saved, ignored);
  };
  return lesson;
}

}  // namespace forkscope
