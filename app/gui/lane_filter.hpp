// The timeline's lane filter (issue 15: a thousand lanes stay usable). Space-separated terms, all of which a lane must
// match: plain text is looked for, case-insensitively, in the lane's name, its PID and the names of the objects its
// process touched (locks, queues, semaphores...); `state:WORD` (or `状态:WORD`) matches a lane whose process is in a
// state named by WORD at the playhead, or, without one, was in it at some time ("state:blocked", "state:lock",
// "状态:阻塞"). What each process touched and went through is followed event by event as the trace grows, so the
// match is made again only when the text, the playhead or those facts change, never by walking the trace each frame.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "forkscope/lesson_text.hpp"
#include "forkscope/trace_model.hpp"

namespace forkscope::gui {

class Strings;

class LaneFilter {
 public:
  void set_text(std::string_view text);
  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] bool active() const { return !terms_.empty(); }

  // The processes (threads included) whose lanes match, by pid; made again only when something it depends on changed.
  // `names`: the lesson's words for processes and objects (matched as well as the names the code gave).
  [[nodiscard]] const std::unordered_set<std::int32_t>& matches(const TraceModel& model, const Strings& strings,
                                                                const LessonNames* names, std::optional<std::int64_t> playhead_ns);

 private:
  struct Term {
    std::string text;  // lower case (ASCII)
    bool state = false;
  };
  // What a process did that a term may name, followed as its events and spans arrive.
  struct Facts {
    std::size_t spans_seen = 0;
    std::uint32_t states = 0;  // bit s: it was in ProcState s
    std::vector<std::uint16_t> objects;  // touched, sorted
  };
  bool follow(const TraceModel& model);  // true when some process's facts changed
  [[nodiscard]] bool lane_matches(const TraceModel& model, const ProcessInfo& process, const Facts& facts,
                                  const LessonNames* names, std::optional<std::int64_t> playhead_ns) const;
  void name_states(const Strings& strings);

  std::string text_;
  std::vector<Term> terms_;
  const TraceModel* model_ = nullptr;
  std::vector<Facts> facts_;  // per process, in the model's order
  std::size_t events_seen_ = 0;  // of the model's events, those whose objects are in facts_
  std::vector<std::string> state_names_;  // per ProcState, lower case, in the language named
  std::string blocked_name_;              // the word for any blocked state ("blocked", "阻塞")
  std::string language_;
  struct Key {
    std::string text, language;
    const TraceModel* model = nullptr;
    std::size_t processes = 0, objects = 0, revision = 0;
    std::optional<std::int64_t> playhead_ns;
    const LessonNames* names = nullptr;
    bool operator==(const Key&) const = default;
  } key_;
  std::size_t revision_ = 0;  // bumped when facts change
  std::unordered_set<std::int32_t> matches_;
};

// "1,000": a count with its thousands apart.
[[nodiscard]] std::string grouped(std::size_t n);

}  // namespace forkscope::gui
