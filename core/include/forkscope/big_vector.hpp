// BigVector: the model's big arrays (its spans, samples, flows, lines and holds; the GUI's operation lists; the
// viewer's drain buffers). A vector of trivially copyable elements that grows with realloc: in place where the heap has
// room after it, and by moving page tables (mremap) once the C library has given it a mapping of its own. A
// std::vector that doubles allocates anew, copies everything and faults in the new pages at once: in a live run of a
// million events a second the slowest frames (33-57 ms) were those doublings, 10 ms with BigVector.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <new>
#include <type_traits>
#include <utility>

namespace forkscope {

namespace detail {
// realloc, and free for 0 bytes. Throws std::bad_alloc, and then `old` is as it was.
[[nodiscard]] void* resize_array(void* old, std::size_t bytes);
}  // namespace detail

template <class T>
class BigVector {
  static_assert(std::is_trivially_copyable_v<T>, "a BigVector's elements move as bytes");
  static_assert(alignof(T) <= alignof(std::max_align_t));

 public:
  using value_type = T;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;
  using pointer = T*;
  using const_pointer = const T*;
  using iterator = T*;
  using const_iterator = const T*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  BigVector() = default;
  BigVector(std::initializer_list<T> items) { assign(items.begin(), items.end()); }
  BigVector(const BigVector& other) { assign(other.begin(), other.end()); }
  BigVector(BigVector&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  BigVector& operator=(const BigVector& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  BigVector& operator=(BigVector&& other) noexcept {
    BigVector(std::move(other)).swap(*this);
    return *this;
  }
  ~BigVector() { (void)detail::resize_array(data_, 0); }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  [[nodiscard]] T* data() { return data_; }
  [[nodiscard]] const T* data() const { return data_; }
  [[nodiscard]] T& operator[](std::size_t i) { return data_[i]; }
  [[nodiscard]] const T& operator[](std::size_t i) const { return data_[i]; }
  [[nodiscard]] T& front() { return data_[0]; }
  [[nodiscard]] const T& front() const { return data_[0]; }
  [[nodiscard]] T& back() { return data_[size_ - 1]; }
  [[nodiscard]] const T& back() const { return data_[size_ - 1]; }
  [[nodiscard]] iterator begin() { return data_; }
  [[nodiscard]] iterator end() { return data_ + size_; }
  [[nodiscard]] const_iterator begin() const { return data_; }
  [[nodiscard]] const_iterator end() const { return data_ + size_; }
  [[nodiscard]] reverse_iterator rbegin() { return reverse_iterator(end()); }
  [[nodiscard]] reverse_iterator rend() { return reverse_iterator(begin()); }
  [[nodiscard]] const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  [[nodiscard]] const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

  void push_back(const T& value) {
    if (size_ == capacity_) {
      const T copy = value;  // `value` may be one of ours, and growing moves them
      grow(size_ + 1);
      data_[size_++] = copy;
      return;
    }
    data_[size_++] = value;
  }
  void pop_back() { --size_; }
  void reserve(std::size_t n) {
    if (n > capacity_) set_capacity(n);
  }
  void resize(std::size_t n) {  // new elements are value-initialised, as in std::vector
    if (n > capacity_) grow(n);
    std::fill(data_ + size_, data_ + std::max(size_, n), T{});
    size_ = n;
  }
  void clear() { size_ = 0; }
  void shrink_to_fit() {
    if (capacity_ > size_) set_capacity(size_);
  }
  void append(const T* first, std::size_t n) {  // `first` must not point into this vector
    if (size_ + n > capacity_) grow(size_ + n);
    if (n > 0) std::memcpy(data_ + size_, first, n * sizeof(T));
    size_ += n;
  }
  iterator insert(const_iterator at, const T& value) {
    const auto i = static_cast<std::size_t>(at - data_);
    const T copy = value;
    if (size_ == capacity_) grow(size_ + 1);
    move_elements(i + 1, i, size_ - i);
    data_[i] = copy;
    ++size_;
    return data_ + i;
  }
  iterator erase(const_iterator first, const_iterator last) {
    const auto i = static_cast<std::size_t>(first - data_), n = static_cast<std::size_t>(last - first);
    move_elements(i, i + n, size_ - i - n);
    size_ -= n;
    return data_ + i;
  }
  template <class It>
  void assign(It first, It last) {
    const auto n = static_cast<std::size_t>(std::distance(first, last));
    if (n > capacity_) {
      BigVector fresh;
      fresh.set_capacity(n);
      fresh.size_ = static_cast<std::size_t>(std::copy(first, last, fresh.data_) - fresh.data_);
      swap(fresh);
      return;
    }
    size_ = static_cast<std::size_t>(std::copy(first, last, data_) - data_);
  }
  void swap(BigVector& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }
  friend bool operator==(const BigVector& a, const BigVector& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  void move_elements(std::size_t to, std::size_t from, std::size_t n) {
    if (n > 0) std::memmove(data_ + to, data_ + from, n * sizeof(T));  // never memmove(nullptr, ...), even of 0 bytes
  }
  void grow(std::size_t at_least) { set_capacity(std::max({at_least, 2 * capacity_, std::size_t{8}})); }
  void set_capacity(std::size_t n) {
    if (n > SIZE_MAX / sizeof(T) / 2) throw std::bad_array_new_length();
    data_ = static_cast<T*>(detail::resize_array(data_, n * sizeof(T)));
    capacity_ = n;
    size_ = std::min(size_, n);
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace forkscope
