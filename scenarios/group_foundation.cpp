// The four lessons of the product card: a lock, a queue, a semaphore, an event.
#include "registry.hpp"

namespace forkscope::scenarios {

Lesson ticket_lock();
Lesson producer_consumer();
Lesson semaphore_guests();
Lesson event_signal();

std::vector<Lesson> foundation_lessons() { return {ticket_lock(), producer_consumer(), semaphore_guests(), event_signal()}; }

}  // namespace forkscope::scenarios
