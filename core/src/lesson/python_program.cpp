// A Python program as a lesson: what the viewer needs to start one (the interpreter, the forkscope package) and the
// lesson it runs as. The program's side is core/python/.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/run.hpp"

namespace forkscope {

std::filesystem::path python_interpreter() {
  if (const char* env = std::getenv("FORKSCOPE_PYTHON"); env && *env) return env;
  return FORKSCOPE_PYTHON_EXECUTABLE;
}

std::filesystem::path python_package_dir() {
  if (const char* env = std::getenv("FORKSCOPE_PYTHON_PATH"); env && *env) return env;
  return default_runner_path().parent_path().parent_path() / "python";
}

Lesson python_program_lesson(const std::string& file) {
  struct stat st {};
  if (file.empty()) throw UsageError("no Python file given");
  if (stat(file.c_str(), &st) != 0) throw UsageError(fmt::format("cannot open {}: {}", file, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw UsageError(fmt::format("{} is not a regular file", file));
  if (access(file.c_str(), R_OK) != 0) throw UsageError(fmt::format("cannot read {}: {}", file, std::strerror(errno)));
  Lesson lesson;
  lesson.id = file;
  lesson.topic = "python";
  lesson.source = file;
  lesson.check = [](RunReport& report) {
    report.expect("the program ended with exit code 0", report.main_exitcode == 0,
                  fmt::format("exit code {}", report.main_exitcode));
  };
  return lesson;
}

}  // namespace forkscope
