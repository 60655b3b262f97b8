#include "forkscope/big_vector.hpp"

#include <cstdlib>

namespace forkscope {

void* detail::resize_array(void* old, std::size_t bytes) {
  if (bytes == 0) {
    std::free(old);
    return nullptr;
  }
  void* resized = std::realloc(old, bytes);
  if (resized == nullptr) throw std::bad_alloc();
  return resized;
}

}  // namespace forkscope
