// multiprocessing.Pool over fork(), with Python's names and semantics: Pool(processes, initializer, initargs,
// maxtasksperchild); apply, apply_async, map, map_async, imap, imap_unordered, starmap, starmap_async, close, join,
// terminate; AsyncResult get(timeout), wait, ready, successful.
//
// Tasks are named functions (forkscope::Task) registered before the pool starts: the workers are forked copies of
// the main process and know every task registered before they were forked, the way Python's workers find a pickled
// function by its name. Arguments and results are Values.
//
// Callbacks run in the main process, as in Python, as soon as the result arrives, but without Python's
// result-handler thread: the lesson main forks (pools, processes), so it stays single-threaded. Results are taken
// in, and their callbacks run, whenever the main process calls into the pool or one of its results, and, while the
// pool has work outstanding, every few milliseconds of any wait of the main process (sleep, a lock, a queue, an
// event, a join...). A worker that died is noticed the same way and replaced (ForkPoolWorker-N with the next N);
// a worker that left after maxtasksperchild chunks too.
//
// On the timeline: workers are lanes named ForkPoolWorker-N; "<name> tasks" and "<name> results" are the queues
// between the main process and the workers (their depth counts chunks of work); each call of a task is a span on
// the worker that ran it, labelled with its arguments ("work(3)"); each callback is a span on the main process's
// lane ("callback parse_page(...)"). A main process waiting for results is blocked on "<name> results".
//
// Where it differs from Python: submitting a task registered after the pool started raises ValueError at once
// (Python fails later, in the worker); get() or wait() on a result that a terminated pool will never deliver does
// not wait: without a timeout it raises ValueError (Python would wait forever), with one it gives up at once; the
// task a killed worker was running fails with RuntimeError naming the worker, its pid, the signal and the call
// (Python would wait forever for it).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "forkscope/errors.hpp"
#include "forkscope/value.hpp"

namespace forkscope {

using Args = std::vector<Value>;

namespace detail {
struct PoolCore;
struct Job;

template <class T, class U = std::remove_cvref_t<T>>
U argument_as(const Value& v) {
  if constexpr (std::is_same_v<U, Value>) return v;
  else if constexpr (std::is_same_v<U, std::string>) return v.as_str();
  else if constexpr (std::is_floating_point_v<U>) return static_cast<U>(v.as_float());
  else {
    static_assert(std::is_integral_v<U>, "task parameters are Value, integers, floating point or std::string");
    return static_cast<U>(v.as_int());
  }
}

[[noreturn]] void throw_argument_count(const std::string& task, std::size_t expected, std::size_t given);

// Wraps a function with typed parameters as a function of Args (checking the count, converting each argument).
template <class F, class R, class... A>
std::function<Value(const Args&)> typed_task(std::string name, F f, std::function<R(A...)>*) {
  return [name = std::move(name), f = std::move(f)](const Args& args) mutable -> Value {
    if (args.size() != sizeof...(A)) throw_argument_count(name, sizeof...(A), args.size());
    return [&]<std::size_t... I>(std::index_sequence<I...>) -> Value {
      if constexpr (std::is_void_v<R>) {
        f(argument_as<A>(args[I])...);
        return None;
      } else {
        return Value(f(argument_as<A>(args[I])...));
      }
    }(std::index_sequence_for<A...>{});
  };
}
}  // namespace detail

// A function a pool can run, by name. Register it in the main process before creating the Pool that runs it
// (like a Python function defined before Pool()). Either a function of Args, or of typed parameters:
//   forkscope::Task square("square", [](std::int64_t n) { return n * n; });
class Task {
 public:
  using Function = std::function<Value(const Args&)>;
  Task(std::string name, Function function);
  template <class F>
    requires(!std::is_convertible_v<F, Function>)
  Task(std::string name, F function)
      : Task(name, detail::typed_task(name, std::move(function), static_cast<decltype(std::function{function})*>(nullptr))) {}

  [[nodiscard]] const std::string& name() const;
  [[nodiscard]] std::uint32_t index() const { return index_; }  // in this process's registry

