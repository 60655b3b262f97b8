// The timeline canvas's look and limits, shared by its drawing (timeline_canvas.cpp) and its texture (timeline_texture.cpp).
#pragma once

#include <cmath>
#include <cstddef>

#include <imgui.h>

namespace forkscope::gui {

// Above this many operations in view, markers are one texel column each inside the strips, not shapes.
inline constexpr std::size_t kMaxMarkerShapes = 2000;
// Above this many put->get arrows in view, none is drawn: a bundle of thousands says nothing; zoom in.
inline constexpr std::size_t kMaxArrows = 400;
// Flows in view looked at for arrows: beyond this many (lanes filtered out, most of them hidden) the arrows are not
// drawn either, so a frame never reads a million flows.
inline constexpr std::size_t kMaxArrowsLookedAt = 64 * kMaxArrows;
inline constexpr double kMinWidthNs = 1e3;
inline constexpr double kMaxWidthNs = 1e13;
inline constexpr double kMinWidthSteps = 2;  // on a step axis
inline constexpr double kMaxWidthSteps = 1e8;

// The canvas lies on the window's own background; lanes' backgrounds are baked into the strip texture. A software
// renderer pays for every pixel of every layer, so nothing is drawn twice where it can be helped.
inline constexpr ImU32 kLaneEven = IM_COL32(36, 37, 42, 255);
inline constexpr ImU32 kLaneOdd = IM_COL32(42, 43, 49, 255);
inline constexpr ImU32 kLaneSelected = IM_COL32(62, 66, 84, 255);
inline constexpr ImU32 kRulerBackground = IM_COL32(22, 22, 26, 255);
inline constexpr ImU32 kHeaderBackground = IM_COL32(48, 52, 66, 255);
inline constexpr ImU32 kGrid = IM_COL32(255, 255, 255, 40);
inline constexpr ImU32 kDimText = IM_COL32(150, 150, 160, 255);
inline constexpr ImU32 kNowLine = IM_COL32(255, 145, 0, 255);
inline constexpr ImU32 kHoverLine = IM_COL32(255, 255, 255, 90);
inline constexpr ImU32 kPlayhead = IM_COL32(0, 229, 255, 255);
inline constexpr ImU32 kArrow = IM_COL32(224, 247, 250, 190);
inline constexpr ImU32 kTaskColor = IM_COL32(236, 239, 241, 255);  // neutral: a task is not a state, it rides on them
inline constexpr ImU32 kTaskColorAlt = IM_COL32(144, 164, 174, 255);
inline constexpr ImU32 kTaskFailedColor = IM_COL32(255, 23, 68, 255);

// An opaque mix of two colours (the texture's pixels are drawn without anything beneath them).
inline ImU32 blend(ImU32 under, ImU32 over, float amount) {
  auto channel = [&](int shift) {
    const auto a = static_cast<float>((under >> shift) & 0xFF), b = static_cast<float>((over >> shift) & 0xFF);
    return static_cast<ImU32>(std::lround(a + (b - a) * amount)) << shift;
  };
  return channel(IM_COL32_R_SHIFT) | channel(IM_COL32_G_SHIFT) | channel(IM_COL32_B_SHIFT) | IM_COL32_A_MASK;
}

}  // namespace forkscope::gui
