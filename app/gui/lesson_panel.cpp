// The lessons grouped by topic, the chosen lesson's text (what it teaches, what to watch, a question to predict), and
// the code that runs, shown next to the text, so students read the program whose processes they watch.
#include <algorithm>
#include <cfloat>
#include <string_view>

#include <fmt/format.h>
#include <imgui_internal.h>  // ImTextCharFromUtf8
#include <GLFW/glfw3.h>

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

// A token of opening punctuation only ("“(, before a word or a CJK character).
bool opens_only(const char* begin, const char* end) {
  for (const char* p = begin; p < end;) {
    unsigned int c = 0;
    p += std::max(ImTextCharFromUtf8(&c, p, end), 1);
    if (std::u32string_view(U"\"'([{“‘「『【《").find(static_cast<char32_t>(c)) == std::u32string_view::npos) return false;
  }
  return begin < end;
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
      const char* token = p;
      unsigned int c = 0;
      p += std::max(ImTextCharFromUtf8(&c, p, newline), 1);
      if (c != ' ') {  // a space stays alone: an ASCII quote after it opens what follows
        while (c < 0x2E80 && p < newline) {  // a word: up to a space or a CJK character
          unsigned int next = 0;
          const int n = ImTextCharFromUtf8(&next, p, newline);
          if (n <= 0 || next == ' ' || next >= 0x2E80) break;
          p += n;
        }
        while (p < newline) {  // closing punctuation (。after a word too) sticks to the token before it
          unsigned int next = 0;
          const int n = ImTextCharFromUtf8(&next, p, newline);
          if (n <= 0 || !closes(next)) break;
          p += n;
        }
      }
      if (p < newline && opens_only(token, p)) continue;  // an opening quote stays with what it opens
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

void tooltip(const std::string& text) {
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", text.c_str());
}

// The tutorial's own Python examples this lesson mirrors: a switch between the lesson's C++ and the tutorial's code as
// written (the Code view shows it, Run runs it); with several examples, one line each to pick from. The switch takes
// the first example that ends by itself; one that waits for ever in CPython too runs only when picked, and says so.
void draw_tutorial_switch(Ui& ui, const Lesson& lesson) {
  Classroom& c = ui.classroom;
  const std::vector<TutorialProgram>& examples = c.tutorial_programs(lesson);
  if (examples.empty()) return;
  const Program* chosen = c.tutorial_lesson() == &lesson ? c.program() : nullptr;
  const std::optional<std::size_t> first = c.default_tutorial(lesson);
  const bool zh = ui.text.language() == "zh";
  auto title = [&](const TutorialProgram& t) { return zh && !t.title_zh.empty() ? t.title_zh : t.title_en; };
  ImGui::Spacing();
  bool on = chosen != nullptr;
  ImGui::BeginDisabled(!on && !first);
  if (ImGui::Checkbox(label(ui.tr("tutorial.switch"), "tutorial").c_str(), &on)) {
    if (on) c.choose_tutorial(lesson, *first);
    else c.select(lesson);
    chosen = c.tutorial_lesson() == &lesson ? c.program() : nullptr;
  }
  ImGui::EndDisabled();
  tooltip(ui.tr("tutorial.switch_tip"));
  if (examples.size() > 1 || examples.front().blocks_forever) {
    ImGui::Indent(ui.px(14));
    for (std::size_t i = 0; i < examples.size(); ++i) {
      const TutorialProgram& t = examples[i];
      const bool active = chosen && chosen->file() == t.file.string();
      const std::string name = t.file.filename().string();
      if (ImGui::RadioButton(label(name.c_str(), fmt::format("example:{}", i).c_str()).c_str(), active) && !active)
        c.choose_tutorial(lesson, i);
      tooltip(title(t));
      if (t.blocks_forever) {
        ImGui::Indent(ui.px(24));
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4{1.0f, 0.7f, 0.3f, 1.0f});
        text_wrapped(ui.tr("tutorial.blocks_forever"));
        ImGui::PopStyleColor();
        ImGui::Unindent(ui.px(24));
      }
    }
    ImGui::Unindent(ui.px(14));
  }
  if (!chosen) return;
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  text_wrapped(ui.text.format("tutorial.chosen", chosen->file_name(), title(chosen->tutorial)));
  std::string made;
  for (const auto& [file, text] : chosen->tutorial.setup_files) made += (made.empty() ? "" : ", ") + file;
  if (!made.empty()) text_wrapped(ui.text.format("tutorial.setup_files", made));
  ImGui::PopStyleColor();
}

}  // namespace

