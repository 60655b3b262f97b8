// Python programs under Forkscope: CPython's own multiprocessing in real processes, on the same timeline, with the
// same gate. Each test writes a small program into a temp folder and runs it there, as a student would.
#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "test_support.hpp"

namespace forkscope::testing {
namespace {

// The printed lines' texts, in order.
std::vector<std::string> texts(const TraceModel& model) {
  std::vector<std::string> out;
  for (const PrintedLine& l : model.lines()) out.emplace_back(l.text);
  return out;
}

class PythonTest : public CleanTest {
 protected:
  // `options` completed to run `source` as prog.py in a fresh folder.
  RunOptions program_options(const std::string& source, RunOptions options = {}) {
    const std::string file = dir_.write("prog.py", source);
    lesson_ = std::make_unique<Lesson>(python_program_lesson(file));
    options.lesson = lesson_.get();
    options.program = {file};
    options.program_cwd = dir_.path();
    return options;
  }

  // Runs `source` as prog.py in a fresh folder, to its end, with a deadline.
  std::unique_ptr<forkscope::Run> run_program(const std::string& source, RunOptions options = {}, double timeout = 60) {
    auto run = std::make_unique<forkscope::Run>(program_options(source, std::move(options)));
    run->wait(timeout);
    return run;
  }

