#include "forkscope/errors.hpp"

#include <cstring>
#include <functional>
#include <set>

#include <fmt/format.h>

namespace forkscope {

std::string describe_errno(std::string_view what, int saved_errno) {
  const char* name = strerrorname_np(saved_errno);
  return fmt::format("{} failed: {} ({})", what, std::strerror(saved_errno), name ? name : "?");
}

namespace {
template <class... Known>
[[noreturn]] void raise_as(std::string_view type, const std::string& message) {
  ((Known().python_name() == type ? throw Known(message) : void()), ...);
  // Other types keep their Python name; the exception keeps a view of it, so the name must outlive it.
  static std::set<std::string, std::less<>> names;
  throw Exception(message, *names.emplace(type).first);
}
}  // namespace

void raise_python_error(std::string_view type, const std::string& message) {
  raise_as<ValueError, KeyError, IndexError, TypeError, ZeroDivisionError, AttributeError, OSError, RuntimeError, AssertionError,
           EOFError, TimeoutError, Full, Empty, ForkError>(type, message);
}

void throw_system(std::string_view what, int saved_errno) { throw SystemFailure(describe_errno(what, saved_errno)); }

}  // namespace forkscope
