// The viewer as a student sees it, frame by frame under Xvfb: every lesson renders after a run in both languages,
// with one lane per process and each state (blocked ones included) in its colour where the layout put it; Step moves
// exactly one operation; Compare shows two runs, or the phases of one aligned at zero.
#include <algorithm>
#include <set>

#include <GLFW/glfw3.h>

#include "frame_bench.hpp"
#include "gui_test_support.hpp"
#include "palette.hpp"
#include "registry.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::count;
using forkscope::gui::testing::lesson_test_name;
using forkscope::gui::testing::listed_lessons;
using forkscope::gui::testing::make_app;
using forkscope::gui::testing::picture;
using forkscope::gui::testing::press_key;

namespace {

// Every character of `text` has a glyph in the font: nothing shows as '?'.
void expect_glyphs(ImFont* font, std::string_view text, const std::string& where) {
  for_each_char(text, [&](unsigned int c) {
    if (c >= 0x20 && c < 0x10000) {
      EXPECT_NE(font->FindGlyphNoFallback(static_cast<ImWchar>(c)), nullptr) << where << ": U+" << std::hex << c;
    }
  });
}

bool near_an_arrow(const TimelineCanvas& canvas, float x, float y) {
  for (const auto& a : canvas.arrows()) {
    const float dx = a.to.x - a.from.x, dy = a.to.y - a.from.y;
    const float length2 = std::max(dx * dx + dy * dy, 1e-6f);
    const float t = std::clamp(((x - a.from.x) * dx + (y - a.from.y) * dy) / length2, 0.0f, 1.0f);
    const float ex = a.from.x + t * dx - x, ey = a.from.y + t * dy - y;
    if (ex * ex + ey * ey < 25) return true;  // within 5 pixels: the line, its antialiasing, its head
  }
  return false;
}

struct Checked {
  std::size_t spans = 0, blocked = 0;
  std::size_t long_waits_in_view = 0;  // blocked spans longer than 2 % of the run in a lane on screen
};

// At each state span wide enough to see, the picture shows the state's colour in that process's lane (up to three
// points along the span that no arrow crosses).
Checked expect_lanes_show_states(App& app, const Image& image, const TraceModel& model) {
  Checked checked;
  const TimelineCanvas& canvas = app.timeline().canvas();
  const TimeAxis& axis = canvas.axis();
  for (const TimelineCanvas::LaneRow& row : canvas.lane_rows()) {
    if (!row.visible || row.top < 0) continue;
    const ProcessInfo& p = *model.process(row.pid);
    for (const StateSpan& s : p.spans) {
      const double end = static_cast<double>(std::min(s.end_ns, model.end_ns()));
      const float x0 = axis.x_of(static_cast<double>(s.begin_ns)), x1 = axis.x_of(end);
      if (x1 - x0 < 8 || x0 < axis.left || x1 > axis.left + static_cast<float>(axis.columns)) continue;
      // Below a task band, if any; away from put->get arrows, which are drawn over the lanes.
      const int y = static_cast<int>(row.top) + (p.tasks.empty() ? 3 : 8);
      const auto [lanes_top, lanes_bottom] = canvas.lanes_span();
      if (static_cast<float>(y) < lanes_top || static_cast<float>(y) >= lanes_bottom) continue;  // partly scrolled out
      checked.long_waits_in_view += is_blocked(s.state) && s.end_ns - s.begin_ns > model.end_ns() / 50;
      int looked = 0, matches = 0;
      for (float f : {0.3f, 0.5f, 0.7f, 0.1f, 0.9f, 0.2f, 0.4f, 0.6f, 0.8f}) {
        if (looked == 3) break;
        const float x = x0 + (x1 - x0) * f;
        if (near_an_arrow(canvas, x, static_cast<float>(y))) continue;
        ++looked;
        matches += image.pixel(static_cast<int>(x), y) == state_color(s.state);
      }
      if (looked == 0) continue;
      EXPECT_EQ(matches, looked) << p.name << " " << to_string(s.state) << " at x " << x0 << ".." << x1 << " y " << y;
      ++checked.spans;
      checked.blocked += is_blocked(s.state);
    }
  }
  return checked;
}

}  // namespace

