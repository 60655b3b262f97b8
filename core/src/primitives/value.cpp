#include "forkscope/value.hpp"

#include <algorithm>
#include <optional>

#include "forkscope/errors.hpp"

namespace forkscope {

namespace {

struct ProxyName {
  std::string_view proxy, type_id;
};
ProxyName proxy_name(SharedRef::Kind kind) {
  switch (kind) {
    case SharedRef::Kind::Dict: return {"DictProxy", "dict"};
    case SharedRef::Kind::List: return {"ListProxy", "list"};
    case SharedRef::Kind::Value: return {"ValueProxy", "Value"};
    case SharedRef::Kind::Namespace: return {"NamespaceProxy", "Namespace"};
  }
  return {"BaseProxy", "?"};
}

// Python's quote choice: single quotes, unless the text has one and no double quote.
char quote_for(std::string_view text) {
  return text.find('\'') != std::string_view::npos && text.find('"') == std::string_view::npos ? '"' : '\'';
}

// The escapes Python's repr() writes for a str or a bytes. In a str, UTF-8 sequences stay as they are, except the
// few Latin-1 ones Python does not consider printable (C1 controls, no-break space, soft hyphen).
std::string quoted(std::string_view text, bool is_bytes) {
  const char quote = quote_for(text);
  std::string out(1, quote);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f || (is_bytes && c > 0x7f)) {
      out += fmt::format("\\x{:02x}", c);
    } else if (!is_bytes && c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next <= 0xA0 || next == 0xAD) {
        out += fmt::format("\\x{:02x}", next);
        ++i;
      } else {
        out += static_cast<char>(c);
      }
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + quote;
}

std::string float_repr(double x) {
  std::string text = fmt::format("{}", x);  // shortest round-trip, like Python's repr
  if (text.find_first_of(".enia") == std::string::npos) text += ".0";  // Python writes 2.0, not 2
  return text;
}

std::string join_reprs(const Value::Items& items) {
  std::string text;
  for (const Value& v : items) text += (text.empty() ? "" : ", ") + v.repr();
  return text;
}

bool is_number(const Value& v) { return v.is_int() || v.is_bool() || v.is_float(); }

// Python compares an int and a float exactly, not after rounding the int to a double.
bool int_equals_float(std::int64_t i, double f) {
  return static_cast<double>(i) == f && f >= -0x1p63 && f < 0x1p63 && static_cast<std::int64_t>(f) == i;
}

bool numbers_equal(const Value& a, const Value& b) {
  if (a.is_float() && b.is_float()) return a.as_float() == b.as_float();
  if (a.is_float()) return int_equals_float(b.as_int(), a.as_float());
  if (b.is_float()) return int_equals_float(a.as_int(), b.as_float());
  return a.as_int() == b.as_int();
}

// A negative index counts from the end; nullopt when it is outside [0, size).
std::optional<std::size_t> position(std::int64_t index, std::size_t size) {
  const auto n = static_cast<std::int64_t>(size);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return std::nullopt;
  return static_cast<std::size_t>(index);
}

std::int64_t index_of(const Value& key, std::string_view container) {
  if (!key.is_int() && !key.is_bool())
    throw TypeError(fmt::format("{} indices must be integers or slices, not {}", container, key.type_name()));
  return key.as_int();
}

[[noreturn]] void wrong_type(const Value& v, std::string_view expected) {
  const bool scalar = !v.is_none() && (v.is_bool() || v.is_int() || v.is_float() || v.is_str() || v.is_bytes());
  const std::string message = fmt::format("expected {}, got {}", expected, v.repr());
  if (scalar) throw ValueError(message);
  throw TypeError(message);
}

}  // namespace

Value Value::dict(const DictItems& items) {
  Value d(Alternative{}, Dict{});
  for (const auto& [key, value] : items) d.set_item(key, value);
  return d;
}

bool Value::is_hashable() const {
  if (const auto* t = std::get_if<Tuple>(&v_)) return std::ranges::all_of(t->items, &Value::is_hashable);
  return !is_list() && !is_dict() && !is_shared_ref();
}