void choose_lesson(Ui& ui, const Lesson& lesson) {
  if (ui.classroom.live() && &lesson != &ui.classroom.lesson()) ui.switch_to = &lesson;
  else ui.classroom.select(lesson);
}

// "Stop the running lesson?": switching lessons ends the live run, so it is asked first (Yes: Enter, No: Esc).
void draw_stop_question(Ui& ui) {
  constexpr const char* kId = "stop_question";
  if (ui.switch_to == nullptr) return;
  if (!ImGui::IsPopupOpen(kId)) ImGui::OpenPopup(kId);
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowPos({display.x * 0.5f, display.y * 0.5f}, ImGuiCond_Always, {0.5f, 0.5f});
  if (!ImGui::BeginPopupModal(kId, nullptr, ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) return;
  ImGui::TextUnformatted(ui.tr("lesson.stop_question"));
  ImGui::TextDisabled("%s", ui.text.format("lesson.stop_detail", ui.classroom.lesson().id).c_str());
  ImGui::Spacing();
  const bool yes = ImGui::Button(label(ui.tr("lesson.stop_yes"), "yes").c_str()) || ImGui::IsKeyPressed(GLFW_KEY_ENTER, false) ||
                   ImGui::IsKeyPressed(GLFW_KEY_KP_ENTER, false);
  ImGui::SameLine();
  const bool no = ImGui::Button(label(ui.tr("lesson.stop_no"), "no").c_str()) || ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false);
  if (yes) ui.classroom.select(*ui.switch_to);
  if (yes || no) {
    ui.switch_to = nullptr;
    ImGui::CloseCurrentPopup();
  }
  ImGui::EndPopup();
}

void draw_lesson_list(Ui& ui, const LessonLibrary& library) {
  const std::string& language = ui.text.language();
  // The Python programs opened in this session come first, by file name (the whole path in a tooltip).
  // (A tutorial's own code is not among them: it belongs to its lesson.)
  const auto& programs = ui.classroom.programs();
  if (std::any_of(programs.begin(), programs.end(), [](const auto& p) { return p->tutorial_of == nullptr; })) {
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    if (ImGui::TreeNode(label(ui.tr("topic.python"), "python").c_str())) {
      for (const auto& program : programs) {
        if (program->tutorial_of) continue;
        const bool chosen = &program->lesson == &ui.classroom.lesson();
        const std::string item = fmt::format("{}###program:{}", program->file_name(), program->file());
        if (ImGui::Selectable(item.c_str(), chosen)) choose_lesson(ui, program->lesson);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", program->file().c_str());
      }
      ImGui::TreePop();
    }
  }
  for (const std::string& topic : library.topics()) {
    const std::string key = "topic." + topic;
    const std::string heading = ui.text.has(key) ? ui.tr(key) : topic;
    // At first only the chosen lesson's topic is open: every topic's name fits in the list.
    const Lesson& current = ui.classroom.tutorial_lesson() ? *ui.classroom.tutorial_lesson() : ui.classroom.lesson();
    ImGui::SetNextItemOpen(topic == current.topic, ImGuiCond_Once);
    if (!ImGui::TreeNode(label(heading.c_str(), topic.c_str()).c_str())) continue;
    for (const Lesson* lesson : library.lessons()) {
      if (lesson->topic != topic) continue;
      const bool chosen = lesson == &current;
      // A long title wraps inside its row: it is never cut.
      const std::string title = library.title(lesson->id, language);
      const ImVec2 at = ImGui::GetCursorPos();
      const float width = ImGui::GetContentRegionAvail().x;
      const float height = ImGui::CalcTextSize(title.c_str(), nullptr, false, width).y;
      if (ImGui::Selectable(fmt::format("##{}", lesson->id).c_str(), chosen, 0, {0, height})) choose_lesson(ui, *lesson);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", lesson->id.c_str());
      ImGui::SetCursorPos(at);
      ImGui::PushTextWrapPos(at.x + width);
      ImGui::TextUnformatted(title.c_str());
      ImGui::PopTextWrapPos();
    }
    ImGui::TreePop();
  }
}

