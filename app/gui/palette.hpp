// The colours the viewer uses for meaning: one per process state (the timeline, its legend, the process table), one
// per process (console lines, lane labels), one per kind of operation (the markers on a lane).
#pragma once

#include <cstddef>
#include <cstdint>

#include <imgui.h>

#include "forkscope/trace_model.hpp"

namespace forkscope::gui {

// What an operation marker says at a glance. Higher values win when several operations share a pixel column.
enum class OpCategory : std::uint8_t { None, Text, Process, Queue, Sync, Failure };
[[nodiscard]] OpCategory op_category(EventKind kind, Phase phase);

// Packed as IM_COL32, which in memory is R, G, B, A: the layout of an RGBA8 texture as well.
[[nodiscard]] ImU32 state_color(ProcState state);
[[nodiscard]] ImU32 state_text_color(ProcState state);  // the same, but readable as text on the dark background
[[nodiscard]] ImU32 op_color(OpCategory category);
[[nodiscard]] ImU32 process_color(std::size_t lane_index);
[[nodiscard]] ImU32 counter_color(ObjectKind kind);
// A signal sent to a process (terminate, kill): the glyph on its lane.
inline constexpr ImU32 kSignalColor = IM_COL32(255, 111, 0, 255);
// The lesson's point, when a run showed it (a race, a deadlock): the status line's banner, a deep red.
inline constexpr ImU32 kPointBannerColor = IM_COL32(198, 40, 40, 255);
// A deadlock's wait-for arrows: the alarm red, apart from every state's colour.
inline constexpr ImU32 kDeadlockColor = IM_COL32(255, 64, 96, 255);

// The UI string key of a state: "state.running", "state.blocked_lock", ...
[[nodiscard]] const char* state_key(ProcState state);

}  // namespace forkscope::gui
