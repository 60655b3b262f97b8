// The viewer's shell: the window, the fonts, the strings, the classroom and the panels, laid out from the window's
// size (ImGui 1.86 has no docking; a fixed layout also keeps screenshots identical from run to run). The same object
// serves the interactive loop, headless screenshots, the frame benchmark and the tests.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "classroom.hpp"
#include "fonts.hpp"
#include "lesson_library.hpp"
#include "panels.hpp"
#include "strings.hpp"
#include "ui.hpp"
#include "window.hpp"

namespace forkscope::gui {

struct AppOptions {
  std::string language = "en";
  float scale = 1;
  int width = 1280, height = 800;
  bool vsync = true;
  double speed = 1;
};

enum class CenterView { Timeline, Compare, Code };
enum class DetailTab { Processes, Objects, Console, Result, Code };

class App {
 public:
  App(const Lesson& lesson, const AppOptions& options);  // SystemFailure without a display
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  void run();                             // the interactive loop, until the window closes or SIGINT/SIGTERM/SIGHUP
  [[nodiscard]] bool closing() const;     // the window was closed, or a signal asked to quit
  void frame(Image* capture = nullptr);   // one frame; `capture` receives the picture as shown
  // Frames at the interactive pace until the live run ends. False past the deadline or when closing (the run is
  // then stopped).
  bool finish_run(double timeout_seconds);
  // Frames at the interactive pace until `done`; false past the deadline or when closing.
  bool frames_until(const std::function<bool()>& done, double timeout_seconds = 30);
  // Grants `steps` operations one by one, each settled before the next; starts the lesson paused when none is live.
  bool take_steps(int steps, double timeout_seconds);
  // While `into` is set, each frame appends every text it shows, with where: ImGui's log of what each panel's widgets
  // rendered ("lesson", "center", ...), and the texts drawn straight onto draw lists ("drawn"). Tests read the words a
  // user sees; nullptr stops.
  struct ShownText {
    std::string where, text;
  };
  void record_texts(std::vector<ShownText>* into) { recorded_texts_ = into; }
  void show(CenterView view) { pending_center_ = view; }
  void show(DetailTab tab) { pending_detail_ = tab; }

  // Work time of each frame (not the pause between frames), recorded while `recording` is on.
  void record_frames(bool on) { recording_ = on; }
  [[nodiscard]] const std::vector<double>& frame_ms() const { return frame_ms_; }
  [[nodiscard]] const std::vector<double>& frame_interval_ms() const { return frame_interval_ms_; }

  [[nodiscard]] Classroom& classroom() { return classroom_; }
  [[nodiscard]] Ui& ui() { return ui_; }
  [[nodiscard]] Window& window() { return window_; }
  [[nodiscard]] FontBook& fonts() { return fonts_; }
  [[nodiscard]] TimelinePanel& timeline() { return timeline_; }
  [[nodiscard]] ComparePanel& compare() { return compare_; }
  [[nodiscard]] OpenDialog& open_dialog() { return open_dialog_; }
  [[nodiscard]] ObjectsPanel& objects() { return objects_; }
  [[nodiscard]] ConsolePanel& console() { return console_; }
  // The Code view: the center tab, or the detail tab under the timeline.
  [[nodiscard]] CodePanel& code(CenterView) { return code_; }
  [[nodiscard]] CodePanel& code(DetailTab) { return code_below_; }
  [[nodiscard]] const LessonLibrary& library() const { return library_; }

  // Where the panels go this frame: the toolbar's rows, the sidebar's width, the timeline's height. The sidebar and the
  // timeline's height follow the splitters once dragged (as shares of the window, so a resize keeps them).
  struct Layout {
    float toolbar = 0, status = 0, left = 0, body = 0, center = 0;
  };
  [[nodiscard]] Layout layout() const;
  // The bottom-right corner of the toolbar's items in the last frame (every item must be inside the window).
  [[nodiscard]] ImVec2 toolbar_extent() const { return toolbar_extent_; }
  // The last picture Ctrl+S or Ctrl+Shift+S wrote (the status line says its path, or why it could not).
  [[nodiscard]] const std::filesystem::path& last_export() const { return last_export_; }
  // Predict first, in the last frame: the lesson text asked its question with what to watch held back; the Result
  // tab showed the question next to the result.
  [[nodiscard]] bool predicting() const { return predicting_; }
  [[nodiscard]] bool result_question_shown() const { return result_question_; }
  static constexpr float kMinSidebarShare = 0.12f, kMaxSidebarShare = 0.6f;  // the timeline keeps 40 % at least
  static constexpr float kMinCenterShare = 0.3f, kMaxCenterShare = 0.85f;

 private:
  void note_new_texts();
  void apply_scale();
  void lay_out_panels();
  // Ctrl+S: the window as shown; Ctrl+Shift+S: the center view (the timeline) drawn at twice the scale. Written at once
  // to ~/Pictures/Forkscope (made if missing; $HOME without ~/Pictures) as <lesson>-run<N>-<time>.png.
  void export_picture(Export what, const Image* window_picture);
  [[nodiscard]] std::filesystem::path export_path(Export what) const;
  [[nodiscard]] Image center_picture_at_2x();
  void pace(std::chrono::steady_clock::time_point frame_start);

  Window window_;
  Strings strings_;
  FontBook fonts_;
  LessonLibrary library_;
  Classroom classroom_;
  Ui ui_;
  TimelinePanel timeline_;
  ConsolePanel console_;
  ObjectsPanel objects_;
  ComparePanel compare_;
  CodePanel code_, code_below_;
  OpenDialog open_dialog_;
  float built_scale_ = 0;
  float toolbar_height_ = 0;
  ImVec2 toolbar_extent_{0, 0};
  std::optional<float> sidebar_share_, center_share_;
  std::filesystem::path last_export_;
  bool predicting_ = false, result_question_ = false;
  std::optional<CenterView> pending_center_;
  std::optional<DetailTab> pending_detail_;
  struct Noted {
    std::size_t texts = 0;  // the run's first texts (a model's texts are in the order they came)
    bool facts = false;
  };
  std::map<int, Noted> noted_;  // by run number: how much of each run the font atlas has seen
  std::uint64_t programs_noted_ = 0;  // the classroom's programs_revision() the font atlas has seen
  std::string title_;
  bool recording_ = false;
  std::vector<ShownText>* recorded_texts_ = nullptr;
  std::vector<double> frame_ms_, frame_interval_ms_;
  std::chrono::steady_clock::time_point last_frame_{};
};

}  // namespace forkscope::gui
