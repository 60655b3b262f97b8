#include "app.hpp"

#include <csignal>
#include <thread>

#include <fmt/format.h>
#include <imgui.h>
#include <imgui_internal.h>  // GImGui->LogBuffer: what the frame's widgets rendered

#include "forkscope/lesson_text.hpp"

namespace forkscope::gui {

namespace {

volatile std::sig_atomic_t g_quit = 0;
void on_quit_signal(int) { g_quit = 1; }

// Ctrl-C or a closed terminal ends the loop like the window's close button: every lesson process is reaped and
// every shared segment removed on the way out.
void install_quit_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_quit_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
}

constexpr auto kFrameBudget = std::chrono::microseconds(16'667);  // 60 frames a second, vsync or not

void apply_style(float scale) {
  ImGuiStyle style;
  ImGui::StyleColorsDark(&style);
  style.WindowRounding = 0;
  style.FrameRounding = 3;
  style.GrabRounding = 3;
  style.TabRounding = 3;
  style.WindowBorderSize = 0;
  style.ItemSpacing = {8, 5};
  style.Colors[ImGuiCol_WindowBg] = {0.11f, 0.11f, 0.125f, 1.0f};
  style.Colors[ImGuiCol_Header] = {0.26f, 0.32f, 0.45f, 1.0f};
  style.ScaleAllSizes(scale);
  ImGui::GetStyle() = style;
}

// Panels tile the window and draw no background of their own: the frame is cleared to the panels' colour. A
// software renderer (llvmpipe) pays ~6 ms a frame to fill the screen once more with rectangles.
constexpr ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                                         ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings |
                                         ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground;

std::vector<App::ShownText>* g_logged_texts = nullptr;  // App::record_texts, while a frame records

// ImGui logs what a window's widgets render until that window ends: each panel is logged on its own.
bool begin_panel(const char* id, ImVec2 pos, ImVec2 size, ImGuiWindowFlags extra = 0) {
  ImGui::SetNextWindowPos(pos);
  ImGui::SetNextWindowSize(size);
  const bool open = ImGui::Begin(id, nullptr, kPanelFlags | extra);
  if (g_logged_texts) ImGui::LogToBuffer();
  return open;
}

void end_panel() {
  if (g_logged_texts && GImGui->LogEnabled) g_logged_texts->push_back({GImGui->CurrentWindow->Name, GImGui->LogBuffer.c_str()});
  ImGui::End();  // ends the log too
}

}  // namespace

App::App(const Lesson& lesson, const AppOptions& options)
    : window_("Forkscope", options.width, options.height, options.vsync),
      strings_(assets_dir() / "i18n"),
      classroom_(lesson, options.speed),
      ui_{strings_, fonts_, classroom_, options.scale} {
  strings_.set_language(options.language);
  for (std::string_view text : strings_.all_texts()) fonts_.note(text);
  for (std::string_view text : library_.all_texts()) fonts_.note(text);
  for (const Lesson* l : library_.lessons())  // the words each lesson gives its keys, in every language
    for (std::string_view language : kLanguages)
      for (const std::string& text : LessonNames::load(l->id, language).all_texts()) fonts_.note(text);
  fonts_.note("+0123456789");  // the Code view's "+N" where more processes share a line than it has dots for
}

App::~App() = default;

void App::note_new_texts() {
  // Every string the trace carried: names of processes and objects, printed lines, marks, task labels, errors.
  for (const auto& record : classroom_.runs()) {
    Noted& n = noted_[record->number()];
    const TraceModel& m = record->model();
    if (n.texts.size() != m.texts().size())
      for (const auto& [id, text] : m.texts())
        if (n.texts.insert(id).second) fonts_.note(text);
    if (!n.facts && !record->live()) {
      n.facts = true;
      fonts_.note(record->facts().result.dump());
      fonts_.note(record->facts().failure);
    }
  }
  if (programs_noted_ != classroom_.programs_revision()) {
    programs_noted_ = classroom_.programs_revision();
    for (const auto& program : classroom_.programs()) {
      fonts_.note(program->file());
      fonts_.note(program->source);
      for (const std::string& a : program->args) fonts_.note(a);
    }
    for (const auto& [lesson, tutorials] : classroom_.tutorials_read())
      for (const TutorialProgram& t : tutorials) {
        fonts_.note(t.title_en);
        fonts_.note(t.title_zh);
        fonts_.note(t.file.filename().string());
      }
  }
  fonts_.note(classroom_.status());
}

void App::apply_scale() {
  if (!fonts_.stale(ui_.scale) && built_scale_ == ui_.scale) return;
  fonts_.build(ui_.scale);
  window_.reload_fonts();
  if (built_scale_ != ui_.scale) apply_style(ui_.scale);
  built_scale_ = ui_.scale;
}

void App::frame(Image* capture) {
  const auto start = std::chrono::steady_clock::now();
  classroom_.poll();
  note_new_texts();
  apply_scale();
  const Program* program = classroom_.program();
  const std::string title = fmt::format("Forkscope · {}", program ? program->file_name()
                                                                  : library_.title(classroom_.lesson().id, strings_.language()));
  if (title != title_) window_.set_title(title_ = title);

  window_.begin_frame();
  std::vector<std::string> drawn;
  record_drawn_texts(recorded_texts_ ? &drawn : nullptr);
  g_logged_texts = recorded_texts_;
  handle_shortcuts(ui_);
  timeline_.update(ui_);  // the playhead's and the step axis's keys
  lay_out_panels();
  g_logged_texts = nullptr;
  record_drawn_texts(nullptr);
  for (std::string& text : drawn) recorded_texts_->push_back({"drawn", std::move(text)});
  window_.end_frame(capture);
  if (ui_.toggle_fullscreen) {
    ui_.toggle_fullscreen = false;
    window_.toggle_fullscreen();
  }
  if (recording_) {
    const auto now = std::chrono::steady_clock::now();
    frame_ms_.push_back(std::chrono::duration<double, std::milli>(now - start).count());
    if (last_frame_ != std::chrono::steady_clock::time_point{})
      frame_interval_ms_.push_back(std::chrono::duration<double, std::milli>(start - last_frame_).count());
  }
  last_frame_ = start;
}

void App::lay_out_panels() {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const ImGuiStyle& style = ImGui::GetStyle();
  const float bar = std::round(ImGui::GetFrameHeight() + style.WindowPadding.y * 2);
  const float left = std::round(std::clamp(display.x * 0.27f, ui_.px(300), ui_.px(480)));
  const float body = display.y - 2 * bar;
  const float center = std::round(body * 0.62f);

  if (begin_panel("toolbar", {0, 0}, {display.x, bar})) draw_toolbar(ui_);
  end_panel();

  if (begin_panel("lesson", {0, bar}, {left, body})) {
    ImGui::TextDisabled("%s", ui_.tr("panel.lessons"));
    ImGui::BeginChild("lesson_list", {0, std::round(body * 0.24f)}, true);
    draw_lesson_list(ui_, library_);
    ImGui::EndChild();
    ImGui::TextDisabled("%s", ui_.tr("panel.parameters"));
    draw_params(ui_);
    ImGui::Separator();
    ImGui::TextDisabled("%s", ui_.tr("panel.lesson"));
    draw_lesson_text(ui_, library_);
  }
  end_panel();

  auto tab = [](const char* text, const char* id, bool select) {
    return ImGui::BeginTabItem(label(text, id).c_str(), nullptr, select ? ImGuiTabItemFlags_SetSelected : 0);
  };
  ui_.hovered_ns.reset();  // the timeline sets it when the pointer rests on it; the Code tab below reads it
  if (begin_panel("center", {left, bar}, {display.x - left, center}, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse) &&
      ImGui::BeginTabBar("center_tabs")) {
    if (tab(ui_.tr("panel.timeline"), "timeline", pending_center_ == CenterView::Timeline)) {
      timeline_.draw(ui_);
      ImGui::EndTabItem();
    }
    if (tab(ui_.tr("panel.compare"), "compare", pending_center_ == CenterView::Compare)) {
      compare_.draw(ui_);
      ImGui::EndTabItem();
    }
    if (tab(ui_.tr("panel.code"), "code", pending_center_ == CenterView::Code)) {
      code_.draw(ui_, library_);
      ImGui::EndTabItem();
    }
    pending_center_.reset();
    ImGui::EndTabBar();
  }
  end_panel();

  if (begin_panel("details", {left, bar + center}, {display.x - left, body - center}) && ImGui::BeginTabBar("detail_tabs")) {
    if (tab(ui_.tr("panel.processes"), "processes", pending_detail_ == DetailTab::Processes)) {
      draw_processes(ui_);
      ImGui::EndTabItem();
    }
    if (tab(ui_.tr("panel.objects"), "objects", pending_detail_ == DetailTab::Objects)) {
      objects_.draw(ui_);
      ImGui::EndTabItem();
    }
    if (tab(ui_.tr("panel.console"), "console", pending_detail_ == DetailTab::Console)) {
      console_.draw(ui_);
      ImGui::EndTabItem();
    }
    if (tab(ui_.tr("panel.result"), "result", pending_detail_ == DetailTab::Result)) {
      draw_result(ui_);
      ImGui::EndTabItem();
    }
    if (tab(ui_.tr("panel.code"), "code", pending_detail_ == DetailTab::Code)) {
      code_below_.draw(ui_, library_);
      ImGui::EndTabItem();
    }
    pending_detail_.reset();
    ImGui::EndTabBar();
  }
  end_panel();

  if (begin_panel("status", {0, display.y - bar}, {display.x, bar})) draw_status(ui_);
  end_panel();

  open_dialog_.draw(ui_);  // a modal over everything
}

void App::pace(std::chrono::steady_clock::time_point frame_start) {
  if (!classroom_.live()) {
    window_.wait_events(0.1);  // idle: wake on input, or soon enough to notice a finished run elsewhere
    return;
  }
  std::this_thread::sleep_until(frame_start + kFrameBudget);
}

bool App::closing() const { return g_quit || window_.should_close(); }

void App::run() {
  install_quit_handlers();
  while (!closing()) {
    const auto start = std::chrono::steady_clock::now();
    frame();
    pace(start);
  }
}

bool App::frames_until(const std::function<bool()>& done, double timeout_seconds) {
  install_quit_handlers();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  while (!done()) {
    if (closing() || std::chrono::steady_clock::now() > deadline) return false;
    const auto start = std::chrono::steady_clock::now();
    frame();
    pace(start);
  }
  return true;
}

bool App::finish_run(double timeout_seconds) {
  if (frames_until([this] { return !classroom_.live(); }, timeout_seconds)) return true;
  classroom_.reset();
  return false;
}

bool App::take_steps(int steps, double timeout_seconds) {
  if (!classroom_.live() && !classroom_.step()) return false;  // starts paused (a replayed schedule already is)
  auto settled = [this] { return !classroom_.live() || (!classroom_.step_in_progress() && !classroom_.held().empty()); };
  for (int i = 0; i < steps; ++i) {
    if (!frames_until(settled, timeout_seconds)) return false;
    if (!classroom_.live()) return true;
    classroom_.step();
  }
  return frames_until(settled, timeout_seconds);
}

}  // namespace forkscope::gui
