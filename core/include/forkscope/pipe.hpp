// multiprocessing.Pipe across real processes: Pipe() returns two Connection ends of an OS socket pair. Duplex (the
// default), each end sends to the other; Pipe(false) is one-way: the first end only receives, the second only sends.
// send() and recv() carry Values; recv() blocks until a message comes, and raises EOFError once the other end is
// closed and nothing is left to read.
//
// Copies across fork, as in Python with fork: a child inherits a copy of every end that exists when it starts, and
// an end is closed only when every copy of it is closed, in every process. So a reader that still holds its own
// (unused) copy of the sending end never gets EOFError: each process closes the ends it does not use, as in the
// Python idiom. (A Manager's server keeps no copies.) Copies of a Connection inside one process are the same end.
//
// On the timeline each direction is an object ("pipe 1→2", "pipe 2→1"; a one-way pipe has one, "pipe"): its depth
// counts messages in flight, and each send is drawn as an arrow to its recv.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "forkscope/value.hpp"

namespace forkscope {

namespace detail {
struct ConnectionEnd;
}

class Connection {
 public:
  // OSError when closed or when this end cannot send (the receiving end of a one-way pipe).
  void send(const Value& obj);
  // EOFError when every copy of the other end is closed and nothing is left; OSError when closed or send-only.
  Value recv();
  // Whether recv() would return without waiting (a message, or end of file), waiting up to `timeout` lesson
  // seconds for it (nullopt: for ever). Python's default is 0: a quick look. Its wait is drawn as blocked on the pipe.
  [[nodiscard]] bool poll(std::optional<double> timeout = 0.0);
  void close();  // this process's copy; a second close does nothing
  [[nodiscard]] bool closed() const;
  [[nodiscard]] bool readable() const;
  [[nodiscard]] bool writable() const;
  [[nodiscard]] int fileno() const;  // OSError when closed

 private:
  friend std::pair<Connection, Connection> Pipe(bool duplex, std::string_view name);
  explicit Connection(std::shared_ptr<detail::ConnectionEnd> end) : end_(std::move(end)) {}
  std::shared_ptr<detail::ConnectionEnd> end_;
};

// Make it before starting the processes that use it, as in Python. `name` labels it on the timeline.
[[nodiscard]] std::pair<Connection, Connection> Pipe(bool duplex = true, std::string_view name = "pipe");

}  // namespace forkscope
