#include "strip_texture.hpp"

#include <GL/gl.h>

#include <algorithm>
#include <bit>

namespace forkscope::gui {

StripTexture::~StripTexture() {
  if (texture_ != 0) glDeleteTextures(1, &texture_);
}

void StripTexture::upload(int width, int height, const std::vector<ImU32>& pixels) {
  if (width <= 0 || height <= 0) return;
  if (texture_ == 0) glGenTextures(1, &texture_);
  glBindTexture(GL_TEXTURE_2D, texture_);
  if (width > capacity_width_ || height > capacity_height_) {
    // Grow in powers of two, so a live run adding lanes does not reallocate every frame.
    capacity_width_ = std::max(capacity_width_, static_cast<int>(std::bit_ceil(static_cast<unsigned>(width))));
    capacity_height_ = std::max(capacity_height_, static_cast<int>(std::bit_ceil(static_cast<unsigned>(height))));
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, capacity_width_, capacity_height_, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  }
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
}

void StripTexture::begin_opaque(ImDrawList* draw) {
  draw->AddCallback([](const ImDrawList*, const ImDrawCmd*) { glDisable(GL_BLEND); }, nullptr);
}

void StripTexture::end_opaque(ImDrawList* draw) { draw->AddCallback(ImDrawCallback_ResetRenderState, nullptr); }

ImTextureID StripTexture::id() const {
  return reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(texture_));
}

ImVec2 StripTexture::uv(float column, float row) const {
  return {column / static_cast<float>(std::max(capacity_width_, 1)), row / static_cast<float>(std::max(capacity_height_, 1))};
}

}  // namespace forkscope::gui
