// forkscope._native.SemLock: the semaphore behind every multiprocessing Lock, RLock, Semaphore, BoundedSemaphore,
// Condition, Event and Barrier, and the locks inside Queue, SimpleQueue and Pool. It replaces
// _multiprocessing.SemLock with the same API and the same semantics (Modules/_multiprocessing/semaphore.c), with two
// differences a class sees: the objects the program made itself are traced (acquire, release, waits, the gate), and
// a process killed while holding one wedges no one (POSIX semaphores stay taken for ever).
//
// The shared state is one futex word of tokens in the session arena. Who holds tokens is recorded by pid (the
// holder of a lock; up to kHolders holders of a semaphore); a process that ends normally clears its records (a token
// it took as a signal is not given back), so only a process that died without ending (SIGKILL, a crash) has its
// tokens given back, by the next waiter that looks (every 10 ms), with a LockRecovered event on the timeline.
// As in CPython, which thread holds an RLock (and how often) is the handle's own, per process.
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <immintrin.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>

#include "forkscope/clock.hpp"
#include "native.hpp"
#include "session/futex.hpp"
#include "session/proc.hpp"

namespace forkscope::python {

namespace {

constexpr int kRecursiveMutex = 0;
constexpr int kSemaphore = 1;
constexpr std::int64_t kSemValueMax = INT_MAX;
constexpr int kHolders = 16;
constexpr std::int64_t kLookEveryNs = 10'000'000;

struct Holder {
  std::atomic<std::int32_t> pid{0};
  std::atomic<std::uint32_t> count{0};
};

struct SemLockState {
  std::atomic<std::uint32_t> value{0};  // tokens left; the futex word
  std::atomic<std::uint32_t> sleepers{0};
  std::atomic<std::uint32_t> object{0};  // the traced object's id; 0 while it is an inner part of another object
  // The timestamp of the latest traced acquire or release: the next one is stamped later, whatever the clock read
  // (see stamp()).
  std::atomic<std::uint64_t> last_time{0};
  std::int32_t kind = 0;
  std::int64_t maxvalue = 0;
  Holder holders[kHolders];  // who took tokens and has not given them back (a lock: one)
};

// Every SemLock of the run, so that a process that ends normally can clear its holder records.
struct Registry {
  static constexpr std::uint32_t kCapacity = 1u << 16;
  std::atomic<std::uint32_t> used{0};
  std::uint64_t offsets[kCapacity];
};

std::byte* arena_base() {
  // The session's allocations are offsets from one base; any allocated pointer minus its offset gives it back.
  return reinterpret_cast<std::byte*>(&g_attachment.session->header());
}

Registry* g_registry = nullptr;  // made by the main process before any fork, inherited by every child

Registry& registry() {
  if (g_registry == nullptr) g_registry = static_cast<Registry*>(g_attachment.session->allocate(sizeof(Registry)));
  return *g_registry;
}

pid_t this_pid() { return g_attachment.pid != 0 ? g_attachment.pid : getpid(); }
unsigned long this_thread() { return PyThread_get_thread_ident(); }

void note_holder(SemLockState& s, pid_t pid) {
  for (Holder& h : s.holders)
    if (h.pid.load(std::memory_order_relaxed) == pid) {
      h.count.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  for (Holder& h : s.holders) {
    std::int32_t empty = 0;
    if (h.pid.compare_exchange_strong(empty, pid, std::memory_order_relaxed)) {
      h.count.store(1, std::memory_order_relaxed);
      return;
    }
  }  // more holders than records: this one is not recovered if it dies
}

void forget_holder(SemLockState& s, pid_t pid) {
  for (Holder& h : s.holders)
    if (h.pid.load(std::memory_order_relaxed) == pid) {
      if (h.count.fetch_sub(1, std::memory_order_relaxed) == 1) h.pid.store(0, std::memory_order_relaxed);
      return;
    }
  // A lock released by another process than its holder (allowed, as in Python): it holds nothing any more.
  if (s.maxvalue == 1)
    for (Holder& h : s.holders) {
      h.count.store(0, std::memory_order_relaxed);
      h.pid.store(0, std::memory_order_relaxed);
    }
}

bool try_take(SemLockState& s) {
  std::uint32_t v = s.value.load(std::memory_order_relaxed);
  while (v > 0)
    if (s.value.compare_exchange_weak(v, v - 1, std::memory_order_acquire, std::memory_order_relaxed)) return true;
  return false;
}

// The timestamp of a traced acquire (taken after its token) or release (taken before giving it back): the clock, but
// never earlier than the object's previous acquire or release. That orders an object's events on the timeline as
// they took effect, without fences: a release publishes its stamp before the token it gives back (release order of
// the CAS), and whoever takes that token (acquire order) sees it. rdtsc alone may run before an earlier CAS has
// completed, or after a later one; lfence around it costs as much again as the read (~14 ns on this machine kind).
std::uint64_t stamp(SemLockState& s) {
  std::uint64_t t = trace_clock();
  std::uint64_t last = s.last_time.load(std::memory_order_relaxed);
  if (s.maxvalue == 1) {  // a lock: its holder is the only one stamping it
    if (t <= last) t = last + 1;
    s.last_time.store(t, std::memory_order_relaxed);
    return t;
  }
  do {  // a semaphore: several holders stamp it at once
    if (t <= last) t = last + 1;
  } while (!s.last_time.compare_exchange_weak(last, t, std::memory_order_relaxed));
  return t;
}

// Gives back the tokens of holders that died without ending. Returns the pid of one of them (0: none).
pid_t recover_dead_holders(SemLockState& s) {
  pid_t recovered = 0;
  for (Holder& h : s.holders) {
    std::int32_t pid = h.pid.load(std::memory_order_acquire);
    if (pid == 0 || !detail::process_ended(pid)) continue;
    const std::uint32_t count = h.count.load(std::memory_order_relaxed);
    if (!h.pid.compare_exchange_strong(pid, 0, std::memory_order_acq_rel)) continue;
    h.count.store(0, std::memory_order_relaxed);
    s.value.fetch_add(count, std::memory_order_release);
    if (s.sleepers.load(std::memory_order_seq_cst) != 0) detail::futex_wake(s.value, INT_MAX);
    recovered = pid;
  }
  return recovered;
}

// Waits for a token until `deadline`, in slices, looking for dead holders now and then. Without the GIL.
bool take_until(SemLockState& s, const detail::Deadline& deadline, pid_t& dead_holder) {
  for (int i = 0; i < 64; ++i) {
    if (try_take(s)) return true;
    _mm_pause();
  }
  while (!try_take(s)) {
    const std::int64_t left = deadline.remaining_ns(kLookEveryNs).value_or(kLookEveryNs);
    if (left <= 0) return false;
    s.sleepers.fetch_add(1, std::memory_order_seq_cst);
    const int rc = detail::futex_wait(s.value, 0, left);
    s.sleepers.fetch_sub(1, std::memory_order_seq_cst);
    if (rc == ETIMEDOUT) {
      if (const pid_t dead = recover_dead_holders(s)) dead_holder = dead;
    }
  }
  return true;
}

class SemLock {
 public:
  SemLock(int kind, std::int64_t value, std::int64_t maxvalue, const std::string& name, bool unlink) {
    if (kind != kRecursiveMutex && kind != kSemaphore) throw py::value_error("unrecognized kind");
    if (value < 0 || value > kSemValueMax) throw py::value_error("invalid value");
    if (!attached()) throw std::runtime_error("forkscope: SemLock outside a Forkscope run");
    claim_name(name, value, unlink);
    state_ = static_cast<SemLockState*>(g_attachment.session->allocate(sizeof(SemLockState)));
    state_->value.store(static_cast<std::uint32_t>(value), std::memory_order_relaxed);
    state_->kind = kind;
    state_->maxvalue = maxvalue;
    Registry& r = registry();
    const std::uint32_t at = r.used.fetch_add(1, std::memory_order_relaxed);
    if (at < Registry::kCapacity) r.offsets[at] = offset();
    name_ = unlink ? py::none() : py::object(py::str(name));
  }
  // _rebuild: the same shared state, seen from another handle (a pickled SemLock). As in CPython, a named one must
  // still exist (it is opened by name there).
  SemLock(std::uint64_t handle, py::object name) : name_(std::move(name)) {
    if (!name_.is_none()) {
      const std::string n = name_.cast<std::string>();
      sem_t* opened = sem_open(n.c_str(), 0);
      if (opened == SEM_FAILED) throw_os_error();
      sem_close(opened);
    }
    state_ = reinterpret_cast<SemLockState*>(arena_base() + handle);
  }

  [[nodiscard]] std::uint64_t offset() const {
    return static_cast<std::uint64_t>(reinterpret_cast<std::byte*>(state_) - arena_base());
  }

  bool acquire(bool block, py::object timeout_object) {
    SemLockState& s = *state_;
    const std::uint16_t object = static_cast<std::uint16_t>(s.object.load(std::memory_order_relaxed));
    if (s.kind == kRecursiveMutex && is_mine()) {
      ++count_;
      if (object) detail::emit(EventKind::LockAcquire, Phase::Done, object, count_);
      return true;
    }
    const EventKind kind = s.maxvalue == 1 ? EventKind::LockAcquire : EventKind::SemAcquire;
    bool line_later = object && t_op.depth == 0 && pass_gate_line_later(kind, object);
    pid_t dead_holder = 0;
    bool taken = try_take(s);
    if (!taken && block) {
      std::optional<double> timeout;
      if (!timeout_object.is_none()) timeout = std::max(0.0, timeout_object.cast<double>());
      if (line_later) note_line();  // shown while it waits
      line_later = false;
      taken = object ? wait_traced(object, kind, timeout, dead_holder) : wait_inner(timeout, dead_holder);
    }
    if (!taken) {
      if (object) detail::emit(kind, Phase::Fail, object);
      if (line_later) note_line();
      return false;
    }
    const std::uint64_t t = object ? stamp(s) : 0;
    note_holder(s, this_pid());
    ++count_;
    last_thread_ = this_thread();
    if (object) {
      if (dead_holder != 0) detail::note_recovered(object, dead_holder);
      const std::int64_t value = kind == EventKind::LockAcquire ? count_ : s.value.load(std::memory_order_relaxed);
      detail::emit_at(t, kind, Phase::Done, object, value, 0);
      if (line_later) note_line_at(t);
    }
    return true;
  }

  void release() {
    SemLockState& s = *state_;
    const std::uint16_t object = static_cast<std::uint16_t>(s.object.load(std::memory_order_relaxed));
    if (s.kind == kRecursiveMutex) {
      if (!is_mine()) {
        PyErr_SetString(PyExc_AssertionError, "attempt to release recursive lock not owned by thread");
        throw py::error_already_set();
      }
      if (count_ > 1) {
        --count_;
        if (object) detail::emit(EventKind::LockRelease, Phase::Done, object, count_);
        return;
      }
    }
    const EventKind kind = s.maxvalue == 1 ? EventKind::LockRelease : EventKind::SemRelease;
    const bool line_later = object && t_op.depth == 0 && pass_gate_line_later(kind, object);
    // While it is still held: the timeline orders it before the next acquire (stamp()).
    const std::uint64_t t = object ? stamp(s) : 0;
    std::uint32_t v = s.value.load(std::memory_order_relaxed);
    do {
      if (static_cast<std::int64_t>(v) >= s.maxvalue) {
        if (line_later) note_line();
        throw py::value_error("semaphore or lock released too many times");
      }
    } while (!s.value.compare_exchange_weak(v, v + 1, std::memory_order_release, std::memory_order_relaxed));
    forget_holder(s, this_pid());
    if (s.sleepers.load(std::memory_order_seq_cst) != 0) detail::futex_wake(s.value, 1);
    --count_;
    if (object) {
      detail::emit_at(t, kind, Phase::Done, object, kind == EventKind::LockRelease ? 0 : v + 1, 0);
      if (line_later) note_line_at(t);
      detail::mark_ready(object);
    }
  }

  // Makes this SemLock one the program sees: an object on the timeline whose operations are traced and stepped.
  std::uint16_t show(int object_kind, const std::string& name) {
    const std::int64_t initial = state_->value.load(std::memory_order_relaxed);
    context();
    const std::uint16_t id = detail::announce_object(static_cast<ObjectKind>(object_kind), name, initial);
    state_->object.store(id, std::memory_order_relaxed);
    return id;
  }

  [[nodiscard]] bool is_mine() const { return count_ > 0 && last_thread_ == this_thread(); }
  [[nodiscard]] std::int64_t count() const { return count_; }
  [[nodiscard]] std::int64_t value() const { return state_->value.load(std::memory_order_relaxed); }
  [[nodiscard]] int kind() const { return state_->kind; }
  [[nodiscard]] std::int64_t maxvalue() const { return state_->maxvalue; }
  [[nodiscard]] std::uint16_t object() const { return static_cast<std::uint16_t>(state_->object.load()); }
  [[nodiscard]] const py::object& name() const { return name_; }
  void after_fork() { count_ = 0; }

 private:
  // An inner lock of another object (a queue's, an event's): its wait is that object's operation blocked.
  bool wait_inner(std::optional<double> timeout, pid_t& dead_holder) {
    note_blocking(timeout.has_value());
    if (timeout)
      if (const auto in_time = timed_wait_while_stepping([&] { return try_take(*state_); })) return *in_time;
    const detail::Deadline deadline = timeout ? detail::Deadline::after_ns(real_ns(*timeout))
                                              : detail::Deadline::none();
    while (true) {
      const bool taken = without_gil([&] {
        const detail::Deadline slice = detail::Deadline::after_ns(deadline.remaining_ns(50'000'000).value_or(50'000'000));
        return take_until(*state_, slice, dead_holder);
      });
      if (taken) return true;
      if (deadline.expired()) return false;
      check_signals_or_throw();
    }
  }

  // A lock the program made: waits as a BlockingWait (Want, the slot Blocked, grants while stepping).
  bool wait_traced(std::uint16_t object, EventKind kind, std::optional<double> timeout, pid_t& dead_holder) {
    context();
    bool interrupted = false;
    bool taken = false;
    without_gil([&] {
      detail::BlockingWait w(kind, object, object, timeout);
      while (!taken && !interrupted) {
        const bool in_time = w.wait_for([&](const detail::Deadline& d) {
          if (take_until(*state_, d, dead_holder)) return taken = true;
          return interrupted = signal_raised_while_waiting();
        });
        if (!taken && !interrupted) taken = try_take(*state_);
        if (!taken && !in_time) break;
      }
    });
    if (interrupted && !taken) throw py::error_already_set();
    if (interrupted) PyErr_Clear();  // taken meanwhile: the signal is handled by the next bytecode instead
    return taken;
  }

  // The name, as CPython's SemLock creates it: a POSIX named semaphore made with O_EXCL (a name in use raises
  // FileExistsError, which multiprocessing answers with another name) and unlinked at once when `unlink`. Its tokens
  // live in the session arena; the name exists so that everything done by name (sem_unlink, the resource tracker,
  // the leaks under /dev/shm) behaves as in CPython.
  static void claim_name(const std::string& n, std::int64_t value, bool unlink) {
    sem_t* made = sem_open(n.c_str(), O_CREAT | O_EXCL, 0600, static_cast<unsigned>(value));
    if (made == SEM_FAILED) throw_os_error();
    sem_close(made);
    if (unlink && sem_unlink(n.c_str()) < 0) throw_os_error();
  }

  [[noreturn]] static void throw_os_error() {
    PyErr_SetFromErrno(PyExc_OSError);  // errno as CPython reports it (FileExistsError, FileNotFoundError, ...)
    throw py::error_already_set();
  }

  SemLockState* state_ = nullptr;
  std::int64_t count_ = 0;        // acquisitions by this process (CPython's per-handle count)
  unsigned long last_thread_ = 0;  // the thread that acquired last
  py::object name_;
};

}  // namespace

// A process that ends normally gives up its holder records: tokens it took as signals stay taken.
void forget_holders_of_this_process() {
  if (g_registry == nullptr) return;
  const pid_t me = this_pid();
  const std::uint32_t n = std::min(g_registry->used.load(std::memory_order_acquire), Registry::kCapacity);
  for (std::uint32_t i = 0; i < n; ++i) {
    auto* s = reinterpret_cast<SemLockState*>(arena_base() + g_registry->offsets[i]);
    for (Holder& h : s->holders)
      if (h.pid.load(std::memory_order_relaxed) == me) {
        h.count.store(0, std::memory_order_relaxed);
        h.pid.store(0, std::memory_order_release);
      }
  }
}

void prepare_semlock_registry() { registry(); }

namespace {

// The hot methods as CPython's own are: METH_FASTCALL functions, not pybind11 dispatch (which costs more than the
// lock itself). The rest of the type goes through pybind11.
SemLock& self_of(PyObject* self) {
  return *static_cast<SemLock*>(reinterpret_cast<py::detail::instance*>(self)->get_value_and_holder().value_ptr());
}

PyObject* acquire(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static const char* const names[] = {"block", "timeout", nullptr};
  PyObject* block = Py_True;
  PyObject* timeout = Py_None;
  if (nargs > 0) block = args[0];
  if (nargs > 1) timeout = args[1];
  if (nargs > 2) return PyErr_Format(PyExc_TypeError, "acquire() takes at most 2 arguments (%zd given)", nargs);
  if (kwnames != nullptr)
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); ++i) {
      const char* key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, i));
      if (key == nullptr) return nullptr;
      if (std::strcmp(key, names[0]) == 0) block = args[nargs + i];
      else if (std::strcmp(key, names[1]) == 0) timeout = args[nargs + i];
      else return PyErr_Format(PyExc_TypeError, "acquire() got an unexpected keyword argument '%s'", key);
    }
  const int blocking = PyObject_IsTrue(block);
  if (blocking < 0) return nullptr;
  return guarded([&] {
    return PyBool_FromLong(self_of(self).acquire(blocking != 0, py::reinterpret_borrow<py::object>(timeout)));
  });
}

