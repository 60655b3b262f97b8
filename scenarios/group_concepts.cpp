// Lessons on the ideas around processes: sync/async, blocking states, scaling, the GIL.
#include "registry.hpp"

namespace forkscope::scenarios {

Lesson sync_async();
Lesson blocking_states();
Lesson scaling();
Lesson gil();

std::vector<Lesson> concept_lessons() { return {sync_async(), blocking_states(), scaling(), gil()}; }

}  // namespace forkscope::scenarios
