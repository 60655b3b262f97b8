// Travel in time from the toolbar, as a teacher does it in front of the class: step the ticket race, take steps back
// (B) down to the start, save the schedule (Ctrl+E) and open it again next lecture to walk through it step by step;
// N after a run's end says so instead of replacing it; Find a race hands back a schedule that oversells.
#include <filesystem>

#include <GLFW/glfw3.h>

#include "gui_test_support.hpp"
#include "palette.hpp"
#include "test_support.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::make_app;
using forkscope::gui::testing::press_key;
using forkscope::testing::fingerprint;

class GuiTravel : public GuiTest {
 protected:
  // The ticket race without a lock, small enough to step through in a test.
  std::unique_ptr<App> ticket_race() {
    auto app = make_app("ticket-lock");
    Classroom& c = app->classroom();
    c.set_params(Params::resolve(c.lesson().params, {"lock=false", "tickets=1", "buyers=3"}));
    c.set_seed(7);
    return app;
  }

  // Presses N and waits (bounded) until that step has settled and the run waits at the gate again, or ended.
  static void step(App& app) {
    Classroom& c = app.classroom();
    const std::size_t before = c.shown() && c.shown()->run() ? c.shown()->run()->schedule().steps.size() : 0;
    press_key(app, GLFW_KEY_N);
    ASSERT_TRUE(app.frames_until([&] {
      return !c.live() || (c.shown()->run()->schedule().steps.size() > before && !c.step_in_progress() && !c.held().empty());
    }));
    // Every process stands still now; the model takes in what the newest ones wrote (a frame or two would too).
    if (c.live()) {
      ASSERT_TRUE(c.shown()->run()->finish_replay(10));
    }
  }
};

TEST_F(GuiTravel, BackRestoresTheRunAsItWasBeforeTheLastStepDownToTheStart) {
  auto app = ticket_race();
  Classroom& c = app->classroom();
  EXPECT_FALSE(c.can_go_back());
  press_key(*app, GLFW_KEY_N);  // the run starts paused
  ASSERT_TRUE(app->frames_until([&] { return !c.held().empty() && !c.step_in_progress(); }));
  ASSERT_TRUE(c.shown()->run()->finish_replay(10));
  // What the class saw before each step.
  std::vector<forkscope::testing::RunFingerprint> before_step;
  for (int k = 0; k < 8 && c.live(); ++k) {
    before_step.push_back(fingerprint(c.shown()->run()->model()));
    ASSERT_NO_FATAL_FAILURE(step(*app));
  }
  ASSERT_TRUE(c.live());
  const int number = c.shown()->number();
  const std::int32_t old_main = c.shown()->run()->main_pid();
  for (std::size_t k = before_step.size(); k-- > 0;) {
    press_key(*app, GLFW_KEY_B);
    ASSERT_TRUE(c.live()) << c.status();
    const forkscope::Run& run = *c.shown()->run();
    EXPECT_EQ(run.schedule().steps.size(), k);
    EXPECT_EQ(fingerprint(run.model()), before_step[k]) << "after Back to step " << k;
    EXPECT_EQ(c.shown()->number(), number) << "Back re-runs the same run, it is not a new one";
    EXPECT_EQ(c.status_key(), "status.back");
    EXPECT_NE(run.main_pid(), old_main) << "the processes were re-run";
  }
  EXPECT_FALSE(c.can_go_back());
  press_key(*app, GLFW_KEY_B);  // nothing left to take back: says so, changes nothing
  EXPECT_EQ(c.status_key(), "status.nothing_to_undo");
  EXPECT_TRUE(c.live());
  // And forward again from the start.
  ASSERT_NO_FATAL_FAILURE(step(*app));
  EXPECT_EQ(c.shown()->run()->schedule().steps.size(), 1u);
  c.reset();
}

TEST_F(GuiTravel, AScheduleSavedFromTheViewerReplaysTheSameRunStepByStep) {
  auto app = ticket_race();
  Classroom& c = app->classroom();
  press_key(*app, GLFW_KEY_N);
  ASSERT_TRUE(app->frames_until([&] { return !c.held().empty() && !c.step_in_progress(); }));
  while (c.live()) ASSERT_NO_FATAL_FAILURE(step(*app));
  const nlohmann::json result = c.shown()->facts().result;
  EXPECT_GT(result["oversold"].get<int>(), 0) << "stepping the buyers in turn lets each one see the last ticket";
  const std::vector<std::string> steps = c.shown()->run()->schedule().steps;

  // N after the end: the finished run stays, the status line says what to do.
  const std::size_t runs = c.runs().size();
  press_key(*app, GLFW_KEY_N);
  EXPECT_FALSE(c.live());
  EXPECT_EQ(c.runs().size(), runs);
  EXPECT_EQ(c.status_key(), "status.run_ended");

  // Ctrl+E opens the dialog in its saving mode (Ctrl+S saves a picture); saving writes the schedule.
  const forkscope::testing::TempDir dir;
  const std::filesystem::path file = dir.path() / "race.json";
  ImGui::GetIO().KeyCtrl = true;
  press_key(*app, GLFW_KEY_E);
  ImGui::GetIO().KeyCtrl = false;
  OpenDialog& dialog = app->open_dialog();
  ASSERT_TRUE(dialog.is_open());
  EXPECT_TRUE(dialog.saving());
  ASSERT_TRUE(dialog.open(app->ui(), file)) << dialog.error();
  app->frame();
  EXPECT_FALSE(dialog.is_open());
  const Schedule saved = Schedule::load(file);
  EXPECT_EQ(saved.steps, steps);
  EXPECT_EQ(saved.lesson, "ticket-lock");

  // Next lecture: R, then Open… the schedule: it replays step by step, each N its next step.
  press_key(*app, GLFW_KEY_R);
  app->ui().open_requested = true;
  (void)forkscope::gui::testing::picture(*app);
  ASSERT_TRUE(dialog.open(app->ui(), file)) << dialog.error();
  app->frame();
  ASSERT_TRUE(c.live());
  EXPECT_NE(c.shown()->label("replay").find("(replay"), std::string::npos) << c.shown()->label("replay");
  ASSERT_TRUE(app->frames_until([&] { return !c.held().empty() && !c.step_in_progress(); }));
  for (std::size_t k = 0; k < 3; ++k) {
    ASSERT_NO_FATAL_FAILURE(step(*app));
    EXPECT_EQ(c.shown()->run()->schedule().steps.size(), k + 1);
    EXPECT_EQ(c.shown()->run()->schedule().steps.back(), steps[k]);
  }
  press_key(*app, GLFW_KEY_SPACE);  // plays the rest of the schedule through
  ASSERT_TRUE(app->finish_run(60));
  EXPECT_EQ(c.shown()->facts().result, result);
  EXPECT_EQ(c.shown()->run()->schedule().steps, steps);
}

