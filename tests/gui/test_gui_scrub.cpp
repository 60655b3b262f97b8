// Travelling in a run: a playhead placed on the ruler of a finished run makes every panel show that instant (a
// queue's items in order, the console up to then, a line across the lanes), Left/Right/Home/End move it from
// operation to operation and Esc goes back to now; a step axis gives every granted step one column, however long the
// teacher paused between two of them.
#include <algorithm>
#include <chrono>

#include <GLFW/glfw3.h>
#include <fmt/format.h>

#include "gui_test_support.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::make_app;
using forkscope::gui::testing::point;
using forkscope::gui::testing::picture;
using forkscope::gui::testing::press_key;

namespace {

// "#3 from Process-2, #4 from Process-1": the items inside `queue` at `t`, from the whole run's flows (put by then,
// not yet got), in the order they were put: what the Objects panel must show at a playhead there.
std::string items_at(const TraceModel& model, const ObjectInfo& queue, std::int64_t t) {
  std::vector<Flow> inside;
  for (const Flow& f : model.flows())
    if (f.object == queue.id && f.put_ns >= 0 && f.put_ns <= t && (f.get_ns < 0 || f.get_ns > t)) inside.push_back(f);
  std::sort(inside.begin(), inside.end(), [](const Flow& a, const Flow& b) { return a.put_ns < b.put_ns; });
  std::string out;
  for (const Flow& f : inside) out += fmt::format("{}#{} from {}", out.empty() ? "" : ", ", f.seq, model.process(f.put_pid)->name);
  return out;
}

const ObjectsPanel::Row* row_named(App& app, const std::string& name) {
  for (const ObjectsPanel::Row& r : app.objects().rows())
    if (r.name == name) return &r;
  return nullptr;
}

}  // namespace

class GuiScrub : public GuiTest {};

TEST_F(GuiScrub, APlayheadOnTheRulerShowsThatInstantInEveryPanel) {
  auto app = make_app("producer-consumer");
  Classroom& c = app->classroom();
  c.set_params(Params::resolve(c.lesson().params, {"items=8", "maxsize=2", "consume_seconds=3"}));
  ASSERT_TRUE(c.run());
  ASSERT_TRUE(app->finish_run(120));
  app->show(DetailTab::Objects);
  app->frame();
  app->frame();  // a tab selected shows its content from the next frame
  const RunRecord& shown = *c.shown();
  const TraceModel& model = shown.model();
  const ObjectInfo& q = *model.object_named("q");
  const TimelineCanvas& canvas = app->timeline().canvas();
  EXPECT_EQ(canvas.axis().steps, nullptr);  // a run that ran freely: seconds
  ASSERT_NE(row_named(*app, "q"), nullptr);
  EXPECT_EQ(row_named(*app, "q")->items, "");  // now, at the end: empty

  // The middle of the longest while the queue held two items (the producers are faster than the consumers).
  std::pair<std::int64_t, std::int64_t> full{0, 0};
  for (std::size_t i = 0; i + 1 < q.samples.size(); ++i)
    if (q.samples[i].value >= 2 && q.samples[i + 1].t_ns - q.samples[i].t_ns > full.second - full.first)
      full = {q.samples[i].t_ns, q.samples[i + 1].t_ns};
  ASSERT_GT(full.second - full.first, 0);
  const TimeAxis& axis = canvas.axis();
  const float x = std::round(axis.x_of(static_cast<double>(full.first + full.second) * 0.5));
  const float ruler_y = canvas.lane_rows().front().top - 8;
  ASSERT_GT(ruler_y, 0);

  // Press on the ruler, drag to the instant, let go there.
  point(*app, {axis.left + 5, ruler_y}, true);
  point(*app, {x, ruler_y}, true);
  point(*app, {x, ruler_y}, false);
  app->window().set_pointer({{5, 5}, false, 0});  // the pointer off the timeline: the panels show the playhead, not it
  const std::optional<std::int64_t> at = app->ui().playhead.at(&shown);
  ASSERT_TRUE(at);
  EXPECT_NEAR(static_cast<double>(*at), axis.t_of(x), axis.ns_per_column());
  EXPECT_EQ(app->ui().selected_pid, 0);  // placing the playhead is not a click on a lane
  EXPECT_EQ(app->timeline().view().fit, true);  // nor a pan

  const Image image = picture(*app);
  const ObjectsPanel::Row* row = row_named(*app, "q");
  ASSERT_NE(row, nullptr);
  const std::string expected = items_at(model, q, *at);
  EXPECT_EQ(std::count(expected.begin(), expected.end(), '#'), q.value_at(*at));
  EXPECT_GE(q.value_at(*at), 2);
  EXPECT_EQ(row->items, expected);
  EXPECT_EQ(row->value, fmt::format("{} of 2 items", q.value_at(*at)));
  // The playhead's line runs across every lane.
  const float line_x = std::round(axis.x_of(static_cast<double>(*at)));
  for (const TimelineCanvas::LaneRow& lane : canvas.lane_rows())
    EXPECT_EQ(image.pixel(static_cast<int>(line_x), static_cast<int>((lane.top + lane.bottom) * 0.5f)), IM_COL32(0, 229, 255, 255));

  // The console shows what was printed up to then, and no more.
  app->show(DetailTab::Console);
  app->frame();
  app->frame();
  const auto printed_by = [&](std::int64_t t) {
    return static_cast<std::size_t>(std::count_if(model.lines().begin(), model.lines().end(), [&](const PrintedLine& l) { return l.t_ns <= t; }));
  };
  EXPECT_EQ(app->console().lines_shown(), printed_by(*at));
  EXPECT_LT(app->console().lines_shown(), model.lines().size());

  // Right: the next operation of any process; Left: back to the one before; Home and End: the first and the last.
  std::vector<std::int64_t> operations;
  for (const TraceEvent& e : model.events())
    if (e.pid != kViewerPid && op_category(e.kind, e.phase) != OpCategory::None) operations.push_back(static_cast<std::int64_t>(e.time));
  std::sort(operations.begin(), operations.end());
  const std::int64_t next = *std::upper_bound(operations.begin(), operations.end(), *at);
  press_key(*app, GLFW_KEY_RIGHT);
  EXPECT_EQ(app->ui().playhead.at(&shown), next);
  EXPECT_EQ(app->console().lines_shown(), printed_by(next));
  press_key(*app, GLFW_KEY_LEFT);
  EXPECT_EQ(app->ui().playhead.at(&shown), *std::prev(std::lower_bound(operations.begin(), operations.end(), next)));
  press_key(*app, GLFW_KEY_HOME);
  EXPECT_EQ(app->ui().playhead.at(&shown), operations.front());
  press_key(*app, GLFW_KEY_END);
  EXPECT_EQ(app->ui().playhead.at(&shown), operations.back());
  EXPECT_EQ(app->console().lines_shown(), model.lines().size());

  // Esc: back to now.
  press_key(*app, GLFW_KEY_HOME);
  EXPECT_EQ(app->console().lines_shown(), 0u);
  press_key(*app, GLFW_KEY_ESCAPE);
  EXPECT_FALSE(app->ui().playhead.at(&shown));
  EXPECT_EQ(app->console().lines_shown(), model.lines().size());
}

