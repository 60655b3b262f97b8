// TextTable: the model's strings by id (every printed line, name, task label and error an event carried), each stored
// once, packed in shared chunks. A printed line's PrintedLine::text is a view into it, not a copy: a student's loop of
// a million prints costs its characters and about 24 bytes of index a line, not two heap strings and a hash-map
// node. Appended to, never changed: a copy of a model shares the chunks already written (so views into them stay valid
// while any model holding them lives), and writes what it adds into chunks of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "forkscope/trace_event.hpp"
#include "forkscope/value_iterator.hpp"

namespace forkscope {

class TextTable {
 public:
  // Stores `text` under `id`, unless `id` has a text already: the first one stays. Returns the stored text.
  std::string_view add(StringId id, std::string_view text);
  // The text of `id`, if it has one.
  [[nodiscard]] std::optional<std::string_view> find(StringId id) const;

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  // In the order they were added.
  [[nodiscard]] std::pair<StringId, std::string_view> operator[](std::size_t i) const {
    return {entries_[i].id, {entries_[i].data, entries_[i].length}};
  }
  using const_iterator = ValueIterator<TextTable, std::pair<StringId, std::string_view>>;
  [[nodiscard]] const_iterator begin() const { return {this, 0}; }
  [[nodiscard]] const_iterator end() const { return {this, size()}; }

  // The same ids with the same texts, in any order (a saved and loaded trace lists them in another).
  [[nodiscard]] bool operator==(const TextTable& other) const;

 private:
  static constexpr std::size_t kChunkBytes = 64 * 1024;
  [[nodiscard]] std::size_t slot_of(StringId id) const;  // its slot, or the empty one where it would go

  struct Entry {  // 16 bytes
    const char* data;  // into chunks_
    std::uint32_t length;
    StringId id;
  };
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> slots_;          // open addressing over ids: entry + 1, 0 = empty; at most 3/4 full
  std::vector<std::shared_ptr<char[]>> chunks_;
  std::size_t used_ = 0;                      // bytes written in chunks_.back()
  std::size_t last_chunk_bytes_ = 0;          // its size
};

}  // namespace forkscope
