#include "forkscope/pid_table.hpp"

#include <algorithm>
#include <bit>

namespace forkscope {

std::uint32_t PidTable::insert(std::int32_t pid) {
  if (slots_.size() < 2 * (pids_.size() + 1)) {  // keep at most half the slots full
    std::vector<std::pair<std::int32_t, std::uint32_t>> grown(std::bit_ceil(std::max<std::size_t>(64, 4 * (pids_.size() + 1))));
    const std::size_t mask = grown.size() - 1;
    for (std::uint32_t number = 0; number < pids_.size(); ++number) {
      std::size_t s = hash(pids_[number]) & mask;
      while (grown[s].second != 0) s = (s + 1) & mask;
      grown[s] = {pids_[number], number + 1};
    }
    slots_ = std::move(grown);
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t s = hash(pid) & mask;
  while (slots_[s].second != 0 && slots_[s].first != pid) s = (s + 1) & mask;
  if (slots_[s].second == 0) {
    pids_.push_back(pid);
    slots_[s] = {pid, static_cast<std::uint32_t>(pids_.size())};
  }
  last_pid_ = pid;
  last_number_ = slots_[s].second - 1;
  return last_number_;
}

}  // namespace forkscope
