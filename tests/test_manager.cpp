// Manager across real processes: a server process named like Python's, dict proxies whose every call is a request,
// errors raised back in the caller, lost updates forced by stepping, shutdown, a killed server, and the lesson.
#include <signal.h>

#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::test_lesson;
using forkscope::testing::InlineRun;
using forkscope::testing::run_lesson;

class ManagerTest : public CleanTest {};

namespace {
// The labels of the requests the server served, in its order.
std::vector<std::string> served(const TraceModel& model, const ProcessInfo& server) {
  std::vector<std::string> labels;
  for (const std::uint32_t index : server.events) {
    const TraceEvent& e = model.events()[index];
    if (e.kind == EventKind::ManagerServe && e.phase == Phase::Done) labels.emplace_back(model.text(arg_string(e.arg)));
  }
  return labels;
}
}  // namespace

TEST_F(ManagerTest, TheServerIsAProcessNamedLikePythonsAndItsNumberIsTaken) {
  Lesson names = test_lesson("manager-name", [](LessonContext& lesson) {
    Manager manager;
    Process worker([] {});
    lesson.result() = {{"manager", manager.name()}, {"worker", worker.name()}, {"pid", manager.pid()}};
  });
  // Stepped until the server has taken its first step: with no request to serve, it then waits for one.
  auto stepped = forkscope::testing::start_inline(names, {.start_stepping = true});
  forkscope::testing::step_process(*stepped, "MainProcess");  // Manager(): starts the server
  forkscope::testing::step_process(*stepped, "SyncManager-1");
  const auto waiting = [&] {
    return std::ranges::any_of(stepped->model().events(), [](const TraceEvent& e) {
      return e.kind == EventKind::ManagerServe && e.phase == Phase::Want;
    });
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!waiting() && std::chrono::steady_clock::now() < deadline) stepped->poll();
  stepped->set_mode(GateMode::Run);
  const RunReport& report = stepped->wait(30);
  const TraceModel& model = stepped->model();

  EXPECT_EQ(report.result["manager"], "SyncManager-1");
  EXPECT_EQ(report.result["worker"], "Process-2");  // the server took identity 1, as in Python
  const ProcessInfo* server = nullptr;
  for (const ProcessInfo& p : model.processes())
    if (p.name == "SyncManager-1") server = &p;
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->pid, report.result["pid"].get<std::int32_t>());
  EXPECT_EQ(server->ppid, stepped->main_pid());
  EXPECT_EQ(server->exitcode, 0);
  EXPECT_EQ(served(model, *server), (std::vector<std::string>{"shutdown()"}));  // asked when the Manager went away
  const ObjectInfo* manager = model.object_named("SyncManager-1");
  EXPECT_EQ(manager->kind, ObjectKind::Manager);
  // Between requests the server's lane shows it blocked, waiting for one.
  EXPECT_TRUE(std::any_of(server->spans.begin(), server->spans.end(), [&](const StateSpan& s) {
    return s.state == ProcState::BlockedOther && s.object == manager->id;
  }));
  const auto waits = std::find_if(model.events().begin(), model.events().end(), [](const TraceEvent& e) {
    return e.kind == EventKind::ManagerServe && e.phase == Phase::Want;
  });
  ASSERT_NE(waits, model.events().end());
  EXPECT_EQ(model.describe(*waits), "Manager 'SyncManager-1' waits for a request");
}

