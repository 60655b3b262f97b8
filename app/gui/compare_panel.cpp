// Two runs of the session on one time axis, both starting at zero, with their wall times and results side by side
// ("lock on" against "lock off"); or, for a run whose result has phases, those phases cut out and aligned at zero
// ("sync" against "async"), with the speed-up and the theoretical floor.
#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "panels.hpp"

namespace forkscope::gui {

namespace {

constexpr ImU32 kFloor = IM_COL32(255, 214, 0, 255);
const ImVec4 kDifferent{1.0f, 0.84f, 0.3f, 1.0f};

// The result keys of either run, in order, without the phases (the phase table shows them).
std::vector<std::string> result_keys(const RunRecord& a, const RunRecord& b) {
  std::vector<std::string> keys;
  for (const nlohmann::json* result : {&a.facts().result, &b.facts().result})
    for (const auto& [key, value] : result->items())
      if (key != "phases" && std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  return keys;
}

const RunRecord* find_run(const Classroom& c, int number) {
  for (const auto& r : c.runs())
    if (r->number() == number && !r->live()) return r.get();
  return nullptr;
}

}  // namespace

std::pair<int, int> default_comparison(const Classroom& c) {
  std::vector<const RunRecord*> finished, of_lesson;
  for (const auto& r : c.runs())
    if (!r->live()) {
      finished.push_back(r.get());
      if (r->lesson() == c.lesson().id) of_lesson.push_back(r.get());
    }
  if (finished.empty()) return {0, 0};
  // No run of this lesson yet: the session's last two (or its only one).
  const std::vector<const RunRecord*>& runs = of_lesson.empty() ? finished : of_lesson;
  const RunRecord* last = runs.back();
  for (auto r = std::next(runs.rbegin()); r != runs.rend(); ++r)
    if ((*r)->facts().params != last->facts().params) return {(*r)->number(), last->number()};
  return {runs[runs.size() >= 2 ? runs.size() - 2 : 0]->number(), last->number()};
}

std::string what_differs(const Ui& ui, const RunRecord& run, const RunRecord& other) {
  nlohmann::json differs = nlohmann::json::object();
  for (const auto& [key, value] : run.facts().params.items())
    if (other.facts().params.value(key, nlohmann::json()) != value) differs[key] = value;
  return differs.empty() ? fmt::format("#{}", run.number()) : params_text(ui, run.facts().lesson, differs);
}

std::vector<RunPhase> phases_of(const RunFacts& facts) {
  std::vector<RunPhase> out;
  const auto it = facts.result.find("phases");
  if (it == facts.result.end() || !it->is_array()) return out;
  for (const auto& p : *it) {
    if (!p.is_object()) continue;
    RunPhase phase{p.value("name", std::string("?")), p.value("begin_s", 0.0), p.value("end_s", 0.0), p.value("seconds", 0.0)};
    if (phase.seconds <= 0) phase.seconds = phase.end_s - phase.begin_s;
    out.push_back(std::move(phase));
  }
  return out;
}

void ComparePanel::choose(int a, int b, bool phases) {
  a_ = a;
  b_ = b;
  phases_ = phases;
  chosen_ = true;
  chosen_lesson_.clear();  // kept whatever the lesson
}

void ComparePanel::draw(Ui& ui) {
  const Classroom& c = ui.classroom;
  std::vector<const RunRecord*> finished;
  for (const auto& r : c.runs())
    if (!r->live()) finished.push_back(r.get());
  tracks_drawn_ = 0;
  if (finished.empty()) {
    ImGui::TextDisabled("%s", ui.tr("compare.empty"));
    return;
  }
  // Until the teacher picks (and again when the lesson changes), the chosen lesson's last two runs that differ in a
  // parameter, else its last two, following new runs; a single run with phases shows its phases.
  if (chosen_ && !chosen_lesson_.empty() && chosen_lesson_ != c.lesson().id) chosen_ = false;
  if (!chosen_ || !find_run(c, a_) || !find_run(c, b_)) {
    chosen_ = false;
    std::tie(a_, b_) = default_comparison(c);
  }
  const RunRecord& a = *find_run(c, a_);
  const RunRecord& b = *find_run(c, b_);
  const std::vector<RunPhase> phases = phases_of(a.facts());
  if (!chosen_) phases_ = a_ == b_ && !phases.empty();
  if (phases.empty()) phases_ = false;

  // Both pickers and the phases switch on one line, at 200 % too.
  const float pick_width = std::min(ui.px(300), std::round(ImGui::GetContentRegionAvail().x * 0.3f));
  auto pick = [&](const char* id, const char* letter, int& number) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(letter);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(pick_width);
    if (ImGui::BeginCombo(id, run_label(ui, *find_run(c, number)).c_str())) {
      for (const RunRecord* r : finished)
        if (ImGui::Selectable(fmt::format("{} · {:.2f} s", run_label(ui, *r), r->facts().wall_seconds).c_str(), r->number() == number)) {
          number = r->number();
          chosen_ = true;
          chosen_lesson_ = c.lesson().id;
        }
      ImGui::EndCombo();
    }
  };
  pick("##a", "A", a_);
  ImGui::SameLine(0, ui.px(16));
  ImGui::BeginDisabled(phases_);
  pick("##b", "B", b_);
  ImGui::EndDisabled();
  if (!phases.empty()) {
    ImGui::SameLine(0, ui.px(16));
    if (ImGui::Checkbox(label(ui.tr("compare.phases"), "phases").c_str(), &phases_)) {
      chosen_ = true;
      chosen_lesson_ = c.lesson().id;
    }
  }

