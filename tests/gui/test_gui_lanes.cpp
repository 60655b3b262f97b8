// Issue 15's lanes at scale: the timeline's filter (name, PID, an object touched, state:WORD) narrows the lanes to
// those that match and their parents, with a count; a process's child processes collapse into one summary lane that
// shows the state most of them are in; a thousand lanes filtered to one still draw it.
#include <algorithm>
#include <map>

#include <GLFW/glfw3.h>

#include "forkscope/synthetic_trace.hpp"
#include "gui_test_support.hpp"
#include "palette.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::click;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::make_app;
using forkscope::gui::testing::picture;
using forkscope::gui::testing::press_ctrl_key;
using forkscope::gui::testing::press_key;

namespace {

constexpr std::int64_t kMs = 1'000'000;
enum : std::uint16_t { kMutex = 1, kJobs };

// MainProcess (1000): makes "mutex" and "jobs"
//   Process-1 (1001): puts into "jobs", runs
//     Process-1:1 (1003): blocked on "mutex" from 10 to 50 ms
//   Process-2 (1002): sleeps from 10 to 50 ms
//   Process-3 (1004): blocked on "mutex" from 10 to 50 ms
// Between 10 and 50 ms, two of the main's four descendants wait for the lock: the most of them.
TraceModel family() {
  TraceModel model;
  std::uint32_t next_text = 1;
  auto add = [&](std::int64_t t, std::int32_t pid, EventKind kind, Phase phase, std::uint16_t object = 0, std::int64_t value = 0,
                 std::string_view text = {}, std::uint32_t extra = 0) {
    const std::uint64_t arg = text.empty() ? extra : pack_arg(next_text++, extra);
    model.ingest_ns(TraceEvent{static_cast<std::uint64_t>(t), pid, kind, phase, object, value, arg}, text);
  };
  add(0, 1000, EventKind::ProcessBegin, Phase::Done, 0, 1, "MainProcess");
  add(1, 1000, EventKind::ObjectNew, Phase::Done, kMutex, 0, "mutex", static_cast<std::uint32_t>(ObjectKind::Lock));
  add(1, 1000, EventKind::ObjectNew, Phase::Done, kJobs, 0, "jobs", static_cast<std::uint32_t>(ObjectKind::Queue));
  const std::pair<std::int32_t, std::int32_t> children[] = {{1001, 1000}, {1002, 1000}, {1003, 1001}, {1004, 1000}};
  const char* names[] = {"Process-1", "Process-2", "Process-1:1", "Process-3"};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto [pid, parent] = children[i];
    add(2 * kMs + static_cast<std::int64_t>(i), parent, EventKind::ProcessStart, Phase::Done, 0, 0, names[i], static_cast<std::uint32_t>(pid));
    add(3 * kMs + static_cast<std::int64_t>(i), pid, EventKind::ProcessBegin, Phase::Done, 0, parent, names[i]);
  }
  add(5 * kMs, 1001, EventKind::QueuePut, Phase::Done, kJobs, 0, {}, 1);
  add(10 * kMs, 1002, EventKind::Sleep, Phase::Want, 0, 40 * kMs);
  add(10 * kMs, 1003, EventKind::LockAcquire, Phase::Want, kMutex);
  add(10 * kMs, 1004, EventKind::LockAcquire, Phase::Want, kMutex);
  add(50 * kMs, 1002, EventKind::Sleep, Phase::Done);
  add(50 * kMs, 1003, EventKind::LockAcquire, Phase::Done, kMutex, 1);
  add(51 * kMs, 1003, EventKind::LockRelease, Phase::Done, kMutex, 0);
  add(52 * kMs, 1004, EventKind::LockAcquire, Phase::Done, kMutex, 1);
  add(53 * kMs, 1004, EventKind::LockRelease, Phase::Done, kMutex, 0);
  for (std::int32_t pid : {1001, 1002, 1003, 1004}) add(90 * kMs, pid, EventKind::ProcessEnd, Phase::Done);
  add(100 * kMs, 1000, EventKind::ProcessEnd, Phase::Done);
  return model;
}

void show(App& app, TraceModel model) {
  RunFacts facts;
  facts.lesson = "synthetic";
  RunRecord& record = app.classroom().add(std::move(model), std::move(facts));
  app.classroom().show(&record);
  app.frame();
}

