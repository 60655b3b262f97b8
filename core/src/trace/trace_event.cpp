#include "forkscope/trace_event.hpp"

namespace forkscope {

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::ProcessBegin: return "begin";
    case EventKind::ProcessEnd: return "end";
    case EventKind::ProcessStart: return "start";
    case EventKind::ProcessJoin: return "join";
    case EventKind::ProcessSignal: return "signal";
    case EventKind::ProcessReaped: return "reaped";
    case EventKind::ObjectNew: return "create";
    case EventKind::LockAcquire: return "acquire";
    case EventKind::LockRelease: return "release";
    case EventKind::LockRecovered: return "recover";
    case EventKind::SemAcquire: return "acquire";
    case EventKind::SemRelease: return "release";
    case EventKind::EventWait: return "wait";
    case EventKind::EventSet: return "set";
    case EventKind::EventClear: return "clear";
    case EventKind::QueuePut: return "put";
    case EventKind::QueueGet: return "get";
    case EventKind::QueueTaskDone: return "task_done";
    case EventKind::QueueJoin: return "join";
    case EventKind::CounterSet: return "set";
    case EventKind::Sleep: return "sleep";
    case EventKind::GateHeld: return "held";
    case EventKind::GateGranted: return "granted";
    case EventKind::Print: return "print";
    case EventKind::Error: return "error";
    case EventKind::Mark: return "step";
    case EventKind::LessonResult: return "result";
    case EventKind::TaskBegin: return "task";
    case EventKind::TaskEnd: return "task end";
    case EventKind::PipeSend: return "send";
    case EventKind::PipeRecv: return "recv";
    case EventKind::PipeClose: return "close";
    case EventKind::ManagerCall: return "call";
    case EventKind::ManagerServe: return "serve";
    case EventKind::ConditionWait: return "wait";
    case EventKind::ConditionNotify: return "notify";
    case EventKind::Preempted: return "ready";
    case EventKind::PipePoll: return "poll";
    case EventKind::SourceLine: return "line";
    case EventKind::SocketWait: return "socket";
    case EventKind::ResultGet: return "get result";
    case EventKind::MpiCall: return "MPI call";
    case EventKind::MpiSend: return "MPI send";
    case EventKind::MpiRecv: return "MPI recv";
    case EventKind::Count_: break;
  }
  return "?";
}

std::string_view to_string(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Unknown: return "Object";
    case ObjectKind::Lock: return "Lock";
    case ObjectKind::RLock: return "RLock";
    case ObjectKind::Semaphore: return "Semaphore";
    case ObjectKind::BoundedSemaphore: return "BoundedSemaphore";
    case ObjectKind::Event: return "Event";
    case ObjectKind::Condition: return "Condition";
    case ObjectKind::Queue: return "Queue";
    case ObjectKind::JoinableQueue: return "JoinableQueue";
    case ObjectKind::Counter: return "Counter";
    case ObjectKind::Pipe: return "Pipe";
    case ObjectKind::Manager: return "Manager";
    case ObjectKind::Pool: return "Pool";
    case ObjectKind::MpiLink: return "MPI link";
    case ObjectKind::Communicator: return "Communicator";
    case ObjectKind::Count_: break;
  }
  return "?";
}

std::string_view to_string(MpiOp op) {
  switch (op) {
    case MpiOp::Send: return "MPI_Send";
    case MpiOp::Recv: return "MPI_Recv";
    case MpiOp::Wait: return "MPI_Wait";
    case MpiOp::Barrier: return "MPI_Barrier";
    case MpiOp::Bcast: return "MPI_Bcast";
    case MpiOp::Scatter: return "MPI_Scatter";
    case MpiOp::Gather: return "MPI_Gather";
    case MpiOp::Reduce: return "MPI_Reduce";
    case MpiOp::Allreduce: return "MPI_Allreduce";
    case MpiOp::Finalize: return "MPI_Finalize";
    case MpiOp::Count_: break;
  }
  return "MPI";
}

}  // namespace forkscope
