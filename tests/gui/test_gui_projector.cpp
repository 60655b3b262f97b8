// The viewer in front of a class, under Xvfb: at every projector scale on a small window the toolbar stays on screen
// and the keys change the scale; the panels' borders can be dragged; the ruler's readout never covers a tick label
// and speaks its unit; F1 lists every key; Ctrl+S and Ctrl+Shift+S write pictures at once.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>

#include <GLFW/glfw3.h>
#include <stb_image.h>  // compiled into Debian's libstb

#include "gui_test_support.hpp"
#include "registry.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::make_app;
using forkscope::gui::testing::point;
using forkscope::gui::testing::press_ctrl_key;
using forkscope::gui::testing::press_key;

namespace {

// Sets $HOME for one test and puts it back.
class HomeFor {
 public:
  explicit HomeFor(const std::filesystem::path& home) {
    if (const char* old = std::getenv("HOME")) old_ = old;
    setenv("HOME", home.c_str(), 1);
  }
  ~HomeFor() {
    if (old_) setenv("HOME", old_->c_str(), 1);
    else unsetenv("HOME");
  }
  HomeFor(const HomeFor&) = delete;
  HomeFor& operator=(const HomeFor&) = delete;

 private:
  std::optional<std::string> old_;
};

struct Png {
  int width = 0, height = 0;
  std::size_t colours = 0;  // distinct colours: a picture of something, not an empty frame
};

Png read_png(const std::filesystem::path& file) {
  Png png;
  int channels = 0;
  unsigned char* data = stbi_load(file.c_str(), &png.width, &png.height, &channels, 4);
  if (data == nullptr) return png;
  std::set<std::uint32_t> colours;
  for (std::size_t i = 0; i < static_cast<std::size_t>(png.width) * static_cast<std::size_t>(png.height) && colours.size() < 1000; i += 7) {
    std::uint32_t c = 0;
    std::memcpy(&c, data + i * 4, 4);
    colours.insert(c);
  }
  stbi_image_free(data);
  png.colours = colours.size();
  return png;
}

}  // namespace

class GuiProjector : public GuiTest {};

TEST_F(GuiProjector, EveryLessonAt200PercentKeepsTheWholeToolbarInASmallWindow) {
  for (const auto& [width, height] : {std::pair{1280, 800}, std::pair{1024, 768}})
    for (const std::string& language : {std::string("en"), std::string("zh")}) {
      auto app = make_app("ticket-lock", language, 10, width, height);
      app->ui().scale = 2;
      for (const Lesson& lesson : scenarios::all()) {
        if (lesson.hidden) continue;
        app->classroom().select(lesson);
        for (int i = 0; i < 3; ++i) app->frame();  // the toolbar takes the rows it needed in the frame before
        const ImVec2 display = ImGui::GetIO().DisplaySize;
        ASSERT_EQ(display.x, static_cast<float>(width));
        const ImVec2 extent = app->toolbar_extent();
        const App::Layout l = app->layout();
        SCOPED_TRACE(fmt::format("{} {}x{} {}", lesson.id, width, height, language));
        EXPECT_LE(extent.x, display.x) << "a toolbar item is cut off on the right";
        EXPECT_LE(extent.y, l.toolbar) << "a toolbar row is hidden under the panels";
        EXPECT_GE(display.x - l.left, display.x * 0.4f) << "the timeline keeps 40 % of the width";
        EXPECT_GT(l.center, l.body * 0.25f);
      }
    }
}

TEST_F(GuiProjector, CtrlKeysChangeTheScaleAndCtrl0ResetsIt) {
  auto app = make_app("ticket-lock");
  Ui& ui = app->ui();
  press_ctrl_key(*app, GLFW_KEY_EQUAL);
  EXPECT_FLOAT_EQ(ui.scale, 1.25f);
  press_ctrl_key(*app, GLFW_KEY_KP_ADD);
  EXPECT_FLOAT_EQ(ui.scale, 1.5f);
  press_ctrl_key(*app, GLFW_KEY_MINUS);
  EXPECT_FLOAT_EQ(ui.scale, 1.25f);
  for (int i = 0; i < 6; ++i) press_ctrl_key(*app, GLFW_KEY_EQUAL);
  EXPECT_FLOAT_EQ(ui.scale, 2.0f);  // the largest step stays
  press_ctrl_key(*app, GLFW_KEY_0);
  EXPECT_FLOAT_EQ(ui.scale, 1.0f);
  // + alone is still the speed.
  const double speed = app->classroom().speed();
  press_key(*app, GLFW_KEY_MINUS);
  EXPECT_FLOAT_EQ(ui.scale, 1.0f);
  EXPECT_LT(app->classroom().speed(), speed);
}

