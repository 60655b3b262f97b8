// The canvas's texture: each visible lane's states, operation ticks, tasks and held locks, each visible counter's
// plot, rasterized one texel per column, and the put->get arrows in view. Rebuilt only when what it shows changed.
#include <algorithm>
#include <cmath>

#include "palette.hpp"
#include "timeline_canvas.hpp"
#include "timeline_style.hpp"

namespace forkscope::gui {

void TimelineCanvas::lay_out(std::span<const Track> tracks, int counter_pixels, std::int32_t selected_pid) {
  LayoutKey key;
  key.axis = axis_;
  for (const Track& t : tracks) key.tracks.emplace_back(t.model, t.window, t.model->events().size());
  for (const LaneRow& row : rows_)
    if (row.visible) {  // a summary lane by its group's parent and members
      key.lanes.emplace_back(row.track, row.group >= 0 ? -groups_[static_cast<std::size_t>(row.group)].parent : row.pid);
      key.tops.push_back(row.top);
      if (row.group >= 0) {
        const std::vector<std::int32_t>& members = groups_[static_cast<std::size_t>(row.group)].members;
        key.members.insert(key.members.end(), members.begin(), members.end());
      }
    }
  for (const CounterRow& c : counter_rows_)
    if (c.visible) {
      key.counters.emplace_back(c.track, c.object);
      key.tops.push_back(c.top);
    }
  key.counter_pixels = counter_pixels;
  key.selected_pid = selected_pid;
  if (key == key_ && !stale_) return;
  stale_ = false;
  // Operation lists and counter summaries are kept per trace; a trace no longer drawn may be gone.
  bool same_traces = key.tracks.size() == key_.tracks.size();
  for (std::size_t t = 0; same_traces && t < key.tracks.size(); ++t)
    same_traces = std::get<0>(key.tracks[t]) == std::get<0>(key_.tracks[t]);
  if (!same_traces) {
    operations_.clear();
    detail_.clear();
    ranges_.clear();
  }
  key_ = std::move(key);

  // Texture rows: four per visible lane (states, operation ticks, tasks, held locks), a plot's height per visible counter.
  lane_texture_row_.assign(rows_.size(), -1);
  counter_texture_row_.assign(counter_rows_.size(), -1);
  int next_row = 0;
  for (std::size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i].visible) {
      lane_texture_row_[i] = next_row;
      next_row += 4;
    }
  for (std::size_t i = 0; i < counter_rows_.size(); ++i)
    if (counter_rows_[i].visible) {
      counter_texture_row_[i] = next_row;
      next_row += counter_pixels;
    }
  pixels_.assign(static_cast<std::size_t>(axis_.columns) * static_cast<std::size_t>(std::max(next_row, 1)), kLaneEven);
  lay_out_lanes(tracks, selected_pid);
  lay_out_counters(tracks, counter_pixels);
  lay_out_arrows(tracks);
  texture_.upload(axis_.columns, std::max(next_row, 1), pixels_);
}

void TimelineCanvas::lay_out_lanes(std::span<const Track> tracks, std::int32_t selected_pid) {
  // The operations as ticks or, when few enough to tell apart, as shapes.
  std::size_t in_view = 0;
  for (const LaneRow& row : rows_) {
    const Track& track = tracks[row.track];
    if (const ProcessInfo* p = row.visible ? track.model->process(row.pid) : nullptr)
      in_view += operations_in_view(operations_.of(*track.model, *p), axis_, track.window).size();
  }
  vector_markers_ = in_view <= kMaxMarkerShapes;
  markers_.clear();
  const auto width = static_cast<std::size_t>(axis_.columns);
  std::vector<std::uint8_t> cells(width), op_cells(width);
  std::vector<std::uint16_t> held(width);
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (lane_texture_row_[i] < 0) continue;
    const Track& track = tracks[rows_[i].track];
    const ImU32 background = rows_[i].pid != 0 && rows_[i].pid == selected_pid ? kLaneSelected : i % 2 ? kLaneOdd : kLaneEven;
    ImU32* states = pixels_.data() + static_cast<std::size_t>(lane_texture_row_[i]) * width;
    ImU32* ticks = states + width;
    ImU32* task_band = ticks + width;
    ImU32* hold_band = task_band + width;
    auto paint_states = [&] {
      for (std::size_t c = 0; c < width; ++c)
        states[c] = cells[c] == kNoState ? background : state_color(static_cast<ProcState>(cells[c]));
    };
    if (rows_[i].group >= 0) {  // a summary lane: its members' majority state, no ticks
      std::vector<const ProcessInfo*> members;
      for (std::int32_t pid : groups_[static_cast<std::size_t>(rows_[i].group)].members)
        if (const ProcessInfo* m = track.model->process(pid)) members.push_back(m);
      rasterize_majority(members, axis_, track.window, cells);
      paint_states();
      std::fill(ticks, ticks + width, background);
      continue;
    }
    const ProcessInfo* p = track.model->process(rows_[i].pid);
    if (p == nullptr) continue;
    const BigVector<TimedOperation>& operations = operations_.of(*track.model, *p);
    const bool detailed = !vector_markers_ && detail_.rasterize(*track.model, *p, operations, axis_, track.window, cells, op_cells);
    if (!detailed) rasterize_states(*p, axis_, track.window, cells);
    paint_states();
    if (!p->tasks.empty()) {
      // Tasks ride on the state strip: a band where a task ran, alternating shades, red where one raised.
      rasterize_tasks(*p, axis_, track.window, cells);
      for (std::size_t c = 0; c < width; ++c)
        task_band[c] = cells[c] == 0 ? states[c] : cells[c] == kTaskFailed ? kTaskFailedColor : cells[c] == 1 ? kTaskColor : kTaskColorAlt;
    }
    if (!p->holds.empty()) {
      // A band in the lock's colour along the top of the lane while its process holds it, over the tasks and states.
      rasterize_holds(*p, axis_, track.window, held);
      const ImU32* under = p->tasks.empty() ? states : task_band;
      for (std::size_t c = 0; c < width; ++c) {
        const ObjectInfo* lock = held[c] ? track.model->object(held[c]) : nullptr;
        hold_band[c] = held[c] == 0 ? under[c] : counter_color(lock ? lock->kind : ObjectKind::Lock);
      }
    }
    if (vector_markers_) {
      for (const TimedOperation& op : operations_in_view(operations, axis_, track.window)) {
        const double view_t = static_cast<double>(op.t_ns) - static_cast<double>(track.window.shift_ns);
        markers_.push_back(Marker{axis_.x_of(view_t), rows_[i].bottom, op.category});
      }
      std::fill(ticks, ticks + width, background);
    } else {
      if (!detailed) rasterize_operations(operations, axis_, track.window, op_cells);
      for (std::size_t c = 0; c < width; ++c) ticks[c] = op_cells[c] ? op_color(static_cast<OpCategory>(op_cells[c])) : background;
    }
  }
}

