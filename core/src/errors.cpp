#include "forkscope/errors.hpp"

#include <cstring>

#include <fmt/format.h>

namespace forkscope {

std::string describe_errno(std::string_view what, int saved_errno) {
  const char* name = strerrorname_np(saved_errno);
  return fmt::format("{} failed: {} ({})", what, std::strerror(saved_errno), name ? name : "?");
}

void throw_system(std::string_view what, int saved_errno) { throw SystemFailure(describe_errno(what, saved_errno)); }

}  // namespace forkscope
