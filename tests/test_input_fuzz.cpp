// Schedules and .fstrace files from anywhere: truncated at every length, bit-flipped, with huge sizes, counts and item
// numbers, wrong JSON types, deep nesting, events out of time order. Each is loaded in a forked child whose address
// space is capped: it must be refused with a UsageError (or, for some bit flips, load), never crash, never ask for
// gigabytes, and never take long.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/trace_file.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::InlineRun;
using forkscope::testing::TempDir;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kCapAddressSpace = false;  // the sanitizers reserve terabytes of address space up front
#else
constexpr bool kCapAddressSpace = true;
#endif
constexpr rlim_t kAddressSpaceCap = 512ull << 20;  // what a loader may map in all, the test binary included
#if defined(__SANITIZE_ADDRESS__)
constexpr long kMaxRssGrowthKib = (128 + 256) << 10;  // ASan keeps up to 256 MiB of freed memory in quarantine
#else
constexpr long kMaxRssGrowthKib = 128 << 10;        // what the loads together may touch
#endif
constexpr double kMaxSecondsPerCase = 2.0;

struct Case {
  std::string name;
  std::string bytes;
  bool may_load = false;  // a flipped bit can leave a valid file
};

struct Tally {
  std::size_t refused = 0, loaded = 0;
};

// Loads every case in a forked child with a capped address space and reports "ok <refused> <loaded>" or what went
// wrong, through a pipe. A crash or a deadline shows as the child's status.
std::string load_in_bounded_child(const std::vector<Case>& cases, const std::function<void(const std::string&)>& load,
                                  const TempDir& dir, Tally& tally) {
  int report[2];
  if (pipe(report) != 0) return "pipe failed";
  const pid_t child = fork();
  if (child < 0) return "fork failed";
  if (child == 0) {
    close(report[0]);
    const auto say = [&](const std::string& text) {
      (void)!write(report[1], text.data(), text.size());
      _exit(0);
    };
    if (kCapAddressSpace) {
      const rlimit cap{kAddressSpaceCap, kAddressSpaceCap};
      if (setrlimit(RLIMIT_AS, &cap) != 0) say("setrlimit failed");
    }
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    const std::string file = dir.file("case");
    Tally counted;
    for (const Case& c : cases) {
      std::filesystem::remove(file);  // a new file, not a truncated one: rewriting in place costs ext4 a flush
      dir.write("case", c.bytes);
      const auto start = std::chrono::steady_clock::now();
      try {
        load(file);
        if (!c.may_load) say(fmt::format("{}: loaded, but it must be refused", c.name));
        ++counted.loaded;
      } catch (const UsageError& e) {
        if (std::strchr(e.what(), '\n') != nullptr) say(fmt::format("{}: a message of several lines", c.name));
        ++counted.refused;
      } catch (const std::exception& e) {
        say(fmt::format("{}: {} instead of a UsageError", c.name, e.what()));
      }
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      if (took.count() > kMaxSecondsPerCase) say(fmt::format("{}: took {:.1f} s", c.name, took.count()));
    }
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    if (after.ru_maxrss - before.ru_maxrss > kMaxRssGrowthKib)
      say(fmt::format("the loads grew the resident set by {} MiB", (after.ru_maxrss - before.ru_maxrss) >> 10));
    say(fmt::format("ok {} {}", counted.refused, counted.loaded));
  }
  close(report[1]);
  const int status = forkscope::testing::wait_child(child, 60);
  std::string text(4096, '\0');
  const ssize_t n = read(report[0], text.data(), text.size());
  close(report[0]);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  if (status != 0) return fmt::format("the loading child ended with status {} (a crash, or past its deadline); it said '{}'", status, text);
  if (std::sscanf(text.c_str(), "ok %zu %zu", &tally.refused, &tally.loaded) != 2) return text;
  return {};
}

