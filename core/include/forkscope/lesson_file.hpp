// Lessons built outside Forkscope with its SDK: a shared object that defines one lesson with FORKSCOPE_LESSON.
// Only the lesson runner (forkscope-lesson) loads it. A viewer asks the runner what the lesson is (`--describe`: its
// id and parameters) and to check a finished run (`--check`: the trace saved to a file), so the viewer itself never
// runs lesson code, as with every lesson.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "forkscope/lesson.hpp"
#include "forkscope/version.hpp"

// In one source file of the lesson: FORKSCOPE_LESSON(my_lesson), where `forkscope::Lesson my_lesson()` builds it.
#define FORKSCOPE_LESSON(make_lesson)                                                                          \
  extern "C" __attribute__((visibility("default"))) const char* forkscope_lesson_sdk_version() {               \
    return FORKSCOPE_VERSION;                                                                                  \
  }                                                                                                            \
  extern "C" __attribute__((visibility("default"))) const forkscope::Lesson* forkscope_lesson() {              \
    static const forkscope::Lesson lesson = make_lesson();                                                     \
    return &lesson;                                                                                            \
  }

namespace forkscope {

// ---- in the lesson runner ----
// Loads the shared object once and returns its lesson. UsageError, in one line, when the file cannot be loaded, is not
// a Forkscope lesson, or was built with another version of the SDK (the lesson's C++ types must be these).
[[nodiscard]] const Lesson& load_lesson_file(const std::filesystem::path& file);
// What a viewer needs to know of a lesson: {"id", "topic", "source", "params", "outcome", "deadlocks_by_default"}.
[[nodiscard]] nlohmann::json describe_lesson(const Lesson& lesson);
// Runs the lesson's check and point on a run a viewer saved: {"invariants": [{"name", "ok", "values",
// "meant_to_break"}, ...], "point": {...} or null}.
[[nodiscard]] nlohmann::json check_saved_run(const Lesson& lesson, const std::filesystem::path& saved_run);

// ---- in a viewer ----
// True for what names a lesson file rather than a lesson id: a path ending in ".so".
[[nodiscard]] bool is_lesson_file(const std::string& name);
// The lesson of a shared object, as the runner describes it: `file` (made absolute) is what the runner loads, its
// check runs in the runner too. UsageError when the runner cannot load it (its one-line reason).
[[nodiscard]] Lesson lesson_from_file(const std::string& file);

}  // namespace forkscope