 private:
  std::uint32_t index_ = 0;
};

// A function the main process runs with a result (callback) or a task's error (error_callback). The name labels its
// span on the main process's lane.
template <class T>
struct Callback {
  std::string name;
  std::function<void(const T&)> function;
};

template <class T>
struct Callbacks {
  Callback<T> callback;
  Callback<LessonError> error_callback;
};

// The result of apply_async (T = Value) or map_async (T = std::vector<Value>). Copies share the result.
template <class T>
class AsyncResult {
 public:
  // The result, waiting for it if needed. TimeoutError when not ready in time; the task's own error (its type and
  // message) when it raised.
  T get(std::optional<double> timeout = std::nullopt);
  void wait(std::optional<double> timeout = std::nullopt);
  [[nodiscard]] bool ready();
  [[nodiscard]] bool successful();  // ValueError while not ready

 private:
  friend class Pool;
  AsyncResult(std::shared_ptr<detail::PoolCore> pool, std::shared_ptr<detail::Job> job)
      : pool_(std::move(pool)), job_(std::move(job)) {}
  std::shared_ptr<detail::PoolCore> pool_;
  std::shared_ptr<detail::Job> job_;
};
using ApplyResult = AsyncResult<Value>;
using MapResult = AsyncResult<std::vector<Value>>;

// What imap and imap_unordered return: the results one by one, in order (imap) or as they arrive.
class IMapIterator {
 public:
  // The next result, waiting for it if needed; nullopt after the last. TimeoutError, or the task's error.
  std::optional<Value> next(std::optional<double> timeout = std::nullopt);

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Value;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(IMapIterator* source) : source_(source) { ++*this; }
    const Value& operator*() const { return *current_; }
    iterator& operator++() {
      current_ = source_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) { return !a.current_ && !b.current_; }

   private:
    IMapIterator* source_ = nullptr;
    std::optional<Value> current_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return {}; }

 private:
  friend class Pool;
  IMapIterator(std::shared_ptr<detail::PoolCore> pool, std::shared_ptr<detail::Job> job, bool ordered)
      : pool_(std::move(pool)), job_(std::move(job)), ordered_(ordered) {}
  std::shared_ptr<detail::PoolCore> pool_;
  std::shared_ptr<detail::Job> job_;
  bool ordered_ = true;
  std::size_t yielded_ = 0;
};

struct PoolOptions {
  std::optional<std::int64_t> processes;          // nullopt: os.cpu_count()
  std::function<void(const Args&)> initializer;   // runs in each worker as it starts
  Args initargs;
  std::optional<std::int64_t> maxtasksperchild;   // a worker exits after this many chunks and is replaced
  std::string name = "pool";                      // on the timeline; its queues are "<name> tasks", "<name> results"
};

class Pool {
 public:
  explicit Pool(std::optional<std::int64_t> processes = std::nullopt);
  explicit Pool(PoolOptions options);  // ValueError when processes < 1 or maxtasksperchild < 1
  // Like leaving Python's `with Pool() as pool:` block: terminate() unless join() already ended the pool.
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Submitting raises ValueError("Pool not running") after close() or terminate().
  Value apply(const Task& func, Args args = {});
  ApplyResult apply_async(const Task& func, Args args = {}, Callbacks<Value> callbacks = {});
  // chunksize nullopt: Python's default, ceil(len / (4 * processes)).
  std::vector<Value> map(const Task& func, const std::vector<Value>& iterable, std::optional<std::int64_t> chunksize = {});
  MapResult map_async(const Task& func, const std::vector<Value>& iterable, std::optional<std::int64_t> chunksize = {},
                      Callbacks<std::vector<Value>> callbacks = {});
  std::vector<Value> starmap(const Task& func, const std::vector<Args>& iterable, std::optional<std::int64_t> chunksize = {});
  MapResult starmap_async(const Task& func, const std::vector<Args>& iterable, std::optional<std::int64_t> chunksize = {},
                          Callbacks<std::vector<Value>> callbacks = {});
  IMapIterator imap(const Task& func, const std::vector<Value>& iterable, std::int64_t chunksize = 1);
  IMapIterator imap_unordered(const Task& func, const std::vector<Value>& iterable, std::int64_t chunksize = 1);

  void close();      // no more tasks; the workers leave once the submitted ones are done
  void terminate();  // stops the workers now (SIGTERM); pending tasks are dropped
  void join();       // after close() or terminate() (ValueError before): waits for the workers to exit

  [[nodiscard]] std::int64_t processes() const;
  [[nodiscard]] std::uint16_t id() const;  // the Pool object on the timeline

 private:
  std::shared_ptr<detail::PoolCore> core_;
};

}  // namespace forkscope