  std::vector<Track> tracks;
  std::vector<Guide> guides;
  if (phases_) {
    // Lesson seconds are trace seconds times the speed factor.
    const double to_ns = 1e9 / std::max(a.facts().speed, 1e-9);
    for (const RunPhase& p : phases) {
      const auto begin = static_cast<std::int64_t>(p.begin_s * to_ns);
      const auto end = static_cast<std::int64_t>(p.end_s * to_ns);
      tracks.push_back(Track{&a.model(), TrackWindow{begin, begin, end, a.model().end_ns()},
                             fmt::format("{} · {:.3f} s", ui.names(a.facts().lesson).mark(p.name), p.seconds), nullptr, false, false});
    }
    if (const auto floor = a.facts().result.find("floor_seconds"); floor != a.facts().result.end() && floor->is_number())
      guides.push_back(Guide{floor->get<double>() * to_ns, ui.text.format("compare.floor", floor->get<double>()), kFloor});
  } else {
    // Each named by what differs from the other ("lock=false" against "lock=true").
    for (const auto& [letter, run, other] : {std::tuple{"A", &a, &b}, std::tuple{"B", &b, &a}})
      tracks.push_back(Track{&run->model(), run->whole(),
                             fmt::format("{} · #{} · {} · {:.2f} s", letter, run->number(), what_differs(ui, *run, *other), run->facts().wall_seconds),
                             nullptr, false, false});
  }
  for (Track& t : tracks) t.names = &ui.names(t.model == &a.model() ? a.facts().lesson : b.facts().lesson);
  tracks_drawn_ = tracks.size();
  titles_.clear();
  for (const Track& t : tracks) titles_.push_back(t.title);

