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

namespace {
// Field `n` of stat_fields (numbered as in proc(5): the state letter is field 3); null when there are fewer.
const char* stat_field(const std::string& fields, int n) {
  const char* at = fields.c_str();
  for (int field = 3; field < n; ++field) {
    at = std::strchr(at, ' ');
    if (at == nullptr) return nullptr;
    ++at;
  }
  return at;
}
}  // namespace

std::optional<int> zombie_exit_code(pid_t pid) {
  const auto fields = stat_fields(pid);
  if (!fields) return std::nullopt;
  const char* status_field = stat_field(*fields, 52);
  int status = 0;
  if (status_field == nullptr || std::sscanf(status_field, "%d", &status) != 1) return std::nullopt;
  return exit_code_of(status);
}

std::optional<std::uint64_t> start_time_of(pid_t pid) {
  const auto fields = stat_fields(pid);
  if (!fields || fields->empty() || (*fields)[0] == 'Z' || (*fields)[0] == 'X') return std::nullopt;
  const char* start_field = stat_field(*fields, 22);
  unsigned long long start = 0;
  if (start_field == nullptr || std::sscanf(start_field, "%llu", &start) != 1) return std::nullopt;
  return start;
}

std::string boot_id() {
  char id[64] = {};
  if (std::FILE* f = std::fopen("/proc/sys/kernel/random/boot_id", "re")) {
    if (std::fgets(id, sizeof id, f) == nullptr) id[0] = '\0';
    std::fclose(f);
  }
  return std::string(id, strcspn(id, "\n"));
}

std::string how_it_ended(int exitcode) {
  if (exitcode >= 0) return fmt::format("exited with code {}", exitcode);
  const char* name = sigabbrev_np(-exitcode);
  return name ? fmt::format("was killed by SIG{}", name) : fmt::format("was killed by signal {}", -exitcode);
}

}  // namespace forkscope::detail