std::size_t must_refuse(const std::vector<Case>& cases) {
  return static_cast<std::size_t>(std::count_if(cases.begin(), cases.end(), [](const Case& c) { return !c.may_load; }));
}

// Every case refused (or loaded, where allowed) in the bounded child; prints how many and how long.
void expect_every_case_handled(const std::vector<Case>& cases, const std::function<void(const std::string&)>& load,
                               const TempDir& dir, const char* what) {
  Tally tally;
  const auto start = std::chrono::steady_clock::now();
  const std::string failure = load_in_bounded_child(cases, load, dir, tally);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(failure, "");
  EXPECT_EQ(tally.refused + tally.loaded, cases.size());
  EXPECT_GE(tally.refused, must_refuse(cases));
  std::printf("%zu %s cases (%zu refused, %zu loaded after a harmless flip) in %.2f s\n", cases.size(), what, tally.refused,
              tally.loaded, took.count());
}

std::string with_u64_at(std::string bytes, std::size_t at, std::uint64_t value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
  return bytes;
}

std::string u64_bytes(std::uint64_t value) { return with_u64_at(std::string(8, '\0'), 0, value); }

// A trace file around a header and events, as save_trace lays it out.
std::string trace_bytes(const std::string& header, const std::vector<TraceEvent>& events) {
  std::string bytes = "FSTRACE1" + u64_bytes(header.size()) + header + u64_bytes(events.size());
  bytes.append(reinterpret_cast<const char*>(events.data()), events.size() * sizeof(TraceEvent));
  return bytes;
}

// Every length below the whole, or a stride through them plus every length of the fixed fields.
void add_truncations(std::vector<Case>& cases, const std::string& whole, std::size_t max_cases) {
  const std::size_t stride = std::max<std::size_t>(1, whole.size() / max_cases);
  for (std::size_t n = 0; n < whole.size(); n += n < 64 ? 1 : stride)
    cases.push_back({fmt::format("truncated to {} bytes", n), whole.substr(0, n)});
}

void add_bit_flips(std::vector<Case>& cases, const std::string& whole, int count, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<std::size_t> position(0, whole.size() * 8 - 1);
  for (int i = 0; i < count; ++i) {
    std::string flipped = whole;
    const std::size_t bit = position(random);
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    cases.push_back({fmt::format("bit {} flipped", bit), flipped, true});
  }
}