void draw_markdown(std::string_view markdown) { text_wrapped(paragraphs(markdown)); }

void draw_question_to_predict(Ui& ui, std::string_view predict) {
  ImGui::PushFont(ui.fonts.title());
  ImGui::TextColored({1.0f, 0.84f, 0.3f, 1.0f}, "%s", ui.tr("lesson.predict_first"));
  ImGui::PopFont();
  draw_markdown(predict);
  ImGui::Spacing();
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  draw_markdown(ui.tr("lesson.reveal_after_run"));
  ImGui::PopStyleColor();
}

bool awaiting_first_run(const Ui& ui, const std::string& lesson_id) {
  if (ui.revealed.contains(lesson_id)) return false;
  const auto& runs = ui.classroom.runs();
  return std::none_of(runs.begin(), runs.end(), [&](const auto& r) { return r->lesson() == lesson_id && !r->live(); });
}

bool draw_lesson_text(Ui& ui, const LessonLibrary& library) {
  // A lesson switched to its tutorial code keeps its text: the story is the same, the code is the tutorial's.
  const Lesson& lesson = ui.classroom.tutorial_lesson() ? *ui.classroom.tutorial_lesson() : ui.classroom.lesson();
  ImGui::BeginChild("text");
  if (const Program* program = ui.classroom.program(); program && !program->tutorial_of) {
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
    return false;
  }
  ImGui::PushFont(ui.fonts.title());
  text_wrapped(library.title(lesson.id, ui.text.language()));
  ImGui::PopFont();
  ImGui::TextDisabled("%s", lesson.id.c_str());
  draw_tutorial_switch(ui, lesson);
  const LessonText* text = library.text(lesson.id, ui.text.language());
  // Predict first: before the lesson's first run its question stands out and what to watch (which gives the answer
  // away) waits for the run; the Result tab then puts the question next to what happened.
  const bool predicting = text && !text->predict.empty() && awaiting_first_run(ui, lesson.id);
  if (predicting) {
    section(ui.tr("lesson.teaches"), text->teaches);
    ImGui::Spacing();
    ImGui::PushStyleColor(ImGuiCol_ChildBg, ImVec4{0.32f, 0.26f, 0.08f, 1.0f});
    ImGui::BeginChild("predict", {0, 0}, true, ImGuiWindowFlags_AlwaysUseWindowPadding);
    draw_question_to_predict(ui, text->predict);
    if (ImGui::SmallButton(label(ui.tr("lesson.reveal_now"), "reveal").c_str())) ui.revealed.insert(lesson.id);
    ImGui::EndChild();
    ImGui::PopStyleColor();
  } else if (text) {
    section(ui.tr("lesson.teaches"), text->teaches);
    section(ui.tr("lesson.watch"), text->watch);
    section(ui.tr("lesson.predict"), text->predict);
  } else {
    ImGui::TextDisabled("%s", ui.tr("lesson.no_text"));
  }
  ImGui::EndChild();
  return predicting;
}

}  // namespace forkscope::gui