TEST_F(GuiProjector, ThePanelsBordersAreDraggedWithTheMouse) {
  auto app = make_app("ticket-lock");
  app->ui().scale = 2;
  for (int i = 0; i < 3; ++i) app->frame();
  const App::Layout before = app->layout();
  const float y = before.toolbar + before.body * 0.5f;
  point(*app, {before.left, y}, false);
  point(*app, {before.left, y}, true);
  point(*app, {before.left - 150, y}, true);
  point(*app, {before.left - 150, y}, false);
  const App::Layout narrower = app->layout();
  EXPECT_NEAR(narrower.left, before.left - 150, 2);

  const float x = narrower.left + 300, border = narrower.toolbar + narrower.center;
  point(*app, {x, border}, false);
  point(*app, {x, border}, true);
  point(*app, {x, border - 80}, true);
  point(*app, {x, border - 80}, false);
  EXPECT_NEAR(app->layout().center, narrower.center - 80, 2);

  // Far past the edge: the timeline keeps its minimum.
  point(*app, {narrower.left, y}, false);
  point(*app, {narrower.left, y}, true);
  point(*app, {1270, y}, true);
  point(*app, {1270, y}, false);
  EXPECT_LE(app->layout().left, 1280 * App::kMaxSidebarShare + 1);
}

TEST_F(GuiProjector, TheReadoutNeverCoversATickLabelAndSpeaksTheRulersUnit) {
  for (const std::string& id : {std::string("ticket-lock"), std::string("pool-sync-vs-async")}) {
    auto app = make_app(id);
    ASSERT_TRUE(app->classroom().run());
    ASSERT_TRUE(app->finish_run(120));
    app->frame();
    const TimelineCanvas& canvas = app->timeline().canvas();
    const TimeAxis& axis = canvas.axis();
    const auto row = std::find_if(canvas.lane_rows().begin(), canvas.lane_rows().end(), [](const auto& r) { return r.visible; });
    ASSERT_NE(row, canvas.lane_rows().end());
    int readouts = 0;
    for (int i = 1; i < 40; ++i) {
      const float x = axis.left + static_cast<float>(axis.columns) * static_cast<float>(i) / 40.0f;
      point(*app, {x, (row->top + row->bottom) * 0.5f}, false);
      const auto& readout = canvas.readout();
      ASSERT_TRUE(readout) << "at x=" << x;
      ++readouts;
      const std::string unit = readout->text.substr(readout->text.rfind(' ') + 1);
      ASSERT_FALSE(canvas.tick_labels().empty());
      for (const auto& tick : canvas.tick_labels()) {
        EXPECT_FALSE(tick.rect.Overlaps(readout->rect)) << id << ": \"" << readout->text << "\" covers \"" << tick.text << "\"";
        EXPECT_EQ(tick.text.substr(tick.text.rfind(' ') + 1), unit) << id << ": " << tick.text << " against " << readout->text;
      }
    }
    EXPECT_EQ(readouts, 39);
  }
}

