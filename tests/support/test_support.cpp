#include "test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "forkscope/session.hpp"
#include "registry.hpp"

extern char** environ;

namespace forkscope::testing {

Lesson test_lesson(std::string id, std::function<void(LessonContext&)> body, std::vector<ParamSpec> params) {
  return Lesson{.id = std::move(id), .topic = "test", .source = "", .params = std::move(params), .body = std::move(body),
                .check = {}, .hidden = true};
}

std::vector<ValueSample> value_samples() {
  const std::string long_text(40, 'x');  // longer than a queue cell holds inline
  const std::string long_octets(30, 'b');
  return {
      {None, "None"},
      {true, "True"},
      {false, "False"},
      {7, "7"},
      {-2.5, "-2.5"},
      {"包子", "'包子'"},
      {"it's", "\"it's\""},
      {long_text, "'" + long_text + "'"},
      {Value::bytes(std::string("\x00\xff" "ab\n", 5)), "b'\\x00\\xffab\\n'"},
      {Value::bytes(long_octets), "b'" + long_octets + "'"},
      {Value::tuple({}), "()"},
      {Value::tuple({1}), "(1,)"},
      {Value::tuple({1, "a", true}), "(1, 'a', True)"},
      {Value::list({}), "[]"},
      {Value::list({1, 2.0, None}), "[1, 2.0, None]"},
      {Value::dict(), "{}"},
      {Value::dict({{"k", 1}, {Value::tuple({1, 2}), Value::list({Value::bytes("x")})}}), "{'k': 1, (1, 2): [b'x']}"},
      {Value::list({Value::dict({{"a", Value::list({Value::tuple({true, false})})}}), long_text}),
       "[{'a': [(True, False)]}, '" + long_text + "']"},
  };
}

std::vector<Value> sample_values() {
  std::vector<Value> values;
  for (const ValueSample& s : value_samples()) values.push_back(s.value);
  return values;
}

std::vector<std::string> sample_reprs() {
  std::vector<std::string> texts;
  for (const ValueSample& s : value_samples()) texts.push_back(s.python_repr);
  return texts;
}

std::vector<std::string> reprs(const std::vector<Value>& values) {
  std::vector<std::string> texts;
  for (const Value& v : values) texts.push_back(v.repr());
  return texts;
}

InlineRun::InlineRun(std::function<void(LessonContext&)> body, InlineOptions options) {
  lesson_ = std::make_unique<Lesson>(test_lesson("inline-test", std::move(body), options.params));
  run_ = start_inline(*lesson_, options);
  run_->wait(options.timeout_seconds);
}

void five_items_through_a_queue(LessonContext&) {
  Queue q(2, "q");
  Process child([q]() mutable {
    for (int i = 0; i < 5; ++i) q.put(fmt::format("item {}", i));
  });
  child.start();
  for (int i = 0; i < 5; ++i) print("got {}", q.get());
  child.join();
}

std::unique_ptr<Run> start_inline(Lesson& lesson, InlineOptions options) {
  RunOptions o;
  o.lesson = &lesson;
  o.params = Params::resolve(lesson.params, options.sets);
  o.seed = 7;
  o.speed = options.speed;
  o.start_stepping = options.start_stepping;
  o.fork_in_process = true;
  o.limits = options.limits;
  return std::make_unique<Run>(std::move(o));
}

std::vector<std::string> InlineRun::lines() const {
  std::vector<PrintedLine> sorted(model().lines().begin(), model().lines().end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const PrintedLine& a, const PrintedLine& b) { return a.t_ns < b.t_ns; });
  std::vector<std::string> out;
  for (const PrintedLine& l : sorted)
    if (!l.error) out.emplace_back(l.text);
  return out;
}

std::vector<std::string> InlineRun::errors() const {
  std::vector<std::string> out;
  for (const PrintedLine& l : model().lines())
    if (l.error) out.emplace_back(l.text);
  return out;
}

const ProcessInfo& InlineRun::process(std::string_view name) const {
  for (const ProcessInfo& p : model().processes())
    if (p.name == name) return p;
  throw std::runtime_error(fmt::format("no process named {}", name));
}

void step_process(Run& run, const std::string& name, double timeout) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    run.poll();
    for (const HeldProcess& h : run.held())
      if (h.name == name && h.grantable()) {
        run.step(h.pid, timeout);
        return;
      }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  throw std::runtime_error(fmt::format("{} did not wait for a step within {} s", name, timeout));
}

