// Lessons on RLock, BoundedSemaphore, Condition, Pipe, Manager.
#include "registry.hpp"

namespace forkscope::scenarios {

std::vector<Lesson> sync_lessons() { return {}; }

}  // namespace forkscope::scenarios
