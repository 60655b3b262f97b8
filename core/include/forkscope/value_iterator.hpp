// ValueIterator: a random-access iterator over a container that keeps its elements packed and hands each out by value
// (EventLog's events, SpanList's spans). Range-for, the standard algorithms and `it->field` work as on a vector.
#pragma once

#include <compare>
#include <cstddef>
#include <iterator>

namespace forkscope {

template <class Container, class Value>
class ValueIterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using reference = Value;
  struct pointer {  // it->field: the value lives as long as the arrow's expression
    Value value;
    const Value* operator->() const { return &value; }
  };

  ValueIterator() = default;
  ValueIterator(const Container* c, std::size_t i) : c_(c), i_(i) {}
  Value operator*() const { return (*c_)[i_]; }
  pointer operator->() const { return {(*c_)[i_]}; }
  Value operator[](difference_type n) const { return (*c_)[i_ + static_cast<std::size_t>(n)]; }
  ValueIterator& operator++() { ++i_; return *this; }
  ValueIterator operator++(int) { return {c_, i_++}; }
  ValueIterator& operator--() { --i_; return *this; }
  ValueIterator operator--(int) { return {c_, i_--}; }
  ValueIterator& operator+=(difference_type n) { i_ += static_cast<std::size_t>(n); return *this; }
  ValueIterator& operator-=(difference_type n) { i_ -= static_cast<std::size_t>(n); return *this; }
  friend ValueIterator operator+(ValueIterator it, difference_type n) { return it += n; }
  friend ValueIterator operator+(difference_type n, ValueIterator it) { return it += n; }
  friend ValueIterator operator-(ValueIterator it, difference_type n) { return it -= n; }
  friend difference_type operator-(const ValueIterator& a, const ValueIterator& b) {
    return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
  }
  friend auto operator<=>(const ValueIterator& a, const ValueIterator& b) { return a.i_ <=> b.i_; }
  friend bool operator==(const ValueIterator& a, const ValueIterator& b) { return a.i_ == b.i_; }

 private:
  const Container* c_ = nullptr;
  std::size_t i_ = 0;
};

}  // namespace forkscope
