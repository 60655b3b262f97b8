#include "forkscope/text_table.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace forkscope {

namespace {
std::size_t hash(StringId id) { return static_cast<std::size_t>(id * 0x9e3779b1u); }
}  // namespace

std::size_t TextTable::slot_of(StringId id) const {
  const std::size_t mask = slots_.size() - 1;
  std::size_t s = hash(id) & mask;
  while (slots_[s] != 0 && entries_[slots_[s] - 1].id != id) s = (s + 1) & mask;
  return s;
}

std::optional<std::string_view> TextTable::find(StringId id) const {
  if (slots_.empty()) return std::nullopt;
  const std::uint32_t entry = slots_[slot_of(id)];
  if (entry == 0) return std::nullopt;
  return std::string_view(entries_[entry - 1].data, entries_[entry - 1].length);
}

std::string_view TextTable::add(StringId id, std::string_view text) {
  if (const auto stored = find(id)) return *stored;
  if (3 * slots_.size() < 4 * (entries_.size() + 1)) {  // keep at most three quarters of the slots full
    slots_.assign(std::bit_ceil(std::max<std::size_t>(64, 2 * (entries_.size() + 1))), 0);
    for (std::uint32_t e = 0; e < entries_.size(); ++e) slots_[slot_of(entries_[e].id)] = e + 1;
  }
  // Into the last chunk if it has room and no other model shares it (what a copy shares, it never sees change);
  // else into a new one. A text longer than a chunk gets one of its own size.
  if (chunks_.empty() || chunks_.back().use_count() > 1 || last_chunk_bytes_ - used_ < text.size()) {
    last_chunk_bytes_ = std::max(kChunkBytes, text.size());
    chunks_.push_back(std::make_shared_for_overwrite<char[]>(last_chunk_bytes_));
    used_ = 0;
  }
  char* at = chunks_.back().get() + used_;
  if (!text.empty()) std::memcpy(at, text.data(), text.size());
  used_ += text.size();
  entries_.push_back(Entry{at, static_cast<std::uint32_t>(text.size()), id});
  slots_[slot_of(id)] = static_cast<std::uint32_t>(entries_.size());
  return {at, text.size()};
}

bool TextTable::operator==(const TextTable& other) const {
  if (size() != other.size()) return false;
  return std::all_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return other.find(e.id) == std::string_view(e.data, e.length);
  });
}

}  // namespace forkscope
