#include "forkscope/lesson_text.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include <fmt/args.h>
#include <fmt/format.h>

namespace forkscope {

namespace {
std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \n\r\t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \n\r\t") - first + 1);
}
}  // namespace

LessonText parse_lesson_text(std::string_view markdown) {
  LessonText text;
  std::vector<std::string> sections;
  std::istringstream in{std::string(markdown)};
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("## ")) {
      sections.emplace_back();
    } else if (line.starts_with("# ") && text.title.empty()) {
      text.title = trim(line.substr(2));
    } else if (!sections.empty()) {
      sections.back() += line + "\n";
    }
  }
  sections.resize(3);
  text.teaches = trim(sections[0]);
  text.watch = trim(sections[1]);
  text.predict = trim(sections[2]);
  return text;
}

namespace {

std::mutex g_folders_mutex;
std::map<std::string, std::filesystem::path, std::less<>> g_lesson_folders;  // SDK lessons: id -> their source's folder

// Where a lesson's file of this language is: assets/lessons/<lang>/<id>.<ext>, or next to an SDK lesson's source.
std::filesystem::path lesson_file(std::string_view lesson_id, std::string_view language, std::string_view extension) {
  {
    const std::lock_guard lock(g_folders_mutex);
    if (auto it = g_lesson_folders.find(lesson_id); it != g_lesson_folders.end())
      return it->second / fmt::format("{}.{}.{}", lesson_id, language, extension);
  }
  return assets_dir() / "lessons" / std::string(language) / fmt::format("{}.{}", lesson_id, extension);
}

}  // namespace

void add_lesson_folder(const std::string& lesson_id, const std::filesystem::path& dir) {
  const std::lock_guard lock(g_folders_mutex);
  g_lesson_folders.insert_or_assign(lesson_id, dir);
}

std::optional<LessonText> load_lesson_text(std::string_view lesson_id, std::string_view language) {
  std::ifstream in(lesson_file(lesson_id, language, "md"));
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_lesson_text(buffer.str());
}

