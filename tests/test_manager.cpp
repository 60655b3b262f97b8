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
  for (const TraceEvent& e : model.events())
    if (e.pid == server.pid && e.kind == EventKind::ManagerServe && e.phase == Phase::Done)
      labels.emplace_back(model.text(arg_string(e.arg)));
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
                       {"has_nope", d.contains("nope")},  {"keys", forkscope::testing::reprs(d.keys())},
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
  EXPECT_EQ(r["keys"], (nlohmann::json{"'count'", "'name'", "'ratio'"}));
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
  for (const PrintedLine& l : run->model().lines()) lines.emplace_back(l.text);
  EXPECT_EQ(lines, (std::vector<std::string>{"{'count': 0}"}));  // print(d)
}

TEST_F(ManagerTest, TheLessonWithoutTheLockKeepsItsInvariants) {
  auto run = run_lesson("manager-dict", {"lock=false", "processes=30"}, 50);
  const auto& r = run->report();
  EXPECT_TRUE(r.invariants_ok());
  EXPECT_GE(r.result["count"].get<int>(), 0);
  EXPECT_LT(r.result["count"].get<int>(), 30);
}

// ---- lists, Values, Namespaces, nested proxies ---------------------------------------------------------------------

using forkscope::testing::error_of;
using forkscope::testing::reprs;

namespace {
// Starts `count` processes running body(0) ... body(count - 1) at once, and joins them.
void in_processes(int count, const std::function<void(int)>& body) {
  std::vector<Process> workers;
  for (int p = 0; p < count; ++p) workers.emplace_back([=] { body(p); });
  for (auto& w : workers) w.start();
  for (auto& w : workers) w.join();
}
}  // namespace

