// Lessons on sync/async, blocking states, scaling, the GIL.
#include "registry.hpp"

namespace forkscope::scenarios {

std::vector<Lesson> concept_lessons() { return {}; }

}  // namespace forkscope::scenarios
