// PidTable: the pids seen so far, each numbered by when it was first seen (0, 1, 2, ...): the event log's lanes, and
// the count a trace file's check bounds. An open-addressed table at most half full, and the last pid asked for
// remembered (most events come in runs from one process): a lookup is a compare, or a multiply and a probe or two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace forkscope {

class PidTable {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  // The number of `pid`; a new one (size() before the call) for a pid not seen before.
  std::uint32_t number_of(std::int32_t pid) {
    if (pid == last_pid_ && last_number_ != kNone) return last_number_;
    const std::uint32_t number = find(pid);
    if (number == kNone) return insert(pid);
    last_pid_ = pid;
    return last_number_ = number;
  }
  [[nodiscard]] std::uint32_t find(std::int32_t pid) const {  // kNone for a pid never seen
    if (slots_.empty()) return kNone;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t s = hash(pid) & mask; slots_[s].second != 0; s = (s + 1) & mask)
      if (slots_[s].first == pid) return slots_[s].second - 1;
    return kNone;
  }
  [[nodiscard]] std::int32_t pid(std::uint32_t number) const { return pids_[number]; }
  [[nodiscard]] std::size_t size() const { return pids_.size(); }

 private:
  std::uint32_t insert(std::int32_t pid);  // a pid not seen before
  static std::uint32_t hash(std::int32_t pid) { return static_cast<std::uint32_t>(pid) * 0x9e3779b1u; }

  std::vector<std::int32_t> pids_;  // number -> pid
  std::vector<std::pair<std::int32_t, std::uint32_t>> slots_;  // pid -> number + 1 (0: an empty slot)
  std::int32_t last_pid_ = 0;
  std::uint32_t last_number_ = kNone;
};

}  // namespace forkscope
