// The Code view: the code that runs, with line numbers and comments in their own colour. For a Python program it also
// shows where each process is: a dot in its lane's colour (the timeline's) at the left of the line its next
// operation is on, ringed in the gate's yellow while it waits there ("Process-2 is about to run line 12"), a ring for
// a thread; its name after the line; and the line tinted. The dots follow the run's now while it is live, and the
// time under the pointer while it rests on the timeline (the Code tab under it shows both at once). While stepping,
// the view scrolls to bring the marked lines into sight whenever they change (under the pointer, when none is).
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "palette.hpp"
#include "panels.hpp"

namespace forkscope::gui {

namespace {

constexpr std::size_t kDots = 4;  // dots at a line's margin; more processes on one line show "+N"
constexpr std::size_t kTags = 3;  // names after the line
const ImVec4 kCommentText{0.5f, 0.75f, 0.5f, 1.0f};

}  // namespace

std::vector<CodeMark> code_marks(const TraceModel& model, std::int64_t t_ns, const std::vector<HeldProcess>* held) {
  std::vector<CodeMark> marks;
  const std::vector<Lane> lanes = lanes_in_tree_order(model);
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    const ProcessInfo* p = model.process(lanes[i].pid);
    if (p == nullptr || t_ns < p->begin_ns || (p->end_ns && t_ns >= *p->end_ns)) continue;  // not alive then
    const std::int64_t line = p->line_at(t_ns);
    if (line <= 0) continue;
    CodeMark m;
    m.line = line;
    m.pid = p->pid;
    m.name = p->name;
    m.tag = std::string(lane_name(model, *p));
    m.color = process_color(i);
    m.thread = p->thread;
    m.held = held && std::any_of(held->begin(), held->end(), [&](const HeldProcess& h) { return h.pid == p->pid; });
    marks.push_back(std::move(m));
  }
  return marks;
}

std::pair<float, float> CodePanel::line_span(std::int64_t line) const {
  if (line < 1 || static_cast<std::size_t>(line) > line_tops_.size()) return {0, 0};
  const float top = line_tops_[static_cast<std::size_t>(line - 1)];
  return {top, top + line_height_};
}

void CodePanel::find_marks(Ui& ui, const std::string& file) {
  marks_.clear();
  mark_time_ = MarkTime::None;
  const RunRecord* shown = ui.classroom.shown();
  if (shown == nullptr || shown->lesson() != file) return;  // the shown run is not of this program
  const TraceModel& model = shown->model();
  if (ui.hovered_ns) {
    mark_time_ = MarkTime::Pointer;
    mark_ns_ = *ui.hovered_ns;
    marks_ = code_marks(model, mark_ns_, nullptr);
  } else if (const std::optional<std::int64_t> at = ui.playhead.at(shown)) {
    mark_time_ = MarkTime::Playhead;
    mark_ns_ = *at;
    marks_ = code_marks(model, mark_ns_, nullptr);
  } else if (shown->live()) {
    mark_time_ = ui.classroom.paused() ? MarkTime::Stepping : MarkTime::Now;
    mark_ns_ = shown->now_ns();
    marks_ = code_marks(model, mark_ns_, &ui.classroom.held());
  }
}

