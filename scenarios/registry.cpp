#include "registry.hpp"

#include <algorithm>

namespace forkscope::scenarios {

const std::vector<Lesson>& all() {
  static const std::vector<Lesson> lessons = [] {
    std::vector<Lesson> l = {
        ticket_lock(),
        producer_consumer(),
        semaphore_guests(),
        event_signal(),
    };
    for (Lesson& b : bench_lessons()) l.push_back(std::move(b));
    return l;
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
