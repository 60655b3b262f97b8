// The Code view says where each process of a Python program is, as a teacher uses it: stepped, every held process's
// line carries a dot in its lane's colour, ringed in the gate's yellow, and the view scrolls to it ("Process-1 is about
// to run line 54"); with the pointer on the timeline, the Code tab under it marks the lines at that time, and without
// it the lines at the playhead. And a C++ lesson switched to its tutorial code shows and runs the tutorial's own file
// as written, then switches back.
#include <algorithm>
#include <filesystem>
#include <regex>

#include <GLFW/glfw3.h>

#include "gui_test_support.hpp"
#include "palette.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::make_app;
using forkscope::gui::testing::press_key;
using forkscope::gui::testing::picture;
using forkscope::testing::TempDir;
using forkscope::testing::run_command;

namespace {

// Fifty lines of docstring first, so the lines the processes stop at start out of sight in the Code view.
std::string two_workers() {
  std::string source = "\"\"\"Two workers print under a Lock.\n";
  for (int i = 0; i < 48; ++i) source += "A line of the docstring, to push the code down.\n";
  source += "\"\"\"\nimport multiprocessing as mp\n\n\n"  // lines 50-53
            "def worker(lock, n):\n"                     // 54
            "    with lock:\n"                           // 55
            "        print(\"worker\", n)\n"             // 56
            "\n\n"
            "if __name__ == \"__main__\":\n"             // 59
            "    lock = mp.Lock()\n"                     // 60
            "    workers = [mp.Process(target=worker, args=(lock, n)) for n in range(2)]\n"
            "    for p in workers:\n"                    // 62
            "        p.start()\n"                        // 63
            "    for p in workers:\n"                    // 64
            "        p.join()\n";                        // 65
  return source;
}
constexpr std::int64_t kWithLock = 55;

std::string line_of(const std::string& source, std::int64_t line) {
  std::size_t at = 0;
  for (std::int64_t n = 1; n < line; ++n) at = source.find('\n', at) + 1;
  return source.substr(at, source.find('\n', at) - at);
}

// The lane colour the timeline gives a process.
ImU32 lane_color(const TraceModel& model, std::int32_t pid) {
  const std::vector<Lane> lanes = lanes_in_tree_order(model);
  for (std::size_t i = 0; i < lanes.size(); ++i)
    if (lanes[i].pid == pid) return process_color(i);
  return 0;
}

// Pixels of exactly `color` in the 9x9 box around `at`.
int pixels_near(const Image& image, ImVec2 at, ImU32 color) {
  int n = 0;
  for (int dy = -4; dy <= 4; ++dy)
    for (int dx = -4; dx <= 4; ++dx) n += image.pixel(static_cast<int>(at.x) + dx, static_cast<int>(at.y) + dy) == color;
  return n;
}

const CodeMark* mark_of(const std::vector<CodeMark>& marks, std::int32_t pid) {
  auto it = std::find_if(marks.begin(), marks.end(), [&](const CodeMark& m) { return m.pid == pid; });
  return it == marks.end() ? nullptr : &*it;
}

}  // namespace

class GuiCodeLines : public GuiTest {};