// The lanes drawn, by name; a summary lane by its label.
std::vector<std::string> lanes(App& app) {
  const TimelineCanvas& canvas = app.timeline().canvas();
  const TraceModel& model = app.classroom().shown()->model();
  std::vector<std::string> out;
  for (const auto& row : canvas.lane_rows())
    out.push_back(row.group >= 0 ? canvas.groups()[static_cast<std::size_t>(row.group)].label : model.process(row.pid)->name);
  return out;
}

std::vector<std::string> filtered(App& app, const std::string& text) {
  app.ui().lane_filter = text;
  app.frame();
  return lanes(app);
}

bool shows(App& app, const std::string& text) {
  std::vector<App::ShownText> texts;
  app.record_texts(&texts);
  app.frame();
  app.record_texts(nullptr);
  return std::any_of(texts.begin(), texts.end(), [&](const App::ShownText& t) { return t.text.find(text) != std::string::npos; });
}

const TimelineCanvas::LaneRow& row_named(App& app, const std::string& name) {
  const auto& rows = app.timeline().canvas().lane_rows();
  const std::vector<std::string> names = lanes(app);
  return rows[static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin())];
}

// The colour most of a lane's state strip shows in column x (put->get arrows may cross it).
ImU32 strip_at_x(const Image& image, const TimelineCanvas::LaneRow& row, int x) {
  std::map<ImU32, int> seen;
  for (int y = static_cast<int>(row.top) + 3; y < static_cast<int>(row.bottom) - 7; ++y) ++seen[image.pixel(x, y)];
  return std::max_element(seen.begin(), seen.end(), [](const auto& a, const auto& b) { return a.second < b.second; })->first;
}
ImU32 strip_at(const Image& image, const TimelineCanvas& canvas, const TimelineCanvas::LaneRow& row, double t_ns) {
  return strip_at_x(image, row, static_cast<int>(canvas.axis().x_of(t_ns)) + 1);
}

// Whether a put->get arrow covers much of a lane's column x: its head, or a steep line (a gentle one crosses a
// column in a pixel or two, which strip_at_x outvotes).
bool arrow_over(const TimelineCanvas& canvas, const TimelineCanvas::LaneRow& row, float x) {
  return std::any_of(canvas.arrows().begin(), canvas.arrows().end(), [&](const TimelineCanvas::Arrow& a) {
    if (std::abs(x - a.to.x) < 10 && a.to.y > row.top && a.to.y < row.bottom) return true;
    const float dx = std::abs(a.to.x - a.from.x), dy = std::abs(a.to.y - a.from.y);
    return dy > dx * 0.5f && x > std::min(a.from.x, a.to.x) - 3 && x < std::max(a.from.x, a.to.x) + 3;
  });
}

void click_arrow(App& app, const TimelineCanvas::LaneRow& row) { click(app, {row.fold_x + 4, (row.top + row.bottom) * 0.5f}); }

using Names = std::vector<std::string>;

}  // namespace

class GuiLanes : public GuiTest {};

