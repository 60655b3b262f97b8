// The gate: step one operation, step a chosen process, pause, speed, and schedules that replay an interleaving.
#include <chrono>
#include <set>
#include <thread>

#include "registry.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::test_lesson;

class Gate : public CleanTest {};

namespace {
Lesson two_printers() {
  return test_lesson("two-printers", [](LessonContext&) {
    Process a([] {
      for (int i = 0; i < 3; ++i) print("a{}", i);
    });
    Process b([] {
      for (int i = 0; i < 3; ++i) print("b{}", i);
    });
    a.start();
    b.start();
    a.join();
    b.join();
  });
}

std::size_t count(const TraceModel& m, EventKind kind) {
  return static_cast<std::size_t>(
      std::count_if(m.events().begin(), m.events().end(), [&](const TraceEvent& e) { return e.kind == kind; }));
}

}  // namespace

// Every step grants exactly one operation: two starts, six prints, two joins.
TEST_F(Gate, EachStepGrantsExactlyOneOperation) {
  Lesson lesson = two_printers();
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  std::size_t steps = 0;
  while (!run->finished()) {
    const std::size_t lines_before = run->model().lines().size();
    const std::string who = run->step();
    if (run->finished()) break;
    ++steps;
    // The step has settled; its events reach the model once no running process could still write older ones.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    const auto settled_in_model = [&] {
      for (const ProcessInfo& p : run->model().processes())
        if (p.name == who && p.state() == ProcState::Running) return false;
      return count(run->model(), EventKind::GateGranted) >= steps;
    };
    while (!settled_in_model() && std::chrono::steady_clock::now() < deadline) {
      run->poll();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const std::size_t lines_after = run->model().lines().size();
    // A step of a printer prints exactly one line; a step of the main process prints none.
    EXPECT_EQ(lines_after - lines_before, who == "MainProcess" ? 0u : 1u) << who;
    // Exactly one grant per step, visible on the timeline.
    EXPECT_EQ(count(run->model(), EventKind::GateGranted), steps);
    ASSERT_LT(steps, 50u);
  }
  run->wait(30);
  // Two starts, six prints, two joins; a join stepped before its child ended takes one more step to return.
  std::size_t join_retries = 0;
  for (const StateSpan& s : run->model().process(run->main_pid())->spans) join_retries += s.state == ProcState::BlockedJoin;
  EXPECT_EQ(run->schedule().steps.size(), 10u + join_retries);
  EXPECT_EQ(count(run->model(), EventKind::GateGranted), run->schedule().steps.size());
  EXPECT_EQ(run->model().lines().size(), 6u);
}

TEST_F(Gate, SteppingAChosenProcessMovesOnlyThatProcess) {
  Lesson lesson = two_printers();
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  // The main process, by its PID: "the next operation of any process" could be a started child's first print.
  EXPECT_EQ(run->step(run->main_pid()), "MainProcess");  // start a
  EXPECT_EQ(run->step(run->main_pid()), "MainProcess");  // start b
  // Wait (with a deadline) until both printers are held at their first print.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::int32_t b_pid = 0;
  while (b_pid == 0 && std::chrono::steady_clock::now() < deadline) {
    run->poll();
    for (const HeldProcess& h : run->held())
      if (h.name == "Process-2" && h.op == EventKind::Print) b_pid = h.pid;
  }
  ASSERT_NE(b_pid, 0);
  EXPECT_EQ(run->step(b_pid), "Process-2");
  EXPECT_EQ(run->step(b_pid), "Process-2");
  run->poll();
  std::vector<std::string> lines;
  for (const PrintedLine& l : run->model().lines()) lines.emplace_back(l.text);
  EXPECT_EQ(lines, (std::vector<std::string>{"b0", "b1"}));
  // Held processes show as held, not blocked, on the timeline.
  EXPECT_EQ(run->model().process(run->held().front().pid)->state(), ProcState::Held);
  run->set_mode(GateMode::Run);
  run->wait(30);
  EXPECT_EQ(run->model().lines().size(), 6u);
}

