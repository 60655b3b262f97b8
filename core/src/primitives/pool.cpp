// Pool, AsyncResult and IMapIterator: the main process's side of a pool. Everything here runs in the lesson process
// that made the pool, single-threaded: results are taken in (and callbacks run) inside its calls.
#include "forkscope/pool.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "forkscope/lesson_api.hpp"
#include "primitives/pool_internal.hpp"
#include "session/proc.hpp"
#include "session/runtime.hpp"

namespace forkscope {

namespace detail {

namespace {

std::int64_t checked_processes(const PoolOptions& options) {
  const std::int64_t n = options.processes.value_or(sysconf(_SC_NPROCESSORS_ONLN));  // os.cpu_count()
  if (n < 1) throw ValueError("Number of processes must be at least 1");
  if (options.maxtasksperchild && *options.maxtasksperchild < 1)
    throw ValueError("maxtasksperchild must be a positive int or None");
  return n;
}

}  // namespace

std::vector<Value> Job::values() const {
  std::vector<Value> out;
  out.reserve(outcomes.size());
  for (const Outcome& o : outcomes) out.push_back(std::get<Value>(o));
  return out;
}

PoolCore::PoolCore(PoolOptions pool_options)
    : options(std::move(pool_options)),
      processes(checked_processes(options)),
      id(announce_object(ObjectKind::Pool, options.name, processes)),
      tasks_known(static_cast<std::uint32_t>(task_registry().size())),
      // Room for every slot and every sentinel: neither queue ever makes anyone wait to put.
      tasks(static_cast<std::int64_t>(kSlots) + processes, options.name + " tasks"),
      results(kSlots, options.name + " results") {
  // Zero-filled arena memory is already a valid array of empty slots; leaving it untouched costs no page faults.
  slots = static_cast<TaskSlot*>(context().session->allocate(sizeof(TaskSlot) * kSlots));
  runners = new (context().session->allocate(sizeof(SlotRunner) * kSlots)) SlotRunner[kSlots];
  free_slots.reserve(kSlots);
  for (std::uint32_t s = kSlots; s > 0; --s) free_slots.push_back(s - 1);
  workers.reserve(static_cast<std::size_t>(processes));
  for (std::int64_t i = 0; i < processes; ++i) start_worker();
}

void PoolCore::start_worker() {
  Process worker([this] { worker_main(); });
  // Python renames its ForkProcess-N to ForkPoolWorker-N: the number counts every process this one created.
  worker.set_name("ForkPoolWorker-" + worker.name().substr(worker.name().find('-') + 1));
  worker.set_daemon(true);
  worker.start();
  workers.push_back(Worker{std::move(worker)});
}

template <class Call>
std::shared_ptr<Job> PoolCore::submit(const Task& task, const std::vector<Call>& calls, std::size_t chunksize,
                                      std::function<void(Job&)> on_ready) {
  if (state != State::Run) throw ValueError("Pool not running");
  if (task.index() >= tasks_known)
    throw ValueError(fmt::format("task '{}' was registered after the pool started, so its workers do not know it; "
                                 "register tasks before creating the Pool",
                                 task.name()));
  const BusyGuard busy(busy_);
  drain();
  auto job = std::make_shared<Job>();
  job->outcomes.resize(calls.size());
  job->on_ready = std::move(on_ready);
  for (std::size_t first = 0; first < calls.size(); first += chunksize) {
    const std::size_t n = std::min(chunksize, calls.size() - first);
    std::vector<Value> message;
    for (std::size_t i = first; i < first + n; ++i) {
      if constexpr (std::is_same_v<Call, Value>) {
        message.insert(message.end(), {1, calls[i]});
      } else {
        message.emplace_back(static_cast<std::int64_t>(calls[i].size()));
        message.insert(message.end(), calls[i].begin(), calls[i].end());
      }
    }
    waiting.push_back(Chunk{job, first, n, task.index(), std::move(message)});
    ++job->chunks_left;
  }
  if (job->chunks_left == 0) {
    job->ready = true;
    if (job->on_ready) job->on_ready(*job);
  }
  feed();
  return job;
}

void PoolCore::feed() {
  while (!waiting.empty() && !free_slots.empty()) {
    const std::uint32_t slot = free_slots.back();
    free_slots.pop_back();
    // Grown as slots come into use (from slot 0 up): memory touched after the workers were forked is not shared
    // with them, so writing it costs no page copies.
    if (in_flight.size() <= slot) {
      in_flight.resize(slot + 1);
      put_at.resize(slot + 1);
    }
    Chunk& chunk = in_flight[slot] = std::move(waiting.front());
    waiting.pop_front();
    slots[slot].task = chunk.task;
    slots[slot].store(chunk.calls_message);
    // Claimable from here on, and not before: a free slot keeps the pid of its last runner, so a worker holding a
    // stale copy of its number cannot claim it while the calls are being written.
    runners[slot].pid.store(0, std::memory_order_release);
    put_task(static_cast<std::int64_t>(slot));
  }
  // The sentinels go behind the last chunk: each worker finishes the work, then takes one and leaves.
  if (state == State::Close && waiting.empty() && !sentinels_sent) {
    for (std::int64_t i = 0; i < processes; ++i) put_task(None);
    sentinels_sent = true;
  }
}

void PoolCore::put_task(const Value& item) {
  if (!item.is_none()) put_at[static_cast<std::size_t>(item.as_int())] = tasks_put;
  tasks.put(item);
  ++tasks_put;
}

bool PoolCore::receive(std::optional<double> timeout) {
  std::uint32_t slot = 0;
  try {
    slot = static_cast<std::uint32_t>(results.get(true, timeout).as_int());
  } catch (const Empty&) {
    return false;
  }
  const Chunk chunk = std::move(in_flight[slot]);
  std::vector<Value> values = slots[slot].take();
  std::optional<TaskError> error;
  if (values.at(0).as_int() != 0) error = TaskError{values.at(1).as_str(), values.at(2).as_str()};
  values.erase(values.begin());
  const pid_t worker = slots[slot].worker;
  free_slots.push_back(slot);
  count_chunk(worker);
  feed();
  deliver(*chunk.job, chunk, std::move(values), std::move(error));
  return true;
}

void PoolCore::deliver(Job& job, const Chunk& chunk, std::vector<Value> values, std::optional<TaskError> error) {
  for (std::size_t i = 0; i < chunk.calls; ++i) {
    if (error) job.outcomes[chunk.first + i] = *error;
    else job.outcomes[chunk.first + i] = std::move(values[i]);
    job.arrivals.push_back(chunk.first + i);
  }
  --job.chunks_left;
  if (error && !job.error) job.error = std::move(error);
  if (job.chunks_left > 0) return;  // like Python's, a failed map is ready only once every chunk is back
  job.ready = true;
  if (job.on_ready) job.on_ready(job);
}

// maxtasksperchild: a worker leaves after its last chunk; while there is work, another one takes its place.
void PoolCore::count_chunk(pid_t worker) {
  if (!options.maxtasksperchild) return;
  for (Worker& w : workers) {
    if (w.retired || w.process.pid() != worker) continue;
    if (++w.chunks_done < *options.maxtasksperchild) return;
    w.retired = true;
    if (needs_workers()) start_worker();
    return;
  }
}

// Python's worker handler keeps the pool full while it runs, and while closing as long as work is left.
bool PoolCore::needs_workers() const {
  return state == State::Run || (state == State::Close && chunks_outstanding() > 0);
}

void PoolCore::replace_dead_workers() {
  std::size_t replacements = 0;
  for (std::size_t i = 0; i < workers.size(); ++i) {  // by index: failing a chunk may run a callback
    if (workers[i].gone) continue;
    const std::optional<int> exitcode = workers[i].process.exitcode();  // waitpid WNOHANG
    if (!exitcode) continue;
    workers[i].gone = true;
    if (*exitcode == 0) continue;  // left after its sentinel or its last chunk (maxtasksperchild)
    drain();  // what it sent before it died is not lost
    fail_chunks_of(workers[i], *exitcode);
    ++replacements;
  }
  if (replacements == 0) return;
  const std::size_t requeued = requeue_unclaimed_chunks();
  if (sentinels_sent) {  // each chunk put back behind the sentinels needs a worker of its own, and a sentinel for it
    for (std::size_t i = 0; i < requeued; ++i) put_task(None);
    replacements += requeued;
  }
  for (; replacements > 0 && needs_workers(); --replacements) start_worker();
}

// A worker killed between taking a slot's number off the task queue and claiming its chunk leaves the chunk nobody's.
// Which worker took a number cannot be known, but whether a number was taken can: the main process claims every
// taken, unclaimed chunk back and puts its number in the queue again. A live worker that took one of them and had
// not claimed it yet finds the claim gone and takes the next number. So no chunk is lost and none runs twice.
std::size_t PoolCore::requeue_unclaimed_chunks() {
  const std::uint64_t taken = tasks_put - static_cast<std::uint64_t>(tasks.qsize());  // the workers took these
  std::size_t requeued = 0;
  for (std::uint32_t slot = 0; slot < in_flight.size(); ++slot) {
    if (!in_flight[slot].job || put_at[slot] >= taken) continue;  // free, or its number is still in the queue
    std::int32_t unclaimed = 0;
    if (!runners[slot].pid.compare_exchange_strong(unclaimed, SlotRunner::kReclaimed, std::memory_order_acq_rel))
      continue;  // a worker has it
    runners[slot].pid.store(0, std::memory_order_release);
    put_task(static_cast<std::int64_t>(slot));
    ++requeued;
  }
  return requeued;
}

// Python would wait forever for a chunk whose worker died; a teaching tool says what happened instead.
void PoolCore::fail_chunks_of(const Worker& worker, int exitcode) {
  const pid_t pid = worker.process.pid();
  for (std::uint32_t slot = 0; slot < in_flight.size(); ++slot) {
    if (!in_flight[slot].job || runners[slot].pid.load(std::memory_order_acquire) != pid) continue;
    const Chunk chunk = std::move(in_flight[slot]);
    in_flight[slot] = {};
    const std::vector<Args> calls = split_calls(chunk.calls_message);  // the slot's copy went to the worker
    const std::uint32_t running = std::min<std::uint32_t>(runners[slot].call.load(std::memory_order_relaxed),
                                                          static_cast<std::uint32_t>(calls.size() - 1));
    const std::string message = fmt::format("{} (pid {}) {} while running {}", worker.process.name(), pid, how_it_ended(exitcode),
                                            call_label(task_registry()[chunk.task].name, calls[running]));
    free_slots.push_back(slot);
    feed();
    deliver(*chunk.job, chunk, {}, TaskError{"RuntimeError", message});
  }
}

void PoolCore::help() {
  const BusyGuard busy(busy_);
  try {
    drain();
    replace_dead_workers();
  } catch (...) {
    // A callback raised while the main process was waiting for something else: the next call into the pool
    // raises it.
    if (!helper_error) helper_error = std::current_exception();
  }
}

void PoolCore::rethrow_helper_error() {
  if (!helper_error) return;
  std::rethrow_exception(std::exchange(helper_error, nullptr));
}

bool PoolCore::wait_until(const std::function<bool()>& done, std::optional<double> timeout) {
  const BusyGuard busy(busy_);
  rethrow_helper_error();
  const std::optional<double> end = timeout ? std::optional(lesson_time() + *timeout) : std::nullopt;
  while (!done()) {
    if (state == State::Terminate) {
      if (!timeout) throw ValueError("the pool was terminated before this result arrived: it never will");
      return false;
    }
    const double left = end ? *end - lesson_time() : kWorkerCheckSeconds * speed();
    if (left <= 0) return false;
    // At least every 0.1 s, like Python's worker handler: a worker that died is noticed and replaced.
    if (!receive(std::min(left, kWorkerCheckSeconds * speed()))) replace_dead_workers();
  }
  return true;
}

void PoolCore::drain() {
  const BusyGuard busy(busy_);
  rethrow_helper_error();
  while (state != State::Terminate && results.qsize() > 0) receive(std::nullopt);
}

void PoolCore::close() {
  if (state != State::Run) return;
  state = State::Close;
  feed();
}

void PoolCore::terminate() {
  if (state == State::Terminate) return;
  const BusyGuard busy(busy_);
  // What already arrived counts, as it would have with Python's result-handler thread. A callback that raises
  // still lets the workers stop first.
  std::exception_ptr callback_error;
  try {
    drain();
  } catch (...) {
    callback_error = std::current_exception();
  }
  state = State::Terminate;
  waiting.clear();
  for (Worker& w : workers)
    if (!w.retired) w.process.terminate();
  for (Worker& w : workers) w.process.join();
  joined = true;
  if (callback_error) std::rethrow_exception(callback_error);
}

void PoolCore::join() {
  if (state == State::Run) throw ValueError("Pool is still running");
  const BusyGuard busy(busy_);
  wait_until([this] { return state == State::Terminate || chunks_outstanding() == 0; }, std::nullopt);
  for (Worker& w : workers) w.process.join();
  joined = true;
}

template <class T>
void PoolCore::run_callback(const Callback<T>& callback, const T& argument, const std::string& argument_text) {
  const TaskSpanGuard span(id, fmt::format("callback {}({})", callback.name, argument_text));
  callback.function(argument);
}

// Runs the callback or the error_callback of a finished job, in this (the main) process.
template <class T>
std::function<void(Job&)> callbacks_for(PoolCore& pool, Callbacks<T> callbacks) {
  if (!callbacks.callback.function && !callbacks.error_callback.function) return {};
  return [&pool, callbacks = std::move(callbacks)](Job& job) {
    if (job.error) {
      if (!callbacks.error_callback.function) return;
      try {
        raise_task_error(*job.error);
      } catch (const LessonError& e) {
        pool.run_callback(callbacks.error_callback, e, fmt::format("{}('{}')", e.python_name(), e.what()));
      }
    } else if (callbacks.callback.function) {
      if constexpr (std::is_same_v<T, Value>) {
        const Value& value = std::get<Value>(job.outcomes.front());
        pool.run_callback(callbacks.callback, value, short_repr({value}));
      } else {
        const std::vector<Value> values = job.values();
        pool.run_callback(callbacks.callback, values, fmt::format("[{}]", short_repr(values)));
      }
    }
  };
}

}  // namespace detail

// ---- AsyncResult, IMapIterator ----------------------------------------------------------------------------------------

template <class T>
T AsyncResult<T>::get(std::optional<double> timeout) {
  wait(timeout);
  if (!job_->ready) throw TimeoutError();
  if (job_->error) detail::raise_task_error(*job_->error);
  if constexpr (std::is_same_v<T, Value>) return std::get<Value>(job_->outcomes.front());
  else return job_->values();
}

template <class T>
void AsyncResult<T>::wait(std::optional<double> timeout) {
  pool_->wait_until([this] { return job_->ready; }, timeout);
}

template <class T>
bool AsyncResult<T>::ready() {
  pool_->drain();
  return job_->ready;
}

template <class T>
bool AsyncResult<T>::successful() {
  if (!ready()) throw ValueError("the result is not ready");
  return !job_->error;
}

template class AsyncResult<Value>;
template class AsyncResult<std::vector<Value>>;

std::optional<Value> IMapIterator::next(std::optional<double> timeout) {
  const std::vector<detail::Outcome>& outcomes = job_->outcomes;
  if (yielded_ == outcomes.size()) return std::nullopt;
  const auto arrived = [&] {
    return ordered_ ? !std::holds_alternative<std::monostate>(outcomes[yielded_]) : job_->arrivals.size() > yielded_;
  };
  if (!pool_->wait_until(arrived, timeout)) throw TimeoutError();
  const detail::Outcome& outcome = outcomes[ordered_ ? yielded_ : job_->arrivals[yielded_]];
  ++yielded_;
  if (const auto* error = std::get_if<detail::TaskError>(&outcome)) detail::raise_task_error(*error);
  return std::get<Value>(outcome);
}

// ---- Pool -----------------------------------------------------------------------------------------------------------

namespace {

// Python's default: about four chunks per worker.
std::size_t default_chunksize(std::size_t items, std::int64_t processes) {
  const auto per = static_cast<std::size_t>(processes) * 4;
  return std::max<std::size_t>(1, (items + per - 1) / per);
}

std::size_t checked_chunksize(std::optional<std::int64_t> chunksize, std::size_t items, std::int64_t processes) {
  if (!chunksize) return default_chunksize(items, processes);
  if (*chunksize < 1) throw ValueError(fmt::format("Chunksize must be 1+, not {}", *chunksize));
  return static_cast<std::size_t>(*chunksize);
}

}  // namespace

Pool::Pool(std::optional<std::int64_t> processes) : Pool(PoolOptions{.processes = processes}) {}

Pool::Pool(PoolOptions options) : core_(std::make_shared<detail::PoolCore>(std::move(options))) {}

Pool::~Pool() {
  if (core_->joined) return;
  try {
    core_->terminate();
  } catch (...) {
    // A destructor cannot report: terminate() already stopped what it could, and the lesson's exit rules reap the rest.
  }
}

Value Pool::apply(const Task& func, Args args) { return apply_async(func, std::move(args)).get(); }

ApplyResult Pool::apply_async(const Task& func, Args args, Callbacks<Value> callbacks) {
  const std::vector<Args> calls{std::move(args)};
  return {core_, core_->submit(func, calls, 1, detail::callbacks_for(*core_, std::move(callbacks)))};
}

std::vector<Value> Pool::map(const Task& func, const std::vector<Value>& iterable, std::optional<std::int64_t> chunksize) {
  return map_async(func, iterable, chunksize).get();
}

MapResult Pool::map_async(const Task& func, const std::vector<Value>& iterable, std::optional<std::int64_t> chunksize,
                          Callbacks<std::vector<Value>> callbacks) {
  const std::size_t size = checked_chunksize(chunksize, iterable.size(), core_->processes);
  return {core_, core_->submit(func, iterable, size, detail::callbacks_for(*core_, std::move(callbacks)))};
}

std::vector<Value> Pool::starmap(const Task& func, const std::vector<Args>& iterable, std::optional<std::int64_t> chunksize) {
  return starmap_async(func, iterable, chunksize).get();
}

MapResult Pool::starmap_async(const Task& func, const std::vector<Args>& iterable, std::optional<std::int64_t> chunksize,
                              Callbacks<std::vector<Value>> callbacks) {
  const std::size_t size = checked_chunksize(chunksize, iterable.size(), core_->processes);
  return {core_, core_->submit(func, iterable, size, detail::callbacks_for(*core_, std::move(callbacks)))};
}

IMapIterator Pool::imap(const Task& func, const std::vector<Value>& iterable, std::int64_t chunksize) {
  return {core_, core_->submit(func, iterable, checked_chunksize(chunksize, iterable.size(), core_->processes), {}), true};
}

IMapIterator Pool::imap_unordered(const Task& func, const std::vector<Value>& iterable, std::int64_t chunksize) {
  return {core_, core_->submit(func, iterable, checked_chunksize(chunksize, iterable.size(), core_->processes), {}), false};
}

void Pool::close() { core_->close(); }
void Pool::terminate() { core_->terminate(); }
void Pool::join() { core_->join(); }
std::int64_t Pool::processes() const { return core_->processes; }
std::uint16_t Pool::id() const { return core_->id; }

}  // namespace forkscope
