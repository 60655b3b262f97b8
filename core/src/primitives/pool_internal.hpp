// The inside of a Pool: what the main process and the workers share (the queues and the task slots), the payload
// format of calls and results, and the main process's private bookkeeping (jobs, chunks, workers).
// A chunk of calls travels as a slot number: the main process writes the calls into a free slot and puts the slot's
// number into the task queue; the worker that gets it runs the calls, writes their results into the same slot and
// puts the number into the result queue; the main process reads the results and frees the slot.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "forkscope/pool.hpp"
#include "forkscope/process.hpp"
#include "forkscope/queue.hpp"
#include "forkscope/trace_event.hpp"
#include "session/runtime.hpp"

namespace forkscope::detail {

// ---- the shared part ----------------------------------------------------------------------------------------------

// One chunk in flight, in the session arena: the calls, then their results, each a list of Values in the wire
// format of pipes and managers (wire.hpp). Messages too large for the slot go to the payload store.
//   calls:   for each call, its number of arguments, then the arguments
//   results: 0 and one value per call, or 1 and the error's type and message
struct TaskSlot {
  static constexpr std::size_t kInlineBytes = 240;
  std::uint32_t task = 0;      // Task::index()
  std::int32_t worker = 0;     // pid of the worker that ran it
  std::uint32_t size = 0;      // message bytes
  BlobId spill = kNoBlob;  // the message, when larger than kInlineBytes (given back when taken)
  char bytes[kInlineBytes];

  void store(const std::vector<Value>& message);
  [[nodiscard]] std::vector<Value> take();  // reads the message once
};
static_assert(sizeof(TaskSlot) == 256);

// Who is running the chunk in each slot, so the main process can fail the chunk of a worker that died: the worker's
// pid and the index of the call it is running within the chunk. A worker that takes the slot's number off the task
// queue claims the chunk by swapping 0 for its pid; a worker killed between the two leaves the chunk unclaimed, and
// the main process claims it back (kReclaimed) and puts it in the queue again (PoolCore::requeue_unclaimed_chunks).
struct SlotRunner {
  static constexpr std::int32_t kReclaimed = -1;
  std::atomic<std::int32_t> pid{0};
  std::atomic<std::uint32_t> call{0};
};

// A chunk's calls from TaskSlot's format: for each call, its number of arguments, then the arguments.
[[nodiscard]] std::vector<Args> split_calls(const std::vector<Value>& message);

// ---- tasks, errors, labels ----------------------------------------------------------------------------------------

struct RegisteredTask {
  std::string name;
  Task::Function function;
};
// This process's tasks, by Task::index(). Forked workers inherit the tasks registered before they were forked.
[[nodiscard]] std::vector<RegisteredTask>& task_registry();

// An exception raised by a task, as it crosses back to the main process: its Python type name and its message.
struct TaskError {
  std::string type;
  std::string message;
};
[[nodiscard]] TaskError describe_error(std::exception_ptr error);
// Throws the error the task raised, as its own class (raise_python_error).
[[noreturn]] void raise_task_error(const TaskError& error);

// "3, 'a'": values as Python would list them, shortened for a timeline label.
[[nodiscard]] std::string short_repr(const std::vector<Value>& values);
// "work(3)", "parse_page('/1')": a call as Python would write it, shortened.
[[nodiscard]] std::string call_label(std::string_view function, const std::vector<Value>& args);

// A TaskBegin ... TaskEnd pair on this process's lane; TaskEnd says whether the span ended by an exception.
class TaskSpanGuard {
 public:
  TaskSpanGuard(std::uint16_t pool, const std::string& label);
  ~TaskSpanGuard();
  TaskSpanGuard(const TaskSpanGuard&) = delete;
  TaskSpanGuard& operator=(const TaskSpanGuard&) = delete;

