// Lessons on process pools.
#include "registry.hpp"

namespace forkscope::scenarios {

std::vector<Lesson> pool_lessons() { return {}; }

}  // namespace forkscope::scenarios
