// The lesson side of a run, inside each lesson process: who this process is, its trace ring, the gate it passes
// before every operation, and the one way blocking operations wait. Not part of the public API.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "forkscope/clock.hpp"
#include "forkscope/session.hpp"
#include "forkscope/trace_event.hpp"
#include "forkscope/trace_writer.hpp"
#include "session/futex.hpp"
#include "primitives/shared_sync.hpp"

namespace forkscope::detail {

// What a parent knows of a child it started (its Process object points to it; the runtime keeps it for the exit
// rules). It lives in the session arena, a shared mapping, because the parent fills it in right after fork():
// on the heap, that write would copy a page the child still shares.
struct ChildRecord {
  pid_t pid = 0;
  int pidfd = -1;
  std::uint32_t slot = 0;
  bool daemon = false;
  std::optional<int> exitcode;
  [[nodiscard]] const char* name() const;  // the slot's
};

struct ProcessContext {
  const Session* session = nullptr;
  ProcessSlot* slot = nullptr;
  GateShared* gate = nullptr;
  std::uint32_t slot_index = 0;
  pid_t pid = 0;
  std::string name;
  std::string identity;  // Python's _identity, as text: "2:1" is the first child of Process-2
  std::uint32_t children_started = 0;
  std::vector<ChildRecord*> children;
  std::vector<class WaitHelper*> wait_helpers;  // this process's pools
  std::uint64_t run_seed = 0;  // the run's --seed

  // This process's random stream: run_seed mixed with its name.
  std::mt19937_64& random();

 private:
  std::mt19937_64 rng;
  bool rng_seeded = false;
  friend void become_lesson_process(const Session&, std::uint32_t, std::string&&, std::string&&, std::uint64_t);
};

// Null outside lesson processes (in viewers and plain tests). Per thread: a lesson process is single-threaded, but a
// Python program's threads (a Queue's feeder, a Pool's handlers, the program's own) each write their own ring and pass
// the gate on their own (core/python/native).
inline thread_local ProcessContext* g_context = nullptr;
[[nodiscard]] ProcessContext& context();  // throws RuntimeError outside a lesson process

inline void emit_at(std::uint64_t time, EventKind kind, Phase phase, std::uint16_t object, std::int64_t value,
                    std::uint64_t arg) {
  trace_event_at(time, kind, phase, object, value, arg);
}
inline void emit(EventKind kind, Phase phase, std::uint16_t object = 0, std::int64_t value = 0, std::uint64_t arg = 0) {
  emit_at(trace_clock(), kind, phase, object, value, arg);
}

// Becomes the process described by `slot_index` (the lesson main, or a freshly forked child).
// Takes `name` and `identity` by move: a forked child must not copy them onto its heap (page copies).
// Both are short enough for the string's own buffer in all but deeply nested processes.
void become_lesson_process(const Session& session, std::uint32_t slot_index, std::string&& name,
                           std::string&& identity, std::uint64_t run_seed);
// Binds the calling thread to `context` (filled in by the caller) and its slot's ring.
void bind_thread(ProcessContext& context);

// ---- the gate -------------------------------------------------------------------------------------------------
[[nodiscard]] inline bool stepping() {
  return g_context->gate->mode.load(std::memory_order_relaxed) != static_cast<std::uint32_t>(GateMode::Run);
}
void hold_at_gate(EventKind kind, std::uint32_t key, std::string_view detail = {});
// While stepping, lesson time is logical: a process that would wait for time to pass (a sleep, a wait's timeout)
// waits in `state` (SleepingHeld, BlockedHeld) for the teacher's grant instead, so a stepped run and its replay never
// depend on the wall clock. True when granted (a GateGranted event shows the step); false when the lesson runs
// freely again first.
bool hold_until_granted(SlotState state, EventKind kind, std::uint16_t object, std::uint32_t key, bool timed);
// Every traced operation passes here first: free while the teacher lets the lesson run, held while stepping.
inline void gate_pass(EventKind kind, std::uint32_t key = 0) {
  if (stepping()) hold_at_gate(kind, key);
}
// The same for an operation the viewer shows with a detail (HeldProcess::detail), made only while stepping.
template <class MakeDetail>
  requires std::is_invocable_v<MakeDetail>
inline void gate_pass(EventKind kind, std::uint32_t key, MakeDetail&& make_detail) {
  if (stepping()) hold_at_gate(kind, key, make_detail());
}
[[nodiscard]] double speed();
// Tells processes blocked on `key` while stepping that a retry may now succeed.
void mark_ready(std::uint32_t key);
// While stepping: the process `pid`, blocked in the kernel for what this step gives it (a manager's reply), is shown
// running before it is woken, so the viewer waits for it to stop again before it grants the next step.
void note_woken(pid_t pid);
// `timed`: a blocked process whose wait ends by itself (a timeout); the viewer looks for processes that wait for ever.
void set_slot_state(SlotState state, std::uint32_t key = 0, bool timed = false);
// Wakes a viewer that waits for the current step to settle (any state but Running, while stepping, says so itself).
void note_stop();

// ---- work done while waiting -------------------------------------------------------------------------------
// Python's pools have handler threads that take results in, run callbacks and replace dead workers while the main
// thread sleeps or waits for something else. A lesson process forks, so it has no threads (fork with threads is
// unsafe): its own waits do that work. Each pool of this process is a WaitHelper; while one has work outstanding,
// every wait (sleep, and each BlockingWait) sleeps in slices of kHelpEveryNs and lets the helpers run in between.
class WaitHelper {
 public:
  WaitHelper();   // registers with this process
  virtual ~WaitHelper();  // unregisters
  WaitHelper(const WaitHelper&) = delete;
  WaitHelper& operator=(const WaitHelper&) = delete;
  [[nodiscard]] virtual bool has_work() const = 0;
  virtual void help() = 0;  // must not throw

