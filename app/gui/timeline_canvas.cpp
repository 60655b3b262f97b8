#include "timeline_canvas.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "palette.hpp"
#include "timeline_style.hpp"

namespace forkscope::gui {

namespace {

bool is_held(const Track& track, std::int32_t pid) {
  return track.held && std::any_of(track.held->begin(), track.held->end(), [&](const HeldProcess& h) { return h.pid == pid; });
}

}  // namespace

const TimelineCanvas::Range& TimelineCanvas::range_of(const TraceModel& model, const ObjectInfo& object) {
  Range& r = ranges_[{&model, object.id}];
  if (r.samples == object.samples.size()) return r;
  r.samples = object.samples.size();
  r.blocks = counter_blocks(object);
  r.low = std::min<std::int64_t>(0, object.min_value());
  r.high = object.max_value();
  // A small bound belongs on the plot (a full queue of 3 is the point); a large one would flatten it.
  const bool bounded = object.kind == ObjectKind::Semaphore || object.kind == ObjectKind::BoundedSemaphore ||
                       object.kind == ObjectKind::Queue || object.kind == ObjectKind::JoinableQueue;
  if (bounded && object.capacity > 0 && object.capacity <= 4 * std::max<std::int64_t>(r.high, 4)) r.high = std::max(r.high, object.capacity);
  r.high = std::max(r.high, r.low + 1);
  return r;
}

void TimelineCanvas::fit(std::span<const Track> tracks, TimeView& view) const {
  double extent = 0;
  for (const Track& t : tracks) extent = std::max(extent, static_cast<double>(t.window.view_end_ns()));
  // A live run grows from nothing: a floor of a tenth of a second keeps its first frames from zooming wildly.
  const bool live = std::any_of(tracks.begin(), tracks.end(), [](const Track& t) { return t.live; });
  view.begin_ns = 0;
  view.end_ns = steps_ ? std::max(steps_->step_at(extent), 1.0) * 1.02 : std::max(extent, live ? 1e8 : 1e5) * 1.02;
}

CanvasInput TimelineCanvas::draw(Ui& ui, std::span<const Track> tracks, TimeView& view, std::span<const Guide> guides) {
  const Regions r = arrange(ui, tracks);
  ImGui::SetCursorScreenPos(r.origin);
  ImGui::InvisibleButton("timeline", {r.end.x - r.origin.x, r.end.y - r.origin.y});
  const bool hovered = ImGui::IsItemHovered();
  CanvasInput input;
  handle_input(view, r, input);
  place(ui, tracks, view, r);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  if (scrubbing_)
    input.playhead_ns = std::max(0.0, axis_.t_of(std::clamp(mouse.x, axis_.left, axis_.left + static_cast<float>(axis_.columns))));
  if (hovered && mouse.x >= axis_.left && mouse.x < axis_.left + static_cast<float>(axis_.columns))
    input.hovered_ns = std::max(0.0, axis_.t_of(mouse.x));
  if (const LaneRow* fold = clicked_ || double_clicked_ ? fold_arrow_at(ui, mouse, r.lanes_bottom) : nullptr) {
    // A click on a fold arrow shows or hides threads, or collapses or expands a group (next frame); it picks no process.
    if (clicked_) toggle_fold(tracks[fold->track], *fold);
  } else {
    if (clicked_) input.clicked_pid = lane_at(tracks, mouse, r.lanes_bottom);
    if (double_clicked_) input.double_clicked_pid = lane_at(tracks, mouse, r.lanes_bottom);
  }
  lay_out(tracks, static_cast<int>(counter_height_ - ui.px(8)), ui.selected_pid);

  // One unit for the ticks, the pointer's readout and the playhead: the ruler's.
  unit_ = time_unit(tick_step(ui) * ruler_scale_, axis_.end_ns * ruler_scale_);
  readout_.reset();
  if (hovered && mouse.x >= axis_.left) {  // on the ruler, right of the pointer (left of it near the right edge)
    std::string text = point_label(ui, axis_.t_of(mouse.x));
    const ImVec2 size = ImGui::CalcTextSize(text.c_str());
    float x = mouse.x + ui.px(4);
    if (x + size.x > r.end.x) x = mouse.x - ui.px(4) - size.x;
    const ImVec2 at{std::round(x), r.origin.y + ui.px(2)};
    readout_ = Readout{ImRect(at.x, at.y, at.x + size.x, at.y + size.y), std::move(text)};
  }

  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw_grid(ui, draw, r.lanes_top, r.end.y);  // under the strips: it shows in the gaps between lanes, never over a state
  draw_lanes(ui, draw, tracks, r.lanes_top, r.lanes_bottom);
  if (!counter_rows_.empty()) draw_counters(ui, draw, tracks, r.lanes_bottom, r.end.y);
  draw_ruler(ui, draw, r.origin.y, r.lanes_top - r.origin.y);
  draw_overlays(ui, draw, tracks, view, guides, r);
  return input;
}

TimelineCanvas::Regions TimelineCanvas::arrange(const Ui& ui, std::span<const Track> tracks) {
  Regions r;
  r.origin = ImGui::GetCursorScreenPos();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  r.end = {r.origin.x + std::max(avail.x, 200.0f), r.origin.y + std::max(avail.y, 80.0f)};
  label_width_ = std::min(ui.px(200), std::round(avail.x * 0.3f));  // at 200 % on a small window the lanes keep 70 %
  header_height_ = ui.px(24);
  counter_height_ = ui.px(46);
  r.lanes_top = r.origin.y + ImGui::GetTextLineHeight() + ui.px(8);  // under the ruler
  axis_.left = std::floor(r.origin.x + label_width_);
  axis_.columns = std::max(1, static_cast<int>(r.end.x - ui.px(8) - axis_.left));  // 8: the scrollbar's thumb

  // Counters take what they need, from a quarter to 42% of the height as the lanes leave room; lanes share the rest,
  // taller when there are few of them.
  std::vector<std::vector<ShownLane>> lanes(tracks.size());
  std::size_t lane_count = 0;
  counter_rows_.clear();
  groups_.clear();
  for (std::size_t t = 0; t < tracks.size(); ++t) {
    lanes[t] = shown_lanes(ui, tracks[t], t);
    lane_count += lanes[t].size();
    if (tracks[t].counters)
      for (const ObjectInfo* o : plotted_objects(*tracks[t].model)) {
        counter_rows_.push_back(CounterRow{t, o, r.counters_content, false});
        r.counters_content += counter_height_;
      }
  }
  const float body = r.end.y - r.lanes_top;
  const auto headers = static_cast<float>(std::count_if(tracks.begin(), tracks.end(), [](const Track& t) { return !t.title.empty(); }));
  const float lanes_wanted = static_cast<float>(lane_count) * ui.px(min_lane_height_) + headers * header_height_;
  r.counters_height = counter_rows_.empty() ? 0
                                            : std::min({r.counters_content + ui.px(6), std::round(body * 0.42f),
                                                        std::max(std::round(body * 0.25f), body - lanes_wanted)});
  r.lanes_bottom = r.end.y - r.counters_height;
  const float room = r.lanes_bottom - r.lanes_top - headers * header_height_;
  lane_height_ = std::clamp(std::floor(room / static_cast<float>(std::max<std::size_t>(lane_count, 1))),
                            ui.px(min_lane_height_), ui.px(30));

  // Rows in content coordinates (0 = the top of the lanes); place() puts them on screen.
  rows_.clear();
  headers_.clear();
  row_of_.assign(tracks.size(), {});
  for (std::size_t t = 0; t < tracks.size(); ++t) {
    if (!tracks[t].title.empty()) {
      headers_.emplace_back(t, r.content_height);
      r.content_height += header_height_;
    }
    for (const ShownLane& shown : lanes[t]) {
      const Lane& lane = shown.lane;
      if (shown.group >= 0)  // a put or get of a member starts or ends on its summary lane
        for (std::int32_t member : groups_[static_cast<std::size_t>(shown.group)].members) row_of_[t][member] = rows_.size();
      else
        row_of_[t][lane.pid] = rows_.size();
      rows_.push_back(LaneRow{t, lane.pid, lane.depth, shown.colour, r.content_height, r.content_height + lane_height_, false,
                              lane.thread, lane.threads, lane.children, shown.group});
      r.content_height += lane_height_;
    }
    // A folded thread's arrows start or end on its process's lane.
    for (const ProcessInfo& p : tracks[t].model->processes())
      if (p.thread && !row_of_[t].contains(p.pid))
        if (auto parent = row_of_[t].find(p.ppid); parent != row_of_[t].end()) row_of_[t][p.pid] = parent->second;
  }
  return r;
}

std::vector<TimelineCanvas::ShownLane> TimelineCanvas::shown_lanes(const Ui& ui, const Track& track, std::size_t t) {
  const TraceModel* model = track.model;
  const std::vector<Lane> all = lanes_in_tree_order(*model);
  // Filtered: the lanes that match, and their parents, so the tree stays readable.
  const std::unordered_set<std::int32_t>* matched =
      filter_.active() ? &filter_.matches(*model, ui.text, track.names, track.playhead_ns) : nullptr;
  std::unordered_set<std::int32_t> kept;
  if (matched)
    for (std::int32_t pid : *matched)
      for (const ProcessInfo* p = model->process(pid); p && kept.insert(p->pid).second && p->ppid != p->pid;)
        p = model->process(p->ppid);

  std::vector<ShownLane> shown;
  int collapsed_depth = -1;  // inside a collapsed process's subtree: its depth and pid
  std::int32_t collapsed_pid = 0;
  for (std::size_t l = 0; l < all.size(); ++l) {
    const Lane& lane = all[l];
    if (collapsed_depth >= 0 && lane.depth <= collapsed_depth) collapsed_depth = -1;
    if (matched && !kept.contains(lane.pid)) continue;
    const bool own_thread = lane.thread && lane.depth == collapsed_depth + 1;  // of the collapsed process itself
    if (collapsed_depth >= 0 && !own_thread) {
      if (lane.thread) continue;  // a member's thread goes with it
      if (shown.back().group < 0) {  // the group's summary lane, where its first member would be
        shown.push_back(ShownLane{Lane{0, collapsed_depth + 1}, l, static_cast<int>(groups_.size())});
        groups_.push_back(Group{t, collapsed_pid, {}, {}});
      }
      groups_.back().members.push_back(lane.pid);
      continue;
    }
    // A thread shows under an unfolded process, or when the filter names it.
    const ProcessInfo* p = lane.thread ? model->process(lane.pid) : nullptr;
    if (p && !(matched ? matched->contains(lane.pid) : unfolded_.contains({model, p->ppid}))) continue;
    shown.push_back(ShownLane{lane, l});
    if (lane.children > 0 && collapsed_.contains({model, lane.pid})) {
      collapsed_depth = lane.depth;
      collapsed_pid = lane.pid;
    }
  }
  // The summary lanes' names: the pool's workers, or the first member and how many more.
  for (Group& g : groups_) {
    if (g.track != t || !g.label.empty()) continue;
    const bool pool = std::all_of(g.members.begin(), g.members.end(), [&](std::int32_t pid) {
      const ProcessInfo* p = model->process(pid);
      return p && p->name.find("PoolWorker-") != std::string::npos;
    });
    const ProcessInfo* first = model->process(g.members.front());
    const std::string name = first == nullptr ? "" : track.names ? track.names->process(first->name) : first->name;
    g.label = pool                    ? ui.text.format("timeline.pool_workers", g.members.size())
              : g.members.size() == 1 ? name
                                      : ui.text.format("timeline.group", name, g.members.size() - 1);
  }
  return shown;
}

void TimelineCanvas::place(const Ui& ui, std::span<const Track> tracks, TimeView& view, const Regions& r) {
  const float lanes_visible = r.lanes_bottom - r.lanes_top;
  view.lane_scroll = std::clamp(view.lane_scroll, 0.0f, std::max(0.0f, r.content_height - lanes_visible));
  view.counter_scroll = std::clamp(view.counter_scroll, 0.0f, std::max(0.0f, r.counters_content - r.counters_height + ui.px(6)));
  if (axis_.steps != steps_ && (axis_.steps == nullptr || steps_ == nullptr)) view.fit = true;  // seconds <-> steps
  if (view.fit) fit(tracks, view);
  axis_.begin_ns = view.begin_ns;
  axis_.end_ns = view.end_ns;
  if (axis_.steps != steps_ || !axis_.column_times_fit()) axis_.use_steps(steps_);  // kept while it fits: the layout's key
  lanes_span_ = {r.lanes_top, r.lanes_bottom};
  for (LaneRow& row : rows_) {
    row.fold_x = axis_.left - label_width_ + ui.px(14) + static_cast<float>(row.depth) * ui.px(12);  // as draw_lanes puts it
    row.top += r.lanes_top - view.lane_scroll;
    row.bottom += r.lanes_top - view.lane_scroll;
    row.visible = row.bottom > r.lanes_top && row.top < r.lanes_bottom;
  }
  for (auto& [track, top] : headers_) top += r.lanes_top - view.lane_scroll;
  for (CounterRow& c : counter_rows_) {
    c.top += r.lanes_bottom + ui.px(6) - view.counter_scroll;
    c.visible = c.top + counter_height_ > r.lanes_bottom && c.top < r.end.y;
  }
}

void TimelineCanvas::draw_signals(const Ui& ui, ImDrawList* draw, const Track& track, const ProcessInfo& p,
                                  const LaneRow& row) const {
  const TrackWindow& w = track.window;
  const float right = axis_.left + static_cast<float>(axis_.columns);
  const auto x_at = [&](std::int64_t t) { return axis_.x_of(static_cast<double>(t - w.shift_ns)); };
  const float mid = (row.top + row.bottom) * 0.5f, r = ui.px(5);
  for (const SignalMark& s : p.signals) {
    if (s.t_ns < w.from_ns || s.t_ns > w.to_ns) continue;
    const float x = std::round(x_at(s.t_ns));
    if (x < axis_.left || x > right) continue;
    draw->AddQuadFilled({x, mid - r}, {x + r, mid}, {x, mid + r}, {x - r, mid}, kSignalColor);
    draw->AddQuad({x, mid - r - 1}, {x + r + 1, mid}, {x, mid + r + 1}, {x - r - 1, mid}, IM_COL32(0, 0, 0, 200));
  }
}

void TimelineCanvas::draw_overlays(Ui& ui, ImDrawList* draw, std::span<const Track> tracks, const TimeView& view,
                                   std::span<const Guide> guides, const Regions& r) const {
  // The live edge, across lanes and counters.
  for (const Track& t : tracks)
    if (t.live) {
      const float x = axis_.x_of(static_cast<double>(t.window.now_ns - t.window.shift_ns));
      if (x >= axis_.left && x <= r.end.x) draw->AddLine({x, r.lanes_top}, {x, r.end.y}, kNowLine, ui.px(2));
    }
  // The playhead, across lanes and counters, with its time (or step) beside it.
  for (const Track& t : tracks)
    if (t.playhead_ns) {
      const double view_t = static_cast<double>(*t.playhead_ns - t.window.shift_ns);
      const float x = std::round(axis_.x_of(view_t));
      if (x < axis_.left || x > r.end.x) continue;
      draw->AddLine({x, r.origin.y}, {x, r.end.y}, kPlayhead, ui.px(2));
      const float h = ui.px(6);
      draw->AddTriangleFilled({x - h, r.origin.y}, {x + h, r.origin.y}, {x, r.origin.y + h}, kPlayhead);
      draw_text(draw, {x + ui.px(5), r.lanes_top + ui.px(2)}, kPlayhead, point_label(ui, view_t).c_str());
    }
  for (const Guide& g : guides) {
    const float x = std::round(axis_.x_of(g.t_ns));
    if (x < axis_.left || x > r.end.x) continue;
    for (float y = r.lanes_top; y < r.end.y; y += ui.px(10))  // dashed: it is a reference, not an event
      draw->AddLine({x, y}, {x, std::min(y + ui.px(6), r.end.y)}, g.color, ui.px(2));
    draw_text(draw, {x + ui.px(4), r.lanes_top + ui.px(2)}, g.color, g.label.c_str());
  }
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  if (readout_) {
    draw->AddLine({mouse.x, r.origin.y}, {mouse.x, r.end.y}, kHoverLine);
    draw->AddRectFilled({readout_->rect.Min.x - ui.px(2), readout_->rect.Min.y}, {readout_->rect.Max.x + ui.px(2), readout_->rect.Max.y},
                        kRulerBackground);
    draw_text(draw, readout_->rect.Min, IM_COL32(255, 255, 255, 255), readout_->text.c_str());
    if (!ImGui::IsItemActive()) draw_tooltip(ui, tracks, mouse, r.lanes_bottom);
  }
  // A scrollbar thumb when the lanes do not fit.
  const float visible = r.lanes_bottom - r.lanes_top;
  if (r.content_height > visible) {
    const float thumb = std::max(ui.px(20), visible * visible / r.content_height);
    const float y = r.lanes_top + (visible - thumb) * view.lane_scroll / (r.content_height - visible);
    draw->AddRectFilled({r.end.x - ui.px(8) + 2, y}, {r.end.x - 1, y + thumb}, IM_COL32(255, 255, 255, 70), 3);
  }
}

void TimelineCanvas::handle_input(TimeView& view, const Regions& regions, CanvasInput& input) {
  ImGuiIO& io = ImGui::GetIO();
  const ImVec2 mouse = io.MousePos;
  const bool over_counters = !counter_rows_.empty() && mouse.y >= regions.lanes_bottom;
  float& scroll = over_counters ? view.counter_scroll : view.lane_scroll;
  // The view's window is in the axis's units: nanoseconds, or steps on a step axis.
  const double unit_at_mouse = axis_.begin_ns + static_cast<double>(mouse.x - axis_.left) * axis_.ns_per_column();
  if (ImGui::IsItemHovered() && io.MouseWheel != 0) {
    if (mouse.x < axis_.left || io.KeyShift) {
      scroll -= io.MouseWheel * lane_height_ * 3;
    } else {
      // Zoom around the time under the mouse, which stays where it is.
      const double fraction = static_cast<double>(mouse.x - axis_.left) / axis_.columns;
      const double width = std::clamp((view.end_ns - view.begin_ns) * std::pow(0.8, io.MouseWheel), steps_ ? kMinWidthSteps : kMinWidthNs,
                                      steps_ ? kMaxWidthSteps : kMaxWidthNs);
      view.begin_ns = unit_at_mouse - fraction * width;
      view.end_ns = view.begin_ns + width;
      view.fit = false;
    }
  }
  // A press on the ruler of a paused or finished run holds the playhead until released; elsewhere a drag pans.
  if (ImGui::IsItemActivated()) scrubbing_ = scrubbable_ && mouse.y < regions.lanes_top && mouse.x >= axis_.left;
  if (!ImGui::IsItemActive() && !ImGui::IsItemDeactivated()) scrubbing_ = false;
  input.scrubbing = scrubbing_ && ImGui::IsItemActive();
  if (!scrubbing_ && ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f)) {
    const double shift = -static_cast<double>(io.MouseDelta.x) * axis_.ns_per_column();
    if (shift != 0) {
      view.begin_ns += shift;
      view.end_ns += shift;
      view.fit = false;
    }
    scroll -= io.MouseDelta.y;
  }
  // A click (a press and release that did not drag) or a double click: on which lane is decided once rows are laid out.
  clicked_ = !scrubbing_ && ImGui::IsItemDeactivated() && io.MouseDragMaxDistanceSqr[0] < 16.0f;
  double_clicked_ = ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left);
}