TEST_F(GuiLanes, FilterKeepsTheLanesThatMatchAndTheirParents) {
  auto app = make_app("ticket-lock");
  show(*app, family());
  EXPECT_EQ(lanes(*app), (Names{"MainProcess", "Process-1", "Process-1:1", "Process-2", "Process-3"}));

  // By name (case aside), by PID, by an object the process touched: the parents stay, so the tree reads.
  EXPECT_EQ(filtered(*app, "process-1:1"), (Names{"MainProcess", "Process-1", "Process-1:1"}));
  EXPECT_EQ(filtered(*app, "1002"), (Names{"MainProcess", "Process-2"}));
  EXPECT_EQ(filtered(*app, "jobs"), (Names{"MainProcess", "Process-1"}));
  EXPECT_EQ(filtered(*app, "mutex"), (Names{"MainProcess", "Process-1", "Process-1:1", "Process-3"}));
  EXPECT_TRUE(shows(*app, "3 of 5 lanes")) << "the main made it: it touched it too";
  // By state: a word of its name ("lock" is not in every "blocked"), or "blocked" for any wait; words combine.
  EXPECT_EQ(filtered(*app, "state:lock"), (Names{"MainProcess", "Process-1", "Process-1:1", "Process-3"}));
  EXPECT_EQ(filtered(*app, "state:blocked"), (Names{"MainProcess", "Process-1", "Process-1:1", "Process-3"}));
  EXPECT_EQ(filtered(*app, "state:sleeping"), (Names{"MainProcess", "Process-2"}));
  EXPECT_EQ(filtered(*app, "mutex 1004"), (Names{"MainProcess", "Process-3"}));
  EXPECT_EQ(filtered(*app, "nothing-like-this"), Names{});
  EXPECT_TRUE(shows(*app, "0 of 5 lanes"));

  // A kept lane draws its own states where the layout put it.
  filtered(*app, "state:sleeping");
  const TimelineCanvas& canvas = app->timeline().canvas();
  const Image image = picture(*app);
  EXPECT_EQ(strip_at(image, canvas, row_named(*app, "Process-2"), 30 * kMs), state_color(ProcState::Sleeping));

  // With the playhead, a state is the one at that instant: at 70 ms nobody waits.
  app->ui().playhead.place(*app->classroom().shown(), 70 * kMs);
  EXPECT_EQ(filtered(*app, "state:blocked"), Names{});
  app->ui().playhead.place(*app->classroom().shown(), 30 * kMs);
  EXPECT_EQ(filtered(*app, "state:blocked"), (Names{"MainProcess", "Process-1", "Process-1:1", "Process-3"}));
  app->ui().playhead.clear();

  // Ctrl+F puts the keys in the field; Esc there clears it and every lane comes back.
  press_ctrl_key(*app, GLFW_KEY_F);
  app->frame();
  EXPECT_TRUE(ImGui::GetIO().WantTextInput);
  press_key(*app, GLFW_KEY_ESCAPE);
  EXPECT_EQ(app->ui().lane_filter, "");
  EXPECT_EQ(lanes(*app).size(), 5u);
}

TEST_F(GuiLanes, FilterSpeaksChinese) {
  auto app = make_app("ticket-lock", "zh");
  show(*app, family());
  EXPECT_EQ(filtered(*app, "状态:睡眠"), (Names{"MainProcess", "Process-2"}));
  EXPECT_EQ(filtered(*app, "状态：锁"), (Names{"MainProcess", "Process-1", "Process-1:1", "Process-3"}));
  EXPECT_EQ(filtered(*app, "state:阻塞"), (Names{"MainProcess", "Process-1", "Process-1:1", "Process-3"}));
  EXPECT_TRUE(shows(*app, "2 / 5 条泳道"));
}

TEST_F(GuiLanes, AGroupCollapsesIntoTheStateMostOfItsMembersAreIn) {
  auto app = make_app("ticket-lock");
  show(*app, family());
  click_arrow(*app, row_named(*app, "MainProcess"));
  ASSERT_EQ(lanes(*app), (Names{"MainProcess", "Process-1 + 3"}));
  const TimelineCanvas& canvas = app->timeline().canvas();
  EXPECT_EQ(canvas.groups().front().members, (std::vector<std::int32_t>{1001, 1003, 1002, 1004}));
  // 10-50 ms: one runs, one sleeps, two wait for the lock; after 53 ms all four run.
  const Image image = picture(*app);
  const auto& summary = row_named(*app, "Process-1 + 3");
  EXPECT_EQ(strip_at(image, canvas, summary, 30 * kMs), state_color(ProcState::BlockedLock));
  EXPECT_EQ(strip_at(image, canvas, summary, 70 * kMs), state_color(ProcState::Running));

  // A filter narrows the group too; its arrow expands it again.
  EXPECT_EQ(filtered(*app, "state:sleeping"), (Names{"MainProcess", "Process-2"}));
  EXPECT_GE(app->timeline().canvas().lane_rows()[1].group, 0) << "a summary of one";
  EXPECT_EQ(strip_at(picture(*app), canvas, row_named(*app, "Process-2"), 30 * kMs), state_color(ProcState::Sleeping));
  EXPECT_EQ(filtered(*app, ""), (Names{"MainProcess", "Process-1 + 3"}));
  click_arrow(*app, row_named(*app, "Process-1 + 3"));
  EXPECT_EQ(lanes(*app), (Names{"MainProcess", "Process-1", "Process-1:1", "Process-2", "Process-3"}));

  // The header's "Collapse groups": every process with children at once (the outermost shows), and back.
  TimelineCanvas& timeline = app->timeline().canvas();
  const TraceModel& model = app->classroom().shown()->model();
  timeline.collapse_all_groups(model, true);
  app->frame();
  EXPECT_EQ(lanes(*app), (Names{"MainProcess", "Process-1 + 3"}));
  click_arrow(*app, row_named(*app, "Process-1 + 3"));
  EXPECT_EQ(lanes(*app), (Names{"MainProcess", "Process-1", "Process-1:1", "Process-2", "Process-3"}));
  EXPECT_GE(app->timeline().canvas().lane_rows()[2].group, 0) << "Process-1's own group stays collapsed";
  timeline.collapse_all_groups(model, false);
  app->frame();
  EXPECT_EQ(lanes(*app).size(), 5u);
}

