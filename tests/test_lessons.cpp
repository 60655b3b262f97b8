// Every lesson: its invariants hold, its result is what the tutorial shows, and its text exists in both languages.
#include <cstdlib>
#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "forkscope/lesson_text.hpp"
#include "registry.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::run_lesson;

class Lessons : public CleanTest {};

TEST_F(Lessons, TicketsWithTheLockSellExactlyWhatThereIs) {
  auto run = run_lesson("ticket-lock", {}, 50);
  const auto& r = run->report();
  EXPECT_TRUE(r.invariants_ok());
  EXPECT_EQ(r.result["sold"], 3);
  EXPECT_EQ(r.result["tickets_left"], 0);
  EXPECT_EQ(r.result["oversold"], 0);
  EXPECT_EQ(r.lost_events, 0u);
  // Buyers waited for the mutex: blocked spans on it exist.
  int blocked = 0;
  for (const ProcessInfo& p : run->model().processes())
    for (const StateSpan& s : p.spans) blocked += s.state == ProcState::BlockedLock;
  EXPECT_GT(blocked, 0);
}

// A buyer's search reads `info` outside the lock while the holder rewrites it: it must see the old count or the new
// one, never a torn file. 64 buyers at speed 1000, many runs (FORKSCOPE_SOAK=1: 1,000 of them).
TEST_F(Lessons, NoBuyerEverReadsATornTicketFile) {
  const int runs = std::getenv("FORKSCOPE_SOAK") ? 1000 : 60;
  int failed = 0;
  for (int i = 0; i < runs; ++i) {
    auto run = run_lesson("ticket-lock", {"buyers=64", "tickets=100"}, 1000);
    const auto& r = run->report();
    if (r.main_exitcode != 0 || !r.invariants_ok()) {
      ++failed;
      for (const PrintedLine& l : run->model().lines())
        if (l.error) ADD_FAILURE() << "run " << i << ": " << l.text;
    }
  }
  EXPECT_EQ(failed, 0) << "of " << runs << " runs";
}

TEST_F(Lessons, TicketsWithoutTheLockKeepTheirWeakInvariants) {
  auto run = run_lesson("ticket-lock", {"lock=false", "tickets=2", "buyers=6"}, 50);
  EXPECT_TRUE(run->report().invariants_ok());
  EXPECT_GE(run->report().result["sold"].get<int>(), 2);
}

// Stepped one buyer after another, the buyers read the last ticket before any of them writes it: the race happens
// (which buyers see it depends on who reaches the gate first), and the report says so in the lesson's words. The
// invariant it breaks is the expected outcome, not a failure; with the lock, no point.
TEST_F(Lessons, TheTicketRaceSaysItHappened) {
  const Lesson& lesson = *scenarios::find("ticket-lock");
  RunOptions options;
  options.lesson = &lesson;
  options.params = Params::resolve(lesson.params, {"lock=false", "tickets=1", "buyers=3"});
  options.speed = 100;
  options.start_stepping = true;
  forkscope::Run run(options);
  while (!run.finished()) run.step();
  const RunReport& r = run.report();
  ASSERT_EQ(r.main_exitcode, 0);
  const auto sold = r.result["sold"].get<std::int64_t>(), left = r.result["tickets_left"].get<std::int64_t>();
  ASSERT_GT(sold, 1) << "stepping the buyers in turn lets more than one see the last ticket";
  EXPECT_EQ(r.result["oversold"], sold - 1) << "sold - tickets";
  EXPECT_EQ(r.result["lost_updates"], sold - (1 - left)) << "sales the file never recorded";
  ASSERT_TRUE(r.point.has_value());
  EXPECT_EQ(r.point->key, "point.oversold");
  EXPECT_EQ(r.point->english(), fmt::format("RACE: {} sold, 1 tickets", sold));
  const auto broken = std::find_if(r.invariants.begin(), r.invariants.end(), [](const Invariant& i) { return i.meant_to_break; });
  ASSERT_NE(broken, r.invariants.end());
  EXPECT_FALSE(broken->ok);
  EXPECT_TRUE(r.invariants_ok()) << "breaking what the lesson breaks on purpose is no failure";

  auto locked = run_lesson("ticket-lock", {}, 100);
  EXPECT_FALSE(locked->report().point.has_value());
  EXPECT_EQ(locked->report().result["lost_updates"], 0);
}

