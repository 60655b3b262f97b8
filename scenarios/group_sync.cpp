// Lessons on the rest of the synchronisation and communication primitives: RLock, BoundedSemaphore, Condition,
// Pipe and Manager, and the deadlock of the dining philosophers.
#include "registry.hpp"

namespace forkscope::scenarios {

Lesson rlock();
Lesson bounded_semaphore();
Lesson condition();
Lesson pipe();
Lesson manager_dict();
Lesson dining_philosophers();

std::vector<Lesson> sync_lessons() { return {rlock(), bounded_semaphore(), condition(), pipe(), manager_dict(), dining_philosophers()}; }

}  // namespace forkscope::scenarios
