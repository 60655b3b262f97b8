// forkscope-cli refusing what it must not accept, and never failing a write silently: every bad value is one line and
// exit code 2 that says what is allowed; every failed write is one line naming the file and the system's reason, and
// exit code 3.
#include <unistd.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::CommandResult;
using forkscope::testing::expect_one_line_error;
using forkscope::testing::run_cli;
using forkscope::testing::TempDir;

namespace {

std::string schedule_json(const std::string& lesson, const std::string& params, const std::string& seed, const std::string& steps) {
  return fmt::format(R"({{"format": "forkscope-schedule-1", "lesson": "{}", "params": {}, "seed": {}, "steps": {}}})", lesson,
                     params, seed, steps);
}

std::string many_steps(std::size_t n) {
  std::string steps = "[";
  for (std::size_t i = 0; i < n; ++i) steps += i ? ",\"MainProcess\"" : "\"MainProcess\"";
  return steps + "]";
}

}  // namespace

class CliInputs : public CleanTest {};

TEST_F(CliInputs, ASeedIsAnUnsignedDecimalIntegerOrRefused) {
  for (const char* seed : {"-1", "18446744073709551616", "1e23", "0x10", "1.5"})
    expect_one_line_error(run_cli({"run", "ticket-lock", "--seed", seed}), 2,
                          fmt::format("--seed must be an integer from 0 to 18446744073709551615 in decimal digits, got '{}'", seed));
  const CommandResult top = run_cli({"run", "event-signal", "--speed", "50", "--seed", "18446744073709551615", "--json"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(nlohmann::json::parse(top.out)["seed"].get<std::uint64_t>(), 18446744073709551615ull);
}

TEST_F(CliInputs, NumbersMustBeFiniteAndInRange) {
  for (const char* speed : {"nan", "inf", "-inf", "1e9"})
    expect_one_line_error(run_cli({"run", "ticket-lock", "--speed", speed}), 2, "--speed must be a number from 0.01 to 1000, got");
  for (const char* timeout : {"nan", "inf", "-1", "0"})
    expect_one_line_error(run_cli({"run", "ticket-lock", "--timeout", timeout}), 2,
                          "--timeout (seconds) must be a number from 0.001 to 1000000, got");
}

TEST_F(CliInputs, FileOptionsNeedAFileName) {
  for (const char* option : {"--trace-out", "--save-trace", "--save-schedule", "--schedule"})
    expect_one_line_error(run_cli({"run", "ticket-lock", option, ""}), 2, fmt::format("{} needs a file name; it was given an empty one", option));
  // CLI11 would take the next option as the file: nothing named "--json" may appear.
  expect_one_line_error(run_cli({"run", "ticket-lock", "--trace-out=", "--json"}), 2, "--trace-out needs a file name, got '--json'");
}

TEST_F(CliInputs, ErrorsAboutUserTextStayOnOneLine) {
  expect_one_line_error(run_cli({"run", "ticket-lock", "--set", "tick\nets=1"}), 2, "unknown parameter 'tick\\nets'");
  expect_one_line_error(run_cli({"run", "no\nsuch\x1b[31m"}), 2, "unknown lesson 'no\\nsuch\\x1b[31m'");
}

TEST_F(CliInputs, ASchedulesTypesAreChecked) {
  const TempDir dir;
  const auto refused = [&](const std::string& text, const std::string& message) {
    expect_one_line_error(run_cli({"run", "ticket-lock", "--schedule", dir.write("schedule.json", text)}), 2, message);
  };
  refused(schedule_json("ticket-lock", "\"x\"", "1", "[]"), "\"params\" must be an object of KEY: value");
  refused(schedule_json("ticket-lock", "{}", "-1", "[]"), "\"seed\" must be an integer from 0 to 18446744073709551615");
  refused(schedule_json("ticket-lock", "{}", "1.5", "[]"), "\"seed\" must be an integer from 0 to 18446744073709551615");
  refused(schedule_json("ticket-lock", "{}", "1", "\"MainProcess\""), "\"steps\" must be an array of process names");
  refused(schedule_json("ticket-lock", "{\"tickets\": 1000}", "1", "[]"), "tickets must be an integer from 0 to 100");
  refused(schedule_json("ticket-lock", "{\"price\": 1}", "1", "[]"), "unknown parameter 'price'");
  refused(schedule_json("no-such-lesson", "{}", "1", "[]"), "the schedule is for lesson 'no-such-lesson', not 'ticket-lock'");
  refused("[1, 2]", "it is not a Forkscope schedule");
  refused(std::string(100'000, '['), "nests JSON more than 64 levels deep");
  expect_one_line_error(run_cli({"run", "ticket-lock", "--schedule", dir.path().string()}), 2, "it is a directory");
}

TEST_F(CliInputs, AScheduleNamesOnlyProcessesThatCanExist) {
  const TempDir dir;
  const auto refused = [&](const std::string& steps, const std::string& message) {
    const std::string file = dir.write("schedule.json", schedule_json("ticket-lock", "{}", "1", steps));
    expect_one_line_error(run_cli({"run", "ticket-lock", "--speed", "100", "--schedule", file}, {}, 60), 2, message);
  };
  refused("[\"\"]", "step 1 is \"\", not a process name (MainProcess, Process-N");
  refused("[\"MainProcess\", \"Process-0\"]", "step 2 is \"Process-0\", not a process name");
  refused("[\"Process-1:x\"]", "step 1 is \"Process-1:x\", not a process name");
  refused("[\"two words\"]", "step 1 is \"two words\", not a process name");
  refused(many_steps(100'001), "it has 100001 steps; at most 100000 are allowed");
  // Well formed, but ticket-lock never makes a 99th buyer: refused as soon as every process waits for it.
  refused("[\"MainProcess\", \"Process-99\"]", "the schedule's step 2 is 'Process-99', but no process has that name");
}

TEST_F(CliInputs, AFailedWriteIsExitCodeThreeAndOneLine) {
  for (const auto& [option, what] : {std::pair{"--save-schedule", "schedule"}, std::pair{"--save-trace", "trace"},
                                     std::pair{"--trace-out", "Chrome trace"}})
    expect_one_line_error(run_cli({"run", "event-signal", "--speed", "50", "--json", option, "/dev/full"}), 3,
                          fmt::format("writing the {} to /dev/full failed: No space left on device (ENOSPC)", what));
  // What --json prints can fail too: standard output on a full device.
  const CommandResult json = forkscope::testing::run_command(
      {"/bin/sh", "-c", fmt::format("exec {} run event-signal --speed 50 --json >/dev/full", FORKSCOPE_CLI)});
  expect_one_line_error(json, 3, "writing to standard output failed: No space left on device (ENOSPC)");
}

TEST_F(CliInputs, AnUnwritableDirectoryIsExitCodeThreeAndLeavesNothing) {
  const TempDir dir;
  const std::string missing = dir.file("no-such-dir/trace.fstrace");
  expect_one_line_error(run_cli({"run", "event-signal", "--speed", "50", "--json", "--save-trace", missing}), 3,
                        fmt::format("writing the trace to {} failed: No such file or directory (ENOENT)", missing));

  // A directory this user may not write in: root may write anywhere, so root asks nobody to try.
  const std::string cli = FORKSCOPE_CLI;
  const std::string target = dir.file("schedule.json");
  CommandResult r;
  if (getuid() == 0) {
    if (std::system("command -v runuser >/dev/null") != 0 || std::system(("runuser -u nobody -- test -x " + cli).c_str()) != 0)
      GTEST_SKIP() << "needs runuser, and a forkscope-cli that nobody may run";
    r = forkscope::testing::run_command({"/usr/sbin/runuser", "-u", "nobody", "--", cli, "run", "event-signal", "--speed",
                                         "50", "--json", "--save-schedule", target});  // the directory is 0700, root's
  } else {
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    r = run_cli({"run", "event-signal", "--speed", "50", "--json", "--save-schedule", target});
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
  }
  expect_one_line_error(r, 3, fmt::format("writing the schedule to {} failed: Permission denied (EACCES)", target));
  EXPECT_TRUE(dir.names().empty()) << "no partial file, no temporary file";
}
