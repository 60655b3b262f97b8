#include "gui_test_support.hpp"

#include <algorithm>

#include "registry.hpp"

namespace forkscope::gui::testing {

void GuiTest::SetUp() {
  if (!Window::display_available())
    GTEST_SKIP() << "no display (run under xvfb-run, as tools/test does): " << Window::last_error();
}

std::unique_ptr<App> make_app(const std::string& lesson_id, const std::string& language, double speed, int width, int height) {
  const Lesson* lesson = scenarios::find(lesson_id);
  if (lesson == nullptr) throw std::runtime_error("unknown lesson " + lesson_id);
  AppOptions options;
  options.language = language;
  options.speed = speed;
  options.vsync = false;
  options.width = width;
  options.height = height;
  auto app = std::make_unique<App>(*lesson, options);
  app->window().set_headless(true);
  return app;
}

std::vector<std::string> listed_lessons() {
  std::vector<std::string> ids;
  for (const Lesson& l : scenarios::all())
    if (!l.hidden) ids.push_back(l.id);
  return ids;
}

std::string lesson_test_name(const ::testing::TestParamInfo<std::string>& lesson) {
  std::string name = lesson.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

void press_key(App& app, int glfw_key) {
  ImGui::GetIO().KeysDown[glfw_key] = true;
  app.frame();
  ImGui::GetIO().KeysDown[glfw_key] = false;
  app.frame();
}

void point(App& app, ImVec2 at, bool down) {
  app.window().set_pointer({at, down, 0});
  app.frame();
}

void click(App& app, ImVec2 at) {
  point(app, at, true);
  point(app, at, false);
  point(app, {-1000, -1000}, false);
}

void press_ctrl_key(App& app, int glfw_key, bool shift) {
  ImGuiIO& io = ImGui::GetIO();
  io.KeyCtrl = true;
  io.KeyShift = shift;
  press_key(app, glfw_key);
  io.KeyCtrl = io.KeyShift = false;
}

Image picture(App& app) {
  Image image;
  app.frame(&image);
  return image;
}

std::size_t count(const TraceModel& model, EventKind kind) {
  return static_cast<std::size_t>(std::count_if(model.events().begin(), model.events().end(),
                                                [&](const TraceEvent& e) { return e.kind == kind; }));
}

}  // namespace forkscope::gui::testing
