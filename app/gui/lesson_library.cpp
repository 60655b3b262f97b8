#include "lesson_library.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "registry.hpp"

namespace forkscope::gui {

namespace {
std::string read_small_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  std::error_code ec;
  if (in && std::filesystem::file_size(file, ec) <= (1u << 20)) text << in.rdbuf();
  return text.str();
}
}  // namespace

LessonLibrary::LessonLibrary() {
  for (const Lesson& lesson : scenarios::all()) {
    if (lesson.hidden) continue;
    lessons_.push_back(&lesson);
    for (std::string_view language : kLanguages)
      if (auto text = load_lesson_text(lesson.id, language))
        texts_.emplace(std::string(language) + "/" + lesson.id, std::move(*text));
    // Sources are named relative to the repository; data_dir() holds them, installed or in a build tree.
    code_.emplace(lesson.id, lesson.source.empty() ? std::string() : read_small_file(source_file(lesson.source)));
  }
}

void LessonLibrary::add(const Lesson& lesson) {
  lessons_.push_back(&lesson);
  std::error_code ec;
  const std::filesystem::path source = lesson.source;
  code_.insert_or_assign(lesson.id, std::filesystem::is_regular_file(source, ec) ? read_small_file(source) : std::string());
  for (std::string_view language : kLanguages)  // next to its source (add_lesson_folder)
    if (auto text = load_lesson_text(lesson.id, language)) texts_.insert_or_assign(std::string(language) + "/" + lesson.id, *text);
}

std::vector<std::string> LessonLibrary::topics() const {
  std::vector<std::string> out;
  for (const Lesson* l : lessons_)
    if (std::find(out.begin(), out.end(), l->topic) == out.end()) out.push_back(l->topic);
  return out;
}

const LessonText* LessonLibrary::text(std::string_view id, std::string_view language) const {
  auto it = texts_.find(std::string(language) + "/" + std::string(id));
  return it == texts_.end() ? nullptr : &it->second;
}

std::string LessonLibrary::title(std::string_view id, std::string_view language) const {
  const LessonText* t = text(id, language);
  return t && !t->title.empty() ? t->title : std::string(id);
}

const std::string& LessonLibrary::code(std::string_view id) const {
  static const std::string none;
  auto it = code_.find(id);
  return it == code_.end() ? none : it->second;
}

std::vector<std::string_view> LessonLibrary::all_texts() const {
  std::vector<std::string_view> out;
  for (const auto& [key, t] : texts_)
    for (const std::string* s : {&t.title, &t.teaches, &t.watch, &t.predict}) out.emplace_back(*s);
  for (const auto& [id, code] : code_) out.emplace_back(code);
  return out;
}

}  // namespace forkscope::gui
