#include "forkscope/value.hpp"

#include "forkscope/errors.hpp"

namespace forkscope {

std::int64_t Value::as_int() const {
  if (const auto* v = std::get_if<std::int64_t>(&v_)) return *v;
  throw ValueError("expected an int, got " + repr());
}

double Value::as_float() const {
  if (const auto* v = std::get_if<double>(&v_)) return *v;
  if (const auto* v = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*v);
  throw ValueError("expected a float, got " + repr());
}

const std::string& Value::as_str() const {
  if (const auto* v = std::get_if<std::string>(&v_)) return *v;
  throw ValueError("expected a str, got " + repr());
}

std::string Value::str() const {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, NoneType>) return "None";
        else if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, double>) {
          std::string text = fmt::format("{}", x);  // shortest round-trip, like Python's repr
          if (text.find_first_of(".enia") == std::string::npos) text += ".0";  // Python writes 2.0, not 2
          return text;
        }
        else return fmt::format("{}", x);
      },
      v_);
}

std::string Value::repr() const { return is_str() ? fmt::format("'{}'", as_str()) : str(); }

}  // namespace forkscope
