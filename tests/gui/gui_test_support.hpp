// What the GUI tests share: a fixture that skips without a display and checks nothing is left behind, an App at
// the screenshot size, and ways to drive it frame by frame, with a deadline on every wait.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app.hpp"
#include "test_support.hpp"

namespace forkscope::gui::testing {

class GuiTest : public forkscope::testing::CleanTest {
 protected:
  void SetUp() override;  // GTEST_SKIP without a display
};

// An App on `lesson_id` at 1280x800 (or the size given), headless: the X server's pointer and focus do not change
// what it draws.
std::unique_ptr<App> make_app(const std::string& lesson_id, const std::string& language = "en", double speed = 10, int width = 1280,
                              int height = 800);

// One frame with the pointer at `at`, the left button down or up.
void point(App& app, ImVec2 at, bool down);

// A click at `at` (press, release), then the pointer away, so that no tooltip stays.
void click(App& app, ImVec2 at);

// A key pressed with Ctrl held (and Shift, when asked).
void press_ctrl_key(App& app, int glfw_key, bool shift = false);


// Every lesson in the list, for tests run once per lesson; and such a test's name ("ticket_lock").
std::vector<std::string> listed_lessons();
std::string lesson_test_name(const ::testing::TestParamInfo<std::string>& lesson);

// A key press as GLFW reports it: down for one frame, then up.
void press_key(App& app, int glfw_key);

// The picture of one more frame.
Image picture(App& app);

// How many events of this kind the model holds.
std::size_t count(const TraceModel& model, EventKind kind);

}  // namespace forkscope::gui::testing
