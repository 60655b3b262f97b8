// UI strings by key, per language, from assets/i18n/<lang>.json (as ImHex does it): no sentence lives in C++.
// A key missing in the chosen language falls back to English, then to the key itself, so a gap shows, not crashes.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "forkscope/phrases.hpp"

namespace forkscope::gui {

class Strings {
 public:
  // Loads every language of assets/i18n; SystemFailure when English is missing or a file is not a flat JSON object.
  explicit Strings(const std::filesystem::path& dir);

  void set_language(std::string_view language);  // "en" or "zh"; others fall back to English
  [[nodiscard]] const std::string& language() const { return language_; }
  [[nodiscard]] const char* operator()(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const { return english_->contains(key) || current_->contains(key); }
  template <class... Args>
  [[nodiscard]] std::string format(std::string_view key, Args&&... args) const {
    return fmt::format(fmt::runtime((*this)(key)), std::forward<Args>(args)...);
  }
  // The same with arguments known only at run time (all text).
  [[nodiscard]] std::string format_list(std::string_view key, const std::vector<std::string>& args) const;
  // What a trace event did, in the chosen language: its sentence from <lang>.json when that has one that fits the
  // arguments, else the core's English.
  [[nodiscard]] std::string say(const Phrase& phrase) const;
  // Every text of every language: what the font atlas must hold.
  [[nodiscard]] std::vector<std::string_view> all_texts() const;
  [[nodiscard]] std::vector<std::string> keys(std::string_view language) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Table = std::unordered_map<std::string, std::string, Hash, std::equal_to<>>;
  std::unordered_map<std::string, Table> tables_;  // language -> key -> text
  std::string language_ = "en";
  const Table* current_ = nullptr;
  const Table* english_ = nullptr;
  mutable Table missing_;
};

}  // namespace forkscope::gui
