// Exact replay and Back. A schedule replays the same operations, outcomes (whether a join or a get had to wait) and
// output on every run, whatever else the machine does; Back (step_back) returns a stepping run to exactly the state
// before its last step, down to step 0.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "registry.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::fingerprint;
using forkscope::testing::RunFingerprint;

class Replay : public CleanTest {};

namespace {

// One busy process per CPU for as long as it lives: every lesson process then competes for a CPU, as on a loaded
// machine. Killed and reaped when it goes.
class CpuHog {
 public:
  CpuHog() {
    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    const pid_t test = getpid();
    for (unsigned i = 0; i < cpus; ++i) {
      const pid_t pid = fork();
      if (pid < 0) throw std::runtime_error("fork for the CPU hog failed");
      if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != test) _exit(1);
        std::atomic<std::uint64_t> spins{0};
        for (;;) spins.fetch_add(1, std::memory_order_relaxed);
      }
      hogs_.push_back(pid);
    }
  }
  ~CpuHog() {
    for (const pid_t pid : hogs_) kill(pid, SIGKILL);
    for (const pid_t pid : hogs_) waitpid(pid, nullptr, 0);
  }
  CpuHog(const CpuHog&) = delete;
  CpuHog& operator=(const CpuHog&) = delete;

 private:
  std::vector<pid_t> hogs_;
};

RunOptions stepping(const std::string& lesson_id, const std::vector<std::string>& sets, std::uint64_t seed) {
  const Lesson* lesson = scenarios::find(lesson_id);
  if (lesson == nullptr) throw std::runtime_error("unknown lesson " + lesson_id);
  RunOptions options;
  options.lesson = lesson;
  options.params = Params::resolve(lesson->params, sets);
  options.seed = seed;
  options.start_stepping = true;
  options.fork_in_process = true;  // a fork is cheaper than an exec, and this test has no threads
  return options;
}

// Grants one step to a process chosen by `choose` among those a step may be granted to (held at the gate, asleep,
// blocked with a timeout or with a retry that may succeed). False once the run has finished.
bool step_at_random(Run& run, std::mt19937_64& choose) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!run.finished()) {
    std::vector<HeldProcess> candidates;
    for (const HeldProcess& h : run.held())
      if (h.grantable()) candidates.push_back(h);
    if (!candidates.empty()) {
      run.step(candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(choose)].pid);
      return !run.finished();
    }
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no process waits for a step");
    (void)run.finish_replay(20);  // the last step settles
  }
  return false;
}

// 400 replays under load take ~15 s in the release build; the sanitizer presets (several times slower, and run on
// top of the release suite in CI) run every other test of this file instead.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

struct Recording {
  Schedule schedule;
  RunFingerprint print;
};

// Steps the lesson to its end, each step granted to a process chosen at random (seeded): a new interleaving.
Recording record_at_random(const RunOptions& options, std::uint64_t choice_seed) {
  forkscope::Run run(options);
  std::mt19937_64 choose(choice_seed);
  while (step_at_random(run, choose)) {
  }
  run.wait(30);
  EXPECT_EQ(run.report().main_exitcode, 0);
  return {run.schedule(), fingerprint(run.model())};
}

// Replays `recording` `times` times under a CPU hog: each replay does what the recording did.
void expect_identical_replays(RunOptions options, const Recording& recording, int times) {
  options.start_stepping = false;
  options.replay = Schedule::from_json(recording.schedule.to_json());  // through its file form
  const CpuHog hog;
  int different = 0;
  for (int i = 0; i < times && different < 3; ++i) {
    forkscope::Run run(options);
    run.wait(60);
    EXPECT_EQ(run.replay_position(), recording.schedule.steps.size()) << "replay " << i;
    const RunFingerprint print = fingerprint(run.model());
    EXPECT_EQ(print, recording.print) << "replay " << i;
    different += print != recording.print;
  }
}

// Steps `steps` times at random, keeping the state after each step; then goes Back one step at a time down to 0 and
// compares each state with the one kept.
void expect_back_to_each_state(const RunOptions& options, std::size_t steps, std::uint64_t choice_seed) {
  std::vector<RunFingerprint> after;  // after[k]: the state after k steps
  std::unique_ptr<forkscope::Run> run = std::make_unique<forkscope::Run>(options);
  ASSERT_TRUE(run->finish_replay(20));
  after.push_back(fingerprint(run->model()));
  std::mt19937_64 choose(choice_seed);
  while (after.size() <= steps) {
    ASSERT_TRUE(step_at_random(*run, choose)) << "the lesson ended after " << after.size() - 1 << " steps";
    ASSERT_TRUE(run->finish_replay(20));
    after.push_back(fingerprint(run->model()));
  }
  const std::vector<std::string> granted = run->schedule().steps;
  ASSERT_EQ(granted.size(), steps);
  for (std::size_t k = steps; k > 0; --k) {
    run = step_back(*run, 30);
    EXPECT_EQ(run->mode(), GateMode::Step);
    EXPECT_EQ(run->schedule().steps, std::vector<std::string>(granted.begin(), granted.begin() + static_cast<std::ptrdiff_t>(k - 1)));
    EXPECT_EQ(fingerprint(run->model()), after[k - 1]) << "back to step " << k - 1;
  }
  EXPECT_THROW((void)step_back(*run), UsageError);  // step 0: nothing to take back
  // The run Back left is a stepping run like any other: it can go on.
  EXPECT_TRUE(step_at_random(*run, choose));
}

}  // namespace

