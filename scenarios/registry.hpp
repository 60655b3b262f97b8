// Every lesson Forkscope knows, in the order lists show them.
#pragma once

#include <string_view>
#include <vector>

#include "forkscope/lesson.hpp"

namespace forkscope::scenarios {

[[nodiscard]] const std::vector<Lesson>& all();
[[nodiscard]] const Lesson* find(std::string_view id);  // nullptr when unknown
[[nodiscard]] const Lesson& default_lesson();

// One function per lesson file.
Lesson ticket_lock();
Lesson producer_consumer();
Lesson semaphore_guests();
Lesson event_signal();
std::vector<Lesson> bench_lessons();  // hidden: what `forkscope-cli bench` measures

}  // namespace forkscope::scenarios
