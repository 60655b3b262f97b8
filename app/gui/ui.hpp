// What every panel shares: the strings of the chosen language, the fonts, the classroom, the projector scale and
// the process the teacher picked. Panels take it by reference; none of them owns it.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "classroom.hpp"
#include "fonts.hpp"
#include "strings.hpp"

namespace forkscope::gui {

struct Ui {
  Strings& text;
  FontBook& fonts;
  Classroom& classroom;
  float scale = 1;
  std::int32_t selected_pid = 0;  // a lane or a table row clicked: "Step process" moves it
  bool toggle_fullscreen = false;  // F11, done by the shell after the frame
  bool open_requested = false;     // Open… or Ctrl+O: the open dialog shows this frame
  bool save_schedule_requested = false;  // Save schedule… or Ctrl+S: the same dialog, to save
  // The shown run's trace time under the pointer on the timeline, this frame (the Code view marks the lines then).
  std::optional<std::int64_t> hovered_ns;

  [[nodiscard]] float px(float size) const { return std::round(size * scale); }
  [[nodiscard]] const char* tr(std::string_view key) const { return text(key); }
};

// "Run###run": the text shown in this language, the id ImGui keeps across languages.
[[nodiscard]] std::string label(const char* text, const char* id);

// "1.25 s", "340 ms", "12 µs": a duration for people.
[[nodiscard]] std::string format_duration(double ns);
// The same at a given resolution (a ruler with steps of `step_ns` shows just enough digits).
[[nodiscard]] std::string format_time(double ns, double step_ns);

// A process's end as a student reads it: "exit 0", "exit 1", "SIGTERM".
[[nodiscard]] std::string exit_text(const ProcessInfo& process);

// A result value for people: numbers to four significant digits (1.502, not 1.501513644), the rest as JSON.
[[nodiscard]] std::string value_text(const nlohmann::json& value);

// The shown run; when there is none, says that nothing has run yet and returns nullptr (detail panels start so).
[[nodiscard]] const RunRecord* shown_or_hint(const Ui& ui);

// The detail panels' tables: scrolling, a header row of translated names, columns stretched by weight.
struct Column {
  const char* key;
  float weight;
};
[[nodiscard]] bool begin_table(const Ui& ui, const char* id, std::span<const Column> columns);

// An object's kind and value in the chosen language: "Queue", "3 items"; "Lock", "held".
[[nodiscard]] const char* kind_text(const Ui& ui, ObjectKind kind);
[[nodiscard]] std::string value_text(const Ui& ui, const ObjectInfo& object, std::int64_t value);

}  // namespace forkscope::gui
