#include "fonts.hpp"

#include <filesystem>

#include <imgui_internal.h>  // ImTextCharFromUtf8

namespace forkscope::gui {

namespace {
// Debian's CJK fonts, most compact first. Face 0 of wqy-microhei is proportional, face 1 monospaced.
struct CjkFont {
  const char* path;
  int mono_face;
};
constexpr CjkFont kCjkFonts[] = {{"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 1},
                                 {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0},
                                 {"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 1}};
}  // namespace

FontBook::FontBook() {
  for (const CjkFont& f : kCjkFonts)
    if (std::filesystem::exists(f.path)) {
      cjk_path_ = f.path;
      break;
    }
  for (ImWchar c = 0x20; c < 0x100; ++c) wanted_.set(c);  // Latin-1: every key label and number
}

void for_each_char(std::string_view utf8, const std::function<void(unsigned int)>& each) {
  const char* p = utf8.data();
  const char* end = p + utf8.size();
  while (p < end) {
    unsigned int c = 0;
    const int n = ImTextCharFromUtf8(&c, p, end);
    if (n <= 0) break;
    p += n;
    each(c);
  }
}

void FontBook::note(std::string_view utf8) {
  for_each_char(utf8, [this](unsigned int c) {
    if (c >= 0x20 && c < wanted_.size()) wanted_.set(c);
  });
}

void FontBook::build(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  ImFontGlyphRangesBuilder builder;
  for (std::size_t c = 0; c < wanted_.size(); ++c)
    if (wanted_.test(c)) builder.AddChar(static_cast<ImWchar>(c));
  ranges_.clear();
  builder.BuildRanges(&ranges_);

  int mono_face = 0;
  for (const CjkFont& f : kCjkFonts)
    if (cjk_path_ == f.path) mono_face = f.mono_face;
  auto add = [&](float size, int face) -> ImFont* {
    if (cjk_path_.empty()) {
      ImFontConfig config;
      config.SizePixels = size;
      return io.Fonts->AddFontDefault(&config);
    }
    ImFontConfig config;
    config.FontNo = face;
    config.OversampleH = 1;  // pixel-snapped text: sharp on a projector, and a smaller atlas
    config.PixelSnapH = true;
    return io.Fonts->AddFontFromFileTTF(cjk_path_.c_str(), size, &config, ranges_.Data);
  };
  ui_ = add(kUiSize * scale, 0);
  mono_ = add(15.0f * scale, mono_face);
  title_ = add(22.0f * scale, 0);
  io.Fonts->Build();
  io.FontDefault = ui_;
  built_ = wanted_;
  built_scale_ = scale;
}

}  // namespace forkscope::gui