  // Grants steps until the run ends, each to the held process `pick` chooses; fails past the deadline.
  static void step_to_the_end(forkscope::Run& run, const std::function<std::int32_t(const std::vector<HeldProcess>&)>& pick,
                              double timeout = 60) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
    while (!run.finished()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the stepped run did not end within " << timeout << " s";
      run.poll();
      if (run.mode() == GateMode::Step && !run.step_in_progress()) {
        const auto held = run.held();
        if (!held.empty()) run.request_step(pick(held));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  static std::int32_t longest_waiting(const std::vector<HeldProcess>&) { return 0; }


  static std::set<std::string> names(const TraceModel& model, bool threads = false) {
    std::set<std::string> out;
    for (const ProcessInfo& p : model.processes())
      if (p.thread == threads) out.insert(p.name);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Lesson> lesson_;
};

TEST_F(PythonTest, ProcessesAreNamedAsPythonNamesThemWithTheirParents) {
  auto run = run_program(R"(
import multiprocessing as mp
def grandchild(): pass
def child():
    g = mp.Process(target=grandchild); g.start(); g.join()
class Worker(mp.Process):
    def run(self): print(self.name)
def square(x): return x * x
if __name__ == '__main__':
    a = mp.Process(target=child); a.start(); a.join()
    b = Worker(); b.start(); b.join()
    c = mp.Process(target=child, name='named'); c.start(); c.join()
    with mp.Pool(2) as pool:
        print(pool.map(square, range(4)))
    with mp.Manager() as m:
        d = m.dict(); d['x'] = 1; print(d['x'])
)");
  const TraceModel& m = run->model();
  EXPECT_EQ(run->report().main_exitcode, 0);
  for (const char* name : {"MainProcess", "Process-1", "Process-1:1", "Worker-2", "named", "Process-3:1", "ForkPoolWorker-4",
                           "ForkPoolWorker-5", "SyncManager-6"})
    EXPECT_TRUE(names(m).count(name)) << name << " missing; processes: " << fmt::format("{}", fmt::join(names(m), ", "));
  const ProcessInfo* main = nullptr;
  for (const ProcessInfo& p : m.processes())
    if (p.name == "MainProcess") main = &p;
  ASSERT_NE(main, nullptr);
  std::map<std::string, std::int32_t> pid_of;
  for (const ProcessInfo& p : m.processes()) pid_of[p.name] = p.pid;
  for (const ProcessInfo& p : m.processes()) {
    if (p.name == "Process-1:1") {
      EXPECT_EQ(p.ppid, pid_of["Process-1"]);
    }
    if (p.name == "Process-1" || p.name == "ForkPoolWorker-4") {
      EXPECT_EQ(p.ppid, main->pid) << p.name;
    }
    if (!p.thread && !p.name.starts_with("ForkPoolWorker")) {
      EXPECT_EQ(p.exitcode.value_or(-100), 0) << p.name;
    }
    if (p.name.starts_with("ForkPoolWorker")) {  // the with block terminates the pool: SIGTERM, unless a worker ended first
      EXPECT_TRUE(p.exitcode == 0 || p.exitcode == -15) << p.exitcode.value_or(-100);
    }
  }
  EXPECT_EQ(texts(m), (std::vector<std::string>{"Worker-2", "[0, 1, 4, 9]", "1"}));
}

TEST_F(PythonTest, PrintedLinesKeepTheirProcessStreamAndOrder) {
  auto run = run_program(R"(
import sys, multiprocessing as mp
def child(q):
    print('child says', 1); print('to stderr', file=sys.stderr); q.put('done')
if __name__ == '__main__':
    q = mp.Queue()
    print('partial', end=''); print(' line')
    p = mp.Process(target=child, args=(q,)); p.start(); q.get(); p.join()
    sys.stdout.buffer.write(b'\xff not utf-8\n')
    print('last')
)");
  const auto& lines = run->model().lines();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].text, "partial line");
  EXPECT_EQ(lines[1].text, "child says 1");
  EXPECT_EQ(run->model().process(lines[1].pid)->name, "Process-1");
  EXPECT_FALSE(lines[1].stderr_stream);
  EXPECT_EQ(lines[2].text, "to stderr");
  EXPECT_TRUE(lines[2].stderr_stream);
  EXPECT_EQ(lines[3].text, "\\xff not utf-8");
  EXPECT_EQ(lines[4].text, "last");
}

TEST_F(PythonTest, StatesAndObjectsAreTheOnesTheProgramMade) {
  auto run = run_program(R"(
import multiprocessing as mp, time
def guest(n, sem):
    with sem:
        time.sleep(0.05)
def eater(q):
    while q.get() is not None: pass
if __name__ == '__main__':
    sem = mp.Semaphore(4)
    guests = [mp.Process(target=guest, args=(i, sem)) for i in range(10)]
    for g in guests: g.start()
    for g in guests: g.join()
    q = mp.Queue(2)
    e = mp.Process(target=eater, args=(q,)); e.start()
    for i in range(5): q.put(i)
    q.put(None); e.join()
)");
  const TraceModel& m = run->model();
  const ObjectInfo* sem = m.object_named("sem");
  ASSERT_NE(sem, nullptr);
  EXPECT_EQ(sem->min_value(), 0);  // all four taken at some point, never fewer than none
  EXPECT_EQ(sem->max_value(), 4);
  const ObjectInfo* q = m.object_named("q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->puts, 6);
  EXPECT_EQ(q->gets, 6);
  int blocked_guests = 0;
  for (const ProcessInfo& p : m.processes())
    for (const StateSpan& s : p.spans)
      if (s.state == ProcState::BlockedSemaphore && p.name.starts_with("Process-")) {
        ++blocked_guests;
        break;
      }
  EXPECT_GE(blocked_guests, 1);  // ten guests, four places: some wait
  std::size_t complete = 0;
  for (const Flow& f : m.flows()) complete += f.complete() && f.object == q->id;
  EXPECT_EQ(complete, 6u);
}

TEST_F(PythonTest, EachProcessKnowsTheLineOfTheProgramItIsAt) {
  RunOptions stepping;
  stepping.start_stepping = true;  // while stepping, every operation notes its line
  forkscope::Run run(program_options(R"(import multiprocessing as mp
def child(q):
    q.put('hello')
if __name__ == '__main__':
    q = mp.Queue()
    p = mp.Process(target=child, args=(q,))
    p.start()
    print(q.get())
    p.join()
)", stepping));
  ASSERT_NO_FATAL_FAILURE(step_to_the_end(run, longest_waiting));
  std::map<std::string, std::vector<std::int64_t>> lines;
  for (const ProcessInfo& p : run.model().processes())
    for (const Sample& s : p.source_lines) lines[p.name].push_back(s.value);
  EXPECT_EQ(lines["Process-1"], (std::vector<std::int64_t>{3}));
  EXPECT_EQ(lines["MainProcess"], (std::vector<std::int64_t>{7, 8, 9}));
}

TEST_F(PythonTest, AProcessKilledHoldingALockWedgesNoOneAndTheRecoveryShows) {
  auto run = run_program(R"(
import multiprocessing as mp, os, signal, time
def hold(lock, rlock, sem, ready):
    lock.acquire(); rlock.acquire(); rlock.acquire(); sem.acquire(); sem.acquire()
    ready.set()
    time.sleep(60)
if __name__ == '__main__':
    lock, rlock, sem, ready = mp.Lock(), mp.RLock(), mp.Semaphore(2), mp.Event()
    p = mp.Process(target=hold, args=(lock, rlock, sem, ready)); p.start()
    ready.wait()
    os.kill(p.pid, signal.SIGKILL); p.join()
    with lock, rlock, sem:
        print('recovered all three', p.exitcode)
    print(sem.get_value())
)");
  EXPECT_EQ(texts(run->model()), (std::vector<std::string>{"recovered all three -9", "2"}));
  int recovered = 0;
  for (const TraceEvent& e : run->model().events()) recovered += e.kind == EventKind::LockRecovered;
  EXPECT_EQ(recovered, 3);
}

TEST_F(PythonTest, ATokenTakenAsASignalIsNotGivenBackWhenItsTakerEndsNormally) {
  auto run = run_program(R"(
import multiprocessing as mp
def take(sem): sem.acquire()
if __name__ == '__main__':
    sem = mp.Semaphore(1)
    p = mp.Process(target=take, args=(sem,)); p.start(); p.join()
    print(sem.acquire(timeout=0.3))
)");
  EXPECT_EQ(texts(run->model()), (std::vector<std::string>{"False"}));
}

// The ticket race, stepped: three buyers read the ticket file, sleep, and write it back without a lock.
constexpr const char* kTicketProgram = R"(
import json, time
from multiprocessing import Process
def buy(name):
    with open('info') as f:
        left = json.load(f)['ticket']
    time.sleep(0.01)
    if left > 0:
        with open('info', 'w') as f:
            json.dump({'ticket': left - 1}, f)
        print(name, 'bought the ticket')
if __name__ == '__main__':
    with open('info', 'w') as f:
        json.dump({'ticket': 1}, f)
    buyers = [Process(target=buy, args=(f'buyer-{i}',)) for i in range(3)]
    for b in buyers: b.start()
    for b in buyers: b.join()
)";

// Replays `schedule` three times: each does what the recorded run did (its fingerprint: per process its operations,
// the objects' counters, the printed lines, the exit codes; not the reaping, which the fingerprint leaves out: CPython
// reaps children that have already ended whenever a process starts another, as soon as the kernel has finished them).
// Returns how far each replay got in the schedule.
std::vector<std::size_t> expect_identical_replays(RunOptions options, const Schedule& schedule, const RunFingerprint& recorded) {
  options.start_stepping = false;
  options.replay = schedule;
  std::vector<std::size_t> positions;
  for (int i = 0; i < 3; ++i) {
    forkscope::Run replay(options);
    replay.wait(60);
    EXPECT_EQ(fingerprint(replay.model()), recorded) << "replay " << i;
    positions.push_back(replay.replay_position());
  }
  return positions;
}

TEST_F(PythonTest, SteppingForcesTheTicketRaceAndASavedScheduleReplaysItExactly) {
  RunOptions options;
  options.start_stepping = true;
  options.seed = 7;
  options = program_options(kTicketProgram, options);
  Schedule schedule;
  std::vector<std::string> first_lines;
  RunFingerprint recorded;
  {
    forkscope::Run run(options);
    // Step whoever waits longest until every buyer has read the file, then let it run: all three buy.
    ASSERT_NO_FATAL_FAILURE(step_to_the_end(run, longest_waiting));
    EXPECT_EQ(run.report().main_exitcode, 0);
    schedule = run.schedule();
    first_lines = texts(run.model());
    recorded = fingerprint(run.model());
  }
  EXPECT_GE(first_lines.size(), 2u) << "stepping one at a time interleaves the sleeps: more than one buyer buys";
  EXPECT_GE(schedule.steps.size(), 6u);
  for (const std::size_t position : expect_identical_replays(options, schedule, recorded))
    EXPECT_EQ(position, schedule.steps.size());
}

// ---- the model after the tutorials' own programs ----------------------------------------------------------------

class TutorialModel : public PythonTest {
 protected:
  std::unique_ptr<forkscope::Run> run_tutorial(const std::string& file, double speed = 1) {
    lesson_ = std::make_unique<Lesson>(python_program_lesson((tutorial_programs_dir() / file).string()));
    RunOptions options;
    options.lesson = lesson_.get();
    options.program = {lesson_->id};
    options.program_in_run_dir = true;
    options.speed = speed;
    auto run = std::make_unique<forkscope::Run>(std::move(options));
    run->wait(120);
    EXPECT_EQ(run->report().main_exitcode, 0);
    return run;
  }
  static std::int64_t blocked_ns(const ProcessInfo& p, ProcState state) {
    std::int64_t total = 0;
    for (std::size_t i = 0; i < p.spans.size(); ++i)
      if (p.spans[i].state == state)
        total += (i + 1 < p.spans.size() ? p.spans[i + 1].begin_ns : p.end_ns.value_or(p.spans[i].begin_ns)) -
                 p.spans[i].begin_ns;
    return total;
  }
};

TEST_F(TutorialModel, SemaphoreLetsAtMostFourOfTheTenGuestsIn) {
  auto run = run_tutorial("t003_04_semaphore.py", 4);
  const TraceModel& m = run->model();
  const ObjectInfo* sem = nullptr;
  for (const ObjectInfo& o : m.objects())
    if (o.kind == ObjectKind::Semaphore) sem = &o;
  ASSERT_NE(sem, nullptr);
  EXPECT_EQ(sem->max_value(), 4);
  EXPECT_EQ(sem->min_value(), 0);  // four inside: the others wait
  int waited = 0, guests = 0;
  for (const ProcessInfo& p : m.processes())
    if (!p.thread && p.name.starts_with("Process-")) {
      ++guests;
      waited += blocked_ns(p, ProcState::BlockedSemaphore) > 0;
    }
  EXPECT_EQ(guests, 10);
  EXPECT_GE(waited, 6);  // ten guests, four places: at least six wait for one
}

TEST_F(TutorialModel, TheEchoServerServesFourClientsAtOnceAndTwoWaitForAWorker) {
  auto run = run_tutorial("t001_04_echo_server.py");
  const TraceModel& m = run->model();
  std::vector<std::int64_t> waits;  // each client's longest wait on its socket
  for (const ProcessInfo& p : m.processes())
    if (!p.thread && p.name.starts_with("Process-")) waits.push_back(blocked_ns(p, ProcState::BlockedSocket));
  ASSERT_EQ(waits.size(), 6u);
  std::sort(waits.begin(), waits.end());
  // Four are answered at once (milliseconds); two wait until a worker is free: about a client's 1 s session.
  EXPECT_LT(waits[3], 300'000'000) << fmt::format("{}", fmt::join(waits, " "));
  EXPECT_GT(waits[4], 600'000'000) << fmt::format("{}", fmt::join(waits, " "));
  int workers_waiting = 0;
  for (const ProcessInfo& p : m.processes())
    workers_waiting += p.name.starts_with("ForkPoolWorker") && blocked_ns(p, ProcState::BlockedSocket) > 0;
  EXPECT_EQ(workers_waiting, 4);  // between a client's messages, a worker waits in recv
}

TEST_F(TutorialModel, CallbacksRunInTheMainProcess) {
  auto run = run_tutorial("t003_13_pool_callback.py");
  const TraceModel& m = run->model();
  const ProcessInfo* main = m.process(run->main_pid());
  ASSERT_NE(main, nullptr);
  int callbacks = 0;
  for (const ProcessInfo& p : m.processes())
    for (const TaskSpan& t : p.tasks)
      if (t.label.starts_with("callback ")) {
        ++callbacks;
        EXPECT_TRUE(p.pid == main->pid || (p.thread && p.ppid == main->pid)) << p.name << " ran " << t.label;
      }
  EXPECT_GE(callbacks, 1);
  // apply_async -> task -> callback: an arrow from the submission to the worker, one from the worker to the callback.
  for (const char* queue : {"pool tasks", "pool results"}) {
    const ObjectInfo* o = m.object_named(queue);
    ASSERT_NE(o, nullptr) << queue;
    std::size_t complete = 0;
    for (const Flow& f : m.flows()) complete += f.object == o->id && f.complete();
    EXPECT_EQ(complete, 1u) << queue;
  }
}

// Producers and consumers through one Queue, stepped by a seeded random choice among the held processes: the saved
// schedule replays the same operations and output, whatever the feeder threads' timing.
// While stepping, program time is logical: a get, an event wait and a sleep of an hour each end when granted (the
// get and the wait timed out: nothing came), and no wall-clock hour passes.
TEST_F(PythonTest, WhileSteppingTimeoutsAndSleepsEndWhenGranted) {
  RunOptions options;
  options.start_stepping = true;
  forkscope::Run run(program_options(R"(
import multiprocessing as mp, queue, time
if __name__ == '__main__':
    q = mp.Queue()
    try:
        q.get(timeout=3600)
    except queue.Empty:
        print('empty')
    print(mp.Event().wait(3600))
    time.sleep(3600)
    print('slept')
)",
                                     options));
  ASSERT_NO_FATAL_FAILURE(step_to_the_end(run, longest_waiting));
  EXPECT_EQ(run.report().main_exitcode, 0);
  EXPECT_EQ(texts(run.model()), (std::vector<std::string>{"empty", "False", "slept"}));
  EXPECT_LT(run.report().wall_seconds, 60);
}

TEST_F(PythonTest, ASteppedProducerConsumerReplaysItsScheduleExactly) {
  const std::string source = R"(
import multiprocessing as mp
def producer(q, name):
    for i in range(3):
        q.put(f'{name}-{i}')
def consumer(q, name):
    while True:
        item = q.get()
        if item is None:
            break
        print(name, 'ate', item)
if __name__ == '__main__':
    q = mp.Queue()
    producers = [mp.Process(target=producer, args=(q, n)) for n in ('bun', 'tea')]
    consumers = [mp.Process(target=consumer, args=(q, n)) for n in ('ann', 'bob')]
    for p in producers + consumers: p.start()
    for p in producers: p.join()
    for c in consumers: q.put(None)
    for c in consumers: c.join()
)";
  RunOptions options;
  options.seed = 11;
  options.start_stepping = true;
  options = program_options(source, options);
  Schedule schedule;
  std::vector<std::string> first_lines;
  RunFingerprint recorded;
  {
    forkscope::Run run(options);
    std::mt19937 pick(11);
    ASSERT_NO_FATAL_FAILURE(
        step_to_the_end(run, [&](const std::vector<HeldProcess>& held) { return held[pick() % held.size()].pid; }));
    ASSERT_EQ(run.report().main_exitcode, 0);
    schedule = run.schedule();
    first_lines = texts(run.model());
    recorded = fingerprint(run.model());
  }
  ASSERT_EQ(first_lines.size(), 6u);
  expect_identical_replays(options, schedule, recorded);
}

// ---- the CLI's face --------------------------------------------------------------------------------------------

TEST_F(PythonTest, TheCliRunsAProgramWithArgumentsAndGivesItsLinesAsJson) {
  const std::string file = dir_.write("args.py", "import sys\nprint(sys.argv[1:])\nprint('oops', file=sys.stderr)\n");
  const CommandResult r = run_cli({"run", file, "--json", "--", "a", "--b"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("exitcode"), 0);
  ASSERT_EQ(j.at("lines").size(), 2u);
  EXPECT_EQ(j["lines"][0]["text"], "['a', '--b']");
  EXPECT_EQ(j["lines"][0]["stream"], "stdout");
  EXPECT_EQ(j["lines"][0]["name"], "MainProcess");
  EXPECT_EQ(j["lines"][1]["stream"], "stderr");
}

TEST_F(PythonTest, AProgramsOwnExitCodeIsSaidAndMakesTheCliExitOne) {
  const CommandResult exit3 = run_cli({"run", dir_.write("exit3.py", "import sys\nsys.exit(3)\n"), "--json"});
  expect_one_line_error(exit3, 1, "exit code 3");
  EXPECT_EQ(nlohmann::json::parse(exit3.out).at("exitcode"), 3);
  const CommandResult raised = run_cli({"run", dir_.write("raise.py", "raise ValueError('boom')\n"), "--json"});
  expect_one_line_error(raised, 1, "exit code 1");
  const auto lines = nlohmann::json::parse(raised.out).at("lines");
  EXPECT_EQ(lines.back()["text"], "ValueError: boom");
  EXPECT_EQ(lines.front()["text"], "Traceback (most recent call last):");
  for (const auto& l : lines) EXPECT_EQ(l["text"].get<std::string>().find("_boot.py"), std::string::npos) << l;
}

TEST_F(PythonTest, AProgramThatCannotRunIsBadInput) {
  expect_one_line_error(run_cli({"run", dir_.file("missing.py")}), 2, "cannot open");
  expect_one_line_error(run_cli({"run", dir_.write("syntax.py", "def f(:\n")}), 2, "SyntaxError in");
  std::filesystem::create_directory(dir_.path() / "folder.py");
  expect_one_line_error(run_cli({"run", dir_.file("folder.py")}), 2, "not a regular file");
  expect_one_line_error(run_cli({"run", "ticket-lock", "--", "x"}), 2, "are for Python programs");
}

TEST_F(PythonTest, ALessonRunsItsTutorialCodeAsWrittenInItsOwnFolder) {
  const CommandResult r = run_cli({"run", "ticket-lock", "--python", "--speed", "20", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.at("program").get<std::string>().ends_with("t002_08_ticket_lock.py"));
  int bought = 0;  // the tutorial's info file holds 3 tickets; with its lock, exactly 3 buyers get one
  for (const auto& l : j.at("lines")) bought += l["text"].get<std::string>().find("抢票成功") != std::string::npos;
  EXPECT_EQ(bought, 3) << j["lines"].dump(1);
  expect_one_line_error(run_cli({"run", "gil", "--python"}), 2, "has no tutorial code");
}

TEST_F(PythonTest, AProgramThatStartsMoreProcessesThanTheRunAllowsIsToldWhichLimit) {
  RunOptions options;
  options.limits.max_processes = 6;
  auto run = run_program(R"(
import multiprocessing as mp
if __name__ == '__main__':
    ps = [mp.Process(target=print, args=(i,)) for i in range(10)]
    for p in ps: p.start()
)", options);
  EXPECT_EQ(run->report().main_exitcode, 1);
  // The traceback's last line names the limit; the children that did start print their numbers meanwhile.
  const std::vector<std::string> lines = texts(run->model());
  EXPECT_TRUE(std::ranges::any_of(lines, [](const std::string& l) {
    return l.starts_with("RuntimeError") && l.find("at most 6 processes") != std::string::npos;
  })) << fmt::format("{}", fmt::join(lines, "\n"));
}

TEST_F(PythonTest, AProgramThatNeverEndsIsStoppedAtTheDeadlineWithNothingLeft) {
  const std::string file = dir_.write("forever.py", R"(
import multiprocessing as mp, time
def spin():
    while True: time.sleep(0.01)
if __name__ == '__main__':
    ps = [mp.Process(target=spin) for _ in range(3)]
    for p in ps: p.start()
    for p in ps: p.join()
)");
  const CommandResult r = run_cli({"run", file, "--timeout", "1"});
  expect_one_line_error(r, 3, "did not finish within 1 s");
}

TEST_F(PythonTest, AProgramBlockedForEverIsStuckNotHung) {
  const CommandResult r = run_cli({"run", dir_.write("stuck.py", R"(
import multiprocessing as mp
if __name__ == '__main__':
    e = mp.Event()
    e.clear()
    e.wait()
)")});
  expect_one_line_error(r, 3, "was stuck");
  EXPECT_NE(r.err.find("Event 'e'"), std::string::npos) << r.err;
}

// CPython's own Locks, taken in opposite orders: the run ends with the cycle, named as the program names its locks.
TEST_F(PythonTest, TwoLocksTakenInOppositeOrdersAreADeadlockCycle) {
  const CommandResult r = run_cli({"run", dir_.write("two_locks.py", R"(
import multiprocessing as mp

def take(first, second, mine, other):
    with first:
        mine.set()
        other.wait()
        with second:
            pass

if __name__ == '__main__':
    a = mp.Lock()
    b = mp.Lock()
    a_taken = mp.Event()
    b_taken = mp.Event()
    p1 = mp.Process(target=take, args=(a, b, a_taken, b_taken))
    p2 = mp.Process(target=take, args=(b, a, b_taken, a_taken))
    p1.start(); p2.start()
    p1.join(); p2.join()
)"), "--json"});
  expect_one_line_error(r, 3, "was stuck: deadlock: Process-1 waits to acquire Lock 'b' held by Process-2; Process-2 "
                              "waits to acquire Lock 'a' held by Process-1");
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["deadlock"]["cycle"].size(), 2u);
  EXPECT_EQ(j["deadlock"]["cycle"][0]["object_name"], "b");
  EXPECT_EQ(j["deadlock"]["cycle"][1]["holder"], "Process-1");
}

}  // namespace
}  // namespace forkscope::testing
