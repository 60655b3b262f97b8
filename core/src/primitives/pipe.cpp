// Pipe and Connection over an AF_UNIX stream socket pair (Python uses one for duplex pipes; for a one-way pipe it
// uses os.pipe(), here the same socket pair with the first end shut for writing, so that a send to a closed reader
// is an OSError (EPIPE) rather than a SIGPIPE that kills the process). Each message is a frame (wire.hpp) holding
// its sequence number in its direction and the value; the sequence number ties each send to its recv on the trace.
#include "forkscope/pipe.hpp"

#include <sys/socket.h>

#include <atomic>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "session/runtime.hpp"
#include "primitives/wire.hpp"

namespace forkscope::detail {

// In the session arena, shared by every copy of the two ends: how many messages each direction has carried.
struct PipeState {
  std::atomic<std::uint64_t> sent[2];
};

// One end as this process holds it. Copies of a Connection in one process share it; a forked child has its own copy
// of it (and of the descriptor), and closing one copy leaves the others open.
struct ConnectionEnd {
  int fd = -1;
  bool can_recv = false, can_send = false;
  std::uint16_t in = 0, out = 0;  // the directions it receives on and sends on (0: none)
  std::atomic<std::uint64_t>* sent = nullptr;  // the message counter of `out`
  std::string label;                           // "end 1 of Pipe 'pipe'", for errors

  ConnectionEnd() = default;
  ConnectionEnd(const ConnectionEnd&) = delete;
  ConnectionEnd& operator=(const ConnectionEnd&) = delete;
  // Like Python's Connection.__del__: a forgotten end is closed (and shown closed) when the last copy goes.
  ~ConnectionEnd() {
    if (fd < 0) return;
    trace_close();
    ::close(fd);  // nothing to report from a destructor; the descriptor is released either way
  }

  void check_open() const {
    if (fd < 0) throw OSError("handle is closed");
  }
  void trace_close() const {
    for (const std::uint16_t direction : {out, in})
      if (direction != 0) emit(EventKind::PipeClose, Phase::Done, direction);
  }
  [[nodiscard]] bool readable_now() const { return wait_readable(fd, Deadline::after_ns(0), what("poll")); }
  [[nodiscard]] std::string what(std::string_view operation) const { return fmt::format("{} on {}", operation, label); }
};

}  // namespace forkscope::detail

namespace forkscope {

using detail::ConnectionEnd;

std::pair<Connection, Connection> Pipe(bool duplex, std::string_view name) {
  detail::ProcessContext& c = detail::context();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw OSError(describe_errno(fmt::format("socketpair for Pipe '{}'", name), errno));
  auto first = std::make_shared<ConnectionEnd>();
  auto second = std::make_shared<ConnectionEnd>();
  first->fd = fds[0];
  second->fd = fds[1];
  first->label = fmt::format("end 1 of Pipe '{}'", name);
  second->label = fmt::format("end 2 of Pipe '{}'", name);
  if (!duplex && shutdown(fds[0], SHUT_WR) != 0) throw OSError(describe_errno(first->what("shutdown"), errno));

  auto* state = new (c.session->allocate(sizeof(detail::PipeState))) detail::PipeState();
  const std::uint16_t to_second = duplex ? detail::announce_object(ObjectKind::Pipe, fmt::format("{} 1→2", name), 0) : 0;
  const std::uint16_t to_first =
      detail::announce_object(ObjectKind::Pipe, duplex ? fmt::format("{} 2→1", name) : std::string(name), 0);
  first->can_recv = true;
  first->in = to_first;
  second->can_send = true;
  second->out = to_first;
  second->sent = &state->sent[1];
  if (duplex) {
    first->can_send = true;
    first->out = to_second;
    first->sent = &state->sent[0];
    second->can_recv = true;
    second->in = to_second;
  }
  return {Connection(std::move(first)), Connection(std::move(second))};
}

void Connection::send(const Value& obj) {
  ConnectionEnd& e = *end_;
  detail::gate_pass(EventKind::PipeSend, e.out, [&] { return obj.repr(); });
  e.check_open();
  if (!e.can_send) throw OSError("connection is read-only");
  const std::uint64_t seq = e.sent->fetch_add(1, std::memory_order_relaxed) + 1;
  const std::string frame = detail::encode_message({Value(static_cast<std::int64_t>(seq)), obj});
  const std::uint64_t t = trace_clock();  // before the bytes can reach the reader, so the send precedes its recv
  detail::send_frame(e.fd, frame, e.what("send"));
  detail::emit_at(t, EventKind::PipeSend, Phase::Done, e.out, static_cast<std::int64_t>(frame.size()), seq);
  detail::mark_ready(e.out);
}

Value Connection::recv() {
  ConnectionEnd& e = *end_;
  detail::gate_pass(EventKind::PipeRecv, e.in);
  e.check_open();
  if (!e.can_recv) throw OSError("connection is write-only");
  if (!e.readable_now()) {
    detail::BlockingWait w(EventKind::PipeRecv, e.in, e.in, std::nullopt);
    while (!e.readable_now())
      w.wait_for([&](const detail::Deadline& d) { return detail::wait_readable(e.fd, d, e.what("recv")); });
  }
  const std::optional<std::string> payload = detail::recv_frame(e.fd, e.what("recv"));
  if (!payload) {
    detail::emit(EventKind::PipeRecv, Phase::Fail, e.in);
    throw EOFError("the other end is closed: every copy of it, in every process");
  }
  const std::uint64_t t = trace_clock_ordered();
  std::vector<Value> message;
  try {
    message = detail::decode_message(*payload);
    if (message.size() != 2 || !message[0].is_int()) throw OSError(fmt::format("a malformed message on {}", e.label));
  } catch (const OSError&) {
    detail::emit(EventKind::PipeRecv, Phase::Fail, e.in);  // the frame is consumed: the next recv reads the next one
    throw;
  }
  detail::emit_at(t, EventKind::PipeRecv, Phase::Done, e.in, 0, static_cast<std::uint64_t>(message[0].as_int()));
  return std::move(message[1]);
}

bool Connection::poll(std::optional<double> timeout) {
  ConnectionEnd& e = *end_;
  detail::gate_pass(EventKind::PipePoll, e.in);
  e.check_open();
  if (!e.can_recv) throw OSError("connection is write-only");
  bool ready = e.readable_now();
  if (!ready && (!timeout || *timeout > 0)) {
    detail::BlockingWait w(EventKind::PipePoll, e.in, e.in, timeout);
    while (!(ready = e.readable_now()))
      if (!w.wait_for([&](const detail::Deadline& d) { return detail::wait_readable(e.fd, d, e.what("poll")); })) break;
    ready = ready || e.readable_now();  // a message that came with the deadline
  }
  detail::emit(EventKind::PipePoll, Phase::Done, e.in, ready ? 1 : 0);
  return ready;
}

void Connection::close() {
  ConnectionEnd& e = *end_;
  if (e.fd < 0) return;
  detail::gate_pass(EventKind::PipeClose, e.out != 0 ? e.out : e.in);
  const int fd = e.fd;
  e.fd = -1;
  e.trace_close();
  detail::close_fd(fd, e.what("close"));
  // A reader waiting for the teacher's grant may now see end of file.
  for (const std::uint16_t direction : {e.out, e.in})
    if (direction != 0) detail::mark_ready(direction);
}

bool Connection::closed() const { return end_->fd < 0; }
bool Connection::readable() const { return end_->can_recv; }
bool Connection::writable() const { return end_->can_send; }

int Connection::fileno() const {
  end_->check_open();
  return end_->fd;
}

}  // namespace forkscope