TEST_F(GuiScrub, AStepAxisGivesEveryStepOneColumnHoweverLongThePauseBetween) {
  auto app = make_app("ticket-lock");
  Classroom& c = app->classroom();
  ASSERT_TRUE(app->take_steps(5, 30));
  // The teacher talks: real time passes between two steps (a second, bounded by its own deadline).
  const auto talk_until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  ASSERT_TRUE(app->frames_until([&] { return std::chrono::steady_clock::now() >= talk_until; }, 10));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.step());
    ASSERT_TRUE(app->frames_until([&] { return !c.live() || (!c.step_in_progress() && !c.held().empty()); }, 30));
  }
  ASSERT_TRUE(c.live() && c.paused());
  app->frame();

  const TimelineCanvas& canvas = app->timeline().canvas();
  const TraceModel& model = c.shown()->model();
  std::vector<double> grants;
  for (const TraceEvent& e : model.events())
    if (e.kind == EventKind::GateGranted) grants.push_back(static_cast<double>(e.time));
  std::sort(grants.begin(), grants.end());
  ASSERT_GE(grants.size(), 10u);
  // The pause: the longest gap between two grants, a second or so.
  std::size_t pause = 0;
  for (std::size_t k = 1; k + 1 < grants.size(); ++k)
    if (grants[k + 1] - grants[k] > grants[pause + 1] - grants[pause]) pause = k;
  ASSERT_GT(grants[pause + 1] - grants[pause], 0.9e9);

  // A stepped run starts on a step axis: every step is as wide as every other, the pause too.
  ASSERT_NE(canvas.axis().steps, nullptr);
  const auto widths = [&] {
    std::vector<float> w;
    for (std::size_t k = 0; k + 1 < grants.size(); ++k) w.push_back(canvas.axis().x_of(grants[k + 1]) - canvas.axis().x_of(grants[k]));
    return w;
  };
  std::vector<float> w = widths();
  const auto [narrowest, widest] = std::minmax_element(w.begin(), w.end());
  EXPECT_GT(*narrowest, 20.0f);  // the fitted axis spreads the steps over the width
  EXPECT_LE(*widest - *narrowest, 1.0f);
  EXPECT_EQ(canvas.axis().steps->steps(), grants.size());

  // T: seconds again, where the pause takes most of the width.
  press_key(*app, GLFW_KEY_T);
  app->frame();
  ASSERT_EQ(canvas.axis().steps, nullptr);
  w = widths();
  float others = 0;
  for (std::size_t k = 0; k < w.size(); ++k)
    if (k != pause) others += w[k];
  EXPECT_GT(w[pause], static_cast<float>(canvas.axis().columns) * 0.3f);
  EXPECT_GT(w[pause], others);
  press_key(*app, GLFW_KEY_T);  // and back
  EXPECT_NE(canvas.axis().steps, nullptr);

  // Run on freely to the end: after its last step, the run counts operations (one column each), not one long step.
  ASSERT_TRUE(c.run());
  ASSERT_TRUE(app->finish_run(60));
  app->frame();
  ASSERT_NE(canvas.axis().steps, nullptr);
  std::size_t after = 0;
  for (const TraceEvent& e : model.events())
    after += e.pid != kViewerPid && static_cast<double>(e.time) > grants.back() && op_category(e.kind, e.phase) != OpCategory::None;
  EXPECT_GT(canvas.axis().steps->steps(), grants.size() + 3);
  EXPECT_LE(canvas.axis().steps->steps(), grants.size() + after);
}
