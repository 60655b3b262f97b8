// The lessons grouped by topic, the chosen lesson's text (what it teaches, what to watch, a question to predict), and
// the code that runs, shown next to the text, so students read the program whose processes they watch.
#include <algorithm>
#include <cfloat>
#include <string_view>

#include <fmt/format.h>
#include <imgui_internal.h>  // ImTextCharFromUtf8

#include "panels.hpp"

namespace forkscope::gui {

namespace {

// The lesson texts are Markdown wrapped at a fixed width: on screen, lines of a paragraph join (with a space in
// English, with nothing between Chinese characters), list items and blank lines break, and `code` loses its quotes.
bool is_wide(std::string_view text, bool last) {
  if (text.empty()) return false;
  std::size_t at = last ? text.size() - 1 : 0;
  if (last)
    while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
  unsigned int c = 0;
  ImTextCharFromUtf8(&c, text.data() + at, text.data() + text.size());
  return c >= 0x2E80;  // CJK and full-width punctuation
}

std::string paragraphs(std::string_view markdown) {
  std::string out;
  bool paragraph_open = false;
  std::size_t at = 0;
  while (at <= markdown.size()) {
    std::size_t end = markdown.find('\n', at);
    if (end == std::string_view::npos) end = markdown.size();
    std::string line;
    for (char c : markdown.substr(at, end - at))
      if (c != '`') line += c;
    at = end + 1;
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos) {
      if (paragraph_open) out += "\n\n";
      paragraph_open = false;
      continue;
    }
    line.erase(0, first);
    const bool item = line.starts_with("- ") || line.starts_with("* ");
    if (paragraph_open) out += item ? "\n" : (is_wide(out, true) || is_wide(line, false) ? "" : " ");
    out += line;
    paragraph_open = true;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// ImGui wraps at spaces only, and Chinese puts none between words: a long Chinese sentence would run to the edge
// and then break at the next English word. Here a line may also break before any CJK character, except before
// closing punctuation (，。） and the like stay with what they close).
bool closes(unsigned int c) {
  return std::u32string_view(U",.;:!?)]}\"'，。、；：！？）」』】》”’").find(static_cast<char32_t>(c)) != std::u32string_view::npos;
}

void text_wrapped(std::string_view text) {
  const float width = ImGui::GetContentRegionAvail().x;
  ImFont* font = ImGui::GetFont();
  const float size = ImGui::GetFontSize();
  auto measure = [&](const char* a, const char* b) { return font->CalcTextSizeA(size, FLT_MAX, 0, a, b).x; };
  const char* end = text.data() + text.size();
  for (const char* line = text.data(); line <= end;) {
    const char* newline = std::find(line, end, '\n');
    // Greedy: take tokens (a word, a space, or one CJK character with the punctuation that follows it) while they fit.
    const char* start = line;
    const char* fits = line;  // end of the last token that fit
    for (const char* p = line; p < newline;) {
      unsigned int c = 0;
      p += std::max(ImTextCharFromUtf8(&c, p, newline), 1);
      if (c >= 0x2E80 || c == ' ') {
        while (p < newline) {  // closing punctuation sticks to the token before it
          unsigned int next = 0;
          const int n = ImTextCharFromUtf8(&next, p, newline);
          if (n <= 0 || !closes(next)) break;
          p += n;
        }
      } else {
        while (p < newline) {  // a word: up to a space or a CJK character
          unsigned int next = 0;
          const int n = ImTextCharFromUtf8(&next, p, newline);
          if (n <= 0 || next == ' ' || next >= 0x2E80) break;
          p += n;
        }
      }
      if (measure(start, p) > width && fits > start) {
        ImGui::TextUnformatted(start, fits);
        start = fits;
        while (start < newline && *start == ' ') ++start;
      }
      fits = p;
    }
    ImGui::TextUnformatted(start, newline);
    line = newline + 1;
  }
}

void section(const char* heading, const std::string& body) {
  if (body.empty()) return;
  ImGui::Spacing();
  ImGui::TextColored({0.55f, 0.78f, 1.0f, 1.0f}, "%s", heading);
  text_wrapped(paragraphs(body));
}

// `comment` starts a comment to the end of the line: "//" in the C++ scenarios, "#" in a Python program.
void draw_code(Ui& ui, const std::string& code, std::string_view comment_marker) {
  if (code.empty()) {
    ImGui::TextDisabled("%s", ui.tr("lesson.no_code"));
    return;
  }
  ImGui::PushFont(ui.fonts.mono());
  std::size_t line_number = 1;
  for (std::size_t at = 0; at < code.size(); ++line_number) {
    std::size_t end = code.find('\n', at);
    if (end == std::string::npos) end = code.size();
    const std::string_view line(code.data() + at, end - at);
    ImGui::TextDisabled("%3zu", line_number);
    ImGui::SameLine();
    // Comments in their own colour: the tutorials' Chinese comments are half the lesson.
    const std::size_t comment = line.find(comment_marker);
    if (comment != 0) ImGui::TextUnformatted(line.data(), line.data() + (comment == std::string_view::npos ? line.size() : comment));
    if (comment != std::string_view::npos) {
      if (comment != 0) ImGui::SameLine(0, 0);
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4{0.5f, 0.75f, 0.5f, 1.0f});
      ImGui::TextUnformatted(line.data() + comment, line.data() + line.size());
      ImGui::PopStyleColor();
    }
    at = end + 1;
  }
  ImGui::PopFont();
}

}  // namespace

void draw_lesson_list(Ui& ui, const LessonLibrary& library) {
  const std::string& language = ui.text.language();
  // The Python programs opened in this session come first, by file name (the whole path in a tooltip).
  if (!ui.classroom.programs().empty()) {
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    if (ImGui::TreeNode(label(ui.tr("topic.python"), "python").c_str())) {
      for (const auto& program : ui.classroom.programs()) {
        const bool chosen = &program->lesson == &ui.classroom.lesson();
        const std::string item = fmt::format("{}###program:{}", program->file_name(), program->file());
        if (ImGui::Selectable(item.c_str(), chosen)) ui.classroom.select(program->lesson);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", program->file().c_str());
      }
      ImGui::TreePop();
    }
  }
  for (const std::string& topic : library.topics()) {
    const std::string key = "topic." + topic;
    const std::string heading = ui.text.has(key) ? ui.tr(key) : topic;
    // At first only the chosen lesson's topic is open: every topic's name fits in the list.
    ImGui::SetNextItemOpen(topic == ui.classroom.lesson().topic, ImGuiCond_Once);
    if (!ImGui::TreeNode(label(heading.c_str(), topic.c_str()).c_str())) continue;
    for (const Lesson* lesson : library.lessons()) {
      if (lesson->topic != topic) continue;
      const bool chosen = lesson == &ui.classroom.lesson();
      const std::string item = fmt::format("{}###{}", library.title(lesson->id, language), lesson->id);
      if (ImGui::Selectable(item.c_str(), chosen)) ui.classroom.select(*lesson);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", lesson->id.c_str());
    }
    ImGui::TreePop();
  }
}

void draw_lesson_text(Ui& ui, const LessonLibrary& library) {
  const Lesson& lesson = ui.classroom.lesson();
  ImGui::BeginChild("text");
  if (const Program* program = ui.classroom.program()) {
    ImGui::PushFont(ui.fonts.title());
    text_wrapped(program->file_name());
    ImGui::PopFont();
    ImGui::Spacing();
    ImGui::TextColored({0.55f, 0.78f, 1.0f, 1.0f}, "%s", ui.tr("lesson.program"));
    text_wrapped(ui.tr("lesson.program_about"));
    ImGui::Spacing();
    text_wrapped(ui.text.format("lesson.program_file", program->file()));
    std::string args;
    for (const std::string& a : program->args) args += (args.empty() ? "" : " ") + a;
    text_wrapped(args.empty() ? std::string(ui.tr("lesson.program_no_args")) : ui.text.format("lesson.program_args", args));
    ImGui::EndChild();
    return;
  }
  ImGui::PushFont(ui.fonts.title());
  text_wrapped(library.title(lesson.id, ui.text.language()));
  ImGui::PopFont();
  ImGui::TextDisabled("%s", lesson.id.c_str());
  if (const LessonText* text = library.text(lesson.id, ui.text.language())) {
    section(ui.tr("lesson.teaches"), text->teaches);
    section(ui.tr("lesson.watch"), text->watch);
    section(ui.tr("lesson.predict"), text->predict);
  } else {
    ImGui::TextDisabled("%s", ui.tr("lesson.no_text"));
  }
  ImGui::EndChild();
}

void draw_lesson_code(Ui& ui, const LessonLibrary& library) {
  const Lesson& lesson = ui.classroom.lesson();
  const Program* program = ui.classroom.program();
  ImGui::TextDisabled("%s", lesson.source.c_str());
  ImGui::BeginChild("code", {0, 0}, false, ImGuiWindowFlags_HorizontalScrollbar);
  if (program) draw_code(ui, program->source, "#");
  else draw_code(ui, library.code(lesson.id), "//");
  ImGui::EndChild();
}

}  // namespace forkscope::gui