void CodePanel::draw(Ui& ui, const LessonLibrary& library) {
  const Lesson& lesson = ui.classroom.lesson();
  const Program* program = ui.classroom.program();
  if (program) find_marks(ui, program->file());
  else {
    marks_.clear();
    mark_time_ = MarkTime::None;
  }
  ImGui::TextDisabled("%s", lesson.source.c_str());
  if (program) {
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", ui.tr("code.marks_none"));  // what the dots will say
    if (mark_time_ != MarkTime::None) ImGui::SameLine(0, ui.px(16));
    switch (mark_time_) {
      case MarkTime::None: break;
      case MarkTime::Now: ImGui::TextDisabled("%s", ui.tr("code.marks_now")); break;
      case MarkTime::Stepping: ImGui::TextUnformatted(ui.tr("code.marks_stepping")); break;
      case MarkTime::Playhead:
        ImGui::TextUnformatted(ui.text.format("code.marks_playhead", format_duration(static_cast<double>(mark_ns_))).c_str());
        break;
      case MarkTime::Pointer:
        ImGui::TextUnformatted(ui.text.format("code.marks_pointer", format_duration(static_cast<double>(mark_ns_))).c_str());
        break;
    }
  }
  ImGui::BeginChild("code", {0, 0}, false, ImGuiWindowFlags_HorizontalScrollbar);
  if (program) draw_code(ui, program->source, "#", true);
  else draw_code(ui, library.code(lesson.id), "//", false);
  // Stepping, the marked lines come into sight whenever they change; under the pointer only when none is in sight (a
  // view that followed every move of the pointer would never hold still).
  if (mark_time_ == MarkTime::Stepping || mark_time_ == MarkTime::Playhead ||
      (mark_time_ == MarkTime::Pointer && !any_mark_in_sight()))
    scroll_to_marks();
  else scrolled_to_.clear();  // stepping again scrolls again
  ImGui::EndChild();
}

bool CodePanel::any_mark_in_sight() const {
  const float top = ImGui::GetWindowPos().y, bottom = top + ImGui::GetWindowHeight();
  return std::any_of(marks_.begin(), marks_.end(), [&](const CodeMark& m) {
    const auto [line_top, line_bottom] = line_span(m.line);
    return line_top >= top && line_bottom <= bottom;
  });
}

void CodePanel::scroll_to_marks() {
  auto lines_of = [&](bool held_only) {
    std::vector<std::int64_t> lines;
    for (const CodeMark& m : marks_)
      if (m.held || !held_only) lines.push_back(m.line);
    std::sort(lines.begin(), lines.end());
    lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
    return lines;
  };
  const std::vector<std::int64_t> all = lines_of(false);
  if (all.empty() || all == scrolled_to_) return;  // the reader may scroll freely until the marks move
  scrolled_to_ = all;
  // In the child's own coordinates: a line's top plus the scroll, against the height it shows.
  const float origin = ImGui::GetWindowPos().y - ImGui::GetScrollY();
  const float height = ImGui::GetWindowHeight();
  const float scroll = ImGui::GetScrollY();
  auto top_of = [&](const std::vector<std::int64_t>& lines) { return line_span(lines.front()).first - origin; };
  auto bottom_of = [&](const std::vector<std::int64_t>& lines) { return line_span(lines.back()).second - origin; };
  // Every marked line when they fit; else the ones waiting at the gate (what the next step runs).
  std::vector<std::int64_t> wanted = all;
  if (bottom_of(all) - top_of(all) >= height * 0.8f)
    if (std::vector<std::int64_t> held = lines_of(true); !held.empty()) wanted = std::move(held);
  const float first = top_of(wanted), last = bottom_of(wanted);
  if (first >= scroll && last <= scroll + height - line_height_) return;  // in sight already
  // Centre them when they fit; else as many as fit, from the first, with a line above it.
  const float target = last - first < height * 0.8f ? (first + last - height) * 0.5f : first - line_height_ * 1.5f;
  ImGui::SetScrollY(std::clamp(target, 0.0f, ImGui::GetScrollMaxY() + line_height_));
}

