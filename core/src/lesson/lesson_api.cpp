#include "forkscope/lesson_api.hpp"

#include <cerrno>
#include <limits>
#include <random>

#include "forkscope/errors.hpp"
#include "session/runtime.hpp"
#include "session/socket_wait.hpp"

namespace forkscope {

void print_line(std::string_view text) {
  detail::gate_pass(EventKind::Print, 0, [&] { return text; });
  detail::ProcessContext& c = detail::context();
  detail::emit(EventKind::Print, Phase::Done, 0, 0, pack_arg(c.session->store_transient_string(text)));
}

void sleep(double seconds) {
  detail::gate_pass(EventKind::Sleep, 0, [&] { return fmt::format("{:g} s", seconds); });
  detail::ProcessContext& c = detail::context();
  double left_ns = std::max(seconds, 0.0) * 1e9;
  detail::emit(EventKind::Sleep, Phase::Want, 0, static_cast<std::int64_t>(left_ns));
  // Sleep in lesson time: wake on every speed change (the `changes` word) and re-scale what is left. A pool's
  // results arriving meanwhile are taken in (and their callbacks run) every few milliseconds, as Python's
  // result-handler thread would. While the teacher steps, lesson time stands still: the sleep waits for a grant,
  // which ends it (a step of its own, so a replay never races the wall clock); should the lesson run freely again
  // first, it sleeps what was left.
  while (left_ns > 0) {
    if (detail::stepping()) {
      if (detail::hold_until_granted(SlotState::SleepingHeld, EventKind::Sleep, 0, 0, false)) break;
      continue;
    }
    detail::set_slot_state(SlotState::Sleeping);
    const std::uint32_t seen = c.gate->changes.load(std::memory_order_acquire);
    const double factor = detail::speed();
    const std::int64_t started = detail::monotonic_now_ns();
    std::int64_t slice = detail::help_slice_ns(static_cast<std::int64_t>(left_ns / factor));
    if (detail::g_interrupted != nullptr) slice = std::min(slice, detail::kInterruptEveryNs);
    if (!detail::stepping()) detail::futex_wait(c.gate->changes, seen, slice);
    left_ns -= static_cast<double>(detail::monotonic_now_ns() - started) * factor;
    if (left_ns > 0 && detail::g_interrupted != nullptr && detail::g_interrupted()) break;
    if (left_ns > 0) detail::help_while_waiting();
  }
  detail::set_slot_state(SlotState::Running);
  detail::emit(EventKind::Sleep, Phase::Done);
}

void exit(int code) { throw SystemExit(code); }

void mark(std::string_view label) {
  detail::gate_pass(EventKind::Mark, 0, [&] { return label; });
  detail::ProcessContext& c = detail::context();
  detail::emit(EventKind::Mark, Phase::Done, 0, 0, pack_arg(c.session->store_transient_string(label)));
}

bool wait_for_socket(int fd, SocketOp op, double timeout_seconds) {
  static_cast<void>(detail::context());  // outside a lesson process: RuntimeError
  return detail::wait_on_socket(fd, op, detail::Deadline::after_ns(static_cast<std::int64_t>(timeout_seconds * 1e9)),
                                [](pollfd& ready, int ms) {
                                  const int rc = ::poll(&ready, 1, ms);
                                  return rc < 0 && errno == EINTR ? 0 : rc;
                                });
}

std::int64_t random_int(std::int64_t low, std::int64_t high) {
  return std::uniform_int_distribution<std::int64_t>(low, high)(detail::context().random());
}

double random_uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(detail::context().random()); }

std::uint64_t trace_backlog() {
  const RingHeader& ring = detail::context().slot->ring;
  return ring.head.load(std::memory_order_acquire) - ring.tail.load(std::memory_order_acquire);
}

ReadyWatch::ReadyWatch(double min_gap_seconds)
    : last_(trace_clock()),
      gap_ticks_(detail::g_context == nullptr
                     ? std::numeric_limits<std::uint64_t>::max()
                     : detail::g_context->session->header().clock.ticks_for_ns(min_gap_seconds * 1e9)) {}

void ReadyWatch::note_ready(std::uint64_t from, std::uint64_t to) {
  detail::emit_at(from, EventKind::Preempted, Phase::Want, 0, 0, 0);
  detail::emit_at(to, EventKind::Preempted, Phase::Done, 0, 0, 0);
}

double lesson_time() {
  detail::ProcessContext& c = detail::context();
  const double ns = static_cast<double>(c.session->header().clock.to_ns(trace_clock()));
  return ns * 1e-9 * detail::speed();
}

}  // namespace forkscope
