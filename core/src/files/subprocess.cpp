#include "forkscope/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "forkscope/errors.hpp"

extern char** environ;

namespace forkscope {

namespace {

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw_system("pipe", errno);
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    if (read >= 0) close(read);
    if (write >= 0) close(write);
  }
};

}  // namespace

ProgramOutput run_program(const std::vector<std::string>& argv, double timeout_seconds, std::size_t max_output,
                          const std::function<void(pid_t)>& started) {
  Pipe out, err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, err.write, 2);
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (std::string& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args.front().c_str(), &actions, nullptr, c_args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw ForkError(describe_errno(fmt::format("starting {}", args.front()), rc));
  close(std::exchange(out.write, -1));
  close(std::exchange(err.write, -1));
  if (started) started(pid);

  ProgramOutput result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  std::string failure;
  for (int open = 2; open > 0 && failure.empty();) {
    pollfd fds[2] = {{out.read, POLLIN, 0}, {err.read, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = fmt::format("{} did not finish within {:.0f} s", args.front(), timeout_seconds);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) throw_system("poll", errno);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[65536];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        std::string& to = i == 0 ? result.out : result.err;
        to.append(buffer, static_cast<std::size_t>(n));
        if (result.out.size() + result.err.size() > max_output)
          failure = fmt::format("{} printed more than {} bytes", args.front(), max_output);
      } else if (n == 0 || errno != EINTR) {
        int& fd = i == 0 ? out.read : err.read;
        close(std::exchange(fd, -1));
        --open;
      }
    }
  }
  if (!failure.empty()) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!failure.empty()) throw SystemFailure(failure);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return result;
}

namespace {
const int kParentGone = SIGRTMAX - 1;
}  // namespace

GroupDiesWithParent::GroupDiesWithParent() {
  struct sigaction action {};
  action.sa_handler = [](int) { kill(0, SIGKILL); };
  sigemptyset(&action.sa_mask);
  sigaction(kParentGone, &action, &previous_);
  prctl(PR_SET_PDEATHSIG, kParentGone);
}

GroupDiesWithParent::~GroupDiesWithParent() {
  if (getpid() != armed_by_) return;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigaction(kParentGone, &previous_, nullptr);
}

}  // namespace forkscope
