#include "app.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include <fmt/format.h>
#include <imgui.h>
#include <imgui_internal.h>  // the toolbar window's item extent; GImGui->LogBuffer: what the frame's widgets rendered

#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
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

// A splitter over the border between two panels, dragged with the mouse: the pointer's movement across it while it is
// held (0 otherwise). `across_x`: a vertical bar, dragged left and right.
float splitter(const char* id, ImVec2 pos, ImVec2 size, bool across_x) {
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, {0, 0});
  ImGui::PushStyleVar(ImGuiStyleVar_WindowMinSize, {1, 1});
  float moved = 0;
  // Unlike the panels it may come to the front: ImGui puts a new window that never does behind every other one.
  ImGui::SetNextWindowPos(pos);
  ImGui::SetNextWindowSize(size);
  if (ImGui::Begin(id, nullptr, (kPanelFlags & ~ImGuiWindowFlags_NoBringToFrontOnFocus) | ImGuiWindowFlags_NoScrollbar |
                                    ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoFocusOnAppearing)) {
    ImGui::InvisibleButton("drag", size);
    const bool active = ImGui::IsItemActive();
    if (active || ImGui::IsItemHovered()) {
      ImGui::SetMouseCursor(across_x ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
      ImGui::GetWindowDrawList()->AddRectFilled(pos, {pos.x + size.x, pos.y + size.y}, IM_COL32(100, 150, 230, active ? 200 : 120));
    }
    if (active) moved = across_x ? ImGui::GetIO().MouseDelta.x : ImGui::GetIO().MouseDelta.y;
  }
  ImGui::End();
  ImGui::PopStyleVar(2);
  return moved;
}

}  // namespace

App::App(const Lesson& lesson, const AppOptions& options)
    : window_("Forkscope", options.width, options.height, options.vsync),
      strings_(assets_dir() / "i18n"),
      classroom_(lesson, options.speed),
      ui_{strings_, fonts_, classroom_, options.scale} {
  strings_.set_language(options.language);
  if (!lesson.file.empty()) library_.add(lesson);  // a lesson built with the SDK joins the list
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
    if (m.texts().size() < n.texts) n.texts = 0;  // not the model it was: all of them again
    for (; n.texts < m.texts().size(); ++n.texts) fonts_.note(m.texts()[n.texts].second);
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
  const Export wanted = std::exchange(ui_.export_requested, Export::None);
  Image shown;
  if (wanted == Export::Window && capture == nullptr) capture = &shown;
  window_.end_frame(capture);
  if (wanted != Export::None) export_picture(wanted, capture);
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

App::Layout App::layout() const {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const ImGuiStyle& style = ImGui::GetStyle();
  Layout l;
  l.status = std::round(ImGui::GetFrameHeight() + style.WindowPadding.y * 2);
  // The toolbar wraps into as many rows as the last frame needed (one at first).
  l.toolbar = std::max(l.status, toolbar_height_);
  l.body = std::max(display.y - l.toolbar - l.status, 1.0f);
  // The sidebar: a share of the width (dragged, or by default), the timeline at least 40 % of the window.
  // By default at most 35 % of it, so that at 200 % the timeline still has room.
  const float sidebar = sidebar_share_ ? *sidebar_share_ * display.x
                                       : std::min(std::clamp(display.x * 0.27f, ui_.px(300), ui_.px(480)), display.x * 0.35f);
  l.left = std::round(std::clamp(sidebar, display.x * kMinSidebarShare, display.x * kMaxSidebarShare));
  // The timeline's share of the height grows with the scale (its legend and ruler take more of it at 200 %).
  const float default_center = 0.62f + 0.13f * std::clamp(ui_.scale - 1.0f, 0.0f, 1.0f);
  l.center = std::round(l.body * std::clamp(center_share_.value_or(default_center), kMinCenterShare, kMaxCenterShare));
  return l;
}

namespace {

std::filesystem::path export_folder() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == 0) throw SystemFailure("HOME is not set: there is no folder for pictures");
  const std::filesystem::path pictures = std::filesystem::path(home) / "Pictures";
  std::error_code error;
  if (!std::filesystem::is_directory(pictures, error)) return home;
  const std::filesystem::path folder = pictures / "Forkscope";
  std::filesystem::create_directories(folder, error);
  if (error) throw SystemFailure(fmt::format("cannot make the folder {}: {}", folder.string(), error.message()));
  return folder;
}

}  // namespace

std::filesystem::path App::export_path(Export what) const {
  const RunRecord* shown = classroom_.shown();
  const std::string lesson = std::filesystem::path(shown ? shown->lesson() : classroom_.lesson().id).stem().string();
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char time[32];
  std::strftime(time, sizeof time, "%Y%m%d-%H%M%S", &local);
  const std::string stem = fmt::format("{}-run{}-{}{}", lesson, shown ? shown->number() : 0, time, what == Export::Timeline ? "-timeline" : "");
  const std::filesystem::path folder = export_folder();
  std::filesystem::path file = folder / (stem + ".png");
  for (int n = 2; std::filesystem::exists(file); ++n) file = folder / fmt::format("{}-{}.png", stem, n);  // twice in one second
  return file;
}