// What the lanes draw besides states: each buyer held the mutex once, from its acquire to its release, one buyer at a
// time; the daemon's lane knows the SIGTERM its parent sent it.
TEST_F(Lessons, TheModelKnowsWhoHeldTheLockAndWhoWasSignalled) {
  auto run = run_lesson("ticket-lock", {}, 100);
  const TraceModel& m = run->model();
  const ObjectInfo* mutex = m.object_named("mutex");
  ASSERT_NE(mutex, nullptr);
  std::vector<HoldSpan> holds;
  for (const ProcessInfo& p : m.processes()) {
    if (!p.name.starts_with("user-")) continue;
    ASSERT_EQ(p.holds.size(), 1u) << p.name;
    EXPECT_EQ(p.holds[0].object, mutex->id);
    EXPECT_LT(p.holds[0].begin_ns, p.holds[0].end_ns) << "released";
    EXPECT_NE(p.holds[0].end_ns, kOpenEnd);
    holds.push_back(p.holds[0]);
  }
  ASSERT_EQ(holds.size(), 5u);
  std::sort(holds.begin(), holds.end(), [](const HoldSpan& a, const HoldSpan& b) { return a.begin_ns < b.begin_ns; });
  for (std::size_t i = 1; i < holds.size(); ++i) EXPECT_LE(holds[i - 1].end_ns, holds[i].begin_ns) << "one holder at a time";

  auto daemon = run_lesson("daemon", {}, 10);
  const ProcessInfo* child = nullptr;
  for (const ProcessInfo& p : daemon->model().processes())
    if (p.name == "Process-1") child = &p;
  ASSERT_NE(child, nullptr);
  ASSERT_EQ(child->signals.size(), 1u);
  EXPECT_EQ(child->signals[0].signo, 15);
  EXPECT_EQ(child->signals[0].from_pid, daemon->main_pid());
  EXPECT_LE(child->signals[0].t_ns, *child->end_ns);
}

TEST_F(Lessons, ProducerConsumerConsumesEveryItemOnce) {
  for (const char* joinable : {"joinable=false", "joinable=true"}) {
    auto run = run_lesson("producer-consumer", {joinable}, 50);
    const auto& r = run->report();
    EXPECT_TRUE(r.invariants_ok()) << joinable;
    EXPECT_EQ(r.result["produced"], 10);
    EXPECT_EQ(r.result["consumed"], 10);
    EXPECT_LE(r.result["max_depth"].get<int>(), 3);
  }
}

TEST_F(Lessons, TheJoinableVariantEndsItsDaemonEaters) {
  auto run = run_lesson("producer-consumer", {"joinable=true"}, 50);
  int terminated = 0;
  for (const ProcessInfo& p : run->model().processes())
    if (p.daemon) terminated += p.exitcode == -15;
  EXPECT_EQ(terminated, 2);
}

TEST_F(Lessons, SemaphoreGuestsNeverExceedTheSeats) {
  auto run = run_lesson("semaphore-guests", {}, 50);
  EXPECT_TRUE(run->report().invariants_ok());
  EXPECT_EQ(run->report().result["entered"], 10);
  EXPECT_LE(run->report().result["max_inside"].get<int>(), 4);
  EXPECT_GE(run->report().result["max_inside"].get<int>(), 1);
}

TEST_F(Lessons, EventSignalReadsTheChildsResult) {
  auto run = run_lesson("event-signal", {}, 20);
  EXPECT_TRUE(run->report().invariants_ok());
  EXPECT_EQ(run->report().result["value"], 100);
  EXPECT_GE(run->report().result["waited_seconds"].get<double>(), 1.8);
}

// Every lesson in the list runs with its defaults (fast) with its invariants holding and nothing lost; a lesson about
// a deadlock may end in it instead (a run whose processes happen to start far apart may not).
TEST_F(Lessons, EveryLessonRunsWithItsInvariants) {
  for (const Lesson& lesson : scenarios::all()) {
    if (lesson.hidden) continue;
    auto run = run_lesson(lesson.id, {}, 50, 300);
    if (lesson.deadlocks_by_default && run->report().deadlock) {  // its point: the viewer names the cycle and ends it
      EXPECT_FALSE(run->report().deadlock->cycle.empty()) << lesson.id;
      EXPECT_EQ(run->report().stuck, run->report().deadlock->text) << lesson.id;
      continue;
    }
    EXPECT_EQ(run->report().main_exitcode, 0) << lesson.id;
    EXPECT_TRUE(run->report().invariants_ok()) << lesson.id;
    EXPECT_EQ(run->report().lost_events, 0u) << lesson.id;
    EXPECT_FALSE(run->report().invariants.empty()) << lesson.id;
  }
}

TEST_F(Lessons, EveryLessonHasItsTextInChineseAndEnglish) {
  for (const Lesson& lesson : scenarios::all()) {
    if (lesson.hidden) continue;
    for (std::string_view language : kLanguages) {
      const auto text = load_lesson_text(lesson.id, language);
      ASSERT_TRUE(text.has_value()) << lesson.id << " " << language;
      EXPECT_FALSE(text->title.empty()) << lesson.id << " " << language;
      EXPECT_FALSE(text->teaches.empty()) << lesson.id << " " << language;
      EXPECT_FALSE(text->watch.empty()) << lesson.id << " " << language;
      EXPECT_FALSE(text->predict.empty()) << lesson.id << " " << language;
    }
  }
}