TEST_F(ManagerTest, AListProxyHasPythonsMethodsAndErrors) {
  InlineRun run([](LessonContext& lesson) {
    Manager manager;
    ListProxy l = manager.list({1, "a"}, "l");
    l.append(true);
    l.extend(Value::tuple({2.5, None}));
    l.insert(0, Value::bytes("x"));
    l.insert(100, "end");  // clamped, as in Python
    l[1] = 10;
    l[-1] += "!";  // a read, then a write
    const Value popped = l.pop();
    const Value first = l.pop(0);
    l.remove("a");
    lesson.result() = {
        {"list", l.str()},
        {"copy", l.copy().repr()},
        {"popped", popped.repr()},
        {"first", first.repr()},
        {"len", l.len()},
        {"index", l.index(2.5)},
        {"count", l.count(1)},  // True == 1, as in Python
        {"contains", l.contains(None)},
        {"last", Value(l[-1]).repr()},
        {"errors",
         {error_of([&] { (void)Value(l[5]); }), error_of([&] { l[-6] = 0; }), error_of([&] { l.remove("zzz"); }),
          error_of([&] { (void)l.index(99); }), error_of([&] { l.extend(3); }),
          error_of([&] { (void)manager.list().pop(); }), error_of([&] { (void)l.pop(7); })}},
    };
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["list"], "[10, True, 2.5, None]");
  EXPECT_EQ(r["copy"], "[10, True, 2.5, None]");
  EXPECT_EQ(r["popped"], "'end!'");
  EXPECT_EQ(r["first"], "b'x'");
  EXPECT_EQ(r["len"], 4);
  EXPECT_EQ(r["index"], 2);
  EXPECT_EQ(r["count"], 1);
  EXPECT_TRUE(r["contains"]);
  EXPECT_EQ(r["last"], "None");
  EXPECT_EQ(r["errors"], (nlohmann::json{"IndexError: list index out of range",
                                         "IndexError: list assignment index out of range",
                                         "ValueError: list.remove(x): x not in list", "ValueError: 99 is not in list",
                                         "TypeError: 'int' object is not iterable", "IndexError: pop from empty list",
                                         "IndexError: pop index out of range"}));
  const std::vector<std::string> labels = served(run.model(), run.process("SyncManager-1"));
  const std::vector<std::string> first(labels.begin(), labels.begin() + 11);
  EXPECT_EQ(first, (std::vector<std::string>{"list([1, 'a'])", "l.append(True)", "l.extend((2.5, None))",
                                             "l.insert(0, b'x')", "l.insert(100, 'end')", "l[1] = 10", "l[-1]",
                                             "l[-1] = 'end!'", "l.pop()", "l.pop(0)", "l.remove('a')"}));
}

TEST_F(ManagerTest, EveryKindOfValueCrossesThroughADictAndAList) {
  InlineRun run([](LessonContext& lesson) {
    Manager manager;
    const std::vector<Value> samples = forkscope::testing::sample_values();
    DictProxy d = manager.dict({}, "d");
    ListProxy l = manager.list({}, "l");
    for (std::size_t i = 0; i < samples.size(); ++i) d[Value::tuple({static_cast<long>(i)})] = samples[i];
    Queue results(0, "results");
    Process reader([=]() mutable {
      std::vector<Value> from_dict;
      for (std::size_t i = 0; i < samples.size(); ++i) {
        from_dict.push_back(d[Value::tuple({static_cast<long>(i)})]);
        l.append(from_dict.back());  // and back, through the list
      }
      results.put(Value::list(std::move(from_dict)));
    });
    reader.start();
    const Value from_dict = results.get(true, 30);
    reader.join();
    lesson.result() = {{"dict", reprs(from_dict.as_list())}, {"list", reprs(l.copy().as_list())}};
  });
  EXPECT_EQ(run.report().result["dict"].get<std::vector<std::string>>(), forkscope::testing::sample_reprs());
  EXPECT_EQ(run.report().result["list"].get<std::vector<std::string>>(), forkscope::testing::sample_reprs());
}

TEST_F(ManagerTest, AppendsFromManyProcessesAllArriveInEachProcesssOrder) {
  constexpr int kProcesses = 6, kEach = 40;
  InlineRun run([](LessonContext& lesson) {
    Manager manager;
    ListProxy l = manager.list({}, "l");
    in_processes(kProcesses, [=](int p) mutable {
      for (int i = 0; i < kEach; ++i) l.append(Value::tuple({p, i}));
    });
    std::vector<int> next(kProcesses, 0);
    int in_order = 0;
    const Value items = l.copy();
    for (const Value& item : items.as_list()) in_order += item[1].as_int() == next[item[0].as_int()]++;
    lesson.result() = {{"len", l.len()}, {"in_order", in_order}};
  });
  EXPECT_EQ(run.report().result["len"], kProcesses * kEach);
  EXPECT_EQ(run.report().result["in_order"], kProcesses * kEach);
}

// l[0] += 1 is a read and a write: with a Lock around it no update is lost; without, some may be (never more).
TEST_F(ManagerTest, IncrementingAListItemLosesNothingUnderALock) {
  constexpr int kProcesses = 6, kEach = 30;
  InlineRun run([](LessonContext& lesson) {
    Manager manager;
    ListProxy l = manager.list({0, 0}, "l");
    Lock lock("lock");
    in_processes(kProcesses, [=](int) mutable {
      for (int i = 0; i < kEach; ++i) {
        l[1] += 1;  // no lock: another process's read can come between this read and write
        std::lock_guard with(lock);
        l[0] += 1;
      }
    });
    lesson.result() = {{"locked", Value(l[0]).as_int()}, {"unlocked", Value(l[1]).as_int()}};
  });
  EXPECT_EQ(run.report().result["locked"], kProcesses * kEach);
  EXPECT_LE(run.report().result["unlocked"].get<int>(), kProcesses * kEach);
  EXPECT_GE(run.report().result["unlocked"].get<int>(), kEach);  // at least one process's worth landed
}

TEST_F(ManagerTest, AValueAndANamespaceAreSharedAttributes) {
  InlineRun run([](LessonContext& lesson) {
    Manager manager;
    ValueProxy counter = manager.Value("i", 0, "counter");
    NamespaceProxy ns = manager.Namespace("ns");
    ns["b"] = "x";
    Lock lock("lock");
    in_processes(4, [=](int) mutable {
      for (int i = 0; i < 10; ++i) {
        std::lock_guard with(lock);
        counter.value += 1;
      }
      ns["a"] = true;
    });
    counter.set(counter.get() + 2);
    ValueProxy copy = counter;  // a copy's .value is its own, on the same shared value
    lesson.result() = {{"value", Value(copy.value).as_int()},
                       {"counter", counter.str()},
                       {"ns", ns.str()},
                       {"a", Value(ns["a"]).repr()},
                       {"missing", error_of([&] { (void)Value(ns["nope"]); })}};
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["value"], 42);
  EXPECT_EQ(r["counter"], "Value('i', 42)");
  EXPECT_EQ(r["ns"], "Namespace(a=True, b='x')");
  EXPECT_EQ(r["a"], "True");
  EXPECT_EQ(r["missing"], "AttributeError: 'Namespace' object has no attribute 'nope'");
  const std::vector<std::string> labels = served(run.model(), run.process("SyncManager-1"));
  EXPECT_EQ(labels.at(0), "Value('i', 0)");
  EXPECT_EQ(labels.at(1), "Namespace()");
  EXPECT_EQ(labels.at(2), "ns.b = 'x'");
  EXPECT_EQ(std::ranges::count(labels, "counter.value"), 41);  // 40 += and the copy's read
  EXPECT_EQ(std::ranges::count(labels, "counter.get()"), 1);
}

// Python 3.6+: a dict or list holds proxies; reading one back gives a proxy of the same shared object.
TEST_F(ManagerTest, NestedProxiesReachTheSameSharedObject) {
  InlineRun run([](LessonContext& lesson) {
    Manager manager;
    DictProxy d = manager.dict({}, "d");
    d["inner"] = manager.list({}, "list");
    ListProxy outer = manager.list({manager.dict({{"n", 0}})}, "outer");
    Process child([=]() mutable {
      ListProxy inner = d["inner"];
      inner.append(1);
      DictProxy first = outer[0];
      first["n"] = 5;
    });
    child.start();
    child.join();
    ListProxy inner = d["inner"];
    DictProxy first = outer[0];
    lesson.result() = {{"inner", inner.str()},
                       {"n", Value(first["n"]).as_int()},
                       {"d", d.str()},
                       {"wrong", error_of([&] { DictProxy not_a_dict = d["inner"]; })},
                       {"missing", error_of([&] { (void)Value(d["nope"]); })},
                       {"unhashable", error_of([&] { d[Value::list()] = 1; })}};
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["inner"], "[1]");
  EXPECT_EQ(r["n"], 5);
  EXPECT_EQ(r["d"], "{'inner': <ListProxy object, typeid 'list'>}");
  EXPECT_EQ(r["wrong"], "TypeError: d['inner'] holds <ListProxy object, typeid 'list'>, not a DictProxy of SyncManager-1");
  EXPECT_EQ(r["missing"], "KeyError: 'nope'");
  EXPECT_EQ(r["unhashable"], "TypeError: unhashable type: 'list'");
  // The child's calls on the inner list are labelled with where it came from.
  const std::vector<std::string> labels = served(run.model(), run.process("SyncManager-1"));
  EXPECT_EQ(std::ranges::count(labels, "d['inner'].append(1)"), 1);
  EXPECT_EQ(std::ranges::count(labels, "outer[0]['n'] = 5"), 1);
}
