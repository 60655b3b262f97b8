// One RGBA texture the timeline re-uploads when its layout changes: a texel row per lane (and a few per counter),
// a texel column per screen pixel. Drawn with nearest filtering, one quad per lane: a hundred quads however many
// events there are, which keeps a software renderer (llvmpipe) under a frame.
#pragma once

#include <cstdint>
#include <vector>

#include <imgui.h>

namespace forkscope::gui {

class StripTexture {
 public:
  StripTexture() = default;
  ~StripTexture();
  StripTexture(const StripTexture&) = delete;
  StripTexture& operator=(const StripTexture&) = delete;

  // pixels: width x height, packed IM_COL32 (R, G, B, A in memory), top row first.
  void upload(int width, int height, const std::vector<ImU32>& pixels);
  [[nodiscard]] ImTextureID id() const;
  // Texture coordinates of a texel position (row + 0.5 is a row's centre: a quad with v fixed there repeats that row).
  [[nodiscard]] ImVec2 uv(float column, float row) const;

  // Between these two, a draw list's quads are drawn without blending: the strips are opaque, and a software
  // renderer then skips reading back every pixel beneath them.
  static void begin_opaque(ImDrawList* draw);
  static void end_opaque(ImDrawList* draw);

 private:
  unsigned int texture_ = 0;
  int capacity_width_ = 0, capacity_height_ = 0;
};

}  // namespace forkscope::gui