// A small real trace: a child puts five items, the main gets them.
std::string real_trace(const TempDir& dir) {
  InlineRun run(forkscope::testing::five_items_through_a_queue);
  save_trace(run.model(), {{"lesson", "inline-test"}}, dir.file("real.fstrace"));
  std::ifstream in(dir.file("real.fstrace"), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

class InputFuzz : public CleanTest {};

TEST_F(InputFuzz, TracesAreRefusedWithinBoundedMemoryAndTime) {
  const TempDir dir;
  const std::string whole = real_trace(dir);
  const auto head_size = [&] {
    std::uint64_t n = 0;
    std::memcpy(&n, whole.data() + 8, sizeof n);
    return static_cast<std::size_t>(n);
  }();
  const std::size_t count_at = 16 + head_size;
  const std::size_t events_at = count_at + 8;
  const std::size_t event_count = (whole.size() - events_at) / sizeof(TraceEvent);
  ASSERT_GT(event_count, 20u);

  std::vector<Case> cases;
  add_truncations(cases, whole, 2000);
  add_bit_flips(cases, whole, 3000, 20240601);
  for (const std::uint64_t size : {std::uint64_t{1} << 31, std::uint64_t{1} << 32, std::uint64_t{1} << 63, whole.size(), UINT64_MAX})
    cases.push_back({fmt::format("header size {}", size), with_u64_at(whole, 8, size)});
  for (const std::uint64_t count : {std::uint64_t{1} << 26, std::uint64_t{1} << 32, UINT64_MAX, event_count + 1, event_count - 1})
    cases.push_back({fmt::format("event count {}", count), with_u64_at(whole, count_at, count)});
  cases.push_back({"16 bytes: a header of 2 GiB", "FSTRACE1" + u64_bytes(std::uint64_t{1} << 31)});
  const std::string small_header = R"({"texts":{},"meta":{}}   )";  // 25 bytes: a 49-byte file
  cases.push_back({"49 bytes: 2^26 events", "FSTRACE1" + u64_bytes(small_header.size()) + small_header + u64_bytes(1u << 26)});
  // Item numbers: a put and a get of one queue, numbered far beyond what two events justify.
  for (const std::uint64_t item : {std::uint64_t{1} << 28, std::uint64_t{1} << 32, UINT64_MAX}) {
    std::vector<TraceEvent> events = {
        {1, 7, EventKind::ObjectNew, Phase::Done, 1, 0, pack_arg(8, static_cast<std::uint32_t>(ObjectKind::Queue))},
        {2, 7, EventKind::QueuePut, Phase::Done, 1, 0, item},
        {3, 7, EventKind::QueueGet, Phase::Done, 1, 0, item}};
    cases.push_back({fmt::format("item number {}", item), trace_bytes(R"({"texts":{"8":"q"}})", events)});
  }
  // Wrong JSON types and shapes in the header, and deep nesting.
  for (const char* header : {"[]", "\"x\"", R"({"meta":{}})", R"({"texts":[]})", R"({"texts":{"1":5}})", R"({"texts":{"x":"a"}})",
                             R"({"texts":{"-1":"a"}})", R"({"texts":{},"meta":3})", "{\"texts\":{}", "nul"})
    cases.push_back({fmt::format("header {}", header), trace_bytes(header, {})});
  cases.push_back({"100,000 [ in the header", trace_bytes(std::string(100'000, '['), {})});
  // Unknown kinds, phases and object kinds, a time past int64, one long text repeated a million times.
  cases.push_back({"unknown kind", trace_bytes(R"({"texts":{}})", {{1, 7, static_cast<EventKind>(200), Phase::Done, 0, 0, 0}})});
  cases.push_back({"unknown phase", trace_bytes(R"({"texts":{}})", {{1, 7, EventKind::Mark, static_cast<Phase>(9), 0, 0, 0}})});
  cases.push_back({"unknown object kind", trace_bytes(R"({"texts":{}})", {{1, 7, EventKind::ObjectNew, Phase::Done, 1, 0, pack_arg(0, 99)}})});
  cases.push_back({"time past int64", trace_bytes(R"({"texts":{}})", {{UINT64_MAX, 7, EventKind::Mark, Phase::Done, 0, 0, 0}})});
  {
    const std::string header = fmt::format(R"({{"texts":{{"8":"{}"}}}})", std::string(1 << 20, 'x'));
    const std::vector<TraceEvent> prints(1000, TraceEvent{1, 7, EventKind::Print, Phase::Done, 0, 0, pack_arg(8)});
    cases.push_back({"1 MiB of text printed 1000 times", trace_bytes(header, prints)});
  }

  expect_every_case_handled(cases, [](const std::string& file) { (void)load_trace(file); }, dir, "trace");
}

// A file is read a block at a time after it was opened (a trace twice): one cut short in between is one clear line
// naming it, not a model of half the events.
TEST_F(InputFuzz, AFileCutShortWhileReadIsOneClearError) {
  const TempDir dir;
  const std::string file = dir.write("cut.fstrace", std::string(4096, 'x'));
  const InputFile in(file, "trace file", 1u << 20);
  ASSERT_EQ(in.size(), 4096u);
  std::string part(1024, '\0');
  in.read(3072, part.data(), part.size());
  std::filesystem::resize_file(file, 2048);
  try {
    in.read(1536, part.data(), part.size());
    FAIL() << "a read past the new end succeeded";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("cannot read the trace file {}: it changed while it was read (512 bytes at "
                                                 "2048 are gone)", file));
  }
}

// 200,000 events saved newest first load in one sort, not in quadratic time (19.9 s before).
TEST_F(InputFuzz, EventsOutOfTimeOrderLoadInOneSort) {
  const TempDir dir;
  constexpr std::uint64_t kItems = 100'000;
  std::vector<TraceEvent> events;
  events.push_back({0, 7, EventKind::ObjectNew, Phase::Done, 1, 0, pack_arg(8, static_cast<std::uint32_t>(ObjectKind::Queue))});
  for (std::uint64_t item = kItems; item >= 1; --item) {
    events.push_back({item * 10 + 5, 8, EventKind::QueueGet, Phase::Done, 1, 0, item});
    events.push_back({item * 10, 7, EventKind::QueuePut, Phase::Done, 1, 0, item});
  }
  const std::string file = dir.write("backwards.fstrace", trace_bytes(R"({"texts":{"8":"q"}})", events));
  const auto start = std::chrono::steady_clock::now();
  const TraceModel model = load_trace(file);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took.count(), 4.0);
  EXPECT_EQ(model.events().size(), events.size());
  EXPECT_EQ(model.flows().size(), kItems);
  ASSERT_NE(model.object_named("q"), nullptr);
  EXPECT_EQ(model.object_named("q")->max_value(), 1);  // each item is got before the next is put
  EXPECT_EQ(model.object_named("q")->value(), 0);
  std::printf("%zu events out of time order loaded in %.3f s\n", events.size(), took.count());
}

TEST_F(InputFuzz, SchedulesAreRefusedWithinBoundedMemoryAndTime) {
  const TempDir dir;
  Schedule valid;
  valid.lesson = "ticket-lock";
  valid.params = {{"lock", false}, {"tickets", 1}, {"buyers", 3}};
  valid.seed = 9;
  valid.steps = {"MainProcess", "Process-1", "Process-2", "Process-3", "Process-1:1", "ForkPoolWorker-2", "SyncManager-1", "worker"};
  const std::string whole = valid.to_json().dump();
  const auto with = [&](const char* key, const nlohmann::json& value) {
    nlohmann::json j = valid.to_json();
    j[key] = value;
    return j.dump();
  };

  std::vector<Case> cases;
  add_truncations(cases, whole, 2000);
  add_bit_flips(cases, whole, 1000, 7);
  cases.push_back({"params \"x\"", with("params", "x")});
  cases.push_back({"seed -1", with("seed", -1)});
  cases.push_back({"seed 1.5", with("seed", 1.5)});
  cases.push_back({"seed \"1\"", with("seed", "1")});
  cases.push_back({"lesson 5", with("lesson", 5)});
  cases.push_back({"steps \"x\"", with("steps", "x")});
  cases.push_back({"steps [1]", with("steps", {1})});
  for (const char* name : {"", "Process-99x", "Process-0", "Process-01", "Process-1:", ":1", "MainProcess ", "a\nb", "-x"})
    cases.push_back({fmt::format("step '{}'", name), with("steps", {name})});
  cases.push_back({"100,001 steps", with("steps", std::vector<std::string>(100'001, "MainProcess"))});
  cases.push_back({"not an object", "[1,2,3]"});
  cases.push_back({"format missing", R"({"lesson":"ticket-lock","params":{},"seed":1,"steps":[]})"});
  cases.push_back({"100,000 [", std::string(100'000, '[')});
  std::string deep_params = whole.substr(0, whole.find("\"params\":") + 9);
  for (int i = 0; i < 100'000; ++i) deep_params += "{\"a\":";
  cases.push_back({"params nested 100,000 deep (200 KB)", deep_params + "1" + std::string(100'000, '}') + "}"});
  cases.push_back({"17 MiB", std::string(17 << 20, ' ')});

  expect_every_case_handled(cases, [](const std::string& file) { (void)Schedule::load(file); }, dir, "schedule");
}
