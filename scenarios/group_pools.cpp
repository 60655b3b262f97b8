// Lessons on process pools: sync against async, pool against processes, callbacks, a server, a crawler, collecting.
#include "registry.hpp"

namespace forkscope::scenarios {

Lesson pool_sync_vs_async();
Lesson pool_vs_process();
Lesson pool_callback();
Lesson pool_echo_server();
Lesson pool_crawler();
Lesson pool_collect();

std::vector<Lesson> pool_lessons() {
  return {pool_sync_vs_async(), pool_vs_process(), pool_callback(), pool_echo_server(), pool_crawler(), pool_collect()};
}

}  // namespace forkscope::scenarios
