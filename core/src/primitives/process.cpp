#include "forkscope/process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdio_ext.h>
#include <cstring>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "primitives/process_exit.hpp"
#include "session/proc.hpp"
#include "session/runtime.hpp"

namespace forkscope {

namespace {

// glibc 2.36 declares pidfd_open without C linkage for C++; the system call is one line.
int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Collects the child if it has ended (never blocks). Records and traces the exit once.
bool try_reap(detail::ChildRecord& child) {
  if (child.exitcode) return true;
  int status = 0;
  const pid_t r = waitpid(child.pid, &status, WNOHANG);
  if (r == 0) return false;
  if (r < 0) throw_system(fmt::format("waitpid for {} ({})", child.name(), child.pid), errno);
  child.exitcode = detail::exit_code_of(status);
  if (child.pidfd >= 0) close(child.pidfd);
  child.pidfd = -1;
  detail::ProcessContext& c = detail::context();
  c.session->slot(child.slot).state.store(static_cast<std::uint32_t>(SlotState::Exited), std::memory_order_release);
  detail::emit(EventKind::ProcessReaped, Phase::Done, 0, *child.exitcode, static_cast<std::uint64_t>(child.pid));
  return true;
}

// Waits (with a deadline) until the child's pidfd says it ended.
bool wait_exit(const detail::ChildRecord& child, const detail::Deadline& deadline) {
  pollfd p{child.pidfd, POLLIN, 0};
  const auto left = deadline.remaining_ns();
  const int ms = left ? static_cast<int>((*left + 999'999) / 1'000'000) : -1;
  const int r = poll(&p, 1, ms);
  return r > 0;
}

bool join_child(detail::ChildRecord& child, std::optional<double> timeout) {
  const std::uint32_t key = kJoinKeyBase + child.slot;
  detail::gate_pass(EventKind::ProcessJoin, key);
  const auto arg = static_cast<std::uint64_t>(child.pid);
  // A child that has said its last word (its slot says Exited) is only leaving the kernel: the join does not wait
  // for it as far as the lesson is concerned. So whether a join blocks depends on what the child did, not on how
  // fast the kernel tears it down, and a replayed schedule blocks exactly where the recording did.
  const auto child_state = [&] {
    return static_cast<SlotState>(detail::context().session->slot(child.slot).state.load(std::memory_order_acquire));
  };
  const auto said_its_last_word = [&] {
    if (try_reap(child)) return true;
    if (child_state() != SlotState::Exited) return false;
    while (!try_reap(child)) (void)wait_exit(child, detail::Deadline::after_ns(1'000'000'000));
    return true;
  };
  if (!said_its_last_word()) {
    detail::BlockingWait w(EventKind::ProcessJoin, 0, key, timeout);
    // Granted while stepping, the child has ended (the viewer grants a join only then) or was killed: either way
    // the next look reaps it, however long the kernel takes to tear it down.
    while (!said_its_last_word()) {
      if (!w.wait_for([&](const detail::Deadline& d) { return wait_exit(child, d) && try_reap(child); })) {
        if (try_reap(child)) break;
        detail::emit(EventKind::ProcessJoin, Phase::Fail, 0, 0, arg);
        return false;
      }
    }
  }
  detail::emit(EventKind::ProcessJoin, Phase::Done, 0, *child.exitcode, arg);
  return true;
}

}  // namespace

Process::Process(std::function<void()> target, ProcessOptions options)
    : target_(std::move(target)), name_(std::move(options.name)), daemon_(options.daemon) {
  // Like Python, the identity (and so the default name) is fixed when the object is made, not when it starts.
  detail::ProcessContext& c = detail::context();
  identity_ = fmt::format("{}{}{}", c.identity, c.identity.empty() ? "" : ":", ++c.children_started);
  if (name_.empty()) name_ = "Process-" + identity_;
}

Process::~Process() = default;

void Process::run() {
  if (target_) target_();
}

void Process::set_daemon(bool daemon) {
  if (record_) throw AssertionError("process has already started");
  daemon_ = daemon;
}

pid_t Process::pid() const {
  check_not_closed();
  return record_ ? record_->pid : 0;
}

void Process::check_not_closed() const {
  if (closed_) throw ValueError("process object is closed");
}

void Process::close() {
  if (record_ && !try_reap(*record_))
    throw ValueError("Cannot close a process while it is still running. You should first call join() or terminate().");
  closed_ = true;
}

void Process::start() {
  detail::gate_pass(EventKind::ProcessStart);
  check_not_closed();
  if (record_) throw AssertionError("cannot start a process twice");
  detail::ProcessContext& c = detail::context();
  if (c.slot->daemon.load(std::memory_order_relaxed) != 0)
    throw AssertionError("daemonic processes are not allowed to have children");
  const std::uint32_t index = c.session->allocate_slot();
  ProcessSlot& slot = c.session->slot(index);
  fmt::format_to_n(slot.name, sizeof slot.name - 1, "{}", name_);
  slot.name_string = c.session->store_string(name_);  // here, so the child touches one shared page less
  slot.ppid.store(c.pid, std::memory_order_relaxed);
  slot.daemon.store(daemon_ ? 1 : 0, std::memory_order_relaxed);
  slot.state.store(static_cast<std::uint32_t>(SlotState::Running), std::memory_order_release);

  // Everything the parent keeps is allocated before fork(): after it, each write to a heap page the child still
  // shares costs a page copy.
  auto* record = new (c.session->allocate(sizeof(detail::ChildRecord))) detail::ChildRecord();
  record->slot = index;
  record->daemon = daemon_;
  c.children.push_back(record);

  detail::flush_stdio();  // or the child would print the parent's buffered output again
  const pid_t parent = c.pid;
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    c.children.pop_back();
    slot.state.store(static_cast<std::uint32_t>(SlotState::Exited), std::memory_order_release);
    std::string why = describe_errno(fmt::format("fork for {}", name_), e);
    rlimit limit{};
    if (e == EAGAIN && getrlimit(RLIMIT_NPROC, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
      why += fmt::format("; this user may run {} processes (ulimit -u)", limit.rlim_cur);
    throw ForkError(why);
  }
  if (pid == 0) child_main(index, parent);

  slot.pid.store(pid, std::memory_order_release);
  record->pid = pid;
  record->pidfd = pidfd_open(pid);
  if (record->pidfd < 0) throw_system(fmt::format("pidfd_open for {}", name_), errno);
  record_ = record;
  // The child's name travels with the start: a child killed before its first event still has a named lane.
  detail::emit(EventKind::ProcessStart, Phase::Done, 0, daemon_ ? 1 : 0,
               pack_arg(slot.name_string, static_cast<std::uint32_t>(pid)));
}

void Process::child_main(std::uint32_t slot_index, pid_t parent) {
  // Die with the parent (it may be killed by the viewer); if it is already gone, leave at once.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  detail::ProcessContext& parent_context = *detail::g_context;
  const Session& session = *parent_context.session;
  // The name is copied, not moved: run() may read it (self.name). Short names need no heap.
  detail::become_lesson_process(session, slot_index, std::string(name_), std::move(identity_), parent_context.run_seed);
  int code = 0;
  try {
    detail::announce_begin(parent, daemon_);
    run();
  } catch (...) {
    code = detail::report_uncaught(std::current_exception());
  }
  detail::end_process(code);
}

bool Process::join(std::optional<double> timeout) {
  check_not_closed();
  if (!record_) throw AssertionError("can only join a started process");
  return join_child(*record_, timeout);
}

void Process::signal(int signo) {
  detail::gate_pass(EventKind::ProcessSignal);
  check_not_closed();
  if (!record_) throw AssertionError("cannot signal a process that has not started");
  if (record_->exitcode) return;
  if (::kill(record_->pid, signo) != 0 && errno != ESRCH)
    throw_system(fmt::format("kill({}, {}) for {}", record_->pid, signo, name_), errno);
  detail::emit(EventKind::ProcessSignal, Phase::Done, 0, signo, static_cast<std::uint64_t>(record_->pid));
}

void Process::terminate() { signal(SIGTERM); }
void Process::kill() { signal(SIGKILL); }

bool Process::is_alive() {
  check_not_closed();
  if (!record_) return false;
  return !try_reap(*record_);
}

std::optional<int> Process::exitcode() {
  check_not_closed();
  if (!record_) return std::nullopt;
  try_reap(*record_);
  return record_->exitcode;
}

pid_t current_pid() { return detail::context().pid; }
pid_t parent_pid() { return getppid(); }
const std::string& current_process_name() { return detail::context().name; }

std::optional<ProcessIdentity> parent_process() {
  const detail::ProcessContext& c = detail::context();
  if (c.slot_index == 0) return std::nullopt;  // the lesson's main process: its parent is the viewer, not a lesson process
  const pid_t parent = c.slot->ppid.load(std::memory_order_relaxed);
  const Session& session = *c.session;
  for (std::uint32_t i = 0; i < session.slots_used(); ++i)
    if (session.slot(i).pid.load(std::memory_order_acquire) == parent) return ProcessIdentity{parent, session.slot(i).name};
  return std::nullopt;
}

std::vector<ProcessIdentity> active_children() {
  std::vector<ProcessIdentity> alive;
  for (detail::ChildRecord* child : detail::context().children)
    if (!try_reap(*child)) alive.push_back({child->pid, child->name()});
  return alive;
}

namespace detail {

void announce_begin(pid_t parent, bool daemon) {
  ProcessContext& c = context();
  StringId& name = c.slot->name_string;
  if (name == kNoString) name = c.session->store_string(c.name);
  emit(EventKind::ProcessBegin, Phase::Done, 0, parent, pack_arg(name, daemon ? 1u : 0u));
}

void flush_stdio() {
  // Only when something is buffered: taking the stdio locks writes to libc's pages, a copy each after fork().
  if (__fpending(stdout) != 0) std::fflush(stdout);
  if (__fpending(stderr) != 0) std::fflush(stderr);
}

int report_uncaught(std::exception_ptr error) noexcept {
  std::string text;
  int code = 1;
  try {
    std::rethrow_exception(error);
  } catch (const SystemExit& e) {
    return e.code();  // sys.exit(n): the process ends with n and prints nothing
  } catch (const ForkError& e) {
    text = fmt::format("{}: {}", e.python_name(), e.what());
    code = kExitForkRefused;
  } catch (const LessonError& e) {
    text = fmt::format("{}: {}", e.python_name(), e.what());
  } catch (const std::exception& e) {
    text = fmt::format("Exception: {}", e.what());
  } catch (...) {
    text = "Exception: unknown";
  }
  ProcessContext& c = context();
  try {
    emit(EventKind::Error, Phase::Done, 0, code, pack_arg(c.session->store_transient_string(text)));
  } catch (...) {
    // No room left to tell the viewer (the message memory is full): say it where a person still sees it.
    std::fprintf(stderr, "%s: %s\n", c.name.c_str(), text.c_str());
  }
  return code;
}

void end_of_body() {
  ProcessContext& c = context();
  // Python's exit handler: terminate the daemonic children, then join every child.
  for (detail::ChildRecord* child : c.children)
    if (child->daemon && !try_reap(*child)) {
      gate_pass(EventKind::ProcessSignal);
      ::kill(child->pid, SIGTERM);
      emit(EventKind::ProcessSignal, Phase::Done, 0, SIGTERM, static_cast<std::uint64_t>(child->pid));
    }
  for (detail::ChildRecord* child : c.children)
    if (!child->exitcode) join_child(*child, std::nullopt);  // only the ones still active, like Python
}

void end_process(int code, const std::function<void()>& before_end) noexcept {
  // A lesson process never returns into the code it was forked from (a test, the viewer's launcher): whatever
  // happens here ends in _exit.
  try {
    end_of_body();
    if (before_end) before_end();
  } catch (...) {
    code = report_uncaught(std::current_exception());
  }
  ProcessContext& c = context();
  emit(EventKind::ProcessEnd, Phase::Done, 0, code);
  flush_stdio();
  c.slot->state.store(static_cast<std::uint32_t>(SlotState::Exited), std::memory_order_release);
  mark_ready(kJoinKeyBase + c.slot_index);
  if (stepping()) note_stop();
  _exit(code);
}

}  // namespace detail

}  // namespace forkscope
