// The lanes and counters of one or more traces on one time axis: a ruler, a lane per process (state strips, a marker
// per operation, put->get arrows), counter plots, the "now" line of a live run, wheel zoom, drag pan and tooltips.
// The timeline panel draws one track; the comparison draws two runs, or the phases of one, each shifted to zero.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <imgui_internal.h>  // ImRect

#include "forkscope/lesson_text.hpp"
#include "forkscope/run.hpp"
#include "lane_filter.hpp"
#include "strip_texture.hpp"
#include "timeline_layout.hpp"
#include "ui.hpp"

namespace forkscope::gui {

// The window of time the user looks at. `fit` follows the whole trace (and a live run's edge) until the user zooms
// or pans.
struct TimeView {
  double begin_ns = 0;
  double end_ns = 1e9;
  bool fit = true;
  float lane_scroll = 0;     // pixels of lanes scrolled off the top
  float counter_scroll = 0;  // the same for the counter plots
};

struct Track {
  const TraceModel* model = nullptr;
  TrackWindow window;
  std::string title;                               // a header row above the lanes; empty: none
  const std::vector<HeldProcess>* held = nullptr;  // processes waiting at the gate (a live run)
  bool counters = false;                           // plot its objects below the lanes
  bool live = false;                               // draw the "now" line
  std::string_view source;                         // a Python program's code: tooltips quote the line a process is at
  std::optional<std::int64_t> playhead_ns;         // the instant the panels show (trace time): a line, counters' values
  const LessonNames* names = nullptr;              // the lesson's words for its processes and counters; none: as given
};

// A vertical line across the canvas at a view time, with a label: a theoretical floor, the end of a phase.
struct Guide {
  double t_ns = 0;
  std::string label;
  ImU32 color = IM_COL32_WHITE;
};

struct CanvasInput {
  std::int32_t clicked_pid = 0;         // a lane was clicked: select that process
  std::int32_t double_clicked_pid = 0;  // a lane was double-clicked: step that process
  std::optional<double> hovered_ns;     // the view time under the pointer, when it rests on the canvas
  std::optional<double> playhead_ns;    // a click or drag on the ruler put the playhead at this view time
  bool scrubbing = false;               // the ruler is held: the playhead follows the pointer
};

class TimelineCanvas {
 public:
  // Where each lane landed on screen in the last frame (tests read pixels there).
  struct LaneRow {
    std::size_t track = 0;
    std::int32_t pid = 0;
    int depth = 0;
    std::size_t index = 0;  // in its track: the process's colour
    float top = 0, bottom = 0;
    bool visible = false;
    bool thread = false;  // a thread's sub-lane, under its process
    int threads = 0;      // the process's thread sub-lanes, shown or folded
    int children = 0;     // its child processes: a group its arrow collapses into one summary lane (when it has no threads)
    int group = -1;       // a summary lane: index into groups() (pid is then 0)
    float fold_x = 0;     // where its fold arrow is drawn (when it has threads, children or is a summary)
  };
  // A process's descendants collapsed into one summary lane right under it.
  struct Group {
    std::size_t track = 0;
    std::int32_t parent = 0;
    std::vector<std::int32_t> members;  // in tree order
    std::string label;                  // "Pool workers (8)", "Process-1 + 7"
  };