TEST_F(ManagerTest, EveryProxyCallIsARequestToTheServer) {
  InlineRun run([](LessonContext& lesson) {
    Manager manager;
    DictProxy d = manager.dict({{"count", 100}, {"name", "x"}}, "d");
    const Value first = d["count"];
    d["count"] = 5;
    d["count"] -= 1;
    d["ratio"] = 0.5;
    d["ratio"] += 1;
    std::string missing;
    try {
      (void)Value(d["missing"]);
    } catch (const KeyError& e) {
      missing = fmt::format("{}: {}", e.python_name(), e.what());
    }
    lesson.result() = {{"first", first.as_int()},        {"count", Value(d["count"]).as_int()},
                       {"ratio", Value(d["ratio"]).as_float()}, {"get", d.get("nope", -1).as_int()},
                       {"len", d.len()},                  {"has_name", d.contains("name")},
                       {"has_nope", d.contains("nope")},  {"keys", d.keys()},
                       {"str", d.str()},                  {"missing", missing}};
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["first"], 100);
  EXPECT_EQ(r["count"], 4);
  EXPECT_EQ(r["ratio"], 1.5);
  EXPECT_EQ(r["get"], -1);
  EXPECT_EQ(r["len"], 3);
  EXPECT_TRUE(r["has_name"]);
  EXPECT_FALSE(r["has_nope"]);
  EXPECT_EQ(r["keys"], (nlohmann::json{"count", "name", "ratio"}));
  EXPECT_EQ(r["str"], "{'count': 4, 'name': 'x', 'ratio': 1.5}");
  EXPECT_EQ(r["missing"], "KeyError: 'missing'");
  // The server's log: -= and += are a get and a set each.
  const std::vector<std::string> expected = {
      "dict({'count': 100, 'name': 'x'})", "d['count']", "d['count'] = 5", "d['count']", "d['count'] = 4",
      "d['ratio'] = 0.5", "d['ratio']", "d['ratio'] = 1.5", "d['missing']", "d['count']", "d['ratio']",
      "d.get('nope', -1)", "len(d)", "'name' in d", "'nope' in d", "d.keys()", "str(d)", "shutdown()"};
  EXPECT_EQ(served(run.model(), run.process("SyncManager-1")), expected);
  // Each call made the main process wait for the manager: a Want and a Done per request.
  int calls = 0, replies = 0;
  for (const TraceEvent& e : run.model().events())
    if (e.kind == EventKind::ManagerCall && e.pid == run.run().main_pid()) (e.phase == Phase::Want ? calls : replies) += 1;
  EXPECT_EQ(calls, static_cast<int>(expected.size()));
  EXPECT_EQ(replies, calls);
  const auto& main_spans = run.model().process(run.run().main_pid())->spans;
  EXPECT_TRUE(std::any_of(main_spans.begin(), main_spans.end(),
                          [](const StateSpan& s) { return s.state == ProcState::BlockedManager; }));
}

TEST_F(ManagerTest, ChildrenShareTheDictThroughTheServer) {
  InlineRun run([](LessonContext& lesson) {
    Manager manager;
    DictProxy d = manager.dict({{"count", 10}}, "d");
    Lock lock("lock");
    std::vector<Process> workers;
    for (int i = 0; i < 10; ++i) workers.emplace_back([=]() mutable {
        std::lock_guard with(lock);
        d["count"] -= 1;
      });
    for (auto& p : workers) p.start();
    for (auto& p : workers) p.join();
    lesson.result() = {{"count", Value(d["count"]).as_int()}};
  });
  EXPECT_EQ(run.report().result["count"], 0);
  // Every worker was served under its own pid.
  std::set<std::int64_t> callers;
  for (const TraceEvent& e : run.model().events())
    if (e.kind == EventKind::ManagerServe && e.phase == Phase::Done) callers.insert(e.value);
  EXPECT_EQ(callers.size(), 11u);  // ten workers and the main process
}

// Stepping forces the race: both workers read 2 before either writes, so one decrement is lost.
TEST_F(ManagerTest, SteppingBothReadsBeforeEitherWriteLosesAnUpdate) {
  Lesson lesson = test_lesson("stepped-manager", [](LessonContext& context) {
    Manager manager;
    DictProxy d = manager.dict({{"count", 2}}, "d");
    Process a([=]() mutable { d["count"] -= 1; });
    Process b([=]() mutable { d["count"] -= 1; });
    a.start();
    b.start();
    a.join();
    b.join();
    context.result() = {{"count", Value(d["count"]).as_int()}};
  });
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  const auto step = [&](const std::string& name) { forkscope::testing::step_process(*run, name); };
  step("MainProcess");    // start the manager's server
  step("MainProcess");    // ask for the dict
  step("SyncManager-1");  // serve it
  step("MainProcess");    // start Process-2
  step("MainProcess");    // start Process-3
  step("Process-2");      // get: 2
  step("SyncManager-1");
  step("Process-3");  // get: 2
  step("SyncManager-1");
  step("Process-2");  // set: 1
  step("SyncManager-1");
  step("Process-3");  // set: 1, the lost update
  step("SyncManager-1");
  run->set_mode(GateMode::Run);
  run->wait(30);
  EXPECT_EQ(run->report().result["count"], 1);
  const auto labels = served(run->model(), *std::find_if(run->model().processes().begin(), run->model().processes().end(),
                                                          [](const ProcessInfo& p) { return p.name == "SyncManager-1"; }));
  ASSERT_GE(labels.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(labels.begin() + 1, labels.begin() + 5),
            (std::vector<std::string>{"d['count']", "d['count']", "d['count'] = 1", "d['count'] = 1"}));
}

TEST_F(ManagerTest, ShutdownEndsTheServerAndLaterCallsFail) {
  InlineRun run([](LessonContext& lesson) {
    Manager manager;
    DictProxy d = manager.dict({{"count", 1}}, "d");
    manager.shutdown();
    manager.shutdown();  // a second call does nothing
    std::string main_error, child_error;
    try {
      d["count"] = 2;
    } catch (const OSError& e) {
      main_error = e.python_name();
    }
    Process child([=]() mutable {
      try {
        (void)Value(d["count"]);
      } catch (const OSError& e) {
        print("{}", e.python_name());
      }
    });
    child.start();
    child.join();
    lesson.result() = {{"main", main_error}};
  });
  EXPECT_EQ(run.report().result["main"], "OSError");
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"OSError"}));  // a new process cannot even connect
  EXPECT_EQ(run.process("SyncManager-1").exitcode, 0);
  EXPECT_EQ(served(run.model(), run.process("SyncManager-1")).back(), "shutdown()");
}

