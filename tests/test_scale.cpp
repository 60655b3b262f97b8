// Traces at scale, for correctness (speed is the bench's: `forkscope-cli bench --scale`): a thousand real processes
// lose nothing, a streamed Chrome trace of a million events is whole, ten million events round-trip through .fstrace.
#include <cstring>
#include <fstream>
#include <map>

#include "forkscope/synthetic_trace.hpp"
#include "forkscope/trace_file.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;

class Scale : public CleanTest {};

// bench-lossless, the lesson the bench's lossless row runs: 1,000 processes released together, 10,000 numbered
// marks each, drained live with the default limits and rings. Every mark arrives, each process's in the order written.
TEST_F(Scale, AThousandProcessesOfTenThousandEventsArriveCompleteAndInOrder) {
  const auto run = forkscope::testing::run_lesson("bench-lossless", {"processes=1000", "events=10000"}, 1.0, 120);
  const RunReport& report = run->report();
  ASSERT_EQ(report.main_exitcode, 0);
  EXPECT_EQ(report.lost_events, 0u);
  EXPECT_EQ(report.result["lost_events"], 0);
  EXPECT_EQ(report.result["arrived_events"], 10'000'000);
  EXPECT_EQ(report.result["order_kept"], true);
  EXPECT_EQ(report.result["lossless_processes"], 1000);
  int writers = 0;
  for (const ProcessInfo& p : run->model().processes()) {
    if (p.name == "MainProcess") continue;
    ++writers;
    EXPECT_EQ(p.exitcode, 0) << p.name;
  }
  EXPECT_EQ(writers, 1000);
}

// A run that needs more processes than its session has is one error that names the limit (a viewer that expects them
// raises SessionLimits::max_processes, as the bench does), and nothing is left behind.
TEST_F(Scale, MoreProcessesThanTheSessionsLimitIsOneErrorNamingIt) {
  const auto run = forkscope::testing::run_lesson("bench-lossless", {"processes=1030", "events=1"}, 1.0, 120);
  EXPECT_NE(run->report().main_exitcode, 0);
  std::string errors;
  for (const PrintedLine& l : run->model().lines())
    if (l.error) errors += fmt::format("{}\n", l.text);
  EXPECT_NE(errors.find("at most 1024 processes (SessionLimits::max_processes"), std::string::npos) << errors;
}

namespace {

// Counts a Chrome trace's events by phase and process while parsing it (SAX: no document of a million events in
// memory), so the test checks the file as a reader of the format sees it.
struct ChromeCounter : nlohmann::json::json_sax_t {
  std::map<std::string, std::int64_t> by_phase;
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> by_phase_and_pid;
  std::string display_time_unit;

  bool key(string_t& k) override {
    last_key = k;
    return true;
  }
  bool string(string_t& s) override {
    if (depth == 3 && last_key == "ph") ph = s;
    if (depth == 1 && last_key == "displayTimeUnit") display_time_unit = s;
    return true;
  }
  bool number_integer(number_integer_t n) override { return number(n); }
  bool number_unsigned(number_unsigned_t n) override { return number(static_cast<std::int64_t>(n)); }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    if (++depth == 3) ph.clear(), pid = -1;
    return true;
  }
  bool end_object() override {
    if (depth-- == 3) {
      ++by_phase[ph];
      ++by_phase_and_pid[{ph, pid}];
    }
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth;
    return true;
  }
  bool end_array() override {
    --depth;
    return true;
  }
  bool parse_error(std::size_t at, const std::string&, const nlohmann::detail::exception& e) override {
    ADD_FAILURE() << "not JSON at byte " << at << ": " << e.what();
    return false;
  }

 private:
  bool number(std::int64_t n) {
    if (depth == 3 && last_key == "pid") pid = n;
    return true;
  }
  int depth = 0;  // 1: the document, 2: traceEvents, 3: an event
  std::string last_key, ph;
  std::int64_t pid = -1;
};

}  // namespace

