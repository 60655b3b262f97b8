#include "forkscope/lesson_text.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace forkscope {

namespace {
std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \n\r\t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \n\r\t") - first + 1);
}
}  // namespace

LessonText parse_lesson_text(std::string_view markdown) {
  LessonText text;
  std::vector<std::string> sections;
  std::istringstream in{std::string(markdown)};
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("## ")) {
      sections.emplace_back();
    } else if (line.starts_with("# ") && text.title.empty()) {
      text.title = trim(line.substr(2));
    } else if (!sections.empty()) {
      sections.back() += line + "\n";
    }
  }
  sections.resize(3);
  text.teaches = trim(sections[0]);
  text.watch = trim(sections[1]);
  text.predict = trim(sections[2]);
  return text;
}

std::optional<LessonText> load_lesson_text(std::string_view lesson_id, std::string_view language) {
  std::ifstream in(assets_dir() / "lessons" / std::string(language) / (std::string(lesson_id) + ".md"));
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_lesson_text(buffer.str());
}

}  // namespace forkscope