TEST_F(ManagerTest, AKilledServerFailsTheCallAndTheManagerStillEndsCleanly) {
  InlineRun run([](LessonContext& lesson) {
    Manager manager;
    DictProxy d = manager.dict({{"count", 1}}, "d");
    ::kill(manager.pid(), SIGKILL);
    std::string error;
    try {
      (void)Value(d["count"]);
    } catch (const LessonError& e) {
      error = e.python_name();
    }
    lesson.result() = {{"error", error}};
  });  // ~Manager: the shutdown request fails, so it reaps the dead server
  EXPECT_TRUE(run.report().result["error"] == "EOFError" || run.report().result["error"] == "OSError")
      << run.report().result["error"];
  EXPECT_EQ(run.process("SyncManager-1").exitcode, -SIGKILL);
  EXPECT_EQ(run.report().main_exitcode, 0);
}

// Without closing what it inherited, the server would keep a copy of conn1 and the reader would wait for ever.
TEST_F(ManagerTest, TheServerKeepsNoCopyOfTheLessonsPipes) {
  InlineRun run([](LessonContext&) {
    auto [conn1, conn2] = Pipe();
    Manager manager;  // forked while both ends are open
    Process reader([=]() mutable {
      conn1.close();
      print("end of file within 10 s: {}", conn2.poll(10));
    });
    reader.start();
    conn1.close();
    reader.join();
  });
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"end of file within 10 s: true"}));
}

TEST_F(ManagerTest, TheLessonWithTheLockEndsAtZero) {
  auto run = run_lesson("manager-dict", {}, 50);
  const auto& r = run->report();
  EXPECT_TRUE(r.invariants_ok());
  EXPECT_EQ(r.result["count"], 0);
  EXPECT_EQ(r.result["interleaved"], 0);
  EXPECT_EQ(r.lost_events, 0u);
  std::vector<std::string> lines;
  for (const PrintedLine& l : run->model().lines()) lines.push_back(l.text);
  EXPECT_EQ(lines, (std::vector<std::string>{"{'count': 0}"}));  // print(d)
}

TEST_F(ManagerTest, TheLessonWithoutTheLockKeepsItsInvariants) {
  auto run = run_lesson("manager-dict", {"lock=false", "processes=30"}, 50);
  const auto& r = run->report();
  EXPECT_TRUE(r.invariants_ok());
  EXPECT_GE(r.result["count"].get<int>(), 0);
  EXPECT_LT(r.result["count"].get<int>(), 30);
}
