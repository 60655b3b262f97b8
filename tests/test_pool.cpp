// Pool and AsyncResult across real processes: Python's semantics (order, errors, timeouts, the lifecycle rules,
// maxtasksperchild, terminate), callbacks in the main process, and what the timeline shows.
#include <unistd.h>

#include <csignal>

#include <map>
#include <set>

#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::test_lesson;
using forkscope::testing::InlineRun;
using forkscope::testing::error_of;

namespace {

// Tasks are registered before any pool starts, like Python functions defined at module level.
const Task square("square", [](std::int64_t n) { return n * n; });
const Task add("add", [](std::int64_t a, std::int64_t b) { return a + b; });
const Task whoami("whoami", [] { return static_cast<std::int64_t>(getpid()); });
const Task nap("nap", [](double seconds, std::int64_t n) {
  forkscope::sleep(seconds);
  return n;
});
const Task nap_one("nap", [](double seconds) {
  forkscope::sleep(seconds);
  return seconds;
});
const Task echo("echo", [](const Value& v) { return v; });
// Python's `def swap(a, b): return (b, a)`, for starmap over pairs.
const Task swap("swap", [](const Value& a, const Value& b) { return Value::tuple({b, a}); });
const Task shout("shout", [](const std::string& text) { return text + "!"; });
const Task fail_on_three("fail_on_three", [](std::int64_t n) {
  if (n == 3) throw ValueError(fmt::format("bad {}", n));
  return n;
});

std::vector<Value> range(std::int64_t n) {
  std::vector<Value> out;
  for (std::int64_t i = 0; i < n; ++i) out.emplace_back(i);
  return out;
}

nlohmann::json ints(const std::vector<Value>& values) {
  nlohmann::json out = nlohmann::json::array();
  for (const Value& v : values) out.push_back(v.as_int());
  return out;
}

nlohmann::json squares(std::int64_t n) {
  nlohmann::json out = nlohmann::json::array();
  for (std::int64_t i = 0; i < n; ++i) out.push_back(i * i);
  return out;
}

// The task spans of every process whose name starts with `prefix`.
std::vector<TaskSpan> tasks_of(const TraceModel& model, std::string_view prefix) {
  std::vector<TaskSpan> out;
  for (const ProcessInfo& p : model.processes())
    if (p.name.starts_with(prefix)) out.insert(out.end(), p.tasks.begin(), p.tasks.end());
  return out;
}

}  // namespace

class PoolTest : public CleanTest {};

TEST_F(PoolTest, MapKeepsOrderWhateverTheChunksize) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(3);
    lesson.result()["default"] = ints(pool.map(square, range(50)));
    lesson.result()["one"] = ints(pool.map(square, range(50), 1));
    lesson.result()["seven"] = ints(pool.map(square, range(50), 7));
    lesson.result()["empty"] = ints(pool.map(square, {}));
    lesson.result()["starmap"] = ints(pool.starmap(add, {{1, 2}, {3, 4}, {5, 6}}));
    lesson.result()["starmap_async"] = ints(pool.starmap_async(add, {{10, 1}, {20, 2}}, 1).get(10.0));
    pool.close();
    pool.join();
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["default"], squares(50));
  EXPECT_EQ(r["one"], squares(50));
  EXPECT_EQ(r["seven"], squares(50));
  EXPECT_EQ(r["empty"], nlohmann::json::array());
  EXPECT_EQ(r["starmap"], (nlohmann::json{3, 7, 11}));
  EXPECT_EQ(r["starmap_async"], (nlohmann::json{11, 22}));
  // Every call is one span on the worker that ran it, labelled with its arguments.
  const std::vector<TaskSpan> spans = tasks_of(run.model(), "ForkPoolWorker-");
  EXPECT_EQ(spans.size(), 155u);
  std::multiset<std::string> labels;
  for (const TaskSpan& s : spans) labels.insert(s.label);
  EXPECT_EQ(labels.count("square(7)"), 3u);
  EXPECT_EQ(labels.count("add(3, 4)"), 1u);
  EXPECT_TRUE(std::all_of(spans.begin(), spans.end(), [](const TaskSpan& s) { return s.end_ns != kOpenEnd && !s.failed; }));
}

