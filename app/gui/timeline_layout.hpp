// The timeline's preprocessing, apart from drawing (as Tracy does it): the lanes in tree order, and for each lane and
// pixel column the state that fills most of that column and the most telling operation in it; for each counter and
// column the range of its values. However long the trace, a view becomes at most lanes x columns cells, which the
// canvas uploads as one texture and draws with one quad per lane.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "forkscope/trace_model.hpp"
#include "palette.hpp"

namespace forkscope::gui {

// A step axis: x counts steps instead of seconds, like a sequence diagram. A monotone, piecewise-linear warp of view
// time: step k starts at k (the first step at 1, the trace's start at 0), and the last step runs on to the end of the
// trace, so a teacher's pause between two steps is no wider than the steps themselves.
class StepWarp {
 public:
  // `starts`: the view time each step starts at (sorted); `end_ns`: where the trace ends (the live edge).
  StepWarp(const std::vector<double>& starts, double end_ns);
  [[nodiscard]] double step_at(double t_ns) const;  // k at step k's start, fractions in between
  [[nodiscard]] double time_at(double step) const;  // its inverse
  [[nodiscard]] std::size_t steps() const { return knots_.size() - 2; }

 private:
  std::vector<double> knots_;  // knot k: the view time at step k, strictly increasing
};

// The visible window and where it lies on screen. View time is trace time shifted per track (see TrackWindow). On a
// step axis, begin_ns, end_ns and ns_per_column() count steps (the warp's units), not nanoseconds; everything that
// maps a time to a column goes through column_of and ns_at_column, so lanes, counters and arrows follow the warp.
struct TimeAxis {
  double begin_ns = 0;
  double end_ns = 1e9;
  float left = 0;    // screen x of begin_ns
  int columns = 1;   // width in pixels
  std::shared_ptr<const StepWarp> steps;  // none: x is linear in time
  // On a step axis, the view time at each column's left edge for the window it was made for (use_steps): the
  // rasterizers' column_of then looks a time up among a screen's width of times, not among every step of the trace.
  struct ColumnTimes {
    double begin = 0, end = 0;
    int columns = 0;
    std::vector<double> left_ns;  // columns + 1
  };
  std::shared_ptr<const ColumnTimes> column_times;

  // Puts the axis on `warp` (none: time) for its current window.
  void use_steps(std::shared_ptr<const StepWarp> warp);
  [[nodiscard]] bool column_times_fit() const {  // made for this window (or not needed: a time axis)
    return !steps || (column_times && column_times->begin == begin_ns && column_times->end == end_ns && column_times->columns == columns);
  }
  [[nodiscard]] double ns_per_column() const { return (end_ns - begin_ns) / columns; }
  [[nodiscard]] double unit_of(double t_ns) const { return steps ? steps->step_at(t_ns) : t_ns; }
  [[nodiscard]] double ns_of(double unit) const { return steps ? steps->time_at(unit) : unit; }
  // The column of a time, with the fraction of it where the time lies (on a step axis, linear within the column:
  // enough to weigh what covers most of a pixel; x_of is exact).
  [[nodiscard]] double column_of(double t_ns) const;
  [[nodiscard]] double ns_at_column(double column) const { return ns_of(begin_ns + column * ns_per_column()); }
  [[nodiscard]] float x_of(double t_ns) const { return x_of_unit(unit_of(t_ns)); }
  [[nodiscard]] float x_of_unit(double unit) const { return left + static_cast<float>((unit - begin_ns) / ns_per_column()); }
  [[nodiscard]] double t_of(float x) const { return ns_at_column(static_cast<double>(x - left)); }
  bool operator==(const TimeAxis&) const = default;
};

// A trace seen on the view's axis: view time = trace time - shift_ns, showing only trace times in [from_ns, to_ns).
// Runs compared side by side all start at zero; a run's phases are cut out and shifted to zero.
struct TrackWindow {
  std::int64_t shift_ns = 0;
  std::int64_t from_ns = 0;
  std::int64_t to_ns = kOpenEnd;
  std::int64_t now_ns = 0;  // open spans and counters end here: the live edge, or the end of the trace

  [[nodiscard]] std::int64_t view_end_ns() const { return std::min(to_ns, now_ns) - shift_ns; }
  bool operator==(const TrackWindow&) const = default;
};

struct Lane {
  std::int32_t pid = 0;
  int depth = 0;     // 0: a process without a known parent (the lesson main); its children 1; theirs 2
  bool thread = false;  // a thread of a Python program: a sub-lane of its process (ProcessInfo::thread)
  int threads = 0;      // how many thread sub-lanes this process has
  int children = 0;     // how many child processes (not threads) it has: a group that may be collapsed into one lane
};

// One lane per process, each child right under its parent, siblings in the order they began; a process's threads
// come first under it, as its sub-lanes.
[[nodiscard]] std::vector<Lane> lanes_in_tree_order(const TraceModel& model);

// How a lane names its process; a thread's sub-lane drops its process's name ("Thread-1__job_", not
// "Process-1.Thread-1__job_"): it sits right under it.
[[nodiscard]] std::string_view lane_name(const TraceModel& model, const ProcessInfo& process);

inline constexpr std::uint8_t kNoState = 0xff;

// out[c] = the ProcState covering most of column c, kNoState where the process did not exist or nothing is shown.
void rasterize_states(const ProcessInfo& process, const TimeAxis& axis, const TrackWindow& window,
                      std::span<std::uint8_t> out);

// A group of lanes collapsed into one: out[c] = the state most of `members` are in within column c (a tie goes to the
// state a student looks for, waiting before working, as within one lane); kNoState where none of them existed.
void rasterize_majority(std::span<const ProcessInfo* const> members, const TimeAxis& axis, const TrackWindow& window,
                        std::span<std::uint8_t> out);

struct TimedOperation {  // 16 bytes
  std::int64_t t_ns = 0;
  std::uint32_t event = 0;  // its index in the model's events()
  OpCategory category = OpCategory::None;
};

// Each process's operations as one contiguous, time-ordered array: rasterizing a lane then reads memory in order
// instead of jumping through the whole trace's events (a cache miss each). The model keeps no list of a process's
// events: one pass over a trace's new events fills every lane's list at once. Grows with a live run.
class OperationIndex {
 public:
  [[nodiscard]] const BigVector<TimedOperation>& of(const TraceModel& model, const ProcessInfo& process);
  void clear() { traces_.clear(); }