void App::export_picture(Export what, const Image* window_picture) {
  try {
    const std::filesystem::path file = export_path(what);
    if (what == Export::Window) window_picture->save_png(file);
    else center_picture_at_2x().save_png(file);
    last_export_ = file;
    classroom_.note_key("status.exported", {file.string()});
  } catch (const std::exception& e) {  // a full disk, a read-only folder, no HOME: the status line says which
    classroom_.note_key("status.export_failed", {one_line(e.what())}, true);
  }
}

Image App::center_picture_at_2x() {
  // One frame drawn off screen at twice the window's size and twice the scale: the same layout, every line and
  // letter drawn anew at that size (not a picture scaled up). The fonts are made again for it and then back.
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const Layout at_1x = layout();
  const float scale = ui_.scale, toolbar = toolbar_height_;
  const auto sidebar = sidebar_share_, center = center_share_;
  auto set_scale = [&](float factor) {
    ui_.scale = scale * factor;
    toolbar_height_ = toolbar * factor;
    apply_scale();
  };
  // The same shares of the window as shown, whatever the defaults at twice the scale.
  sidebar_share_ = at_1x.left / display.x;
  center_share_ = at_1x.center / at_1x.body;
  auto restore = [&] {
    set_scale(1);
    sidebar_share_ = sidebar;
    center_share_ = center;
  };
  set_scale(2);
  Image whole;
  try {
    window_.begin_frame(ImVec2{display.x * 2, display.y * 2});
    lay_out_panels();
    window_.end_frame(&whole);
  } catch (...) {
    restore();
    throw;
  }
  restore();
  // The center view's panel, cut out.
  Image cut;
  cut.width = static_cast<int>(std::round((display.x - at_1x.left) * 2));
  cut.height = static_cast<int>(std::round(at_1x.center * 2));
  const int x0 = static_cast<int>(std::round(at_1x.left * 2)), y0 = static_cast<int>(std::round(at_1x.toolbar * 2));
  cut.rgba.resize(static_cast<std::size_t>(cut.width) * static_cast<std::size_t>(cut.height) * 4);
  for (int y = 0; y < cut.height; ++y)
    std::memcpy(cut.rgba.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(cut.width) * 4,
                whole.rgba.data() + (static_cast<std::size_t>(y0 + y) * static_cast<std::size_t>(whole.width) + static_cast<std::size_t>(x0)) * 4,
                static_cast<std::size_t>(cut.width) * 4);
  return cut;
}

void App::lay_out_panels() {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const Layout l = layout();
  const float bar = l.toolbar, left = l.left, body = l.body, center = l.center;

  if (begin_panel("toolbar", {0, 0}, {display.x, bar})) {
    draw_toolbar(ui_);
    // Where its items ended: the next frame gives it that many rows; a test checks it stays inside the window.
    toolbar_extent_ = ImGui::GetCurrentWindow()->DC.CursorMaxPos;
    toolbar_height_ = std::round(toolbar_extent_.y + ImGui::GetStyle().WindowPadding.y);
  }
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
    predicting_ = draw_lesson_text(ui_, library_);
  }
  end_panel();

  auto tab = [](const char* text, const char* id, bool select) {
    return ImGui::BeginTabItem(label(text, id).c_str(), nullptr, select ? ImGuiTabItemFlags_SetSelected : 0);
  };
  ui_.hovered_ns.reset();  // the timeline sets it when the pointer rests on it; the Code tab below reads it
  if (begin_panel("center", {left, bar}, {display.x - left, center}, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse) &&
      ImGui::BeginTabBar("center_tabs")) {
    if (tab(ui_.tr("panel.timeline"), "timeline", pending_center_ == CenterView::Timeline)) {
      timeline_.draw(ui_, library_);
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
      result_question_ = draw_result(ui_, library_);
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

  if (begin_panel("status", {0, display.y - l.status}, {display.x, l.status})) draw_status(ui_);
  end_panel();

  // The borders between the sidebar and the timeline, and between the timeline and the tabs below, can be dragged.
  const float grip = ui_.px(6);
  if (const float dx = splitter("split_sidebar", {left - grip * 0.5f, bar}, {grip, body}, true); dx != 0)
    sidebar_share_ = std::clamp((left + dx) / display.x, kMinSidebarShare, kMaxSidebarShare);
  if (const float dy = splitter("split_center", {left, bar + center - grip * 0.5f}, {display.x - left, grip}, false); dy != 0)
    center_share_ = std::clamp((center + dy) / body, kMinCenterShare, kMaxCenterShare);

  draw_keys_overlay(ui_);
  draw_stop_question(ui_);
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
