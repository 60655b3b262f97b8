// forkscope._native: a Python program's processes and threads on Forkscope's timeline. CPython keeps the semantics
// of multiprocessing; this module attaches each process (and each thread that acts) to the run's session, writes the
// same 32-byte events as the C++ lessons, passes the same gate, and supplies the semaphore behind every lock
// (semlock.cpp). The forkscope package (core/python/forkscope/) wires it into multiprocessing.
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <csignal>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <pybind11/stl.h>
#include <nlohmann/json.hpp>

#include "forkscope/lesson_api.hpp"
#include "native.hpp"
#include "primitives/process_exit.hpp"
#include "session/socket_wait.hpp"

namespace forkscope::python {

Attachment g_attachment;
thread_local CurrentOp t_op;

namespace {

// A Python thread other than a process's main one: a slot of its own, ended when the thread ends. On the heap: the
// module's thread-local storage must stay small (it is taken from the static TLS block, see core/CMakeLists.txt).
struct ThreadSlot {
  detail::ProcessContext context;
  pid_t owner = 0;  // the process it belongs to
};
struct ThreadSlotHolder {
  std::unique_ptr<ThreadSlot> slot;
  ~ThreadSlotHolder() {
    if (!slot || slot->owner == 0 || slot->owner != g_attachment.pid || detail::g_context != &slot->context) return;
    detail::emit(EventKind::ProcessEnd, Phase::Done, 0, 0);
    slot->context.slot->state.store(static_cast<std::uint32_t>(SlotState::Exited), std::memory_order_release);
  }
};
thread_local ThreadSlotHolder t_thread;
// t_thread.slot, as a plain pointer: every traced operation asks for it, and a thread_local with a destructor is
// reached through a call (its TLS init wrapper), a plain one in one instruction.
thread_local const ThreadSlot* t_slot = nullptr;
thread_local std::optional<std::uint32_t> t_pending_child;  // the slot prepare_child made for the coming fork


pid_t current_tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// Names follow is_process_name (letters, digits, '_', '.', '-'; at most 63 bytes).
std::string lane_name(std::string_view process, std::string_view thread) {
  // "Thread-1 (job)" -> "MainProcess.Thread-1_job": each run of other characters becomes one '_'.
  std::string name = fmt::format("{}.", process);
  for (const char c : thread) {
    const bool kept = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    if (kept) name += c;
    else if (name.back() != '_') name += '_';
  }
  while (name.back() == '_' && name.size() > process.size() + 2) name.pop_back();
  name.resize(std::min<std::size_t>(name.size(), 63));
  return name;
}

std::uint32_t new_slot(std::string_view name, pid_t ppid, bool daemon, bool thread = false) {
  const Session& session = *g_attachment.session;
  const std::uint32_t index = session.allocate_slot();
  ProcessSlot& slot = session.slot(index);
  const std::size_t n = std::min<std::size_t>(name.size(), sizeof(slot.name) - 1);
  std::memcpy(slot.name, name.data(), n);
  slot.name[n] = '\0';
  slot.name_string = session.store_string(std::string_view(slot.name, n));
  slot.ppid.store(ppid, std::memory_order_relaxed);
  slot.daemon.store(daemon ? 1 : 0, std::memory_order_relaxed);
  slot.thread.store(thread ? 1 : 0, std::memory_order_relaxed);
  slot.state.store(static_cast<std::uint32_t>(SlotState::Running), std::memory_order_release);
  return index;
}

void begin_process(const ProcessSlot& slot, pid_t parent, std::uint32_t flags) {
  detail::emit(EventKind::ProcessBegin, Phase::Done, 0, parent, pack_arg(slot.name_string, flags));
}

// In the child, inside fork() (no Python yet): become the process prepare_child announced, or a plain fork's.
void after_fork_child() {
  if (!attached()) return;
  const pid_t parent = g_attachment.pid;
  g_attachment.pid = getpid();
  t_op = CurrentOp{};
  if (t_thread.slot) t_thread.slot->owner = 0;  // the forking thread's slot (if it had one) is the parent's
  // No PR_SET_PDEATHSIG here (lesson processes have one): in CPython a process outlives its parent, and programs rely
  // on it (a grandchild sees parent_process() end). The main process dies with the viewer, and the viewer kills the
  // main's process group, which every child stays in, when the main ends.
  const Session& session = *g_attachment.session;
  std::uint32_t index = 0;
  if (t_pending_child) {
    index = *t_pending_child;
    t_pending_child.reset();
  } else {
    // A plain os.fork() of the program's. Past the run's process limit the child cannot be shown: it says so and
    // ends (an exception cannot leave a fork handler), as a fork the system refused would not have started it.
    static std::uint32_t plain_forks = 0;
    try {
      index = new_slot(fmt::format("{}.fork-{}", g_attachment.name, ++plain_forks), parent, false);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "forkscope: a forked process cannot join the run: %s\n", e.what());
      _exit(2);
    }
  }
  ProcessSlot& slot = session.slot(index);
  g_attachment.name = slot.name;
  detail::become_lesson_process(session, index, std::string(slot.name), "", g_attachment.seed);
  begin_process(slot, parent, slot.daemon.load(std::memory_order_relaxed) ? kBeginDaemon : 0);
}

void attach(const std::string& session_name) {
  if (attached()) throw std::runtime_error("forkscope: this process is attached already");
  g_attachment.session.emplace(Session::open(session_name));
  const Session& session = *g_attachment.session;
  adopt_trace_clock(session.header().clock);
  const auto launch = nlohmann::json::parse(session.string(session.header().launch));
  g_attachment.seed = launch.at("seed").get<std::uint64_t>();
  g_attachment.pid = getpid();
  g_attachment.name = "MainProcess";
  detail::become_lesson_process(session, 0, "MainProcess", "", g_attachment.seed);
  prepare_semlock_registry();
  detail::g_interrupted = &signal_raised_while_waiting;  // KeyboardInterrupt during time.sleep, as in CPython
  detail::g_writer.ring.prefault();  // before the program runs: its main's events do not fault on fresh pages
  g_attachment.dies_with_the_viewer.emplace();
  if (getppid() != session.header().viewer_pid) throw std::runtime_error("forkscope: the viewer is gone");
  ProcessSlot& main = session.slot(0);
  main.name_string = session.store_string(main.name);
  if (pthread_atfork(nullptr, nullptr, &after_fork_child) != 0) throw std::runtime_error("pthread_atfork failed");
  begin_process(session.slot(0), getppid(), 0);
}

}  // namespace