TEST_F(GuiCodeLines, SteppedTheCodeViewMarksEachHeldProcesssLineInItsLaneColour) {
  TempDir dir;
  const std::string source = two_workers();
  auto app = make_app("ticket-lock");
  Classroom& classroom = app->classroom();
  classroom.open_program(dir.write("two_workers.py", source));
  app->show(CenterView::Code);
  app->frame();
  EXPECT_EQ(app->code(CenterView::Code).mark_time(), MarkTime::None) << "nothing runs yet: no dots";

  // Step until a worker waits at the gate before its first operation, `with lock:`.
  ASSERT_TRUE(app->take_steps(0, 30)) << classroom.status();
  auto held_worker = [&]() -> const HeldProcess* {
    for (const HeldProcess& h : classroom.held())
      if (h.name.starts_with("Process-")) return &h;
    return nullptr;
  };
  for (int step = 0; step < 20 && !held_worker(); ++step) ASSERT_TRUE(app->take_steps(1, 30)) << "step " << step;
  ASSERT_NE(held_worker(), nullptr) << "no worker reached the gate";
  for (int i = 0; i < 3; ++i) app->frame();  // the view scrolls to the marks, then shows them

  const CodePanel& code = app->code(CenterView::Code);
  ASSERT_EQ(code.mark_time(), MarkTime::Stepping);
  const TraceModel& model = classroom.shown()->model();
  const Image image = picture(*app);
  ASSERT_FALSE(classroom.held().empty());
  for (const HeldProcess& h : classroom.held()) {
    const CodeMark* m = mark_of(code.marks(), h.pid);
    ASSERT_NE(m, nullptr) << h.name << " is held but its line is not marked";
    EXPECT_TRUE(m->held) << h.name;
    EXPECT_EQ(m->name, h.name);
    EXPECT_EQ(m->color, lane_color(model, h.pid)) << h.name << ": the dot has its lane's colour";
    if (h.name.starts_with("Process-")) {
      EXPECT_EQ(m->line, kWithLock) << h.name << " waits at '" << line_of(source, m->line) << "'";
    } else {
      EXPECT_EQ(h.name, "MainProcess");
      EXPECT_TRUE(line_of(source, m->line).ends_with("p.start()") || line_of(source, m->line).ends_with("p.join()"))
          << "MainProcess waits at line " << m->line << ": '" << line_of(source, m->line) << "'";
    }
    // On screen: the dot is drawn at the left of its line (scrolled into sight), in the lane's colour.
    const auto [top, bottom] = code.line_span(m->line);
    ASSERT_GT(m->at.x, 0) << h.name << "'s dot was not drawn";
    EXPECT_GE(m->at.y, top);
    EXPECT_LE(m->at.y, bottom);
    EXPECT_GE(pixels_near(image, m->at, m->color), 9) << h.name << "'s dot at line " << m->line;
  }
  // A process that is not alive has no dot; every dot is on a line of the file.
  for (const CodeMark& m : code.marks()) {
    EXPECT_GE(m.line, 1);
    EXPECT_LE(m.line, 65);
  }

  // Run it to its end; with the pointer on the timeline the Code tab under it marks the lines at that time.
  ASSERT_TRUE(classroom.run());
  ASSERT_TRUE(app->finish_run(60));
  app->show(CenterView::Timeline);
  app->show(DetailTab::Code);
  app->frame();
  app->frame();  // a tab chosen shows from the next frame
  EXPECT_EQ(app->code(DetailTab::Code).mark_time(), MarkTime::None) << "a finished run without the pointer: no dots";
  const ProcessInfo* worker = nullptr;
  for (const ProcessInfo& p : model.processes())
    if (p.name == "Process-1") worker = &p;
  ASSERT_NE(worker, nullptr);
  ASSERT_FALSE(worker->source_lines.empty());
  const TimelineCanvas& canvas = app->timeline().canvas();
  const auto row = std::find_if(canvas.lane_rows().begin(), canvas.lane_rows().end(),
                                [&](const auto& r) { return r.pid == worker->pid; });
  ASSERT_NE(row, canvas.lane_rows().end());
  // The middle of the worker's life, a column after its first line was noted.
  const double t = std::max(static_cast<double>(worker->source_lines.front().t_ns), static_cast<double>(worker->begin_ns)) +
                   canvas.axis().ns_per_column();
  const float x = std::ceil(canvas.axis().x_of(t)) + 1;
  app->window().set_pointer({{x, (row->top + row->bottom) * 0.5f}, false, 0});
  app->frame();
  app->frame();
  const CodePanel& below = app->code(DetailTab::Code);
  ASSERT_EQ(below.mark_time(), MarkTime::Pointer);
  ASSERT_TRUE(app->ui().hovered_ns.has_value());
  const CodeMark* m = mark_of(below.marks(), worker->pid);
  ASSERT_NE(m, nullptr) << "Process-1 was alive under the pointer";
  EXPECT_EQ(m->line, worker->line_at(*app->ui().hovered_ns));
  EXPECT_FALSE(m->held) << "the past is not the gate";
  app->window().set_pointer({{-1000, -1000}, false, 0});

  // With the pointer off the timeline, the playhead (Home: the first operation, Right: the next ones) says which
  // instant: the lines each process was at then.
  press_key(*app, GLFW_KEY_HOME);
  for (int i = 0; i < 12; ++i) press_key(*app, GLFW_KEY_RIGHT);
  const std::optional<std::int64_t> at = app->ui().playhead.at(classroom.shown());
  ASSERT_TRUE(at.has_value());
  ASSERT_EQ(below.mark_time(), MarkTime::Playhead);
  EXPECT_EQ(below.marks().size(), code_marks(model, *at, nullptr).size());
  for (const CodeMark& mark : below.marks()) EXPECT_EQ(mark.line, model.process(mark.pid)->line_at(*at)) << mark.name;
  EXPECT_FALSE(below.marks().empty());
}