std::int32_t TimelineCanvas::lane_at(std::span<const Track> tracks, ImVec2 at, float lanes_bottom) const {
  if (at.y >= lanes_bottom) return 0;
  for (const LaneRow& row : rows_)
    if (row.visible && at.y >= row.top && at.y < row.bottom) return tracks[row.track].model->process(row.pid) ? row.pid : 0;
  return 0;
}

void TimelineCanvas::toggle_threads(const TraceModel* model, std::int32_t pid) {
  if (!unfolded_.erase({model, pid})) unfolded_.insert({model, pid});
}

void TimelineCanvas::toggle_group(const TraceModel* model, std::int32_t pid) {
  if (!collapsed_.erase({model, pid})) collapsed_.insert({model, pid});
}

void TimelineCanvas::collapse_all_groups(const TraceModel& model, bool collapse) {
  if (collapse) all_collapsed_.insert(&model);
  else all_collapsed_.erase(&model);
  for (const Lane& lane : lanes_in_tree_order(model))
    if (lane.children > 0) {
      if (collapse) collapsed_.insert({&model, lane.pid});
      else collapsed_.erase({&model, lane.pid});
    }
}

// A process's arrow folds its threads when it has some, else its child processes; a summary lane's expands its group.
void TimelineCanvas::toggle_fold(const Track& track, const LaneRow& row) {
  if (row.group >= 0) toggle_group(track.model, groups_[static_cast<std::size_t>(row.group)].parent);
  else if (row.threads > 0) toggle_threads(track.model, row.pid);
  else toggle_group(track.model, row.pid);
}

