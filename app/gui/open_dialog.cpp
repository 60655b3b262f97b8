// Open… (Ctrl+O) and Save schedule… (Ctrl+E): a small file dialog of our own, in ImGui (no third-party dialog library):
// a path field, and the subfolders and the files of one folder it can take. A .py file opens as a Python program, a
// .fstrace file as a saved run, a .json file as a schedule to replay step by step; anything else is refused with a line
// that says what is allowed. Saving writes the shown run's schedule to the path (atomically, as every file).
#include <algorithm>
#include <cfloat>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/trace_file.hpp"
#include "panels.hpp"
#include "registry.hpp"

namespace forkscope::gui {

namespace {

constexpr const char* kPopup = "###open_dialog";

bool is_program(const std::filesystem::path& p) { return p.extension() == ".py"; }
bool is_trace(const std::filesystem::path& p) { return p.extension() == ".fstrace"; }
bool is_schedule(const std::filesystem::path& p) { return p.extension() == ".json"; }

// "ticket-lock-schedule.json", "queue_demo-schedule.json": where a schedule is saved unless the teacher says otherwise.
std::string schedule_file_name(const std::string& lesson) {
  return std::filesystem::path(lesson).stem().string() + "-schedule.json";
}

}  // namespace

void OpenDialog::navigate(Ui& ui, const std::filesystem::path& folder) {
  std::error_code ec;
  std::filesystem::path where = std::filesystem::absolute(folder, ec).lexically_normal();
  if (where.has_filename() == false && where != where.root_path()) where = where.parent_path();  // "a/b/" -> "a/b"
  folder_ = where;
  entries_.clear();
  listing_error_.clear();
  std::filesystem::directory_iterator it(folder_, std::filesystem::directory_options::skip_permission_denied, ec);
  for (; !ec && it != std::filesystem::directory_iterator() && entries_.size() < kMaxEntries; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".")) continue;  // hidden files and folders, as file managers do by default
    std::error_code type_error;
    const bool folder_entry = it->is_directory(type_error);  // follows links: a link to a folder is a folder
    if (folder_entry) entries_.push_back({name, true});
    else if (it->is_regular_file(type_error) && lists(it->path())) entries_.push_back({name, false});
  }
  if (ec) listing_error_ = ui.text.format("open.unreadable_folder", ec.message());
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.folder != b.folder ? a.folder : a.name < b.name;  // folders first, then files, each by name
  });
  ui.fonts.note(folder_.string());
  for (const Entry& e : entries_) ui.fonts.note(e.name);
  set_path(saving_ ? (folder_ / schedule_file_name(ui.classroom.shown() ? ui.classroom.shown()->lesson() : "run")).string()
                   : folder_.string());
}

bool OpenDialog::lists(const std::filesystem::path& file) const {
  return saving_ ? is_schedule(file) : is_program(file) || is_trace(file) || is_schedule(file);
}

void OpenDialog::set_path(const std::string& path) {
  const std::size_t n = std::min(path.size(), sizeof path_ - 1);
  std::copy_n(path.data(), n, path_);
  path_[n] = '\0';
  path_changed_ = true;
}

bool OpenDialog::open(Ui& ui, const std::filesystem::path& path) {
  error_.clear();
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      navigate(ui, path);
      return false;
    }
    if (saving_) {
      if (!ui.classroom.save_schedule(path)) {
        error_ = ui.classroom.status_key().empty() ? ui.classroom.status() : ui.tr(ui.classroom.status_key());
        ui.fonts.note(error_);
        return false;
      }
    } else if (is_program(path)) {
      ui.classroom.open_program(path.string());
    } else if (is_schedule(path)) {
      if (!ui.classroom.replay(Schedule::load(path), true)) {  // UsageError: not a schedule; a wrong lesson, parameters
        error_ = ui.classroom.status();
        ui.fonts.note(error_);
        return false;
      }
    } else if (is_trace(path)) {
      nlohmann::json meta = nlohmann::json::object();
      TraceModel model = load_trace(path, &meta);       // UsageError: not a whole, consistent trace
      RunFacts facts = RunFacts::from_summary(meta);    // UsageError: a malformed summary
      ui.classroom.open_trace(std::move(model), std::move(facts));
    } else {
      error_ = ui.tr("open.wrong_kind");
      return false;
    }
  } catch (const std::exception& e) {  // UsageError, SystemFailure: the file said no
    error_ = one_line(e.what());
    ui.fonts.note(error_);
    return false;
  }
  open_ = false;
  return true;
}

