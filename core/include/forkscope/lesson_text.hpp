// Lesson texts and UI strings live in assets/, per language, keyed by id; nothing in C++.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

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

// What a lesson's keys read as in one language: its code names each parameter, counter, result fact and invariant by
// a key ("tickets", "tickets_left", "sold", "tickets_never_negative"), and assets/lessons/<lang>/<id>.json gives the
// words:
//   {"params": {"tickets": "票数"}, "counters": {...}, "results": {...},
//    "invariants": {"tickets_never_negative": {"text": "剩余票数从不为负", "detail": "还剩 {left} 张"}},
//    "processes": {"user {}": "用户{}"}}
// An invariant's detail is filled with the named values the check gave (fmt's "{left}", "{seconds:.3f}"); one without
// a detail may be a plain string. A process pattern's "{}" stands for the rest of the name the code gave ("user 3").
// Every lookup falls back to English, then to the key itself: a gap shows, it never throws.
// A lesson built with the SDK keeps its texts and words next to its source: <dir>/<id>.<lang>.md and .json. Once
// its folder is known here, load_lesson_text and LessonNames read them there.
void add_lesson_folder(const std::string& lesson_id, const std::filesystem::path& dir);

class LessonNames {
 public:
  LessonNames() = default;  // no lesson (a Python program): every key reads as itself
  // A missing or malformed file reads as empty (the lesson tests check that every key has its words).
  [[nodiscard]] static LessonNames load(std::string_view lesson_id, std::string_view language);

  [[nodiscard]] std::string param(std::string_view key) const { return word("params", key); }
  [[nodiscard]] std::string counter(std::string_view key) const { return word("counters", key); }
  [[nodiscard]] std::string result(std::string_view key) const { return word("results", key); }
  // A mark's label (forkscope::mark: a step of the lesson, a phase's name) in this language.
  [[nodiscard]] std::string mark(std::string_view label) const { return word("marks", label); }
  [[nodiscard]] std::string invariant(std::string_view key) const;
  // The detail sentence with the values filled in; without one, "name = value, ..." ("" when there are no values).
  [[nodiscard]] std::string detail(std::string_view key, const nlohmann::json& values) const;
  // "text (detail)": what the CLI and the explorer say of a failed invariant.
  [[nodiscard]] std::string invariant_with_detail(std::string_view key, const nlohmann::json& values) const;
  // A process as the lesson names its role ("用户3" for "user 3"); any other name as the code gave it.
  [[nodiscard]] std::string process(std::string_view name) const;
  // Whether this language's own file has words for `key` in `section` ("params", "counters", ...): for tests.
  [[nodiscard]] bool has(std::string_view section, std::string_view key) const;
  // Every text of both files (the GUI's font atlas must hold them).
  [[nodiscard]] std::vector<std::string> all_texts() const;

 private:
  [[nodiscard]] std::string word(std::string_view section, std::string_view key) const;
  [[nodiscard]] const nlohmann::json* entry(std::string_view section, std::string_view key) const;
  nlohmann::json own_ = nlohmann::json::object(), english_ = nlohmann::json::object();
};

}  // namespace forkscope
