#include "primitives/wire.hpp"

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

// Each value is a tag, then its bytes: a number as 8 bytes, a str or bytes as its length and octets, a tuple or
// list as its count and items, a dict as its count and keys and values alternating.
enum Tag : std::uint8_t { kNone, kInt, kFloat, kStr, kFalse, kTrue, kBytes, kTuple, kList, kDict, kSharedRef };
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
  [[nodiscard]] std::size_t left() const { return bytes_.size() - at_; }
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

void put_length(std::string& out, std::size_t n) {
  if (n > kMaxMessageBytes) throw ValueError(fmt::format("a value of {} items or bytes is too large to send", n));
  put(out, static_cast<Length>(n));
}

void encode(std::string& out, const Value& v, int depth) {
  if (depth > kMaxNesting) throw ValueError(fmt::format("a value nested deeper than {} levels cannot be sent", kMaxNesting));
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, NoneType>) {
          put(out, kNone);
        } else if constexpr (std::is_same_v<T, bool>) {
          put(out, x ? kTrue : kFalse);
        } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          put(out, std::is_same_v<T, double> ? kFloat : kInt);
          put(out, x);
        } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, Bytes>) {
          const std::string& octets = v.is_str() ? v.as_str() : v.as_bytes();
          put(out, v.is_str() ? kStr : kBytes);
          put_length(out, octets.size());
          out += octets;
        } else if constexpr (std::is_same_v<T, Tuple> || std::is_same_v<T, List>) {
          put(out, v.is_tuple() ? kTuple : kList);
          put_length(out, x.items.size());
          for (const Value& item : x.items) encode(out, item, depth + 1);
        } else if constexpr (std::is_same_v<T, Dict>) {
          put(out, kDict);
          put_length(out, x.items.size());
          for (const auto& [key, value] : x.items) {
            encode(out, key, depth + 1);
            encode(out, value, depth + 1);
          }
        } else {
          put(out, kSharedRef);
          put(out, x.manager);
          put(out, x.kind);
          put(out, x.referent);
        }
      },
      v.variant());
}

// A count of items, each at least one byte long: never more than the bytes left, so a forged count cannot make
// the reader reserve gigabytes.
std::size_t get_count(Reader& in, std::size_t bytes_per_item) {
  const Length n = in.get<Length>();
  if (static_cast<std::size_t>(n) * bytes_per_item > in.left())
    throw OSError(fmt::format("a malformed message: {} items announced, {} bytes left", n, in.left()));
  return n;
}

Value decode(Reader& in, int depth) {
  if (depth > kMaxNesting) throw OSError(fmt::format("a malformed message: values nested deeper than {}", kMaxNesting));
  const auto tag = in.get<std::uint8_t>();
  switch (tag) {
    case kNone: return None;
    case kFalse: return false;
    case kTrue: return true;
    case kInt: return in.get<std::int64_t>();
    case kFloat: return in.get<double>();
    case kStr: return std::string(in.take(in.get<Length>()));  // take() checks the length against what is left
    case kBytes: return Value::bytes(std::string(in.take(in.get<Length>())));
    case kTuple:
    case kList: {
      Value::Items items(get_count(in, 1));
      for (Value& item : items) item = decode(in, depth + 1);
      return tag == kTuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
    }
    case kDict: {
      Value d = Value::dict();
      for (std::size_t n = get_count(in, 2); n > 0; --n) {
        Value key = decode(in, depth + 1);
        if (!key.is_hashable()) throw OSError("a malformed message: a dict key that is not hashable");
        d.set_item(key, decode(in, depth + 1));
      }
      return d;
    }
    case kSharedRef: {
      SharedRef ref;
      ref.manager = in.get<std::uint16_t>();
      const auto kind = in.get<std::uint8_t>();
      if (kind > static_cast<std::uint8_t>(SharedRef::Kind::Namespace)) throw OSError("a malformed message: unknown proxy kind");
      ref.kind = static_cast<SharedRef::Kind>(kind);
      ref.referent = in.get<std::int64_t>();
      return ref;
    }
    default: throw OSError("a malformed message: unknown value tag");
  }
}

}  // namespace

static_assert(sizeof(Length) == kFrameHeaderBytes);

std::string encode_message(const std::vector<Value>& values) {
  std::string frame(sizeof(Length), '\0');
  for (const Value& v : values) encode(frame, v, 0);
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
  while (!in.done()) values.push_back(decode(in, 0));
  return values;
}

std::string encode_value(const Value& value) {
  std::string bytes;
  encode(bytes, value, 0);
  return bytes;
}

Value decode_value(std::string_view bytes) {
  Reader in(bytes);
  Value value = decode(in, 0);
  if (!in.done()) throw OSError("a malformed value: bytes left after it");
  return value;
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