RunFingerprint fingerprint(const TraceModel& m) {
  RunFingerprint f;
  std::vector<TraceEvent> events(m.events().begin(), m.events().end());
  std::stable_sort(events.begin(), events.end(), [](const TraceEvent& a, const TraceEvent& b) { return a.time < b.time; });
  for (const TraceEvent& e : events) {
    // Reaping follows the kernel, a ready span the CPU's other users: neither is something the lesson did.
    if (e.pid == kViewerPid || e.kind == EventKind::ProcessReaped || e.kind == EventKind::Preempted) continue;
    const ProcessInfo* p = m.process(e.pid);
    const ObjectInfo* o = e.object != 0 ? m.object(e.object) : nullptr;
    f.operations[p ? p->name : "?"].push_back(
        fmt::format("{} {}{}{}", to_string(e.kind), static_cast<int>(e.phase), o ? " " : "", o ? o->name : ""));
  }
  for (const ObjectInfo& o : m.objects())
    for (const Sample& s : o.samples) f.counters[o.name].push_back(s.value);
  for (const PrintedLine& l : m.lines()) {
    const ProcessInfo* p = m.process(l.pid);
    f.lines.push_back(fmt::format("{}: {}", p ? p->name : "?", l.text));
  }
  for (const ProcessInfo& p : m.processes())
    if (p.exitcode) f.exitcodes[p.name] = *p.exitcode;
  f.result = m.result();
  return f;
}

void PrintTo(const RunFingerprint& f, std::ostream* out) {
  for (const auto& [name, ops] : f.operations) *out << fmt::format("\n  {}: {}", name, fmt::join(ops, ", "));
  for (const auto& [name, values] : f.counters) *out << fmt::format("\n  {} = {}", name, fmt::join(values, " "));
  *out << fmt::format("\n  lines: {}\n  exit codes: {}\n  result: {}", fmt::join(f.lines, " | "),
                      fmt::join(f.exitcodes, ", "), f.result.dump());
}

std::unique_ptr<Run> run_lesson(const std::string& id, std::vector<std::string> sets, double speed, double timeout) {
  const Lesson* lesson = scenarios::find(id);
  if (lesson == nullptr) throw std::runtime_error("unknown lesson " + id);
  RunOptions o;
  o.lesson = lesson;
  o.params = Params::resolve(lesson->params, sets);
  o.seed = 11;
  o.speed = speed;
  auto run = std::make_unique<Run>(std::move(o));
  run->wait(timeout);
  return run;
}

CommandResult run_cli(const std::vector<std::string>& args, const std::string& input, double timeout) {
  std::vector<std::string> argv = {FORKSCOPE_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, input, timeout);
}

CommandResult run_command(const std::vector<std::string>& command, const std::string& input, double timeout) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<std::string> storage = command;
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, storage[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) throw std::runtime_error("cannot start " + storage[0]);
  if (!input.empty()) (void)!write(in_pipe[1], input.data(), input.size());
  close(in_pipe[1]);

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);  // the CLI's own cleanup cannot run; its lesson processes die with it (parent-death signal)
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buffer[4096];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  result.pid = pid;
  return result;
}

int wait_child(pid_t pid, double timeout_seconds) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) throw std::runtime_error("pidfd_open failed");
  pollfd ended{pidfd, POLLIN, 0};
  const bool in_time = poll(&ended, 1, static_cast<int>(timeout_seconds * 1000)) == 1;
  close(pidfd);
  if (!in_time) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);  // it has ended, or was just killed
  return in_time ? status : -1;
}

void expect_one_line_error(const CommandResult& r, int exit_code, const std::string& message) {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;  // one clear line
  EXPECT_NE(r.err.find(message), std::string::npos) << "wanted: " << message << "\ngot: " << r.err;
  EXPECT_TRUE(leftovers_of(r.pid).empty());
}

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "forkscope-test-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& bytes) const {
  const std::string path = file(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

std::vector<std::string> TempDir::names() const {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<pid_t> children_of_this_process() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "children");
    for (pid_t pid; in >> pid;) out.push_back(pid);
  }
  return out;
}

std::vector<std::string> leftovers_of(pid_t viewer) {
  std::vector<std::string> out;
  const std::string prefix = fmt::format("{}{}.", Session::kPrefix, viewer);
  for (const char* dir : {"/dev/shm", "/tmp"}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().filename().string().starts_with(prefix)) out.push_back(e.path().string());
  }
  return out;
}

std::set<std::string> all_forkscope_entries() {
  std::set<std::string> out;
  for (const char* dir : {"/dev/shm", "/tmp"}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().filename().string().starts_with(Session::kPrefix)) out.insert(e.path().string());
  }
  return out;
}

bool owner_alive(const std::string& entry) {
  const std::string name = std::filesystem::path(entry).filename().string().substr(Session::kPrefix.size());
  const pid_t pid = static_cast<pid_t>(std::strtol(name.c_str(), nullptr, 10));
  return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

void expect_nothing_left_behind() {
  // Runs reap every process before they return: anything still here is a leak.
  EXPECT_TRUE(children_of_this_process().empty()) << "a child process (or zombie) was left behind";
  const auto files = leftovers_of(getpid());
  EXPECT_TRUE(files.empty()) << "left behind: " << (files.empty() ? "" : files.front());
}

}  // namespace forkscope::testing