// `comment_marker` starts a comment to the end of the line: "//" in the C++ scenarios, "#" in a Python program.
void CodePanel::draw_code(Ui& ui, const std::string& code, std::string_view comment_marker, bool margin) {
  line_tops_.clear();
  if (code.empty()) {
    ImGui::TextDisabled("%s", ui.tr("lesson.no_code"));
    return;
  }
  std::map<std::int64_t, std::vector<std::size_t>> on_line;  // line -> marks_ indexes, in lane order
  for (std::size_t i = 0; i < marks_.size(); ++i) on_line[marks_[i].line].push_back(i);
  for (CodeMark& m : marks_) m.at = {0, 0};

  ImGui::PushFont(ui.fonts.mono());
  ImDrawList* draw = ImGui::GetWindowDrawList();
  line_height_ = ImGui::GetTextLineHeight();
  const float spacing = ImGui::GetStyle().ItemSpacing.y;
  const float dot_step = ui.px(11), radius = ui.px(4);
  // The margin for the dots is there only for a program (a C++ lesson's lines are not traced).
  const float gutter = margin ? ui.px(6) + kDots * dot_step : 0;
  const float left = ImGui::GetWindowPos().x, right = left + ImGui::GetWindowWidth();
  std::int64_t line_number = 1;
  for (std::size_t at = 0; at < code.size(); ++line_number) {
    std::size_t end = code.find('\n', at);
    if (end == std::string::npos) end = code.size();
    const std::string_view line(code.data() + at, end - at);
    at = end + 1;
    const ImVec2 start = ImGui::GetCursorScreenPos();
    line_tops_.push_back(start.y);
    const auto marked = on_line.find(line_number);
    if (marked != on_line.end()) {
      // The line tinted in the first process's colour, under its text.
      const ImU32 tint = (marks_[marked->second.front()].color & ~IM_COL32_A_MASK) | (IM_COL32(0, 0, 0, 52));
      draw->AddRectFilled({left, start.y - spacing * 0.5f}, {right, start.y + line_height_ + spacing * 0.5f}, tint);
    }
    if (gutter > 0) {
      ImGui::Dummy({gutter, line_height_});
      ImGui::SameLine(0, 0);
    }
    if (marked != on_line.end()) {
      const std::vector<std::size_t>& here = marked->second;
      const float cy = start.y + line_height_ * 0.5f;
      for (std::size_t k = 0; k < here.size() && k < kDots; ++k) {
        CodeMark& m = marks_[here[k]];
        const float cx = start.x + ui.px(4) + radius + static_cast<float>(k) * dot_step;
        if (k + 1 == kDots && here.size() > kDots) {  // the last slot counts the rest
          draw_text(draw, {cx - radius, start.y}, IM_COL32(230, 230, 230, 255), fmt::format("+{}", here.size() - k).c_str());
          break;
        }
        if (m.held) draw->AddCircle({cx, cy}, radius + ui.px(1.5f), state_color(ProcState::Held), 0, ui.px(1.5f));
        if (m.thread) draw->AddCircle({cx, cy}, radius - ui.px(0.5f), m.color, 0, ui.px(1.5f));
        else draw->AddCircleFilled({cx, cy}, radius, m.color);
        m.at = {cx, cy};
      }
      if (ImGui::IsWindowHovered() && ImGui::IsMouseHoveringRect(start, {start.x + gutter, start.y + line_height_})) {
        ImGui::PopFont();
        ImGui::BeginTooltip();
        for (std::size_t i : here) {
          const CodeMark& m = marks_[i];
          ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(m.color), "%s",
                             ui.text.format(m.held ? "code.mark_tip_held" : "code.mark_tip", m.name, m.pid, m.line).c_str());
        }
        ImGui::EndTooltip();
        ImGui::PushFont(ui.fonts.mono());
      }
    }
    ImGui::TextDisabled("%3lld", static_cast<long long>(line_number));
    ImGui::SameLine();
    // Comments in their own colour: the tutorials' Chinese comments are half the lesson.
    const std::size_t comment = line.find(comment_marker);
    if (comment != 0) ImGui::TextUnformatted(line.data(), line.data() + (comment == std::string_view::npos ? line.size() : comment));
    if (comment != std::string_view::npos) {
      if (comment != 0) ImGui::SameLine(0, 0);
      ImGui::PushStyleColor(ImGuiCol_Text, kCommentText);
      ImGui::TextUnformatted(line.data() + comment, line.data() + line.size());
      ImGui::PopStyleColor();
    }
    if (marked != on_line.end()) {  // who is here, by name, after the code
      const std::vector<std::size_t>& here = marked->second;
      for (std::size_t k = 0; k < here.size() && k < kTags; ++k) {
        const CodeMark& m = marks_[here[k]];
        ImGui::SameLine(0, ui.px(k == 0 ? 16 : 8));
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(m.color), "%s", m.tag.c_str());
      }
      if (here.size() > kTags) {
        ImGui::SameLine(0, ui.px(8));
        ImGui::TextDisabled("+%zu", here.size() - kTags);
      }
    }
  }
  ImGui::PopFont();
}

}  // namespace forkscope::gui