TEST_F(Gate, PauseStopsEveryProcessAtItsNextOperation) {
  Lesson lesson = test_lesson("ticker", [](LessonContext&) {
    Process p([] {
      for (int i = 0; i < 400; ++i) {
        print("tick {}", i);
        forkscope::sleep(0.005);
      }
    });
    p.start();
    p.join();
  });
  auto run = forkscope::testing::start_inline(lesson, {});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (run->model().lines().size() < 5 && std::chrono::steady_clock::now() < deadline) run->poll();
  run->set_mode(GateMode::Step);
  // Once the ticker is held, nothing more is printed while the lesson stays paused.
  while (run->held().size() < 2 && std::chrono::steady_clock::now() < deadline) run->poll();
  ASSERT_EQ(run->held().size(), 2u);
  run->poll();
  const std::size_t paused_at = run->model().lines().size();
  const auto quiet_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < quiet_until) run->poll();
  EXPECT_EQ(run->model().lines().size(), paused_at);
  run->set_mode(GateMode::Run);
  run->wait(60);
  EXPECT_EQ(run->model().lines().size(), 400u);
}

TEST_F(Gate, TheSpeedFactorScalesLessonSleeps) {
  forkscope::testing::InlineRun run([](LessonContext& lesson) {
    const double t0 = lesson_time();
    forkscope::sleep(2.0);
    lesson.result() = {{"lesson_seconds", lesson_time() - t0}};
  }, {.speed = 20});
  EXPECT_LT(run.report().wall_seconds, 1.0);                          // 2 s at 20x is 0.1 s
  EXPECT_GE(run.report().result["lesson_seconds"].get<double>(), 1.95);  // but two lesson seconds
}

// The ticket race without a lock, stepped to the end once; replaying the schedule gives the same interleaving and
// the same oversold result every time.
TEST_F(Gate, AScheduleReplaysTheSameInterleaving) {
  const Lesson& lesson = *scenarios::find("ticket-lock");
  RunOptions options;
  options.lesson = &lesson;
  options.params = Params::resolve(lesson.params, {"lock=false", "tickets=1", "buyers=3"});
  options.speed = 100;
  options.seed = 5;
  options.start_stepping = true;
  forkscope::Run recorded(options);
  while (!recorded.finished()) recorded.step();
  ASSERT_EQ(recorded.report().main_exitcode, 0);
  const Schedule schedule = recorded.schedule();
  const nlohmann::json result = recorded.report().result;
  const auto recorded_print = forkscope::testing::fingerprint(recorded.model());
  EXPECT_GT(result["oversold"].get<int>(), 0) << "stepping each buyer in turn makes every one see the last ticket";

  for (int replay = 0; replay < 3; ++replay) {
    RunOptions again = options;
    again.start_stepping = false;
    again.replay = Schedule::from_json(schedule.to_json());  // through its file form
    forkscope::Run run(again);
    run.wait(60);
    EXPECT_EQ(run.report().result, result);
    EXPECT_EQ(forkscope::testing::fingerprint(run.model()), recorded_print);
    EXPECT_EQ(run.replay_position(), schedule.steps.size());
  }
}

// While stepping, each held process says what it will do as the lesson wrote it: a mark's label, a counter's new value,
// a put's item, a join's child (the CLI's held line and the Processes tab show these words).
TEST_F(Gate, AHeldProcessNamesItsNextOperation) {
  Lesson lesson = test_lesson("next-operations", [](LessonContext&) {
    Counter tickets_left("tickets left", 3);
    Queue q(0, "q");
    Process buyer([=]() mutable {
      mark("buy: read info");
      tickets_left.set(2);
      tickets_left.add(-1);
      q.put(Value("x"));
    });
    buyer.start();
    buyer.join();
  });
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  std::set<std::string> seen;
  while (!run->finished()) {
    run->poll();
    for (const HeldProcess& h : run->held()) seen.insert(h.name + ": " + next_operation(h, run->model()));
    run->step();
  }
  for (const std::string expected : {"Process-1: buy: read info", "Process-1: tickets left = 2", "Process-1: tickets left -= 1",
                                     "Process-1: put 'x' into Queue 'q'", "MainProcess: join Process-1"})
    EXPECT_TRUE(seen.contains(expected)) << expected << " not in " << fmt::format("{}", fmt::join(seen, " | "));
}

TEST_F(Gate, AMalformedScheduleIsABadInput) {
  EXPECT_THROW((void)Schedule::from_json({{"format", "nope"}}), UsageError);
  EXPECT_THROW((void)Schedule::from_json({{"format", "forkscope-schedule-1"}, {"lesson", 3}}), UsageError);
  EXPECT_THROW((void)Schedule::load("/nonexistent/schedule.json"), UsageError);
}
