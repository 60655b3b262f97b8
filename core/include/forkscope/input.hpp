// What users hand to Forkscope, read defensively: files bounded by their real size and a limit, JSON bounded in
// depth, numbers written the one way that is allowed, and messages kept to one line. Every refusal is a UsageError
// that says what is allowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace forkscope {

// Deeper JSON than this is refused while it is parsed (copying or printing deep JSON recurses and would overflow the stack).
inline constexpr int kMaxJsonDepth = 64;

// A regular file of at most `max_bytes`, open for reading parts of it: a big file (a trace) is read a block at a time,
// never whole. `what` names it in errors ("trace file"). UsageError: missing, unreadable, a directory or not a
// regular file, too big; a read that finds fewer bytes than the file had when opened (it changed while read).
// SystemFailure: a read error.
class InputFile {
 public:
  InputFile(const std::filesystem::path& file, std::string_view what, std::uint64_t max_bytes);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  [[nodiscard]] std::uint64_t size() const { return size_; }  // when it was opened
  // Exactly `bytes` bytes from `offset` into `into`.
  void read(std::uint64_t offset, void* into, std::size_t bytes) const;

 private:
  std::filesystem::path file_;
  std::string what_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// The whole of a regular file of at most `max_bytes` (InputFile's checks), as it is when read.
[[nodiscard]] std::string read_input_file(const std::filesystem::path& file, std::string_view what, std::uint64_t max_bytes);

// JSON text, at most kMaxJsonDepth deep. UsageError naming `source` when it is not valid JSON or too deep.
[[nodiscard]] nlohmann::json parse_json_text(std::string_view text, std::string_view source);

// An integer 0..2^64-1 written in decimal digits only ("-1", "1e23", "0x10", "" are refused). `what`: "--seed".
[[nodiscard]] std::uint64_t parse_decimal_u64(std::string_view text, std::string_view what);

// A finite number within [min, max], or UsageError("--speed must be a number from 0.1 to 10, got nan").
double check_finite_range(double value, double min, double max, std::string_view what);

// A file name given to an option: not empty, and not an option ("--trace-out= --json" makes CLI11 take the next
// option as the value; ./-x names a file that starts with a dash).
void check_file_name(std::string_view value, std::string_view option);

// A message as one line: control characters of user-supplied text become escapes (\n, \t, \x1b).
[[nodiscard]] std::string one_line(std::string_view message);

}  // namespace forkscope
