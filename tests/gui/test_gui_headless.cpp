// forkscope as a program: headless screenshots for slides, and bad input refused with one line and exit code 2
// before any window or process exists.
#include <filesystem>
#include <fstream>

#include "gui_test_support.hpp"

using forkscope::testing::CleanTest;
using forkscope::testing::run_cli;
using forkscope::testing::run_command;
using forkscope::gui::testing::GuiTest;

namespace {

// Width and height from a PNG's header.
std::pair<int, int> png_size(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char header[24] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  auto be32 = [&](int at) { return (header[at] << 24) | (header[at + 1] << 16) | (header[at + 2] << 8) | header[at + 3]; };
  return {be32(16), be32(20)};
}

}  // namespace

class GuiHeadless : public GuiTest {};
class GuiBadInput : public CleanTest {};

TEST_F(GuiHeadless, RunsTheLessonToItsEndAndWritesTheWindow) {
  const auto file = std::filesystem::temp_directory_path() / ("forkscope-gui-test-" + std::to_string(getpid()) + ".png");
  const auto r = run_command({FORKSCOPE_GUI, "--lesson", "event-signal", "--lang", "zh", "--speed", "10", "--run",
                              "--screenshot", file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(png_size(file), std::make_pair(1280, 800));
  std::filesystem::remove(file);
}

TEST_F(GuiHeadless, ComparesTwoRunsAndReportsFrameStats) {
  const auto r = run_command({FORKSCOPE_GUI, "--lesson", "ticket-lock", "--speed", "10", "--run", "--compare-with", "lock=false",
                              "--stats", "--frames", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"fps\""), std::string::npos) << r.out;
}

TEST_F(GuiHeadless, OpensASavedTraceOnItsLesson) {
  const auto file = std::filesystem::temp_directory_path() / ("forkscope-gui-test-" + std::to_string(getpid()) + ".fstrace");
  ASSERT_EQ(run_cli({"run", "event-signal", "--speed", "10", "--json", "--save-trace", file.string()}).exit_code, 0);
  const auto r = run_command({FORKSCOPE_GUI, "--open", file.string(), "--tab", "result", "--frames", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::filesystem::remove(file);
}

// The frame benchmark's JSON names the trace it drew and a frame time per zoom level (its speed is the bench's
// business, not a test's).
TEST_F(GuiHeadless, TheFrameBenchmarkDrawsTheEventsAskedForAtEveryZoom) {
  const auto r = run_command({FORKSCOPE_GUI, "--bench-frames", "--events", "2000000", "--frames", "3", "--json"}, {}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_GE(json["events"].get<std::size_t>(), 2'000'000u);
  EXPECT_LT(json["events"].get<std::size_t>(), 2'100'000u);
  EXPECT_GT(json["frame_ms_median"].get<double>(), 0);
  std::vector<double> fractions;
  for (const auto& zoom : json["zooms"]) {
    fractions.push_back(zoom["fraction"].get<double>());
    EXPECT_GT(zoom["frame_ms_median"].get<double>(), 0);
    EXPECT_GE(zoom["frame_ms_p95"].get<double>(), zoom["frame_ms_median"].get<double>());
  }
  EXPECT_EQ(fractions, (std::vector<double>{1, 1e-1, 1e-3, 1e-5}));
}

TEST_F(GuiBadInput, OneLineAndExitCodeTwo) {
  const std::vector<std::vector<std::string>> bad = {{"--lesson", "no-such-lesson"},
                                                     {"--set", "tickets=many"},
                                                     {"--set", "buyers=1000"},
                                                     {"--set", "nosuchkey=1"},
                                                     {"--lang", "fr"},
                                                     {"--speed", "50"},
                                                     {"--compare-with", "lock=false"},
                                                     {"--open", "/nonexistent/trace.fstrace"},
                                                     {"--speed", "nan"},
                                                     {"--timeout", "nan"},
                                                     {"--scale", "nan"},
                                                     {"--hover", "nan", "1"},
                                                     {"--seed", "-1"},
                                                     {"--seed", "1e23"},
                                                     {"--open", ""},
                                                     {"--set", "tick\nets=1"},
                                                     {"--playhead", "nan"},
                                                     {"--playhead", "1"},  // no run to show at that time
                                                     {"--step-axis", "maybe"},
                                                     {"--bench-frames", "--events", "999"},
                                                     {"--bench-frames", "--events", "many"},
                                                     {"--events", "2000"},  // without --bench-frames
                                                     {"--bench-live", "--rate", "20000000"}};
  for (const auto& args : bad) {
    std::vector<std::string> argv = {FORKSCOPE_GUI, "--screenshot", "/nonexistent/x.png"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run_command(argv, {}, 30);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args.back() << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.err.starts_with("forkscope: ")) << r.err;
  }
}

// Traces that would have crashed the viewer or asked for gigabytes: refused with one line before any window exists.
TEST_F(GuiBadInput, MalformedTracesAreRefusedWithOneLine) {
  const forkscope::testing::TempDir dir;
  const auto u64 = [](std::uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), sizeof v); };
  const auto trace = [&](const std::string& header, std::uint64_t count) { return "FSTRACE1" + u64(header.size()) + header + u64(count); };
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"FSTRACE1" + u64(std::uint64_t{1} << 31), "it is truncated (16 bytes)"},
      {trace(R"({"texts":{},"meta":{}}   )", std::uint64_t{1} << 26), "it says 67108864 events but holds 0 bytes of events"},
      {trace(R"({"texts":{"1":5}})", 0), "its header's text 1 is not a string"},
      {trace(R"({"texts":{},"meta":{"lesson":5}})", 0), "the trace's summary is malformed: \"lesson\" must be a string"},
      {trace(std::string(100'000, '['), 0), "nests JSON more than 64 levels deep"}};
  for (const auto& [bytes, message] : bad) {
    const auto r = run_command({FORKSCOPE_GUI, "--open", dir.write("bad.fstrace", bytes), "--frames", "1"}, {}, 30);
    forkscope::testing::expect_one_line_error(r, 2, message);
  }
}