const TimelineCanvas::LaneRow* TimelineCanvas::fold_arrow_at(const Ui& ui, ImVec2 at, float lanes_bottom) const {
  if (at.y >= lanes_bottom) return nullptr;
  for (const LaneRow& row : rows_)
    if (row.visible && (row.threads > 0 || row.children > 0 || row.group >= 0) && at.y >= row.top && at.y < row.bottom && at.x >= row.fold_x - ui.px(4) &&
        at.x < row.fold_x + ui.px(14))
      return &row;
  return nullptr;
}

double TimelineCanvas::tick_step(const Ui& ui) const {
  // 1, 2 or 5 times a power of ten, so that labels stand about 110 pixels apart (whole steps on a step axis).
  const double target = axis_.ns_per_column() * static_cast<double>(ui.px(110));
  const double magnitude = std::pow(10.0, std::floor(std::log10(target)));
  double step = magnitude * 10;
  for (double m : {5.0, 2.0, 1.0})
    if (magnitude * m >= target) step = magnitude * m;
  return steps_ ? std::max(step, 1.0) : step;
}

std::string TimelineCanvas::tick_label(const Ui& ui, double unit, double step) const {
  if (steps_) return ui.text.format("timeline.step_n", std::lround(unit));
  return format_time(unit * ruler_scale_, step * ruler_scale_, unit_);
}

