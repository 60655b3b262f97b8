// The hot path of tracing: this process's ring and PID, and the inline function every traced operation ends with.
// A trace event is a clock read and a 32-byte store; nothing else.
#pragma once

#include <cstdint>

#include "forkscope/clock.hpp"
#include "forkscope/trace_event.hpp"
#include "forkscope/trace_ring.hpp"

namespace forkscope {

namespace detail {
struct TraceWriter {
  RingWriter ring;
  std::int32_t pid = 0;
};
inline thread_local TraceWriter g_writer;  // set when a process (or a Python thread) becomes a lesson process
}  // namespace detail

// Writes one event from this lesson process, without passing the gate. For benchmarks and instrumentation;
// lessons use the traced primitives, which call this after their gate and their operation.
inline void trace_event_at(std::uint64_t time, EventKind kind, Phase phase, std::uint16_t object, std::int64_t value,
                           std::uint64_t arg) {
  detail::g_writer.ring.push(TraceEvent{time, detail::g_writer.pid, kind, phase, object, value, arg});
}
inline void trace_event(EventKind kind, std::uint16_t object = 0, std::int64_t value = 0, std::uint64_t arg = 0) {
  trace_event_at(trace_clock(), kind, Phase::Done, object, value, arg);
}

}  // namespace forkscope