class GuiLessons : public GuiTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(GuiLessons, RendersAfterARunInBothLanguages) {
  auto app = make_app(GetParam());
  ASSERT_TRUE(app->classroom().run()) << app->classroom().status();
  ASSERT_TRUE(app->finish_run(180)) << GetParam() << " did not finish";
  const RunRecord& run = *app->classroom().shown();
  if (!scenarios::find(GetParam())->deadlocks_by_default) {
    ASSERT_EQ(run.facts().main_exitcode, 0) << run.facts().failure;
  }
  const TraceModel& model = run.model();
  for (const char* language : {"en", "zh"}) {
    SCOPED_TRACE(language);
    app->ui().text.set_language(language);
    app->frame();  // the atlas may grow for new characters
    const Image image = picture(*app);
    ASSERT_EQ(image.width, 1280);
    ASSERT_EQ(image.height, 800);
    // One lane per process, each a different process.
    const auto& rows = app->timeline().canvas().lane_rows();
    EXPECT_EQ(rows.size(), model.processes().size());
    std::set<std::int32_t> pids;
    for (const auto& r : rows) pids.insert(r.pid);
    EXPECT_EQ(pids.size(), model.processes().size());
    const Checked checked = expect_lanes_show_states(*app, image, model);
    EXPECT_GT(checked.spans, 0u);
    // Processes that waited were drawn waiting (those whose lanes are on screen: a pool-vs-process run has a hundred).
    if (checked.long_waits_in_view > 0) {
      EXPECT_GT(checked.blocked, 0u);
    }
    // Chinese (and everything else shown) has its glyphs.
    expect_glyphs(app->fonts().ui(), app->library().title(GetParam(), language), "title");
    if (const LessonText* text = app->library().text(GetParam(), language))
      for (const std::string* s : {&text->teaches, &text->watch, &text->predict}) expect_glyphs(app->fonts().ui(), *s, "text");
    for (const PrintedLine& line : model.lines()) expect_glyphs(app->fonts().ui(), line.text, "console");
  }
}

INSTANTIATE_TEST_SUITE_P(EveryLesson, GuiLessons, ::testing::ValuesIn(listed_lessons()), lesson_test_name);

class GuiStepping : public GuiTest {};

TEST_F(GuiStepping, NStartsPausedThenEachStepGrantsExactlyOneOperation) {
  auto app = make_app("ticket-lock");
  Classroom& c = app->classroom();
  press_key(*app, GLFW_KEY_N);  // nothing runs yet: N starts the lesson paused at its first operation
  ASSERT_TRUE(c.live());
  ASSERT_TRUE(app->frames_until([&] { return !c.held().empty(); }));
  const forkscope::Run& run = *c.shown()->run();
  for (int step = 1; step <= 8 && c.live(); ++step) {
    const TraceModel& model = run.model();
    const std::size_t granted = count(model, EventKind::GateGranted);
    const std::size_t events = model.events().size();
    press_key(*app, GLFW_KEY_N);
    ASSERT_TRUE(app->frames_until([&] {
      return !c.live() || (!c.step_in_progress() && !c.held().empty() && count(model, EventKind::GateGranted) == granted + 1);
    }));
    if (!c.live()) break;
    EXPECT_EQ(run.schedule().steps.size(), static_cast<std::size_t>(step));
    EXPECT_EQ(count(model, EventKind::GateGranted), granted + 1);
    // Only the granted process acted (a child it started may begin and stop at the gate).
    std::int32_t mover = 0;
    for (std::size_t i = events; i < model.events().size(); ++i)
      if (model.events()[i].kind == EventKind::GateGranted) mover = model.events()[i].pid;
    ASSERT_NE(mover, 0);
    EXPECT_EQ(model.process(mover)->name, run.schedule().steps.back());
    for (std::size_t i = events; i < model.events().size(); ++i) {
      const TraceEvent& e = model.events()[i];
      if (e.pid == mover || e.kind == EventKind::GateHeld || e.kind == EventKind::ProcessBegin) continue;
      ADD_FAILURE() << model.process(e.pid)->name << " did " << model.describe(e) << " in a step of " << model.process(mover)->name;
    }
    // The timeline shows who waits at the gate, in the gate's colour, up to the live edge.
    const Image image = picture(*app);
    const TimelineCanvas& canvas = app->timeline().canvas();
    const double now = static_cast<double>(c.shown()->now_ns());
    for (const auto& row : canvas.lane_rows()) {
      const ProcessInfo& p = *model.process(row.pid);
      if (!row.visible || p.state() != ProcState::Held) continue;
      const float x0 = canvas.axis().x_of(static_cast<double>(p.spans.back().begin_ns)), x1 = canvas.axis().x_of(now);
      if (x1 - x0 < 24) continue;  // the now line is drawn at the right end
      EXPECT_EQ(image.pixel(static_cast<int>(x0 + 8), static_cast<int>(row.top) + 3), state_color(ProcState::Held)) << p.name;
    }
  }
  press_key(*app, GLFW_KEY_SPACE);  // run to the end
  ASSERT_TRUE(app->finish_run(60));
}

TEST_F(GuiStepping, StepProcessMovesOnlyTheChosenProcess) {
  auto app = make_app("semaphore-guests");
  Classroom& c = app->classroom();
  ASSERT_TRUE(c.step());
  const forkscope::Run& run = *c.shown()->run();
  // Step the main process until two guests wait at the gate.
  auto guests_held = [&] {
    return std::count_if(c.held().begin(), c.held().end(), [](const HeldProcess& h) { return h.name != "MainProcess"; });
  };
  ASSERT_TRUE(app->frames_until([&] {
    if (guests_held() >= 2) return true;
    if (!c.step_in_progress() && !c.held().empty()) c.step(c.held().front().pid);
    return false;
  }));
  ASSERT_TRUE(app->frames_until([&] { return !c.step_in_progress(); }));
  const auto chosen = std::find_if(c.held().begin(), c.held().end(), [](const HeldProcess& h) { return h.name != "MainProcess"; });
  ASSERT_NE(chosen, c.held().end());
  app->ui().selected_pid = chosen->pid;
  const std::string name = chosen->name;
  const std::size_t before = run.schedule().steps.size();
  ASSERT_TRUE(c.step(app->ui().selected_pid));
  ASSERT_TRUE(app->frames_until([&] { return run.schedule().steps.size() > before && !c.step_in_progress(); }));
  EXPECT_EQ(run.schedule().steps.back(), name);
  EXPECT_FALSE(c.step(999999));  // a process not at the gate cannot be stepped
  c.reset();
  EXPECT_FALSE(c.live());
}

