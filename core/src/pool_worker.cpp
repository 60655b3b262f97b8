// A pool worker (ForkPoolWorker-N): runs the initializer, then takes chunks from the task queue until it gets a
// sentinel (None) or has done maxtasksperchild chunks. Each call is a span on its lane, labelled with its arguments.
#include <unistd.h>

#include "pool_internal.hpp"
#include "runtime.hpp"

namespace forkscope::detail {

void PoolCore::worker_main() {
  if (options.initializer) options.initializer(options.initargs);
  for (std::int64_t done = 0; !options.maxtasksperchild || done < *options.maxtasksperchild; ++done) {
    const Value next = tasks.get();
    if (next.is_none()) return;
    const auto slot = static_cast<std::uint32_t>(next.as_int());
    run_chunk(slots[slot]);
    results.put(next);
  }
}

// Like Python's mapstar: the calls run in order, and the first exception ends the chunk and fails it.
void PoolCore::run_chunk(TaskSlot& slot) {
  const RegisteredTask& task = task_registry()[slot.task];  // the main process checked that this worker knows it
  const std::vector<Value> calls = slot.take();
  std::vector<Value> returned{0};
  for (std::size_t at = 0; at < calls.size();) {
    const auto argc = static_cast<std::size_t>(calls[at].as_int());
    const Args args(calls.begin() + static_cast<std::ptrdiff_t>(at + 1), calls.begin() + static_cast<std::ptrdiff_t>(at + 1 + argc));
    at += 1 + argc;
    try {
      const TaskSpanGuard span(id, call_label(task.name, args));
      returned.push_back(task.function(args));
    } catch (...) {
      const TaskError error = describe_error(std::current_exception());
      returned = {1, error.type, error.message};
      break;
    }
  }
  slot.worker = context().pid;
  slot.store(returned);
}

}  // namespace forkscope::detail
