// What a lesson body calls besides the primitives: print, sleep, a named step, random numbers, a clock.
// All of them pass the gate, so a teacher stepping through a lesson sees (and orders) every one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "forkscope/trace_event.hpp"
#include "forkscope/trace_writer.hpp"

namespace forkscope {

// Python's print(): the line goes into the trace with this process's PID; the viewer shows it on its console.
void print_line(std::string_view text);
template <class... Args>
void print(fmt::format_string<Args...> format, Args&&... args) {
  print_line(fmt::format(format, std::forward<Args>(args)...));
}

// time.sleep() in lesson seconds: divided by the speed factor the teacher sets (and re-scaled if it changes).
void sleep(double seconds);

// sys.exit(code): throws SystemExit (errors.hpp), which unwinds this process's body; the process then ends with
// `code` (its parent sees it as exitcode) and prints nothing. Not an operation: it does not pass the gate.
[[noreturn]] void exit(int code = 0);

// A lesson-level step with a label ("read info"): a marker on the timeline and a point where stepping stops.
void mark(std::string_view label);

// Waits until the socket `fd` can go on with `op` (accept or recv: something to read; connect or send: room to
// write), shown on the timeline as the process blocked on a socket. Not an operation: a peer may be outside the run,
// so it is no step and never "stuck". False when `timeout_seconds` (real seconds) passed first.
[[nodiscard]] bool wait_for_socket(int fd, SocketOp op, double timeout_seconds);

// random.randint(a, b) and random.random(), from this process's own stream (fixed by --seed and its name).
[[nodiscard]] std::int64_t random_int(std::int64_t low, std::int64_t high);
[[nodiscard]] double random_uniform();

// Events this process wrote that the viewer has not taken yet (0 once it caught up).
[[nodiscard]] std::uint64_t trace_backlog();

// time.time() for results, in lesson seconds since the run began (real seconds times the speed factor).
[[nodiscard]] double lesson_time();

// Puts on this process's lane the time it was ready but not running: call tick() every few microseconds while
// computing. A process waiting for a CPU cannot write anything while it waits, so the gap is noticed afterwards:
// when two ticks lie further apart than the work between them can take, the process had no CPU in between, and a
// Ready span is written. Not an operation: it does not pass the gate. Inert outside a lesson process.
class ReadyWatch {
 public:
  explicit ReadyWatch(double min_gap_seconds = 50e-6);
  void tick() {
    const std::uint64_t now = trace_clock();
    if (now - last_ > gap_ticks_) note_ready(last_, now);
    last_ = now;
  }

 private:
  void note_ready(std::uint64_t from, std::uint64_t to);
  std::uint64_t last_;
  std::uint64_t gap_ticks_;
};

}  // namespace forkscope
