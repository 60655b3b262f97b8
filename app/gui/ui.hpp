// What every panel shares: the strings of the chosen language, the fonts, the classroom, the projector scale and
// the process the teacher picked. Panels take it by reference; none of them owns it.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <imgui.h>

#include "classroom.hpp"
#include "forkscope/lesson_text.hpp"
#include "fonts.hpp"
#include "strings.hpp"

namespace forkscope::gui {

// The playhead: the shown run seen at one instant of its trace, on a paused or finished run (the timeline places it:
// a click or drag on its ruler, Left/Right, Home/End; Esc goes back to now). The panels then read the run's model
// cut at that instant (TraceModel::cut), made again only when the playhead moves or the trace grows.
class Playhead {
 public:
  [[nodiscard]] std::optional<std::int64_t> at(const RunRecord* run) const {
    return run && run == run_ ? at_ns_ : std::nullopt;
  }
  void place(const RunRecord& run, std::int64_t t_ns) {
    run_ = &run;
    at_ns_ = t_ns;
  }
  void clear();
  // While the playhead is dragged over a long trace, the panels keep its last cut: cutting a million events takes
  // about a tenth of a second, once, when it is let go.
  void set_dragging(bool dragging) { dragging_ = dragging; }
  static constexpr std::size_t kCutWhileDragging = 200'000;  // events

  // `run`'s model at the playhead, or as it is now when the playhead is not on it.
  [[nodiscard]] const TraceModel& model(const RunRecord& run);

 private:
  const RunRecord* run_ = nullptr;
  std::optional<std::int64_t> at_ns_;
  bool dragging_ = false;
  TraceModel cut_;
  struct CutOf {
    const TraceModel* model = nullptr;
    std::size_t events = 0;
    std::int64_t t_ns = 0;
    bool operator==(const CutOf&) const = default;
  } cut_of_;
};

// Ctrl+S: the window as a PNG; Ctrl+Shift+S: the timeline alone, at twice the scale (for slides).
enum class Export { None, Window, Timeline };
// The words each lesson gives its keys (LessonNames), read once per lesson and language.
class LessonWords {
 public:
  [[nodiscard]] const LessonNames& of(std::string_view lesson_id, std::string_view language);

 private:
  std::map<std::string, LessonNames, std::less<>> loaded_;  // "<language>/<lesson id>"
};

struct Ui {
  Strings& text;
  FontBook& fonts;
  Classroom& classroom;
  float scale = 1;
  std::int32_t selected_pid = 0;  // a lane or a table row clicked: "Step process" moves it
  bool toggle_fullscreen = false;  // F11, done by the shell after the frame
  bool open_requested = false;     // Open… or Ctrl+O: the open dialog shows this frame
  bool save_schedule_requested = false;  // Save schedule… or Ctrl+E: the same dialog, to save
  Export export_requested = Export::None;  // done by the shell after the frame
  bool keys_shown = false;                 // F1 or ?: the overlay of every key and mouse action
  // The shown run's trace time under the pointer on the timeline, this frame (the Code view marks the lines then).
  std::optional<std::int64_t> hovered_ns;
  Playhead playhead;
  std::optional<bool> step_axis;  // T, or the timeline's toggle; none: on for a run that was stepped
  std::string lane_filter;        // the timeline's filter field (Ctrl+F; Esc clears it): see LaneFilter
  const Lesson* switch_to = nullptr;  // picked while a run was live: "Stop the running lesson?" asks first
  std::set<std::string> revealed;  // lessons whose "what to watch" the teacher showed before their first run

  // The shown run's model as the panels show it: at the playhead, or now.
  [[nodiscard]] const TraceModel& model(const RunRecord& run) { return playhead.model(run); }

  [[nodiscard]] float px(float size) const { return std::round(size * scale); }
  [[nodiscard]] const char* tr(std::string_view key) const { return text(key); }

  mutable LessonWords words;  // a cache: reading the words changes nothing a panel sees
  // What a lesson's parameters, counters, result facts, invariants and processes read as in the chosen language.
  [[nodiscard]] const LessonNames& names(std::string_view lesson_id) const { return words.of(lesson_id, text.language()); }
  // An operation's name in the chosen language ("acquire", "获取"): the "Next operation" of a held process.
  [[nodiscard]] std::string op_text(EventKind kind) const;
};

// "#2 ticket-lock tickets=3 buyers=5 lock=off": a run as its lists and the comparison name it, with the lesson's words.
[[nodiscard]] std::string run_label(const Ui& ui, const RunRecord& run);
// "tickets=3 buyers=5 lock=off" in the lesson's words.
[[nodiscard]] std::string params_text(const Ui& ui, std::string_view lesson_id, const nlohmann::json& params);
// An object's name as shown: a lesson's counter in the lesson's words, any other object as the code named it.
[[nodiscard]] std::string object_name(const LessonNames& names, const ObjectInfo& object);
// "Lock 'mutex'", "Counter '剩余票数'"; "用户3 (4121)": an object or a process as the panels name it.
[[nodiscard]] std::string object_text(const LessonNames& names, const TraceModel& model, std::uint16_t id);
[[nodiscard]] std::string process_text(const LessonNames& names, const TraceModel& model, std::int32_t pid);
// What a process held at the gate will do next, in the language: forkscope::next_operation's words ("buy: read info",
// "剩余票数 = 2", "把 'x' 放入 Queue 'q'").
[[nodiscard]] std::string next_operation_text(const Ui& ui, const LessonNames& names, const HeldProcess& held,
                                              const TraceModel& model);

// Text drawn straight onto a draw list (lane names, ticks, counters): ImGui's log does not see it, so it goes through
// here, and a test that asks gets a copy of every such text (record_drawn_texts; nullptr stops).
void draw_text(ImDrawList* draw, ImVec2 at, ImU32 color, const char* text);
void draw_text(ImDrawList* draw, const ImFont* font, float size, ImVec2 at, ImU32 color, const char* begin, const char* end);
void record_drawn_texts(std::vector<std::string>* into);

// "Run###run": the text shown in this language, the id ImGui keeps across languages.
[[nodiscard]] std::string label(const char* text, const char* id);

// "1.25 s", "340 ms", "12 µs": a duration for people.
[[nodiscard]] std::string format_duration(double ns);
[[nodiscard]] std::string signal_name(int signo);  // "SIGTERM", "SIGKILL", "signal 10"
// The unit a ruler speaks in, one for all its labels: its tick step's, or seconds once it reaches a second.
struct TimeUnit {
  double ns = 1;
  const char* name = "ns";
};
[[nodiscard]] TimeUnit time_unit(double step_ns, double largest_ns);
// A time in that unit, with just enough digits for `resolution_ns` (a tick step, or a column's width).
[[nodiscard]] std::string format_time(double ns, double resolution_ns, TimeUnit unit);

// A process's end as a student reads it: "exit 0", "exit 1", "SIGTERM" (a signal keeps its name).
[[nodiscard]] std::string exit_text(const Ui& ui, const ProcessInfo& process);

// A result value for people: numbers to four significant digits (1.502, not 1.501513644), the rest as JSON.
[[nodiscard]] std::string value_text(const nlohmann::json& value);
// The same in the chosen language: a yes/no fact in its words.
[[nodiscard]] std::string value_text(const Ui& ui, const nlohmann::json& value);

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
