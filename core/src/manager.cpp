// Manager: a server process that holds dicts, and the proxies' side of the conversation. A request is one frame
// (wire.hpp) [label, op, referent, arguments...]; the reply is [kOk, results...] or [kRaised, exception, message].
// Each process talks over its own stream socket pair, whose server end it sends over the SOCK_SEQPACKET socket that
// every process inherits from the one that made the Manager (SCM_RIGHTS), so no file or address is involved.
#include "forkscope/manager.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "runtime.hpp"
#include "wire.hpp"

namespace forkscope::detail {

namespace {

enum Op : std::int64_t { kCreateDict, kGetItem, kSetItem, kGet, kLen, kContains, kKeys, kStr, kShutdown };
constexpr std::int64_t kOk = 0;
constexpr std::int64_t kRaised = 1;

// A dict as Python keeps it: keys in the order they were first set.
using Dict = std::vector<std::pair<std::string, Value>>;

std::string dict_repr(const Dict& d) {
  std::string text = "{";
  for (const auto& [key, value] : d) text += fmt::format("{}{}: {}", text.size() > 1 ? ", " : "", Value(key).repr(), value.repr());
  return text + "}";
}

// The message a process sends the server to connect: its pid, with one descriptor attached (SCM_RIGHTS).
struct Hello {
  std::int32_t pid = 0;
  iovec data{&pid, sizeof pid};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  msghdr header{};

  Hello() {
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof control;
  }
  Hello(const Hello&) = delete;  // it points into itself
  Hello& operator=(const Hello&) = delete;
};

// While a caller waits in the kernel for the server's reply, its slot says so: a stepped call has settled.
class BlockedOnReply {
 public:
  explicit BlockedOnReply(std::uint16_t manager) { set_slot_state(SlotState::Blocked, manager); }
  ~BlockedOnReply() { set_slot_state(SlotState::Running); }
  BlockedOnReply(const BlockedOnReply&) = delete;
  BlockedOnReply& operator=(const BlockedOnReply&) = delete;
};

}  // namespace

struct ManagerClient {
  std::string name;      // the server's, "SyncManager-1"
  std::uint16_t id = 0;  // the manager on the timeline
  int server_fd = -1;    // the server's end of the connect socket, until the server has started with it
  int connect_fd = -1;   // every process inherits it and hands the server its own connection over it
  int conn_fd = -1;      // this process's connection
  pid_t conn_pid = 0;    // who made conn_fd: a forked child inherits it but must make its own

  ManagerClient() = default;
  ManagerClient(const ManagerClient&) = delete;
  ManagerClient& operator=(const ManagerClient&) = delete;
  ~ManagerClient() {
    for (const int fd : {server_fd, connect_fd, conn_fd})
      if (fd >= 0) ::close(fd);  // this process's copies; nothing to report from a destructor
  }

  [[nodiscard]] std::string what(std::string_view operation) const { return fmt::format("{} of {}", operation, name); }

  int connection() {
    const pid_t me = g_context->pid;
    if (conn_pid == me) return conn_fd;
    if (conn_fd >= 0) close_fd(std::exchange(conn_fd, -1), what("close of the parent's connection"));
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) throw OSError(describe_errno(what("socketpair"), errno));
    Hello hello;  // our pid, with the server's end of our connection attached
    hello.pid = me;
    cmsghdr* rights = CMSG_FIRSTHDR(&hello.header);
    rights->cmsg_level = SOL_SOCKET;
    rights->cmsg_type = SCM_RIGHTS;
    rights->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(rights), &ends[1], sizeof(int));
    ssize_t sent = 0;
    do sent = sendmsg(connect_fd, &hello.header, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    const int error = errno;
    if (sent < 0) {
      ::close(ends[0]);  // already failing: the sendmsg error is the one to report
      ::close(ends[1]);
      throw OSError(describe_errno(what("connecting to the server"), error));
    }
    close_fd(ends[1], what("close of the server's end of a connection"));  // the server has its own copy now
    conn_fd = ends[0];
    conn_pid = me;
    return conn_fd;
  }