TEST_F(PoolTest, WorkersAreNamedLikePythonsAndTheDefaultIsTheCpuCount) {
  InlineRun run([](LessonContext& lesson) {
    Process before([] {});
    before.start();
    before.join();
    Pool pool;
    lesson.result()["processes"] = pool.processes();
    pool.close();
    pool.join();
  });
  const auto cpus = sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_EQ(run.report().result["processes"], cpus);
  // Python's counter counts every process the parent made: the first worker after Process-1 is ForkPoolWorker-2.
  for (long i = 0; i < cpus; ++i) {
    const ProcessInfo& worker = run.process(fmt::format("ForkPoolWorker-{}", i + 2));
    EXPECT_TRUE(worker.daemon);
    EXPECT_EQ(worker.exitcode, 0);
  }
}

TEST_F(PoolTest, ApplyAsyncGetsEachResultAndCallbacksRunInTheMainProcess) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(2);
    std::vector<std::int64_t> seen;  // callbacks run in the main process: they can fill the main's own variables
    const Callback<Value> collect{"collect", [&](const Value& v) {
                                    seen.push_back(v.as_int());
                                    print("callback in {}", current_pid());
                                  }};
    std::vector<ApplyResult> results;
    for (int i = 0; i < 6; ++i) results.push_back(pool.apply_async(square, {i}, {.callback = collect}));
    std::vector<std::int64_t> got;
    for (ApplyResult& r : results) got.push_back(r.get(30).as_int());
    const Value applied = pool.apply(add, {20, 22});
    pool.close();
    pool.join();
    std::sort(seen.begin(), seen.end());
    lesson.result() = {{"got", got}, {"seen", seen}, {"main", current_pid()}, {"apply", applied.as_int()}};
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["got"], squares(6));
  EXPECT_EQ(r["seen"], squares(6));
  EXPECT_EQ(r["apply"], 42);
  const auto main_pid = r["main"].get<std::int32_t>();
  int callback_lines = 0;
  for (const PrintedLine& l : run.model().lines()) {
    if (l.text.starts_with("callback in ")) {
      ++callback_lines;
      EXPECT_EQ(l.pid, main_pid);
      EXPECT_EQ(l.text, fmt::format("callback in {}", main_pid));
    }
  }
  EXPECT_EQ(callback_lines, 6);
  // Each callback is a span on the main process's lane.
  const std::vector<TaskSpan>& main_tasks = run.process("MainProcess").tasks;
  ASSERT_EQ(main_tasks.size(), 6u);
  std::set<std::string> labels;
  for (const TaskSpan& s : main_tasks) labels.insert(s.label);
  EXPECT_TRUE(labels.count("callback collect(25)"));
}

TEST_F(PoolTest, AnErrorInATaskIsRaisedAgainByGetWithItsMessage) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(2);
    std::string error_callback;
    ApplyResult failed = pool.apply_async(fail_on_three, {3}, {.error_callback = {"report", [&](const LessonError& e) {
                                                                  error_callback = fmt::format("{}: {}", e.python_name(), e.what());
                                                                }}});
    lesson.result()["get"] = error_of([&] { (void)failed.get(30); });
    lesson.result()["successful"] = failed.successful();
    lesson.result()["error_callback"] = error_callback;
    lesson.result()["typed"] = false;
    try {
      (void)pool.apply(fail_on_three, {3});
    } catch (const ValueError&) {
      lesson.result()["typed"] = true;  // the same exception type as the task raised
    }
    lesson.result()["map"] = error_of([&] { (void)pool.map(fail_on_three, range(6), 1); });
    lesson.result()["arguments"] = error_of([&] { (void)pool.apply(square, {1, 2}); });
    lesson.result()["type"] = error_of([&] { (void)pool.apply(square, {"x"}); });
    lesson.result()["fine_after"] = pool.apply(square, {4}).as_int();
    pool.close();
    pool.join();
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["get"], "ValueError: bad 3");
  EXPECT_EQ(r["successful"], false);
  EXPECT_EQ(r["error_callback"], "ValueError: bad 3");
  EXPECT_EQ(r["typed"], true);
  EXPECT_EQ(r["map"], "ValueError: bad 3");
  EXPECT_EQ(r["arguments"], "ValueError: square() takes 1 positional argument but 2 were given");
  EXPECT_EQ(r["type"], "ValueError: expected an int, got 'x'");
  EXPECT_EQ(r["fine_after"], 16);
  // The five failing calls show as failed spans on the workers; the workers themselves carry on.
  std::size_t failed = 0;
  for (const TaskSpan& s : tasks_of(run.model(), "ForkPoolWorker-")) failed += s.failed;
  EXPECT_EQ(failed, 5u);
  EXPECT_EQ(run.process("ForkPoolWorker-1").exitcode, 0);
  EXPECT_EQ(run.process("MainProcess").tasks.size(), 1u);  // the error_callback
}

