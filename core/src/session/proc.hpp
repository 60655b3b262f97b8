// What the kernel says about a lesson process that may have ended: its wait status in Python's terms, whether it is
// gone (or a zombie nobody reaped yet), and the exit status a zombie keeps. Shared by the viewer (reaping, stuck runs),
// the lock (taking over from a dead holder) and the pool (a dead worker).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace forkscope::detail {

// A waitpid status as Python's exitcode: the code, or minus the signal that killed it.
[[nodiscard]] int exit_code_of(int wait_status);
// Gone, or a zombie its parent has not reaped yet: it will never act again.
[[nodiscard]] bool process_ended(pid_t pid);
// How a zombie ended (/proc/<pid>/stat, field 52); nullopt when it is not a zombie we can read.
[[nodiscard]] std::optional<int> zombie_exit_code(pid_t pid);
// "exited with code 3", "was killed by SIGKILL".
[[nodiscard]] std::string how_it_ended(int exitcode);

}  // namespace forkscope::detail