  std::vector<Value> call(std::string_view label, std::vector<Value> request) {
    gate_pass(EventKind::ManagerCall, id);
    const int fd = connection();
    const StringId text = g_context->session->store_transient_string(label, 2);  // the call and its serving
    std::vector<Value> message{Value(static_cast<std::int64_t>(text))};
    message.insert(message.end(), std::make_move_iterator(request.begin()), std::make_move_iterator(request.end()));
    const std::string frame = encode_message(message);
    emit(EventKind::ManagerCall, Phase::Want, id, 0, pack_arg(text));
    std::optional<std::string> reply;
    try {
      const BlockedOnReply blocked(id);
      send_frame(fd, frame, what("request"));
      mark_ready(id);  // the server, if it waits for the teacher's grant
      reply = recv_frame(fd, what("reply"));
    } catch (...) {
      emit(EventKind::ManagerCall, Phase::Fail, id);
      throw;
    }
    if (!reply) {
      emit(EventKind::ManagerCall, Phase::Fail, id);
      throw EOFError(fmt::format("{} has shut down: no reply", name));
    }
    emit(EventKind::ManagerCall, Phase::Done, id);
    std::vector<Value> values = decode_message(*reply);
    if (values.empty() || !values[0].is_int()) throw OSError(fmt::format("a malformed reply from {}", name));
    if (values[0].as_int() == kRaised) raise_python_error(values.at(1).as_str(), values.at(2).as_str());
    values.erase(values.begin());
    return values;
  }
};

namespace {

// The server: one process, one request at a time, in the order clients become ready (round robin among them).
class Server {
 public:
  Server(int accept_fd, std::uint16_t id) : accept_fd_(accept_fd), id_(id) {}

  void run() {
    // The server's first step is held at the gate like any process's: a request sent while it starts up is then
    // served at its next grant, never missed by a wait that began too late to be told. After that, the grant that
    // ends a wait for a request is that request's step (in run mode the gate is open anyway).
    gate_pass(EventKind::ManagerServe, id_);
    bool woken_for_it = true;
    while (!stopping_) {
      accept_waiting();
      const std::optional<std::size_t> ready = next_request();
      if (!ready) {
        if (accept_fd_ < 0 && clients_.empty()) return;  // no process can reach us any more
        wait_for_request();
        woken_for_it = true;
        continue;
      }
      if (!woken_for_it) gate_pass(EventKind::ManagerServe, id_);
      woken_for_it = false;
      serve(*ready);
    }
  }

 private:
  struct Client {
    int fd;
    std::int32_t pid;
  };

  // Takes every connection handed over so far.
  void accept_waiting() {
    while (accept_fd_ >= 0) {
      Hello hello;
      const ssize_t n = recvmsg(accept_fd_, &hello.header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0) throw OSError(describe_errno("recvmsg of a new manager connection", errno));
      if (n == 0) {  // every copy of the connect socket is closed
        close_fd(std::exchange(accept_fd_, -1), "close of the manager's connect socket");
        return;
      }
      const cmsghdr* rights = CMSG_FIRSTHDR(&hello.header);
      if (rights == nullptr || rights->cmsg_type != SCM_RIGHTS) continue;  // a hello without its connection
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(rights), sizeof fd);
      clients_.push_back(Client{fd, hello.pid});
    }
  }

  // The next client with a request waiting, after the one served last. Clients that hung up are dropped here, so
  // that a step of the server is always a request served.
  std::optional<std::size_t> next_request() {
    while (!clients_.empty()) {
      std::vector<pollfd> fds;
      for (const Client& c : clients_) fds.push_back(pollfd{c.fd, POLLIN, 0});
      if (!wait_readable(fds, Deadline::after_ns(0), "poll of manager connections")) return std::nullopt;
      std::optional<std::size_t> hung_up;
      for (std::size_t k = 0; k < fds.size() && !hung_up; ++k) {
        const std::size_t i = (next_ + k) % fds.size();
        if (fds[i].revents == 0) continue;
        char byte = 0;
        const ssize_t n = recv(fds[i].fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) {
          next_ = i + 1;
          return i;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) hung_up = i;
      }
      if (!hung_up) return std::nullopt;
      drop(*hung_up);
    }
    return std::nullopt;
  }

