// Every lesson Forkscope knows. Lessons come in groups; each group file (group_<name>.cpp) declares and lists its
// lessons, and all() puts the groups together in the order lists show them.
#pragma once

#include <string_view>
#include <vector>

#include "forkscope/lesson.hpp"

namespace forkscope::scenarios {

[[nodiscard]] const std::vector<Lesson>& all();
[[nodiscard]] const Lesson* find(std::string_view id);  // nullptr when unknown
[[nodiscard]] const Lesson& default_lesson();

// The groups, in list order.
std::vector<Lesson> foundation_lessons();  // group_foundation.cpp: the four lessons of the product card
std::vector<Lesson> process_lessons();     // group_processes.cpp: creating, joining, controlling processes
std::vector<Lesson> sync_lessons();        // group_sync.cpp: RLock, BoundedSemaphore, Condition, Pipe, Manager, ...
std::vector<Lesson> pool_lessons();        // group_pools.cpp: process pools
std::vector<Lesson> concept_lessons();     // group_concepts.cpp: sync/async, blocking states, scaling, the GIL
std::vector<Lesson> bench_lessons();       // bench_lessons.cpp: hidden, what `forkscope-cli bench` measures

}  // namespace forkscope::scenarios
