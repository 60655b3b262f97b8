// What crosses between a pool's main process and its workers: tasks by registry index, calls and results as lists
// of Values in a slot, errors as a type name and a message; and the labels and spans that show each call.
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "primitives/pool_internal.hpp"
#include "session/runtime.hpp"
#include "primitives/wire.hpp"

namespace forkscope {

namespace detail {

std::vector<RegisteredTask>& task_registry() {
  static std::vector<RegisteredTask> registry;
  return registry;
}

void throw_argument_count(const std::string& task, std::size_t expected, std::size_t given) {
  throw ValueError(fmt::format("{}() takes {} positional argument{} but {} {} given", task, expected,
                               expected == 1 ? "" : "s", given, given == 1 ? "was" : "were"));
}

// ---- slots ------------------------------------------------------------------------------------------------------------

void TaskSlot::store(const std::vector<Value>& message) {
  const std::string frame = encode_message(message);
  const std::string_view payload = payload_of(frame);  // the slot keeps its own `size`
  size = static_cast<std::uint32_t>(payload.size());
  if (payload.size() <= kInlineBytes) {
    std::memcpy(bytes, payload.data(), payload.size());
    spill = kNoBlob;
  } else {
    spill = context().session->store_blob(payload);
  }
}

std::vector<Value> TaskSlot::take() {
  if (spill == kNoBlob) return decode_message(std::string_view(bytes, size));
  const std::string payload = context().session->take_blob(std::exchange(spill, kNoBlob));
  return decode_message(payload);
}

// ---- errors ---------------------------------------------------------------------------------------------------------

TaskError describe_error(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const LessonError& e) {
    return {std::string(e.python_name()), e.what()};
  } catch (const std::exception& e) {
    return {"Exception", e.what()};
  } catch (...) {
    return {"Exception", "unknown error"};
  }
}

void raise_task_error(const TaskError& error) { raise_python_error(error.type, error.message); }

// ---- labels and spans -----------------------------------------------------------------------------------------------

std::string short_repr(const std::vector<Value>& values) {
  constexpr std::size_t kMaxChars = 60;
  std::string text;
  for (const Value& v : values) {
    text += (text.empty() ? "" : ", ") + v.repr();
    if (text.size() > kMaxChars) break;
  }
  if (text.size() > kMaxChars) {
    std::size_t cut = kMaxChars;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
    text = text.substr(0, cut) + "…";
  }
  return text;
}

std::string call_label(std::string_view function, const std::vector<Value>& args) {
  return fmt::format("{}({})", function, short_repr(args));
}

std::vector<Args> split_calls(const std::vector<Value>& message) {
  std::vector<Args> calls;
  for (std::size_t at = 0; at < message.size();) {
    const auto argc = static_cast<std::size_t>(message[at].as_int());
    const auto first = message.begin() + static_cast<std::ptrdiff_t>(at + 1);
    calls.emplace_back(first, first + static_cast<std::ptrdiff_t>(argc));
    at += 1 + argc;
  }
  return calls;
}

TaskSpanGuard::TaskSpanGuard(std::uint16_t pool, const std::string& label)
    : pool_(pool), exceptions_(std::uncaught_exceptions()) {
  emit(EventKind::TaskBegin, Phase::Done, pool_, 0, pack_arg(context().session->store_transient_string(label)));
}

TaskSpanGuard::~TaskSpanGuard() {
  emit(EventKind::TaskEnd, Phase::Done, pool_, std::uncaught_exceptions() > exceptions_ ? 1 : 0);
}

}  // namespace detail

Task::Task(std::string name, Function function) {
  auto& registry = detail::task_registry();
  index_ = static_cast<std::uint32_t>(registry.size());
  registry.push_back({std::move(name), std::move(function)});
}

const std::string& Task::name() const { return detail::task_registry()[index_].name; }

}  // namespace forkscope
