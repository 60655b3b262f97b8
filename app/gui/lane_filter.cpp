#include "lane_filter.hpp"

#include <algorithm>
#include <cctype>

#include "palette.hpp"
#include "strings.hpp"
#include "ui.hpp"

namespace forkscope::gui {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) { return lower(haystack).find(needle) != std::string::npos; }

// Whether `word` starts a word of `name`: at its start or after anything but an ASCII letter or digit, so "lock" names
// "blocked on a lock" but not every "blocked", and "锁" names "阻塞：等锁" (Chinese puts no spaces between words).
bool names_word(std::string_view name, std::string_view word) {
  for (std::size_t at = name.find(word); at != std::string_view::npos; at = name.find(word, at + 1))
    if (at == 0 || !std::isalnum(static_cast<unsigned char>(name[at - 1]))) return true;
  return false;
}

}  // namespace

std::string grouped(std::size_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

void LaneFilter::set_text(std::string_view text) {
  if (text == text_) return;
  text_ = text;
  terms_.clear();
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t begin = rest.find_first_not_of(" \t");
    if (begin == std::string_view::npos) break;
    rest.remove_prefix(begin);
    const std::size_t end = std::min(rest.find_first_of(" \t"), rest.size());
    std::string word = lower(rest.substr(0, end));
    rest.remove_prefix(end);
    Term term{word, false};
    for (std::string_view prefix : {"state:", "状态:", "状态："})
      if (word.starts_with(prefix)) term = Term{word.substr(prefix.size()), true};
    if (!term.text.empty()) terms_.push_back(std::move(term));
  }
}

bool LaneFilter::follow(const TraceModel& model) {
  const EventLog& events = model.events();
  if (model_ != &model || model.processes().size() < facts_.size() || events.size() < events_seen_) {
    model_ = &model;
    facts_.clear();
    events_seen_ = 0;
  }
  const auto& processes = model.processes();
  facts_.resize(processes.size());
  bool changed = false;
  for (; events_seen_ < events.size(); ++events_seen_) {
    const TraceEvent e = events[events_seen_];
    const ProcessInfo* p = e.object == 0 ? nullptr : model.process(e.pid);
    if (p == nullptr) continue;
    std::vector<std::uint16_t>& objects = facts_[static_cast<std::size_t>(p - processes.data())].objects;
    const auto at = std::lower_bound(objects.begin(), objects.end(), e.object);
    if (at != objects.end() && *at == e.object) continue;
    objects.insert(at, e.object);
    changed = true;
  }
  for (std::size_t i = 0; i < processes.size(); ++i) {
    const ProcessInfo& p = processes[i];
    Facts& f = facts_[i];
    // The last span may still change (a live run's open span): it is looked at again next time.
    const std::uint32_t before = f.states;
    for (std::size_t s = f.spans_seen > 0 ? f.spans_seen - 1 : 0; s < p.spans.size(); ++s)
      f.states |= 1u << static_cast<unsigned>(p.spans[s].state);
    f.spans_seen = p.spans.size();
    changed |= f.states != before;
  }
  return changed;
}

void LaneFilter::name_states(const Strings& strings) {
  if (language_ == strings.language() && !state_names_.empty()) return;
  language_ = strings.language();
  state_names_.clear();
  for (std::size_t s = 0; s < static_cast<std::size_t>(ProcState::Count_); ++s)
    state_names_.push_back(lower(strings(state_key(static_cast<ProcState>(s)))));
  blocked_name_ = lower(strings(state_key(ProcState::BlockedOther)));
}

bool LaneFilter::lane_matches(const TraceModel& model, const ProcessInfo& process, const Facts& facts, const LessonNames* names,
                              std::optional<std::int64_t> playhead_ns) const {
  std::uint32_t states = facts.states;
  if (playhead_ns) {
    const auto span = process.span_at(*playhead_ns);
    states = span ? 1u << static_cast<unsigned>(span->state) : 0;
  }
  auto state_named = [&](const std::string& word) {
    for (std::size_t s = 0; s < state_names_.size(); ++s) {
      if (!(states & (1u << s))) continue;
      if (names_word(state_names_[s], word)) return true;
      if (is_blocked(static_cast<ProcState>(s)) && names_word(blocked_name_, word)) return true;
    }
    return false;
  };
  auto text_named = [&](const std::string& word) {
    const std::string_view name = lane_name(model, process);
    if (contains(name, word) || (names && contains(names->process(name), word))) return true;
    if (std::to_string(process.pid).find(word) != std::string::npos) return true;
    return std::any_of(facts.objects.begin(), facts.objects.end(), [&](std::uint16_t id) {
      const ObjectInfo* o = model.object(id);
      return o && (contains(o->name, word) || (names && contains(object_name(*names, *o), word)));
    });
  };
  return std::all_of(terms_.begin(), terms_.end(), [&](const Term& t) { return t.state ? state_named(t.text) : text_named(t.text); });
}

const std::unordered_set<std::int32_t>& LaneFilter::matches(const TraceModel& model, const Strings& strings, const LessonNames* names,
                                                            std::optional<std::int64_t> playhead_ns) {
  if (follow(model)) ++revision_;
  const bool states_asked = std::any_of(terms_.begin(), terms_.end(), [](const Term& t) { return t.state; });
  Key key{text_, strings.language(), &model, model.processes().size(), model.objects().size(), revision_,
          states_asked ? playhead_ns : std::nullopt, names};
  if (key == key_) return matches_;
  key_ = std::move(key);
  name_states(strings);
  matches_.clear();
  for (std::size_t i = 0; i < model.processes().size(); ++i)
    if (lane_matches(model, model.processes()[i], facts_[i], names, key_.playhead_ns)) matches_.insert(model.processes()[i].pid);
  return matches_;
}

}  // namespace forkscope::gui