class GuiCompare : public GuiTest {};

TEST_F(GuiCompare, ShowsTwoRunsOnOneAxis) {
  auto app = make_app("ticket-lock");
  Classroom& c = app->classroom();
  app->show(CenterView::Compare);  // open before the runs: it follows them as they end
  for (const char* lock : {"lock=true", "lock=false"}) {
    c.set_params(Params::resolve(c.lesson().params, {lock}));
    ASSERT_TRUE(c.run());
    ASSERT_TRUE(app->finish_run(120));
  }
  app->frame();
  const Image image = picture(*app);
  EXPECT_EQ(app->compare().tracks_drawn(), 2u);
  const auto& runs = c.runs();
  ASSERT_EQ(runs.size(), 2u);
  std::size_t lanes[2] = {0, 0};
  for (const auto& row : app->compare().canvas().lane_rows()) {
    ++lanes[row.track];
    EXPECT_NE(runs[row.track]->model().process(row.pid), nullptr) << "track " << row.track << " shows run #" << row.track + 1;
  }
  EXPECT_EQ(lanes[0], runs[0]->model().processes().size());
  EXPECT_EQ(lanes[1], runs[1]->model().processes().size());
  // Both on the axis: each run's main process is drawn in a state's colour halfway through its own run.
  const TimelineCanvas& canvas = app->compare().canvas();
  for (const auto& row : canvas.lane_rows()) {
    if (!row.visible || row.depth != 0) continue;
    const double middle = static_cast<double>(runs[row.track]->model().end_ns()) * 0.5;
    const ImU32 halfway = image.pixel(static_cast<int>(canvas.axis().x_of(middle)), static_cast<int>(row.top) + 3);
    bool is_state = false;
    for (int s = 0; s < static_cast<int>(ProcState::Count_); ++s) is_state |= halfway == state_color(static_cast<ProcState>(s));
    EXPECT_TRUE(is_state) << "track " << row.track;
  }
}

TEST_F(GuiCompare, PhasesOfOneRunAlignAtZero) {
  auto app = make_app("ticket-lock");
  TraceModel model = synthetic_trace(2000, 5);  // five processes, about five seconds
  RunFacts facts;
  facts.lesson = "pool-sync-vs-async";
  facts.result = {{"phases", {{{"name", "sync"}, {"begin_s", 0.0}, {"end_s", 0.4}, {"seconds", 0.4}},
                              {{"name", "async"}, {"begin_s", 0.5}, {"end_s", 0.6}, {"seconds", 0.1}}}},
                  {"floor_seconds", 0.1}};
  app->classroom().add(std::move(model), facts);
  app->compare().choose(0, 0, true);
  app->show(CenterView::Compare);
  app->frame();
  app->frame();
  EXPECT_EQ(app->compare().tracks_drawn(), 2u);
  const TimeAxis& axis = app->compare().canvas().axis();
  EXPECT_EQ(axis.begin_ns, 0);
  EXPECT_GE(axis.end_ns, 0.4e9);  // the longer phase fits
  EXPECT_LT(axis.end_ns, 0.6e9);  // and the axis starts at each phase's own zero, not at the run's
}

class GuiLive : public GuiTest {};

// A live run of 100 guests: the viewer keeps up (the work of a frame stays far under 33 ms, 30 frames a second).
TEST_F(GuiLive, HundredProcessesStayInteractive) {
  auto app = make_app("semaphore-guests", "en", 1);
  Classroom& c = app->classroom();
  c.set_params(Params::resolve(c.lesson().params, {"guests=100", "seats=10"}));
  app->record_frames(true);
  ASSERT_TRUE(c.run());
  ASSERT_TRUE(app->finish_run(120));
  EXPECT_EQ(c.shown()->model().processes().size(), 101u);
  const double median = percentile(app->frame_ms(), 0.5);
  const double interval = percentile(app->frame_interval_ms(), 0.5);
  std::printf("100 processes: %zu frames, work %.2f ms median (p95 %.2f), %.1f frames per second\n", app->frame_ms().size(),
              median, percentile(app->frame_ms(), 0.95), 1000.0 / interval);
  RecordProperty("frame_ms_median", std::to_string(median));
  RecordProperty("fps", std::to_string(1000.0 / interval));
  EXPECT_GT(app->frame_ms().size(), 30u);
  EXPECT_LT(median, 33.3);
}
