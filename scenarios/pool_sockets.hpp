// The few TCP calls the pool lessons make on 127.0.0.1 (an echo server, a small website), in POSIX sockets. Every
// wait shows on the timeline as blocked on a socket (forkscope::wait_for_socket) and has a timeout, long enough for a
// teacher who paused the lesson.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/lesson_api.hpp"

namespace forkscope::scenarios {

inline constexpr int kSocketTimeoutMs = 120'000;

// A socket that closes itself.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {
    if (fd_ < 0) throw_system("socket", errno);
  }
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  Socket& operator=(Socket&&) = delete;
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` can go on with `op`, blocked on a socket meanwhile; TimeoutError past kSocketTimeoutMs.
inline void wait_ready(int fd, SocketOp op, const char* what) {
  if (!wait_for_socket(fd, op, kSocketTimeoutMs / 1000.0))
    throw TimeoutError(fmt::format("{}: nothing within {} s", what, kSocketTimeoutMs / 1000));
}

// What has arrived (waiting for something); empty once the other side closed.
[[nodiscard]] inline std::string receive(int fd) {
  wait_ready(fd, SocketOp::Recv, "recv");
  char buffer[4096];
  const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
  if (n < 0) throw_system("recv", errno);
  return std::string(buffer, static_cast<std::size_t>(n));
}

inline void send_all(int fd, const std::string& data) {
  wait_ready(fd, SocketOp::Send, "send");
  if (send(fd, data.data(), data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(data.size())) throw_system("send", errno);
}

[[nodiscard]] inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A listening socket on 127.0.0.1 and its port. Port 0 lets the system pick a free one: parallel runs never collide.
[[nodiscard]] inline std::pair<Socket, std::uint16_t> listen_on_loopback() {
  Socket server(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (bind(server.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 || listen(server.fd(), 16) != 0 ||
      getsockname(server.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw_system("listening on 127.0.0.1", errno);
  return {std::move(server), ntohs(address.sin_port)};
}

[[nodiscard]] inline Socket connect_to(std::uint16_t port) {
  Socket s(socket(AF_INET, SOCK_STREAM, 0));
  const sockaddr_in address = loopback(port);
  if (connect(s.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    throw_system(fmt::format("connect to 127.0.0.1:{}", port), errno);
  return s;
}

[[nodiscard]] inline Socket accept_one(int server) {
  wait_ready(server, SocketOp::Accept, "accept");
  return Socket(accept(server, nullptr, nullptr));
}

}  // namespace forkscope::scenarios
