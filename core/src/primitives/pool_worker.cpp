// A pool worker (ForkPoolWorker-N): runs the initializer, then takes chunks from the task queue until it gets a
// sentinel (None) or has done maxtasksperchild chunks. Each call is a span on its lane, labelled with its arguments.
#include <unistd.h>

#include "primitives/pool_internal.hpp"
#include "session/runtime.hpp"

namespace forkscope::detail {

void PoolCore::worker_main() {
  if (options.initializer) options.initializer(options.initargs);
  for (std::int64_t done = 0; !options.maxtasksperchild || done < *options.maxtasksperchild;) {
    const Value next = tasks.get();
    if (next.is_none()) return;
    const auto slot = static_cast<std::uint32_t>(next.as_int());
    // Ours once claimed: from then on the main process fails the chunk if we die. A failed claim means the main
    // process put the number back (a worker died holding it), or another worker claimed it from such a copy.
    std::int32_t unclaimed = 0;
    if (!runners[slot].pid.compare_exchange_strong(unclaimed, context().pid, std::memory_order_acq_rel)) continue;
    run_chunk(slot);
    results.put(next);
    ++done;
  }
}

// Like Python's mapstar: the calls run in order, and the first exception ends the chunk and fails it.
void PoolCore::run_chunk(std::uint32_t slot_index) {
  TaskSlot& slot = slots[slot_index];
  const RegisteredTask& task = task_registry()[slot.task];  // the main process checked that this worker knows it
  const std::vector<Args> calls = split_calls(slot.take());
  std::vector<Value> returned{0};
  for (std::uint32_t i = 0; i < calls.size(); ++i) {
    runners[slot_index].call.store(i, std::memory_order_relaxed);
    try {
      const TaskSpanGuard span(id, call_label(task.name, calls[i]));
      returned.push_back(task.function(calls[i]));
    } catch (const SystemExit&) {
      throw;  // forkscope::exit() in a task ends the worker, as sys.exit() does in Python's
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