TEST_F(PoolTest, GetWithATimeoutRaisesTimeoutErrorAndSuccessfulBeforeReadyIsAnError) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(1);
    ApplyResult slow = pool.apply_async(nap, {0.5, 7});
    const double t0 = lesson_time();
    lesson.result()["get"] = error_of([&] { (void)slow.get(0.1); });
    lesson.result()["waited"] = lesson_time() - t0;
    lesson.result()["ready"] = slow.ready();
    lesson.result()["successful"] = error_of([&] { (void)slow.successful(); });
    slow.wait();
    lesson.result()["ready_after_wait"] = slow.ready();
    lesson.result()["value"] = slow.get(0).as_int();
    lesson.result()["successful_after"] = slow.successful();
    pool.close();
    pool.join();
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["get"], "multiprocessing.TimeoutError: ");
  EXPECT_GE(r["waited"].get<double>(), 0.1);
  EXPECT_LT(r["waited"].get<double>(), 0.45);
  EXPECT_EQ(r["ready"], false);
  EXPECT_EQ(r["successful"], "ValueError: the result is not ready");
  EXPECT_EQ(r["ready_after_wait"], true);
  EXPECT_EQ(r["value"], 7);
  EXPECT_EQ(r["successful_after"], true);
  // While get() waited, the main process was blocked on the result queue.
  const ObjectInfo* results = run.model().object_named("pool results");
  ASSERT_NE(results, nullptr);
  bool blocked = false;
  for (const StateSpan& s : run.process("MainProcess").spans)
    blocked |= s.state == ProcState::BlockedQueueGet && s.object == results->id;
  EXPECT_TRUE(blocked);
}

