#include "registry.hpp"

#include <algorithm>

namespace forkscope::scenarios {

const std::vector<Lesson>& all() {
  static const std::vector<Lesson> lessons = [] {
    std::vector<Lesson> list;
    for (auto group : {foundation_lessons, process_lessons, sync_lessons, pool_lessons, concept_lessons, bench_lessons})
      for (Lesson& lesson : group()) list.push_back(std::move(lesson));
    return list;
  }();
  return lessons;
}

const Lesson* find(std::string_view id) {
  const auto& lessons = all();
  auto it = std::find_if(lessons.begin(), lessons.end(), [&](const Lesson& l) { return l.id == id; });
  return it == lessons.end() ? nullptr : &*it;
}

const Lesson& default_lesson() { return *find("ticket-lock"); }

}  // namespace forkscope::scenarios
