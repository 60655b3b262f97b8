// forkscope-cli as users and tools call it: exit codes, one-line errors, JSON, traces, stepping from stdin,
// interrupts, and nothing left behind in any case.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "test_support.hpp"

extern char** environ;

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::CommandResult;
using forkscope::testing::run_cli;

class Cli : public CleanTest {
 protected:
  // forkscope-cli running event-signal, its timeline read through a pipe until the child sleeps (the read blocks;
  // the lesson prints within milliseconds): a viewer in the middle of a run, for interrupting or killing.
  struct SleepingLesson {
    pid_t viewer = 0;
    int out = -1;      // the read end of the viewer's stdout
    int in = -1;       // the write end of its stdin
    std::string seen;  // its timeline so far
    bool reaped = false;

    // Waits for the viewer to exit; its wait status.
    int reap() {
      int status = 0;
      waitpid(viewer, &status, 0);
      reaped = true;
      return status;
    }
    ~SleepingLesson() {
      if (out >= 0) close(out);
      if (in >= 0) close(in);
      if (viewer > 0 && !reaped) {  // a failed assertion left it running
        kill(viewer, SIGKILL);
        reap();
      }
    }

    // By default event-signal, until its child sleeps; or any command line, until `marker` shows in the timeline.
    void start(std::vector<std::string> args = {"run", "event-signal", "--set", "compute_seconds=30"},
               const std::string& marker = "sleeps 30.00 s") {
      int pipe_ends[2], input_ends[2];
      ASSERT_EQ(pipe2(pipe_ends, O_CLOEXEC), 0);
      ASSERT_EQ(pipe2(input_ends, O_CLOEXEC), 0);
      out = pipe_ends[0];
      in = input_ends[1];
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], 1);
      posix_spawn_file_actions_adddup2(&actions, input_ends[0], 0);
      args.insert(args.begin(), FORKSCOPE_CLI);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      const int spawned = posix_spawn(&viewer, FORKSCOPE_CLI, &actions, nullptr, argv.data(), environ);
      posix_spawn_file_actions_destroy(&actions);
      close(pipe_ends[1]);
      close(input_ends[0]);
      ASSERT_EQ(spawned, 0);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (seen.find(marker) == std::string::npos) ASSERT_TRUE(read_more(deadline)) << seen;
    }

    void type(const std::string& line) { ASSERT_EQ(write(in, line.data(), line.size()), std::ssize(line)); }

    // Appends what the viewer printed next to `seen`; false at the end of its output or at the deadline.
    bool read_more(std::chrono::steady_clock::time_point deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd ready{out, POLLIN, 0};
      if (left.count() <= 0 || poll(&ready, 1, static_cast<int>(left.count())) <= 0) return false;
      char buffer[512];
      const ssize_t n = read(out, buffer, sizeof buffer);
      if (n <= 0) return false;
      seen.append(buffer, static_cast<std::size_t>(n));
      return true;
    }
  };

  // semaphore-guests (11 processes) as `nobody`, allowed `limit` processes in all.
  static CommandResult run_cli_as_nobody_with_process_limit(const std::string& cli, int limit) {
    return forkscope::testing::run_command({"/usr/sbin/runuser", "-u", "nobody", "--", "/usr/bin/prlimit",
                                            fmt::format("--nproc={}", limit), cli, "run", "semaphore-guests", "--speed", "50"});
  }
  static std::string temp(const std::string& name) {
    return (std::filesystem::temp_directory_path() / fmt::format("forkscope-test-{}-{}", getpid(), name)).string();
  }
  static void expect_bad_input(const CommandResult& r, const std::string& message) {
    forkscope::testing::expect_one_line_error(r, 2, message);
  }
};