TEST_F(PoolTest, TheLifecycleRulesAreEnforced) {
  InlineRun run([](LessonContext& lesson) {
    auto& r = lesson.result();
    r["zero"] = error_of([] { Pool pool(0); });
    r["maxtasks"] = error_of([] { Pool pool(PoolOptions{.processes = 1, .maxtasksperchild = 0}); });
    Pool pool(1);
    r["chunksize"] = error_of([&] { (void)pool.map(square, range(3), 0); });
    r["join_running"] = error_of([&] { pool.join(); });
    pool.close();
    r["after_close"] = error_of([&] { (void)pool.apply_async(square, {1}); });
    r["map_after_close"] = error_of([&] { (void)pool.map(square, range(3)); });
    pool.join();
    Pool other(1);
    other.terminate();
    r["after_terminate"] = error_of([&] { (void)other.apply(square, {1}); });
    other.join();  // after terminate, join returns at once
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["zero"], "ValueError: Number of processes must be at least 1");
  EXPECT_EQ(r["maxtasks"], "ValueError: maxtasksperchild must be a positive int or None");
  EXPECT_EQ(r["chunksize"], "ValueError: Chunksize must be 1+, not 0");
  EXPECT_EQ(r["join_running"], "ValueError: Pool is still running");
  EXPECT_EQ(r["after_close"], "ValueError: Pool not running");
  EXPECT_EQ(r["map_after_close"], "ValueError: Pool not running");
  EXPECT_EQ(r["after_terminate"], "ValueError: Pool not running");
  EXPECT_EQ(run.report().main_exitcode, 0);
}

TEST_F(PoolTest, TerminateReturnsPromptlyWithThousandsOfPendingTasks) {
  InlineRun run([](LessonContext& lesson) {
    Semaphore started(0, "started");
    const Task busy("busy", [started](std::int64_t) mutable {
      started.release();
      forkscope::sleep(60);
    });
    Pool pool(2);
    std::vector<ApplyResult> pending;
    for (int i = 0; i < 3000; ++i) pending.push_back(pool.apply_async(busy, {i}));
    for (int worker = 0; worker < 2; ++worker) started.acquire(true, 30);  // both workers are inside a task
    const double t0 = lesson_time();
    pool.terminate();
    lesson.result()["terminate_seconds"] = lesson_time() - t0;
    lesson.result()["get"] = error_of([&] { (void)pending.back().get(); });
    lesson.result()["get_timeout"] = error_of([&] { (void)pending.front().get(5); });
    pool.join();
  });
  const auto& r = run.report().result;
  EXPECT_LT(r["terminate_seconds"].get<double>(), 1.0);
  EXPECT_EQ(r["get"], "ValueError: the pool was terminated before this result arrived: it never will");
  EXPECT_EQ(r["get_timeout"], "multiprocessing.TimeoutError: ");
  for (const char* name : {"ForkPoolWorker-1", "ForkPoolWorker-2"}) {
    const ProcessInfo& worker = run.process(name);
    EXPECT_EQ(worker.exitcode, -SIGTERM);
    // The task it was running when it was stopped ends there, as a failed span.
    ASSERT_EQ(worker.tasks.size(), 1u) << name;
    EXPECT_TRUE(worker.tasks[0].failed);
    EXPECT_EQ(worker.tasks[0].end_ns, *worker.end_ns);
  }
  EXPECT_LT(run.report().wall_seconds, 30);
}

TEST_F(PoolTest, MaxTasksPerChildReplacesWorkers) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(PoolOptions{.processes = 2, .maxtasksperchild = 2});
    std::vector<ApplyResult> results;
    for (int i = 0; i < 10; ++i) results.push_back(pool.apply_async(whoami));
    std::map<std::int64_t, int> per_pid;
    for (ApplyResult& r : results) ++per_pid[r.get(30).as_int()];
    pool.close();
    pool.join();
    int most = 0;
    for (const auto& [pid, n] : per_pid) most = std::max(most, n);
    lesson.result() = {{"pids", per_pid.size()}, {"most", most}};
  });
  const auto& r = run.report().result;
  // Ten tasks, at most two per worker: at least five workers ran them (six when the last two tasks went to fresh
  // workers at once).
  EXPECT_GE(r["pids"], 5);
  EXPECT_LE(r["pids"], 6);
  EXPECT_EQ(r["most"], 2);
  int workers = 0;
  for (const ProcessInfo& p : run.model().processes()) {
    if (!p.name.starts_with("ForkPoolWorker-")) continue;
    ++workers;
    EXPECT_EQ(p.exitcode, 0) << p.name;
    EXPECT_LE(p.tasks.size(), 2u) << p.name;
  }
  EXPECT_GE(workers, 5);
  EXPECT_LE(workers, 7);  // replacements start only while work remains (or the pool still runs)
}

TEST_F(PoolTest, TheInitializerRunsOnceInEveryWorkerWithItsArguments) {
  InlineRun run([](LessonContext&) {
    Pool pool(PoolOptions{.processes = 3,
                          .initializer = [](const Args& args) { print("init {} in {}", args.at(0), current_process_name()); },
                          .initargs = {"hello"}});
    (void)pool.map(square, range(6));
    pool.close();
    pool.join();
  });
  std::set<std::string> lines;
  for (const std::string& l : run.lines()) lines.insert(l);
  EXPECT_EQ(lines, (std::set<std::string>{"init hello in ForkPoolWorker-1", "init hello in ForkPoolWorker-2",
                                          "init hello in ForkPoolWorker-3"}));
}

