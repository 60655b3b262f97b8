#include "strings.hpp"

#include <fstream>

#include <fmt/args.h>
#include <nlohmann/json.hpp>

#include "forkscope/errors.hpp"

namespace forkscope::gui {

Strings::Strings(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw SystemFailure(entry.path().string() + " is not a JSON object of strings");
    Table& table = tables_[entry.path().stem().string()];
    for (const auto& [key, text] : j.items())
      if (text.is_string()) table.emplace(key, text.get<std::string>());
  }
  if (!tables_.contains("en")) throw SystemFailure("the UI strings are missing: no en.json in " + dir.string());
  english_ = &tables_.at("en");
  set_language("en");
}

void Strings::set_language(std::string_view language) {
  auto it = tables_.find(std::string(language));
  language_ = it == tables_.end() ? "en" : it->first;
  current_ = it == tables_.end() ? english_ : &it->second;
}

const char* Strings::operator()(std::string_view key) const {
  for (const Table* table : {current_, english_})
    if (auto it = table->find(key); it != table->end()) return it->second.c_str();
  // An unknown key names itself; the text must outlive the frame, so it is kept.
  return missing_.try_emplace(std::string(key), std::string(key)).first->second.c_str();
}

std::string Strings::format_list(std::string_view key, const std::vector<std::string>& args) const {
  fmt::dynamic_format_arg_store<fmt::format_context> store;
  for (const std::string& a : args) store.push_back(a);
  try {
    return fmt::vformat((*this)(key), store);
  } catch (const fmt::format_error&) {  // a translation with more places than arguments: show the text, not a crash
    return (*this)(key);
  }
}

std::string Strings::say(const Phrase& phrase) const {
  if (auto it = current_->find(phrase.key); it != current_->end())
    if (std::optional<std::string> sentence = fill(it->second, phrase)) return *std::move(sentence);
  return english(phrase);
}

std::vector<std::string_view> Strings::all_texts() const {
  std::vector<std::string_view> out;
  for (const auto& [language, table] : tables_)
    for (const auto& [key, text] : table) out.emplace_back(text);
  return out;
}

std::vector<std::string> Strings::keys(std::string_view language) const {
  std::vector<std::string> out;
  if (auto it = tables_.find(std::string(language)); it != tables_.end())
    for (const auto& [key, text] : it->second) out.push_back(key);
  return out;
}

}  // namespace forkscope::gui