std::string_view Value::type_name() const {
  static constexpr std::string_view kNames[] = {"NoneType", "bool", "int",   "float", "str",
                                                "bytes",    "tuple", "list", "dict"};
  if (const auto* ref = std::get_if<SharedRef>(&v_)) return proxy_name(ref->kind).proxy;
  return kNames[v_.index()];
}

bool Value::as_bool() const {
  if (const auto* v = std::get_if<bool>(&v_)) return *v;
  wrong_type(*this, "a bool");
}

std::int64_t Value::as_int() const {
  if (const auto* v = std::get_if<std::int64_t>(&v_)) return *v;
  if (const auto* v = std::get_if<bool>(&v_)) return *v ? 1 : 0;
  wrong_type(*this, "an int");
}

double Value::as_float() const {
  if (const auto* v = std::get_if<double>(&v_)) return *v;
  if (is_int() || is_bool()) return static_cast<double>(as_int());
  wrong_type(*this, "a float");
}

const std::string& Value::as_str() const {
  if (const auto* v = std::get_if<std::string>(&v_)) return *v;
  wrong_type(*this, "a str");
}

const std::string& Value::as_bytes() const {
  if (const auto* v = std::get_if<Bytes>(&v_)) return v->data;
  wrong_type(*this, "bytes");
}

const Value::Items& Value::as_tuple() const {
  if (const auto* v = std::get_if<Tuple>(&v_)) return v->items;
  wrong_type(*this, "a tuple");
}

const Value::Items& Value::as_list() const {
  if (const auto* v = std::get_if<List>(&v_)) return v->items;
  wrong_type(*this, "a list");
}

Value::Items& Value::as_list() { return const_cast<Items&>(std::as_const(*this).as_list()); }

const Value::DictItems& Value::as_dict() const {
  if (const auto* v = std::get_if<Dict>(&v_)) return v->items;
  wrong_type(*this, "a dict");
}

const SharedRef& Value::as_shared_ref() const {
  if (const auto* v = std::get_if<SharedRef>(&v_)) return *v;
  wrong_type(*this, "a proxy");
}

std::int64_t Value::len() const {
  if (const auto* s = std::get_if<std::string>(&v_))  // code points: every byte that does not continue a UTF-8 sequence
    return std::ranges::count_if(*s, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
  if (const auto* b = std::get_if<Bytes>(&v_)) return static_cast<std::int64_t>(b->data.size());
  if (const auto* t = std::get_if<Tuple>(&v_)) return static_cast<std::int64_t>(t->items.size());
  if (const auto* l = std::get_if<List>(&v_)) return static_cast<std::int64_t>(l->items.size());
  if (const auto* d = std::get_if<Dict>(&v_)) return static_cast<std::int64_t>(d->items.size());
  throw TypeError(fmt::format("object of type '{}' has no len()", type_name()));
}

const Value& Value::operator[](const Value& key) const {
  if (is_tuple() || is_list()) {
    const Items& items = is_tuple() ? as_tuple() : as_list();
    if (const auto at = position(index_of(key, type_name()), items.size())) return items[*at];
    throw IndexError(fmt::format("{} index out of range", type_name()));
  }
  if (is_dict()) {
    if (const Value* found = find(key)) return *found;
    throw KeyError(key.repr());
  }
  throw TypeError(fmt::format("'{}' object is not subscriptable here", type_name()));
}

void Value::set_item(const Value& key, Value item) {
  if (auto* l = std::get_if<List>(&v_)) {
    const auto at = position(index_of(key, "list"), l->items.size());
    if (!at) throw IndexError("list assignment index out of range");
    l->items[*at] = std::move(item);
  } else if (auto* d = std::get_if<Dict>(&v_)) {
    if (Value* found = const_cast<Value*>(find(key)))
      *found = std::move(item);
    else
      d->items.emplace_back(key, std::move(item));
  } else {
    throw TypeError(fmt::format("'{}' object does not support item assignment", type_name()));
  }
}

const Value* Value::find(const Value& key) const {
  const auto& items = as_dict();
  if (!key.is_hashable()) throw TypeError(fmt::format("unhashable type: '{}'", key.type_name()));
  const auto it = std::ranges::find_if(items, [&](const auto& item) { return item.first == key; });
  return it == items.end() ? nullptr : &it->second;
}

std::string Value::str() const { return is_str() ? as_str() : repr(); }

std::string Value::repr() const {
  return std::visit(
      [](const auto& x) -> std::string {  // fmt::format, not "(" + ...: GCC 12 warns wrongly there (-Wrestrict)
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, NoneType>) return "None";
        else if constexpr (std::is_same_v<T, bool>) return x ? "True" : "False";
        else if constexpr (std::is_same_v<T, std::int64_t>) return fmt::format("{}", x);
        else if constexpr (std::is_same_v<T, double>) return float_repr(x);
        else if constexpr (std::is_same_v<T, std::string>) return quoted(x, false);
        else if constexpr (std::is_same_v<T, Bytes>) return fmt::format("b{}", quoted(x.data, true));
        else if constexpr (std::is_same_v<T, Tuple>) return fmt::format("({}{})", join_reprs(x.items), x.items.size() == 1 ? "," : "");
        else if constexpr (std::is_same_v<T, List>) return fmt::format("[{}]", join_reprs(x.items));
        else if constexpr (std::is_same_v<T, Dict>) {
          std::string text;
          for (const auto& [key, value] : x.items) text += fmt::format("{}{}: {}", text.empty() ? "" : ", ", key.repr(), value.repr());
          return fmt::format("{{{}}}", text);
        } else {
          const ProxyName name = proxy_name(x.kind);
          return fmt::format("<{} object, typeid '{}'>", name.proxy, name.type_id);
        }
      },
      v_);
}

