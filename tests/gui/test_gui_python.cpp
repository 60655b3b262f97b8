// A Python program in the viewer, as a student meets it: opened with Open… (Ctrl+O) from a folder, run to its end,
// its processes listed by Python's names, what it printed on the console (stderr apart), its lanes drawn; a
// process's threads folded under it until its arrow is clicked; and forkscope --python on the command line, with its
// headless picture and its refusals (one line, exit code 2).
#include <algorithm>
#include <filesystem>
#include <set>

#include <GLFW/glfw3.h>

#include "gui_test_support.hpp"
#include "palette.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::make_app;
using forkscope::gui::testing::click;
using forkscope::gui::testing::picture;
using forkscope::gui::testing::press_key;
using forkscope::testing::TempDir;
using forkscope::testing::expect_one_line_error;
using forkscope::testing::run_cli;
using forkscope::testing::run_command;

namespace {

// Three processes take turns under a Lock to print, and each puts its square into a Queue; the main process
// collects the squares and prints them with its arguments.
constexpr const char* kLockAndQueue = R"(import multiprocessing as mp
import sys
import time


def worker(lock, q, n):
    with lock:
        print(f"worker {n} has the lock")
        time.sleep(0.02)
    q.put(n * n)
    print(f"worker {n} is done", file=sys.stderr)


if __name__ == "__main__":
    lock = mp.Lock()
    q = mp.Queue()
    workers = [mp.Process(target=worker, args=(lock, q, n)) for n in range(3)]
    for p in workers:
        p.start()
    squares = sorted(q.get() for _ in workers)
    for p in workers:
        p.join()
    print("squares", squares, sys.argv[1:])
)";

// One process whose two threads take a Lock in turns.
constexpr const char* kThreads = R"(import multiprocessing as mp
import threading
import time


def job(lock):
    for _ in range(3):
        with lock:
            time.sleep(0.005)