TEST_F(PoolTest, ImapYieldsInOrderImapUnorderedYieldsEverythingAndMapAsyncCallsBackWithTheList) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(3);
    std::vector<std::int64_t> ordered, unordered;
    for (const Value& v : pool.imap(square, range(10))) ordered.push_back(v.as_int());
    for (const Value& v : pool.imap_unordered(square, range(10), 3)) unordered.push_back(v.as_int());
    IMapIterator slow = pool.imap(nap, {});
    lesson.result()["empty_next"] = !slow.next().has_value();
    std::vector<std::int64_t> listed;
    int calls = 0;
    MapResult all = pool.map_async(square, range(5), std::nullopt, {.callback = {"show", [&](const std::vector<Value>& v) {
                                                                          ++calls;
                                                                          for (const Value& x : v) listed.push_back(x.as_int());
                                                                        }}});
    all.wait(30);
    pool.close();
    pool.join();
    std::sort(unordered.begin(), unordered.end());
    lesson.result()["ordered"] = ordered;
    lesson.result()["unordered"] = unordered;
    lesson.result()["listed"] = listed;
    lesson.result()["calls"] = calls;
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["ordered"], squares(10));
  EXPECT_EQ(r["unordered"], squares(10));
  EXPECT_EQ(r["empty_next"], true);
  EXPECT_EQ(r["listed"], squares(5));
  EXPECT_EQ(r["calls"], 1);
  EXPECT_EQ(run.process("MainProcess").tasks.at(0).label, "callback show([0, 1, 4, 9, 16])");
}

TEST_F(PoolTest, ImapNextWithATimeoutRaisesTimeoutError) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(1);
    IMapIterator it = pool.imap(nap_one, {0.5});
    lesson.result()["next"] = error_of([&] { (void)it.next(0.05); });
    lesson.result()["then"] = it.next(30)->as_float();
    lesson.result()["end"] = !it.next().has_value();
    pool.close();
    pool.join();
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["next"], "multiprocessing.TimeoutError: ");
  EXPECT_EQ(r["then"], 0.5);
  EXPECT_EQ(r["end"], true);
}

TEST_F(PoolTest, ATaskRegisteredAfterThePoolStartedIsRefused) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(1);
    const Task late("late", [] { return 1; });
    lesson.result()["late"] = error_of([&] { (void)pool.apply(late); });
    pool.close();
    pool.join();
  });
  EXPECT_EQ(run.report().result["late"],
            "ValueError: task 'late' was registered after the pool started, so its workers do not know it; register "
            "tasks before creating the Pool");
}

TEST_F(PoolTest, TheTimelineShowsThePoolItsQueuesAndEveryTaskOnItsWorker) {
  InlineRun run([](LessonContext&) {
    Pool pool(2);
    (void)pool.map(square, range(20), 5);
    pool.close();
    pool.join();
  });
  const TraceModel& m = run.model();
  const ObjectInfo* pool = m.object_named("pool");
  const ObjectInfo* tasks = m.object_named("pool tasks");
  const ObjectInfo* results = m.object_named("pool results");
  ASSERT_TRUE(pool && tasks && results);
  EXPECT_EQ(pool->kind, ObjectKind::Pool);
  EXPECT_EQ(pool->capacity, 2);
  // Four chunks went out and came back; two sentinels went out; every queue ends empty.
  EXPECT_EQ(tasks->puts, 6);
  EXPECT_EQ(tasks->gets, 6);
  EXPECT_EQ(results->puts, 4);
  EXPECT_EQ(results->gets, 4);
  EXPECT_EQ(tasks->value(), 0);
  EXPECT_EQ(results->value(), 0);
  EXPECT_GE(tasks->max_value(), 1);
  // Each call is a span on the lane of the worker whose get took its chunk.
  for (const ProcessInfo& p : m.processes()) {
    if (!p.name.starts_with("ForkPoolWorker-")) continue;
    EXPECT_EQ(p.tasks.size() % 5, 0u) << p.name;
    for (const TaskSpan& s : p.tasks) EXPECT_EQ(s.object, pool->id);
  }
  EXPECT_EQ(tasks_of(m, "ForkPoolWorker-").size(), 20u);
}

TEST_F(PoolTest, APoolLeavingItsScopeIsTerminated) {
  InlineRun run([](LessonContext&) {
    Pool pool(2);
    (void)pool.apply_async(nap, {60.0, 1});
  });
  EXPECT_EQ(run.report().main_exitcode, 0);
  EXPECT_EQ(run.process("ForkPoolWorker-1").exitcode, -SIGTERM);
  EXPECT_LT(run.report().wall_seconds, 30);
}

