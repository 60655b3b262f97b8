// The scale-out lesson for real: MPI ranks under Open MPI's mpirun on two hosts (network namespaces the lesson
// makes), talking over TCP, each rank a lane under its host with its MPI calls and messages on the timeline; the
// one-host fallback without the right to make namespaces; and nothing left behind (processes, namespaces, segments)
// after a normal end, a killed rank and a killed viewer.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <algorithm>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "forkscope/mpi_job.hpp"
#include "forkscope/run.hpp"
#include "forkscope/trace_file.hpp"
#include "registry.hpp"
#include "test_support.hpp"

namespace forkscope::testing {
namespace {

using ScaleOut = CleanTest;

// A /proc file's bytes; empty when its process is gone (even in the middle of reading).
std::string read_file(const std::string& path) {
  std::string bytes;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bytes;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) bytes.append(buffer, static_cast<std::size_t>(n));
  close(fd);
  return bytes;
}

// Every process on the machine whose command line or environment names `needle` (a run's session): the MPI job's
// processes (mpirun has it on its command line, the ranks in their environment).
std::vector<pid_t> processes_naming(const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_file(e.path() / "stat");
    if (stat.find(") Z ") != std::string::npos) continue;  // a zombie: its parent's business, checked separately
    if (read_file(e.path() / "cmdline").find(needle) != std::string::npos ||
        read_file(e.path() / "environ").find(needle) != std::string::npos)
      out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

// The living processes of process group `group` (the lesson's: every process of an MPI job joins it).
std::vector<pid_t> group_members(pid_t group) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (read_file(e.path() / "stat").find(") Z ") != std::string::npos) continue;
    if (getpgid(std::stoi(name)) == group) out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

// A process as it was when seen: its pid and its start time (field 22 of /proc/PID/stat), since a pid may be given to
// another process once this one is gone (pids wrap at 32,768 here, and a test suite forks thousands a minute).
struct SeenProcess {
  pid_t pid = 0;
  std::string start;
  std::string what;  // "(comm) state ppid pgid", for a failure's message
};

std::optional<SeenProcess> seen(pid_t pid) {
  const std::string stat = read_file(fmt::format("/proc/{}/stat", pid));  // pid (comm) state ppid pgrp ... starttime
  const std::size_t open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return std::nullopt;  // gone meanwhile
  std::istringstream rest(stat.substr(close + 1));
  std::vector<std::string> fields{std::istream_iterator<std::string>(rest), std::istream_iterator<std::string>()};
  if (fields.size() < 20 || fields[0] == "Z") return std::nullopt;  // a zombie is its parent's business
  return SeenProcess{pid, fields[19], fmt::format("{} {} state {} ppid {} pgid {}", pid, stat.substr(open, close - open + 1),
                                                  fields[0], fields[1], fields[2])};
}

// Those of `processes` still alive: the same pid, started at the same time.
std::vector<SeenProcess> still_alive(const std::vector<SeenProcess>& processes) {
  std::vector<SeenProcess> alive;
  for (const SeenProcess& p : processes)
    if (const auto now = seen(p.pid); now && now->start == p.start) alive.push_back(p);
  return alive;
}

template <class Done>
bool wait_until(Done&& done, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

const ProcessInfo* named(const TraceModel& model, const std::string& name) {
  for (const ProcessInfo& p : model.processes())
    if (p.name == name) return &p;
  return nullptr;
}

RunOptions scale_out(const std::vector<std::string>& sets, bool stepping = false) {
  RunOptions o;
  o.lesson = scenarios::find("scale-out");
  o.params = Params::resolve(o.lesson->params, sets);
  o.seed = 1;
  o.start_stepping = stepping;
  return o;
}

std::unique_ptr<Run> start(const std::vector<std::string>& sets) { return std::make_unique<Run>(scale_out(sets)); }

TEST_F(ScaleOut, RanksOnTwoNamespaceHostsTalkOverTcpAndEachIsALaneUnderItsHost) {
  auto run = start({"ranks=4", "hosts=2", "work=2", "message_kb=64"});
  const std::string session = run->session_name();  // the session is gone once the run has ended
  const RunReport& report = run->wait(120);
  ASSERT_EQ(report.main_exitcode, 0) << report.result.dump();
  EXPECT_TRUE(report.invariants_ok());
  EXPECT_EQ(report.result["hosts"], 2);
  EXPECT_EQ(report.result["same_answer"], true);
  const TraceModel& model = run->model();

  // rank-R@host-H under the lane of host-H: ranks 0 and 1 on host-1, 2 and 3 on host-2 (two slots per host).
  for (int rank = 0; rank < 4; ++rank) {
    const std::string host = rank < 2 ? "host-1" : "host-2";
    const ProcessInfo* lane = named(model, fmt::format("rank-{}@{}", rank, host));
    ASSERT_NE(lane, nullptr) << "no lane for rank " << rank << " on " << host;
    const ProcessInfo* parent = model.process(lane->ppid);
    ASSERT_NE(parent, nullptr);
    EXPECT_EQ(parent->name, host);
    EXPECT_EQ(lane->exitcode, 0);
    // Each rank waited in an MPI call at least once (the barrier every rank meets first).
    EXPECT_TRUE(std::any_of(lane->spans.begin(), lane->spans.end(),
                            [](const StateSpan& s) { return s.state == ProcState::BlockedMpi; }))
        << lane->name << " never blocked in an MPI call";
  }
  // The scatter's shares and the reduce's answers: arrows on the links, between the two hosts too.
  const auto host_of = [&](std::int32_t pid) { return model.process(model.process(pid)->ppid)->name; };
  std::size_t between_hosts = 0, messages = 0;
  for (const Flow& f : model.flows())
    if (const ObjectInfo* link = model.object(f.object); link && link->kind == ObjectKind::MpiLink) {
      ASSERT_TRUE(f.complete()) << link->name << " message " << f.seq;
      ++messages;
      between_hosts += host_of(f.put_pid) != host_of(f.get_pid);
    }
  EXPECT_EQ(messages, 3u * 3u);  // scatter: 0 -> 1, 2, 3; two reduces: 1, 2, 3 -> 0
  EXPECT_EQ(between_hosts, 2u * 3u);  // rank 0 -> 2, 3; 2, 3 -> 0 twice
  EXPECT_EQ(report.result["messages_between_hosts"], 6);
  EXPECT_EQ(model.object_named("messages_between_hosts")->samples.back().value, 6);  // counted in order: it never goes back
  EXPECT_EQ(report.result["bytes_between_hosts"], 2 * 64 * 1024 + 4 * 8);
  // Bytes in flight: the scatter's three shares at once (the root counts them before it sends), never below zero,
  // none left at the end.
  const ObjectInfo* in_flight = model.object_named("bytes_in_flight");
  ASSERT_NE(in_flight, nullptr);
  EXPECT_GE(in_flight->max_value(), 3 * 64 * 1024);
  for (const auto& c : in_flight->samples) EXPECT_GE(c.value, 0);
  EXPECT_EQ(in_flight->samples.back().value, 0);
  EXPECT_TRUE(processes_naming(session).empty()) << "a process of the MPI job outlived the run";

  // The Chrome trace (Perfetto) has a track per rank, named as its lane, and the messages as flow arrows.
  const nlohmann::json chrome = chrome_trace(model);
  std::set<std::string> tracks;
  std::size_t flow_starts = 0;
  for (const auto& e : chrome["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") tracks.insert(e["args"]["name"].get<std::string>());
    flow_starts += e["ph"] == "s";
  }
  for (const char* rank : {"rank-0@host-1", "rank-1@host-1", "rank-2@host-2", "rank-3@host-2"})
    EXPECT_TRUE(std::any_of(tracks.begin(), tracks.end(), [&](const std::string& t) { return t.find(rank) != std::string::npos; }))
        << rank << " has no track in the Chrome trace";
  EXPECT_GE(flow_starts, messages);
}

TEST_F(ScaleOut, ATeacherStepsRanksLikeAnyProcessEachMpiCallWaitsAtTheGate) {
  forkscope::Run run(scale_out({"ranks=2", "hosts=2", "work=1", "message_kb=1"}, true));
  std::string moved;
  for (int step = 0; step < 1000 && !run.finished() && !moved.starts_with("rank-"); ++step) moved = run.step(0, 60);
  ASSERT_TRUE(moved.starts_with("rank-")) << "no rank was ever held at the gate";
  EXPECT_EQ(run.schedule().steps.back(), moved);
  const std::string rank_name = moved;
  run.set_mode(GateMode::Run);
  const RunReport& report = run.wait(120);
  EXPECT_EQ(report.main_exitcode, 0);
  // The rank's first MPI call (the barrier) came after the teacher's grant.
  const ProcessInfo* rank = named(run.model(), rank_name);
  ASSERT_NE(rank, nullptr);
  std::int64_t granted = -1, first_call = -1;
  for (const TraceEvent& e : run.model().events()) {
    if (e.pid != rank->pid) continue;
    if (e.kind == EventKind::GateGranted && granted < 0) granted = static_cast<std::int64_t>(e.time);
    if (e.kind == EventKind::MpiCall && first_call < 0) first_call = static_cast<std::int64_t>(e.time);
  }
  EXPECT_GE(granted, 0);
  EXPECT_GE(first_call, granted);
  EXPECT_TRUE(report.invariants_ok());
}

// A run of ranks stepped to its end replays from its schedule: the same steps granted to the same ranks, in order.
TEST_F(ScaleOut, ARunOfRanksSteppedToItsEndReplaysFromItsSchedule) {
  RunOptions o = scale_out({"ranks=2", "hosts=2", "work=1", "message_kb=1"}, true);
  Schedule recorded;
  {
    forkscope::Run run(o);
    for (int step = 0; step < 5000 && !run.finished(); ++step) (void)run.step(0, 60);
    ASSERT_TRUE(run.finished());
    ASSERT_EQ(run.wait(60).main_exitcode, 0);
    recorded = run.schedule();
  }
  ASSERT_TRUE(std::any_of(recorded.steps.begin(), recorded.steps.end(), [](const std::string& s) { return s.starts_with("rank-"); }));
  o.start_stepping = false;
  o.replay = Schedule::from_json(recorded.to_json());  // through its file form
  forkscope::Run replay(std::move(o));
  const RunReport& report = replay.wait(120);
  EXPECT_EQ(report.main_exitcode, 0);
  EXPECT_TRUE(report.invariants_ok());
  EXPECT_EQ(replay.replay_position(), recorded.steps.size());
  std::vector<std::string> granted;  // who was granted each step, in order, from the replay's trace
  for (const TraceEvent& e : replay.model().events())
    if (e.kind == EventKind::GateGranted) granted.push_back(replay.model().process(e.pid)->name);
  granted.resize(std::min(granted.size(), recorded.steps.size()));
  EXPECT_EQ(granted, recorded.steps);
}

TEST_F(ScaleOut, WithoutTheRightToMakeNamespacesTheRanksRunOnOneHostOverLoopback) {
  // Root without capabilities (an empty bounding set) may not make namespaces: the lesson says so and goes on.
  const CommandResult r = run_command({"/usr/bin/setpriv", "--bounding-set=-all", "--inh-caps=-all", FORKSCOPE_CLI, "run",
                                       "scale-out", "--set", "ranks=2", "--set", "work=1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["result"]["hosts"], 1);
  EXPECT_EQ(j["result"]["same_answer"], true);
  EXPECT_EQ(j["invariants_ok"], true);
  EXPECT_NE(j["result"]["why_one_host"].get<std::string>().find("network namespaces cannot be made here"), std::string::npos);
}

// A cluster's hostfile runs the ranks where it says, by Open MPI's own launch: here a hostfile naming this machine
// (the only one a test has). No namespace is made; the ranks are lanes under this machine's lane.
TEST_F(ScaleOut, AHostfileRunsTheRanksOnTheHostsItNames) {
  TempDir dir;
  const std::filesystem::path hostfile = dir.path() / "cluster";
  std::ofstream(hostfile) << "# the class's cluster\nlocalhost slots=3  # this machine\n";
  auto run = start({"ranks=3", "work=1", "message_kb=1", "hostfile=" + hostfile.string()});
  const RunReport& report = run->wait(120);
  ASSERT_EQ(report.main_exitcode, 0) << report.result.dump();
  EXPECT_TRUE(report.invariants_ok());
  EXPECT_EQ(report.result["hostfile"], hostfile.string());
  EXPECT_EQ(report.result["hosts"], 1);
  EXPECT_EQ(report.result["ranks_on_the_timeline"], true);
  const std::string machine = this_host_name();
  for (int rank = 0; rank < 3; ++rank) {
    const ProcessInfo* lane = named(run->model(), fmt::format("rank-{}@{}", rank, machine));
    ASSERT_NE(lane, nullptr) << "no lane for rank " << rank;
    ASSERT_NE(run->model().process(lane->ppid), nullptr);
    EXPECT_EQ(run->model().process(lane->ppid)->name, machine);
  }
  for (const ProcessInfo& p : run->model().processes()) EXPECT_FALSE(p.name.starts_with("host-") || p.name == "switch") << p.name;
}

// A hostfile that is missing or names no host is refused before anything runs: one line, exit code 2.
TEST_F(ScaleOut, ABadHostfileIsRefusedInOneLine) {
  TempDir dir;
  const std::filesystem::path empty = dir.path() / "empty";
  std::ofstream(empty) << "# no host yet\n\n";
  for (const auto& [value, says] : std::vector<std::pair<std::string, std::string>>{
           {(dir.path() / "missing").string(), "hostfile must be a readable file's path"},
           {dir.path().string(), "hostfile must be a readable file's path"},
           {empty.string(), "names no host"}}) {
    const CommandResult r = run_cli({"run", "scale-out", "--set", "hostfile=" + value});
    EXPECT_EQ(r.exit_code, 2) << value;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

// Starts the lesson with a long horizontal part and waits until every rank is in it; returns the lesson's group.
pid_t wait_for_ranks(Run& run) {
  pid_t group = 0;
  const bool ranks = wait_until([&] {
    run.poll();
    std::size_t n = 0;
    for (const ProcessInfo& p : run.model().processes()) n += p.name.starts_with("rank-");
    group = run.main_pid();
    return n == 2;
  }, 120);
  EXPECT_TRUE(ranks) << "the ranks never began";
  return group;
}

TEST_F(ScaleOut, AKilledRankEndsTheJobAndTheRunWithNothingLeft) {
  auto run = start({"ranks=2", "hosts=2", "work=40"});
  const std::string session = run->session_name();
  const pid_t group = wait_for_ranks(*run);
  if (HasFailure()) return;
  pid_t rank = 0;
  for (const ProcessInfo& p : run->model().processes())
    if (p.name == "rank-1@host-2") rank = p.pid;
  ASSERT_GT(rank, 0);
  ASSERT_EQ(kill(rank, SIGKILL), 0);
  const RunReport& report = run->wait(60);
  EXPECT_NE(report.main_exitcode, 0);  // mpirun reports the dead rank; the lesson raises
  EXPECT_TRUE(group_members(group).empty());
  EXPECT_TRUE(processes_naming(session).empty());
}

// A viewer of the scale-out lesson: a forkscope-cli of our own, so that the test can kill it.
pid_t start_viewer() {
  const pid_t viewer = fork();
  if (viewer == 0) {
    const int quiet = open("/dev/null", O_WRONLY);
    dup2(quiet, 1);
    execl(FORKSCOPE_CLI, FORKSCOPE_CLI, "run", "scale-out", "--set", "ranks=2", "--set", "work=40", static_cast<char*>(nullptr));
    _exit(127);
  }
  return viewer;
}

// The viewer's job, from its lesson main (a forkscope-lesson leading its own process group) to the ranks (forkscope-
// scale-out-rank, which name the viewer's session in their environment). A rank has joined the lesson's group once it
// is past MPI_Init; before, it is in a group Open MPI gave it.
struct ViewerJob {
  pid_t group = 0;
  std::vector<pid_t> ranks;
};
ViewerJob job_of(pid_t viewer) {
  ViewerJob job;
  for (const pid_t p : processes_naming(fmt::format("{}{}.", Session::kPrefix, viewer))) {
    const std::string comm = read_file(fmt::format("/proc/{}/comm", p));
    if (comm.starts_with("forkscope-scale")) job.ranks.push_back(p);
    if (comm.starts_with("forkscope-lesso") && getpgid(p) == p) job.group = p;
  }
  return job;
}

// Kills the viewer (then lets `stopped` run again, if any), and checks that every process of its job goes with it and
// its segment and run directory go with the next run's sweep.
void kill_the_viewer_and_expect_nothing_left(pid_t viewer, pid_t group, pid_t stopped = 0) {
  // The job as it is now, each process by pid and start time: once the viewer is gone its pid, and the group's, may
  // be another test's, whose own session and group would then carry the same names.
  std::vector<SeenProcess> job;
  for (const std::vector<pid_t>& pids : {processes_naming(fmt::format("{}{}.", Session::kPrefix, viewer)), group_members(group)})
    for (const pid_t p : pids)
      if (const auto process = seen(p)) job.push_back(*process);
  std::vector<std::pair<std::string, ino_t>> entries;  // its segment and run directory
  for (const std::string& path : leftovers_of(viewer))
    if (struct stat st {}; ::stat(path.c_str(), &st) == 0) entries.emplace_back(path, st.st_ino);
  EXPECT_FALSE(entries.empty());
  kill(viewer, SIGKILL);
  EXPECT_NE(wait_child(viewer, 30), -1);
  if (stopped != 0) kill(stopped, SIGCONT);
  EXPECT_TRUE(wait_until([&] { return still_alive(job).empty(); }, 30)) << "the job outlived its viewer:" << [&] {
    std::string survivors;
    for (const SeenProcess& p : still_alive(job)) survivors += "\n  " + p.what;
    return survivors;
  }();
  // A run made this test process a child subreaper: the job's orphans came to it, and it reaps them, as init would.
  EXPECT_TRUE(wait_until([] { return waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD; }, 30));
  // The dead viewer's segment and run directory go with the next run's sweep: make one. They are told by inode too:
  // a viewer that has the dead one's pid by now names its own the same.
  Session::sweep_dead_viewers();
  for (const auto& [path, inode] : entries) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      EXPECT_NE(st.st_ino, inode) << path << " outlived its viewer";
    }
  }
}

TEST_F(ScaleOut, AKilledViewerTakesTheWholeJobWithIt) {
  // When the viewer dies, so do the lesson, the hosts, mpirun, its daemons and ranks.
  const pid_t viewer = start_viewer();
  ASSERT_GT(viewer, 0);
  ViewerJob job;
  const bool begun = wait_until([&] {  // both ranks past MPI_Init
    job = job_of(viewer);
    return job.group != 0 && job.ranks.size() == 2 &&
           std::all_of(job.ranks.begin(), job.ranks.end(), [&](pid_t r) { return getpgid(r) == job.group; });
  }, 120);
  EXPECT_TRUE(begun) << "the MPI job never began";
  kill_the_viewer_and_expect_nothing_left(viewer, job.group);
}

// A rank still inside PMPI_Init when its run ends has neither joined the lesson's group nor asked for a parent-death
// signal yet, and its launcher may be gone: it ends anyway, because the wrapper watches the launcher from the moment
// it is loaded. The watch alone, in programs that are not MPI ones: preloaded, the wrapper ends a program when the
// process FORKSCOPE_MPI_WATCH names ends, at once when that one is gone before the program starts, and never when the
// name comes from another machine (another boot).
TEST_F(ScaleOut, TheWrapperEndsARankWithItsLauncherFromTheMomentItIsLoaded) {
  const std::string boot = read_file("/proc/sys/kernel/random/boot_id").substr(0, 36);
  const auto wrapped = [](const std::string& watch, const char* program) {
    const pid_t pid = fork();
    if (pid == 0) {
      setenv("LD_PRELOAD", mpi_wrapper_path().c_str(), 1);
      setenv("FORKSCOPE_MPI_WATCH", watch.c_str(), 1);
      execl(program, program, "60", static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid;
  };
  const pid_t launcher = fork();  // stands for the lesson main that runs mpirun
  if (launcher == 0) {
    pause();
    _exit(0);
  }
  const auto launcher_seen = seen(launcher);
  ASSERT_TRUE(launcher_seen);
  const std::string watch = fmt::format("{}:{}:{}", boot, launcher, launcher_seen->start);

  const pid_t rank = wrapped(watch, "/bin/sleep");
  ASSERT_GT(rank, 0);
  // The watcher is the program's second thread.
  ASSERT_TRUE(wait_until([&] { return std::distance(std::filesystem::directory_iterator(fmt::format("/proc/{}/task", rank)),
                                                    std::filesystem::directory_iterator{}) == 2; }, 30));
  kill(launcher, SIGKILL);
  EXPECT_NE(wait_child(launcher, 30), -1);
  const int status = wait_child(rank, 30);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

  const int late = wait_child(wrapped(watch, "/bin/true"), 30);  // its launcher is gone already
  EXPECT_TRUE(WIFSIGNALED(late) && WTERMSIG(late) == SIGKILL) << "status " << late;
  const int elsewhere = wait_child(wrapped(fmt::format("{}:{}:{}", "another-boot", launcher, launcher_seen->start), "/bin/true"), 30);
  EXPECT_TRUE(WIFEXITED(elsewhere) && WEXITSTATUS(elsewhere) == 0) << "status " << elsewhere;
}

}  // namespace
}  // namespace forkscope::testing
