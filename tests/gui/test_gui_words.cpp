// Every word a user sees is in the chosen language. Each lesson is run in 中文 twice (so Compare has two runs): first
// stepped a few operations (the processes' Next operation shows) and then to its end, then freely; every view and tab is shown while the App records every text it draws (ImGui's log of its widgets, and
// the texts drawn straight onto draw lists). An ASCII word passes only if it is code, a number or a unit:
//   - it looks like code: it has a digit, `_ . ( ) = [ ] : / -` or a capital inside (Process-1, os.getpid(), RLock);
//     or it is an acronym (CPU, GIL, SIGTERM), one letter (a variable, A/B), or Python's True/False/None;
//   - a unit (s, ms, µs, KiB, ...);
//   - a name the lesson's code gave: its processes, objects, parameter keys (what --set takes), its id, the words of
//     its printed lines, what its texts mark as code (`...`, “...”), and Python's multiprocessing class names.
// The English walk fails on Chinese outside what the lesson printed, named or wrote in its code.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <GLFW/glfw3.h>
#include <fmt/format.h>

#include "forkscope/lesson_text.hpp"
#include "gui_test_support.hpp"
#include "registry.hpp"

using namespace forkscope;
using namespace forkscope::gui;
using forkscope::gui::testing::GuiTest;
using forkscope::gui::testing::lesson_test_name;
using forkscope::gui::testing::listed_lessons;
using forkscope::gui::testing::make_app;
using forkscope::gui::testing::press_key;

namespace {

// The first code point of `s` at `i`, and its length in bytes.
std::pair<char32_t, std::size_t> code_point(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  char32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
  for (std::size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return {cp, n};
}

bool is_cjk(char32_t c) { return (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF); }

// Runs of printable ASCII without spaces ("os.getpid()", "Process-1", "tickets"), with the punctuation around them
// trimmed; or runs of CJK characters.
std::vector<std::string> runs(std::string_view text, bool cjk) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    if (!cjk) {
      const auto edge = [](char c) { return std::string_view(",;:!?\"'()[]{}<>`*#|").find(c) != std::string_view::npos; };
      while (!current.empty() && edge(current.back()) && !current.ends_with("()")) current.pop_back();
      while (!current.empty() && edge(current.front())) current.erase(0, 1);
    }
    if (!current.empty()) out.push_back(current);
    current.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto [c, n] = code_point(text, i);
    const bool take = cjk ? is_cjk(c) : (c > 0x20 && c < 0x7F);
    if (take) current.append(text.substr(i, n));
    else flush();
    i += n;
  }
  flush();
  return out;
}

bool has_letter(std::string_view w) {
  return std::any_of(w.begin(), w.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

bool looks_like_code(std::string_view w) {
  if (w.size() == 1) return true;  // a variable, a run's letter
  if (w.find_first_of("0123456789_.()=[]:/-") != std::string_view::npos) return true;
  if (std::any_of(w.begin() + 1, w.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); })) return true;
  if (std::all_of(w.begin(), w.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); })) return true;
  return w == "True" || w == "False" || w == "None";
}

// Python's multiprocessing API as lessons name it in their titles and texts (and Forkscope's Counter).
const std::set<std::string, std::less<>> kPythonNames = {
    "Process", "Lock",    "Semaphore", "Event",     "Condition", "Queue", "Pipe",  "Manager",  "Pool",
    "Counter", "Value",   "Array",     "Namespace", "Python",    "start", "join",  "run",      "terminate",
    "kill",    "is_alive", "pid",      "ppid",      "daemon",    "name",  "acquire", "release", "wait",
    "set",     "clear",   "notify",    "put",       "get",       "full",  "empty", "task_done", "send",
    "recv",    "close",   "poll",      "apply",     "map",       "callback",
};
// Names in Latin letters on purpose.
const std::set<std::string, std::less<>> kProperNames = {"Forkscope", "Linux", "C++", "Python", "CPython"};
const std::set<std::string, std::less<>> kUnits = {"s", "ms", "us", "ns", "B", "KiB", "MiB", "GiB", "x"};

// Every ASCII word of `text` (or of a lesson text's marked code) as allowed words.
void add_words(std::set<std::string, std::less<>>& to, std::string_view text) {
  for (const std::string& w : runs(text, false)) {
    to.insert(w);
    // A name with spaces ("fork 0", "account lock") is one name: each of its words is the code's.
    std::string part;
    for (char c : w + " ")
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') part += c;
      else if (!part.empty()) to.insert(std::exchange(part, {}));
  }
}