 private:
  struct Lanes {
    std::size_t events_seen = 0;
    std::vector<BigVector<TimedOperation>> operations;  // by the pid's lane in the model's events()
  };
  std::map<const TraceModel*, Lanes> traces_;
};

// The operations in view: those of `operations` within the axis's time span.
[[nodiscard]] std::span<const TimedOperation> operations_in_view(std::span<const TimedOperation> operations,
                                                                 const TimeAxis& axis, const TrackWindow& window);

// out[c] = the highest OpCategory among the operations in column c (0: none).
void rasterize_operations(std::span<const TimedOperation> operations, const TimeAxis& axis, const TrackWindow& window,
                          std::span<std::uint8_t> out);

// Level of detail for a dense lane (Tracy's way): the lane rasterized once onto a fixed grid of buckets 2^L ns of trace
// time wide (each bucket's majority state and highest operation), one grid per zoom level, extended as a live run
// grows. A view whose columns each cover many spans (or operations) then reads 8 to 16 buckets per column instead of every span: a
// frame costs the same at a hundred events per column as at a million. A bucket that straddles a column's edge counts
// for both columns by its share (its operation for both), a fraction of a pixel that spans this dense cannot show.
class LaneDetail {
 public:
  // Fills `states` and `operations` as rasterize_states and rasterize_operations would; false when the lane has fewer
  // than kDenseSpans spans and as few operations per column in view, or the axis counts steps: then rasterize it exactly.
  bool rasterize(const TraceModel& model, const ProcessInfo& process, std::span<const TimedOperation> all_operations,
                 const TimeAxis& axis, const TrackWindow& window, std::span<std::uint8_t> states,
                 std::span<std::uint8_t> operations);
  void clear() { levels_.clear(); }
  static constexpr std::size_t kDenseSpans = 16;

 private:
  struct Level {
    std::int64_t built_to_ns = 0;       // the live edge it was built up to
    std::int64_t last_span_begin = 0;   // the span that may still grow (or close) since
    std::size_t operations_seen = 0;
    std::vector<std::uint8_t> states;      // per bucket: ProcState or kNoState
    std::vector<std::uint8_t> operations;  // per bucket: the highest OpCategory, 0: none
  };
  Level& level(const TraceModel& model, const ProcessInfo& process, std::span<const TimedOperation> all_operations,
               int log2_width, std::int64_t now_ns);
  std::map<std::tuple<const TraceModel*, std::int32_t, int>, Level> levels_;
};

// out[c] = 0 where no task of the process (a pool task, a callback) ran; else 1 or 2, alternating from task to
// task so that neighbours stay apart, or 3 for a task that raised.
inline constexpr std::uint8_t kTaskFailed = 3;
void rasterize_tasks(const ProcessInfo& process, const TimeAxis& axis, const TrackWindow& window,
                     std::span<std::uint8_t> out);

// out[c] = the lock (or semaphore) the process held over column c, the one taken first where several were; 0: none.
// A hold shorter than a column still marks one.
void rasterize_holds(const ProcessInfo& process, const TimeAxis& axis, const TrackWindow& window,
                     std::span<std::uint16_t> out);

struct CounterCell {
  std::int64_t low = 0, high = 0;  // the values the counter took within the column
  bool known = false;              // false before the object existed and after the live edge
};
// The lowest and highest value of each block of kCounterBlock samples of a counter, and its last sample: a column
// spanning thousands of samples (a long trace, zoomed out) reads them a block at a time, and a sample itself (read
// through the model's event log) only at the column's two ends.
inline constexpr std::size_t kCounterBlock = 16;
struct CounterBlock {
  std::int64_t low = 0, high = 0;
  Sample last;
};
struct CounterBlocks {
  std::size_t samples = 0;  // how many samples the blocks were made from
  std::vector<CounterBlock> blocks;
};
[[nodiscard]] CounterBlocks counter_blocks(const ObjectInfo& object);

void rasterize_counter(const ObjectInfo& object, const CounterBlocks& blocks, const TimeAxis& axis,
                       const TrackWindow& window, std::span<CounterCell> out);

// The times of every operation the timeline draws (op_category), strictly increasing: the playhead's Left/Right, and
// the step axis where a run ran freely.
[[nodiscard]] std::vector<double> operation_times(const TraceModel& model);

// The objects that have a series worth plotting, in creation order.
[[nodiscard]] std::vector<const ObjectInfo*> plotted_objects(const TraceModel& model);

}  // namespace forkscope::gui