detail::ProcessContext& context() {
  if (detail::g_context != nullptr &&
      (t_slot == nullptr || detail::g_context != &t_slot->context || t_slot->owner == g_attachment.pid))
    return *detail::g_context;
  if (!attached()) throw std::runtime_error("forkscope: not inside a Forkscope run");
  const std::string thread = py::str(py::module_::import("threading").attr("current_thread")().attr("name"));
  const std::string name = lane_name(g_attachment.name, thread);
  const std::uint32_t index = new_slot(name, g_attachment.pid, false, true);
  if (!t_thread.slot) t_thread.slot = std::make_unique<ThreadSlot>();
  t_slot = t_thread.slot.get();
  detail::ProcessContext& c = t_thread.slot->context;
  c.session = &*g_attachment.session;
  c.slot = &g_attachment.session->slot(index);
  c.gate = &g_attachment.session->gate();
  c.slot_index = index;
  c.pid = current_tid();
  c.name = name;
  c.run_seed = g_attachment.seed;
  t_thread.slot->owner = g_attachment.pid;
  detail::bind_thread(c);
  begin_process(*c.slot, g_attachment.pid, kBeginThread);
  return c;
}

namespace {
PyObject* g_program_file = nullptr;  // the program's co_filename (a new reference, kept for the process's life)
std::uint64_t g_line_every_ticks = 0;
thread_local std::int64_t t_last_line = 0;
thread_local std::uint64_t t_last_line_tick = 0;

// The line of the program's own source the calling thread is at: its innermost frame in the program's file.
std::int64_t program_line() {
  PyFrameObject* frame = PyEval_GetFrame();
  Py_XINCREF(frame);
  std::int64_t line = 0;
  while (frame != nullptr) {
    PyCodeObject* code = PyFrame_GetCode(frame);
    const bool ours = code->co_filename == g_program_file || PyUnicode_Compare(code->co_filename, g_program_file) == 0;
    Py_DECREF(code);
    if (ours) {
      line = PyFrame_GetLineNumber(frame);
      Py_DECREF(frame);
      break;
    }
    PyFrameObject* back = PyFrame_GetBack(frame);
    Py_DECREF(frame);
    frame = back;
  }
  return line;
}
}  // namespace