  void wait_for_request() {
    BlockingWait w(EventKind::ManagerServe, id_, id_, std::nullopt);
    w.wait_for([&](const Deadline& deadline) {
      std::vector<pollfd> fds;
      if (accept_fd_ >= 0) fds.push_back(pollfd{accept_fd_, POLLIN, 0});
      for (const Client& c : clients_) fds.push_back(pollfd{c.fd, POLLIN, 0});
      return wait_readable(fds, deadline, "poll of manager connections");
    });
  }

  void serve(std::size_t index) {
    const Client client = clients_[index];
    std::optional<std::string> payload;
    try {
      payload = recv_frame(client.fd, "recv of a manager request");
    } catch (const OSError&) {
      payload.reset();  // the caller died in the middle of its request: there is no one to answer
    }
    if (!payload) return drop(index);
    std::vector<Value> request = decode_message(*payload);
    if (request.size() < 3) throw OSError(fmt::format("a malformed request from pid {}", client.pid));
    const auto label = static_cast<StringId>(request[0].as_int());
    const std::int64_t op = request[1].as_int();
    const std::int64_t referent = request[2].as_int();
    request.erase(request.begin(), request.begin() + 3);
    std::vector<Value> reply;
    try {
      reply = handle(op, referent, request);
      reply.insert(reply.begin(), Value(kOk));
    } catch (const LessonError& e) {
      reply = {Value(kRaised), Value(std::string(e.python_name())), Value(std::string(e.what()))};
    }
    emit(EventKind::ManagerServe, Phase::Done, id_, client.pid, pack_arg(label));
    try {
      send_frame(client.fd, encode_message(reply), "send of a manager reply");
    } catch (const OSError&) {
      drop(index);  // the caller died waiting for its reply
    }
  }

  std::vector<Value> handle(std::int64_t op, std::int64_t referent, const std::vector<Value>& args) {
    if (op == kShutdown) {
      stopping_ = true;
      return {};
    }
    if (op == kCreateDict) {
      Dict& d = dicts_.emplace_back();
      for (std::size_t i = 0; i + 1 < args.size(); i += 2) d.emplace_back(args[i].as_str(), args[i + 1]);
      return {Value(static_cast<std::int64_t>(dicts_.size() - 1))};
    }
    if (referent < 0 || static_cast<std::size_t>(referent) >= dicts_.size())
      throw RuntimeError(fmt::format("no shared object #{}", referent));
    Dict& d = dicts_[static_cast<std::size_t>(referent)];
    const auto find = [&](const Value& key) {
      return std::find_if(d.begin(), d.end(), [&](const auto& item) { return item.first == key.as_str(); });
    };
    switch (op) {
      case kGetItem: {
        const auto it = find(args.at(0));
        if (it == d.end()) throw KeyError(args.at(0).repr());
        return {it->second};
      }
      case kSetItem: {
        if (const auto it = find(args.at(0)); it != d.end())
          it->second = args.at(1);
        else
          d.emplace_back(args.at(0).as_str(), args.at(1));
        return {};
      }
      case kGet: {
        const auto it = find(args.at(0));
        return {it == d.end() ? args.at(1) : it->second};
      }
      case kLen: return {Value(static_cast<std::int64_t>(d.size()))};
      case kContains: return {Value(find(args.at(0)) != d.end() ? 1 : 0)};
      case kKeys: {
        std::vector<Value> keys;
        for (const auto& item : d) keys.emplace_back(item.first);
        return keys;
      }
      case kStr: return {Value(dict_repr(d))};
      default: throw RuntimeError(fmt::format("unknown manager request {}", op));
    }
  }

  void drop(std::size_t index) {
    ::close(clients_[index].fd);  // a connection whose caller is gone: nothing to report
    clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(index));
  }

  int accept_fd_;
  std::uint16_t id_;
  std::vector<Client> clients_;
  std::size_t next_ = 0;
  std::vector<Dict> dicts_;
  bool stopping_ = false;
};

// The server process's body. It keeps only its own socket and stdio: a copy of a lesson's pipe end kept here would
// keep that pipe's reader from ever seeing end of file, and a copy of the connect socket would hide that every
// process which could call is gone.
void serve_forever(int accept_fd, std::uint16_t id) {
  if ((accept_fd > 3 && close_range(3, static_cast<unsigned>(accept_fd) - 1, 0) != 0) ||
      close_range(static_cast<unsigned>(accept_fd) + 1, UINT_MAX, 0) != 0)
    throw OSError(describe_errno("close_range in the manager's server", errno));
  Server(accept_fd, id).run();
}

}  // namespace

}  // namespace forkscope::detail

