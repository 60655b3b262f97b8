// Lessons on creating, joining and controlling processes.
#include "registry.hpp"

namespace forkscope::scenarios {

std::vector<Lesson> process_lessons() { return {}; }

}  // namespace forkscope::scenarios