// Every key a lesson uses (its parameters, counters, result facts, invariants: with its defaults and with each switch
// flipped, since some invariants belong to one side) has its words in both languages, and every invariant that gives
// values has a detail sentence that takes them.
TEST_F(Lessons, EveryKeyALessonUsesHasItsWordsInBothLanguages) {
  for (const Lesson& lesson : scenarios::all()) {
    if (lesson.hidden) continue;
    std::vector<std::vector<std::string>> variants = {{}};
    for (const ParamSpec& p : lesson.params)
      if (p.type == ParamType::Bool) variants.push_back({fmt::format("{}={}", p.key, p.default_value != 0 ? "false" : "true")});
    for (const auto& assignments : variants) {
      auto run = run_lesson(lesson.id, assignments, 50, 300);
      const RunReport& r = run->report();
      for (std::string_view language : kLanguages) {
        const LessonNames names = LessonNames::load(lesson.id, language);
        const std::string where = fmt::format("{} {} {}", lesson.id, language, fmt::join(assignments, " "));
        for (const ParamSpec& p : lesson.params) EXPECT_TRUE(names.has("params", p.key)) << where << ": parameter " << p.key;
        for (const auto& [key, value] : r.result.items())
          EXPECT_TRUE(key == "phases" || names.has("results", key)) << where << ": result " << key;
        for (const ObjectInfo& o : run->model().objects()) {
          if (o.kind == ObjectKind::Counter) {
            EXPECT_TRUE(names.has("counters", o.name)) << where << ": counter " << o.name;
          }
        }
        for (const Invariant& i : r.invariants) {
          EXPECT_TRUE(names.has("invariants", i.name)) << where << ": invariant " << i.name;
          if (!i.values.empty()) {  // the sentence names only values the check gives (else the values show bare)
            EXPECT_NE(names.detail(i.name, i.values), LessonNames{}.detail(i.name, i.values)) << where << ": detail of " << i.name;
          }
        }
      }
    }
  }
}

TEST_F(Lessons, ALookupFallsBackToEnglishThenToTheKey) {
  const LessonNames zh = LessonNames::load("ticket-lock", "zh");
  EXPECT_EQ(zh.param("tickets"), "票数");
  EXPECT_EQ(zh.counter("tickets_left"), "剩余票数");
  EXPECT_EQ(zh.process("user-3"), "用户3");
  EXPECT_EQ(zh.process("MainProcess"), "MainProcess");
  EXPECT_EQ(zh.detail("tickets_never_negative", {{"left", 2}}), "还剩 2 张");
  EXPECT_EQ(LessonNames::load("ticket-lock", "fr").param("tickets"), "tickets");  // no French: English
  EXPECT_EQ(zh.param("no_such_key"), "no_such_key");
  EXPECT_EQ(zh.detail("no_such_invariant", {{"n", 3}, {"ok", true}}), "n = 3, ok = true");
  EXPECT_EQ(LessonNames::load("no-such-lesson", "zh").invariant("x"), "x");
}

TEST_F(Lessons, ParametersAreCheckedAgainstTheirBounds) {
  const Lesson& lesson = *scenarios::find("ticket-lock");
  EXPECT_THROW((void)Params::resolve(lesson.params, {"tickets=101"}), UsageError);
  EXPECT_THROW((void)Params::resolve(lesson.params, {"tickets=abc"}), UsageError);
  EXPECT_THROW((void)Params::resolve(lesson.params, {"lock=maybe"}), UsageError);
  EXPECT_THROW((void)Params::resolve(lesson.params, {"price=3"}), UsageError);
  EXPECT_THROW((void)Params::resolve(lesson.params, {"tickets"}), UsageError);
  try {
    (void)Params::resolve(lesson.params, {"tickets=101"});
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "tickets must be an integer from 0 to 100, got '101'");
  }
  EXPECT_EQ(Params::resolve(lesson.params, {"tickets=7", "lock=false"}).to_json(),
            (nlohmann::json{{"tickets", 7}, {"buyers", 5}, {"lock", false}}));
}

// The README is what a teacher copies from: every `--set` it shows for a lesson is accepted as written (Pool(25) of
// tutorial 004 once was not).
TEST_F(Lessons, EveryParameterTheReadmeShowsIsAccepted) {
  std::ifstream in(std::string(FORKSCOPE_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in) << "README.md not found";
  static const std::regex assignment(R"(--set ([a-z_]+=[^\s`|)]+))");
  static const std::regex named(R"((?:run |explore |--lesson |`)([a-z][a-z0-9-]*))");
  // Its commands run from the repository's top (a file parameter names a file of examples/).
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(FORKSCOPE_SOURCE_DIR);
  int checked = 0;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::vector<std::string> assignments;
    for (std::sregex_iterator it(line.begin(), line.end(), assignment), end; it != end; ++it)
      assignments.push_back((*it)[1].str());
    if (assignments.empty()) continue;
    const Lesson* lesson = nullptr;  // the first lesson the line names: an option's description names none
    for (std::sregex_iterator it(line.begin(), line.end(), named), end; it != end && lesson == nullptr; ++it)
      lesson = scenarios::find((*it)[1].str());
    if (lesson == nullptr) continue;
    try {
      (void)Params::resolve(lesson->params, assignments);
      ++checked;
    } catch (const UsageError& e) {
      ADD_FAILURE() << "README.md:" << number << " (" << lesson->id << "): " << e.what();
    }
  }
  EXPECT_GE(checked, 8) << "the README's examples were not found";
  std::filesystem::current_path(before);
}
