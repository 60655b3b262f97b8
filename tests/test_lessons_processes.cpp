// The process and queue lessons of issue 5: each one reproduces its tutorial's outcome (what it prints, who waits
// for whom, how long it takes) with real processes, and its invariants hold.
#include "lesson_expectations.hpp"
#include "lesson_support.hpp"
#include "registry.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::expect_clean_run;
using forkscope::testing::run_lesson;

namespace {

// The texts one process printed, in order.
std::vector<std::string> texts_of(const Run& run, std::string_view process) {
  std::vector<std::string> texts;
  if (const ProcessInfo* p = scenarios::process_named(run.model(), process))
    for (const PrintedLine& l : scenarios::lines_in_order(run.model(), p->pid)) texts.emplace_back(l.text);
  return texts;
}

}  // namespace

class ProcessLessons : public CleanTest {};

TEST_F(ProcessLessons, AreListedUnderTheirTopics) {
  for (const char* id : {"process-create", "process-join", "process-control", "memory-isolation", "daemon"})
    EXPECT_EQ(scenarios::find(id)->topic, "processes") << id;
  for (const char* id : {"queue-basics", "joinable-queue"}) EXPECT_EQ(scenarios::find(id)->topic, "queues") << id;
}

TEST_F(ProcessLessons, ProcessCreateRunsATargetAKwargsTargetAndASubclass) {
  auto run = run_lesson("process-create", {}, 50);
  expect_clean_run(*run);
  EXPECT_EQ(texts_of(*run, "Process-1"), (std::vector<std::string>{"egon is running", "egon is over"}));
  EXPECT_EQ(texts_of(*run, "worker"), (std::vector<std::string>{"alex is running", "alex is over"}));
  EXPECT_EQ(texts_of(*run, "tank"), (std::vector<std::string>{"tank is running", "tank is end"}));
  EXPECT_EQ(texts_of(*run, "MainProcess"), std::vector<std::string>{"主进程"});
  // start() did not wait: the main process printed before the first child ended.
  const auto main_line = scenarios::printed_at(run->model(), "主进程");
  ASSERT_TRUE(main_line.has_value());
  EXPECT_LT(*main_line, *scenarios::process_named(run->model(), "Process-1")->end_ns);
}

TEST_F(ProcessLessons, JoiningThreeChildrenTakesTheLongestSleepNotTheSum) {
  auto run = run_lesson("process-join", {}, 20);
  expect_clean_run(*run);
  const auto& r = run->report().result;
  EXPECT_GE(r["total_seconds"].get<double>(), 2.0);
  EXPECT_LT(r["total_seconds"].get<double>(), 3.0);
  EXPECT_TRUE(r["alive_after_timed_join"]);
  EXPECT_GE(r["timed_join_seconds"].get<double>(), 1.0);
  EXPECT_LT(r["timed_join_seconds"].get<double>(), 3.0);
  EXPECT_EQ(texts_of(*run, "Process-3"), std::vector<std::string>{"子进程2 is running"});
}

TEST_F(ProcessLessons, TerminateEndsTheChildWithMinusFifteen) {
  // Speed 1: "a moment later" is a real 0.1 s, as in the tutorial.
  auto run = run_lesson("process-control", {"task_seconds=0.3"}, 1);
  expect_clean_run(*run);
  const auto& r = run->report().result;
  EXPECT_EQ(r["exitcode"], -15);
  EXPECT_FALSE(r["alive_a_moment_later"]);
  EXPECT_EQ(r["p2_getpid"], r["p2_pid"]);
  EXPECT_EQ(r["p2_getppid"], r["main_pid"]);
  EXPECT_EQ(scenarios::process_named(run->model(), "Process-1")->exitcode, -15);
  for (const std::string& line : texts_of(*run, "Process-1")) EXPECT_FALSE(line.ends_with("is over")) << line;
}