TEST_F(PoolTest, SteppingGrantsThePoolsOperationsOneByOne) {
  Lesson lesson = test_lesson("stepped-pool", [](LessonContext& l) {
    Pool pool(2);
    l.result()["squares"] = ints(pool.map(square, range(4), 2));
    pool.close();
    pool.join();
  });
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  int steps = 0;
  while (!run->finished() && steps < 400) {
    (void)run->step();
    ++steps;
  }
  run->wait(30);
  EXPECT_LT(steps, 400);
  EXPECT_EQ(run->report().result["squares"], squares(4));
  EXPECT_EQ(run->report().main_exitcode, 0);
}

// ---- Python's semantics where Forkscope used to differ (issue 9) --------------------------------------------------

namespace {

const Task stamp("stamp", [](double seconds) {
  forkscope::sleep(seconds);
  return lesson_time();  // when the result left the worker
});
const Task finish_or_fail("finish_or_fail", [](std::int64_t n) {
  if (n == 0) throw KeyError("'first'");  // fails at once, while the others still work
  forkscope::sleep(0.3);
  print("finished {}", n);
  return n;
});
const Task raise_named("raise_named", [](std::string type) -> Value {
  if (type == "unknown") throw std::out_of_range("not a lesson error");
  if (type == "custom") throw forkscope::Exception("mine", "MyError");
  raise_python_error(type, "from the task");
});
const Task start_a_process("start_a_process", [] {
  Process child([] {});
  child.start();
  child.join();
  return 0;
});
const Task kill_own_worker("kill_own_worker", [](std::int64_t n) {
  if (n == 5) raise(SIGKILL);
  return n * 10;
});

// Whether `call` raised exactly the class E (and which Python name it carries).
template <class E, class Call>
std::string caught_as(Call&& call) {
  try {
    call();
  } catch (const E& e) {
    return std::string(e.python_name());
  } catch (...) {
    return "other";
  }
  return "nothing";
}

}  // namespace

// Python's result-handler thread runs a callback as soon as the result arrives, whatever the main thread does.
TEST_F(PoolTest, CallbacksRunAsSoonAsTheResultArrivesWhileTheMainProcessSleepsOrWaits) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(2);
    double late_by = -1, called_at = -1;
    (void)pool.apply_async(stamp, {0.2}, {.callback = {"note", [&](const Value& sent_at) {
                                            called_at = lesson_time();
                                            late_by = called_at - sent_at.as_float();
                                            print("callback ran");
                                          }}});
    forkscope::sleep(2);
    const double slept_until = lesson_time();
    // A callback may be what a blocked main process waits for.
    Event done("done");
    (void)pool.apply_async(stamp, {0.1}, {.callback = {"set_done", [&](const Value&) { done.set(); }}});
    const bool event_set = done.wait(20);
    Queue handoff(0, "handoff");
    (void)pool.apply_async(stamp, {0.1}, {.callback = {"hand_off", [&](const Value&) { handoff.put(42); }}});
    const std::int64_t got = handoff.get(true, 20).as_int();
    pool.close();
    pool.join();
    lesson.result() = {{"during_sleep", called_at < slept_until}, {"late_by", late_by},
                       {"event_set", event_set}, {"got", got}};
  });
  const auto& r = run.report().result;
  EXPECT_TRUE(r["during_sleep"]);
  EXPECT_GE(r["late_by"].get<double>(), 0);
  EXPECT_LT(r["late_by"].get<double>(), 0.1);  // a few ms in practice; generous for a loaded machine
  EXPECT_TRUE(r["event_set"]);
  EXPECT_EQ(r["got"], 42);
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"callback ran"}));
  EXPECT_EQ(run.process("MainProcess").tasks.size(), 3u);  // each callback a span on the main's lane
}