def worker(lock):
    threads = [threading.Thread(target=job, args=(lock,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    lock = mp.Lock()
    p = mp.Process(target=worker, args=(lock,))
    p.start()
    p.join()
)";

std::vector<std::string> process_names(const TraceModel& model) {
  std::vector<std::string> names;
  for (const ProcessInfo& p : model.processes())
    if (!p.thread) names.push_back(p.name);
  std::sort(names.begin(), names.end());
  return names;
}

// How many pixels along the middle of each visible lane's strip show a state's colour.
std::size_t state_pixels(const Image& image, const TimelineCanvas& canvas, const TimelineCanvas::LaneRow& row) {
  std::set<ImU32> states;
  for (int s = 0; s < static_cast<int>(ProcState::Count_); ++s) states.insert(state_color(static_cast<ProcState>(s)));
  const auto& axis = canvas.axis();
  const int y = static_cast<int>((row.top + row.bottom) * 0.5f) - 2;
  std::size_t n = 0;
  for (int x = static_cast<int>(axis.left); x < static_cast<int>(axis.left) + axis.columns; ++x) n += states.contains(image.pixel(x, y));
  return n;
}

}  // namespace

class GuiPython : public GuiTest {};
class GuiPythonCommand : public GuiTest {};

TEST_F(GuiPython, OpensAProgramFromTheOpenDialogAndRunsItToItsEnd) {
  std::filesystem::path folder;
  {
    TempDir dir;
    folder = dir.path();
    const std::string program = dir.write("lock_and_queue.py", kLockAndQueue);
    dir.write("notes.txt", "not a program");
    dir.write(".hidden.py", "print('hidden')");
    std::filesystem::create_directory(dir.path() / "more");
    auto app = make_app("ticket-lock");

    // Ctrl+O shows the dialog; it lists the folder's subfolders and .py files, nothing else.
    ImGui::GetIO().KeyCtrl = true;
    press_key(*app, GLFW_KEY_O);
    ImGui::GetIO().KeyCtrl = false;
    OpenDialog& dialog = app->open_dialog();
    ASSERT_TRUE(dialog.is_open());
    dialog.navigate(app->ui(), dir.path());
    app->frame();
    std::vector<std::pair<std::string, bool>> listed;
    for (const auto& e : dialog.entries()) listed.emplace_back(e.name, e.folder);
    EXPECT_EQ(listed, (std::vector<std::pair<std::string, bool>>{{"more", true}, {"lock_and_queue.py", false}}));
    EXPECT_FALSE(dialog.open(app->ui(), dir.path() / "notes.txt"));  // refused, with a line that says why
    EXPECT_FALSE(dialog.error().empty());
    EXPECT_TRUE(dialog.is_open());
    ASSERT_TRUE(dialog.open(app->ui(), program)) << dialog.error();
    app->frame();
    EXPECT_FALSE(dialog.is_open());

    // The program is the chosen "lesson": no parameters, its source for the Code view.
    Classroom& classroom = app->classroom();
    ASSERT_NE(classroom.program(), nullptr);
    EXPECT_EQ(classroom.program()->file(), program);
    EXPECT_EQ(classroom.program()->file_name(), "lock_and_queue.py");
    EXPECT_EQ(classroom.program()->source, kLockAndQueue);
    EXPECT_TRUE(classroom.lesson().params.empty());

    ASSERT_TRUE(classroom.run()) << classroom.status();
    ASSERT_TRUE(app->finish_run(60));
    const RunRecord* run = classroom.shown();
    ASSERT_NE(run, nullptr);
    EXPECT_EQ(run->facts().main_exitcode, 0) << classroom.status();
    const TraceModel& model = run->model();
    EXPECT_EQ(process_names(model), (std::vector<std::string>{"MainProcess", "Process-1", "Process-2", "Process-3"}));
    for (const ProcessInfo& p : model.processes()) EXPECT_EQ(p.exitcode, std::optional<int>(0)) << p.name;

    // The console's lines: each worker's, on stdout and on stderr, and the main process's result.
    std::set<std::tuple<std::string, std::string, bool>> lines;
    for (const PrintedLine& l : model.lines()) lines.emplace(model.process(l.pid)->name, l.text, l.stderr_stream);
    for (int n = 0; n < 3; ++n) {
      const std::string name = "Process-" + std::to_string(n + 1);
      EXPECT_TRUE(lines.contains({name, "worker " + std::to_string(n) + " has the lock", false})) << name;
      EXPECT_TRUE(lines.contains({name, "worker " + std::to_string(n) + " is done", true})) << name;
    }
    EXPECT_TRUE(lines.contains({"MainProcess", "squares [0, 1, 4] []", false}));
    EXPECT_EQ(model.lines().size(), 7u);

    // The picture: every process's lane shows its states, and it is written to a file.
    app->show(DetailTab::Console);
    app->frame();
    const Image image = picture(*app);
    const TimelineCanvas& canvas = app->timeline().canvas();
    std::size_t lanes = 0;
    for (const auto& row : canvas.lane_rows()) {
      if (!row.visible) continue;
      ++lanes;
      EXPECT_GT(state_pixels(image, canvas, row), static_cast<std::size_t>(canvas.axis().columns) / 10)
          << model.process(row.pid)->name;
    }
    EXPECT_EQ(lanes, 4u);
    const std::filesystem::path shot = dir.path() / "shot.png";
    image.save_png(shot);
    EXPECT_GT(std::filesystem::file_size(shot), 10'000u);

    // A run saved by forkscope-cli opens from the same dialog, as a finished run beside the live ones.
    const std::string trace = dir.file("saved.fstrace");
    ASSERT_EQ(run_cli({"run", program, "--save-trace", trace}).exit_code, 0);
    ASSERT_TRUE(dialog.open(app->ui(), trace)) << dialog.error();
    app->frame();
    ASSERT_NE(classroom.shown(), run);
    EXPECT_FALSE(classroom.shown()->live());
    EXPECT_EQ(process_names(classroom.shown()->model()), process_names(model));
    EXPECT_EQ(classroom.shown()->model().lines().size(), 7u);
    app.reset();
  }
  EXPECT_FALSE(std::filesystem::exists(folder));  // nothing left behind
}

TEST_F(GuiPython, ThreadsAreFoldedUnderTheirProcessUntilItsArrowIsClicked) {
  TempDir dir;
  auto app = make_app("ticket-lock", "zh");
  app->classroom().open_program(dir.write("threads.py", kThreads));
  ASSERT_TRUE(app->classroom().run()) << app->classroom().status();
  ASSERT_TRUE(app->finish_run(60));
  const TraceModel& model = app->classroom().shown()->model();
  const auto threads = std::count_if(model.processes().begin(), model.processes().end(), [](const ProcessInfo& p) { return p.thread; });
  ASSERT_EQ(threads, 2) << "each thread of Process-1 has its own lane in the model";
  app->frame();

  const TimelineCanvas& canvas = app->timeline().canvas();
  auto rows = [&] {
    std::vector<std::pair<std::string, bool>> out;
    for (const auto& row : canvas.lane_rows()) out.emplace_back(model.process(row.pid)->name, row.thread);
    return out;
  };
  // Folded: one lane per process; Process-1's lane says it has two threads.
  EXPECT_EQ(rows(), (std::vector<std::pair<std::string, bool>>{{"MainProcess", false}, {"Process-1", false}}));
  const auto& worker = canvas.lane_rows()[1];
  EXPECT_EQ(worker.threads, 2);

  // One click on its arrow: its threads' sub-lanes, right under it, drawn.
  click(*app, {worker.fold_x + 4, (worker.top + worker.bottom) * 0.5f});
  const auto unfolded = rows();
  ASSERT_EQ(unfolded.size(), 4u);
  EXPECT_EQ(unfolded[1], std::make_pair(std::string("Process-1"), false));
  EXPECT_TRUE(unfolded[2].second && unfolded[3].second);
  EXPECT_EQ(app->ui().selected_pid, 0) << "the arrow folds; it does not pick the process";
  const Image image = picture(*app);
  for (const auto& row : canvas.lane_rows())
    EXPECT_GT(state_pixels(image, canvas, row), 10u) << model.process(row.pid)->name;

  // Another click folds them again.
  const auto& again = canvas.lane_rows()[1];
  click(*app, {again.fold_x + 4, (again.top + again.bottom) * 0.5f});
  EXPECT_EQ(rows().size(), 2u);
}

TEST_F(GuiPythonCommand, HeadlessPictureOfAProgramWithItsArguments) {
  TempDir dir;
  const std::string program = dir.write("lock_and_queue.py", kLockAndQueue);
  const std::string shot = dir.file("shot.png");
  const auto r = run_command({FORKSCOPE_GUI, "--python", program, "--lang", "zh", "--view", "code", "--tab", "processes",
                              "--run", "--screenshot", shot, "--", "a", "b"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(shot));

  // Stepping works through the gate: three operations, then the picture.
  const auto stepped = run_command({FORKSCOPE_GUI, "--python", program, "--steps", "3", "--screenshot", shot});
  EXPECT_EQ(stepped.exit_code, 0) << stepped.err;
}

TEST_F(GuiPythonCommand, BadProgramsAndArgumentsAreOneLineAndExitCodeTwo) {
  TempDir dir;
  const std::string program = dir.write("ok.py", "print('hi')\n");
  const std::string broken = dir.write("broken.py", "def f(:\n");
  const std::string shot = dir.file("shot.png");
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--python", dir.file("missing.py")}, "missing.py"},
      {{"--python", dir.path().string()}, "not a regular file"},
      {{"--python", program, "--lesson", "ticket-lock"}, "exclude each other"},
      {{"--python", program, "--set", "tickets=3"}, "--set is for lessons"},
      {{"--lesson", "ticket-lock", "--", "a"}, "--python"},
      {{"--python", broken, "--run"}, "SyntaxError"},
  };
  for (const auto& [args, message] : bad) {
    std::vector<std::string> argv = {FORKSCOPE_GUI, "--screenshot", shot};
    argv.insert(argv.end(), args.begin(), args.end());
    expect_one_line_error(run_command(argv, {}, 60), 2, message);
  }
  // In the window, the status line says why the program could not run.
  {
    auto app = make_app("ticket-lock");
    app->classroom().open_program(broken);
    ASSERT_TRUE(app->classroom().run());
    ASSERT_TRUE(app->finish_run(60));
    EXPECT_TRUE(app->classroom().status_is_error());
    EXPECT_NE(app->classroom().status().find("SyntaxError"), std::string::npos) << app->classroom().status();
  }
  // A program that fails on its own is its failure, not bad input: exit code 1, and still a picture.
  const std::string fails = dir.write("fails.py", "import sys\nsys.exit(3)\n");
  expect_one_line_error(run_command({FORKSCOPE_GUI, "--python", fails, "--run", "--screenshot", shot}, {}, 60), 1,
                        "exit code 3");
  EXPECT_TRUE(std::filesystem::exists(shot));
}
