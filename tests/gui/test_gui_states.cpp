// What the lanes and the status line say besides running and blocked on a lock: a client waiting on a socket in its
// own colour, the holder of a lock marked along its lane, the signal a daemon was sent, and the lesson's point (the
// race that oversold) as a banner in both languages.
#include <algorithm>

#include <fmt/format.h>

#include "gui_test_support.hpp"
#include "palette.hpp"
#include "panels.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::make_app;
using forkscope::gui::testing::picture;

namespace {

const TimelineCanvas::LaneRow* row_of(App& app, std::int32_t pid) {
  const auto& rows = app.timeline().canvas().lane_rows();
  const auto row = std::find_if(rows.begin(), rows.end(), [&](const TimelineCanvas::LaneRow& r) { return r.pid == pid && r.visible; });
  return row == rows.end() ? nullptr : &*row;
}

// An App that ran `lesson_id` (its defaults) to the end, and the picture of the next frame.
struct Finished {
  std::unique_ptr<App> app;
  Image image;
  [[nodiscard]] const TraceModel& model() const { return app->classroom().shown()->model(); }
  [[nodiscard]] const TimeAxis& axis() const { return app->timeline().canvas().axis(); }
};
Finished finished_run(const std::string& lesson_id) {
  Finished f{make_app(lesson_id), {}};
  EXPECT_TRUE(f.app->classroom().run());
  EXPECT_TRUE(f.app->finish_run(120));
  f.app->frame();
  f.image = picture(*f.app);
  return f;
}

const ProcessInfo* process_named(const TraceModel& model, std::string_view name) {
  for (const ProcessInfo& p : model.processes())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace

class GuiStates : public GuiTest {};

// pool-echo-server: the two clients no worker serves yet wait in recv for 0.1 s or more; their lanes are in the
// socket's colour there, not running's green.
TEST_F(GuiStates, AClientWaitingOnASocketIsDrawnInTheSocketsColour) {
  const Finished f = finished_run("pool-echo-server");
  App& app = *f.app;
  const Image& image = f.image;
  const TraceModel& model = f.model();
  const TimeAxis& axis = f.axis();
  int checked = 0;
  for (const ProcessInfo& p : model.processes()) {
    if (!p.name.starts_with("client-")) continue;
    const TimelineCanvas::LaneRow* row = row_of(app, p.pid);
    ASSERT_NE(row, nullptr) << p.name;
    for (const StateSpan& s : p.spans) {
      const float x0 = axis.x_of(static_cast<double>(s.begin_ns)), x1 = axis.x_of(static_cast<double>(s.end_ns));
      if (s.state != ProcState::BlockedSocket || x1 - x0 < 12) continue;
      EXPECT_EQ(image.pixel(static_cast<int>((x0 + x1) * 0.5f), static_cast<int>(row->top) + 5), state_color(ProcState::BlockedSocket))
          << p.name;
      ++checked;
    }
  }
  EXPECT_GE(checked, 2) << "the two clients that wait for a worker";
}

// ticket-lock: each buyer's lane has the lock's colour along its top while it holds "mutex", over its own state.
TEST_F(GuiStates, TheHolderOfALockIsMarkedOnItsLane) {
  const Finished f = finished_run("ticket-lock");
  App& app = *f.app;
  const Image& image = f.image;
  const TraceModel& model = f.model();
  const TimeAxis& axis = f.axis();
  const ImU32 lock_color = counter_color(ObjectKind::Lock);
  int holders = 0;
  for (const ProcessInfo& p : model.processes()) {
    if (p.holds.empty()) continue;
    const TimelineCanvas::LaneRow* row = row_of(app, p.pid);
    ASSERT_NE(row, nullptr) << p.name;
    const HoldSpan& h = p.holds.front();
    const float x0 = axis.x_of(static_cast<double>(h.begin_ns)), x1 = axis.x_of(static_cast<double>(h.end_ns));
    ASSERT_GT(x1 - x0, 12) << p.name << " holds the mutex through a network delay of 0.1 s or more";
    const int band = static_cast<int>(row->top + 2), x = static_cast<int>((x0 + x1) * 0.5f);
    EXPECT_EQ(image.pixel(x, band), lock_color) << p.name;
    // Under the band, the holder's own state: asleep in its network delay, not blocked.
    const auto under = p.span_at(static_cast<std::int64_t>(axis.t_of(static_cast<float>(x))));
    ASSERT_TRUE(under.has_value());
    EXPECT_EQ(image.pixel(x, static_cast<int>(row->top) + 6), state_color(under->state)) << p.name;
    EXPECT_NE(state_color(under->state), lock_color) << p.name;
    ++holders;
  }
  EXPECT_EQ(holders, 5);
}

// daemon: the main process terminates its daemonic child at exit; the child's lane shows a glyph where it was sent
// SIGTERM.
TEST_F(GuiStates, TheSignalADaemonWasSentIsMarkedOnItsLane) {
  const Finished f = finished_run("daemon");
  const ProcessInfo* child = process_named(f.model(), "Process-1");
  ASSERT_NE(child, nullptr);
  ASSERT_EQ(child->signals.size(), 1u);
  const TimelineCanvas::LaneRow* row = row_of(*f.app, child->pid);
  ASSERT_NE(row, nullptr);
  const float x = std::round(f.axis().x_of(static_cast<double>(child->signals[0].t_ns)));
  EXPECT_EQ(f.image.pixel(static_cast<int>(x), static_cast<int>((row->top + row->bottom) * 0.5f)), kSignalColor);
}

// ticket-lock without the lock: the buyers read three tickets before any of them writes (a network delay of 0.2 s at
// least), so more than three are sold. The status line says it in a red banner, in English and in Chinese, instead of
// "invariants hold"; the broken invariant is the expected outcome, not a failure.
TEST_F(GuiStates, TheTicketRaceIsABannerInBothLanguages) {
  for (const std::string language : {"en", "zh"}) {
    auto app = make_app("ticket-lock", language, 5);
    Classroom& c = app->classroom();
    c.set_params(Params::resolve(c.lesson().params, {"lock=false"}));
    ASSERT_TRUE(c.run());
    ASSERT_TRUE(app->finish_run(120));
    app->frame();
    const RunFacts& facts = c.shown()->facts();
    const auto sold = facts.result["sold"].get<int>();
    ASSERT_GT(sold, 3);
    EXPECT_TRUE(facts.invariants_ok());
    EXPECT_EQ(point_text(app->ui(), facts),
              language == "en" ? fmt::format("RACE: {} sold, 3 tickets", sold) : fmt::format("竞态：卖出 {} 张，只有 3 张票", sold));
    const Image image = picture(*app);
    int banner = 0;
    for (int y = image.height / 2; y < image.height; ++y)
      for (int x = 0; x < image.width; ++x) banner += image.pixel(x, y) == kPointBannerColor;
    EXPECT_GT(banner, 200) << language << ": the banner's background";
  }
}