void note_line(bool now_or_never) { note_line_at(trace_clock(), now_or_never); }

void note_line_at(std::uint64_t now, bool now_or_never) {
  if (g_program_file == nullptr) return;
  if (!now_or_never && !detail::stepping() && now - t_last_line_tick < g_line_every_ticks) return;
  t_last_line_tick = now;
  const std::int64_t line = program_line();  // 0: outside the program's code (Python's exit joining its children)
  if (line == t_last_line) return;
  t_last_line = line;
  detail::emit_at(now, EventKind::SourceLine, Phase::Done, 0, line, 0);
}

void pass_gate(EventKind kind, std::uint32_t key) {
  context();
  note_line();
  if (!detail::stepping()) return;
  without_gil([&] { detail::hold_at_gate(kind, key); });
}

bool pass_gate_line_later(EventKind kind, std::uint32_t key) {
  context();
  if (!detail::stepping()) return true;
  note_line();
  py::gil_scoped_release unlocked;
  detail::hold_at_gate(kind, key);
  return false;
}

void note_blocking(bool timed) {
  if (t_op.depth == 0 || t_op.want_shown) return;
  note_line(true);  // a wait can last: the line it waits on must be exact
  detail::emit(t_op.kind, Phase::Want, t_op.object, 0, t_op.peer);
  detail::set_slot_state(SlotState::Blocked, t_op.key, timed);
  t_op.want_shown = true;
}

std::optional<bool> timed_wait_while_stepping(const std::function<bool()>& ready) {
  if (t_op.depth == 0 || !detail::stepping()) return std::nullopt;
  const std::optional<bool> outcome = without_gil([&]() -> std::optional<bool> {
    while (detail::stepping()) {
      if (ready()) return true;
      if (detail::hold_until_granted(SlotState::BlockedHeld, t_op.kind, t_op.object, t_op.key, true)) return ready();
    }
    return std::nullopt;
  });
  if (!outcome) detail::set_slot_state(SlotState::Blocked, t_op.key, true);  // running freely: a real wait follows
  return outcome;
}

bool signal_raised_while_waiting() {
  if (current_tid() != g_attachment.pid) return false;
  const PyGILState_STATE gil = PyGILState_Ensure();
  const bool raised = PyErr_CheckSignals() != 0;
  PyGILState_Release(gil);
  return raised;
}