namespace {

nlohmann::json read_names(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return nlohmann::json::object();
  nlohmann::json names = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return names.is_object() ? names : nlohmann::json::object();
}

// The lesson's file, over what every lesson shares (_forkscope.json: the invariants the viewer adds to every run). A
// Python program's id is its path: it has no file here.
nlohmann::json load_names_file(std::string_view lesson_id, std::string_view language) {
  const std::filesystem::path dir = assets_dir() / "lessons" / std::string(language);
  const bool lesson = !lesson_id.empty() && lesson_id.find_first_of("/.") == std::string_view::npos;
  nlohmann::json names = lesson ? read_names(lesson_file(lesson_id, language, "json")) : nlohmann::json::object();
  const nlohmann::json common = read_names(dir / "_forkscope.json");
  for (const auto& [section, shared] : common.items()) {
    if (!shared.is_object()) continue;
    nlohmann::json& own = names[section];
    if (!own.is_object()) own = nlohmann::json::object();
    for (const auto& [key, words] : shared.items())
      if (!own.contains(key)) own[key] = words;
  }
  return names;
}

const nlohmann::json* find(const nlohmann::json& names, std::string_view section, std::string_view key) {
  const auto s = names.find(section);
  if (s == names.end() || !s->is_object()) return nullptr;
  const auto e = s->find(key);
  return e == s->end() ? nullptr : &*e;
}

// An entry's text: the string itself, or an invariant's "text".
std::optional<std::string> text_of(const nlohmann::json* entry, const char* field = "text") {
  if (entry == nullptr) return std::nullopt;
  if (entry->is_string()) return entry->get<std::string>();
  if (entry->is_object() && entry->contains(field) && (*entry)[field].is_string()) return (*entry)[field].get<std::string>();
  return std::nullopt;
}

// A value as a sentence shows it: text without quotes, Python's True/False.
void push_value(fmt::dynamic_format_arg_store<fmt::format_context>& args, const std::string& name, const nlohmann::json& v) {
  if (v.is_number_integer()) args.push_back(fmt::arg(name.c_str(), v.get<std::int64_t>()));
  else if (v.is_number()) args.push_back(fmt::arg(name.c_str(), v.get<double>()));
  else if (v.is_boolean()) args.push_back(fmt::arg(name.c_str(), v.get<bool>() ? "True" : "False"));
  else if (v.is_string()) args.push_back(fmt::arg(name.c_str(), v.get<std::string>()));
  else args.push_back(fmt::arg(name.c_str(), v.dump()));
}

std::string plain_values(const nlohmann::json& values) {
  std::string out;
  for (const auto& [name, v] : values.items())
    out += fmt::format("{}{} = {}", out.empty() ? "" : ", ", name, v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

}  // namespace

LessonNames LessonNames::load(std::string_view lesson_id, std::string_view language) {
  LessonNames names;
  names.english_ = load_names_file(lesson_id, "en");
  names.own_ = language == "en" ? names.english_ : load_names_file(lesson_id, language);
  return names;
}

const nlohmann::json* LessonNames::entry(std::string_view section, std::string_view key) const {
  if (const nlohmann::json* e = find(own_, section, key)) return e;
  return find(english_, section, key);
}

std::string LessonNames::word(std::string_view section, std::string_view key) const {
  return text_of(entry(section, key)).value_or(std::string(key));
}

std::string LessonNames::invariant(std::string_view key) const { return word("invariants", key); }

std::string LessonNames::detail(std::string_view key, const nlohmann::json& values) const {
  if (!values.is_object() || values.empty()) return {};
  for (const nlohmann::json* e : {find(own_, "invariants", key), find(english_, "invariants", key)}) {
    const auto sentence = text_of(e, "detail");
    if (!sentence) continue;
    fmt::dynamic_format_arg_store<fmt::format_context> args;
    for (const auto& [name, v] : values.items()) push_value(args, name, v);
    try {
      return fmt::vformat(*sentence, args);
    } catch (const fmt::format_error&) {
      break;  // a sentence that names a value the check did not give: show the values themselves
    }
  }
  return plain_values(values);
}

std::string LessonNames::invariant_with_detail(std::string_view key, const nlohmann::json& values) const {
  const std::string d = detail(key, values);
  return d.empty() ? invariant(key) : fmt::format("{} ({})", invariant(key), d);
}

std::string LessonNames::process(std::string_view name) const {
  for (const nlohmann::json* names : {&own_, &english_}) {
    const auto patterns = names->find("processes");
    if (patterns == names->end() || !patterns->is_object()) continue;
    for (const auto& [pattern, shown] : patterns->items()) {
      if (!shown.is_string()) continue;
      const auto hole = pattern.find("{}");
      if (hole == std::string::npos) {
        if (pattern == name) return shown.get<std::string>();
        continue;
      }
      const std::string_view head = std::string_view(pattern).substr(0, hole), tail = std::string_view(pattern).substr(hole + 2);
      if (name.size() < head.size() + tail.size() || !name.starts_with(head) || !name.ends_with(tail)) continue;
      std::string out = shown.get<std::string>();
      const auto at = out.find("{}");
      if (at != std::string::npos) out.replace(at, 2, name.substr(head.size(), name.size() - head.size() - tail.size()));
      return out;
    }
  }
  return std::string(name);
}

bool LessonNames::has(std::string_view section, std::string_view key) const { return text_of(find(own_, section, key)).has_value(); }

std::vector<std::string> LessonNames::all_texts() const {
  std::vector<std::string> texts;
  auto collect = [&](const nlohmann::json& j, auto& self) -> void {
    if (j.is_string()) texts.push_back(j.get<std::string>());
    else if (j.is_structured())
      for (const auto& v : j) self(v, self);
  };
  collect(own_, collect);
  collect(english_, collect);
  return texts;
}

}  // namespace forkscope