TEST_F(ProcessLessons, TheChildsWriteStaysInTheChild) {
  auto run = run_lesson("memory-isolation", {}, 50);
  expect_clean_run(*run);
  EXPECT_EQ(run->report().result["child_x"], 20);
  EXPECT_EQ(run->report().result["parent_x"], 100);
  EXPECT_EQ(texts_of(*run, "Process-1").front(), "子进程 20");
  EXPECT_EQ(texts_of(*run, "MainProcess").front(), "主进程 100");

  auto other = run_lesson("memory-isolation", {"child_value=7"}, 50);
  expect_clean_run(*other);
  EXPECT_EQ(other->report().result["child_x"], 7);
  EXPECT_EQ(other->report().result["parent_x"], 100);
}

TEST_F(ProcessLessons, ADaemonDiesWithTheMainProcessAndANonDaemonIsWaitedFor) {
  auto daemon = run_lesson("daemon", {}, 50);
  expect_clean_run(*daemon);
  EXPECT_FALSE(daemon->report().result["daemon_finished"]);
  EXPECT_EQ(texts_of(*daemon, "MainProcess"), std::vector<std::string>{"主进程正在结束"});
  EXPECT_EQ(scenarios::process_named(daemon->model(), "Process-1")->exitcode, -15);

  auto waited = run_lesson("daemon", {"daemon=false"}, 50);
  expect_clean_run(*waited);
  EXPECT_TRUE(waited->report().result["daemon_finished"]);
  EXPECT_EQ(texts_of(*waited, "Process-1"), (std::vector<std::string>{"egon总管正活着", "egon总管正常结束"}));
  EXPECT_EQ(scenarios::process_named(waited->model(), "Process-1")->exitcode, 0);
}

TEST_F(ProcessLessons, QueueBasicsBlocksWhenFullAndComesOutFirstInFirstOut) {
  auto run = run_lesson("queue-basics", {}, 50);
  expect_clean_run(*run);
  const auto& r = run->report().result;
  EXPECT_TRUE(r["full"]);
  EXPECT_TRUE(r["empty"]);
  EXPECT_EQ(r["got"], (nlohmann::json{1, 2, 3, 4, 5}));
  EXPECT_GE(r["blocked_put_seconds"].get<double>(), 1.8);
  const auto main_lines = texts_of(*run, "MainProcess");
  ASSERT_GE(main_lines.size(), 3u);
  EXPECT_EQ(main_lines[0], "False");  // full() after three puts
  EXPECT_EQ(main_lines[1], "True");   // full() after five
  EXPECT_EQ(main_lines[2], "q.put(6) 等了 2 秒还是放不进去: queue.Full");
  EXPECT_EQ(texts_of(*run, "Process-2").back(), "你好");

  auto small = run_lesson("queue-basics", {"maxsize=3", "wait_seconds=0.5"}, 50);
  expect_clean_run(*small);
  EXPECT_EQ(small->report().result["got"], (nlohmann::json{1, 2, 3}));
}

TEST_F(ProcessLessons, JoinableQueueCooksReturnOnlyWhenEverythingWasEaten) {
  auto run = run_lesson("joinable-queue", {}, 50);
  expect_clean_run(*run);
  EXPECT_EQ(run->report().result["eaten"], 6);
  EXPECT_EQ(run->report().result["eaters_terminated"], 2);
  EXPECT_EQ(texts_of(*run, "MainProcess"), std::vector<std::string>{"主"});

  auto more = run_lesson("joinable-queue", {"items=4", "max_delay=2"}, 50);
  expect_clean_run(*more);
  EXPECT_EQ(more->report().result["eaten"], 12);
}

TEST_F(ProcessLessons, TheCliShowsTheDaemonsMissingLine) {
  const auto r = forkscope::testing::run_cli({"run", "daemon", "--speed", "50"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("» 主进程正在结束"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("egon总管正常结束"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("killed by signal 15"), std::string::npos) << r.out;
}
