// A socket operation that would wait, shown on the timeline: C++ lessons (forkscope::wait_for_socket) and Python
// programs (socket.accept/recv/send) wait here.
#pragma once

#include <poll.h>

#include <cstdint>

#include "forkscope/trace_event.hpp"
#include "session/futex.hpp"
#include "session/runtime.hpp"

namespace forkscope::detail {

// Waits until `fd` can go on with `op` (accept, recv: readable; connect, send: writable) or `deadline` passes, shown
// as the process blocked on a socket meanwhile. Not a step (a network peer may be outside the run), and marked as
// ending by itself, so the stuck detector never calls a server waiting for clients stuck. `poll_once(p, ms)` polls
// once (a Python program's drops the GIL and may throw to run a signal handler). False: the deadline passed.
template <class PollOnce>
bool wait_on_socket(int fd, SocketOp op, const Deadline& deadline, PollOnce&& poll_once) {
  pollfd p{fd, static_cast<short>(op == SocketOp::Connect || op == SocketOp::Send ? POLLOUT : POLLIN), 0};
  if (::poll(&p, 1, 0) != 0) return true;  // ready, or an error its call will report
  emit(EventKind::SocketWait, Phase::Want, 0, static_cast<std::int64_t>(op));
  set_slot_state(SlotState::Blocked, 0, true);
  struct Shown {  // however the wait ends, a throw included
    ~Shown() {
      emit(EventKind::SocketWait, Phase::Done, 0, 0);
      set_slot_state(SlotState::Running);
    }
  } shown;
  while (true) {
    const std::int64_t slice = deadline.remaining_ns(50'000'000).value_or(50'000'000);
    if (poll_once(p, static_cast<int>((slice + 999'999) / 1'000'000)) != 0) return true;
    if (deadline.expired()) return false;
  }
}

}  // namespace forkscope::detail