  // The table takes the height of its rows (every one visible), up to half the panel; past that it scrolls.
  const std::size_t rows = phases_ ? phases.size() + 2 : result_keys(a, b).size() + (a.lesson() == b.lesson() ? 5 : 6);
  const float row_height = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2;
  const float table_height =
      std::min(std::round(static_cast<float>(rows) * row_height + ImGui::GetStyle().ItemSpacing.y * 2 + ImGui::GetTextLineHeightWithSpacing()),
               std::round(ImGui::GetContentRegionAvail().y * 0.5f));
  canvas_.set_min_lane_height(14);  // two runs share the height
  // Phases are measured in lesson seconds; so is their axis then.
  if (phases_) canvas_.set_ruler(a.facts().speed, "compare.lesson_time");
  else canvas_.set_ruler(1, "timeline.time");
  ImGui::BeginChild("compare_canvas", {0, ImGui::GetContentRegionAvail().y - table_height}, false,
                    ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoScrollbar);
  canvas_.draw(ui, tracks, view_, guides);
  ImGui::EndChild();
  if (phases_) draw_phase_table(ui, a);
  else draw_run_table(ui, a, b);
}

void ComparePanel::draw_run_table(Ui& ui, const RunRecord& a, const RunRecord& b) {
  constexpr ImGuiTableFlags kFlags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                     ImGuiTableFlags_SizingStretchProp;
  if (!ImGui::BeginTable("compare_facts", 3, kFlags)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn(ui.tr("compare.fact"));
  ImGui::TableSetupColumn(fmt::format("A · #{} · {}", a.number(), what_differs(ui, a, b)).c_str());
  ImGui::TableSetupColumn(fmt::format("B · #{} · {}", b.number(), what_differs(ui, b, a)).c_str());
  ImGui::TableHeadersRow();
  auto row = [&](const std::string& name, const std::string& left, const std::string& right) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(name.c_str());
    const bool differ = left != right;
    for (const std::string* text : {&left, &right}) {
      ImGui::TableNextColumn();
      if (differ) ImGui::TextColored(kDifferent, "%s", text->c_str());
      else ImGui::TextUnformatted(text->c_str());
    }
  };
  const RunFacts& fa = a.facts();
  const RunFacts& fb = b.facts();
  // What differs first: the time, then the results (sold, oversold, ...), then how the runs were made.
  row(ui.tr("compare.wall"), fmt::format("{:.3f} s", fa.wall_seconds), fmt::format("{:.3f} s", fb.wall_seconds));
  const LessonNames& names = ui.names(fa.lesson);
  for (const std::string& key : result_keys(a, b))
    row(names.result(key), value_text(ui, fa.result.value(key, nlohmann::json())), value_text(ui, fb.result.value(key, nlohmann::json())));
  row(ui.tr("compare.invariants"), fa.invariants_ok() ? ui.tr("result.ok") : ui.tr("result.failed"),
      fb.invariants_ok() ? ui.tr("result.ok") : ui.tr("result.failed"));
  row(ui.tr("compare.params"), params_text(ui, fa.lesson, fa.params), params_text(ui, fb.lesson, fb.params));
  row(ui.tr("compare.processes"), std::to_string(a.model().processes().size()), std::to_string(b.model().processes().size()));
  if (fa.lesson != fb.lesson) row(ui.tr("compare.lesson"), fa.lesson, fb.lesson);  // the same lesson: the titles say it
  table_rows_ = static_cast<std::size_t>(ImGui::TableGetRowIndex()) + 1;
  table_clipped_ = ImGui::GetScrollMaxY() > 0;
  ImGui::EndTable();
}

void ComparePanel::draw_phase_table(Ui& ui, const RunRecord& run) const {
  std::vector<RunPhase> phases = phases_of(run.facts());
  for (RunPhase& p : phases) p.name = ui.names(run.facts().lesson).mark(p.name);  // a phase is named by its mark
  const double floor = run.facts().result.value("floor_seconds", 0.0);
  double longest = floor;
  for (const RunPhase& p : phases) longest = std::max(longest, p.seconds);
  if (phases.size() >= 2 && phases.back().seconds > 0)
    ImGui::TextUnformatted(ui.text.format("compare.speedup", phases.front().seconds / phases.back().seconds, phases.back().name,
                                          phases.front().name).c_str());
  constexpr ImGuiTableFlags kFlags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchProp;
  if (!ImGui::BeginTable("phases", 3, kFlags)) return;
  ImGui::TableSetupColumn(ui.tr("compare.phase"), ImGuiTableColumnFlags_WidthFixed, ui.px(140));
  ImGui::TableSetupColumn(ui.tr("compare.seconds"), ImGuiTableColumnFlags_WidthFixed, ui.px(90));
  ImGui::TableSetupColumn(ui.tr("compare.bar"));
  ImGui::TableHeadersRow();
  auto bar = [&](double seconds, ImU32 color) {
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float width = ImGui::GetContentRegionAvail().x;
    const float height = ImGui::GetTextLineHeight();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    if (longest > 0) draw->AddRectFilled(at, {at.x + width * static_cast<float>(seconds / longest), at.y + height}, color, 2);
    if (floor > 0 && longest > 0) {
      const float x = at.x + width * static_cast<float>(floor / longest);
      draw->AddLine({x, at.y - 2}, {x, at.y + height + 2}, kFloor, ui.px(2));
    }
    ImGui::Dummy({width, height});
  };
  for (const RunPhase& p : phases) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(p.name.c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%.3f s", p.seconds);
    ImGui::TableNextColumn();
    bar(p.seconds, IM_COL32(100, 181, 246, 255));
  }
  if (floor > 0) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kFloor), "%s", ui.tr("compare.floor_row"));
    ImGui::TableNextColumn();
    ImGui::Text("%.3f s", floor);
    ImGui::TableNextColumn();
    bar(floor, IM_COL32(255, 214, 0, 110));
  }
  ImGui::EndTable();
}

}  // namespace forkscope::gui
