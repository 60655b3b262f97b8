// How every lesson process begins and ends: the first event, uncaught errors, Python's exit rules, _exit.
#pragma once

#include <sys/types.h>

#include <exception>
#include <functional>

namespace forkscope::detail {

// Exit code of a lesson process whose fork() was refused by the system (the viewer reports it as bad input).
inline constexpr int kExitForkRefused = 2;

void announce_begin(pid_t parent, bool daemon);
void flush_stdio();
// Records an uncaught exception as an Error event (or on stderr when the trace has no room); returns the exit code
// it means (1, or kExitForkRefused). A SystemExit (forkscope::exit) records nothing and means its own code. Never
// throws.
int report_uncaught(std::exception_ptr error) noexcept;
// Python's exit handler: terminate daemonic children, join the rest.
void end_of_body();
// end_of_body, then `before_end` (the lesson main reports its result there), the last event, and _exit.
[[noreturn]] void end_process(int code, const std::function<void()>& before_end = {}) noexcept;

}  // namespace forkscope::detail
