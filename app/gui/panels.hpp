// The panels of the viewer, one file each (as Tracy's viewer does it). Each draws into the current ImGui window;
// the ones with state of their own are classes, the others functions.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <imgui.h>

#include "forkscope/explore.hpp"
#include "lesson_library.hpp"
#include "timeline_canvas.hpp"
#include "ui.hpp"

namespace forkscope::gui {

// toolbar_panel.cpp: Open…, Save schedule…, Run, Pause, Step, Back, Step process, Reset, speed, language, projector
// scale; and their keys.
void draw_toolbar(Ui& ui);
void handle_shortcuts(Ui& ui);
[[nodiscard]] bool keys_are_shortcuts();  // not while typing into a field or while a popup has the keys
[[nodiscard]] double faster(double speed);  // the next speed step up (+), or down (-)
[[nodiscard]] double slower(double speed);
[[nodiscard]] float larger_scale(float scale);  // the projector scale's next step (Ctrl+=), or the one before (Ctrl+-)
[[nodiscard]] float smaller_scale(float scale);
// keys_overlay.cpp: F1 or ?: every key and mouse action, in the chosen language; Esc, F1 or a click closes it.
void draw_keys_overlay(Ui& ui);
[[nodiscard]] std::span<const char* const> keys_overlay_rows();  // ids: "keycap.<id>" names the key, "keys.<id>" says what it does

// status_panel.cpp: one line under everything: what the run is doing, and the last error.
void draw_status(Ui& ui);
[[nodiscard]] std::string status_text(const Ui& ui);
// The lesson's point, when the run showed it ("RACE: 5 sold, 3 tickets"), in the chosen language; empty otherwise.
[[nodiscard]] std::string point_text(const Ui& ui, const RunFacts& facts);  // the classroom's last word, in the chosen language
// "Deadlock: Process-1 waits for 'fork 1' held by Process-2; Process-2 waits for 'fork 0' held by Process-1".
[[nodiscard]] std::string deadlock_text(const Ui& ui, const Deadlock& deadlock);
// What the race finder found, in the language and the lesson's words ("超卖张数 = 1（一次只让一个进程走时：0）").
[[nodiscard]] std::string explore_finding_text(const Ui& ui, const std::string& lesson_id, const ExploreResult& found);
// The same in short: "Deadlock: Process-1 → 'fork 1' → Process-2 → 'fork 2' → Process-1".
[[nodiscard]] std::string deadlock_cycle_text(const Ui& ui, const Deadlock& deadlock);

// lesson_panel.cpp: the lessons by topic; the chosen one's text (left column), with the switch to the tutorial's own
// Python code when the lesson mirrors some.
void draw_lesson_list(Ui& ui, const LessonLibrary& library);
// A lesson picked from the list: chosen at once, or, while a run is live, after "Stop the running lesson?" (Yes).
void choose_lesson(Ui& ui, const Lesson& lesson);
void draw_stop_question(Ui& ui);  // every frame, over the panels
// A lesson text's Markdown as the lesson panel shows it: paragraphs joined, wrapped (between Chinese characters too).
void draw_markdown(std::string_view markdown);
// "Predict first", the question, and that the answer comes after the run (the sidebar's card, the empty timeline).
void draw_question_to_predict(Ui& ui, std::string_view predict);
// True when it showed the lesson's question to predict, with what to watch held back until the lesson's first run.
bool draw_lesson_text(Ui& ui, const LessonLibrary& library);
// No run of this lesson has finished in the session (and the teacher did not reveal the answer): predict first.
[[nodiscard]] bool awaiting_first_run(const Ui& ui, const std::string& lesson_id);

// code_panel.cpp: the code that runs (a center tab, and a detail tab under the timeline); for a Python program, a
// dot per process on the line it is at, in its lane's colour.
struct CodeMark {
  std::int64_t line = 0;  // 1-based
  std::int32_t pid = 0;
  std::string name;       // "Process-2", "Process-1.Thread-1" (tooltips)
  std::string tag;        // as its lane names it (after the line)
  ImU32 color = 0;        // its lane's colour on the timeline
  bool held = false;      // waits at the gate: about to run this line
  bool thread = false;    // a thread's sub-lane: a ring, not a dot
  ImVec2 at{0, 0};        // the dot's centre on screen in the last frame; (0, 0) when it was not drawn
};
// Which line each process (and thread) alive at trace time `t_ns` is at, in lane order; `held`: who waits at the gate.
[[nodiscard]] std::vector<CodeMark> code_marks(const TraceModel& model, std::int64_t t_ns, const std::vector<HeldProcess>* held);

// What time the Code view's marks show: none (a C++ lesson, or no live run under the pointer), the live run's now,
// its now while stepping, or the time under the pointer on the timeline.
enum class MarkTime { None, Now, Stepping, Pointer, Playhead };

class CodePanel {
 public:
  void draw(Ui& ui, const LessonLibrary& library);
  [[nodiscard]] const std::vector<CodeMark>& marks() const { return marks_; }  // the last frame's
  [[nodiscard]] MarkTime mark_time() const { return mark_time_; }
  // Where `line` (1-based) was drawn in the last frame, top and bottom on screen; (0, 0) when it was not.
  [[nodiscard]] std::pair<float, float> line_span(std::int64_t line) const;

