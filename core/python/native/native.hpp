// What the parts of forkscope._native share: the process's attachment to the run's session, the calling thread's
// context (each Python thread that acts gets a slot of its own), and the operation the thread is inside.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "forkscope/session.hpp"
#include "forkscope/subprocess.hpp"
#include "forkscope/trace_event.hpp"
#include "session/runtime.hpp"

namespace forkscope::python {

namespace py = pybind11;

// Per process (a forked child starts from its parent's copy and re-binds in the at-fork handler).
struct Attachment {
  std::optional<Session> session;
  std::uint64_t seed = 0;
  pid_t pid = 0;
  std::string name;  // the process's name (threads are named "<process>.<thread>")
  // The main's: a program's processes outlive their parents, as in CPython (no parent-death signal below the main),
  // so when the viewer dies the main takes the whole program (its process group) with it.
  std::optional<GroupDiesWithParent> dies_with_the_viewer;
};
extern Attachment g_attachment;
[[nodiscard]] inline bool attached() { return g_attachment.session.has_value(); }

// The calling thread's context, made on first use for a thread that has none yet. Needs the GIL (it asks
// Python for the thread's name). Throws RuntimeError outside a run.
detail::ProcessContext& context();

// The multiprocessing operation the calling thread is inside (a q.put, a p.join): its inner waits (a lock of the
// queue, a pipe read) show as that operation blocked, not as steps of their own.
struct CurrentOp {
  EventKind kind = EventKind::Mark;
  std::uint16_t object = 0;
  std::uint32_t key = 0;
  std::uint64_t peer = 0;  // a join's child pid
  int depth = 0;
  bool want_shown = false;
};
extern thread_local CurrentOp t_op;

// An inner wait of the current operation is about to block: its Want, once, and the slot Blocked on its object.
void note_blocking(bool timed);

// While stepping, a program operation's wait with a timeout takes no wall-clock time (exact replay): after
// note_blocking, it waits blocked for a grant (the teacher may grant it at any time) and then asks `ready` once more
// (with the GIL released); still not ready is its timeout. nullopt when the program runs freely again first (or
// this is no program operation): the caller then waits for real, the whole timeout (time stood still meanwhile).
std::optional<bool> timed_wait_while_stepping(const std::function<bool()>& ready);

// Notes the line of the program's source the calling thread is at, as a SourceLine event when it changed (while
// stepping, every time; while running, at most every millisecond per thread — the frame walk costs — unless
// `now_or_never`: before a wait, whose line must be exact). Line 0: outside the program's code. Needs the GIL.
void note_line(bool now_or_never = false);

// Notes the line at `now` (a trace_clock() value): note_line() for an operation that has just read the clock.
void note_line_at(std::uint64_t now, bool now_or_never = false);

// Notes the line, then passes the gate, the GIL released while held there.
void pass_gate(EventKind kind, std::uint32_t key);

// pass_gate for an operation that writes its Done event at once, unless it blocks (a lock's acquire or release):
// while running, the gate is free and the line is left to note after the event, with the event's own timestamp
// (note_line_at), which saves a clock read; returns true then. While stepping, as pass_gate (the line is shown
// while held), and false.
[[nodiscard]] bool pass_gate_line_later(EventKind kind, std::uint32_t key);

// Raises the Python error a signal handler set (KeyboardInterrupt) if one did; call with the GIL held.
void check_signals_or_throw();

// From a wait without the GIL, on the main thread (only it runs Python's signal handlers): takes the GIL, runs the
// handlers, and says whether one raised (the error stays set for the waiter to throw once it has the GIL again).
// Other threads never take the GIL back mid-wait: see without_gil.
bool signal_raised_while_waiting();

// Runs f() without the GIL. Not a scoped guard on purpose: at interpreter exit CPython ends a daemon thread that
// asks for the GIL back with pthread_exit, a forced unwind, which from a destructor (a guard's) is std::terminate.
template <class F>
auto without_gil(F&& f) -> decltype(f()) {
  PyThreadState* state = PyEval_SaveThread();
  if constexpr (std::is_void_v<decltype(f())>) {
    try {
      f();
    } catch (...) {
      PyEval_RestoreThread(state);
      throw;
    }
    PyEval_RestoreThread(state);
  } else {
    decltype(f()) result{};
    try {
      result = f();
    } catch (...) {
      PyEval_RestoreThread(state);
      throw;
    }
    PyEval_RestoreThread(state);
    return result;
  }
}

// Program seconds to real nanoseconds at the run's speed factor (sleeps and timeouts follow the speed slider).
[[nodiscard]] std::int64_t real_ns(double seconds);

// Runs f (which returns a new reference) for a C function of the module's: what it throws becomes the Python
// exception, and nullptr is returned.
template <class F>
PyObject* guarded(F&& f) {
  try {
    return f();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (const py::builtin_exception& e) {
    e.set_error();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

void register_semlock(py::module_& m);
void prepare_semlock_registry();        // in the main process, before any fork
void forget_holders_of_this_process();  // at a normal end

}  // namespace forkscope::python
