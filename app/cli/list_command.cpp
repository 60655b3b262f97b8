#include <cstdio>

#include <fmt/format.h>

#include "commands.hpp"
#include "forkscope/lesson_text.hpp"
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
      lessons.push_back({{"id", l.id},
                         {"topic", l.topic},
                         {"title", {{"en", title(l, "en")}, {"zh", title(l, "zh")}}},
                         {"params", params}});
    }
    fmt::print("{}\n", nlohmann::json{{"lessons", lessons}}.dump(2));
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
  }
  return kOk;
}

}  // namespace forkscope::cli
