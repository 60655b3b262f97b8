// The pool lessons: what each one shows, measured in real processes (timings, concurrency, PIDs, files, the CLI's
// comparison table).
#include <fstream>
#include <regex>
#include <set>

#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::run_cli;
using forkscope::testing::run_lesson;

class PoolLessons : public CleanTest {};

// Ten 0.5 s tasks on four workers: apply takes 10 x 0.5 s, apply_async ceil(10 / 4) x 0.5 s, a ratio of 0.30.
TEST_F(PoolLessons, SyncVsAsyncAtSpeedTenIsWithinTenPercentOfTheTheoreticalRatio) {
  auto run = run_lesson("pool-sync-vs-async", {}, 10);
  const RunReport& report = run->report();
  ASSERT_EQ(report.main_exitcode, 0);
  EXPECT_TRUE(report.invariants_ok());
  const double ratio = report.result["async_seconds"].get<double>() / report.result["sync_seconds"].get<double>();
  EXPECT_NEAR(ratio, 0.30, 0.03);
  EXPECT_EQ(report.result["floor_seconds"], 1.5);
  EXPECT_EQ(report.result["sync_most_at_once"], 1);
  EXPECT_EQ(report.result["async_most_at_once"], 4);
  // Both phases on one time axis: the async phase starts where the sync phase ended.
  const auto& phases = report.result["phases"];
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0]["name"], "apply (sync)");
  EXPECT_EQ(phases[1]["name"], "apply_async (async)");
  EXPECT_LE(phases[0]["end_s"].get<double>(), phases[1]["begin_s"].get<double>());
  EXPECT_NEAR(phases[1]["seconds"].get<double>(), report.result["async_seconds"].get<double>(), 1e-9);
}