std::string TimelineCanvas::point_label(const Ui& ui, double view_t) const {
  if (steps_) return ui.text.format("timeline.step_n", std::lround(std::floor(axis_.unit_of(view_t) + 1e-9)));
  return time_label(view_t);
}

std::string TimelineCanvas::time_label(double view_t) const {
  const double column = axis_.column_of(view_t);
  return format_time(view_t * ruler_scale_, (axis_.ns_at_column(column + 1) - axis_.ns_at_column(column)) * ruler_scale_, unit_);
}

void TimelineCanvas::draw_grid(const Ui& ui, ImDrawList* draw, float top, float bottom) const {
  const double step = tick_step(ui);
  for (double u = std::ceil(axis_.begin_ns / step) * step; u <= axis_.end_ns; u += step) {
    const float x = std::round(axis_.x_of_unit(u)) + 0.5f;
    draw->AddLine({x, top}, {x, bottom}, kGrid);
  }
}

void TimelineCanvas::draw_ruler(Ui& ui, ImDrawList* draw, float top, float height) {
  const float right = axis_.left + static_cast<float>(axis_.columns);
  draw->AddRectFilled({axis_.left - label_width_, top}, {right + ui.px(8), top + height}, kRulerBackground);
  const double step = tick_step(ui);
  tick_labels_.clear();
  for (double u = std::ceil(axis_.begin_ns / step) * step; u <= axis_.end_ns; u += step) {
    const float x = std::round(axis_.x_of_unit(u)) + 0.5f;
    draw->AddLine({x, top + height - ui.px(6)}, {x, top + height}, kDimText);
    std::string text = tick_label(ui, u, step);
    const ImVec2 at{x + ui.px(3), top + ui.px(2)};
    const ImRect rect{at, {at.x + ImGui::CalcTextSize(text.c_str()).x, at.y + ImGui::GetTextLineHeight()}};
    // The pointer's readout has the ruler to itself where it stands: a tick label it would cover is left out.
    if (readout_ && rect.Overlaps(ImRect(readout_->rect.Min.x - ui.px(4), readout_->rect.Min.y, readout_->rect.Max.x + ui.px(4),
                                         readout_->rect.Max.y)))
      continue;
    draw_text(draw, at, kDimText, text.c_str());
    tick_labels_.push_back({rect, std::move(text)});
  }
  draw->PushClipRect({axis_.left - label_width_, top}, {axis_.left - 1, top + height}, true);
  draw_text(draw, {axis_.left - label_width_ + ui.px(6), top + ui.px(2)}, kDimText,
                ui.tr(steps_ ? "timeline.steps_caption" : ruler_caption_));
  draw->PopClipRect();
}

