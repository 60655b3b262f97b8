// What a teacher preparing a lecture relies on, under Xvfb: Compare follows the lesson on screen and names runs by
// what differs; a saved run opens with its own parameters in the form; a lesson asks its question before its first run
// and puts it next to the result after; switching lessons during a run asks first; no legend promises before a run.
#include <algorithm>

#include <GLFW/glfw3.h>

#include "forkscope/lesson_text.hpp"
#include "forkscope/trace_file.hpp"
#include "gui_test_support.hpp"
#include "registry.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::make_app;
using forkscope::gui::testing::press_key;

namespace {

void run_with(App& app, const std::string& lesson, const std::vector<std::string>& sets) {
  Classroom& c = app.classroom();
  c.select(*scenarios::find(lesson));
  c.set_params(Params::resolve(c.lesson().params, sets));
  ASSERT_TRUE(c.run());
  ASSERT_TRUE(app.finish_run(120));
}

int number_of_last(const Classroom& c) { return c.runs().back()->number(); }

}  // namespace

class GuiTeacher : public GuiTest {};

TEST_F(GuiTeacher, CompareFollowsTheLessonAndNamesTheRunsByWhatDiffers) {
  auto app = make_app("ticket-lock");
  Classroom& c = app->classroom();
  run_with(*app, "ticket-lock", {"lock=false"});
  const int off = number_of_last(c);
  run_with(*app, "ticket-lock", {"lock=true"});
  const int on = number_of_last(c);
  run_with(*app, "ticket-lock", {"lock=true"});
  const int on_again = number_of_last(c);
  app->show(CenterView::Compare);
  app->frame();
  app->frame();
  // The last run against the last one that differs in a parameter, not simply the two latest (both lock on).
  EXPECT_EQ(app->compare().runs(), std::pair(off, on_again));
  ASSERT_EQ(app->compare().titles().size(), 2u);
  EXPECT_NE(app->compare().titles()[0].find("lock=off"), std::string::npos) << app->compare().titles()[0];
  EXPECT_NE(app->compare().titles()[1].find("lock=on"), std::string::npos) << app->compare().titles()[1];
  // Every result row is shown, none cut off: a header, the wall time, each result key, the invariants, the
  // parameters and the processes (the lesson is in the titles).
  const RunRecord& last = *c.runs().back();
  std::size_t keys = 0;
  for (const auto& [key, value] : last.facts().result.items()) keys += key != "phases";
  EXPECT_EQ(app->compare().table_rows(), keys + 5);
  EXPECT_FALSE(app->compare().table_scrolls());
  (void)on;

  // Another lesson: Compare follows it (its only run, with its phases), not ticket-lock's runs.
  run_with(*app, "pool-sync-vs-async", {});
  const int pool = number_of_last(c);
  app->frame();
  app->frame();
  EXPECT_EQ(app->compare().runs(), std::pair(pool, pool));
  run_with(*app, "pool-sync-vs-async", {"processes=2"});
  app->frame();
  EXPECT_EQ(app->compare().runs(), std::pair(pool, number_of_last(c)));
  EXPECT_NE(app->compare().titles()[1].find("processes=2"), std::string::npos) << app->compare().titles()[1];

  // Back on ticket-lock, its own runs again.
  c.select(*scenarios::find("ticket-lock"));
  app->frame();
  app->frame();
  EXPECT_EQ(app->compare().runs(), std::pair(off, on_again));
}

TEST_F(GuiTeacher, ASavedRunOpensWithItsOwnParametersInTheForm) {
  const forkscope::testing::TempDir dir;
  const std::filesystem::path file = dir.path() / "race.fstrace";
  {
    auto app = make_app("ticket-lock");
    run_with(*app, "ticket-lock", {"lock=false", "tickets=7", "buyers=9"});
    const RunRecord& run = *app->classroom().shown();
    save_trace(run.model(), {{"lesson", run.lesson()}, {"params", run.facts().params}, {"seed", run.facts().seed}}, file);
  }
  auto app = make_app("event-signal");  // opened from another lesson, with the defaults in its form
  app->frame();
  ImGui::GetIO().KeyCtrl = true;
  press_key(*app, GLFW_KEY_O);
  ImGui::GetIO().KeyCtrl = false;
  ASSERT_TRUE(app->open_dialog().open(app->ui(), file)) << app->open_dialog().error();
  app->frame();
  const Classroom& c = app->classroom();
  EXPECT_EQ(c.lesson().id, "ticket-lock");
  EXPECT_EQ(c.params().to_json(), (nlohmann::json{{"tickets", 7}, {"buyers", 9}, {"lock", false}}));
  EXPECT_EQ(c.shown()->facts().params, c.params().to_json());  // what the Result tab says, the form says
}

