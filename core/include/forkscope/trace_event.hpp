// The one trace event: what every lesson process writes, what every viewer reads, what a trace file stores.
// Fixed size, trivially copyable, no pointers: it crosses process boundaries through shared memory and files.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace forkscope {

// What happened. The writer of an event is always the process in `pid`; `object` and `arg` name what it acted on.
enum class EventKind : std::uint8_t {
  // Lifecycle, written by the process itself.
  ProcessBegin,   // value = ppid, arg = name string | flags (kBeginDaemon, kBeginThread; see pack_arg)
  ProcessEnd,     // value = exit code the process is about to exit with
  // Process operations, written by the parent.
  ProcessStart,   // arg = child's name string | child pid, value = 1 for a daemon
  ProcessJoin,    // arg = child pid, value = exit code when Done (Fail = timed out)
  ProcessSignal,  // arg = target pid, value = signal number (terminate, kill)
  ProcessReaped,  // arg = child pid, value = exit code (-signal when killed); the child is gone
  // Objects.
  ObjectNew,      // object = id, value = capacity or initial value, arg = name string | ObjectKind
  LockAcquire,    // value = recursion depth after (RLock) or 1
  LockRelease,
  LockRecovered,  // the previous holder died holding it (robust mutex EOWNERDEAD), arg = dead holder pid
  SemAcquire,     // value = semaphore value after
  SemRelease,     // value = semaphore value after
  EventWait,      // value = flag returned
  EventSet,
  EventClear,
  QueuePut,       // arg = item sequence number (the model counts the depth from puts and gets)
  QueueGet,       // arg = item sequence number
  QueueTaskDone,  // value = unfinished tasks after
  QueueJoin,      // value = unfinished tasks when Done
  CounterSet,     // object = counter, value = new value
  // Time and the gate.
  Sleep,          // Want = starts sleeping (value = lesson duration in ns), Done = woke up
  GateHeld,       // value = EventKind the process is about to perform, object = its object
  GateGranted,
  // Text.
  Print,          // arg = string
  Error,          // arg = string: an uncaught exception's type and message
  Mark,           // arg = string: a lesson-level step ("read info"), object optional
  LessonResult,   // arg = string: the lesson's result JSON, written once by the main process
  // Process pools.
  TaskBegin,      // a pool worker starts a task: object = pool, arg = label string ("work(3)")
  TaskEnd,        // object = pool, value = 0 returned, 1 raised
  // Pipes: flows like a queue's, from each send to its recv.
  PipeSend,       // object = pipe (one id per direction), arg = message sequence number, value = bytes
  PipeRecv,       // Want while waiting; Done: arg = message sequence number; Fail: EOFError (the other end closed)
  PipeClose,      // object = pipe
  // Managers: a proxy call is a request to the manager's server process.
  ManagerCall,    // Want = request sent (arg = label string, "d['count']"); Done = reply received
  ManagerServe,   // the server handled a request: arg = label string, value = caller pid
  // Condition variables.
  ConditionWait,  // Want while waiting for a notify; Done once notified and holding the lock again; Fail: timeout
  ConditionNotify,  // value = how many waiters were woken
  // The CPU: a computing process that had to wait for a CPU another process held (it was ready, not running).
  // Written afterwards by the process itself (see ReadyWatch): Want at the last moment it saw the CPU, Done when it
  // had it again.
  Preempted,
  // Pipes again: poll(timeout) waiting for a message or end of file. Want while waiting; Done, value = what it
  // returned (1 True, 0 False: timed out, or nothing there at a quick look).
  PipePoll,
  // Python programs: the line of the program's source the process's next operation was written on (value = line
  // number), when it changed; the Code view marks it in the process's colour.
  SourceLine,
  // A socket that must wait (accept, recv, connect, send): Want while it waits, Done when it can go on.
  // value = SocketOp. Written by Python programs (the socket echo server, crawlers).
  SocketWait,
  // AsyncResult.get()/wait() of a pool (object = the pool): Want while the result is not ready; Done; Fail: timeout.
  ResultGet,
  // MPI ranks (the PMPI wrapper, core/src/mpi): a call that may wait (Want on entry, Done on return; value = MpiOp,
  // arg = the peer rank + 1, 0 for every rank, object = the link to or from the peer, or the communicator), and the
  // messages it moves, drawn like a pipe's: object = the link (one per ordered pair of ranks), arg = the link's
  // message number, value = bytes. A collective's data counts as one message from or to its root.
  MpiCall,
  MpiSend,
  MpiRecv,
  Count_          // keep last
};