void TimelineCanvas::draw_lanes(Ui& ui, ImDrawList* draw, std::span<const Track> tracks, float top, float bottom) const {
  const float left = axis_.left - label_width_;
  const float right = axis_.left + static_cast<float>(axis_.columns);
  draw->PushClipRect({left, top}, {right + ui.px(8), bottom}, true);
  // The strips: every lane samples its own texture row, so this is one draw call however long the trace.
  const float tick_height = ui.px(4);
  StripTexture::begin_opaque(draw);
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (lane_texture_row_.size() <= i || lane_texture_row_[i] < 0) continue;
    const LaneRow& row = rows_[i];
    const auto r = static_cast<float>(lane_texture_row_[i]);
    const auto columns = static_cast<float>(axis_.columns);
    draw->AddImage(texture_.id(), {axis_.left, row.top + 1}, {right, row.bottom - tick_height - 1},
                   texture_.uv(0, r + 0.5f), texture_.uv(columns, r + 0.5f));
    draw->AddImage(texture_.id(), {axis_.left, row.bottom - tick_height - 1}, {right, row.bottom - 1},
                   texture_.uv(0, r + 1.5f), texture_.uv(columns, r + 1.5f));
    const ProcessInfo* p = tracks[row.track].model->process(row.pid);
    if (p && !p->tasks.empty())
      draw->AddImage(texture_.id(), {axis_.left, row.top + 1}, {right, row.top + 1 + ui.px(5)}, texture_.uv(0, r + 2.5f),
                     texture_.uv(columns, r + 2.5f));
    if (p && !p->holds.empty())
      draw->AddImage(texture_.id(), {axis_.left, row.top + 1}, {right, row.top + 1 + ui.px(2)}, texture_.uv(0, r + 3.5f),
                     texture_.uv(columns, r + 3.5f));
  }
  StripTexture::end_opaque(draw);
  // Over the strips: a glyph where a process was sent a signal.
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (lane_texture_row_.size() <= i || lane_texture_row_[i] < 0) continue;
    const LaneRow& row = rows_[i];
    const Track& track = tracks[row.track];
    if (const ProcessInfo* p = track.model->process(row.pid)) draw_signals(ui, draw, track, *p, row);
  }
  const float marker = ui.px(4);
  for (const Marker& m : markers_)
    draw->AddTriangleFilled({m.x, m.bottom - marker * 2 - 1}, {m.x - marker, m.bottom - 1}, {m.x + marker, m.bottom - 1},
                            op_color(m.category));
  for (const Arrow& a : arrows_) {
    draw->AddLine(a.from, a.to, kArrow, ui.px(1.5f));
    const ImVec2 d{a.to.x - a.from.x, a.to.y - a.from.y};
    const float length = std::max(std::sqrt(d.x * d.x + d.y * d.y), 1.0f);
    const ImVec2 u{d.x / length, d.y / length};
    const float head = ui.px(7);
    draw->AddTriangleFilled(a.to, {a.to.x - u.x * head - u.y * head * 0.5f, a.to.y - u.y * head + u.x * head * 0.5f},
                            {a.to.x - u.x * head + u.y * head * 0.5f, a.to.y - u.y * head - u.x * head * 0.5f}, kArrow);
  }

  // Labels: name (children indented under their parent) and PID; a yellow dot when it waits at the gate; a fold
  // arrow before a process that has threads, and their count while they are folded. A narrow label column (200 % on a
  // small window) cuts them rather than letting them run over the strips.
  draw->PushClipRect({left, top}, {axis_.left - 1, bottom}, true);
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const LaneRow& row = rows_[i];
    if (!row.visible) continue;
    const Track& track = tracks[row.track];
    const float text_y = row.top + (lane_height_ - ImGui::GetTextLineHeight()) * 0.5f;
    if (row.group >= 0) {  // a summary lane: an arrow that expands it, and what it stands for
      const float size = ui.px(9), cy = row.top + lane_height_ * 0.5f, x = row.fold_x;
      draw->AddTriangleFilled({x + size * 0.15f, cy - size * 0.5f}, {x + size * 0.15f, cy + size * 0.5f}, {x + size, cy}, kDimText);
      draw_text(draw, {x + ui.px(14), text_y}, blend(kDimText, process_color(row.index), 0.6f),
                groups_[static_cast<std::size_t>(row.group)].label.c_str());
      continue;
    }
    const ProcessInfo* p = track.model->process(row.pid);
    if (p == nullptr) continue;
    if (row.pid == ui.selected_pid) draw->AddRectFilled({left, row.top + 1}, {axis_.left - 1, row.bottom - 1}, kLaneSelected);
    float x = row.fold_x;
    if (is_held(track, row.pid))
      draw->AddCircleFilled({left + ui.px(7), row.top + lane_height_ * 0.5f}, ui.px(4), state_color(ProcState::Held));
    const bool shown = row.threads > 0 ? threads_shown(track.model, row.pid) : !collapsed(track.model, row.pid);
    if (row.threads > 0 || row.children > 0) {
      const float size = ui.px(9), cy = row.top + lane_height_ * 0.5f;
      if (shown) draw->AddTriangleFilled({x, cy - size * 0.35f}, {x + size, cy - size * 0.35f}, {x + size * 0.5f, cy + size * 0.5f}, kDimText);
      else draw->AddTriangleFilled({x + size * 0.15f, cy - size * 0.5f}, {x + size * 0.15f, cy + size * 0.5f}, {x + size, cy}, kDimText);
      x += ui.px(14);
    }
    const std::string name = track.names ? track.names->process(lane_name(*track.model, *p)) : std::string(lane_name(*track.model, *p));
    const ImU32 name_color = row.thread ? blend(kDimText, process_color(row.index), 0.6f) : process_color(row.index);
    draw_text(draw, ImGui::GetFont(), ImGui::GetFontSize(), {x, text_y}, name_color, name.data(), name.data() + name.size());
    x += ImGui::CalcTextSize(name.data(), name.data() + name.size()).x + ui.px(6);
    const std::string pid = std::to_string(p->pid);
    draw_text(draw, {x, text_y}, kDimText, pid.c_str());
    if (row.threads > 0 && !shown) {
      x += ImGui::CalcTextSize(pid.c_str()).x + ui.px(6);
      draw_text(draw, {x, text_y}, kDimText, ui.text.format("timeline.threads", row.threads).c_str());
    }
  }
  draw->PopClipRect();
  for (const auto& [t, y] : headers_) {
    if (y + header_height_ <= top || y >= bottom) continue;
    draw->AddRectFilled({left, y}, {right, y + header_height_}, kHeaderBackground);
    draw_text(draw, {left + ui.px(6), y + (header_height_ - ImGui::GetTextLineHeight()) * 0.5f}, IM_COL32(255, 255, 255, 255),
                  tracks[t].title.c_str());
  }
  draw->PopClipRect();
}

