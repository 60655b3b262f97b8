// The one window: GLFW, its OpenGL 3 context, and Dear ImGui's context and backends, made and torn down together.
// Also what headless mode needs: a fixed size, and the last frame read back as a picture.
#pragma once

#include <cfloat>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <imgui.h>

struct GLFWwindow;

namespace forkscope::gui {

// An RGBA picture, top row first.
struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgba;

  [[nodiscard]] ImU32 pixel(int x, int y) const;  // as IM_COL32
  void save_png(const std::filesystem::path& file) const;  // atomically; SystemFailure when it cannot write
};

class Window {
 public:
  // SystemFailure when there is no display or no OpenGL 3.
  Window(const std::string& title, int width, int height, bool vsync);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  [[nodiscard]] static bool display_available();
  [[nodiscard]] static const std::string& last_error();  // GLFW's last complaint

  [[nodiscard]] bool should_close() const;
  void set_title(const std::string& title);
  void wait_events(double timeout_seconds);  // sleeps until input arrives (an idle viewer leaves the CPUs to lessons)
  // `offscreen`: this frame is drawn at that size into a picture of its own, not into the window (exports at 2x).
  void begin_frame(std::optional<ImVec2> offscreen = std::nullopt);
  // Headless pictures and tests must not depend on the desktop: where the X server left its pointer, or which
  // window has the keyboard focus (windows of other tests come and go). Headless, the pointer is the one the
  // program sets (tests, scripted pictures; the wheel turns once), and losing the focus is ignored.
  void set_headless(bool headless) { headless_ = headless; }
  struct Pointer {
    ImVec2 position{-FLT_MAX, -FLT_MAX};
    bool down = false;
    float wheel = 0;
  };
  void set_pointer(const Pointer& pointer) { pointer_ = pointer; }
  // Renders the frame; with `capture`, reads it back before it is shown (the back buffer is undefined afterwards).
  // SystemFailure when an offscreen frame cannot be made.
  void end_frame(Image* capture = nullptr);
  void reload_fonts();  // after the font atlas was rebuilt
  void wait_for_gpu();  // glFinish: a frame's time includes the rendering it queued
  void toggle_fullscreen();

 private:
  GLFWwindow* window_ = nullptr;
  bool headless_ = false;
  Pointer pointer_;
  std::optional<ImVec2> offscreen_;
  int windowed_x_ = 0, windowed_y_ = 0, windowed_w_ = 0, windowed_h_ = 0;
};

}  // namespace forkscope::gui