namespace forkscope {

namespace {
std::shared_ptr<detail::ManagerClient> make_client() {
  auto client = std::make_shared<detail::ManagerClient>();
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0)
    throw OSError(describe_errno("socketpair for a Manager", errno));
  client->server_fd = ends[0];
  client->connect_fd = ends[1];
  return client;
}
}  // namespace

Manager::Manager()
    : client_(make_client()),
      server_([client = client_] { detail::serve_forever(client->server_fd, client->id); }) {
  // Python names the server after the manager's class and the process's identity: SyncManager-1, SyncManager-2:1.
  constexpr std::string_view kDefaultPrefix = "Process-";
  server_.set_name("SyncManager-" + server_.name().substr(kDefaultPrefix.size()));
  client_->name = server_.name();
  client_->id = detail::announce_object(ObjectKind::Manager, client_->name, 0);
  server_.start();
  detail::close_fd(std::exchange(client_->server_fd, -1), client_->what("close of the server's end"));
}

Manager::~Manager() {
  if (shut_down_) return;
  try {
    shutdown();
  } catch (...) {
    // The server could not be asked (it died, or its socket failed). Like Python's finalizer, make sure it is gone.
    try {
      server_.kill();
      server_.join();
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing more a destructor can do
    }
  }
}

std::uint16_t Manager::id() const { return client_->id; }

DictProxy Manager::dict(const std::vector<std::pair<std::string, Value>>& items, std::string name) {
  std::vector<Value> request{Value(detail::kCreateDict), Value(0)};
  for (const auto& [key, value] : items) {
    request.emplace_back(key);
    request.push_back(value);
  }
  const auto reply = client_->call(fmt::format("dict({})", detail::dict_repr(items)), std::move(request));
  return DictProxy(client_, reply.at(0).as_int(), std::move(name));
}

void Manager::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  client_->call("shutdown()", {Value(detail::kShutdown), Value(0)});
  server_.join();
}

std::vector<Value> DictProxy::call(const std::string& label, std::int64_t op, std::vector<Value> args) {
  args.insert(args.begin(), {Value(op), Value(referent_)});
  return manager_->call(label, std::move(args));
}

DictProxy::Item::operator Value() const {
  return dict_.call(fmt::format("{}[{}]", dict_.name_, Value(key_).repr()), detail::kGetItem, {Value(key_)}).at(0);
}

DictProxy::Item& DictProxy::Item::operator=(const Value& value) {
  dict_.call(fmt::format("{}[{}] = {}", dict_.name_, Value(key_).repr(), value.repr()), detail::kSetItem, {Value(key_), value});
  return *this;
}

namespace {
// Python's + on numbers: int + int stays an int, anything else is a float (ValueError for other types).
Value add(const Value& a, const Value& b, int sign) {
  if (a.is_int() && b.is_int()) return Value(a.as_int() + sign * b.as_int());
  return Value(a.as_float() + sign * b.as_float());
}
}  // namespace

DictProxy::Item& DictProxy::Item::operator+=(const Value& delta) { return *this = add(*this, delta, 1); }
DictProxy::Item& DictProxy::Item::operator-=(const Value& delta) { return *this = add(*this, delta, -1); }

Value DictProxy::get(const std::string& key, const Value& default_value) {
  return call(fmt::format("{}.get({}, {})", name_, Value(key).repr(), default_value.repr()), detail::kGet,
              {Value(key), default_value})
      .at(0);
}

std::int64_t DictProxy::len() { return call(fmt::format("len({})", name_), detail::kLen, {}).at(0).as_int(); }

bool DictProxy::contains(const std::string& key) {
  return call(fmt::format("{} in {}", Value(key).repr(), name_), detail::kContains, {Value(key)}).at(0).as_int() != 0;
}

std::vector<std::string> DictProxy::keys() {
  std::vector<std::string> keys;
  for (const Value& key : call(fmt::format("{}.keys()", name_), detail::kKeys, {})) keys.push_back(key.as_str());
  return keys;
}

std::string DictProxy::str() { return call(fmt::format("str({})", name_), detail::kStr, {}).at(0).as_str(); }

}  // namespace forkscope