TEST_F(GuiCodeLines, TicketLockSwitchedToItsTutorialCodeRunsTheTutorialsFileToItsEnd) {
  auto app = make_app("ticket-lock", "zh");
  Classroom& classroom = app->classroom();
  const Lesson& lesson = classroom.lesson();
  ASSERT_EQ(lesson.id, "ticket-lock");
  const auto& examples = classroom.tutorial_programs(lesson);
  ASSERT_EQ(examples.size(), 1u);
  ASSERT_EQ(classroom.default_tutorial(lesson), std::optional<std::size_t>(0));
  ASSERT_TRUE(classroom.choose_tutorial(lesson, 0)) << classroom.status();
  app->show(CenterView::Code);
  app->frame();

  // The Code view shows the tutorial's file; the lesson stays ticket-lock's.
  ASSERT_NE(classroom.program(), nullptr);
  EXPECT_EQ(classroom.program()->file_name(), "t002_08_ticket_lock.py");
  EXPECT_EQ(classroom.tutorial_lesson(), &lesson);
  EXPECT_NE(classroom.program()->source.find("mutex.acquire()"), std::string::npos);

  // Run: in a folder of its own holding `info` with 3 tickets; 5 buyers look, 3 of them buy.
  ASSERT_TRUE(classroom.run()) << classroom.status();
  ASSERT_TRUE(app->finish_run(120));
  const RunRecord* run = classroom.shown();
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->facts().main_exitcode, 0) << classroom.status();
  const TraceModel& model = run->model();
  int looked = 0, bought = 0, none_left = 0;
  const std::regex buy("用户[0-4]抢票成功"), empty("用户[0-4]查询余票为0");
  for (const PrintedLine& l : model.lines()) {
    looked += l.text == "用户查询余票数3";
    bought += std::regex_match(l.text.begin(), l.text.end(), buy);
    none_left += std::regex_match(l.text.begin(), l.text.end(), empty);
  }
  EXPECT_EQ(looked, 5);
  EXPECT_EQ(bought, 3) << "the setup file holds 3 tickets";
  EXPECT_EQ(none_left, 2);
  std::size_t buyers = 0;
  for (const ProcessInfo& p : model.processes()) buyers += p.name.starts_with("Process-");
  EXPECT_EQ(buyers, 5u);
  app->show(DetailTab::Console);
  app->frame();

  // Switching back shows the C++ lesson again.
  classroom.select(lesson);
  app->frame();
  EXPECT_EQ(classroom.program(), nullptr);
  EXPECT_EQ(classroom.lesson().id, "ticket-lock");
  EXPECT_EQ(app->code(CenterView::Code).mark_time(), MarkTime::None);
}

TEST_F(GuiCodeLines, TheTutorialCodeFlagRunsItHeadlessAndRefusesWhatItCannotRun) {
  TempDir dir;
  const std::string shot = dir.file("tutorial.png");
  const auto r = run_command({FORKSCOPE_GUI, "--lesson", "ticket-lock", "--tutorial-code", "--run", "--view", "code",
                              "--speed", "10", "--screenshot", shot});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(shot));
  // An example named that the lesson does not have; a lesson that mirrors none; --python with it.
  const auto unknown = run_command({FORKSCOPE_GUI, "--lesson", "ticket-lock", "--tutorial-code", "nope.py", "--screenshot", shot});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("t002_08_ticket_lock.py"), std::string::npos) << unknown.err;
  const auto both = run_command({FORKSCOPE_GUI, "--python", shot, "--tutorial-code", "--screenshot", shot});
  EXPECT_EQ(both.exit_code, 2);
}