TEST_F(PoolTest, MapRaisesOnlyAfterEveryTaskHasFinished) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(2);
    const auto attempt = [&](const char* how, auto&& call) {
      try {
        call();
      } catch (const KeyError& e) {
        print("{} raised KeyError: {}", how, e.what());
      }
    };
    attempt("map", [&] { (void)pool.map(finish_or_fail, range(4), 1); });
    attempt("map_async", [&] { (void)pool.map_async(finish_or_fail, range(4), 1).get(30); });
    attempt("starmap", [&] { (void)pool.starmap(finish_or_fail, {{0}, {1}, {2}, {3}}, 1); });
    pool.close();
    pool.join();
    lesson.result() = {{"done", true}};
  });
  std::vector<std::string> lines = run.lines();
  ASSERT_EQ(lines.size(), 12u);
  for (std::size_t round = 0; round < 3; ++round) {
    std::vector<std::string> finished(lines.begin() + static_cast<std::ptrdiff_t>(4 * round),
                                      lines.begin() + static_cast<std::ptrdiff_t>(4 * round + 3));
    std::sort(finished.begin(), finished.end());
    EXPECT_EQ(finished, (std::vector<std::string>{"finished 1", "finished 2", "finished 3"})) << round;
  }
  EXPECT_EQ(lines[3], "map raised KeyError: 'first'");
  EXPECT_EQ(lines[7], "map_async raised KeyError: 'first'");
  EXPECT_EQ(lines[11], "starmap raised KeyError: 'first'");
}

TEST_F(PoolTest, AnErrorKeepsItsTypeThroughGet) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(2);
    const auto apply = [&](const char* type) { return [&pool, type] { (void)pool.apply(raise_named, {type}); }; };
    auto& r = lesson.result();
    r["ValueError"] = caught_as<ValueError>(apply("ValueError"));
    r["KeyError"] = caught_as<KeyError>(apply("KeyError"));
    r["IndexError"] = caught_as<IndexError>(apply("IndexError"));
    r["TypeError"] = caught_as<TypeError>(apply("TypeError"));
    r["ZeroDivisionError"] = caught_as<ZeroDivisionError>(apply("ZeroDivisionError"));
    r["OSError"] = caught_as<OSError>(apply("OSError"));
    r["RuntimeError"] = caught_as<RuntimeError>(apply("RuntimeError"));
    r["AssertionError"] = caught_as<AssertionError>(apply("AssertionError"));
    r["EOFError"] = caught_as<EOFError>(apply("EOFError"));
    r["unknown"] = caught_as<forkscope::Exception>(apply("unknown"));
    r["custom"] = caught_as<forkscope::Exception>(apply("custom"));
    r["async"] = caught_as<KeyError>([&] { (void)pool.apply_async(raise_named, {"KeyError"}).get(30); });
    pool.close();
    pool.join();
  });
  const auto& r = run.report().result;
  for (const char* type : {"ValueError", "KeyError", "IndexError", "TypeError", "ZeroDivisionError", "OSError",
                           "RuntimeError", "AssertionError", "EOFError"})
    EXPECT_EQ(r[type], type);
  EXPECT_EQ(r["unknown"], "Exception");
  EXPECT_EQ(r["custom"], "MyError");  // an unknown type keeps its name
  EXPECT_EQ(r["async"], "KeyError");
}

TEST_F(PoolTest, AProcessStartedInsideATaskIsRefusedBecauseWorkersAreDaemonic) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(1);
    lesson.result()["error"] = error_of([&] { (void)pool.apply(start_a_process); });
    pool.close();
    pool.join();
  });
  EXPECT_EQ(run.report().result["error"], "AssertionError: daemonic processes are not allowed to have children");
}

