// Process: Python's names, exit codes, errors, join with a timeout, terminate and kill, daemons, the exit rules.
#include <csignal>

#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::InlineRun;

class ProcessTest : public CleanTest {};

TEST_F(ProcessTest, NamesFollowPython) {
  InlineRun run([](LessonContext&) {
    Process a([] {
      Process nested([] { print("{}", current_process_name()); });
      nested.start();
      nested.join();
    });
    Process b([] { print("{}", current_process_name()); });
    Process named([] {}, {.name = "worker", .daemon = false});
    a.start();
    b.start();
    named.start();
    a.join();
    b.join();
    named.join();
    print("{} {} {}", a.name(), b.name(), named.name());
  });
  auto lines = run.lines();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"Process-1 Process-2 worker", "Process-1:1", "Process-2"}));
  EXPECT_NO_THROW((void)run.process("MainProcess"));
  EXPECT_NO_THROW((void)run.process("Process-1:1"));
}

TEST_F(ProcessTest, ExitCodesFollowPython) {
  InlineRun run([](LessonContext& lesson) {
    Process ok([] {});
    Process raises([] { throw ValueError("boom"); });
    Process killed([] { forkscope::sleep(60); });
    Process terminated([] { forkscope::sleep(60); });
    for (Process* p : {&ok, &raises, &killed, &terminated}) p->start();
    killed.kill();
    terminated.terminate();
    for (Process* p : {&ok, &raises, &killed, &terminated}) p->join();
    lesson.result() = {{"ok", *ok.exitcode()}, {"raises", *raises.exitcode()}, {"killed", *killed.exitcode()},
                       {"terminated", *terminated.exitcode()}};
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["ok"], 0);
  EXPECT_EQ(r["raises"], 1);
  EXPECT_EQ(r["killed"], -SIGKILL);
  EXPECT_EQ(r["terminated"], -SIGTERM);
  EXPECT_EQ(run.errors(), std::vector<std::string>{"ValueError: boom"});  // the message reaches the console
  EXPECT_EQ(run.process("Process-2").exitcode, 1);
  EXPECT_EQ(run.process("Process-3").exitcode, -SIGKILL);
  EXPECT_EQ(run.process("Process-4").state(), ProcState::Exited);
}

TEST_F(ProcessTest, StartingTwiceOrJoiningBeforeStartIsAnError) {
  InlineRun run([](LessonContext& lesson) {
    Process p([] {});
    bool join_error = false, start_error = false;
    try {
      p.join();
    } catch (const AssertionError&) {
      join_error = true;
    }
    p.start();
    try {
      p.start();
    } catch (const AssertionError&) {
      start_error = true;
    }
    p.join();
    lesson.result() = {{"join_error", join_error}, {"start_error", start_error}};
  });
  EXPECT_TRUE(run.report().result["join_error"]);
  EXPECT_TRUE(run.report().result["start_error"]);
}

TEST_F(ProcessTest, JoinWithATimeoutReturnsWhileTheChildStillRuns) {
  InlineRun run([](LessonContext& lesson) {
    Event go("go");
    Process p([go]() mutable { go.wait(); });
    p.start();
    const bool early = p.join(0.2);
    const bool alive = p.is_alive();
    go.set();
    const bool late = p.join(10);
    lesson.result() = {{"early", early}, {"alive", alive}, {"late", late}, {"alive_after", p.is_alive()}};
  });
  const auto& r = run.report().result;
  EXPECT_FALSE(r["early"]);
  EXPECT_TRUE(r["alive"]);
  EXPECT_TRUE(r["late"]);
  EXPECT_FALSE(r["alive_after"]);
  // The timed-out join shows on the timeline as a blocked span that ended.
  bool saw_blocked_join = false;
  for (const StateSpan& s : run.process("MainProcess").spans) saw_blocked_join |= s.state == ProcState::BlockedJoin;
  EXPECT_TRUE(saw_blocked_join);
}

TEST_F(ProcessTest, DaemonChildrenDieWhenTheirParentsBodyEnds) {
  InlineRun run([](LessonContext&) {
    Process d([] {
      print("daemon starts");
      forkscope::sleep(60);
      print("never printed");
    });
    d.set_daemon(true);
    d.start();
    print("主进程正在结束");
  });
  EXPECT_EQ(run.report().main_exitcode, 0);
  const auto lines = run.lines();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "never printed"), 0);
  EXPECT_EQ(run.process("Process-1").exitcode, -SIGTERM);
  EXPECT_TRUE(run.process("Process-1").daemon);
  EXPECT_LT(run.report().wall_seconds, 30);
}

TEST_F(ProcessTest, NonDaemonChildrenAreJoinedEvenWithoutAJoin) {
  InlineRun run([](LessonContext&) {
    Process p([] {
      forkscope::sleep(0.2);
      print("child done");
    });
    p.start();
    print("main done");
  });
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"main done", "child done"}));
  EXPECT_EQ(run.process("Process-1").exitcode, 0);
}

class Named : public Process {
 public:
  explicit Named(std::string who) { set_name(std::move(who)); }

 protected:
  void run() override { print("{} is running in {}", name(), current_process_name()); }
};

TEST_F(ProcessTest, ASubclassOverridingRunSeesItsOwnName) {
  InlineRun run([](LessonContext&) {
    Named p("egon");
    p.start();
    p.join();
  });
  EXPECT_EQ(run.lines(), std::vector<std::string>{"egon is running in egon"});
}

