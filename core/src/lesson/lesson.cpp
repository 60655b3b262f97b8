#include "forkscope/lesson.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/phrases.hpp"

namespace forkscope {

namespace {
std::string number(double v) { return fmt::format("{}", v); }

ParamValue parse(const ParamSpec& spec, std::string_view text) {
  const auto bad = [&] { return UsageError(fmt::format("{} must be {}, got '{}'", spec.key, spec.allowed(), text)); };
  switch (spec.type) {
    case ParamType::Bool:
      if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
      if (text == "false" || text == "0" || text == "no" || text == "off") return false;
      throw bad();
    case ParamType::Int: {
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size()) throw bad();
      if (static_cast<double>(v) < spec.min || static_cast<double>(v) > spec.max) throw bad();
      return v;
    }
    case ParamType::Float: {
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) throw bad();
      if (v < spec.min || v > spec.max) throw bad();
      return v;
    }
    case ParamType::File: {
      if (text.empty()) return std::string();
      std::error_code error;
      const std::filesystem::path path = std::filesystem::absolute(text, error).lexically_normal();
      if (error || !std::filesystem::is_regular_file(path, error) || access(path.c_str(), R_OK) != 0) throw bad();
      if (spec.check_file) spec.check_file(path);
      return path.string();
    }
  }
  throw bad();
}
}  // namespace

ParamValue default_value_of(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::Bool: return spec.default_value != 0;
    case ParamType::Int: return static_cast<std::int64_t>(spec.default_value);
    case ParamType::Float: return spec.default_value;
    case ParamType::File: return std::string();
  }
  return false;
}

std::string assignment_of(const ParamSpec& spec, const ParamValue& value) {
  return std::visit([&](const auto& v) { return fmt::format("{}={}", spec.key, v); }, value);
}

std::string ParamSpec::allowed() const {
  switch (type) {
    case ParamType::Bool: return "true or false";
    case ParamType::Int: return fmt::format("an integer from {} to {}", number(min), number(max));
    case ParamType::Float: return fmt::format("a number from {} to {}", number(min), number(max));
    case ParamType::File: return "a readable file's path, or nothing";
  }
  return "?";
}

nlohmann::json ParamSpec::to_json() const {
  static constexpr const char* kTypes[] = {"bool", "int", "float", "file"};
  nlohmann::json j{{"key", key}, {"type", kTypes[static_cast<int>(type)]}};
  switch (type) {
    case ParamType::Bool: j["default"] = default_value != 0; break;
    case ParamType::Int:
      j["default"] = static_cast<std::int64_t>(default_value);
      j["min"] = static_cast<std::int64_t>(min);
      j["max"] = static_cast<std::int64_t>(max);
      break;
    case ParamType::Float:
      j["default"] = default_value;
      j["min"] = min;
      j["max"] = max;
      break;
    case ParamType::File: j["default"] = ""; break;
  }
  return j;
}

Params Params::resolve(const std::vector<ParamSpec>& specs, const std::vector<std::string>& assignments) {
  Params p;
  for (const ParamSpec& s : specs) p.values_.emplace_back(s.key, default_value_of(s));
  for (const std::string& a : assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos) throw UsageError(fmt::format("--set expects KEY=VALUE, got '{}'", a));
    const std::string key = a.substr(0, eq);
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.key == key; });
    if (spec == specs.end()) {
      std::string keys;
      for (const ParamSpec& s : specs) keys += (keys.empty() ? "" : ", ") + s.key;
      throw UsageError(fmt::format("unknown parameter '{}'; this lesson takes: {}", key, keys.empty() ? "none" : keys));
    }
    p.set(*spec, std::string_view(a).substr(eq + 1));
  }
  return p;
}

void Params::set(const ParamSpec& spec, std::string_view text) {
  for (auto& [key, value] : values_)
    if (key == spec.key) value = parse(spec, text);
}

Params Params::from_json(const std::vector<ParamSpec>& specs, const nlohmann::json& values) {
  if (!values.is_object()) throw UsageError(fmt::format("params must be a JSON object of KEY: value, got a JSON {}", values.type_name()));
  std::vector<std::string> assignments;
  for (const auto& [key, value] : values.items())
      assignments.push_back(key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
  return resolve(specs, assignments);
}

const ParamValue& Params::at(std::string_view key) const {
  for (const auto& [k, v] : values_)
    if (k == key) return v;
  throw ValueError(fmt::format("the lesson has no parameter '{}'", key));
}

bool Params::get_bool(std::string_view key) const { return std::get<bool>(at(key)); }
std::int64_t Params::get_int(std::string_view key) const { return std::get<std::int64_t>(at(key)); }
const std::string& Params::get_text(std::string_view key) const { return std::get<std::string>(at(key)); }
double Params::get_float(std::string_view key) const {
  const ParamValue& v = at(key);
  return std::holds_alternative<double>(v) ? std::get<double>(v) : static_cast<double>(std::get<std::int64_t>(v));
}

nlohmann::json Params::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : values_) std::visit([&](const auto& x) { j[k] = x; }, v);
  return j;
}

nlohmann::json Deadlock::to_json() const {
  nlohmann::json edges = nlohmann::json::array();
  for (const WaitEdge& e : cycle)
    edges.push_back({{"pid", e.pid}, {"process", e.process}, {"object", e.object}, {"object_name", e.object_name},
                     {"holder_pid", e.holder_pid}, {"holder", e.holder}});
  return {{"cycle", edges}, {"text", text}, {"t_ns", t_ns}};
}

bool invariants_hold(const std::vector<Invariant>& invariants) {
  return std::all_of(invariants.begin(), invariants.end(), [](const Invariant& i) { return i.ok || i.meant_to_break; });
}

bool RunReport::invariants_ok() const { return invariants_hold(invariants); }

std::string LessonPoint::english() const {
  const PhraseFormat* format = find_phrase(key);
  if (format == nullptr) return key;
  return fill(format->english, Phrase{format->key, args}).value_or(std::string(format->english));
}

nlohmann::json LessonPoint::to_json() const { return {{"key", key}, {"args", args}, {"text", english()}}; }

std::optional<LessonPoint> LessonPoint::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("key") || !j["key"].is_string() || !j.contains("args") || !j["args"].is_array())
    return std::nullopt;
  LessonPoint point{j["key"].get<std::string>(), {}};
  for (const auto& a : j["args"]) {
    if (!a.is_string()) return std::nullopt;
    point.args.push_back(a.get<std::string>());
  }
  return point;
}

}  // namespace forkscope