void TimelineCanvas::draw_counters(Ui& ui, ImDrawList* draw, std::span<const Track> tracks, float top, float bottom) const {
  const float left = axis_.left - label_width_;
  const float right = axis_.left + static_cast<float>(axis_.columns);
  draw->AddLine({left, top + ui.px(2)}, {right, top + ui.px(2)}, IM_COL32(255, 255, 255, 60), ui.px(2));
  draw->PushClipRect({left, top + ui.px(4)}, {right + ui.px(8), bottom}, true);
  const int pixels = key_.counter_pixels;
  StripTexture::begin_opaque(draw);
  for (std::size_t i = 0; i < counter_rows_.size(); ++i) {
    if (!counter_rows_[i].visible) continue;
    const float y = counter_rows_[i].top + ui.px(4);
    const auto r = static_cast<float>(counter_texture_row_[i]);
    draw->AddImage(texture_.id(), {axis_.left, y}, {right, y + static_cast<float>(pixels)}, texture_.uv(0, r),
                   texture_.uv(static_cast<float>(axis_.columns), r + static_cast<float>(pixels)));
  }
  StripTexture::end_opaque(draw);
  for (const CounterRow& c : counter_rows_) {
    if (!c.visible) continue;
    const ObjectInfo& o = *c.object;
    draw->PushClipRect({left, std::max(top + ui.px(4), c.top)}, {axis_.left - 1, bottom}, true);
    const std::string name = tracks[c.track].names ? object_name(*tracks[c.track].names, o) : o.name;
    draw_text(draw, {left + ui.px(8), c.top + ui.px(3)}, counter_color(o.kind), name.c_str());
    const std::optional<std::int64_t> at = tracks[c.track].playhead_ns;
    const std::string detail = fmt::format("{} · {}", kind_text(ui, o.kind), value_text(ui, o, at ? o.value_at(*at) : o.value()));
    draw_text(draw, {left + ui.px(8), c.top + ui.px(3) + ImGui::GetTextLineHeight()}, kDimText, detail.c_str());
    draw->PopClipRect();
    const auto it = ranges_.find({tracks[c.track].model, o.id});
    if (it != ranges_.end()) {
      const std::string high = std::to_string(it->second.high);
      draw_text(draw, {axis_.left + ui.px(3), c.top + ui.px(2)}, kDimText, high.c_str());
    }
  }
  draw->PopClipRect();
}

}  // namespace forkscope::gui