void TimelineCanvas::lay_out_counters(std::span<const Track> tracks, int counter_pixels) {
  // A filled step plot, its edge drawn over the range of values each column saw.
  const auto width = static_cast<std::size_t>(axis_.columns);
  std::vector<CounterCell> values(width);
  for (std::size_t i = 0; i < counter_rows_.size(); ++i) {
    if (counter_texture_row_[i] < 0) continue;
    const CounterRow& c = counter_rows_[i];
    const Range& range = range_of(*tracks[c.track].model, *c.object);
    rasterize_counter(*c.object, range.blocks, axis_, tracks[c.track].window, values);
    const ImU32 background = i % 2 ? kLaneOdd : kLaneEven;
    const ImU32 line = counter_color(c.object->kind);
    const ImU32 fill = blend(background, line, 0.3f);
    const int h = counter_pixels;
    auto y_of = [&](std::int64_t v) {
      const double f = static_cast<double>(range.high - v) / static_cast<double>(range.high - range.low);
      return std::clamp(static_cast<int>(std::lround(f * (h - 2))) + 1, 0, h - 1);
    };
    const int baseline = y_of(std::max<std::int64_t>(range.low, 0));
    ImU32* plot = pixels_.data() + static_cast<std::size_t>(counter_texture_row_[i]) * width;
    std::fill(plot, plot + width * static_cast<std::size_t>(h), background);
    for (std::size_t col = 0; col < width; ++col) {
      if (!values[col].known) continue;
      const int top = y_of(values[col].high), bottom = y_of(values[col].low);
      for (int y = std::min(top, baseline); y <= std::max(top, baseline); ++y) plot[static_cast<std::size_t>(y) * width + col] = fill;
      for (int y = std::max(top - 1, 0); y <= std::min(bottom + 1, h - 1); ++y) plot[static_cast<std::size_t>(y) * width + col] = line;
    }
  }
}

void TimelineCanvas::lay_out_arrows(std::span<const Track> tracks) {
  // From each put (or send) to its get, when both ends are in view and both lanes on screen.
  arrows_.clear();
  arrows_hidden_ = false;
  const double view_begin = axis_.ns_of(axis_.begin_ns), view_end = axis_.ns_of(axis_.end_ns);
  // A flow is made when its first end is ingested, and events are ingested in time order: flows are sorted by their
  // earlier end, so the arrows in view lie between two binary searches, however long the run.
  const auto earlier_end = [](const Flow& f) {
    return static_cast<double>(f.put_ns < 0 ? f.get_ns : f.get_ns < 0 ? f.put_ns : std::min(f.put_ns, f.get_ns));
  };
  for (std::size_t t = 0; t < tracks.size(); ++t) {
    const Track& track = tracks[t];
    const auto shift = static_cast<double>(track.window.shift_ns);
    const FlowList& flows = track.model->flows();
    auto flow = std::partition_point(flows.begin(), flows.end(), [&](const Flow& f) { return earlier_end(f) - shift < view_begin; });
    const auto past = std::partition_point(flow, flows.end(), [&](const Flow& f) { return earlier_end(f) - shift <= view_end; });
    if (static_cast<std::size_t>(past - flow) > kMaxArrowsLookedAt) {  // each one read costs the event log two reads
      arrows_.clear();
      arrows_hidden_ = true;
      return;
    }
    for (; flow != past; ++flow) {
      const Flow f = *flow;
      if (!f.complete() || f.put_ns < track.window.from_ns || f.get_ns >= track.window.to_ns) continue;
      const double put = static_cast<double>(f.put_ns) - shift, get = static_cast<double>(f.get_ns) - shift;
      if (put < view_begin || get > view_end) continue;
      auto from = row_of_[t].find(f.put_pid), to = row_of_[t].find(f.get_pid);
      if (from == row_of_[t].end() || to == row_of_[t].end()) continue;
      const LaneRow& a = rows_[from->second];
      const LaneRow& b = rows_[to->second];
      if (!a.visible || !b.visible || (&a == &b && a.group >= 0)) continue;  // within a collapsed group: nothing to show
      if (arrows_.size() == kMaxArrows) {
        arrows_.clear();
        arrows_hidden_ = true;
        return;
      }
      arrows_.push_back(Arrow{{axis_.x_of(put), (a.top + a.bottom) * 0.5f}, {axis_.x_of(get), (b.top + b.bottom) * 0.5f}});
    }
  }
}

}  // namespace forkscope::gui
