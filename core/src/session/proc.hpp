// What the kernel says about a lesson process that may have ended: its wait status in Python's terms, whether it is
// gone (or a zombie nobody reaped yet), and the exit status a zombie keeps. Shared by the viewer (reaping, stuck runs),
// the lock (taking over from a dead holder) and the pool (a dead worker).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace forkscope::detail {

// A waitpid status as Python's exitcode: the code, or minus the signal that killed it.
[[nodiscard]] int exit_code_of(int wait_status);
// Gone, or a zombie its parent has not reaped yet: it will never act again.
[[nodiscard]] bool process_ended(pid_t pid);
// How a zombie ended (/proc/<pid>/stat, field 52); nullopt when it is not a zombie we can read.
[[nodiscard]] std::optional<int> zombie_exit_code(pid_t pid);
// When it started, in clock ticks since boot (/proc/<pid>/stat, field 22): with the pid, names one process for good,
// since pids are given again. nullopt when it is gone or a zombie.
[[nodiscard]] std::optional<std::uint64_t> start_time_of(pid_t pid);
// This boot's id (/proc/sys/kernel/random/boot_id): two processes see the same pids only if they see the same id.
[[nodiscard]] std::string boot_id();
// "exited with code 3", "was killed by SIGKILL".
[[nodiscard]] std::string how_it_ended(int exitcode);

}  // namespace forkscope::detail
