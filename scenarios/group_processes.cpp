// Lessons on creating, joining and controlling processes, their separate memories, daemons, and the queues that
// connect them.
#include "registry.hpp"

namespace forkscope::scenarios {

Lesson process_create();
Lesson process_join();
Lesson process_control();
Lesson memory_isolation();
Lesson daemon();
Lesson queue_basics();
Lesson joinable_queue();

std::vector<Lesson> process_lessons() {
  return {process_create(), process_join(), process_control(), memory_isolation(), daemon(),
          queue_basics(),   joinable_queue()};
}

}  // namespace forkscope::scenarios
