// The values lessons pass through queues, pipes and pools: Python's None, int, float and str.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include <fmt/format.h>

namespace forkscope {

struct NoneType {
  friend bool operator==(NoneType, NoneType) = default;
};
inline constexpr NoneType None{};

class Value {
 public:
  Value() = default;
  Value(NoneType) {}
  Value(int v) : v_(std::int64_t{v}) {}
  Value(long v) : v_(std::int64_t{v}) {}
  Value(long long v) : v_(std::int64_t{v}) {}
  Value(double v) : v_(v) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(const char* v) : v_(std::string(v)) {}

  [[nodiscard]] bool is_none() const { return std::holds_alternative<NoneType>(v_); }
  [[nodiscard]] bool is_int() const { return std::holds_alternative<std::int64_t>(v_); }
  [[nodiscard]] bool is_float() const { return std::holds_alternative<double>(v_); }
  [[nodiscard]] bool is_str() const { return std::holds_alternative<std::string>(v_); }

  // Accessors throw ValueError when the value holds another type (like a failed Python conversion).
  [[nodiscard]] std::int64_t as_int() const;
  [[nodiscard]] double as_float() const;  // ints convert
  [[nodiscard]] const std::string& as_str() const;

  // Python's repr-like text: None, 3, 2.5, '包子0'.
  [[nodiscard]] std::string repr() const;
  // Python's str(): None, 3, 2.5, 包子0.
  [[nodiscard]] std::string str() const;

  friend bool operator==(const Value&, const Value&) = default;

  using Variant = std::variant<NoneType, std::int64_t, double, std::string>;
  [[nodiscard]] const Variant& variant() const { return v_; }

 private:
  Variant v_;
};

}  // namespace forkscope

template <>
struct fmt::formatter<forkscope::Value> : fmt::formatter<std::string> {
  auto format(const forkscope::Value& v, format_context& ctx) const { return fmt::formatter<std::string>::format(v.str(), ctx); }
};