TEST_F(Cli, BadInputGetsOneLineAndExitCodeTwo) {
  expect_bad_input(run_cli({"run", "no-such-lesson"}), "unknown lesson 'no-such-lesson'; the lessons are: ticket-lock");
  expect_bad_input(run_cli({"run", "ticket-lock", "--set", "price=3"}), "unknown parameter 'price'");
  expect_bad_input(run_cli({"run", "ticket-lock", "--set", "tickets=101"}), "tickets must be an integer from 0 to 100");
  expect_bad_input(run_cli({"run", "ticket-lock", "--set", "tickets=many"}), "got 'many'");
  expect_bad_input(run_cli({"run", "ticket-lock", "--set", "lock=maybe"}), "lock must be true or false");
  expect_bad_input(run_cli({"run", "ticket-lock", "--set", "tickets"}), "--set expects KEY=VALUE");
  expect_bad_input(run_cli({"run", "ticket-lock", "--speed", "0"}), "--speed must be a number from 0.01 to 1000");
  expect_bad_input(run_cli({"run", "ticket-lock", "--schedule", "/nonexistent.json"}), "cannot read the schedule file");
  expect_bad_input(run_cli({"frobnicate"}), "forkscope-cli:");
  expect_bad_input(run_cli({"run"}), "lesson is required");

  const std::string bad = temp("bad.json");
  std::ofstream(bad) << "{ not json";
  expect_bad_input(run_cli({"run", "ticket-lock", "--schedule", bad}), "is not valid JSON");
  std::ofstream(bad) << R"({"format": "forkscope-schedule-1", "lesson": "event-signal", "params": {}, "seed": 1, "steps": []})";
  expect_bad_input(run_cli({"run", "ticket-lock", "--schedule", bad}), "the schedule is for lesson 'event-signal'");
  std::filesystem::remove(bad);
}

