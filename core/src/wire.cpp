#include "wire.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "forkscope/errors.hpp"

namespace forkscope::detail {

namespace {

enum Tag : std::uint8_t { kNone, kInt, kFloat, kStr };
using Length = std::uint32_t;

template <class T>
void put(std::string& out, const T& x) {
  out.append(reinterpret_cast<const char*>(&x), sizeof x);
}

// Reads from a payload, refusing to run past its end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  [[nodiscard]] bool done() const { return at_ == bytes_.size(); }
  std::string_view take(std::size_t n) {
    if (bytes_.size() - at_ < n) throw OSError("a malformed message: it ends in the middle of a value");
    const std::string_view part = bytes_.substr(at_, n);
    at_ += n;
    return part;
  }
  template <class T>
  T get() {
    T x;
    std::memcpy(&x, take(sizeof x).data(), sizeof x);
    return x;
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

// Reads exactly `size` bytes. Returns how many came before end of file (size when all did).
std::size_t read_exactly(int fd, char* into, std::size_t size, std::string_view what) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = recv(fd, into + got, size - got, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw OSError(describe_errno(what, errno));
    }
    got += static_cast<std::size_t>(n);
  }
  return got;
}

}  // namespace

static_assert(sizeof(Length) == kFrameHeaderBytes);

std::string encode_message(const std::vector<Value>& values) {
  std::string frame(sizeof(Length), '\0');
  for (const Value& v : values)
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, NoneType>) {
            put(frame, kNone);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            put(frame, kInt);
            put(frame, x);
          } else if constexpr (std::is_same_v<T, double>) {
            put(frame, kFloat);
            put(frame, x);
          } else {
            put(frame, kStr);
            put(frame, static_cast<Length>(x.size()));
            frame += x;
          }
        },
        v.variant());
  const std::size_t payload = frame.size() - sizeof(Length);
  if (payload > kMaxMessageBytes)
    throw ValueError(fmt::format("a message of {} bytes is above the {} MiB limit", payload, kMaxMessageBytes >> 20));
  const auto length = static_cast<Length>(payload);
  std::memcpy(frame.data(), &length, sizeof length);
  return frame;
}

std::vector<Value> decode_message(std::string_view payload) {
  std::vector<Value> values;
  Reader in(payload);
  while (!in.done()) {
    switch (in.get<std::uint8_t>()) {
      case kNone: values.emplace_back(None); break;
      case kInt: values.emplace_back(in.get<std::int64_t>()); break;
      case kFloat: values.emplace_back(in.get<double>()); break;
      case kStr: values.emplace_back(std::string(in.take(in.get<Length>()))); break;
      default: throw OSError("a malformed message: unknown value tag");
    }
  }
  return values;
}

void send_frame(int fd, std::string_view frame, std::string_view what) {
  while (!frame.empty()) {
    const ssize_t n = send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw OSError(describe_errno(what, errno));
    }
    frame.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::optional<std::string> recv_frame(int fd, std::string_view what) {
  Length length = 0;
  const std::size_t got = read_exactly(fd, reinterpret_cast<char*>(&length), sizeof length, what);
  if (got == 0) return std::nullopt;
  if (got < sizeof length) throw OSError("got end of file during message");
  if (length > kMaxMessageBytes) throw OSError(fmt::format("a malformed message: {} bytes announced", length));
  std::string payload(length, '\0');
  if (read_exactly(fd, payload.data(), length, what) < length) throw OSError("got end of file during message");
  return payload;
}

bool wait_readable(std::span<pollfd> fds, const Deadline& deadline, std::string_view what) {
  for (pollfd& p : fds) p.events = POLLIN;
  const auto left = deadline.remaining_ns();
  const int ms = left ? static_cast<int>(std::min<std::int64_t>((*left + 999'999) / 1'000'000, INT_MAX)) : -1;
  const int n = ::poll(fds.data(), fds.size(), ms);
  if (n < 0 && errno != EINTR) throw OSError(describe_errno(what, errno));
  return n > 0;
}

bool wait_readable(int fd, const Deadline& deadline, std::string_view what) {
  pollfd p{fd, POLLIN, 0};
  return wait_readable(std::span(&p, 1), deadline, what);
}

void close_fd(int fd, std::string_view what) {
  // Linux releases the descriptor even when close() reports an error, so it is never retried.
  if (::close(fd) != 0 && errno != EINTR) throw OSError(describe_errno(what, errno));
}

}  // namespace forkscope::detail
