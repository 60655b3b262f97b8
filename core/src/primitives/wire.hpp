// Messages between lesson processes over sockets (pipes, manager connections): a list of Values in a
// length-prefixed frame, sent with one send() call. Like Python's Connection, one end is for one process at a time:
// two processes sending big messages on copies of the same end may interleave their bytes.
#pragma once

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "forkscope/value.hpp"
#include "session/futex.hpp"

namespace forkscope::detail {

inline constexpr std::size_t kMaxMessageBytes = std::size_t{64} << 20;
// Containers nest at most this deep. Decoding reads bytes another process wrote, so it checks every tag, every
// length against the bytes left, and the depth, and raises OSError rather than crash or allocate wildly.
inline constexpr int kMaxNesting = 100;

// The whole frame: the payload's length (kFrameHeaderBytes), then each value (a tag, then its bytes).
// ValueError above the limit.
inline constexpr std::size_t kFrameHeaderBytes = sizeof(std::uint32_t);
[[nodiscard]] std::string encode_message(const std::vector<Value>& values);
// The payload of a frame encode_message made (what decode_message reads back), for storing messages elsewhere.
[[nodiscard]] inline std::string_view payload_of(std::string_view frame) { return frame.substr(kFrameHeaderBytes); }
// A frame's payload back into values; OSError when it is malformed.
[[nodiscard]] std::vector<Value> decode_message(std::string_view payload);

// One value alone, in the same format (for a queue's payload store); decode_value wants exactly one value.
[[nodiscard]] std::string encode_value(const Value& value);
[[nodiscard]] Value decode_value(std::string_view bytes);

// Sends a whole frame. MSG_NOSIGNAL: a peer whose every copy is closed is an OSError (EPIPE), not a SIGPIPE.
// `what` names the operation for errors: "send on Pipe 'pipe 1→2'".
void send_frame(int fd, std::string_view frame, std::string_view what);
// Reads one frame's payload: nullopt at end of file before a frame, OSError at end of file inside one.
[[nodiscard]] std::optional<std::string> recv_frame(int fd, std::string_view what);
// Waits until one of `fds` has data or is at end of file, and fills in their revents. False when the deadline passed
// first (or a signal came).
[[nodiscard]] bool wait_readable(std::span<pollfd> fds, const Deadline& deadline, std::string_view what);
[[nodiscard]] bool wait_readable(int fd, const Deadline& deadline, std::string_view what);

// Closes a descriptor, reporting a failure as OSError with context.
void close_fd(int fd, std::string_view what);

}  // namespace forkscope::detail