  // Fills the rest of the current window.
  CanvasInput draw(Ui& ui, std::span<const Track> tracks, TimeView& view, std::span<const Guide> guides = {});
  // Lanes are never thinner than this (at scale 1); more lanes than fit scroll.
  void set_min_lane_height(float pixels) { min_lane_height_ = pixels; }
  // The ruler reads trace time times `scale`, under the caption `caption_key` (lesson time runs `speed` times
  // faster than real time).
  void set_ruler(double scale, const char* caption_key) {
    ruler_scale_ = scale;
    ruler_caption_ = caption_key;
  }
  void invalidate() { stale_ = true; }  // lay out again next frame, even if nothing changed
  // A step axis (x counts steps), or none: x is time. The view's window is then in steps; a change of axis refits.
  void set_steps(std::shared_ptr<const StepWarp> steps) { steps_ = std::move(steps); }
  // Whether a press on the ruler places the playhead (a paused or finished run) rather than panning.
  void set_scrubbable(bool scrubbable) { scrubbable_ = scrubbable; }
  // A process's threads are sub-lanes under it, folded until its fold arrow is clicked (or this is called).
  void toggle_threads(const TraceModel* model, std::int32_t pid);
  [[nodiscard]] bool threads_shown(const TraceModel* model, std::int32_t pid) const { return unfolded_.contains({model, pid}); }
  // A process's child processes (and theirs) collapsed into one summary lane under it, or expanded again; all of a
  // trace's groups at once.
  void toggle_group(const TraceModel* model, std::int32_t pid);
  void collapse_all_groups(const TraceModel& model, bool collapse);
  [[nodiscard]] bool all_groups_collapsed(const TraceModel& model) const { return all_collapsed_.contains(&model); }  // last asked
  [[nodiscard]] bool collapsed(const TraceModel* model, std::int32_t pid) const { return collapsed_.contains({model, pid}); }
  [[nodiscard]] const std::vector<Group>& groups() const { return groups_; }  // of the last frame's summary lanes
  // The lanes shown are those the filter matches, with their parents (set by the timeline; the comparison has none).
  [[nodiscard]] LaneFilter& filter() { return filter_; }

  [[nodiscard]] const std::vector<LaneRow>& lane_rows() const { return rows_; }
  // Where the lanes are drawn on screen, top and bottom: a row partly scrolled out is clipped there.
  [[nodiscard]] std::pair<float, float> lanes_span() const { return lanes_span_; }
  [[nodiscard]] const TimeAxis& axis() const { return axis_; }
  [[nodiscard]] bool arrows_hidden() const { return arrows_hidden_; }
  // The put->get arrows drawn in the last frame, from the put to the get, on screen.
  struct Arrow {
    ImVec2 from, to;
  };
  [[nodiscard]] const std::vector<Arrow>& arrows() const { return arrows_; }
  // The ruler's tick labels drawn in the last frame, and the time readout beside the pointer (none when it is away).
  struct RulerLabel {
    ImRect rect;
    std::string text;
  };
  using Readout = RulerLabel;
  [[nodiscard]] const std::vector<RulerLabel>& tick_labels() const { return tick_labels_; }
  [[nodiscard]] const std::optional<Readout>& readout() const { return readout_; }

 private:
  struct CounterRow {
    std::size_t track = 0;
    const ObjectInfo* object = nullptr;
    float top = 0;
    bool visible = false;
  };
  struct Marker {
    float x = 0, bottom = 0;
    OpCategory category = OpCategory::None;
  };
  // Everything the strips depend on; when it is unchanged, last frame's texture is still right.
  struct LayoutKey {
    TimeAxis axis;
    std::vector<std::tuple<const TraceModel*, TrackWindow, std::size_t>> tracks;
    std::vector<std::pair<std::size_t, std::int32_t>> lanes;
    std::vector<std::pair<std::size_t, const ObjectInfo*>> counters;
    std::vector<float> tops;  // of visible lanes and counters
    std::vector<std::int32_t> members;  // of visible summary lanes, which the filter may change
    int counter_pixels = 0;
    std::int32_t selected_pid = 0;
    bool operator==(const LayoutKey&) const = default;
  };
  // Per plotted object: its vertical scale and its block summary, remade when samples arrive.
  struct Range {
    std::int64_t low = 0, high = 1;
    std::size_t samples = 0;
    CounterBlocks blocks;
  };