PyObject* enter(PyObject* self, PyObject*) {
  return guarded([&] { return PyBool_FromLong(self_of(self).acquire(true, py::none())); });
}

PyObject* release(PyObject* self, PyObject* const*, Py_ssize_t) {
  return guarded([&] {
    self_of(self).release();
    Py_RETURN_NONE;
  });
}

PyMethodDef hot_methods[] = {
    {"acquire", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&acquire)), METH_FASTCALL | METH_KEYWORDS,
     "acquire(block=True, timeout=None)"},
    {"__enter__", &enter, METH_NOARGS, "acquire()"},
    {"release", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&release)), METH_FASTCALL, "release()"},
    {"__exit__", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&release)), METH_FASTCALL, "release()"},
};

}  // namespace

void register_semlock(py::module_& m) {
  py::class_<SemLock> type(m, "SemLock");
  type.def(py::init<int, std::int64_t, std::int64_t, const std::string&, bool>(), py::arg("kind"), py::arg("value"),
           py::arg("maxvalue"), py::arg("name"), py::arg("unlink"))
      .def("_count", &SemLock::count)
      .def("_is_mine", &SemLock::is_mine)
      .def("_get_value", &SemLock::value)
      .def("_is_zero", [](const SemLock& s) { return s.value() == 0; })
      .def("_after_fork", &SemLock::after_fork)
      .def("_forkscope_show", &SemLock::show)
      .def_property_readonly("_forkscope_object", &SemLock::object)
      .def_static("_rebuild",
                  [](std::uint64_t handle, int, std::int64_t, py::object name) { return SemLock(handle, std::move(name)); })
      .def_property_readonly("handle", &SemLock::offset)
      .def_property_readonly("kind", &SemLock::kind)
      .def_property_readonly("maxvalue", &SemLock::maxvalue)
      .def_property_readonly("name", &SemLock::name)
      .def_property_readonly_static("SEM_VALUE_MAX", [](const py::object&) { return kSemValueMax; });
  auto* cls = reinterpret_cast<PyTypeObject*>(type.ptr());
  for (PyMethodDef& def : hot_methods) {
    PyObject* descriptor = PyDescr_NewMethod(cls, &def);
    if (descriptor == nullptr || PyObject_SetAttrString(type.ptr(), def.ml_name, descriptor) != 0)
      throw py::error_already_set();
    Py_DECREF(descriptor);
  }
}

}  // namespace forkscope::python