TEST_F(ProcessTest, TheTimelineKnowsParentsAndPids) {
  InlineRun run([](LessonContext& lesson) {
    Process p([] { print("{} {}", current_pid(), parent_pid()); });
    p.start();
    p.join();
    lesson.result() = {{"main", current_pid()}, {"child", p.pid()}};
  });
  const auto& r = run.report().result;
  const ProcessInfo& child = run.process("Process-1");
  EXPECT_EQ(child.pid, r["child"]);
  EXPECT_EQ(child.ppid, r["main"]);
  EXPECT_EQ(run.lines(), std::vector<std::string>{fmt::format("{} {}", child.pid, child.ppid)});
}

TEST_F(ProcessTest, ForkingPastTheRunsLimitIsAClearError) {
  InlineRun run(
      [](LessonContext& lesson) {
        std::vector<Process> many;
        std::string error;
        try {
          for (int i = 0; i < 8; ++i) {
            many.emplace_back([] {});
            many.back().start();
          }
        } catch (const RuntimeError& e) {
          error = e.what();
        }
        for (auto& p : many)
          if (p.pid()) p.join();
        lesson.result() = {{"error", error}};
      },
      {.limits = {4, 1024}});
  EXPECT_EQ(run.report().result["error"],
            "a run can have at most 4 processes (SessionLimits::max_processes; a viewer raises it with RunOptions::limits)");
}

// ---- Python's API and rules that Forkscope lacked (issue 9) ---------------------------------------------------------

TEST_F(ProcessTest, ADaemonicProcessMayNotStartChildren) {
  InlineRun run([](LessonContext&) {
    Process daemon([] {
      Process child([] { print("child ran"); });
      try {
        child.start();
      } catch (const AssertionError& e) {
        print("AssertionError: {}", e.what());
      }
    }, {.daemon = true});
    daemon.start();
    daemon.join(30);
  });
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"AssertionError: daemonic processes are not allowed to have children"}));
}

TEST_F(ProcessTest, CloseRefusesARunningProcessAndAClosedOneRefusesMostCalls) {
  InlineRun run([](LessonContext& lesson) {
    Event go("go");
    Process p([=]() mutable { go.wait(30); });
    p.start();
    auto& r = lesson.result();
    const auto error_of = [](auto&& call) -> std::string {
      try {
        call();
      } catch (const ValueError& e) {
        return e.what();
      }
      return "";
    };
    r["running"] = error_of([&] { p.close(); });
    go.set();
    p.join(30);
    r["closed"] = error_of([&] { p.close(); });
    r["join"] = error_of([&] { p.join(); });
    r["is_alive"] = error_of([&] { (void)p.is_alive(); });
    r["exitcode"] = error_of([&] { (void)p.exitcode(); });
    r["pid"] = error_of([&] { (void)p.pid(); });
    r["start"] = error_of([&] { p.start(); });
    r["terminate"] = error_of([&] { p.terminate(); });
    r["name"] = p.name();
    Process never([] {});
    r["unstarted"] = error_of([&] { never.close(); });
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["running"],
            "Cannot close a process while it is still running. You should first call join() or terminate().");
  EXPECT_EQ(r["closed"], "");
  for (const char* call : {"join", "is_alive", "exitcode", "pid", "start", "terminate"})
    EXPECT_EQ(r[call], "process object is closed") << call;
  EXPECT_EQ(r["name"], "Process-1");
  EXPECT_EQ(r["unstarted"], "");
}

TEST_F(ProcessTest, ParentProcessAndActiveChildrenFollowPython) {
  InlineRun run([](LessonContext& lesson) {
    Event go("go");
    Process quick([] {});
    Process waits([=]() mutable {
      const std::optional<ProcessIdentity> parent = parent_process();
      print("parent of {}: {} {}", current_process_name(), parent ? parent->name : "None", parent ? parent->pid : 0);
      Process grandchild([] {
        const std::optional<ProcessIdentity> grandparent_side = parent_process();
        print("parent of {}: {}", current_process_name(), grandparent_side ? grandparent_side->name : "None");
      });
      grandchild.start();
      grandchild.join(30);
      go.wait(30);
    });
    quick.start();
    waits.start();
    quick.join(30);
    std::vector<std::string> active;
    for (const ProcessIdentity& child : active_children()) active.push_back(child.name);
    lesson.result()["active"] = active;
    lesson.result()["waits_pid"] = waits.pid();
    lesson.result()["main_parent"] = parent_process().has_value();
    go.set();
    waits.join(30);
    lesson.result()["after"] = active_children().size();
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["active"], (nlohmann::json{"Process-2"}));  // Process-1 ended: not active
  EXPECT_EQ(r["main_parent"], false);                      // None in the main process
  EXPECT_EQ(r["after"], 0);
  std::vector<std::string> lines = run.lines();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{
                       fmt::format("parent of Process-2: MainProcess {}", run.process("MainProcess").pid),
                       "parent of Process-2:1: Process-2"}));
}

// sys.exit(n): the body unwinds, the process ends with n, and nothing is printed.
TEST_F(ProcessTest, ExitEndsAProcessWithItsCodeAndPrintsNothing) {
  InlineRun run([](LessonContext& lesson) {
    Process three([] {
      struct Unwound {
        ~Unwound() { print("unwound"); }
      } guard;
      try {
        forkscope::exit(3);
      } catch (const forkscope::Exception&) {
        print("an Exception handler does not catch SystemExit");
      }
      print("not reached");
    });
    Process zero([] { forkscope::exit(0); });
    three.start();
    zero.start();
    three.join(30);
    zero.join(30);
    lesson.result() = {{"three", *three.exitcode()}, {"zero", *zero.exitcode()}};
  });
  EXPECT_EQ(run.report().result["three"], 3);
  EXPECT_EQ(run.report().result["zero"], 0);
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"unwound"}));
  EXPECT_TRUE(run.errors().empty());
  EXPECT_EQ(run.process("Process-1").exitcode, 3);
}