// What a lesson's text marks as code: `...` and “...”.
void add_marked_code(std::set<std::string, std::less<>>& to, std::string_view text) {
  for (const auto& [open, close] : {std::pair<std::string_view, std::string_view>{"`", "`"}, {"“", "”"}, {"\"", "\""}}) {
    for (std::size_t at = text.find(open); at != std::string_view::npos; at = text.find(open, at)) {
      const std::size_t end = text.find(close, at + open.size());
      if (end == std::string_view::npos) break;
      add_words(to, text.substr(at + open.size(), end - at - open.size()));
      at = end + close.size();
    }
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What the lesson's own code gave: names, keys, printed lines, marked code in its texts, its id.
struct Given {
  std::set<std::string, std::less<>> words;
  std::string printed_and_named;  // every printed line and name, for CJK that is the code's own
};

Given given_by(const Lesson& lesson, const std::vector<const TraceModel*>& models, std::string_view language) {
  Given g;
  add_words(g.words, lesson.id);
  for (const ParamSpec& p : lesson.params) add_words(g.words, p.key);
  for (const TraceModel* m : models) {
    for (const ProcessInfo& p : m->processes()) {
      add_words(g.words, p.name);
      g.printed_and_named += p.name + "\n";
    }
    for (const ObjectInfo& o : m->objects()) {
      add_words(g.words, o.name);
      g.printed_and_named += o.name + "\n";
    }
    for (const auto& [id, text] : m->texts()) {  // printed lines, marks, task labels, errors: the program's own
      add_words(g.words, text);
      g.printed_and_named.append(text).append("\n");
    }
  }
  if (const auto text = load_lesson_text(lesson.id, language))
    for (const std::string* s : {&text->title, &text->teaches, &text->watch, &text->predict}) {
      add_marked_code(g.words, *s);
      if (language == "en")  // what the English text quotes of the program's Chinese output
        for (const std::string& run : runs(*s, true)) g.printed_and_named += run + "\n";
    }
  g.printed_and_named += read_file(std::filesystem::path(FORKSCOPE_SOURCE_DIR) / lesson.source);  // the Code view
  return g;
}

// The English words among `texts` that are not code, each with where it was seen.
std::vector<std::string> stray_english(const std::vector<std::pair<std::string, std::string>>& texts, const Given& given) {
  std::vector<std::string> stray;
  std::set<std::string> reported;
  for (const auto& [where, text] : texts)
    for (const std::string& w : runs(text, false)) {
      if (!has_letter(w) || looks_like_code(w) || kUnits.contains(w) || kPythonNames.contains(w) || kProperNames.contains(w) ||
          given.words.contains(w))
        continue;
      if (!reported.insert(w).second) continue;
      const std::size_t at = text.find(w);
      const std::string around = text.substr(at < 40 ? 0 : at - 40, 100);
      stray.push_back(fmt::format("'{}' in {}: …{}…", w, where, around));
    }
  return stray;
}

std::vector<std::string> stray_chinese(const std::vector<std::pair<std::string, std::string>>& texts, const Given& given,
                                       std::string_view other_language_button) {
  std::vector<std::string> stray;
  std::set<std::string> reported;
  for (const auto& [where, text] : texts)
    for (const std::string& run : runs(text, true)) {
      if (given.printed_and_named.find(run) != std::string::npos || run == other_language_button) continue;
      if (reported.insert(run).second) stray.push_back(fmt::format("'{}' in {}", run, where));
    }
  return stray;
}

// Runs the lesson twice and shows every view and tab, recording what each frame draws.
struct Walk {
  std::vector<std::pair<std::string, std::string>> texts;  // where, text
  std::vector<const TraceModel*> models;
};

Walk walk(App& app) {
  Walk w;
  Classroom& c = app.classroom();
  std::vector<App::ShownText> frame_texts;
  // The first run is stepped a few operations: the processes' Next operation is shown, then it runs to its end.
  // (A step that waits on a socket, as the crawler's do, settles only when its peer answers: it is not waited for.)
  const auto settled = [&] { return !c.live() || (!c.step_in_progress() && !c.held().empty()); };
  press_key(app, GLFW_KEY_N);
  for (int step = 0; step < 4 && app.frames_until(settled, 5) && c.live(); ++step) press_key(app, GLFW_KEY_N);
  (void)app.frames_until(settled, 5);
  app.show(DetailTab::Processes);
  app.frame();
  app.record_texts(&frame_texts);
  app.frame();
  app.record_texts(nullptr);
  for (App::ShownText& t : frame_texts) w.texts.emplace_back(fmt::format("{} (stepping)", t.where), std::move(t.text));
  frame_texts.clear();
  press_key(app, GLFW_KEY_SPACE);
  EXPECT_TRUE(app.finish_run(180)) << "the stepped run did not finish";
  EXPECT_TRUE(c.run()) << c.status();
  EXPECT_TRUE(app.finish_run(180)) << "the run did not finish";
  app.frame();  // the atlas may grow for the run's texts
  for (const auto& record : c.runs()) w.models.push_back(&record->model());
  const std::pair<CenterView, const char*> views[] = {
      {CenterView::Timeline, "timeline"}, {CenterView::Compare, "compare"}, {CenterView::Code, "code"}};
  const std::pair<DetailTab, const char*> tabs[] = {{DetailTab::Processes, "processes"},
                                                    {DetailTab::Objects, "objects"},
                                                    {DetailTab::Console, "console"},
                                                    {DetailTab::Result, "result"}};
  for (const auto& [view, view_name] : views)
    for (const auto& [tab, tab_name] : tabs) {
      app.show(view);
      app.show(tab);
      app.frame();  // the tab opens
      app.record_texts(&frame_texts);
      app.frame();
      app.record_texts(nullptr);
      for (App::ShownText& t : frame_texts) {
        if (view == CenterView::Code && t.where == "center") continue;  // the lesson's source: code, in its own words
        w.texts.emplace_back(fmt::format("{} ({} + {})", t.where, view_name, tab_name), std::move(t.text));
      }
      frame_texts.clear();
    }
  return w;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += "\n  " + l;
  return out;
}

}  // namespace

class GuiWords : public GuiTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(GuiWords, ChineseShowsNoEnglishButCode) {
  auto app = make_app(GetParam(), "zh", 50);
  const Walk w = walk(*app);
  ASSERT_FALSE(w.texts.empty());
  if (std::getenv("FORKSCOPE_SHOW_WORDS"))
    for (const auto& [where, text] : w.texts) std::printf("--- %s\n%s\n", where.c_str(), text.c_str());
  Given given = given_by(*scenarios::find(GetParam()), w.models, "zh");
  given.words.insert(app->ui().tr("toolbar.other_language"));  // the button that switches to English says so
  // The lesson's own words and texts, whole (the panels show only what fits).
  std::vector<std::pair<std::string, std::string>> texts = w.texts;
  const auto words = nlohmann::json::parse(read_file(assets_dir() / "lessons" / "zh" / (GetParam() + ".json")));
  const auto add_strings = [&](const nlohmann::json& j, auto& self) -> void {
    if (j.is_string()) {  // without the {values} a detail fills in
      std::string text = j.get<std::string>();
      for (std::size_t at = text.find('{'); at != std::string::npos; at = text.find('{', at))
        text.erase(at, text.find('}', at) == std::string::npos ? std::string::npos : text.find('}', at) - at + 1);
      texts.emplace_back("the lesson's words", text);
    }
    for (const auto& v : j.is_structured() ? j : nlohmann::json::array()) self(v, self);
  };
  add_strings(words, add_strings);
  if (const auto text = load_lesson_text(GetParam(), "zh"))
    for (const std::string* s : {&text->title, &text->teaches, &text->watch, &text->predict}) texts.emplace_back("the lesson text", *s);
  const std::vector<std::string> stray = stray_english(texts, given);
  EXPECT_TRUE(stray.empty()) << stray.size() << " English words in 中文:" << joined(stray);
  // The lesson text wraps without starting a line with closing punctuation (it stays with what it closes).
  for (const auto& [where, text] : w.texts) {
    if (!where.starts_with("lesson")) continue;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      for (const char* closing : {"，", "。", "、", "；", "：", "！", "？", "）", "”"})
        EXPECT_FALSE(line.starts_with(closing)) << where << ": a line starts with closing punctuation: " << line;
  }
}

TEST_P(GuiWords, EnglishShowsNoChineseButWhatTheCodeGave) {
  auto app = make_app(GetParam(), "en", 50);
  const Walk w = walk(*app);
  ASSERT_FALSE(w.texts.empty());
  if (std::getenv("FORKSCOPE_SHOW_WORDS"))
    for (const auto& [where, text] : w.texts) std::printf("--- %s\n%s\n", where.c_str(), text.c_str());
  const Given given = given_by(*scenarios::find(GetParam()), w.models, "en");
  const std::vector<std::string> stray = stray_chinese(w.texts, given, app->ui().tr("toolbar.other_language"));
  EXPECT_TRUE(stray.empty()) << stray.size() << " Chinese texts in English:" << joined(stray);
  // The lesson text wraps without leaving an opening quote or bracket at the end of a line.
  for (const auto& [where, text] : w.texts) {
    if (!where.starts_with("lesson")) continue;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      const bool stranded = line.ends_with("“") || line.ends_with("‘") || line.ends_with(" \"") || line.ends_with(" (") ||
                            line == "\"" || line.ends_with(" '");
      EXPECT_FALSE(stranded) << where << ": a line ends with an opening mark: " << line;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryLesson, GuiWords, ::testing::ValuesIn(listed_lessons()), lesson_test_name);