// Python's pool replaces a dead worker but waits forever for its task; Forkscope fails the task instead.
TEST_F(PoolTest, AWorkerKilledWhileRunningATaskIsReplacedAndItsTaskFails) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(2);
    auto& r = lesson.result();
    r["apply"] = error_of([&] { (void)pool.apply(kill_own_worker, {5}); });
    r["after"] = pool.apply(kill_own_worker, {4}).as_int();
    r["map"] = error_of([&] { (void)pool.map(kill_own_worker, range(8), 1); });
    r["map_after"] = ints(pool.map(kill_own_worker, range(5)));
    r["async"] = error_of([&] { (void)pool.apply_async(kill_own_worker, {5}).get(30); });
    pool.close();
    pool.join();
  }, {.timeout_seconds = 60});
  const auto& r = run.report().result;
  // The message names the worker that died, by name and pid.
  const std::string apply_error = r["apply"];
  const std::string prefix = "RuntimeError: ";
  const std::string victim = apply_error.substr(prefix.size(), apply_error.find(" (pid") - prefix.size());
  EXPECT_TRUE(victim == "ForkPoolWorker-1" || victim == "ForkPoolWorker-2") << apply_error;
  EXPECT_EQ(apply_error, fmt::format("RuntimeError: {} (pid {}) was killed by SIGKILL while running kill_own_worker(5)",
                                     victim, run.process(victim).pid));
  EXPECT_EQ(r["after"], 40);
  EXPECT_TRUE(r["map"].get<std::string>().ends_with("was killed by SIGKILL while running kill_own_worker(5)"));
  EXPECT_EQ(r["map_after"], (nlohmann::json{0, 10, 20, 30, 40}));
  EXPECT_TRUE(r["async"].get<std::string>().starts_with("RuntimeError: ForkPoolWorker-"));
  EXPECT_EQ(run.report().main_exitcode, 0);
  // Three workers were killed, and each was replaced: the next ones are ForkPoolWorker-3, -4 and -5.
  int killed = 0;
  for (const ProcessInfo& p : run.model().processes())
    if (p.name.starts_with("ForkPoolWorker-")) killed += p.exitcode == -SIGKILL;
  EXPECT_EQ(killed, 3);
  EXPECT_EQ(run.process("ForkPoolWorker-5").exitcode, 0);
}

// Tuples, lists, dicts, bytes and bools go to the workers as arguments and come back as results unchanged.
TEST_F(PoolTest, EveryKindOfValueIsAnArgumentAndAResult) {
  InlineRun run([](LessonContext& lesson) {
    Pool pool(2);
    lesson.result()["map"] = forkscope::testing::reprs(pool.map(echo, forkscope::testing::sample_values(), 3));
    // pool.starmap(swap, [(1, 'a'), (True, []), ((1,), {'k': b'v'})])
    lesson.result()["starmap"] = forkscope::testing::reprs(pool.starmap(
        swap, {{1, "a"}, {true, Value::list()}, {Value::tuple({1}), Value::dict({{"k", Value::bytes("v")}})}}));
    pool.close();
    pool.join();
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["map"].get<std::vector<std::string>>(), forkscope::testing::sample_reprs());
  EXPECT_EQ(r["starmap"], (nlohmann::json{"('a', 1)", "([], True)", "({'k': b'v'}, (1,))"}));
  std::multiset<std::string> labels;
  for (const TaskSpan& s : tasks_of(run.model(), "ForkPoolWorker-")) labels.insert(s.label);
  EXPECT_EQ(labels.count("swap(True, [])"), 1u);  // the timeline writes each call as Python would
  EXPECT_EQ(labels.count("echo((1,))"), 1u);
}

// Several rounds of 4 KiB strings: each message's block is given back once read, so the payload store does not
// grow with the rounds.
TEST_F(PoolTest, LongStringsDoNotAccumulate) {
  constexpr int kRounds = 20, kCalls = 200;
  InlineRun run(
      [](LessonContext& lesson) {
        Pool pool(2);
        std::vector<Value> texts;
        for (int i = 0; i < kCalls; ++i) texts.emplace_back(std::string(4096, static_cast<char>('a' + i % 26)));
        std::int64_t right = 0;
        for (int round = 0; round < kRounds; ++round) {
          const std::vector<Value> results = pool.map(shout, texts, 1);
          for (int i = 0; i < kCalls; ++i) right += results[i].as_str() == texts[i].as_str() + "!";
        }
        pool.close();
        pool.join();
        lesson.result() = {{"right", right}};
      },
      {.timeout_seconds = 120});
  EXPECT_EQ(run.report().result["right"], kRounds * kCalls);
  EXPECT_LT(run.report().payload_store_bytes, 8u << 20);  // 32 MiB of messages passed through
}