TEST_F(GuiTeacher, OpenOnTheCommandLineRunsAgainWithTheTracesParameters) {
  // forkscope --open race.fstrace: the form holds the saved run's parameters, so Run makes that run again (nine buyers:
  // ten processes), not the defaults' five buyers; --set still overrides them.
  const forkscope::testing::TempDir dir;
  const std::string trace = dir.file("race.fstrace"), shot = dir.file("shot.png");
  // (A lock-off run's exit code says how its invariants read: 0 or 1, never a failure to run.)
  const auto saved = forkscope::testing::run_cli({"run", "ticket-lock", "--set", "buyers=9", "--set", "lock=false", "--speed", "10",
                                                  "--save-trace", trace});
  ASSERT_LE(saved.exit_code, 1) << saved.err;
  ASSERT_TRUE(std::filesystem::exists(trace));
  const auto again = forkscope::testing::run_command({FORKSCOPE_GUI, "--open", trace, "--run", "--speed", "10", "--stats", "--screenshot", shot});
  EXPECT_LE(again.exit_code, 1) << again.err;
  EXPECT_GE(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("\"processes\": 10,"), std::string::npos) << again.out;
  const auto other = forkscope::testing::run_command(
      {FORKSCOPE_GUI, "--open", trace, "--set", "buyers=2", "--set", "lock=true", "--run", "--speed", "10", "--stats", "--screenshot", shot});
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.out.find("\"processes\": 3,"), std::string::npos) << other.out;
}

TEST_F(GuiTeacher, ALessonAsksItsQuestionBeforeItsFirstRunAndShowsItNextToTheResult) {
  for (const std::string& language : {std::string("en"), std::string("zh")}) {
    auto app = make_app("ticket-lock", language);
    const LessonText* text = app->library().text("ticket-lock", language);
    ASSERT_NE(text, nullptr);
    ASSERT_FALSE(text->predict.empty());
    app->show(DetailTab::Result);
    app->frame();
    app->frame();
    EXPECT_TRUE(app->predicting()) << language;
    EXPECT_FALSE(app->result_question_shown());
    run_with(*app, "ticket-lock", {"lock=false"});
    app->frame();
    EXPECT_FALSE(app->predicting()) << "the run happened: what to watch is shown";
    EXPECT_TRUE(app->result_question_shown()) << language;
    // Another lesson not yet run asks its own question first.
    app->classroom().select(*scenarios::find("semaphore-guests"));
    app->frame();
    EXPECT_TRUE(app->predicting());
    // The teacher may show what to watch before the run.
    app->ui().revealed.insert("semaphore-guests");
    app->frame();
    EXPECT_FALSE(app->predicting());
  }
}

TEST_F(GuiTeacher, SwitchingLessonsDuringARunAsksFirst) {
  auto app = make_app("ticket-lock", "en", 0.1);  // slow: the run is still going when the teacher clicks
  Classroom& c = app->classroom();
  ASSERT_TRUE(c.run());
  app->frame();
  const Lesson& other = *scenarios::find("event-signal");
  choose_lesson(app->ui(), other);
  app->frame();
  EXPECT_EQ(c.lesson().id, "ticket-lock");
  EXPECT_TRUE(c.live());
  press_key(*app, GLFW_KEY_ESCAPE);  // No
  EXPECT_EQ(app->ui().switch_to, nullptr);
  EXPECT_EQ(c.lesson().id, "ticket-lock");
  EXPECT_TRUE(c.live());
  choose_lesson(app->ui(), other);
  app->frame();
  press_key(*app, GLFW_KEY_ENTER);  // Yes
  EXPECT_EQ(c.lesson().id, "event-signal");
  EXPECT_FALSE(c.live());
  // Without a live run the lesson changes at once.
  choose_lesson(app->ui(), *scenarios::find("ticket-lock"));
  EXPECT_EQ(c.lesson().id, "ticket-lock");
}

TEST_F(GuiTeacher, NoLegendBeforeARunThenOnlyWhatTheRunShowed) {
  auto app = make_app("event-signal");
  app->frame();
  EXPECT_TRUE(app->timeline().legend().empty());
  ASSERT_TRUE(app->classroom().run());
  ASSERT_TRUE(app->finish_run(120));
  app->frame();
  const auto& legend = app->timeline().legend();
  EXPECT_FALSE(legend.empty());
  EXPECT_EQ(std::count(legend.begin(), legend.end(), ProcState::BlockedLock), 0) << "event-signal takes no lock";
}
