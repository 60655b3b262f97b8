#include "window.hpp"

#define GL_GLEXT_PROTOTYPES  // framebuffer objects (OpenGL 3.0) for pictures larger than the window
#define GLFW_INCLUDE_GLEXT
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <stb_image_write.h>  // compiled into Debian's libstb: no implementation define here

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "forkscope/atomic_write.hpp"
#include "forkscope/errors.hpp"

namespace forkscope::gui {

ImU32 Image::pixel(int x, int y) const {
  if (x < 0 || y < 0 || x >= width || y >= height) return 0;
  const std::size_t at = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) * 4;
  return IM_COL32(rgba[at], rgba[at + 1], rgba[at + 2], rgba[at + 3]);
}

void Image::save_png(const std::filesystem::path& file) const {
  write_file_atomically(file, "screenshot", [&](const WriteBytes& write) {
    const auto to_file = [](void* context, void* data, int size) {
      (*static_cast<const WriteBytes*>(context))(std::string_view(static_cast<const char*>(data), static_cast<std::size_t>(size)));
    };
    if (stbi_write_png_to_func(to_file, const_cast<WriteBytes*>(&write), width, height, 4, rgba.data(), width * 4) == 0)
      throw SystemFailure(fmt::format("encoding the screenshot {} as PNG failed", file.string()));
  });
}

namespace {
std::string g_glfw_error;
void remember_glfw_error(int, const char* description) { g_glfw_error = description; }
}  // namespace

const std::string& Window::last_error() { return g_glfw_error; }

bool Window::display_available() {
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if ((display == nullptr || *display == 0) && (wayland == nullptr || *wayland == 0)) return false;
  glfwSetErrorCallback(remember_glfw_error);
  // An X server resets when its last client leaves (Xvfb under xvfb-run does, between two test processes) and
  // refuses connections meanwhile: try again for a moment before calling the display absent.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (glfwInit() != GLFW_TRUE) {  // left initialised: the window that follows needs it anyway
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

Window::Window(const std::string& title, int width, int height, bool vsync) {
  if (!display_available()) throw SystemFailure("no display: " + (g_glfw_error.empty() ? "DISPLAY is not set" : g_glfw_error));
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  window_ = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
  if (window_ == nullptr) {
    glfwTerminate();
    throw SystemFailure("cannot open an OpenGL 3 window: " + g_glfw_error);
  }
  glfwMakeContextCurrent(window_);
  glfwSwapInterval(vsync ? 1 : 0);
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is computed from the window size; nothing to remember
  ImGui_ImplGlfw_InitForOpenGL(window_, true);
  ImGui_ImplOpenGL3_Init("#version 130");
}

Window::~Window() {
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window_);
  glfwTerminate();
}

bool Window::should_close() const { return glfwWindowShouldClose(window_) != 0; }
void Window::set_title(const std::string& title) { glfwSetWindowTitle(window_, title.c_str()); }
void Window::wait_events(double timeout_seconds) { glfwWaitEventsTimeout(timeout_seconds); }

void Window::begin_frame(std::optional<ImVec2> offscreen) {
  glfwPollEvents();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  offscreen_ = offscreen;
  if (offscreen) {  // the pointer is not on this picture: no hover, no tooltip
    ImGui::GetIO().DisplaySize = *offscreen;
    ImGui::GetIO().DisplayFramebufferScale = {1, 1};
    ImGui::GetIO().MousePos = {-FLT_MAX, -FLT_MAX};
  }
  if (headless_) {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = pointer_.position;
    for (bool& down : io.MouseDown) down = false;
    io.MouseDown[0] = pointer_.down;
    io.MouseWheel = std::exchange(pointer_.wheel, 0.0f);
    io.MouseWheelH = 0;
    io.AppFocusLost = false;  // would release the keys a test holds down
  }
  ImGui::NewFrame();
}

namespace {

// The picture OpenGL drew, top row first (OpenGL's first row is the bottom one).
void read_pixels(Image& picture, int width, int height) {
  picture.width = width;
  picture.height = height;
  picture.rgba.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4, 0);
  std::vector<std::uint8_t> bottom_up(picture.rgba.size());
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, bottom_up.data());
  const std::size_t row = static_cast<std::size_t>(width) * 4;
  for (int y = 0; y < height; ++y)
    std::memcpy(picture.rgba.data() + static_cast<std::size_t>(y) * row, bottom_up.data() + static_cast<std::size_t>(height - 1 - y) * row, row);
}

void render(int width, int height) {
  glViewport(0, 0, width, height);
  const ImVec4 background = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
  glClearColor(background.x, background.y, background.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

}  // namespace

void Window::end_frame(Image* capture) {
  ImGui::Render();
  if (offscreen_) {  // into a framebuffer object of that size; the window keeps its last frame
    const int width = static_cast<int>(offscreen_->x), height = static_cast<int>(offscreen_->y);
    GLuint framebuffer = 0, color = 0;
    glGenFramebuffers(1, &framebuffer);
    glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
    glGenRenderbuffers(1, &color);
    glBindRenderbuffer(GL_RENDERBUFFER, color);
    glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, width, height);
    glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, color);
    const bool complete = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
    if (complete) {
      render(width, height);
      if (capture != nullptr) {
        glReadBuffer(GL_COLOR_ATTACHMENT0);
        read_pixels(*capture, width, height);
      }
    }
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteRenderbuffers(1, &color);
    glDeleteFramebuffers(1, &framebuffer);
    offscreen_.reset();
    if (!complete) throw SystemFailure(fmt::format("OpenGL cannot draw a picture of {}x{} pixels off screen", width, height));
    return;
  }
  int width = 0, height = 0;
  glfwGetFramebufferSize(window_, &width, &height);
  render(width, height);
  if (capture != nullptr) {
    glReadBuffer(GL_BACK);
    read_pixels(*capture, width, height);
  }
  glfwSwapBuffers(window_);
}

void Window::reload_fonts() {
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();
}

void Window::wait_for_gpu() { glFinish(); }

void Window::toggle_fullscreen() {
  if (glfwGetWindowMonitor(window_) != nullptr) {
    glfwSetWindowMonitor(window_, nullptr, windowed_x_, windowed_y_, windowed_w_, windowed_h_, GLFW_DONT_CARE);
    return;
  }
  GLFWmonitor* monitor = glfwGetPrimaryMonitor();
  if (monitor == nullptr) return;
  const GLFWvidmode* mode = glfwGetVideoMode(monitor);
  glfwGetWindowPos(window_, &windowed_x_, &windowed_y_);
  glfwGetWindowSize(window_, &windowed_w_, &windowed_h_);
  glfwSetWindowMonitor(window_, monitor, 0, 0, mode->width, mode->height, mode->refreshRate);
}

}  // namespace forkscope::gui