// Where an operation stands. Blocking operations write Want before they wait and Done (or Fail) after;
// between the two the process is blocked on `object`. Operations that did not have to wait write only Done.
enum class Phase : std::uint8_t { Done = 0, Want = 1, Fail = 2 };

enum class SocketOp : std::uint8_t { Accept, Recv, Connect, Send };

enum class MpiOp : std::uint8_t { Send, Recv, Wait, Barrier, Bcast, Scatter, Gather, Reduce, Allreduce, Finalize, Count_ };
[[nodiscard]] std::string_view to_string(MpiOp op);  // the call's MPI name, MPI_Send

enum class ObjectKind : std::uint8_t {
  Unknown, Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition, Queue, JoinableQueue, Counter, Pipe, Manager, Pool,
  MpiLink,  // the messages from one MPI rank to another
  Communicator,
  Count_
};

struct TraceEvent {
  std::uint64_t time = 0;  // trace_clock() ticks; ClockCalibration turns them into nanoseconds
  std::int32_t pid = 0;
  EventKind kind = EventKind::Print;
  Phase phase = Phase::Done;
  std::uint16_t object = 0;  // 0 = no object
  std::int64_t value = 0;
  std::uint64_t arg = 0;
  friend bool operator==(const TraceEvent&, const TraceEvent&) = default;
};

static_assert(sizeof(TraceEvent) == 32, "the trace format is 32 bytes per event");
static_assert(std::is_trivially_copyable_v<TraceEvent>);
static_assert(std::is_standard_layout_v<TraceEvent>);
static_assert(alignof(TraceEvent) == 8);

// Strings live in the session's string table; events carry their 32-bit id. `extra` rides in the high half.
using StringId = std::uint32_t;
inline constexpr StringId kNoString = 0;
// A string with this bit set is a transient one (a block of the payload store, see Session), not a table offset.
inline constexpr StringId kTransientString = 0x8000'0000u;
// A block of the session's payload store, in 64-byte units from its start; 0 is none.
using BlobId = std::uint32_t;
inline constexpr BlobId kNoBlob = 0;
constexpr std::uint64_t pack_arg(StringId text, std::uint32_t extra = 0) {
  return std::uint64_t{text} | (std::uint64_t{extra} << 32);
}
constexpr StringId arg_string(std::uint64_t arg) { return static_cast<StringId>(arg & 0xffffffffu); }
constexpr std::uint32_t arg_extra(std::uint64_t arg) { return static_cast<std::uint32_t>(arg >> 32); }

// ProcessBegin's flags: a daemonic process; a thread of process `value` (its lane is a sub-lane of that process).
inline constexpr std::uint32_t kBeginDaemon = 1;
inline constexpr std::uint32_t kBeginThread = 2;

// True for the kinds whose arg carries a string id (the drain copies the text along with the event).
constexpr bool carries_string(EventKind kind) {
  switch (kind) {
    case EventKind::ProcessBegin:
    case EventKind::ProcessStart:
    case EventKind::ObjectNew:
    case EventKind::Print:
    case EventKind::Error:
    case EventKind::Mark:
    case EventKind::LessonResult:
    case EventKind::TaskBegin:
    case EventKind::ManagerCall:
    case EventKind::ManagerServe: return true;
    default: return false;
  }
}

// True for the kinds whose arg, once done, is an item's sequence number (1, 2, ...): a put and its get, a send and its
// recv. The model matches them into flows.
constexpr bool carries_item(EventKind kind, Phase phase) {
  return phase == Phase::Done && (kind == EventKind::QueuePut || kind == EventKind::QueueGet ||
                                  kind == EventKind::PipeSend || kind == EventKind::PipeRecv);
}

std::string_view to_string(EventKind kind);
std::string_view to_string(ObjectKind kind);

}  // namespace forkscope