void check_signals_or_throw() {
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

std::int64_t real_ns(double seconds) {
  const double speed = std::bit_cast<double>(g_attachment.session->gate().speed_bits.load(std::memory_order_relaxed));
  return static_cast<std::int64_t>(seconds * 1e9 / (speed > 0 ? speed : 1.0));
}

namespace {

// ---- operations ------------------------------------------------------------------------------------------------
// A multiprocessing operation the program wrote: the gate, then (only if an inner wait blocks) Want, then Done or
// Fail. Operations inside operations (a Pool's queues, a Condition's lock) are part of the outer one.
void op_begin(int kind, std::uint16_t object, std::uint32_t key, std::uint64_t peer) {
  if (t_op.depth++ > 0) return;
  pass_gate(static_cast<EventKind>(kind), key);
  t_op.kind = static_cast<EventKind>(kind);
  t_op.object = object;
  t_op.key = key;
  t_op.peer = peer;
  t_op.want_shown = false;
}

void op_end(Phase phase, std::int64_t value, std::uint64_t arg) {
  if (t_op.depth == 0 || --t_op.depth > 0) return;
  detail::emit(t_op.kind, phase, t_op.object, value, arg);
  if (t_op.want_shown) detail::set_slot_state(SlotState::Running);
  if (phase != Phase::Fail && t_op.key != 0) detail::mark_ready(t_op.key);
}

void emit_text(int kind, int phase, std::uint16_t object, std::int64_t value, std::string_view text) {
  detail::ProcessContext& c = context();
  const StringId id = c.session->store_transient_string(text);
  detail::emit(static_cast<EventKind>(kind), static_cast<Phase>(phase), object, value, pack_arg(id));
}

// Waits until `fd` can be read (a pipe's or a socket's next message), as the current operation blocked.
// Returns false when `timeout` (program seconds) passed first.
bool wait_readable(int fd, std::optional<double> timeout) {
  if (t_op.depth == 0 && !timeout) return true;  // not an operation of the program's: the read itself waits
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) > 0) return true;
  if (timeout && *timeout <= 0) return false;
  note_blocking(timeout.has_value());
  if (timeout)
    if (const auto in_time = timed_wait_while_stepping([&] { return ::poll(&p, 1, 0) > 0; })) return *in_time;
  const detail::Deadline deadline = timeout ? detail::Deadline::after_ns(real_ns(*timeout)) : detail::Deadline::none();
  while (true) {
    const int rc = without_gil([&] {
      const std::int64_t slice = deadline.remaining_ns(50'000'000).value_or(50'000'000);
      return ::poll(&p, 1, static_cast<int>((slice + 999'999) / 1'000'000));
    });
    if (rc > 0) return true;
    if (deadline.expired()) return false;
    check_signals_or_throw();
  }
}

// A socket operation that would wait (accept or recv with nothing there, send with a full buffer): the process is
// blocked on a socket until it can go on (detail::wait_on_socket), then left to the socket itself. `timeout`: the
// socket's own (None: blocking). Inside another operation it is that operation's wait.
void socket_wait(int fd, int op, bool for_writing, std::optional<double> timeout) {
  pollfd p{fd, static_cast<short>(for_writing ? POLLOUT : POLLIN), 0};
  if (t_op.depth > 0 || ::poll(&p, 1, 0) != 0) return;
  context();
  note_line();
  const detail::Deadline deadline = timeout ? detail::Deadline::after_ns(static_cast<std::int64_t>(*timeout * 1e9))
                                            : detail::Deadline::none();
  (void)detail::wait_on_socket(fd, static_cast<SocketOp>(op), deadline, [](pollfd& ready, int ms) {
    const int rc = without_gil([&] { return ::poll(&ready, 1, ms); });
    if (rc == 0 && PyErr_CheckSignals() != 0) throw py::error_already_set();
    return rc;
  });
}

std::atomic<std::int64_t>& shared_counter(std::int64_t offset) {
  return *reinterpret_cast<std::atomic<std::int64_t>*>(reinterpret_cast<std::byte*>(&g_attachment.session->header()) +
                                                        offset);
}

// While stepping, a Queue.put returns once its feeder thread has written the item into the pipe (the flush counter
// reached `n`), so that whether a later get finds it depends on the schedule, not on the feeder thread's timing.
// The putter stays running meanwhile (the step has not settled) unless the pipe is full: then it shows as blocked
// (without an event), so the teacher can let a consumer make room.
void wait_flushed(std::int64_t offset, std::int64_t n) {
  std::atomic<std::int64_t>& flushed = shared_counter(offset);
  if (flushed.load(std::memory_order_acquire) >= n) return;
  context();
  without_gil([&] {
    const detail::Deadline patience = detail::Deadline::after_ns(20'000'000);
    bool blocked = false;
    while (flushed.load(std::memory_order_acquire) < n) {
      if (!blocked && patience.expired()) {
        detail::set_slot_state(SlotState::Blocked, 0, true);
        blocked = true;
      }
      ::usleep(50);
    }
    if (blocked) detail::set_slot_state(SlotState::Running);
  });
}

void sleep_for(double seconds) {
  context();
  note_line(true);
  without_gil([&] { forkscope::sleep(seconds); });
  if (PyErr_Occurred() != nullptr) throw py::error_already_set();  // a signal handler raised: the sleep ended early
}

// time.sleep's stand-in, as a builtin function of the time module like the one it replaces: it takes and refuses
// what CPython's does (CPython's own conversion), pickles by reference as time.sleep (Pool.map(time.sleep, ...)
// through a manager), and has no __dict__ (xmlrpc refuses to marshal it).
PyObject* time_sleep(PyObject*, PyObject* secs) {
  _PyTime_t t = 0;
  if (_PyTime_FromSecondsObject(&t, secs, _PyTime_ROUND_TIMEOUT) < 0) return nullptr;
  if (t < 0) {
    PyErr_SetString(PyExc_ValueError, "sleep length must be non-negative");
    return nullptr;
  }
  try {
    sleep_for(_PyTime_AsSecondsDouble(t));
  } catch (py::error_already_set& e) {
    e.restore();
    return nullptr;
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    return nullptr;
  }
  Py_RETURN_NONE;
}

PyMethodDef g_time_sleep{"sleep", &time_sleep, METH_O,
                         "sleep(seconds)\n\nDelay execution for a given number of seconds, in program time (Forkscope)."};

py::object make_time_sleep() {
  const py::module_ time = py::module_::import("time");
  return py::reinterpret_steal<py::object>(PyCFunction_NewEx(&g_time_sleep, time.ptr(), py::str("time").ptr()));
}

// ---- wrappers as C callables -------------------------------------------------------------------------------------
// A queue's put and get, and every connection's _recv_bytes, run once per message. Written in Python, their wrappers
// cost a Python frame and two or three pybind11 calls (~100 ns each) per message, more than tracing itself; these are
// the same wrappers as C callables. Like a Python function they bind as methods (a method descriptor), keep the
// original's __name__ and __doc__, and add no frame to a traceback.
struct Wrapper {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  PyObject* original;
  int kind;     // counted: the operation's event kind
  int counter;  // counted: which of the instance's _forkscope entries is the item counter
  PyObject* traced;  // traced_only: what instances with a _forkscope entry call instead
};

PyObject* g_forkscope_key = nullptr;  // "_forkscope"
PyObject* g_handle_key = nullptr;     // "_handle"

// The instance's "_forkscope" entry (borrowed), or nullptr: a queue that is part of another object (a pool's).
PyObject* forkscope_info(PyObject* self) {
  PyObject** dict = _PyObject_GetDictPtr(self);
  if (dict == nullptr || *dict == nullptr) return nullptr;
  return PyDict_GetItemWithError(*dict, g_forkscope_key);
}

// _counted in _patch.py: one operation whose Done carries the item's number from a shared counter (put #n is got as #n).
PyObject* counted_call(PyObject* callable, PyObject* const* args, std::size_t nargsf, PyObject* kwnames) {
  auto* w = reinterpret_cast<Wrapper*>(callable);
  PyObject* info = PyVectorcall_NARGS(nargsf) > 0 ? forkscope_info(args[0]) : nullptr;
  if (info == nullptr) {
    if (PyErr_Occurred()) return nullptr;
    return PyObject_Vectorcall(w->original, args, nargsf, kwnames);
  }
  const long object = PyLong_AsLong(PyTuple_GET_ITEM(info, 0));
  const long long counter = PyLong_AsLongLong(PyTuple_GET_ITEM(info, w->counter));
  if (PyErr_Occurred()) return nullptr;
  const auto begin = [&] {
    op_begin(w->kind, static_cast<std::uint16_t>(object), static_cast<std::uint32_t>(object), 0);
    return Py_None;  // borrowed: only tested against nullptr
  };
  if (guarded(begin) == nullptr) return nullptr;
  PyObject* result = PyObject_Vectorcall(w->original, args, nargsf, kwnames);
  if (result == nullptr) {
    op_end(Phase::Fail, 0, 0);  // writes an event, runs no Python: the exception stays as it is
    return nullptr;
  }
  const std::int64_t n = shared_counter(counter).fetch_add(1, std::memory_order_acq_rel) + 1;
  op_end(Phase::Done, 0, static_cast<std::uint64_t>(n));
  // While stepping, a put returns once its feeder thread has written the item (see wait_flushed).
  if (w->counter == 1 && PyTuple_GET_SIZE(info) > 3 && detail::stepping()) {
    const long long flushed = PyLong_AsLongLong(PyTuple_GET_ITEM(info, 3));
    if (PyErr_Occurred() || guarded([&] {
          wait_flushed(flushed, n);
          return Py_None;
        }) == nullptr) {
      Py_DECREF(result);
      return nullptr;
    }
  }
  return result;
}

PyObject* g_flushed_key = nullptr;  // "_forkscope_flushed"

// Connection._send_bytes of a queue's writer: counts what its feeder thread has written into the pipe.
PyObject* counts_flushes_call(PyObject* callable, PyObject* const* args, std::size_t nargsf, PyObject* kwnames) {
  auto* w = reinterpret_cast<Wrapper*>(callable);
  PyObject* result = PyObject_Vectorcall(w->original, args, nargsf, kwnames);
  if (result == nullptr || PyVectorcall_NARGS(nargsf) == 0) return result;
  PyObject** dict = _PyObject_GetDictPtr(args[0]);
  PyObject* flushed = dict != nullptr && *dict != nullptr ? PyDict_GetItemWithError(*dict, g_flushed_key) : nullptr;
  if (flushed != nullptr) {
    const long long offset = PyLong_AsLongLong(flushed);
    if (!PyErr_Occurred()) shared_counter(offset).fetch_add(1, std::memory_order_acq_rel);
  }
  if (PyErr_Occurred()) {
    Py_DECREF(result);
    return nullptr;
  }
  return result;
}

// Connection._recv_bytes: waits (as the current operation, blocked) until the pipe can be read, then reads.
PyObject* reads_after_wait_call(PyObject* callable, PyObject* const* args, std::size_t nargsf, PyObject* kwnames) {
  auto* w = reinterpret_cast<Wrapper*>(callable);
  if (PyVectorcall_NARGS(nargsf) > 0 && t_op.depth > 0) {  // outside an operation wait_readable does nothing
    PyObject* handle = PyObject_GetAttr(args[0], g_handle_key);
    if (handle == nullptr) return nullptr;
    const long fd = PyLong_AsLong(handle);
    Py_DECREF(handle);
    if (fd == -1 && PyErr_Occurred()) return nullptr;
    if (guarded([&] { return wait_readable(static_cast<int>(fd), std::nullopt) ? Py_True : Py_False; }) == nullptr)
      return nullptr;  // a signal's exception while it waited
  }
  return PyObject_Vectorcall(w->original, args, nargsf, kwnames);
}

// An operation of a connection (send_bytes, recv_bytes, ...): the program's own pipes are traced by `traced`, a
// Python wrapper; the pipes inside queues and pools, which have no _forkscope entry, call the original directly.
PyObject* traced_only_call(PyObject* callable, PyObject* const* args, std::size_t nargsf, PyObject* kwnames) {
  auto* w = reinterpret_cast<Wrapper*>(callable);
  PyObject* info = PyVectorcall_NARGS(nargsf) > 0 ? forkscope_info(args[0]) : nullptr;
  if (info == nullptr && PyErr_Occurred()) return nullptr;
  return PyObject_Vectorcall(info == nullptr ? w->original : w->traced, args, nargsf, kwnames);
}

void wrapper_dealloc(PyObject* self) {
  Py_XDECREF(reinterpret_cast<Wrapper*>(self)->traced);
  Py_XDECREF(reinterpret_cast<Wrapper*>(self)->original);
  PyObject_Free(self);
}

PyObject* wrapper_get(PyObject* self, PyObject* instance, PyObject*) {
  if (instance == nullptr || instance == Py_None) return Py_NewRef(self);
  return PyMethod_New(self, instance);
}

PyObject* wrapper_original_attribute(PyObject* self, void* name) {
  return PyObject_GetAttrString(reinterpret_cast<Wrapper*>(self)->original, static_cast<const char*>(name));
}
PyObject* wrapper_wrapped(PyObject* self, void*) { return Py_NewRef(reinterpret_cast<Wrapper*>(self)->original); }

PyGetSetDef g_wrapper_getset[] = {
    {"__name__", &wrapper_original_attribute, nullptr, nullptr, const_cast<char*>("__name__")},
    {"__qualname__", &wrapper_original_attribute, nullptr, nullptr, const_cast<char*>("__qualname__")},
    {"__doc__", &wrapper_original_attribute, nullptr, nullptr, const_cast<char*>("__doc__")},
    {"__wrapped__", &wrapper_wrapped, nullptr, nullptr, nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyTypeObject g_wrapper_type = [] {
  PyTypeObject t{PyVarObject_HEAD_INIT(nullptr, 0)};
  t.tp_name = "forkscope._native.Wrapper";
  t.tp_basicsize = sizeof(Wrapper);
  t.tp_dealloc = &wrapper_dealloc;
  t.tp_vectorcall_offset = offsetof(Wrapper, vectorcall);
  t.tp_call = &PyVectorcall_Call;
  t.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR;
  t.tp_doc = "A multiprocessing method wrapped by Forkscope (see forkscope/_patch.py)";
  t.tp_getset = g_wrapper_getset;
  t.tp_descr_get = &wrapper_get;
  return t;
}();

py::object make_wrapper(vectorcallfunc call, const py::object& original, int kind, int counter) {
  auto* w = PyObject_New(Wrapper, &g_wrapper_type);
  if (w == nullptr) throw py::error_already_set();
  w->vectorcall = call;
  w->original = Py_NewRef(original.ptr());
  w->kind = kind;
  w->counter = counter;
  w->traced = nullptr;
  return py::reinterpret_steal<py::object>(reinterpret_cast<PyObject*>(w));
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "Forkscope's runtime inside a Python program (see core/python/forkscope)";
  m.def("attach", &attach, "Becomes MainProcess of the run whose session is named");
  m.def("set_program", [](py::object filename) {  // the co_filename of the program's code: lines are found by it
    g_program_file = filename.release().ptr();
    g_line_every_ticks = g_attachment.session->header().clock.ticks_for_ns(1e6);
  });

  // Processes: the parent names the child before fork; the child becomes it inside fork().
  m.def("prepare_child", [](const std::string& name, bool daemon) {
    context();
    t_pending_child = new_slot(name, g_attachment.pid, daemon);
    return *t_pending_child;
  });
  m.def("child_started", [](pid_t pid, std::uint32_t slot_index, bool daemon) {
    t_pending_child.reset();
    const ProcessSlot& slot = g_attachment.session->slot(slot_index);
    detail::emit(EventKind::ProcessStart, Phase::Done, 0, daemon ? 1 : 0, pack_arg(slot.name_string, static_cast<std::uint32_t>(pid)));
  });
  m.def("child_failed", [](std::uint32_t slot_index) {
    t_pending_child.reset();
    g_attachment.session->slot(slot_index).state.store(static_cast<std::uint32_t>(SlotState::Exited));
  });
  m.def("process_end", [](int code) {
    detail::ProcessContext& c = context();
    forget_holders_of_this_process();
    detail::emit(EventKind::ProcessEnd, Phase::Done, 0, code);
    c.slot->state.store(static_cast<std::uint32_t>(SlotState::Exited), std::memory_order_release);
    detail::mark_ready(kJoinKeyBase + c.slot_index);
  });
  m.def("join_key", [](std::uint32_t slot_index) { return kJoinKeyBase + slot_index; });

  // Operations and events.
  m.def("op_begin", &op_begin, py::arg("kind"), py::arg("object") = 0, py::arg("key") = 0, py::arg("peer") = 0);
  m.def("op_done", [](std::int64_t value, std::uint64_t arg) { op_end(Phase::Done, value, arg); },
        py::arg("value") = 0, py::arg("arg") = 0);
  m.def("op_fail", [](std::int64_t value) { op_end(Phase::Fail, value, 0); }, py::arg("value") = 0);
  m.def("op_depth", [] { return t_op.depth; });
  m.def("blocking", &note_blocking, py::arg("timed") = false);
  m.def("gate", [](int kind, std::uint32_t key) { pass_gate(static_cast<EventKind>(kind), key); });
  m.def("emit", [](int kind, int phase, std::uint16_t object, std::int64_t value, std::uint64_t arg) {
    context();
    detail::emit(static_cast<EventKind>(kind), static_cast<Phase>(phase), object, value, arg);
  }, py::arg("kind"), py::arg("phase") = 0, py::arg("object") = 0, py::arg("value") = 0, py::arg("arg") = 0);
  m.def("emit_text", &emit_text, py::arg("kind"), py::arg("phase"), py::arg("object"), py::arg("value"), py::arg("text"));
  m.def("print_line", [](const std::string& text, int stream) {
    pass_gate(EventKind::Print, 0);
    emit_text(static_cast<int>(EventKind::Print), 0, 0, stream, text);
  });
  m.def("new_object", [](int kind, const std::string& name, std::int64_t value) {
    context();
    return detail::announce_object(static_cast<ObjectKind>(kind), name, value);
  });
  // Shared counters (a queue's puts and gets, a pipe's sends and receives), 8 bytes each in the session arena.
  m.def("new_counter", [] {
    auto* word = static_cast<std::atomic<std::int64_t>*>(g_attachment.session->allocate(sizeof(std::int64_t)));
    return reinterpret_cast<std::byte*>(word) - reinterpret_cast<std::byte*>(&g_attachment.session->header());
  });
  m.def("counter_add", [](std::int64_t offset, std::int64_t delta) {
    return shared_counter(offset).fetch_add(delta, std::memory_order_acq_rel) + delta;
  });
  m.def("wait_readable", &wait_readable, py::arg("fd"), py::arg("timeout") = py::none());
  if (PyType_Ready(&g_wrapper_type) < 0) throw py::error_already_set();
  g_forkscope_key = PyUnicode_InternFromString("_forkscope");
  g_handle_key = PyUnicode_InternFromString("_handle");
  g_flushed_key = PyUnicode_InternFromString("_forkscope_flushed");
  m.def("counts_flushes", [](const py::object& original) {
    return make_wrapper(&counts_flushes_call, original, 0, 0);
  }, "Connection._send_bytes that counts, for a queue's writer, what its feeder thread has written");
  m.def("counted", [](int kind, int counter, const py::object& original) {
    return make_wrapper(&counted_call, original, kind, counter);
  }, "A queue's put or get as one operation whose Done carries the item's number (counter: its index in _forkscope)");
  m.def("reads_after_wait", [](const py::object& original) {
    return make_wrapper(&reads_after_wait_call, original, 0, 0);
  }, "Connection._recv_bytes that first waits, as the current operation blocked, until the pipe can be read");
  m.def("traced_only", [](const py::object& original, const py::object& traced) {
    py::object w = make_wrapper(&traced_only_call, original, 0, 0);
    reinterpret_cast<Wrapper*>(w.ptr())->traced = Py_NewRef(traced.ptr());
    return w;
  }, "original for instances without a _forkscope entry, traced (the same method, traced) for the others");
  m.def("socket_wait", &socket_wait, py::arg("fd"), py::arg("op"), py::arg("for_writing"), py::arg("timeout"));
  m.attr("time_sleep") = make_time_sleep();
  m.def("speed", [] { return static_cast<double>(1e9) / static_cast<double>(real_ns(1.0)); });

  // EventKind by its C++ name, in order (the Python side writes the same events as the C++ primitives).
  static constexpr const char* kKindNames[] = {
      "ProcessBegin", "ProcessEnd", "ProcessStart", "ProcessJoin", "ProcessSignal", "ProcessReaped", "ObjectNew",
      "LockAcquire", "LockRelease", "LockRecovered", "SemAcquire", "SemRelease", "EventWait", "EventSet", "EventClear",
      "QueuePut", "QueueGet", "QueueTaskDone", "QueueJoin", "CounterSet", "Sleep", "GateHeld", "GateGranted", "Print",
      "Error", "Mark", "LessonResult", "TaskBegin", "TaskEnd", "PipeSend", "PipeRecv", "PipeClose", "ManagerCall",
      "ManagerServe", "ConditionWait", "ConditionNotify", "Preempted", "PipePoll", "SourceLine", "SocketWait",
      "ResultGet", "MpiCall", "MpiSend", "MpiRecv"};
  static_assert(std::size(kKindNames) == static_cast<std::size_t>(EventKind::Count_));
  static_assert(static_cast<int>(EventKind::PipePoll) == 37 && static_cast<int>(EventKind::TaskBegin) == 27);
  py::dict kinds;
  for (int k = 0; k < static_cast<int>(EventKind::Count_); ++k) kinds[kKindNames[k]] = k;
  m.attr("EVENT") = kinds;
  py::dict objects;
  for (int k = 0; k < static_cast<int>(ObjectKind::Count_); ++k)
    objects[py::str(std::string(to_string(static_cast<ObjectKind>(k))))] = k;
  m.attr("OBJECT") = objects;

  register_semlock(m);
}

}  // namespace forkscope::python