TEST_F(GuiTravel, FindARaceHandsBackAScheduleThatOversells) {
  auto app = ticket_race();
  Classroom& c = app->classroom();
  ASSERT_TRUE(c.explore(Classroom::kExploreBudget));
  ASSERT_TRUE(app->frames_until([&] { return c.explorer()->done(); }, 240));
  const ExploreResult& found = c.explorer()->result();
  ASSERT_TRUE(found.found) << "tried " << found.tried;
  EXPECT_LE(found.tried, Classroom::kExploreBudget);
  EXPECT_EQ(c.status_key(), "status.explore_found");
  // What it found, in the lesson's words and the language: "oversold (...) = 1 (one process at a time: 0)".
  EXPECT_EQ(found.finding["kind"], "outcome");
  const std::string english = explore_finding_text(app->ui(), "ticket-lock", found);
  EXPECT_NE(english.find("(one process at a time: 0)"), std::string::npos) << english;
  app->ui().text.set_language("zh");
  const std::string chinese = explore_finding_text(app->ui(), "ticket-lock", found);
  EXPECT_NE(chinese.find("一次只让一个进程走时"), std::string::npos) << chinese;
  EXPECT_EQ(chinese.find("one process"), std::string::npos) << chinese;
  app->ui().text.set_language("en");
  ASSERT_TRUE(c.replay(*found.schedule, true));
  press_key(*app, GLFW_KEY_SPACE);
  ASSERT_TRUE(app->finish_run(60));
  EXPECT_GT(c.shown()->facts().result["oversold"].get<int>(), 0);
}

// Philosophers who all hold their left fork: the run is ended within about a second, and the viewer draws the cycle on
// the lanes (an arrow from each waiting philosopher to the one holding its fork) and names it on the status line, in
// the chosen language.
TEST_F(GuiTravel, ADeadlockIsDrawnAsACycleOnTheLanesAndNamedOnTheStatusLine) {
  auto app = make_app("dining-philosophers", "zh");
  Classroom& c = app->classroom();
  c.set_params(Params::resolve(c.lesson().params, {"philosophers=3"}));
  ASSERT_TRUE(c.run());
  ASSERT_TRUE(app->finish_run(60));
  const Deadlock* deadlock = c.deadlock();
  ASSERT_NE(deadlock, nullptr) << c.shown()->facts().failure;
  ASSERT_EQ(deadlock->cycle.size(), 3u);
  const Image image = forkscope::gui::testing::picture(*app);
  const auto& arrows = app->timeline().deadlock_arrows();
  ASSERT_EQ(arrows.size(), 3u);
  for (std::size_t i = 0; i < arrows.size(); ++i) {
    const TimelineCanvas::Arrow& a = arrows[i];
    // The arrow leaves the waiting philosopher's lane and reaches the holder's.
    auto lane_of = [&](float y) {
      for (const auto& row : app->timeline().canvas().lane_rows())
        if (row.visible && y >= row.top && y <= row.bottom) return row.pid;
      return 0;
    };
    EXPECT_EQ(lane_of(a.from.y), deadlock->cycle[i].pid);
    EXPECT_EQ(lane_of(a.to.y), deadlock->cycle[i].holder_pid);
    const float y = (a.from.y + a.to.y) * 0.5f;
    EXPECT_EQ(image.pixel(static_cast<int>(a.from.x), static_cast<int>(y)), kDeadlockColor) << "arrow " << i;
  }
  const std::string said = deadlock_text(app->ui(), *deadlock);
  EXPECT_TRUE(said.starts_with("死锁：")) << said;
  for (const WaitEdge& e : deadlock->cycle) {
    EXPECT_TRUE(e.process.starts_with("philosopher-")) << e.process;
    EXPECT_NE(said.find(app->ui().names("dining-philosophers").process(e.process)), std::string::npos) << said;  // 哲学家1
    EXPECT_NE(said.find("'" + e.object_name + "'"), std::string::npos) << said;
  }
}
