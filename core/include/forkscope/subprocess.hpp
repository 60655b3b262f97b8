// Running a helper program to its end and reading what it printed, with a deadline: the viewer asking the lesson
// runner about a lesson file, a benchmark timing plain Python.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

namespace forkscope {

struct ProgramOutput {
  int exit_code = -1;  // the program's exit code; -N when signal N ended it
  std::string out, err;
};

// Runs argv (argv[0] is a path), stdin from /dev/null. Past `timeout_seconds` the program is killed and SystemFailure
// says so; so is output beyond `max_output` bytes. ForkError when it cannot be started. `started` is told the
// program's pid once it runs.
[[nodiscard]] ProgramOutput run_program(const std::vector<std::string>& argv, double timeout_seconds,
                                        std::size_t max_output = 16u << 20,
                                        const std::function<void(pid_t)>& started = {});

// While it lives, the death of this process's parent (the viewer) takes this process's whole process group down: the
// parent-death signal runs a handler that kills the group (kill() is async-signal-safe), in a realtime signal that
// programs do not use, so that their own handlers never stand in the way. For a lesson main whose processes are not
// all its children or outlive it by design (Open MPI's daemons; a Python program's processes). One prctl swaps the
// parent-death signal, so a parent that dies at any moment sends one of the two. Ending it puts back the parent-death
// SIGKILL of a lesson process (in the process that armed it: a forked child's copy leaves the child as it is).
class GroupDiesWithParent {
 public:
  GroupDiesWithParent();
  ~GroupDiesWithParent();
  GroupDiesWithParent(const GroupDiesWithParent&) = delete;
  GroupDiesWithParent& operator=(const GroupDiesWithParent&) = delete;

 private:
  struct sigaction previous_ {};
  pid_t armed_by_ = getpid();
};

}  // namespace forkscope
