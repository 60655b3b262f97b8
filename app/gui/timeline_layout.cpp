#include "timeline_layout.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <unordered_map>

namespace forkscope::gui {

namespace {

// R of an MPI rank's lane ("rank-R@host"), else -1.
int mpi_rank(std::string_view name) {
  if (!name.starts_with("rank-") || name.find('@') == std::string_view::npos) return -1;
  int rank = 0;
  const auto [end, error] = std::from_chars(name.data() + 5, name.data() + name.size(), rank);
  return error == std::errc() && *end == '@' ? rank : -1;
}

}  // namespace

std::vector<Lane> lanes_in_tree_order(const TraceModel& model) {
  const auto& processes = model.processes();
  std::unordered_map<std::int32_t, std::vector<std::size_t>> children;
  std::vector<std::size_t> roots;
  for (std::size_t i = 0; i < processes.size(); ++i) {
    const ProcessInfo& p = processes[i];
    if (p.ppid != p.pid && model.process(p.ppid) != nullptr) children[p.ppid].push_back(i);
    else roots.push_back(i);
  }
  auto by_begin = [&](std::size_t a, std::size_t b) { return processes[a].begin_ns < processes[b].begin_ns; };
  // Threads are parts of their process, not its children: they go first, right under it. MPI ranks of one host go
  // in rank order ("rank-2@host-2"), whichever attached first.
  auto threads_then_by_begin = [&](std::size_t a, std::size_t b) {
    if (processes[a].thread != processes[b].thread) return processes[a].thread;
    const int rank_a = mpi_rank(processes[a].name), rank_b = mpi_rank(processes[b].name);
    if (rank_a >= 0 && rank_b >= 0) return rank_a < rank_b;
    return by_begin(a, b);
  };
  std::stable_sort(roots.begin(), roots.end(), by_begin);
  for (auto& [pid, list] : children) std::stable_sort(list.begin(), list.end(), threads_then_by_begin);

  std::vector<Lane> lanes;
  lanes.reserve(processes.size());
  std::vector<bool> placed(processes.size(), false);
  std::vector<std::pair<std::size_t, int>> stack;  // (process index, depth), depth-first
  for (auto root = roots.rbegin(); root != roots.rend(); ++root) stack.emplace_back(*root, 0);
  while (!stack.empty()) {
    const auto [index, depth] = stack.back();
    stack.pop_back();
    if (placed[index]) continue;
    placed[index] = true;
    Lane lane{processes[index].pid, depth, processes[index].thread && depth > 0, 0};
    if (auto it = children.find(processes[index].pid); it != children.end()) {
      lane.threads = static_cast<int>(std::count_if(it->second.begin(), it->second.end(), [&](std::size_t c) { return processes[c].thread; }));
      lane.children = static_cast<int>(it->second.size()) - lane.threads;
      for (auto child = it->second.rbegin(); child != it->second.rend(); ++child) stack.emplace_back(*child, depth + 1);
    }
    lanes.push_back(lane);
  }
  for (std::size_t i = 0; i < processes.size(); ++i)  // a parent cycle cannot happen; never lose a lane if it does
    if (!placed[i]) lanes.push_back(Lane{processes[i].pid, 0});
  return lanes;
}

std::string_view lane_name(const TraceModel& model, const ProcessInfo& process) {
  std::string_view name = process.name;
  if (const ProcessInfo* owner = process.thread ? model.process(process.ppid) : nullptr;
      owner && name.size() > owner->name.size() + 1 && name.starts_with(owner->name) && name[owner->name.size()] == '.')
    name.remove_prefix(owner->name.size() + 1);
  return name;
}

namespace {

// The trace times a track shows within the axis, clipped to the window and, for spans and counters, the live edge.
struct Visible {
  double from = 0, to = 0;
};

Visible visible_trace_times(const TimeAxis& axis, const TrackWindow& w, bool up_to_now) {
  const double from = std::max(static_cast<double>(w.from_ns), axis.ns_of(axis.begin_ns) + static_cast<double>(w.shift_ns));
  double to = std::min(static_cast<double>(w.to_ns), axis.ns_of(axis.end_ns) + static_cast<double>(w.shift_ns));
  if (up_to_now) to = std::min(to, static_cast<double>(w.now_ns));
  return {from, to};
}

// When two states share a column equally, show the one a student is looking for: waiting beats working.
int rank(ProcState s) {
  if (s == ProcState::Held || is_blocked(s)) return 3;
  if (s == ProcState::Sleeping || s == ProcState::Ready) return 2;
  if (s == ProcState::Running) return 1;
  return 0;
}

constexpr auto kStates = static_cast<std::size_t>(ProcState::Count_);

// The state with the most of `amount` (time or votes), kNoState when none has any; amounts within `tie` of each
// other are equal, and a tie goes by rank.
template <class Amount>
std::uint8_t leading_state(const std::array<Amount, kStates>& amount, Amount tie = 0) {
  std::size_t best = 0;
  for (std::size_t s = 1; s < kStates; ++s)
    if (amount[s] > amount[best] + tie ||
        (amount[s] + tie >= amount[best] && rank(static_cast<ProcState>(s)) > rank(static_cast<ProcState>(best))))
      best = s;
  return amount[best] > 0 ? static_cast<std::uint8_t>(best) : kNoState;
}

}  // namespace

void rasterize_states(const ProcessInfo& process, const TimeAxis& axis, const TrackWindow& window,
                      std::span<std::uint8_t> out) {
  std::fill(out.begin(), out.end(), kNoState);
  const auto [from, to] = visible_trace_times(axis, window, true);
  if (!(to > from) || out.empty()) return;
  const auto column_of = [&](double t) { return axis.column_of(t - static_cast<double>(window.shift_ns)); };
  const int last_column = static_cast<int>(out.size()) - 1;

  // Columns a span covers entirely take its state; a column shared by several spans takes the one covering most.
  std::array<double, kStates> cover{};
  int open_column = -1;
  auto close_column = [&] {
    if (open_column < 0) return;
    out[static_cast<std::size_t>(open_column)] = leading_state(cover, 1e-9);
    cover.fill(0);
    open_column = -1;
  };
  auto add = [&](int column, ProcState state, double amount) {
    if (amount <= 0) return;
    if (column != open_column) {
      close_column();
      open_column = column;
    }
    cover[static_cast<std::size_t>(state)] += amount;
  };

  auto span = std::partition_point(process.spans.begin(), process.spans.end(),
                                   [&](const StateSpan& s) { return static_cast<double>(s.end_ns) <= from; });
  for (; span != process.spans.end(); ++span) {
    const StateSpan s = *span;  // decoded once
    if (!(static_cast<double>(s.begin_ns) < to)) break;
    const double a = column_of(std::max(static_cast<double>(s.begin_ns), from));
    const double b = column_of(std::min(static_cast<double>(s.end_ns), to));
    if (!(b > a)) continue;
    const int first = std::clamp(static_cast<int>(std::floor(a)), 0, last_column);
    const int last = std::clamp(static_cast<int>(std::floor(b)), 0, last_column);
    if (first == last) {
      add(first, s.state, b - a);
      continue;
    }
    add(first, s.state, first + 1 - a);
    close_column();
    std::fill(out.begin() + first + 1, out.begin() + last, static_cast<std::uint8_t>(s.state));
    add(last, s.state, std::min(b, last + 1.0) - last);
  }
  close_column();
}

void rasterize_majority(std::span<const ProcessInfo* const> members, const TimeAxis& axis, const TrackWindow& window,
                        std::span<std::uint8_t> out) {
  std::vector<std::array<std::uint32_t, kStates>> votes(out.size());
  std::vector<std::uint8_t> cells(out.size());
  for (const ProcessInfo* member : members) {
    rasterize_states(*member, axis, window, cells);
    for (std::size_t c = 0; c < cells.size(); ++c)
      if (cells[c] != kNoState) ++votes[c][cells[c]];
  }
  for (std::size_t c = 0; c < out.size(); ++c) out[c] = leading_state(votes[c]);
}

std::span<const TimedOperation> operations_in_view(std::span<const TimedOperation> operations, const TimeAxis& axis,
                                                   const TrackWindow& window) {
  const auto [from, to] = visible_trace_times(axis, window, false);
  auto before = [](double t) { return [t](const TimedOperation& o) { return static_cast<double>(o.t_ns) < t; }; };
  const auto first = std::partition_point(operations.begin(), operations.end(), before(from));
  return {first, std::partition_point(first, operations.end(), before(to))};
}

const BigVector<TimedOperation>& OperationIndex::of(const TraceModel& model, const ProcessInfo& process) {
  static const BigVector<TimedOperation> kNone;
  Lanes& lanes = traces_[&model];
  const EventLog& events = model.events();
  if (events.size() < lanes.events_seen) lanes = Lanes{};  // another model at the same address
  for (; lanes.events_seen < events.size(); ++lanes.events_seen) {
    const TraceEvent e = events[lanes.events_seen];
    const OpCategory category = op_category(e.kind, e.phase);
    if (category == OpCategory::None) continue;
    const std::uint32_t lane = events.lane(lanes.events_seen);
    if (lane >= lanes.operations.size()) lanes.operations.resize(lane + 1);
    lanes.operations[lane].push_back(
        TimedOperation{static_cast<std::int64_t>(e.time), static_cast<std::uint32_t>(lanes.events_seen), category});
  }
  const std::uint32_t lane = events.find_lane(process.pid);
  return lane < lanes.operations.size() ? lanes.operations[lane] : kNone;
}

void rasterize_operations(std::span<const TimedOperation> operations, const TimeAxis& axis, const TrackWindow& window,
                          std::span<std::uint8_t> out) {
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  if (out.empty()) return;
  const auto [from, to] = visible_trace_times(axis, window, false);
  const auto shift = static_cast<double>(window.shift_ns);
  const int last_column = static_cast<int>(out.size()) - 1;
  auto op = std::partition_point(operations.begin(), operations.end(),
                                 [&](const TimedOperation& o) { return static_cast<double>(o.t_ns) < from; });
  if (op == operations.end() || !(static_cast<double>(op->t_ns) < to)) return;
  // Operations and columns both in time order: walk them together (a step axis then never searches its steps).
  int column = std::clamp(static_cast<int>(axis.column_of(static_cast<double>(op->t_ns) - shift)), 0, last_column);
  double column_end = axis.ns_at_column(column + 1) + shift;
  for (; op != operations.end() && static_cast<double>(op->t_ns) < to; ++op) {
    while (static_cast<double>(op->t_ns) >= column_end && column < last_column) column_end = axis.ns_at_column(++column + 1) + shift;
    std::uint8_t& cell = out[static_cast<std::size_t>(column)];
    cell = std::max(cell, static_cast<std::uint8_t>(op->category));
  }
}

LaneDetail::Level& LaneDetail::level(const TraceModel& model, const ProcessInfo& process,
                                     std::span<const TimedOperation> all_operations, int log2_width, std::int64_t now_ns) {
  Level& level = levels_[{&model, process.pid, log2_width}];
  const bool grew = now_ns != level.built_to_ns || all_operations.size() != level.operations_seen ||
                    (!process.spans.empty() && process.spans.back().begin_ns != level.last_span_begin);
  if (!grew) return level;
  // Buckets from the earliest one anything new can touch: the open span's, the live edge's, a new operation's.
  const double width = std::ldexp(1.0, log2_width);
  std::int64_t from_ns = std::min(level.built_to_ns, level.last_span_begin);
  if (all_operations.size() > level.operations_seen) from_ns = std::min(from_ns, all_operations[level.operations_seen].t_ns);
  const auto buckets = static_cast<std::size_t>(std::ceil(static_cast<double>(std::max<std::int64_t>(now_ns, 1)) / width));
  const auto first = std::min(static_cast<std::size_t>(std::max(0.0, std::floor(static_cast<double>(from_ns) / width))),
                              level.states.size());
  level.states.resize(buckets, kNoState);
  level.operations.resize(buckets, 0);
  if (first < buckets) {
    TimeAxis grid;
    grid.begin_ns = static_cast<double>(first) * width;
    grid.end_ns = static_cast<double>(buckets) * width;
    grid.columns = static_cast<int>(buckets - first);
    const TrackWindow whole{0, 0, kOpenEnd, now_ns};
    rasterize_states(process, grid, whole, std::span(level.states).subspan(first));
    rasterize_operations(all_operations, grid, whole, std::span(level.operations).subspan(first));
  }
  level.built_to_ns = now_ns;
  level.last_span_begin = process.spans.empty() ? 0 : process.spans.back().begin_ns;
  level.operations_seen = all_operations.size();
  return level;
}

bool LaneDetail::rasterize(const TraceModel& model, const ProcessInfo& process, std::span<const TimedOperation> all_operations,
                           const TimeAxis& axis, const TrackWindow& window, std::span<std::uint8_t> states,
                           std::span<std::uint8_t> operations) {
  if (axis.steps || states.empty()) return false;
  const auto [from, to] = visible_trace_times(axis, window, true);
  if (!(to > from)) return false;
  const auto first_span = std::partition_point(process.spans.begin(), process.spans.end(),
                                               [&](const StateSpan& s) { return static_cast<double>(s.end_ns) <= from; });
  const auto last_span = std::partition_point(first_span, process.spans.end(),
                                              [&](const StateSpan& s) { return static_cast<double>(s.begin_ns) < to; });
  const auto before = [](double t) { return [t](const TimedOperation& o) { return static_cast<double>(o.t_ns) < t; }; };
  const auto first_op = std::partition_point(all_operations.begin(), all_operations.end(), before(from));
  const auto last_op = std::partition_point(first_op, all_operations.end(), before(to));
  const std::size_t dense = kDenseSpans * states.size();
  if (static_cast<std::size_t>(last_span - first_span) < dense && static_cast<std::size_t>(last_op - first_op) < dense) return false;
  // The widest buckets that still put at least eight in a column; never more buckets than a few per span and operation of the lane
  // (a dense burst in a long run, zoomed in on, is drawn exactly).
  const int log2_width = static_cast<int>(std::floor(std::log2(axis.ns_per_column() / 8)));
  const auto elements = static_cast<double>(process.spans.size() + all_operations.size());
  if (log2_width < 0 || static_cast<double>(window.now_ns) / std::ldexp(1.0, log2_width) > 4.0 * elements + 65536)
    return false;
  const Level& grid = level(model, process, all_operations, log2_width, window.now_ns);
  const double width = std::ldexp(1.0, log2_width);
  const auto shift = static_cast<double>(window.shift_ns);
  const auto op_to = std::min(static_cast<double>(window.to_ns), axis.ns_of(axis.end_ns) + shift);
  for (std::size_t c = 0; c < states.size(); ++c) {
    const double a = axis.ns_at_column(static_cast<double>(c)) + shift, b = axis.ns_at_column(static_cast<double>(c + 1)) + shift;
    // States up to the live edge, operations up to the window's end, as the exact rasterizers clip them.
    const double state_a = std::max(a, from) / width, state_b = std::min(b, to) / width;
    std::array<double, kStates> cover{};
    for (auto k = static_cast<std::size_t>(std::max(0.0, std::floor(state_a))); k < grid.states.size() && static_cast<double>(k) < state_b; ++k)
      if (grid.states[k] != kNoState)
        cover[grid.states[k]] += std::min(static_cast<double>(k + 1), state_b) - std::max(static_cast<double>(k), state_a);
    states[c] = leading_state(cover);
    const double op_a = std::max(a, static_cast<double>(window.from_ns)) / width, op_b = std::min(b, op_to) / width;
    std::uint8_t highest = 0;
    for (auto k = static_cast<std::size_t>(std::max(0.0, std::floor(op_a))); k < grid.operations.size() && static_cast<double>(k) < op_b; ++k)
      highest = std::max(highest, grid.operations[k]);
    operations[c] = highest;
  }
  return true;
}

void rasterize_tasks(const ProcessInfo& process, const TimeAxis& axis, const TrackWindow& window,
                     std::span<std::uint8_t> out) {
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  const auto [from, to] = visible_trace_times(axis, window, true);
  if (!(to > from) || out.empty()) return;
  const auto column_of = [&](double t) { return axis.column_of(t - static_cast<double>(window.shift_ns)); };
  const int last_column = static_cast<int>(out.size()) - 1;
  const auto& tasks = process.tasks;
  auto task = std::partition_point(tasks.begin(), tasks.end(),
                                   [&](const TaskSpan& t) { return static_cast<double>(t.end_ns) <= from; });
  for (; task != tasks.end() && static_cast<double>(task->begin_ns) < to; ++task) {
    const double a = column_of(std::max(static_cast<double>(task->begin_ns), from));
    const double b = column_of(std::min(static_cast<double>(task->end_ns), to));
    const int first = std::clamp(static_cast<int>(std::floor(a)), 0, last_column);
    const int last = std::clamp(static_cast<int>(std::ceil(b)) - 1, first, last_column);
    const auto cell = task->failed ? kTaskFailed : static_cast<std::uint8_t>(1 + (task - tasks.begin()) % 2);
    std::fill(out.begin() + first, out.begin() + last + 1, cell);
  }
}

void rasterize_holds(const ProcessInfo& process, const TimeAxis& axis, const TrackWindow& window,
                     std::span<std::uint16_t> out) {
  std::fill(out.begin(), out.end(), std::uint16_t{0});
  const auto [from, to] = visible_trace_times(axis, window, true);
  if (!(to > from) || out.empty()) return;
  const auto column_of = [&](double t) { return axis.column_of(t - static_cast<double>(window.shift_ns)); };
  const int last_column = static_cast<int>(out.size()) - 1;
  int covered = -1;  // the columns up to here are taken: a million short holds cost a pass, not a million fills
  for (const HoldSpan& h : process.holds) {
    if (static_cast<double>(h.begin_ns) >= to) break;  // holds come in the order they were taken
    const double begin = std::max(static_cast<double>(h.begin_ns), from), end = std::min(static_cast<double>(h.end_ns), to);
    if (!(end > begin)) continue;
    const int first = std::clamp(static_cast<int>(std::floor(column_of(begin))), 0, last_column);
    const int last = std::clamp(static_cast<int>(std::ceil(column_of(end))) - 1, first, last_column);
    if (last <= covered) continue;
    std::fill(out.begin() + std::max(first, covered + 1), out.begin() + last + 1, h.object);
    covered = last;
  }
}

CounterBlocks counter_blocks(const ObjectInfo& object) {
  CounterBlocks blocks;
  blocks.samples = object.samples.size();
  blocks.blocks.reserve(blocks.samples / kCounterBlock);
  for (std::size_t first = 0; first + kCounterBlock <= object.samples.size(); first += kCounterBlock) {
    CounterBlock block{INT64_MAX, INT64_MIN, {}};
    for (std::size_t i = first; i < first + kCounterBlock; ++i) {
      block.last = object.samples[i];
      block.low = std::min(block.low, block.last.value);
      block.high = std::max(block.high, block.last.value);
    }
    blocks.blocks.push_back(block);
  }
  return blocks;
}

void rasterize_counter(const ObjectInfo& object, const CounterBlocks& blocks, const TimeAxis& axis,
                       const TrackWindow& window, std::span<CounterCell> out) {
  std::fill(out.begin(), out.end(), CounterCell{});
  auto [from, to] = visible_trace_times(axis, window, true);
  from = std::max(from, static_cast<double>(object.created_ns));
  if (!(to > from) || out.empty()) return;
  const auto shift = static_cast<double>(window.shift_ns);
  const int last_column = static_cast<int>(out.size()) - 1;
  auto column_of = [&](double t) { return std::clamp(static_cast<int>(std::floor(axis.column_of(t - shift))), 0, last_column); };

  // Column by column: the value carried in from the left, then the samples that fall inside the column.
  const auto& samples = object.samples;
  auto sample = std::partition_point(samples.begin(), samples.end(),
                                     [&](const Sample& s) { return static_cast<double>(s.t_ns) <= from; });
  bool known = sample != samples.begin();
  std::int64_t value = known ? std::prev(sample)->value : 0;
  for (int column = column_of(from), last = column_of(to); column <= last; ++column) {
    const double column_end = std::min(axis.ns_at_column(column + 1) + shift, to);
    CounterCell cell{value, value, known};
    auto take = [&](std::int64_t low, std::int64_t high, std::int64_t latest) {
      cell.low = known ? std::min(cell.low, low) : low;
      cell.high = known ? std::max(cell.high, high) : high;
      value = latest;
      known = cell.known = true;
    };
    while (sample != samples.end()) {
      const auto at = static_cast<std::size_t>(sample - samples.begin());
      if (at % kCounterBlock == 0 && at / kCounterBlock < blocks.blocks.size() && blocks.samples == samples.size()) {
        if (const CounterBlock& block = blocks.blocks[at / kCounterBlock]; static_cast<double>(block.last.t_ns) < column_end) {
          take(block.low, block.high, block.last.value);
          sample += kCounterBlock;
          continue;
        }
      }
      const Sample s = *sample;  // decoded once
      if (!(static_cast<double>(s.t_ns) < column_end)) break;
      take(s.value, s.value, s.value);
      ++sample;
    }
    out[static_cast<std::size_t>(column)] = cell;
  }
}

StepWarp::StepWarp(const std::vector<double>& starts, double end_ns) {
  knots_.push_back(0);
  for (double t : starts)
    if (t > knots_.back()) knots_.push_back(t);
  knots_.push_back(std::max(end_ns, knots_.back() + 1));  // the last step runs on to the end
}

double StepWarp::step_at(double t_ns) const {
  // Before the first knot and after the last, the nearest segment goes on: the map stays monotone and invertible.
  const auto after = std::upper_bound(knots_.begin() + 1, knots_.end() - 1, t_ns);
  const auto k = static_cast<std::size_t>(after - knots_.begin()) - 1;
  return static_cast<double>(k) + (t_ns - knots_[k]) / (knots_[k + 1] - knots_[k]);
}

double StepWarp::time_at(double step) const {
  const auto k = static_cast<std::size_t>(std::clamp(std::floor(step), 0.0, static_cast<double>(knots_.size() - 2)));
  return knots_[k] + (step - static_cast<double>(k)) * (knots_[k + 1] - knots_[k]);
}

void TimeAxis::use_steps(std::shared_ptr<const StepWarp> warp) {
  steps = std::move(warp);
  column_times.reset();
  if (!steps) return;
  auto table = std::make_shared<ColumnTimes>(ColumnTimes{begin_ns, end_ns, columns, {}});
  table->left_ns.reserve(static_cast<std::size_t>(columns) + 1);
  for (int c = 0; c <= columns; ++c) table->left_ns.push_back(ns_at_column(c));
  column_times = std::move(table);
}

double TimeAxis::column_of(double t_ns) const {
  if (!steps) return (t_ns - begin_ns) / ns_per_column();
  if (column_times_fit()) {
    const std::vector<double>& edges = column_times->left_ns;
    if (t_ns >= edges.front() && t_ns < edges.back()) {  // within the window: linear inside its column
      const auto c = static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), t_ns) - edges.begin()) - 1;
      return static_cast<double>(c) + (t_ns - edges[c]) / (edges[c + 1] - edges[c]);
    }
  }
  return (steps->step_at(t_ns) - begin_ns) / ns_per_column();
}

std::vector<double> operation_times(const TraceModel& model) {
  std::vector<double> times;
  for (const TraceEvent& e : model.events())
    if (e.pid != kViewerPid && op_category(e.kind, e.phase) != OpCategory::None) times.push_back(static_cast<double>(e.time));
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  return times;
}

std::vector<const ObjectInfo*> plotted_objects(const TraceModel& model) {
  std::vector<const ObjectInfo*> out;
  for (const ObjectInfo& o : model.objects()) {
    // A queue, a semaphore, an event or a lesson value is worth a row even before it changes; a pool or a
    // manager only once something is counted on it.
    const bool counts = o.kind == ObjectKind::Queue || o.kind == ObjectKind::JoinableQueue || o.kind == ObjectKind::Pipe ||
                        o.kind == ObjectKind::Semaphore || o.kind == ObjectKind::BoundedSemaphore ||
                        o.kind == ObjectKind::Event || o.kind == ObjectKind::Counter || o.kind == ObjectKind::Lock ||
                        o.kind == ObjectKind::RLock;
    if (!o.samples.empty() && (counts || o.samples.size() > 1)) out.push_back(&o);
  }
  return out;
}

}  // namespace forkscope::gui