 private:
  void find_marks(Ui& ui, const std::string& file);
  void draw_code(Ui& ui, const std::string& code, std::string_view comment_marker, bool margin);
  void scroll_to_marks();
  [[nodiscard]] bool any_mark_in_sight() const;

  std::vector<CodeMark> marks_;
  MarkTime mark_time_ = MarkTime::None;
  std::int64_t mark_ns_ = 0;
  std::vector<std::int64_t> scrolled_to_;  // the marked lines last brought into sight while stepping
  std::vector<float> line_tops_;
  float line_height_ = 0;
};

// params_panel.cpp: a form from the lesson's typed parameters and bounds, and Find a race (explore) for them.
void draw_params(Ui& ui);
void draw_explore(Ui& ui);

// processes_panel.cpp / objects_panel.cpp / result_panel.cpp: tables of the shown run (now, or at the playhead).
void draw_processes(Ui& ui);
// The result, next to the lesson's question to predict; true when it showed the question.
bool draw_result(Ui& ui, const LessonLibrary& library);
void draw_playhead_note(Ui& ui, const RunRecord& shown);  // "At 1.2 s (the playhead)", when it is set

class ObjectsPanel {
 public:
  void draw(Ui& ui);
  // What the last frame showed of each object, in its language.
  struct Row {
    std::string name, value, holder, waiters, items;
  };
  [[nodiscard]] const std::vector<Row>& rows() const { return rows_; }

 private:
  std::vector<Row> rows_;
};

// timeline_panel.cpp: the legend and the shown run's lanes and counters; the playhead and the step axis.
class TimelinePanel {
 public:
  // Every frame, before the panels (drawn or not): the playhead's keys (Left/Right: the previous or next operation,
  // Home/End: the first or last, Esc: back to now) and the step axis's (T); a playhead only on a paused or finished run.
  void update(Ui& ui);
  void draw(Ui& ui, const LessonLibrary& library);  // before a lesson's first run: its question to predict
  [[nodiscard]] TimelineCanvas& canvas() { return canvas_; }
  [[nodiscard]] TimeView& view() { return view_; }
  [[nodiscard]] bool step_axis(Ui& ui);  // whether the shown run's x axis counts steps

  // The deadlock's wait-for arrows drawn in the last frame, from the waiting lane to the holder's.
  [[nodiscard]] const std::vector<TimelineCanvas::Arrow>& deadlock_arrows() const { return deadlock_arrows_; }
  [[nodiscard]] const std::vector<ProcState>& legend() const { return legend_; }  // the last frame's

 private:
  std::vector<TimelineCanvas::Arrow> deadlock_arrows_;
  // The shown run's granted-step times (followed event by event: every frame asks whether the run was stepped) and
  // its operation times (made again when the trace grew, only when the step axis or a key needs them).
  struct Times {
    const TraceModel* model = nullptr;
    std::size_t scanned = 0;  // events looked at for grants
    std::vector<double> grants;
    std::size_t operations_of = 0;  // events the operations were taken from
    std::vector<double> operations;
  };
  Times& times_of(const RunRecord& run);
  const std::vector<double>& grants_of(const RunRecord& run);
  const std::vector<double>& operations_of(const RunRecord& run);
  void move_playhead(Ui& ui, const RunRecord& run, int key);
  void draw_filter(Ui& ui, const RunRecord& shown);

  bool focus_filter_ = false;  // Ctrl+F: the filter field takes the keys next frame
  std::array<char, 256> filter_text_{};

  TimelineCanvas canvas_;
  TimeView view_;
  const RunRecord* last_shown_ = nullptr;
  std::vector<ProcState> legend_;
  std::pair<const TraceModel*, std::size_t> legend_of_{nullptr, 0};
  Times times_;
  std::shared_ptr<const StepWarp> warp_;
  std::tuple<const TraceModel*, std::size_t, std::int64_t> warp_of_{nullptr, 0, 0};
};

// console_panel.cpp: printed lines, coloured by process, filterable by text and process.
class ConsolePanel {
 public:
  void draw(Ui& ui);
  [[nodiscard]] std::size_t lines_shown() const { return lines_shown_; }  // in the last frame, after the filters