bool operator==(const Value& a, const Value& b) {
  if (is_number(a) && is_number(b)) return numbers_equal(a, b);
  if (a.v_.index() != b.v_.index()) return false;
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b.v_);
        if constexpr (std::is_same_v<T, Bytes>) return x.data == y.data;
        else if constexpr (std::is_same_v<T, Tuple> || std::is_same_v<T, List>) return x.items == y.items;
        else if constexpr (std::is_same_v<T, Dict>) {
          return x.items.size() == y.items.size() && std::ranges::all_of(x.items, [&](const auto& item) {
                   const Value* other = b.find(item.first);
                   return other != nullptr && *other == item.second;
                 });
        } else {
          return x == y;
        }
      },
      a.v_);
}

namespace {
template <class T>
bool both(const Value& a, const Value& b) {
  return std::holds_alternative<T>(a.variant()) && std::holds_alternative<T>(b.variant());
}

Value arithmetic(const Value& a, const Value& b, char op) {
  if (!is_number(a) || !is_number(b))
    throw TypeError(fmt::format("unsupported operand type(s) for {}: '{}' and '{}'", op, a.type_name(), b.type_name()));
  if (a.is_float() || b.is_float()) return op == '+' ? a.as_float() + b.as_float() : a.as_float() - b.as_float();
  std::int64_t result = 0;
  if (op == '+' ? __builtin_add_overflow(a.as_int(), b.as_int(), &result)
                : __builtin_sub_overflow(a.as_int(), b.as_int(), &result))
    throw ValueError(fmt::format("{} {} {} does not fit in a 64-bit int", a.repr(), op, b.repr()));
  return result;
}

Value::Items concatenated(const Value::Items& a, const Value::Items& b) {
  Value::Items items = a;
  items.insert(items.end(), b.begin(), b.end());
  return items;
}
}  // namespace

Value operator+(const Value& a, const Value& b) {
  if (both<std::string>(a, b)) return a.as_str() + b.as_str();
  if (both<Bytes>(a, b)) return Value::bytes(a.as_bytes() + b.as_bytes());
  if (both<Tuple>(a, b)) return Value::tuple(concatenated(a.as_tuple(), b.as_tuple()));
  if (both<List>(a, b)) return Value::list(concatenated(a.as_list(), b.as_list()));
  return arithmetic(a, b, '+');
}

Value operator-(const Value& a, const Value& b) { return arithmetic(a, b, '-'); }

}  // namespace forkscope