TEST_F(PoolLessons, TheCliPrintsTheComparisonTable) {
  const auto r = run_cli({"run", "pool-sync-vs-async", "--speed", "20", "--set", "tasks=6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(phase +seconds +vs floor +speed-up)"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(apply \(sync\) +3\.\d{3} +3\.\d\dx +1\.00x)"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(apply_async \(async\) +1\.\d{3} +1\.\d\dx +[23]\.\d\dx)"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(floor +1\.000)"))) << r.out;
}

TEST_F(PoolLessons, APoolOfFourBeatsAHundredProcesses) {
  auto run = run_lesson("pool-vs-process", {}, 1);
  const RunReport& report = run->report();
  EXPECT_TRUE(report.invariants_ok());
  EXPECT_GT(report.result["ratio"].get<double>(), 1.0);
  std::size_t processes = 0;
  for (const ProcessInfo& p : run->model().processes()) processes += p.name.starts_with("Process-");
  EXPECT_EQ(processes, 100u);
}

TEST_F(PoolLessons, CallbacksRunInTheMainProcessAndTasksInTheWorkers) {
  auto run = run_lesson("pool-callback", {"error=true"}, 10);
  const RunReport& report = run->report();
  EXPECT_TRUE(report.invariants_ok());
  const auto main_pid = report.result["main_pid"].get<std::int32_t>();
  EXPECT_EQ(main_pid, run->main_pid());
  EXPECT_EQ(report.result["callback_pids"], nlohmann::json(std::vector<std::int32_t>(4, main_pid)));
  const auto workers = report.result["worker_pids"].get<std::set<std::int32_t>>();
  EXPECT_FALSE(workers.empty());
  EXPECT_FALSE(workers.count(main_pid));
  // What the tutorial prints: the workers' PIDs in the task, the main PID in the callback, and the error_callback.
  std::size_t worker_lines = 0, callback_lines = 0, error_lines = 0;
  for (const PrintedLine& l : run->model().lines()) {
    if (l.text.starts_with("进程池里面的进程id ")) {
      ++worker_lines;
      EXPECT_EQ(l.text, fmt::format("进程池里面的进程id {}", l.pid));
      EXPECT_TRUE(workers.count(l.pid));
    }
    if (l.text.starts_with(">>>>>>>>>>>>> ")) {
      ++callback_lines;
      EXPECT_EQ(l.text, fmt::format(">>>>>>>>>>>>> {}", main_pid));
    }
    if (l.text.starts_with("error_callback in ")) {
      ++error_lines;
      EXPECT_EQ(l.text, fmt::format("error_callback in {}: f1 got a negative number: -1", main_pid));
    }
  }
  EXPECT_EQ(worker_lines, 4u);
  EXPECT_EQ(callback_lines, 3u);
  EXPECT_EQ(error_lines, 1u);
}

TEST_F(PoolLessons, TheEchoServerServesFourClientsAtOnceAndTheOthersWait) {
  auto run = run_lesson("pool-echo-server", {}, 10);
  const RunReport& report = run->report();
  ASSERT_EQ(report.main_exitcode, 0);
  EXPECT_TRUE(report.invariants_ok());
  EXPECT_EQ(report.result["clients"], 6);
  EXPECT_EQ(report.result["served"], 6);
  EXPECT_EQ(report.result["max_concurrent"], 4);  // never more than four, and the six clients did fill all four
  EXPECT_GE(run->model().object_named("clients_waiting")->max_value(), 2);
  // Every reply is the message in capitals, and every client got all three.
  std::size_t replies = 0;
  for (const PrintedLine& l : run->model().lines())
    if (l.text.starts_with("HELLO ")) ++replies;
  EXPECT_EQ(replies, 18u);
}

// The lanes show it too: the two clients no worker serves yet wait on a socket (in recv, for their first reply) at the
// same time, while four are served; every worker waits in recv between its client's messages.
TEST_F(PoolLessons, TheEchoServersWaitingClientsAreBlockedOnASocket) {
  auto run = run_lesson("pool-echo-server", {}, 10);
  ASSERT_EQ(run->report().main_exitcode, 0);
  const TraceModel& m = run->model();
  const ObjectInfo* served_now = m.object_named("clients_served_now");
  ASSERT_NE(served_now, nullptr);
  std::vector<StateSpan> waits;  // each client's longest wait on its socket
  for (const ProcessInfo& p : m.processes()) {
    if (!p.name.starts_with("client-")) continue;
    StateSpan longest{.begin_ns = 0, .end_ns = 0};
    for (const StateSpan& s : p.spans)
      if (s.state == ProcState::BlockedSocket && s.end_ns - s.begin_ns > longest.end_ns - longest.begin_ns) longest = s;
    waits.push_back(longest);
  }
  ASSERT_EQ(waits.size(), 6u);
  std::sort(waits.begin(), waits.end(), [](const StateSpan& a, const StateSpan& b) { return a.end_ns - a.begin_ns > b.end_ns - b.begin_ns; });
  const std::int64_t both_from = std::max(waits[0].begin_ns, waits[1].begin_ns);
  const std::int64_t both_to = std::min(waits[0].end_ns, waits[1].end_ns);
  ASSERT_LT(both_from, both_to) << "the two longest waits overlap";
  EXPECT_EQ(served_now->value_at(both_from + (both_to - both_from) / 2), 4);
  int workers_in_recv = 0;
  for (const ProcessInfo& p : m.processes())
    workers_in_recv += p.name.starts_with("ForkPoolWorker") &&
                       std::any_of(p.spans.begin(), p.spans.end(), [](const StateSpan& s) { return s.state == ProcState::BlockedSocket; });
  EXPECT_EQ(workers_in_recv, 4);
}

TEST_F(PoolLessons, TheCrawlerWritesOneLinePerPage) {
  auto run = run_lesson("pool-crawler", {"pages=7"}, 20);
  const RunReport& report = run->report();
  ASSERT_EQ(report.main_exitcode, 0) << (run->model().lines().empty() ? "" : run->model().lines().back().text);
  EXPECT_TRUE(report.invariants_ok());
  std::ifstream db(run->run_dir() / "db.txt");
  std::set<std::string> lines;
  std::size_t count = 0;
  const std::regex line(R"(url:<http://127\.0\.0\.1:\d+/page/(\d)> size:\[(\d+)\])");
  for (std::string text; std::getline(db, text); ++count) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(text, m, line)) << text;
    lines.insert(m[1]);
  }
  EXPECT_EQ(count, 7u);
  EXPECT_EQ(lines, (std::set<std::string>{"1", "2", "3", "4", "5", "6", "7"}));
  EXPECT_EQ(report.result["db_lines"], 7);
}

TEST_F(PoolLessons, CollectingAfterJoinFindsEveryResultReadyInOrder) {
  auto run = run_lesson("pool-collect", {"tasks=6"}, 20);
  const RunReport& report = run->report();
  EXPECT_TRUE(report.invariants_ok());
  EXPECT_EQ(report.result["nums"], (nlohmann::json{0, 1, 4, 9, 16, 25}));
  EXPECT_EQ(report.result["ready_after_join"], true);
  EXPECT_EQ(report.result["processes"], sysconf(_SC_NPROCESSORS_ONLN));
}