 private:
  ImGuiTextFilter filter_;
  std::int32_t only_pid_ = 0;
  std::unordered_map<std::int32_t, std::size_t> lane_of_;
  std::pair<const TraceModel*, std::size_t> lanes_of_{nullptr, 0};
  std::size_t lines_shown_ = 0;
  // The lines that pass the filters, by index: a frame looks only at the lines printed since the last one (a live
  // run's model only grows; the instant's model at a later time holds the earlier instant's lines first), and at
  // all of them again when the run, the instant's model, the process or the filter text changes.
  struct Matches {
    int run = 0;
    const BigVector<PrintedLine>* lines = nullptr;
    std::int32_t only_pid = 0;
    std::string filter;
    std::size_t scanned = 0;
    std::vector<std::uint32_t> indexes;
  } matches_;
};

// compare_panel.cpp: two runs on one time axis, or the phases of one run aligned at zero, with their results.
class ComparePanel {
 public:
  void draw(Ui& ui);
  // The runs compared, by number, and whether run `a`'s phases are shown instead; a number that names no finished
  // run (0) goes back to following the latest runs.
  void choose(int a, int b, bool phases);
  [[nodiscard]] TimelineCanvas& canvas() { return canvas_; }
  [[nodiscard]] std::size_t tracks_drawn() const { return tracks_drawn_; }
  // What the last frame showed: the runs compared (by number), the tracks' titles, and the results table's rows
  // (header included) and whether it had to scroll.
  [[nodiscard]] std::pair<int, int> runs() const { return {a_, b_}; }
  [[nodiscard]] const std::vector<std::string>& titles() const { return titles_; }
  [[nodiscard]] std::size_t table_rows() const { return table_rows_; }
  [[nodiscard]] bool table_scrolls() const { return table_clipped_; }

 private:
  void draw_run_table(Ui& ui, const RunRecord& a, const RunRecord& b);
  void draw_phase_table(Ui& ui, const RunRecord& run) const;

  TimelineCanvas canvas_;
  TimeView view_;
  int a_ = 0, b_ = 0;
  bool phases_ = false;
  bool chosen_ = false;  // the teacher picked the runs; until then (or until the lesson changes) default_comparison
  std::string chosen_lesson_;
  std::size_t tracks_drawn_ = 0;
  std::vector<std::string> titles_;
  std::size_t table_rows_ = 0;
  bool table_clipped_ = false;
};

// open_dialog.cpp: Open… (Ctrl+O): a path field and one folder's subfolders, .py programs, .fstrace traces and .json
// schedules; the same dialog saves the shown run's schedule (Save schedule…, Ctrl+E).
class OpenDialog {
 public:
  void draw(Ui& ui);  // every frame, after the panels: opens when ui.open_requested or ui.save_schedule_requested
  [[nodiscard]] bool saving() const { return saving_; }
  [[nodiscard]] bool is_open() const { return open_; }
  // Lists `folder` (and puts it in the path field).
  void navigate(Ui& ui, const std::filesystem::path& folder);
  // A .py file as a Python program, a .fstrace file as a saved run, a .json file as a schedule replayed step by step,
  // a folder: list it; while saving, the schedule is written there. False, with error(), when it could not be opened
  // or written (or was a folder); true closes the dialog.
  bool open(Ui& ui, const std::filesystem::path& path);

  struct Entry {
    std::string name;
    bool folder = false;
  };
  [[nodiscard]] const std::vector<Entry>& entries() const { return entries_; }
  [[nodiscard]] const std::filesystem::path& folder() const { return folder_; }
  [[nodiscard]] const std::string& error() const { return error_; }

  static constexpr std::size_t kMaxEntries = 5000;  // a huge folder still lists quickly; type the path for the rest

 private:
  void set_path(const std::string& path);
  [[nodiscard]] bool lists(const std::filesystem::path& file) const;  // a file this dialog can take

  std::filesystem::path folder_;
  std::vector<Entry> entries_;
  std::string listing_error_;
  std::string error_;
  char path_[4096] = {};
  bool path_changed_ = false;  // set_path since the field last drew
  bool open_ = false;
  bool saving_ = false;
};

// What Compare shows until the teacher picks: the chosen lesson's last two finished runs that differ in a parameter
// (lock on against lock off), else its last two (a single run: itself, for its phases); with no run of that lesson, the
// session's last two. Run numbers; {0, 0} when nothing has finished.
[[nodiscard]] std::pair<int, int> default_comparison(const Classroom& classroom);
// A run named by what differs from `other`, in the lesson's words: "lock=off", "加锁=关" (its number, "#3", when the parameters are the same).
[[nodiscard]] std::string what_differs(const Ui& ui, const RunRecord& run, const RunRecord& other);

// A run's phases from its result ("phases": [{"name", "begin_s", "end_s", "seconds"}]), for comparing sync and async.
struct RunPhase {
  std::string name;
  double begin_s = 0, end_s = 0, seconds = 0;
};
[[nodiscard]] std::vector<RunPhase> phases_of(const RunFacts& facts);

}  // namespace forkscope::gui
