// Running a helper program to its end and reading what it printed, with a deadline: the viewer asking the lesson
// runner about a lesson file, a benchmark timing plain Python.
#pragma once

#include <sys/types.h>

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

}  // namespace forkscope