TEST_F(Scale, AStreamedChromeTraceOfAMillionEventsParsesWithTheRightCounts) {
  const TraceModel model = synthetic_trace(1'000'000);
  ASSERT_GE(model.events().size(), 1'000'000u);
  const forkscope::testing::TempDir dir;
  const std::string file = dir.file("million.json");
  save_chrome_trace(model, file);

  std::ifstream in(file, std::ios::binary);
  ChromeCounter counted;
  ASSERT_TRUE(nlohmann::json::sax_parse(in, &counted));
  EXPECT_EQ(counted.display_time_unit, "ms");

  std::map<std::pair<std::string, std::int64_t>, std::int64_t> expected;  // phase and pid
  std::int64_t instants = 0, counters = 0, flows = 0;
  for (const ProcessInfo& p : model.processes()) {
    expected[{"M", p.pid}] = 2;  // its process name and its thread name
    for (const StateSpan& s : p.spans) expected[{"X", p.pid}] += s.state != ProcState::Exited;
  }
  for (const TraceEvent& e : model.events())
    if (e.pid != kViewerPid && e.kind != EventKind::GateGranted && e.kind != EventKind::Preempted) {
      ++expected[{"i", e.pid}];
      ++instants;
    }
  for (const ObjectInfo& o : model.objects())
    if (o.kind != ObjectKind::Lock && o.kind != ObjectKind::RLock) counters += static_cast<std::int64_t>(o.samples.size());
  for (const Flow& f : model.flows()) flows += f.complete();
  ASSERT_GT(counters, 0);
  ASSERT_GT(flows, 0);

  EXPECT_EQ(counted.by_phase["M"], 2 * static_cast<std::int64_t>(model.processes().size()));
  EXPECT_EQ(counted.by_phase["i"], instants);
  EXPECT_EQ(counted.by_phase["C"], counters);
  EXPECT_EQ(counted.by_phase["s"], flows);
  EXPECT_EQ(counted.by_phase["f"], flows);
  for (const auto& [what, n] : expected) EXPECT_EQ(counted.by_phase_and_pid[what], n) << what.first << " of pid " << what.second;
}

// Ten million events saved and loaded back: the same events, texts, lanes, series, flows and lines.
TEST_F(Scale, TenMillionEventsRoundTripThroughFstraceIdentically) {
  const TraceModel saved = synthetic_trace(10'000'000);
  ASSERT_GE(saved.events().size(), 10'000'000u);
  const forkscope::testing::TempDir dir;
  const std::string file = dir.file("ten-million.fstrace");
  save_trace(saved, {{"lesson", "synthetic"}}, file);
  nlohmann::json meta;
  const TraceModel loaded = load_trace(file, &meta);
  EXPECT_EQ(meta["lesson"], "synthetic");

  ASSERT_EQ(loaded.events().size(), saved.events().size());
  const auto differs = std::mismatch(saved.events().begin(), saved.events().end(), loaded.events().begin());
  EXPECT_EQ(differs.first, saved.events().end()) << "event " << (differs.first - saved.events().begin()) << " differs";
  EXPECT_EQ(loaded.texts(), saved.texts());
  ASSERT_EQ(loaded.processes().size(), saved.processes().size());
  for (std::size_t i = 0; i < saved.processes().size(); ++i) {
    const ProcessInfo &a = saved.processes()[i], &b = loaded.processes()[i];
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.spans.size(), a.spans.size()) << a.name;
    EXPECT_EQ(b.holds.size(), a.holds.size()) << a.name;
    EXPECT_EQ(b.exitcode, a.exitcode) << a.name;
  }
  ASSERT_EQ(loaded.objects().size(), saved.objects().size());
  for (std::size_t i = 0; i < saved.objects().size(); ++i) {
    EXPECT_EQ(loaded.objects()[i].name, saved.objects()[i].name);
    ASSERT_EQ(loaded.objects()[i].samples.size(), saved.objects()[i].samples.size());
    EXPECT_TRUE(std::equal(loaded.objects()[i].samples.begin(), loaded.objects()[i].samples.end(),
                           saved.objects()[i].samples.begin()));
  }
  EXPECT_EQ(loaded.flows().size(), saved.flows().size());
  EXPECT_EQ(loaded.lines().size(), saved.lines().size());
  EXPECT_EQ(loaded.end_ns(), saved.end_ns());
}
