// The fonts, with exactly the glyphs the viewer shows. Chinese needs a CJK font (Debian's fonts-wqy-microhei) and
// ImGui's "common" Chinese range misses characters, so the atlas is built from the strings themselves: every text
// shown is noted first, and the atlas is rebuilt (between frames) only when a note brings a new character.
#pragma once

#include <bitset>
#include <functional>
#include <string>
#include <string_view>

#include <imgui.h>

namespace forkscope::gui {

// Calls `each` with every character (code point) of a UTF-8 text.
void for_each_char(std::string_view utf8, const std::function<void(unsigned int)>& each);

class FontBook {
 public:
  FontBook();

  void note(std::string_view utf8);  // the glyphs this text needs
  // True when a noted character or the scale is not in the atlas yet.
  [[nodiscard]] bool stale(float scale) const { return scale != built_scale_ || wanted_ != built_; }
  // Rebuilds the atlas of the current ImGui context. Call between frames, then re-upload the atlas texture.
  void build(float scale);

  [[nodiscard]] ImFont* ui() const { return ui_; }
  [[nodiscard]] ImFont* mono() const { return mono_; }     // code
  [[nodiscard]] ImFont* title() const { return title_; }   // lesson titles, for the back of the room

  static constexpr float kUiSize = 16.0f;

 private:
  std::string cjk_path_;
  std::bitset<0x10000> wanted_, built_;  // ImWchar is 16-bit in Debian's build
  float built_scale_ = 0;
  ImVector<ImWchar> ranges_;  // must outlive the atlas build
  ImFont* ui_ = nullptr;
  ImFont* mono_ = nullptr;
  ImFont* title_ = nullptr;
};

}  // namespace forkscope::gui