  // Where things go on screen this frame.
  struct Regions {
    ImVec2 origin, end;
    float lanes_top = 0, lanes_bottom = 0;  // lanes below the ruler, counters below them
    float content_height = 0;               // all lanes and track headers, scrolled within the lanes' region
    float counters_content = 0, counters_height = 0;
  };
  [[nodiscard]] Regions arrange(const Ui& ui, std::span<const Track> tracks);
  void place(const Ui& ui, std::span<const Track> tracks, TimeView& view, const Regions& regions);
  void lay_out(std::span<const Track> tracks, int counter_pixels, std::int32_t selected_pid);
  void lay_out_lanes(std::span<const Track> tracks, std::int32_t selected_pid);
  void lay_out_counters(std::span<const Track> tracks, int counter_pixels);
  void lay_out_arrows(std::span<const Track> tracks);
  void fit(std::span<const Track> tracks, TimeView& view) const;
  void handle_input(TimeView& view, const Regions& regions, CanvasInput& input);
  [[nodiscard]] std::int32_t lane_at(std::span<const Track> tracks, ImVec2 at, float lanes_bottom) const;
  void toggle_fold(const Track& track, const LaneRow& row);
  struct ShownLane {
    Lane lane;
    std::size_t colour = 0;  // its index in the whole tree: a lane keeps its colour when others fold or filter out
    int group = -1;          // a summary lane: index into groups_
  };
  // The track's lanes after the filter, the folded threads and the collapsed groups (whose summary lanes it adds).
  [[nodiscard]] std::vector<ShownLane> shown_lanes(const Ui& ui, const Track& track, std::size_t t);
  void draw_group_tooltip(const Ui& ui, const Track& track, const Group& group, double view_t) const;
  [[nodiscard]] const LaneRow* fold_arrow_at(const Ui& ui, ImVec2 at, float lanes_bottom) const;
  [[nodiscard]] double tick_step(const Ui& ui) const;
  [[nodiscard]] std::string tick_label(const Ui& ui, double unit, double step) const;
  [[nodiscard]] std::string time_label(double view_t) const;  // at the resolution of a column there
  [[nodiscard]] std::string point_label(const Ui& ui, double view_t) const;  // the time, or the step on a step axis
  void draw_grid(const Ui& ui, ImDrawList* draw, float top, float bottom) const;
  void draw_ruler(Ui& ui, ImDrawList* draw, float top, float height);
  void draw_lanes(Ui& ui, ImDrawList* draw, std::span<const Track> tracks, float top, float bottom) const;
  void draw_signals(const Ui& ui, ImDrawList* draw, const Track& track, const ProcessInfo& p, const LaneRow& row) const;
  void draw_counters(Ui& ui, ImDrawList* draw, std::span<const Track> tracks, float top, float bottom) const;
  void draw_overlays(Ui& ui, ImDrawList* draw, std::span<const Track> tracks, const TimeView& view,
                     std::span<const Guide> guides, const Regions& regions) const;
  void draw_tooltip(Ui& ui, std::span<const Track> tracks, ImVec2 mouse, float lanes_bottom) const;
  [[nodiscard]] const Range& range_of(const TraceModel& model, const ObjectInfo& object);

  TimeAxis axis_;
  std::shared_ptr<const StepWarp> steps_;
  bool scrubbable_ = false, scrubbing_ = false;
  float label_width_ = 0;
  float lane_height_ = 0, header_height_ = 0, counter_height_ = 0;
  float min_lane_height_ = 20;
  double ruler_scale_ = 1;
  TimeUnit unit_;
  std::vector<RulerLabel> tick_labels_;
  std::optional<Readout> readout_;
  const char* ruler_caption_ = "timeline.time";
  std::vector<LaneRow> rows_;
  std::pair<float, float> lanes_span_{0, 0};
  std::vector<std::pair<std::size_t, float>> headers_;  // track, top
  std::vector<CounterRow> counter_rows_;
  std::vector<std::unordered_map<std::int32_t, std::size_t>> row_of_;  // per track: pid -> index into rows_

  LayoutKey key_;
  bool stale_ = false;
  StripTexture texture_;
  std::vector<ImU32> pixels_;
  std::vector<int> lane_texture_row_;     // per rows_ entry: first of its four texture rows, -1 when not visible
  std::vector<int> counter_texture_row_;  // per counter_rows_ entry
  std::vector<Arrow> arrows_;
  std::vector<Marker> markers_;
  bool vector_markers_ = false;
  bool clicked_ = false, double_clicked_ = false;  // this frame, on the canvas
  bool arrows_hidden_ = false;
  std::map<std::pair<const TraceModel*, std::uint16_t>, Range> ranges_;  // per object: the plot's vertical scale
  mutable OperationIndex operations_;  // a cache of what the models hold: the tooltip (const) reads it too
  LaneDetail detail_;
  std::set<std::pair<const TraceModel*, std::int32_t>> unfolded_;  // processes whose threads are shown
  std::set<std::pair<const TraceModel*, std::int32_t>> collapsed_;  // processes whose descendants are one summary lane
  std::set<const TraceModel*> all_collapsed_;  // collapse_all_groups was last asked to collapse
  std::vector<Group> groups_;
  LaneFilter filter_;
};

}  // namespace forkscope::gui