TEST_F(GuiProjector, F1ListsEveryKeyInBothLanguagesAndEscOrAClickClosesIt) {
  for (const std::string& language : {std::string("en"), std::string("zh")}) {
    const Strings& strings = [&]() -> const Strings& {
      static Strings s(assets_dir() / "i18n");
      s.set_language(language);
      return s;
    }();
    for (const char* row : keys_overlay_rows()) {
      for (const std::string& key : {fmt::format("keycap.{}", row), fmt::format("keys.{}", row)})
        EXPECT_NE(std::string(strings(key)), key) << key << " is missing in " << language;
    }
  }
  auto app = make_app("ticket-lock", "zh");
  Ui& ui = app->ui();
  press_key(*app, GLFW_KEY_F1);
  EXPECT_TRUE(ui.keys_shown);
  const Image open = forkscope::gui::testing::picture(*app);
  press_key(*app, GLFW_KEY_R);  // the overlay has the keys: R does not reset behind it
  EXPECT_TRUE(ui.keys_shown);
  press_key(*app, GLFW_KEY_ESCAPE);
  EXPECT_FALSE(ui.keys_shown);
  const Image closed = forkscope::gui::testing::picture(*app);
  EXPECT_NE(open.rgba, closed.rgba);  // it was drawn

  ImGui::GetIO().KeyShift = true;  // ? is Shift+/
  press_key(*app, GLFW_KEY_SLASH);
  ImGui::GetIO().KeyShift = false;
  EXPECT_TRUE(ui.keys_shown);
  point(*app, {640, 400}, true);
  point(*app, {640, 400}, false);
  EXPECT_FALSE(ui.keys_shown);
  press_key(*app, GLFW_KEY_F1);
  press_key(*app, GLFW_KEY_F1);
  EXPECT_FALSE(ui.keys_shown);
}

TEST_F(GuiProjector, CtrlSSavesTheWindowAndCtrlShiftSTheTimelineAtTwiceItsSize) {
  const forkscope::testing::TempDir home;
  std::filesystem::create_directory(home.path() / "Pictures");
  const HomeFor home_for(home.path());
  auto app = make_app("ticket-lock");
  ASSERT_TRUE(app->classroom().run());
  ASSERT_TRUE(app->finish_run(120));
  app->frame();
  Classroom& c = app->classroom();

  press_ctrl_key(*app, GLFW_KEY_S);
  const std::filesystem::path window = app->last_export();
  EXPECT_EQ(window.parent_path(), home.path() / "Pictures" / "Forkscope");
  EXPECT_TRUE(window.filename().string().starts_with(fmt::format("ticket-lock-run{}-", c.shown()->number()))) << window;
  EXPECT_EQ(c.status_key(), "status.exported");
  ASSERT_EQ(c.status_args().size(), 1u);
  EXPECT_EQ(c.status_args()[0], window.string());  // the status line names the whole path
  const Png whole = read_png(window);
  EXPECT_EQ(whole.width, 1280);
  EXPECT_EQ(whole.height, 800);
  EXPECT_GT(whole.colours, 20u);

  const App::Layout l = app->layout();
  press_ctrl_key(*app, GLFW_KEY_S, true);
  const std::filesystem::path timeline = app->last_export();
  EXPECT_NE(timeline, window);
  EXPECT_TRUE(std::filesystem::exists(window));
  const Png slide = read_png(timeline);
  EXPECT_EQ(slide.width, static_cast<int>(std::round((1280 - l.left) * 2)));
  EXPECT_EQ(slide.height, static_cast<int>(std::round(l.center * 2)));
  EXPECT_GT(slide.colours, 20u);
  EXPECT_FLOAT_EQ(app->ui().scale, 1.0f);  // the picture was drawn at 2x; the window is back at 1x
  app->frame();
  EXPECT_EQ(ImGui::GetIO().DisplaySize.x, 1280);
}

TEST_F(GuiProjector, WithoutPicturesItWritesIntoHomeAndAFailedWriteSaysWhy) {
  const forkscope::testing::TempDir home;
  {
    const HomeFor home_for(home.path());
    auto app = make_app("ticket-lock");
    app->frame();
    press_ctrl_key(*app, GLFW_KEY_S);
    EXPECT_EQ(app->last_export().parent_path(), home.path());
    EXPECT_TRUE(std::filesystem::is_regular_file(app->last_export()));
    EXPECT_TRUE(app->last_export().filename().string().starts_with("ticket-lock-run0-"));
  }
  const std::string not_a_folder = home.write("file", "x");
  const HomeFor home_for(not_a_folder);
  auto app = make_app("ticket-lock");
  app->frame();
  press_ctrl_key(*app, GLFW_KEY_S);
  const Classroom& c = app->classroom();
  EXPECT_EQ(c.status_key(), "status.export_failed");
  EXPECT_TRUE(c.status_is_error());
  ASSERT_EQ(c.status_args().size(), 1u);
  EXPECT_NE(c.status_args()[0].find(not_a_folder), std::string::npos) << c.status_args()[0];
}