 private:
  std::uint16_t pool_;
  int exceptions_;
};

// ---- the main process's bookkeeping -------------------------------------------------------------------------------

// Each call's outcome: not arrived yet, returned a value, or raised.
using Outcome = std::variant<std::monostate, Value, TaskError>;

// One submission: apply_async (one call), map_async/starmap (many), imap (many, read one by one).
struct Job {
  std::vector<Outcome> outcomes;       // by call index
  std::vector<std::size_t> arrivals;   // call indexes in the order their results arrived
  std::size_t chunks_left = 0;
  bool ready = false;                  // every chunk arrived (a map that failed, too: Python's waits for all)
  std::optional<TaskError> error;      // the first error to arrive
  std::function<void(Job&)> on_ready;  // the callbacks

  [[nodiscard]] std::vector<Value> values() const;
};

struct PoolCore final : WaitHelper {
  enum class State { Run, Close, Terminate };
  static constexpr std::uint32_t kSlots = 1024;
  static constexpr double kWorkerCheckSeconds = 0.1;  // real seconds, as often as Python's worker handler looks

  // A chunk of calls of one job: waiting for a free slot, then in flight in that slot.
  struct Chunk {
    std::shared_ptr<Job> job;
    std::size_t first = 0, calls = 0;
    std::uint32_t task = 0;
    std::vector<Value> calls_message;  // TaskSlot's format; kept in flight to name the call a dead worker ran
  };
  struct Worker {
    Process process;
    std::int64_t chunks_done = 0;
    bool retired = false;  // left after maxtasksperchild chunks
    bool gone = false;     // reaped by replace_dead_workers
  };

  explicit PoolCore(PoolOptions options);

  // Main process.
  template <class Call>
  std::shared_ptr<Job> submit(const Task& task, const std::vector<Call>& calls, std::size_t chunksize,
                              std::function<void(Job&)> on_ready);
  // Takes results in until `done()` holds. False when `timeout` (lesson seconds) passed first.
  bool wait_until(const std::function<bool()>& done, std::optional<double> timeout);
  void drain();  // takes in the results that have arrived, without waiting
  // WaitHelper: while chunks are outstanding, the main process's other waits take results in, run callbacks and
  // replace dead workers, as Python's result-handler and worker-handler threads do.
  [[nodiscard]] bool has_work() const override { return state != State::Terminate && chunks_outstanding() > 0; }
  void help() override;
  void close();
  void terminate();
  void join();
  template <class T>
  void run_callback(const Callback<T>& callback, const T& argument, const std::string& argument_text);

  [[nodiscard]] std::size_t chunks_outstanding() const { return waiting.size() + (kSlots - free_slots.size()); }
  void feed();  // moves waiting chunks into free slots (and the task queue), then the sentinels once closing
  bool receive(std::optional<double> timeout);
  void deliver(Job& job, const Chunk& chunk, std::vector<Value> values, std::optional<TaskError> error);
  void count_chunk(pid_t worker);
  void start_worker();
  [[nodiscard]] bool needs_workers() const;
  // Reaps workers that ended; fails the chunk one that died was running and starts a worker in its place.
  void replace_dead_workers();
  void fail_chunks_of(const Worker& worker, int exitcode);
  [[nodiscard]] std::size_t requeue_unclaimed_chunks();  // how many it put back
  void put_task(const Value& item);  // a slot's number, or a sentinel (None)
  void rethrow_helper_error();  // an error a callback raised while it ran inside another wait

  // A worker process.
  void worker_main();
  void run_chunk(std::uint32_t slot);

  PoolOptions options;
  std::int64_t processes = 0;
  std::uint16_t id = 0;
  std::uint32_t tasks_known = 0;  // tasks registered when the pool started: the ones its workers know
  Queue tasks, results;
  TaskSlot* slots = nullptr;
  SlotRunner* runners = nullptr;  // by slot

  State state = State::Run;
  bool sentinels_sent = false;
  bool joined = false;
  std::vector<Worker> workers;
  std::deque<Chunk> waiting;           // submitted while every slot was busy
  std::vector<Chunk> in_flight;        // by slot
  std::vector<std::uint64_t> put_at;   // by slot: its number's position in the task queue, the latest time it was put
  std::uint64_t tasks_put = 0;         // everything ever put in the task queue: only this process puts there
  std::vector<std::uint32_t> free_slots;
  std::exception_ptr helper_error;
};

}  // namespace forkscope::detail
