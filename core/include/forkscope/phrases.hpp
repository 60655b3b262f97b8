// Events in words. TraceModel::phrase() says which sentence an event is (a key of the phrase book) and what goes
// into it; the core keeps the English sentences (the CLI's timeline, the Chrome trace), and the GUI looks the same
// keys up in the chosen language (assets/i18n/zh.json), so a tooltip reads in Chinese too.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace forkscope {

struct Phrase {
  std::string_view key;           // "op.acquire_want"
  std::vector<std::string> args;  // in the order the sentence's {} take them
};

struct PhraseFormat {
  std::string_view key;
  std::string_view english;  // fmt syntax, one {} per argument
  int args;
};

[[nodiscard]] std::span<const PhraseFormat> phrase_book();
[[nodiscard]] const PhraseFormat* find_phrase(std::string_view key);

// The sentence `format` with the phrase's arguments; nullopt when it does not take exactly that many (a
// translation with a {} too many or too few falls back instead of throwing in the middle of a frame).
[[nodiscard]] std::optional<std::string> fill(std::string_view format, const Phrase& phrase);
// The phrase in English.
[[nodiscard]] std::string english(const Phrase& phrase);

}  // namespace forkscope
