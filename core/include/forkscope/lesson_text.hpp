// Lesson texts and UI strings live in assets/, per language, keyed by id; nothing in C++.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "forkscope/paths.hpp"

namespace forkscope {

// assets/lessons/<lang>/<id>.md: "# Title", then three "## " sections in this order.
struct LessonText {
  std::string title;
  std::string teaches;  // what it teaches
  std::string watch;    // what to watch on the timeline
  std::string predict;  // a question to answer before running
};

inline constexpr std::string_view kLanguages[] = {"en", "zh"};

[[nodiscard]] std::optional<LessonText> load_lesson_text(std::string_view lesson_id, std::string_view language);
[[nodiscard]] LessonText parse_lesson_text(std::string_view markdown);

}  // namespace forkscope
