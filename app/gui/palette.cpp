#include "palette.hpp"

#include <array>

namespace forkscope::gui {

OpCategory op_category(EventKind kind, Phase phase) {
  if (phase == Phase::Fail || kind == EventKind::Error || kind == EventKind::LockRecovered) return OpCategory::Failure;
  switch (kind) {
    case EventKind::GateHeld:
    case EventKind::GateGranted:
    case EventKind::Preempted:
    case EventKind::SourceLine:
    case EventKind::ProcessBegin:
    case EventKind::LessonResult: return OpCategory::None;  // the lane's colour already says it
    case EventKind::Print:
    case EventKind::Mark: return OpCategory::Text;
    case EventKind::ProcessEnd:
    case EventKind::ProcessStart:
    case EventKind::ProcessJoin:
    case EventKind::ProcessSignal:
    case EventKind::ProcessReaped:
    case EventKind::ObjectNew:
    case EventKind::Sleep:
    case EventKind::TaskBegin:
    case EventKind::TaskEnd: return OpCategory::Process;
    case EventKind::QueuePut:
    case EventKind::QueueGet:
    case EventKind::QueueTaskDone:
    case EventKind::QueueJoin:
    case EventKind::PipeSend:
    case EventKind::PipeRecv:
    case EventKind::PipeClose:
    case EventKind::PipePoll:
    case EventKind::SocketWait:
    case EventKind::ResultGet:
    case EventKind::MpiCall:
    case EventKind::MpiSend:
    case EventKind::MpiRecv: return OpCategory::Queue;
    default: return OpCategory::Sync;
  }
}

ImU32 state_color(ProcState state) {
  // Blocked states are warm or saturated; running is green; the gate's "held" is a yellow no blocked state uses.
  switch (state) {
    case ProcState::Running: return IM_COL32(76, 175, 80, 255);
    case ProcState::Held: return IM_COL32(255, 214, 0, 255);
    case ProcState::Ready: return IM_COL32(197, 225, 165, 255);  // running's green, faded: could run, has no CPU
    case ProcState::Sleeping: return IM_COL32(120, 144, 156, 255);
    case ProcState::BlockedLock: return IM_COL32(229, 57, 53, 255);
    case ProcState::BlockedSemaphore: return IM_COL32(255, 112, 67, 255);
    case ProcState::BlockedEvent: return IM_COL32(171, 71, 188, 255);
    case ProcState::BlockedQueueGet: return IM_COL32(30, 136, 229, 255);
    case ProcState::BlockedQueuePut: return IM_COL32(0, 188, 212, 255);
    case ProcState::BlockedQueueJoin: return IM_COL32(92, 107, 192, 255);
    case ProcState::BlockedJoin: return IM_COL32(161, 120, 100, 255);
    case ProcState::BlockedPipe: return IM_COL32(0, 137, 123, 255);
    case ProcState::BlockedCondition: return IM_COL32(236, 64, 122, 255);
    case ProcState::BlockedManager: return IM_COL32(103, 58, 183, 255);
    case ProcState::BlockedSocket: return IM_COL32(158, 157, 36, 255);   // olive: the network, apart from join's brown
    case ProcState::BlockedResult: return IM_COL32(255, 160, 0, 255);    // amber: waiting for the pool
    case ProcState::BlockedMpi: return IM_COL32(121, 85, 72, 255);       // dark brown: other ranks, on other hosts
    case ProcState::BlockedOther: return IM_COL32(158, 158, 158, 255);
    case ProcState::Exited: return IM_COL32(58, 58, 64, 255);
    case ProcState::Count_: break;
  }
  return IM_COL32(255, 0, 255, 255);
}

ImU32 state_text_color(ProcState state) {
  return state == ProcState::Exited ? IM_COL32(150, 150, 160, 255) : state_color(state);
}

ImU32 op_color(OpCategory category) {
  switch (category) {
    case OpCategory::None: return IM_COL32(0, 0, 0, 0);
    case OpCategory::Text: return IM_COL32(236, 239, 241, 255);
    case OpCategory::Process: return IM_COL32(174, 213, 129, 255);
    case OpCategory::Queue: return IM_COL32(129, 212, 250, 255);
    case OpCategory::Sync: return IM_COL32(255, 183, 77, 255);
    case OpCategory::Failure: return IM_COL32(255, 82, 82, 255);
  }
  return IM_COL32(255, 255, 255, 255);
}

ImU32 process_color(std::size_t lane_index) {
  static constexpr std::array<ImU32, 10> kColors = {
      IM_COL32(255, 255, 255, 255), IM_COL32(129, 212, 250, 255), IM_COL32(255, 204, 128, 255),
      IM_COL32(197, 225, 165, 255), IM_COL32(244, 143, 177, 255), IM_COL32(179, 157, 219, 255),
      IM_COL32(128, 222, 234, 255), IM_COL32(255, 245, 157, 255), IM_COL32(188, 170, 164, 255),
      IM_COL32(239, 154, 154, 255)};
  return kColors[lane_index % kColors.size()];
}

ImU32 counter_color(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Queue:
    case ObjectKind::JoinableQueue:
    case ObjectKind::Pipe:
    case ObjectKind::MpiLink: return state_color(ProcState::BlockedQueueGet);
    case ObjectKind::Semaphore:
    case ObjectKind::BoundedSemaphore: return state_color(ProcState::BlockedSemaphore);
    case ObjectKind::Event: return state_color(ProcState::BlockedEvent);
    case ObjectKind::Lock:
    case ObjectKind::RLock: return state_color(ProcState::BlockedLock);
    case ObjectKind::Condition: return state_color(ProcState::BlockedCondition);
    default: return IM_COL32(255, 202, 40, 255);  // lesson values: tickets left, inside, ...
  }
}

const char* state_key(ProcState state) {
  switch (state) {
    case ProcState::Running: return "state.running";
    case ProcState::Held: return "state.held";
    case ProcState::Ready: return "state.ready";
    case ProcState::Sleeping: return "state.sleeping";
    case ProcState::BlockedLock: return "state.blocked_lock";
    case ProcState::BlockedSemaphore: return "state.blocked_semaphore";
    case ProcState::BlockedEvent: return "state.blocked_event";
    case ProcState::BlockedQueueGet: return "state.blocked_queue_get";
    case ProcState::BlockedQueuePut: return "state.blocked_queue_put";
    case ProcState::BlockedQueueJoin: return "state.blocked_queue_join";
    case ProcState::BlockedJoin: return "state.blocked_join";
    case ProcState::BlockedPipe: return "state.blocked_pipe";
    case ProcState::BlockedCondition: return "state.blocked_condition";
    case ProcState::BlockedManager: return "state.blocked_manager";
    case ProcState::BlockedSocket: return "state.blocked_socket";
    case ProcState::BlockedResult: return "state.blocked_result";
    case ProcState::BlockedMpi: return "state.blocked_mpi";
    case ProcState::BlockedOther: return "state.blocked_other";
    case ProcState::Exited: return "state.exited";
    case ProcState::Count_: break;
  }
  return "state.blocked_other";
}

}  // namespace forkscope::gui
