// Every listed lesson with its texts in both languages and the source code students read next to them, loaded
// once at start (they are small, and the font atlas needs their characters before the first frame).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "forkscope/lesson.hpp"
#include "forkscope/lesson_text.hpp"

namespace forkscope::gui {

class LessonLibrary {
 public:
  LessonLibrary();  // the registry's lessons, hidden ones left out
  // A lesson built with the SDK, listed under its topic: its code from its source file, its texts from
  // <id>.<language>.md next to that file when there are such files. `lesson` must outlive the library.
  void add(const Lesson& lesson);

  [[nodiscard]] const std::vector<const Lesson*>& lessons() const { return lessons_; }
  [[nodiscard]] std::vector<std::string> topics() const;  // in list order
  [[nodiscard]] const LessonText* text(std::string_view id, std::string_view language) const;
  [[nodiscard]] std::string title(std::string_view id, std::string_view language) const;  // the id when no text
  [[nodiscard]] const std::string& code(std::string_view id) const;                         // empty: not found
  [[nodiscard]] std::vector<std::string_view> all_texts() const;

 private:
  std::vector<const Lesson*> lessons_;
  std::map<std::string, LessonText, std::less<>> texts_;  // "<language>/<id>"
  std::map<std::string, std::string, std::less<>> code_;
};

}  // namespace forkscope::gui
