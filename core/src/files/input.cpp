#include "forkscope/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "forkscope/errors.hpp"

namespace forkscope {

namespace {
// Thrown from inside the parser's callback: stops the parse before anything deeper is built.
struct TooDeep {};
}  // namespace

InputFile::InputFile(const std::filesystem::path& file, std::string_view what, std::uint64_t max_bytes)
    : file_(file), what_(what) {
  const auto refuse = [&](std::string_view why) {
    return UsageError(fmt::format("cannot read the {} {}: {}", what, file.string(), why));
  };
  if (file.empty()) throw UsageError(fmt::format("the {} name is empty", what));
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) throw refuse(std::strerror(errno));
  try {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw_system(fmt::format("fstat of {}", file.string()), errno);
    if (S_ISDIR(st.st_mode)) throw refuse("it is a directory");
    if (!S_ISREG(st.st_mode)) throw refuse("it is not a regular file");
    size_ = static_cast<std::uint64_t>(st.st_size);
    if (size_ > max_bytes) throw refuse(fmt::format("it is {} bytes; at most {} are allowed", size_, max_bytes));
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

InputFile::~InputFile() { ::close(fd_); }

void InputFile::read(std::uint64_t offset, void* into, std::size_t bytes) const {
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pread(fd_, static_cast<char*>(into) + done, bytes - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_system(fmt::format("reading {}", file_.string()), errno);
    if (n == 0)
      throw UsageError(fmt::format("cannot read the {} {}: it changed while it was read ({} bytes at {} are gone)", what_,
                                   file_.string(), bytes - done, offset + done));
    done += static_cast<std::size_t>(n);
  }
}

std::string read_input_file(const std::filesystem::path& file, std::string_view what, std::uint64_t max_bytes) {
  const InputFile in(file, what, max_bytes);
  std::string bytes(in.size(), '\0');
  in.read(0, bytes.data(), bytes.size());
  return bytes;
}

nlohmann::json parse_json_text(std::string_view text, std::string_view source) {
  const nlohmann::json::parser_callback_t limit_depth = [](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    const bool opens = event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start;
    if (opens && depth >= kMaxJsonDepth) throw TooDeep{};
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, limit_depth, false);
  } catch (const TooDeep&) {
    throw UsageError(fmt::format("{} nests JSON more than {} levels deep", source, kMaxJsonDepth));
  }
  if (j.is_discarded()) throw UsageError(fmt::format("{} is not valid JSON", source));
  return j;
}

std::uint64_t parse_decimal_u64(std::string_view text, std::string_view what) {
  std::uint64_t value = 0;
  const bool digits_only = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!digits_only || ec != std::errc() || end != text.data() + text.size())
    throw UsageError(fmt::format("{} must be an integer from 0 to 18446744073709551615 in decimal digits, got '{}'", what, text));
  return value;
}

double check_finite_range(double value, double min, double max, std::string_view what) {
  if (!std::isfinite(value) || value < min || value > max)
    throw UsageError(fmt::format("{} must be a number from {} to {}, got {}", what, min, max, value));
  return value;
}

void check_file_name(std::string_view value, std::string_view option) {
  if (value.empty()) throw UsageError(fmt::format("{} needs a file name; it was given an empty one", option));
  if (value.starts_with('-'))
    throw UsageError(fmt::format("{} needs a file name, got '{}' (write ./{} for a file of that name)", option, value, value));
}

std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (const char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

}  // namespace forkscope
