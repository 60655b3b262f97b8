// The timeline under the pointer: the wheel zooms around the time under it, a drag pans, a click on a lane picks
// that process, a double click on a lane waiting at the gate steps it.
#include <algorithm>

#include "gui_test_support.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::make_app;

namespace {

// One frame with the pointer at `at`.
void point(App& app, ImVec2 at, bool down = false, float wheel = 0) {
  app.window().set_pointer({at, down, wheel});
  app.frame();
}

void click(App& app, ImVec2 at) {
  point(app, at, true);
  point(app, at, false);
}

ImVec2 middle_of(const TimelineCanvas& canvas, const TimelineCanvas::LaneRow& row) {
  return {canvas.axis().left + static_cast<float>(canvas.axis().columns) * 0.5f, (row.top + row.bottom) * 0.5f};
}

}  // namespace

class GuiTimeline : public GuiTest {};

TEST_F(GuiTimeline, WheelZoomsDragPansClickPicksAProcess) {
  auto app = make_app("ticket-lock");
  ASSERT_TRUE(app->classroom().run());
  ASSERT_TRUE(app->finish_run(120));
  app->frame();
  const TimelineCanvas& canvas = app->timeline().canvas();
  ASSERT_GE(canvas.lane_rows().size(), 3u);
  const TimelineCanvas::LaneRow lane = canvas.lane_rows()[2];
  const ImVec2 at = middle_of(canvas, lane);

  const TimeAxis fitted = canvas.axis();
  point(*app, at, false, 1);  // one notch up: zoom in
  point(*app, at);
  const TimeAxis zoomed = canvas.axis();
  EXPECT_FALSE(app->timeline().view().fit);
  EXPECT_NEAR(zoomed.end_ns - zoomed.begin_ns, (fitted.end_ns - fitted.begin_ns) * 0.8, 1e3);
  EXPECT_NEAR(zoomed.t_of(at.x), fitted.t_of(at.x), zoomed.ns_per_column());  // the time under the pointer stays

  point(*app, at, true);  // drag 100 pixels to the left: later times come into view
  point(*app, {at.x - 100, at.y}, true);
  point(*app, {at.x - 100, at.y}, false);
  const TimeAxis panned = canvas.axis();
  EXPECT_NEAR(panned.begin_ns - zoomed.begin_ns, 100 * zoomed.ns_per_column(), zoomed.ns_per_column());
  EXPECT_EQ(app->ui().selected_pid, 0);  // a drag is not a click

  click(*app, at);
  EXPECT_EQ(app->ui().selected_pid, lane.pid);
  app->timeline().view().fit = true;  // what the Fit button does
  app->frame();
  EXPECT_EQ(canvas.axis().begin_ns, 0);
}

TEST_F(GuiTimeline, DoubleClickOnAWaitingLaneStepsThatProcess) {
  auto app = make_app("semaphore-guests");
  Classroom& c = app->classroom();
  ASSERT_TRUE(c.step());  // paused at the first operation
  // Let the main process start two guests, which then wait at the gate.
  auto guest_held = [&] {
    return std::find_if(c.held().begin(), c.held().end(), [](const HeldProcess& h) { return h.name != "MainProcess"; });
  };
  ASSERT_TRUE(app->frames_until([&] {
    if (guest_held() != c.held().end() && c.held().size() >= 2) return true;
    if (!c.step_in_progress() && !c.held().empty()) c.step(c.held().front().pid);
    return false;
  }));
  ASSERT_TRUE(app->frames_until([&] { return !c.step_in_progress(); }));
  const HeldProcess guest = *guest_held();
  app->frame();
  const TimelineCanvas& canvas = app->timeline().canvas();
  const auto row = std::find_if(canvas.lane_rows().begin(), canvas.lane_rows().end(),
                                [&](const TimelineCanvas::LaneRow& r) { return r.pid == guest.pid; });
  ASSERT_NE(row, canvas.lane_rows().end());
  const forkscope::Run& run = *c.shown()->run();
  const std::size_t before = run.schedule().steps.size();
  const ImVec2 at = middle_of(canvas, *row);
  click(*app, at);
  click(*app, at);  // the second press is the double click
  ASSERT_TRUE(app->frames_until([&] { return run.schedule().steps.size() > before && !c.step_in_progress(); }));
  EXPECT_EQ(run.schedule().steps.size(), before + 1);
  EXPECT_EQ(run.schedule().steps.back(), guest.name);
  EXPECT_EQ(app->ui().selected_pid, guest.pid);
  c.reset();
}