 protected:
  // Not while the owner itself is busy: a pool waiting on its own results queue must not take them in twice.
  bool busy_ = false;
  friend void help_while_waiting();
};
inline constexpr std::int64_t kHelpEveryNs = 2'000'000;
// The longest a wait may sleep before it helps: `longest` while no helper has work.
[[nodiscard]] std::int64_t help_slice_ns(std::int64_t longest);
void help_while_waiting();

// Marks a WaitHelper busy for a scope (its own calls), so waits inside them do not re-enter it.
class BusyGuard {
 public:
  explicit BusyGuard(bool& busy) : busy_(busy), was_(busy) { busy_ = true; }
  ~BusyGuard() { busy_ = was_; }
  BusyGuard(const BusyGuard&) = delete;
  BusyGuard& operator=(const BusyGuard&) = delete;

 private:
  bool& busy_;
  bool was_;
};

// ---- blocking ---------------------------------------------------------------------------------------------------
// One blocking operation after its fast path failed: records Want, then waits either for real (run mode) or for the
// teacher's next grant (step mode), as many times as the caller's predicate needs. Timeouts are lesson seconds,
// scaled by the speed factor, and count only while the lesson runs freely: while stepping, a wait with a timeout is
// grantable at any time, and a grant whose retry still fails ends it as timed out (a step of its own).
class BlockingWait {
 public:
  BlockingWait(EventKind kind, std::uint16_t object, std::uint32_t key, std::optional<double> timeout_seconds);
  ~BlockingWait();
  BlockingWait(const BlockingWait&) = delete;
  BlockingWait& operator=(const BlockingWait&) = delete;

  // With `mutex` held: waits on `cond` (or for a grant), holds the mutex again on return. False once timed out.
  bool wait(SharedMutex& mutex, SharedCondition& cond, bool& recovered);
  // Without a mutex, for waits the kernel tracks itself (a lock, a child's exit): in step mode waits for a grant;
  // in run mode calls `kernel_wait(deadline)`, which returns true when the awaited thing happened.
  template <class KernelWait>
  bool wait_for(KernelWait&& kernel_wait);
  [[nodiscard]] const Deadline& deadline() const { return deadline_; }

 private:
  // Step mode: waits for a grant, or for the lesson to run freely again; either way the caller looks again.
  void wait_for_grant();
  // A timed wait whose granted retry failed, while stepping: it has timed out (its slot is Running again).
  bool timed_out_by_grant();
  void set_blocked();     // slot state Blocked on our key, and whether a timeout will end the wait
  void show_blocked();    // the Want event, once per stretch of being blocked

  EventKind kind_;
  std::uint16_t object_;
  std::uint32_t key_;
  Deadline deadline_;
  bool shown_ = false;
  bool retry_granted_ = false;  // the last wait ended with a grant: if the caller waits again, its retry failed
};

template <class KernelWait>
bool BlockingWait::wait_for(KernelWait&& kernel_wait) {
  if (timed_out_by_grant()) return false;
  show_blocked();
  for (;;) {
    if (stepping()) {
      wait_for_grant();
      return true;
    }
    if (deadline_.expired()) break;
    set_blocked();
    // Short slices so a switch to step mode is noticed by waiters the kernel would otherwise keep (and pools of this
    // process are helped). The slot stays Blocked across slices: the viewer tells a process that waits for ever from
    // one that runs by it.
    if (kernel_wait(Deadline::after_ns(deadline_.remaining_ns(help_slice_ns(50'000'000)).value()))) {
      set_slot_state(SlotState::Running);
      return true;
    }
    help_while_waiting();
  }
  set_slot_state(SlotState::Running);
  return false;
}

// Records the recovery of a mutex whose holder died, as an event on the timeline.
void note_recovered(std::uint16_t object, std::int32_t dead_holder);

// A monitor-style critical section on a SharedMutex that reports recoveries.
class Guard {
 public:
  Guard(SharedMutex& mutex, std::uint16_t object) : mutex_(mutex), object_(object) {
    if (mutex_.lock()) note_recovered(object_, 0);
  }
  ~Guard() {
    if (locked_) mutex_.unlock();
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  void unlock() {
    mutex_.unlock();
    locked_ = false;
  }
  bool wait(BlockingWait& w, SharedCondition& cond) {
    bool recovered = false;
    const bool ok = w.wait(mutex_, cond, recovered);
    if (recovered) note_recovered(object_, 0);
    return ok;
  }

 private:
  SharedMutex& mutex_;
  std::uint16_t object_;
  bool locked_ = true;
};

// Allocates a shared object's state in the arena and announces it on the trace.
template <class State>
State* new_shared_state(ObjectKind kind, std::string_view name, std::int64_t value, std::uint16_t& id_out);
std::uint16_t announce_object(ObjectKind kind, std::string_view name, std::int64_t value);

template <class State>
State* new_shared_state(ObjectKind kind, std::string_view name, std::int64_t value, std::uint16_t& id_out) {
  ProcessContext& c = context();
  auto* state = new (c.session->allocate(sizeof(State))) State();
  id_out = announce_object(kind, name, value);
  return state;
}

// Set by an embedding that must handle signals while a lesson process waits (Python: KeyboardInterrupt during
// time.sleep): asked between slices of sleeps (kInterruptEveryNs at most); true ends the sleep early.
inline bool (*g_interrupted)() = nullptr;
inline constexpr std::int64_t kInterruptEveryNs = 50'000'000;

// Scales lesson seconds to real nanoseconds at the current speed.
[[nodiscard]] std::int64_t real_ns(double lesson_seconds);

}  // namespace forkscope::detail