// The ticket race without a lock, stepped by a seeded random choice of buyer: every replay under load oversells the
// same way, prints the same lines and makes each process do the same operations.
TEST_F(Replay, TheTicketRaceReplaysIdenticallyUnderLoad200Times) {
  if (kSanitized) GTEST_SKIP() << "the release suite runs the replays under load";
  const RunOptions options = stepping("ticket-lock", {"lock=false"}, 3);
  const Recording recording = record_at_random(options, 17);
  ASSERT_GT(recording.schedule.steps.size(), 20u);
  RecordProperty("steps", static_cast<int>(recording.schedule.steps.size()));
  expect_identical_replays(options, recording, 200);
}

TEST_F(Replay, ProducersAndConsumersReplayIdenticallyUnderLoad200Times) {
  if (kSanitized) GTEST_SKIP() << "the release suite runs the replays under load";
  const RunOptions options = stepping("producer-consumer", {}, 4);
  const Recording recording = record_at_random(options, 23);
  ASSERT_GT(recording.schedule.steps.size(), 40u);
  RecordProperty("steps", static_cast<int>(recording.schedule.steps.size()));
  EXPECT_EQ(recording.print.result["produced"], 10);
  expect_identical_replays(options, recording, 200);
}

// While stepping, a sleep is a state of its own: the model shows the process sleeping (not held at the gate), and the
// grant that ends it is a step; no wall-clock time passes for the lesson.
TEST_F(Replay, ASleepWhileSteppingEndsWithAGrant) {
  Lesson lesson = forkscope::testing::test_lesson("long-sleep", [](LessonContext& context) {
    const double before = lesson_time();
    forkscope::sleep(3600);
    context.result() = {{"slept", true}, {"wall_seconds_under_an_hour", lesson_time() - before < 3600}};
  });
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  EXPECT_EQ(run->step(), "MainProcess");  // into the sleep
  ASSERT_TRUE(run->finish_replay(10));
  const std::vector<HeldProcess> held = run->held();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_TRUE(held[0].asleep);
  EXPECT_EQ(held[0].op, EventKind::Sleep);
  EXPECT_EQ(run->model().process(run->main_pid())->state(), ProcState::Sleeping);
  EXPECT_EQ(run->step(), "MainProcess");  // the grant ends the hour
  run->set_mode(GateMode::Run);
  run->wait(10);
  EXPECT_EQ(run->report().result["slept"], true);
  EXPECT_EQ(run->report().result["wall_seconds_under_an_hour"], true);
}

// A wait with a timeout while stepping is grantable at once; granted while still not ready, it times out.
TEST_F(Replay, AGrantedTimedWaitThatIsStillNotReadyTimesOut) {
  Lesson lesson = forkscope::testing::test_lesson("timed-wait", [](LessonContext& context) {
    Event never("never");
    Queue q(1, "q");
    const bool set = never.wait(3600.0);
    bool got = true;
    try {
      (void)q.get(true, 3600.0);
    } catch (const Empty&) {
      got = false;
    }
    context.result() = {{"event_set", set}, {"got", got}};
  });
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  while (!run->finished()) run->step(0, 10);
  run->wait(10);
  EXPECT_EQ(run->report().result, (nlohmann::json{{"event_set", false}, {"got", false}}));
  EXPECT_LT(run->report().wall_seconds, 60);
}

// Stepping into a sleep and then letting the lesson run: the sleep goes on for what was left of it (lesson time stood
// still while stepping), so the sleeping span lasts at least the whole sleep.
TEST_F(Replay, RunningAgainMidSleepSleepsWhatWasLeft) {
  Lesson lesson = forkscope::testing::test_lesson("short-sleep", [](LessonContext&) { forkscope::sleep(0.3); });
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  EXPECT_EQ(run->step(), "MainProcess");  // into the sleep
  ASSERT_TRUE(run->finish_replay(10));
  ASSERT_EQ(run->held().size(), 1u);
  ASSERT_TRUE(run->held()[0].asleep);
  run->set_mode(GateMode::Run);
  run->wait(10);
  const ProcessInfo& main = *run->model().process(run->main_pid());
  std::int64_t asleep_ns = 0;
  for (std::size_t i = 0; i + 1 < main.spans.size(); ++i)
    if (main.spans[i].state == ProcState::Sleeping) asleep_ns += main.spans[i + 1].begin_ns - main.spans[i].begin_ns;
  EXPECT_GE(asleep_ns, 300'000'000);
  EXPECT_LT(asleep_ns, 10'000'000'000);
}

TEST_F(Replay, BackReturnsTheTicketRaceToEachEarlierStep) {
  expect_back_to_each_state(stepping("ticket-lock", {"lock=false", "buyers=3", "tickets=1"}, 5), 24, 29);
}

TEST_F(Replay, BackReturnsProducersAndConsumersToEachEarlierStep) {
  expect_back_to_each_state(stepping("producer-consumer", {"items=3"}, 6), 24, 31);
}
