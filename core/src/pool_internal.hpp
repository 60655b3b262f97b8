// The inside of a Pool: what the main process and the workers share (the queues and the task slots), the payload
// format of calls and results, and the main process's private bookkeeping (jobs, chunks, workers).
// A chunk of calls travels as a slot number: the main process writes the calls into a free slot and puts the slot's
// number into the task queue; the worker that gets it runs the calls, writes their results into the same slot and
// puts the number into the result queue; the main process reads the results and frees the slot.
#pragma once

#include <sys/types.h>

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
// Throws the LessonError subclass the task raised (LessonError itself for other types), with its message.
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
  bool ready = false;                  // every chunk arrived, or one raised (a map fails at its first error)
  std::optional<TaskError> error;      // the first error
  std::function<void(Job&)> on_ready;  // the callbacks

  [[nodiscard]] std::vector<Value> values() const;
};

struct PoolCore {
  enum class State { Run, Close, Terminate };
  static constexpr std::uint32_t kSlots = 1024;

  // A chunk of calls of one job: waiting for a free slot, then in flight in that slot.
  struct Chunk {
    std::shared_ptr<Job> job;
    std::size_t first = 0, calls = 0;
    std::uint32_t task = 0;
    std::vector<Value> calls_message;  // TaskSlot's format, until it is in a slot
  };
  struct Worker {
    Process process;
    std::int64_t chunks_done = 0;
    bool retired = false;  // left after maxtasksperchild chunks
  };

  explicit PoolCore(PoolOptions options);

  // Main process.
  template <class Call>
  std::shared_ptr<Job> submit(const Task& task, const std::vector<Call>& calls, std::size_t chunksize,
                              std::function<void(Job&)> on_ready);
  // Takes results in until `done()` holds. False when `timeout` (lesson seconds) passed first.
  bool wait_until(const std::function<bool()>& done, std::optional<double> timeout);
  void drain();  // takes in the results that have arrived, without waiting
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

  // A worker process.
  void worker_main();
  void run_chunk(TaskSlot& slot);

  PoolOptions options;
  std::int64_t processes = 0;
  std::uint16_t id = 0;
  std::uint32_t tasks_known = 0;  // tasks registered when the pool started: the ones its workers know
  Queue tasks, results;
  TaskSlot* slots = nullptr;

  State state = State::Run;
  bool sentinels_sent = false;
  bool joined = false;
  std::vector<Worker> workers;
  std::deque<Chunk> waiting;           // submitted while every slot was busy
  std::vector<Chunk> in_flight;        // by slot
  std::vector<std::uint32_t> free_slots;
};

}  // namespace forkscope::detail
