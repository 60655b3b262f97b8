#include <cstdio>

#include <fmt/format.h>

#include "commands.hpp"
#include "forkscope/lesson_text.hpp"
#include "forkscope/run.hpp"
#include "registry.hpp"

namespace forkscope::cli {

namespace {
std::string title(const Lesson& lesson, std::string_view language) {
  const auto text = load_lesson_text(lesson.id, language);
  return text ? text->title : lesson.id;
}
}  // namespace

int list_lessons(bool json) {
  if (json) {
    nlohmann::json lessons = nlohmann::json::array();
    for (const Lesson& l : scenarios::all()) {
      if (l.hidden) continue;
      nlohmann::json params = nlohmann::json::array();
      for (const ParamSpec& p : l.params) params.push_back(p.to_json());
      nlohmann::json tutorial = nlohmann::json::array();  // its tutorial code: `run ID --python` runs the first
      for (const TutorialProgram& p : tutorial_programs_for(l.id))
        tutorial.push_back({{"file", p.file.filename().string()},
                            {"title", {{"en", p.title_en}, {"zh", p.title_zh}}},
                            {"blocks_forever", p.blocks_forever}});
      lessons.push_back({{"id", l.id},
                         {"topic", l.topic},
                         {"title", {{"en", title(l, "en")}, {"zh", title(l, "zh")}}},
                         {"params", params},
                         {"tutorial_code", tutorial}});
    }
    fmt::print("{}\n", nlohmann::json{{"schema", kListSchema}, {"lessons", lessons}}.dump(2));
    return kOk;
  }
  for (const Lesson& l : scenarios::all()) {
    if (l.hidden) continue;
    fmt::print("{:<22} {:<10} {} / {}\n", l.id, l.topic, title(l, "en"), title(l, "zh"));
    std::string params;
    for (const ParamSpec& p : l.params) {
      const auto j = p.to_json();
      params += fmt::format("  {}={} ({})", p.key, j["default"].dump(), p.allowed());
    }
    if (!params.empty()) fmt::print("{:<22}{}\n", "", params);
    std::string tutorial;
    for (const TutorialProgram& p : tutorial_programs_for(l.id)) tutorial += "  " + p.file.filename().string();
    if (!tutorial.empty()) fmt::print("{:<22}  tutorial code (--python):{}\n", "", tutorial);
  }
  return kOk;
}

}  // namespace forkscope::cli
