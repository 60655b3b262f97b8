// The values lessons pass through queues, pipes, pools and managers: Python's None, bool, int, float, str, bytes,
// tuple, list and dict, nested as deep as 100 levels. They print, compare and fail like Python's:
//   Value::tuple({1, "a"}).repr()          (1, 'a')
//   Value::dict({{"k", true}}).repr()       {'k': True}
//   Value(1) == Value(1.0), Value(true) == Value(1)
//   Value::list({1})[-1]                    1 (IndexError past the end)
// Containers are copied like C++ values: a list taken from a queue is the receiver's own copy, as in Python, where
// it is a new object unpickled from the bytes that crossed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

namespace forkscope {

struct NoneType {
  friend bool operator==(NoneType, NoneType) = default;
};
inline constexpr NoneType None{};

class Value;

// Python's bytes: a string of octets, printed b'...'.
struct Bytes {
  std::string data;
};
struct Tuple {
  std::vector<Value> items;
};
struct List {
  std::vector<Value> items;
};
// Keys in insertion order, as Python 3.7+ keeps them; each key is hashable and appears once.
struct Dict {
  std::vector<std::pair<Value, Value>> items;
};

// A manager's shared object kept inside another one (d["inner"] = manager.list()): which manager holds it, what it
// is and its number there. That manager's proxies turn it back into a proxy of the same object.
struct SharedRef {
  enum class Kind : std::uint8_t { Dict, List, Value, Namespace };
  std::uint16_t manager = 0;
  Kind kind = Kind::Dict;
  std::int64_t referent = 0;
  friend bool operator==(const SharedRef&, const SharedRef&) = default;
};

class Value {
 public:
  using Items = std::vector<Value>;
  using DictItems = std::vector<std::pair<Value, Value>>;

  Value() = default;
  Value(NoneType) {}
  Value(bool v) : v_(v) {}
  Value(int v) : v_(std::int64_t{v}) {}
  Value(long v) : v_(std::int64_t{v}) {}
  Value(long long v) : v_(std::int64_t{v}) {}
  Value(double v) : v_(v) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(SharedRef v) : v_(v) {}

  // Python's b'...', (...), [...] and {...}. dict() keeps the last value of a repeated key, like a dict display,
  // and raises TypeError for an unhashable key (a list or dict).
  [[nodiscard]] static Value bytes(std::string octets) { return Value(Alternative{}, Bytes{std::move(octets)}); }
  [[nodiscard]] static Value tuple(Items items) { return Value(Alternative{}, Tuple{std::move(items)}); }
  [[nodiscard]] static Value list(Items items = {}) { return Value(Alternative{}, List{std::move(items)}); }
  [[nodiscard]] static Value dict(const DictItems& items = {});

  [[nodiscard]] bool is_none() const { return holds<NoneType>(); }
  [[nodiscard]] bool is_bool() const { return holds<bool>(); }
  [[nodiscard]] bool is_int() const { return holds<std::int64_t>(); }  // not a bool, unlike Python's isinstance
  [[nodiscard]] bool is_float() const { return holds<double>(); }
  [[nodiscard]] bool is_str() const { return holds<std::string>(); }
  [[nodiscard]] bool is_bytes() const { return holds<Bytes>(); }
  [[nodiscard]] bool is_tuple() const { return holds<Tuple>(); }
  [[nodiscard]] bool is_list() const { return holds<List>(); }
  [[nodiscard]] bool is_dict() const { return holds<Dict>(); }
  [[nodiscard]] bool is_shared_ref() const { return holds<SharedRef>(); }
  // What Python can use as a dict key: None, bool, int, float, str, bytes, and tuples of those.
  [[nodiscard]] bool is_hashable() const;
  // Python's type(v).__name__: 'NoneType', 'bool', 'int', 'float', 'str', 'bytes', 'tuple', 'list', 'dict'.
  [[nodiscard]] std::string_view type_name() const;

  // Accessors raise like a failed Python conversion: ValueError for another scalar (int('x')), TypeError for None
  // or a container (int([1])).
  [[nodiscard]] bool as_bool() const;          // a bool only
  [[nodiscard]] std::int64_t as_int() const;   // bools convert, as True + 1 == 2 in Python
  [[nodiscard]] double as_float() const;       // ints and bools convert
  [[nodiscard]] const std::string& as_str() const;
  [[nodiscard]] const std::string& as_bytes() const;
  [[nodiscard]] const Items& as_tuple() const;
  [[nodiscard]] const Items& as_list() const;
  [[nodiscard]] Items& as_list();  // a list is mutable, as in Python
  [[nodiscard]] const DictItems& as_dict() const;
  [[nodiscard]] const SharedRef& as_shared_ref() const;

  // Python's len(): characters are counted as UTF-8 bytes. TypeError for a number or None.
  [[nodiscard]] std::int64_t len() const;
  // Python's v[key]: an int index of a tuple or list (negative counts from the end; IndexError), a key of a dict
  // (KeyError). TypeError for anything else.
  [[nodiscard]] const Value& operator[](const Value& key) const;
  // Python's v[key] = item: a list's index (IndexError) or a dict's key (added at the end when new).
  void set_item(const Value& key, Value item);
  // A dict's value for `key`, or nullptr: Python's `key in d` without the KeyError. TypeError when unhashable.
  [[nodiscard]] const Value* find(const Value& key) const;

  // Python's repr(): None, True, 3, 2.5, 'it\'s' as "it's", b'\x00', (1,), [1, 'a'], {'k': 1}.
  [[nodiscard]] std::string repr() const;
  // Python's str(): the same, except that a str is its own text.
  [[nodiscard]] std::string str() const;

  // Python's ==: numbers compare by value across bool, int and float (True == 1 == 1.0); a tuple never equals a
  // list; dicts are equal when they hold the same keys with equal values, in any order.
  friend bool operator==(const Value& a, const Value& b);

  using Variant = std::variant<NoneType, bool, std::int64_t, double, std::string, Bytes, Tuple, List, Dict, SharedRef>;
  [[nodiscard]] const Variant& variant() const { return v_; }

 private:
  struct Alternative {};
  Value(Alternative, Variant v) : v_(std::move(v)) {}
  template <class T>
  [[nodiscard]] bool holds() const { return std::holds_alternative<T>(v_); }

  Variant v_;
};

// Python's + and - : numbers add (int stays int unless a float is involved), and + concatenates two str, two
// bytes, two tuples or two lists. TypeError for other pairs, ValueError when an int overflows 64 bits.
[[nodiscard]] Value operator+(const Value& a, const Value& b);
[[nodiscard]] Value operator-(const Value& a, const Value& b);

}  // namespace forkscope

template <>
struct fmt::formatter<forkscope::Value> : fmt::formatter<std::string> {
  auto format(const forkscope::Value& v, format_context& ctx) const { return fmt::formatter<std::string>::format(v.str(), ctx); }
};