TEST_F(GuiLanes, APoolsWorkersCollapseIntoOneLaneAndExpandAgain) {
  auto app = make_app("pool-collect", "en", 10);
  ASSERT_TRUE(app->classroom().run()) << app->classroom().status();
  ASSERT_TRUE(app->finish_run(60));
  app->frame();
  const TraceModel& model = app->classroom().shown()->model();
  const Names expanded = lanes(*app);
  ASSERT_GE(expanded.size(), 3u);
  click_arrow(*app, row_named(*app, "MainProcess"));
  const std::string label = "Pool workers (" + std::to_string(expanded.size() - 1) + ")";
  ASSERT_EQ(lanes(*app), (Names{"MainProcess", label}));

  // Where every worker is in one state for a whole column, the summary lane shows that state's colour.
  const TimelineCanvas& canvas = app->timeline().canvas();
  const std::vector<std::int32_t>& members = canvas.groups().front().members;
  const Image image = picture(*app);
  std::size_t checked = 0;
  for (int column = 2; column + 2 < canvas.axis().columns; column += 7) {
    const auto from = static_cast<std::int64_t>(canvas.axis().ns_at_column(column - 1));
    const auto to = static_cast<std::int64_t>(canvas.axis().ns_at_column(column + 2));
    if (to > model.end_ns()) break;  // past the end nothing is drawn
    std::optional<ProcState> common;
    bool same = true;
    for (std::int32_t pid : members) {
      const auto a = model.process(pid)->span_at(from);
      const auto b = model.process(pid)->span_at(to);  // the same span: the same begin
      same &= a && b && a->begin_ns == b->begin_ns && (!common || *common == a->state);
      if (a) common = a->state;
    }
    const float x = canvas.axis().left + static_cast<float>(column);
    if (!same || !common || arrow_over(canvas, canvas.lane_rows()[1], x)) continue;
    ++checked;
    EXPECT_EQ(strip_at_x(image, canvas.lane_rows()[1], static_cast<int>(x)), state_color(*common))
        << "column " << column;
  }
  EXPECT_GT(checked, 10u);

  click_arrow(*app, row_named(*app, label));
  EXPECT_EQ(lanes(*app), expanded);
}

TEST_F(GuiLanes, AThousandLanesFilteredToOne) {
  auto app = make_app("ticket-lock");
  show(*app, synthetic_trace(20'000, 1000));
  ASSERT_EQ(app->classroom().shown()->model().processes().size(), 1000u);
  EXPECT_EQ(filtered(*app, "Process-777"), (Names{"MainProcess", "Process-777"}));
  EXPECT_TRUE(shows(*app, "1 of 1,000 lanes"));
  const TimelineCanvas& canvas = app->timeline().canvas();
  const auto& row = row_named(*app, "Process-777");
  EXPECT_EQ(row.pid, 1777);
  const Image image = picture(*app);
  std::size_t coloured = 0;
  for (int x = static_cast<int>(canvas.axis().left); x < static_cast<int>(canvas.axis().left) + canvas.axis().columns; ++x)
    for (int s = 0; s < static_cast<int>(ProcState::Count_); ++s)
      coloured += image.pixel(x, static_cast<int>((row.top + row.bottom) * 0.5f) - 2) == state_color(static_cast<ProcState>(s));
  EXPECT_GT(coloured, static_cast<std::size_t>(canvas.axis().columns) / 2);
}