void OpenDialog::draw(Ui& ui) {
  if (ui.open_requested || ui.save_schedule_requested) {
    const bool saving = ui.save_schedule_requested;
    ui.open_requested = ui.save_schedule_requested = false;
    if (!open_) {
      saving_ = saving;
      // Start where the chosen program lives, else where the viewer was started.
      const Program* program = ui.classroom.program();
      navigate(ui, program ? std::filesystem::absolute(program->file()).parent_path() : std::filesystem::current_path());
      error_.clear();
      open_ = true;
      ImGui::OpenPopup(kPopup);
    }
  }
  if (!open_) return;
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowSize({std::min(ui.px(680), display.x - ui.px(40)), std::min(ui.px(480), display.y - ui.px(40))});
  ImGui::SetNextWindowPos({display.x * 0.5f, display.y * 0.5f}, ImGuiCond_Always, {0.5f, 0.5f});
  const std::string title = label(ui.tr(saving_ ? "save.title" : "open.title"), "open_dialog");
  // Opaque: the panels' text would show through the style's 94% popup background.
  ImVec4 background = ImGui::GetStyleColorVec4(ImGuiCol_PopupBg);
  background.w = 1;
  ImGui::PushStyleColor(ImGuiCol_PopupBg, background);
  const bool shown = ImGui::BeginPopupModal(title.c_str(), &open_, ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoResize);
  ImGui::PopStyleColor();
  if (!shown) {
    open_ = false;
    return;
  }
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false)) {
    open_ = false;
    ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
    return;
  }

  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(ui.tr("open.path"));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-FLT_MIN);
  if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
  // While the field has the keyboard, ImGui edits a copy of path_: a folder chosen in the list is put there by the
  // callback, or the field would go on showing what it held.
  auto refresh = [](ImGuiInputTextCallbackData* data) {
    auto* self = static_cast<OpenDialog*>(data->UserData);
    if (self->path_changed_) {
      self->path_changed_ = false;
      data->DeleteChars(0, data->BufTextLen);
      data->InsertChars(0, self->path_);
    }
    return 0;
  };
  bool open_now = ImGui::InputText("##path", path_, sizeof path_,
                                   ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CallbackAlways, refresh, this);
  if (!ImGui::IsItemActive()) path_changed_ = false;  // the field shows path_ itself
  ImGui::TextDisabled("%s", ui.text.format("open.folder", folder_.string()).c_str());

  const float footer = ImGui::GetFrameHeightWithSpacing() + ImGui::GetTextLineHeightWithSpacing();  // a line, the buttons
  ImGui::BeginChild("entries", {0, -footer}, true);
  std::optional<std::filesystem::path> go_to;
  if (folder_ != folder_.root_path() && ImGui::Selectable(ui.tr("open.up"))) go_to = folder_.parent_path();
  for (const Entry& e : entries_) {
    const std::filesystem::path full = folder_ / e.name;
    const std::string item = e.folder ? e.name + "/" : e.name;
    const bool chosen = !e.folder && full.string() == path_;
    if (e.folder) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4{0.55f, 0.78f, 1.0f, 1.0f});
    const bool picked = ImGui::Selectable(item.c_str(), chosen, ImGuiSelectableFlags_AllowDoubleClick);
    if (e.folder) ImGui::PopStyleColor();
    if (!picked) continue;
    if (e.folder) {
      go_to = full;
    } else {
      set_path(full.string());  // saving: the file chosen is overwritten
      if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) open_now = true;
    }
  }
  if (entries_.empty() && listing_error_.empty()) ImGui::TextDisabled("%s", ui.tr(saving_ ? "save.nothing_here" : "open.nothing_here"));
  if (!listing_error_.empty()) ImGui::TextColored({1.0f, 0.35f, 0.35f, 1.0f}, "%s", listing_error_.c_str());
  ImGui::EndChild();

  if (!error_.empty()) ImGui::TextColored({1.0f, 0.35f, 0.35f, 1.0f}, "%s", error_.c_str());
  else ImGui::TextDisabled("%s", ui.tr(saving_ ? "save.hint" : "open.hint"));
  if (ImGui::Button(label(ui.tr(saving_ ? "save.save" : "open.open"), "open").c_str())) open_now = true;
  ImGui::SameLine();
  if (ImGui::Button(label(ui.tr("open.cancel"), "cancel").c_str())) open_ = false;

  if (go_to) navigate(ui, *go_to);
  else if (open_now && path_[0] != '\0') open(ui, std::filesystem::path(path_));
  if (!open_) ImGui::CloseCurrentPopup();
  ImGui::EndPopup();
}

}  // namespace forkscope::gui
