// Lessons on the ideas around processes: sync/async, blocking states, scaling on one host and across hosts (MPI), the GIL.
#include "registry.hpp"

namespace forkscope::scenarios {

Lesson sync_async();
Lesson blocking_states();
Lesson scaling();
Lesson scale_out();
Lesson gil();

std::vector<Lesson> concept_lessons() {
#if FORKSCOPE_HAS_MPI
  return {sync_async(), blocking_states(), scaling(), scale_out(), gil()};
#else
  return {sync_async(), blocking_states(), scaling(), gil()};
#endif
}

}  // namespace forkscope::scenarios
