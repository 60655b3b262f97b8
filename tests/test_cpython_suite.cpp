// CPython's own multiprocessing test suite (Debian's libpython3.11-testsuite: test._test_multiprocessing, fork
// flavour, the WithProcesses*, WithManager* and plain classes), unchanged, run by tests/python/cpython_multiprocessing.py
// twice at the same time: by plain /usr/bin/python3.11 and under forkscope-cli. A suite nobody here wrote is the proof
// that tracing changes no semantics: Forkscope passes exactly the tests plain CPython passes on the same machine.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

extern char** environ;

namespace forkscope::testing {
namespace {

constexpr const char* kPython = "/usr/bin/python3.11";
constexpr const char* kCpythonTests = "/usr/lib/python3.11/test/_test_multiprocessing.py";
const std::string kSuite = FORKSCOPE_SOURCE_DIR "/tests/python/cpython_multiprocessing.py";
constexpr double kDeadlineSeconds = 500;  // both runs together; ctest's own timeout for this test is 600 s

// Starts `argv` in a process group of its own (so that whatever it leaves can be found and killed), stdout and
// stderr to files, stdin from /dev/null, SIGINT at its default: the suite checks that SIGINT raises
// KeyboardInterrupt, and a job a shell started in the background inherits SIGINT ignored.
pid_t start(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<std::string> storage = argv;
  std::vector<char*> args;
  for (auto& s : storage) args.push_back(s.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, storage[0].c_str(), &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) throw std::runtime_error(fmt::format("cannot start {}: {}", storage[0], std::strerror(rc)));
  return pid;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json counts_of(const std::string& path, const std::string& log) {
  const std::string text = read_file(path);
  if (text.empty()) throw std::runtime_error(fmt::format("no counts in {}; its output:\n{}", path, read_file(log)));
  return nlohmann::json::parse(text);
}

// The processes of a group, with their command lines ("1234 python3.11 -c from multiprocessing...").
std::string members_of(pid_t group) {
  std::string out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (getpgid(pid) != group) continue;
    std::string command = read_file(e.path() / "cmdline");
    std::replace(command.begin(), command.end(), '\0', ' ');
    out += fmt::format("\n  {} {}", pid, command.substr(0, 160));
  }
  return out;
}

// What a run leaves behind: processes of its group once its main process ended (killed here, so that nothing
// outlives the test). CPython's helpers (the resource tracker, a forkserver) end on their own when they read the end
// of their pipe from the ended main: they get a few seconds.
std::string group_left_behind(pid_t group) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (kill(-group, 0) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (kill(-group, 0) != 0) return "";
  const std::string members = members_of(group);
  kill(-group, SIGKILL);
  return members.empty() ? "(gone meanwhile)" : members;
}

// CPython's names in /dev/shm: named semaphores (sem.mp-*) and shared memory blocks (psm_*).
std::set<std::string> cpython_shm_names() {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator("/dev/shm")) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("sem.mp-") || name.starts_with("psm_")) names.insert(name);
  }
  return names;
}

void print_counts(const char* who, const nlohmann::json& c) {
  std::cout << fmt::format("{}: run {}, passed {}, failed {}, errors {}, skipped {}, expected failures {}, {} s\n", who,
                           c["run"].get<int>(), c["passed"].get<int>(), c["failed"].get<int>(), c["errors"].get<int>(),
                           c["skipped"].get<int>(), c["expected_failures"].get<int>(), c["wall_seconds"].get<double>());
  for (const auto& id : c["failing_ids"]) std::cout << fmt::format("  {} failed: {}\n", who, id.get<std::string>());
}

TEST(CpythonSuite, ForkscopePassesExactlyWhatPlainCpythonPasses) {
  if (!std::filesystem::exists(kCpythonTests)) GTEST_SKIP() << "needs Debian's libpython3.11-testsuite";
  const std::set<std::string> shm_before = cpython_shm_names();
  const TempDir dir;
  const auto started = std::chrono::steady_clock::now();
  const pid_t plain = start({kPython, kSuite, dir.file("plain.json")}, dir.file("plain.out"), dir.file("plain.err"));
  const pid_t traced = start({FORKSCOPE_CLI, "run", kSuite, "--json", "--", dir.file("forkscope.json")},
                             dir.file("forkscope.out"), dir.file("forkscope.err"));
  const auto left = [&] {
    return std::max(1.0, kDeadlineSeconds - std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  const int plain_status = wait_child(plain, left());
  const int traced_status = wait_child(traced, left());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(group_left_behind(plain), "") << "plain CPython's run left processes";
  EXPECT_EQ(group_left_behind(traced), "") << "forkscope-cli's run left processes";
  ASSERT_NE(plain_status, -1) << "plain CPython's run passed the deadline";
  ASSERT_NE(traced_status, -1) << "forkscope-cli's run passed the deadline";

  const nlohmann::json p = counts_of(dir.file("plain.json"), dir.file("plain.err"));
  const nlohmann::json f = counts_of(dir.file("forkscope.json"), dir.file("forkscope.out"));
  const nlohmann::json report = nlohmann::json::parse(read_file(dir.file("forkscope.out")));
  print_counts("plain CPython", p);
  print_counts("under Forkscope", f);
  std::cout << fmt::format("under Forkscope: {} events, {} processes; both runs, side by side: {:.1f} s\n",
                           report["events"].get<std::int64_t>(), report["processes"].size(), wall);
  for (const auto& skip : f["skips"])
    std::cout << fmt::format("  skipped {}: {}\n", skip[0].get<std::string>(), skip[1].get<std::string>());

  EXPECT_GT(p["passed"].get<int>(), 250);  // the suite really ran (275 tests, 14 skipped, in 3.11.2)
  EXPECT_EQ(f["run"], p["run"]);
  EXPECT_EQ(f["passed"], p["passed"]);
  EXPECT_EQ(f["failing_ids"], p["failing_ids"]);
  EXPECT_EQ(f["skips"], p["skips"]);
  EXPECT_EQ(f["expected_failure_ids"], p["expected_failure_ids"]);
  EXPECT_EQ(report["lost_events"], 0);
  EXPECT_EQ(cpython_shm_names(), shm_before) << "a named semaphore or shared memory block was left in /dev/shm";
  EXPECT_TRUE(leftovers_of(traced).empty()) << "forkscope-cli left its session segment or run directory";
  expect_nothing_left_behind();
}

}  // namespace
}  // namespace forkscope::testing