TEST_F(Cli, ListJsonShowsEveryLessonInBothLanguages) {
  const CommandResult r = run_cli({"list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::set<std::string> ids;
  for (const auto& lesson : j["lessons"]) {
    ids.insert(lesson["id"].get<std::string>());
    EXPECT_FALSE(lesson["title"]["en"].get<std::string>().empty());
    EXPECT_FALSE(lesson["title"]["zh"].get<std::string>().empty());
    EXPECT_TRUE(lesson["params"].is_array());
  }
  for (const char* id : {"ticket-lock", "producer-consumer", "semaphore-guests", "event-signal"}) EXPECT_TRUE(ids.count(id)) << id;
  EXPECT_FALSE(ids.count("bench-queue"));
}

TEST_F(Cli, RunJsonIsOneObjectWithTheRunsFacts) {
  const std::string trace = temp("trace.json");
  const CommandResult r = run_cli({"run", "semaphore-guests", "--speed", "50", "--seed", "3", "--json", "--trace-out", trace});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["lesson"], "semaphore-guests");
  EXPECT_EQ(j["params"], (nlohmann::json{{"seats", 4}, {"guests", 10}}));
  EXPECT_EQ(j["seed"], 3);
  EXPECT_EQ(j["processes"].size(), 11u);
  for (const auto& p : j["processes"]) {
    EXPECT_EQ(p["exitcode"], 0);
    for (const char* key : {"pid", "ppid", "name", "daemon"}) EXPECT_TRUE(p.contains(key)) << key;
  }
  EXPECT_GT(j["events"].get<int>(), 0);
  EXPECT_EQ(j["lost_events"], 0);
  EXPECT_EQ(j["result"]["entered"], 10);
  EXPECT_TRUE(j["invariants_ok"]);
  EXPECT_GT(j["wall_seconds"].get<double>(), 0);

  std::ifstream in(trace);
  const auto chrome = nlohmann::json::parse(in);
  EXPECT_GT(chrome["traceEvents"].size(), 20u);
  std::filesystem::remove(trace);
}

TEST_F(Cli, TheTextTimelineShowsWhoDidWhat) {
  const CommandResult r = run_cli({"run", "event-signal", "--speed", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("MainProcess      waits for Event 'e'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Process-1        » 子进程计算结果为 100"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Process-1        set Event 'e'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok   the main process read 100"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\x1b["), std::string::npos) << "no colour when the output is not a terminal";
}

// Enter grants one step at a time; the saved schedule replays the same oversold run.
TEST_F(Cli, SteppedRunsSaveAScheduleThatReplays) {
  const std::string schedule = temp("schedule.json");
  const std::string enter(200, '\n');
  const CommandResult stepped = run_cli({"run", "ticket-lock", "--set", "lock=false", "--set", "tickets=1", "--set",
                                         "buyers=3", "--speed", "100", "--seed", "9", "--step", "--save-schedule",
                                         schedule, "--json"},
                                        enter);
  ASSERT_EQ(stepped.exit_code, 0) << stepped.err;
  const auto first = nlohmann::json::parse(stepped.out.substr(stepped.out.find('{')));
  const auto saved = nlohmann::json::parse(std::ifstream(schedule));
  EXPECT_EQ(saved["lesson"], "ticket-lock");
  EXPECT_EQ(saved["steps"].size(), first["steps"].get<std::size_t>());
  EXPECT_GT(first["result"]["oversold"].get<int>(), 0);

  for (int replay = 0; replay < 2; ++replay) {
    const CommandResult again = run_cli({"run", "ticket-lock", "--schedule", schedule, "--speed", "100", "--json"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(nlohmann::json::parse(again.out)["result"], first["result"]);
  }
  std::filesystem::remove(schedule);
}

// b goes back one step: the lesson re-runs up to the step before the last and holds there, its timeline printed again
// from the start. Twice, then c lets it run on: the saved schedule holds the four steps left.
TEST_F(Cli, BackReRunsTheLessonUpToTheStepBefore) {
  const std::string schedule = temp("back.json");
  const CommandResult r = run_cli({"run", "ticket-lock", "--set", "lock=false", "--set", "tickets=1", "--set", "buyers=2",
                                   "--speed", "100", "--seed", "9", "--step", "--save-schedule", schedule},
                                  std::string(6, '\n') + "b\nb\nc\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("back to step 5 (processes re-run: new PIDs)"), std::string::npos) << r.out;
  EXPECT_LT(r.out.find("back to step 5"), r.out.find("back to step 4 (processes re-run: new PIDs)")) << r.out;
  const auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = r.out.find(what); at != std::string::npos; at = r.out.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("what happened"), 3u) << "the timeline starts again after each Back";
  EXPECT_EQ(count("MainProcess      begins"), 3u) << r.out;
  const auto saved = nlohmann::json::parse(std::ifstream(schedule));
  // Six steps, two taken back: four. Which process Enter moves (the one waiting longest) depends on whether the main or
  // its new child reached the gate first, so only the first step, the main's start, is known.
  ASSERT_EQ(saved["steps"].size(), 4u) << r.out;
  EXPECT_EQ(saved["steps"][0], "MainProcess") << r.out;
  std::filesystem::remove(schedule);

  const CommandResult at_zero = run_cli({"run", "ticket-lock", "--speed", "100", "--step"}, "b\nc\n");
  ASSERT_EQ(at_zero.exit_code, 0) << at_zero.err;
  EXPECT_NE(at_zero.out.find("no step to go back from"), std::string::npos) << at_zero.out;
}

// The held line says what each process will do as the lesson wrote it: a mark's label, a counter's new value, a join's
// child, not "step" or "set".
TEST_F(Cli, SteppingShowsTheLessonsOwnOperations) {
  const CommandResult r = run_cli({"run", "ticket-lock", "--set", "lock=false", "--speed", "100", "--seed", "9", "--step"},
                                  std::string(300, '\n'));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const std::string shown : {": search: read info]", ": buy: read info]", ": buy: write info]", ": tickets_left = ",
                                  ": sold += 1]", "MainProcess: join user-0"})
    EXPECT_NE(r.out.find(shown), std::string::npos) << shown << "\n" << r.out;
  EXPECT_EQ(r.out.find(": step]"), std::string::npos) << r.out;
}

// A run that showed the lesson's point says it in one line after the invariants; the invariant the race breaks reads
// "broke", not FAIL, and the run is no failure (exit code 0).
TEST_F(Cli, TheTicketRaceSaysItHappened) {
  const CommandResult r = run_cli({"run", "ticket-lock", "--set", "lock=false", "--set", "tickets=1", "--set", "buyers=3",
                                   "--speed", "100", "--seed", "9", "--step"},
                                  std::string(300, '\n'));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Two or three buyers see the last ticket, depending on who reaches the gate first.
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\n  broke without the lock: nothing oversold \\([12] oversold\\)\n"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nRACE: [23] sold, 1 tickets\n"))) << r.out;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

// q is the user's choice: "stopped", exit code 130, nothing left behind; not a failed lesson.
TEST_F(Cli, QWhileSteppingStopsTheRun) {
  const CommandResult r = run_cli({"run", "ticket-lock", "--set", "lock=false", "--step"}, "\n\nq\n");
  EXPECT_EQ(r.exit_code, 130) << r.err;
  forkscope::testing::expect_one_line_error(r, 130, "stopped (q); every lesson process was stopped");
  EXPECT_EQ(r.err.find("failed"), std::string::npos) << r.err;
}

// After c the lesson runs freely, and q still stops it (it is not left for the shell).
TEST_F(Cli, QAfterContinueStillStopsTheRun) {
  SleepingLesson lesson;
  ASSERT_NO_FATAL_FAILURE(lesson.start({"run", "event-signal", "--set", "compute_seconds=30", "--step"}, "held:"));
  ASSERT_NO_FATAL_FAILURE(lesson.type("c\n"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (lesson.seen.find("sleeps 30.00 s") == std::string::npos) ASSERT_TRUE(lesson.read_more(deadline)) << lesson.seen;
  ASSERT_NO_FATAL_FAILURE(lesson.type("q\n"));
  while (lesson.read_more(deadline)) {
  }
  ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "q after c did not stop the run";
  const int status = lesson.reap();
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_TRUE(forkscope::testing::leftovers_of(lesson.viewer).empty());
}

TEST_F(Cli, ExploreBadInputGetsOneLineAndExitCodeTwo) {
  expect_bad_input(run_cli({"explore", "no-such-lesson"}), "unknown lesson 'no-such-lesson'; the lessons are: ticket-lock");
  expect_bad_input(run_cli({"explore", "ticket-lock", "--budget", "0"}), "--budget must be an integer from 1 to 100000, got '0'");
  expect_bad_input(run_cli({"explore", "ticket-lock", "--budget", "100001"}), "--budget must be an integer from 1 to 100000");
  expect_bad_input(run_cli({"explore", "ticket-lock", "--budget", "many"}), "--budget must be an integer from 1 to 100000, got 'many'");
  expect_bad_input(run_cli({"explore", "ticket-lock", "--depth", "21"}), "--depth must be an integer from 1 to 20");
  expect_bad_input(run_cli({"explore", "ticket-lock", "--set", "lock=maybe"}), "lock must be true or false");
  expect_bad_input(run_cli({"explore", "ticket-lock", "--seed", "-3"}), "--seed");
  expect_bad_input(run_cli({"explore", "ticket-lock", "--save-schedule", ""}), "--save-schedule");
  expect_bad_input(run_cli({"explore"}), "lesson is required");
}

// Exit code 1: it found a schedule that breaks the lesson; replayed, it oversells the same.
TEST_F(Cli, ExploreFindsTheTicketRaceAndSavesASchedule) {
  const std::string schedule = temp("found.json");
  const CommandResult r = run_cli({"explore", "ticket-lock", "--set", "lock=false", "--seed", "3", "--json",
                                   "--save-schedule", schedule});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["lesson"], "ticket-lock");
  EXPECT_EQ(j["params"]["lock"], false);
  EXPECT_TRUE(j["found"]);
  EXPECT_LE(j["tried"].get<int>(), 200);
  EXPECT_EQ(j["schedule"]["steps"].size(), j["steps"].get<std::size_t>());
  const auto oversold = j["result"]["oversold"].get<int>();
  EXPECT_GT(oversold, 0);
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(schedule)), j["schedule"]);
  const CommandResult again = run_cli({"run", "ticket-lock", "--schedule", schedule, "--speed", "100", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["result"]["oversold"], oversold);
  std::filesystem::remove(schedule);
}

TEST_F(Cli, ExploreWithTheLockFindsNothing) {
  const CommandResult r = run_cli({"explore", "ticket-lock", "--budget", "10", "--seed", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("one process at a time: result"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tried 10 schedules; none broke ticket-lock"), std::string::npos) << r.out;
}

// The deadlock found is a schedule too: replayed, the run ends stuck (exit code 3) with the cycle, in JSON and on stderr.
TEST_F(Cli, ExploreFindsTheDeadlockAndItsReplayIsEndedWithTheCycle) {
  const std::string schedule = temp("deadlock.json");
  const CommandResult r = run_cli({"explore", "dining-philosophers", "--set", "philosophers=3", "--seed", "2", "--json",
                                   "--save-schedule", schedule});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["deadlock"].is_object()) << r.out;
  EXPECT_EQ(j["deadlock"]["cycle"].size(), 3u);
  const CommandResult again = run_cli({"run", "dining-philosophers", "--schedule", schedule, "--speed", "100", "--json"});
  EXPECT_EQ(again.exit_code, 3) << again.err;
  const auto replayed = nlohmann::json::parse(again.out);
  EXPECT_EQ(replayed["deadlock"]["text"], j["deadlock"]["text"]);
  EXPECT_EQ(replayed["stuck"], j["deadlock"]["text"]);
  EXPECT_NE(again.err.find("was stuck: deadlock: philosopher-1 waits to acquire Lock 'fork 1' held by philosopher-2"),
            std::string::npos) << again.err;
  std::filesystem::remove(schedule);
}

// Ctrl-C: the CLI stops every lesson process, removes the segment and the run directory, and exits 130.
TEST_F(Cli, AnInterruptStopsEverythingAndLeavesNothing) {
  SleepingLesson lesson;
  ASSERT_NO_FATAL_FAILURE(lesson.start());
  const pid_t pid = lesson.viewer;
  kill(pid, SIGINT);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (lesson.read_more(deadline)) {
  }
  ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the CLI did not stop after Ctrl-C";  // then killed
  const int status = lesson.reap();
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_TRUE(forkscope::testing::leftovers_of(pid).empty());
  // The lesson's processes were the CLI's; they are gone with it (no orphan was reparented to us).
  EXPECT_TRUE(forkscope::testing::children_of_this_process().empty());
}

// fork() refused by the system (a small process limit, as an unprivileged user): one line, exit code 2, and every
// process and file of the run gone.
TEST_F(Cli, ARefusedForkIsABadInputAndLeavesNothing) {
  if (getuid() != 0 || std::system("command -v runuser >/dev/null") != 0) GTEST_SKIP() << "needs root and runuser";
  const std::string cli = FORKSCOPE_CLI;
  if (std::system(("runuser -u nobody -- test -x " + cli).c_str()) != 0) GTEST_SKIP() << "nobody cannot run " << cli;
  const auto before = forkscope::testing::all_forkscope_entries();
  const CommandResult r = run_cli_as_nobody_with_process_limit(cli, 8);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("fork for Process-"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(EAGAIN); this user may run 8 processes (ulimit -u)"), std::string::npos) << r.err;
  for (const std::string& entry : forkscope::testing::all_forkscope_entries()) {
    if (!before.count(entry)) {
      EXPECT_TRUE(forkscope::testing::owner_alive(entry)) << "left behind: " << entry;
    }
  }
}

// The PIDs a text timeline shows ("  0.002s     3733  MainProcess ..."), in order of appearance.
std::vector<pid_t> pids_in_timeline(const std::string& seen) {
  std::vector<pid_t> pids;
  std::istringstream lines(seen);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string time, name;
    pid_t pid = 0;
    if (fields >> time >> pid >> name && time.ends_with("s") && pid > 0 &&
        std::find(pids.begin(), pids.end(), pid) == pids.end())
      pids.push_back(pid);
  }
  return pids;
}

// Each process is gone (or a zombie of init's) within a deadline.
void expect_all_gone(const std::vector<pid_t>& pids) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (pid_t pid : pids) {
    bool gone = false;
    while (!gone && std::chrono::steady_clock::now() < deadline) {
      std::ifstream stat(fmt::format("/proc/{}/stat", pid));
      std::string text;
      std::getline(stat, text);
      gone = text.empty() || text.find(") Z") != std::string::npos;
    }
    EXPECT_TRUE(gone) << "process " << pid << " outlived its viewer";
  }
}

// A viewer killed outright (no cleanup runs): its lesson processes die with it (parent-death signal), and the next
// viewer sweeps the segment and run directory it left.
TEST_F(Cli, WhenTheViewerIsKilledItsLessonDiesAndTheNextRunSweepsItsFiles) {
  SleepingLesson lesson;
  ASSERT_NO_FATAL_FAILURE(lesson.start());
  const pid_t viewer = lesson.viewer;
  const std::vector<pid_t> lesson_pids = pids_in_timeline(lesson.seen);
  ASSERT_EQ(lesson_pids.size(), 2u) << lesson.seen;
  EXPECT_FALSE(forkscope::testing::leftovers_of(viewer).empty());

  kill(viewer, SIGKILL);
  lesson.reap();
  expect_all_gone(lesson_pids);
  // The next viewer sweeps what the dead one left.
  ASSERT_EQ(run_cli({"run", "event-signal", "--speed", "50", "--json"}).exit_code, 0);
  EXPECT_TRUE(forkscope::testing::leftovers_of(viewer).empty());
}

// A Python program's processes outlive their parents (as in CPython), yet not the viewer: the main takes the whole
// program down when the viewer dies.
TEST_F(Cli, WhenTheViewerOfAPythonProgramIsKilledNoProcessOfTheProgramIsLeft) {
  if (!FORKSCOPE_HAS_PYTHON) GTEST_SKIP() << "this build has no Python front end (FORKSCOPE_BUILD_PYTHON=OFF)";
  forkscope::testing::TempDir dir;
  const std::string file = dir.write("family.py", R"(
import multiprocessing as mp, time
def grandchild(): print('all started'); time.sleep(30)
def child():
    g = mp.Process(target=grandchild); g.start(); g.join()
if __name__ == '__main__':
    c = mp.Process(target=child); c.start(); c.join()
)");
  SleepingLesson program;
  ASSERT_NO_FATAL_FAILURE(program.start({"run", file}, "sleeps 30.00 s"));
  const std::vector<pid_t> pids = pids_in_timeline(program.seen);
  ASSERT_EQ(pids.size(), 3u) << program.seen;
  kill(program.viewer, SIGKILL);
  program.reap();
  expect_all_gone(pids);
  ASSERT_EQ(run_cli({"run", "event-signal", "--speed", "50", "--json"}).exit_code, 0);  // sweeps the dead viewer's files
  EXPECT_TRUE(forkscope::testing::leftovers_of(program.viewer).empty());
}

// Every --json output names its schema and follows it: docs/schema/<name>.schema.json, checked with the jsonschema
// library (python3-jsonschema), a lesson run, a race, a Python program, the list, explore and bench.
TEST_F(Cli, JsonOutputsFollowTheirDocumentedSchemas) {
  const forkscope::testing::TempDir work;
  const std::string program = work.write("child.py", "import multiprocessing as mp\n"
                                                     "if __name__ == '__main__':\n"
                                                     "    p = mp.Process(target=print, args=('hi',)); p.start(); p.join()\n");
  const std::vector<std::pair<std::string, std::vector<std::string>>> outputs{
      {"list", {"list", "--json"}},
      {"run", {"run", "ticket-lock", "--speed", "50", "--json"}},
      {"run", {"run", "ticket-lock", "--set", "lock=false", "--speed", "50", "--json"}},
      {"run", {"run", "dining-philosophers", "--speed", "50", "--json"}},
      {"explore", {"explore", "ticket-lock", "--set", "lock=false", "--budget", "10", "--json"}},
      {"bench", {"bench", "--only", "trace", "--repeats", "1", "--json"}},
      {"bench-scale", {"bench", "--scale", "--only", "ingest", "--repeats", "1", "--json"}}};
  std::vector<std::pair<std::string, std::string>> checks;  // schema file, output file
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const CommandResult r = run_cli(outputs[i].second);
    EXPECT_NE(r.out.find(fmt::format("\"schema\": \"forkscope.{}/1\"", outputs[i].first)), std::string::npos) << r.out;
    checks.emplace_back(outputs[i].first, work.write(fmt::format("{}.json", i), r.out));
  }
#if FORKSCOPE_HAS_PYTHON
  checks.emplace_back("run", work.write("program.json", run_cli({"run", program, "--json"}).out));
#endif
  std::string script = "import json, jsonschema\n";
  for (const auto& [schema, file] : checks)
    script += fmt::format("jsonschema.validate(json.load(open('{}')), json.load(open('{}/docs/schema/{}.schema.json')))\n",
                          file, FORKSCOPE_SOURCE_DIR, schema);
  const CommandResult v = forkscope::testing::run_command({"/usr/bin/python3.11", "-c", script});
  EXPECT_EQ(v.exit_code, 0) << v.err;
}
