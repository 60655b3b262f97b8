#include "session/proc.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace forkscope::detail {

namespace {
// The fields of /proc/<pid>/stat after "pid (comm) ": comm may hold anything, so they start after the last ')'.
std::optional<std::string> stat_fields(pid_t pid) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  std::FILE* stat = std::fopen(path, "re");
  if (stat == nullptr) return std::nullopt;
  char line[1024];
  const bool read = std::fgets(line, sizeof line, stat) != nullptr;
  std::fclose(stat);
  const char* name_end = read ? std::strrchr(line, ')') : nullptr;
  if (name_end == nullptr || name_end[1] == '\0') return std::nullopt;
  return std::string(name_end + 2);
}
}  // namespace

int exit_code_of(int wait_status) { return WIFSIGNALED(wait_status) ? -WTERMSIG(wait_status) : WEXITSTATUS(wait_status); }

bool process_ended(pid_t pid) {
  if (pid <= 0) return true;
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  const auto fields = stat_fields(pid);  // a zombie still answers kill(); its state letter says it is done
  if (!fields) return errno == ENOENT;
  return !fields->empty() && ((*fields)[0] == 'Z' || (*fields)[0] == 'X');
}

std::optional<int> zombie_exit_code(pid_t pid) {
  const auto fields = stat_fields(pid);
  if (!fields) return std::nullopt;
  // The state letter is field 3; the exit status, field 52.
  const char* at = fields->c_str();
  for (int field = 3; field < 52; ++field) {
    at = std::strchr(at, ' ');
    if (at == nullptr) return std::nullopt;
    ++at;
  }
  int status = 0;
  if (std::sscanf(at, "%d", &status) != 1) return std::nullopt;
  return exit_code_of(status);
}

std::string how_it_ended(int exitcode) {
  if (exitcode >= 0) return fmt::format("exited with code {}", exitcode);
  const char* name = sigabbrev_np(-exitcode);
  return name ? fmt::format("was killed by SIG{}", name) : fmt::format("was killed by signal {}", -exitcode);
}

}  // namespace forkscope::detail
