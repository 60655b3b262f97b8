// Manager: a server process that holds shared objects (dicts, lists, Values, Namespaces), and the proxies' side of
// the conversation. A request is one frame
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
#include "session/runtime.hpp"
#include "primitives/wire.hpp"

namespace forkscope::detail {

namespace {

enum Op : std::int64_t {
  kCreate, kGetItem, kSetItem, kGet, kLen, kContains, kKeys, kStr, kCopy,  // any object (as Python allows)
  kAppend, kExtend, kPop, kInsert, kRemove, kIndex, kCount,               // lists
  kShutdown
};
constexpr std::int64_t kOk = 0;
constexpr std::int64_t kRaised = 1;

// Raises, in the caller, the error the server raised, with its Python type.
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
// What a socket pair's buffer takes without a reader (the kernel's default is 208 KiB): a request up to this size is
// sent before its caller shows as blocked.
constexpr std::size_t kSendsWithoutWaiting = 64 * 1024;

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
      // While stepping, the viewer takes this step as done once we show as blocked: the request must be in the socket
      // and the server told by then, or the next step could be granted before the server may serve it. A request
      // larger than a socket's buffer may itself have to wait for the server: that one shows as blocked at once.
      std::optional<BlockedOnReply> blocked;
      if (frame.size() > kSendsWithoutWaiting) blocked.emplace(id);
      send_frame(fd, frame, what("request"));
      mark_ready(id);  // the server, if it waits for the teacher's grant
      if (!blocked) blocked.emplace(id);
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
    // The caller runs on from its reply as part of this step: shown as running before it can wake, the viewer waits
    // for its next stop before the next step (otherwise the caller's exit could race a later join).
    note_woken(client.pid);
    try {
      send_frame(client.fd, encode_message(reply), "send of a manager reply");
    } catch (const OSError&) {
      drop(index);  // the caller died waiting for its reply
    }
  }

  // A shared object as the server keeps it: a dict (a Namespace's attributes too), a list, or a Value's value.
  struct SharedObject {
    SharedRef::Kind kind;
    Value value;
    std::string typecode;  // a Value's, for printing
  };

  std::vector<Value> handle(std::int64_t op, std::int64_t referent, const std::vector<Value>& args) {
    if (op == kShutdown) {
      stopping_ = true;
      return {};
    }
    if (op == kCreate) {
      objects_.push_back({static_cast<SharedRef::Kind>(args.at(0).as_int()), args.at(1), args.at(2).as_str()});
      return {Value(static_cast<std::int64_t>(objects_.size() - 1))};
    }
    if (referent < 0 || static_cast<std::size_t>(referent) >= objects_.size())
      throw RuntimeError(fmt::format("no shared object #{}", referent));
    SharedObject& object = objects_[static_cast<std::size_t>(referent)];
    if (object.kind == SharedRef::Kind::List && op >= kAppend) return {list_method(object.value.as_list(), op, args)};
    switch (op) {
      case kGetItem: return {get_item(object, args.at(0))};
      case kSetItem: {
        if (object.kind == SharedRef::Kind::Value)
          object.value = args.at(1);
        else
          object.value.set_item(args.at(0), args.at(1));
        return {};
      }
      case kGet: {
        const Value* found = object.value.find(args.at(0));
        return {found ? *found : args.at(1)};
      }
      case kLen: return {object.value.len()};
      case kContains: {
        if (object.value.is_dict()) return {object.value.find(args.at(0)) != nullptr};
        return {std::ranges::find(object.value.as_list(), args.at(0)) != object.value.as_list().end()};
      }
      case kKeys: {
        std::vector<Value> keys;
        for (const auto& item : object.value.as_dict()) keys.push_back(item.first);
        return keys;
      }
      case kStr: return {printed(object)};
      case kCopy: return {object.value};
      default: throw AttributeError(fmt::format("'{}' object has no method #{}", object.value.type_name(), op));
    }
  }

  static Value get_item(const SharedObject& object, const Value& key) {
    if (object.kind == SharedRef::Kind::Value) return object.value;
    if (object.kind != SharedRef::Kind::Namespace) return object.value[key];
    if (const Value* found = object.value.find(key)) return *found;
    throw AttributeError(fmt::format("'Namespace' object has no attribute '{}'", key.as_str()));
  }

  // Python's list methods, with Python's errors.
  static Value list_method(Value::Items& list, std::int64_t op, const std::vector<Value>& args) {
    const auto n = static_cast<std::int64_t>(list.size());
    const auto find = [&](const Value& item) { return std::ranges::find(list, item); };
    switch (op) {
      case kAppend: list.push_back(args.at(0)); return None;
      case kExtend: {
        const Value& items = args.at(0);
        if (!items.is_list() && !items.is_tuple())
          throw TypeError(fmt::format("'{}' object is not iterable", items.type_name()));
        const Value::Items& more = items.is_list() ? items.as_list() : items.as_tuple();
        list.insert(list.end(), more.begin(), more.end());
        return None;
      }
      case kPop: {
        if (list.empty()) throw IndexError("pop from empty list");
        const std::int64_t index = args.at(0).as_int() < 0 ? args.at(0).as_int() + n : args.at(0).as_int();
        if (index < 0 || index >= n) throw IndexError("pop index out of range");
        Value item = std::move(list[static_cast<std::size_t>(index)]);
        list.erase(list.begin() + index);
        return item;
      }
      case kInsert: {  // Python clamps the index instead of raising
        const std::int64_t index = std::clamp(args.at(0).as_int() < 0 ? args.at(0).as_int() + n : args.at(0).as_int(),
                                              std::int64_t{0}, n);
        list.insert(list.begin() + index, args.at(1));
        return None;
      }
      case kRemove: {
        const auto it = find(args.at(0));
        if (it == list.end()) throw ValueError("list.remove(x): x not in list");
        list.erase(it);
        return None;
      }
      case kIndex: {
        const auto it = find(args.at(0));
        if (it == list.end()) throw ValueError(fmt::format("{} is not in list", args.at(0).repr()));
        return it - list.begin();
      }
      case kCount: return std::ranges::count(list, args.at(0));
      default: throw AttributeError(fmt::format("'list' object has no method #{}", op));
    }
  }

  // What Python's str() of the referent shows.
  static std::string printed(const SharedObject& object) {
    if (object.kind == SharedRef::Kind::Value) return fmt::format("Value({}, {})", Value(object.typecode).repr(), object.value.repr());
    if (object.kind != SharedRef::Kind::Namespace) return object.value.str();
    std::vector<std::string> attributes;  // Python's Namespace sorts them
    for (const auto& [key, value] : object.value.as_dict()) attributes.push_back(fmt::format("{}={}", key.as_str(), value.repr()));
    std::ranges::sort(attributes);
    return fmt::format("Namespace({})", fmt::join(attributes, ", "));
  }

  void drop(std::size_t index) {
    ::close(clients_[index].fd);  // a connection whose caller is gone: nothing to report
    clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(index));
  }

  int accept_fd_;
  std::uint16_t id_;
  std::vector<Client> clients_;
  std::size_t next_ = 0;
  std::vector<SharedObject> objects_;
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

template <class Proxy>
Proxy Manager::create(const std::string& label, const forkscope::Value& initial, const std::string& typecode, std::string name) {
  const auto reply = client_->call(label, {detail::kCreate, 0, static_cast<std::int64_t>(Proxy::kKind), initial, typecode});
  return BaseProxy::make<Proxy>(client_, SharedRef{client_->id, Proxy::kKind, reply.at(0).as_int()}, std::move(name));
}

DictProxy Manager::dict(const forkscope::Value::DictItems& items, std::string name) {
  const forkscope::Value initial = forkscope::Value::dict(items);
  return create<DictProxy>(fmt::format("dict({})", initial.repr()), initial, "", std::move(name));
}

ListProxy Manager::list(const forkscope::Value::Items& items, std::string name) {
  const forkscope::Value initial = forkscope::Value::list(items);
  return create<ListProxy>(fmt::format("list({})", initial.repr()), initial, "", std::move(name));
}

ValueProxy Manager::Value(const std::string& typecode, const forkscope::Value& value, std::string name) {
  return create<ValueProxy>(fmt::format("Value({}, {})", forkscope::Value(typecode).repr(), value.repr()), value, typecode,
                            std::move(name));
}

NamespaceProxy Manager::Namespace(std::string name) {
  return create<NamespaceProxy>("Namespace()", forkscope::Value::dict(), "", std::move(name));
}

void Manager::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  client_->call("shutdown()", {detail::kShutdown, 0});
  server_.join();
}

// ---- proxies --------------------------------------------------------------------------------------------------------

std::vector<Value> BaseProxy::call(const std::string& label, std::int64_t op, std::vector<Value> args) {
  args.insert(args.begin(), {Value(op), Value(ref_.referent)});
  return manager_->call(label, std::move(args));
}

SharedRef BaseProxy::stored_ref(const Value& value, SharedRef::Kind kind, const std::string& place) const {
  if (value.is_shared_ref() && value.as_shared_ref().kind == kind && value.as_shared_ref().manager == manager_->id)
    return value.as_shared_ref();
  throw TypeError(fmt::format("{}{} holds {}, not a {} of {}", name_, place, value.repr(),
                              Value(SharedRef{manager_->id, kind, 0}).type_name(), manager_->name));
}

std::string BaseProxy::str() { return call(fmt::format("str({})", name_), detail::kStr, {}).at(0).as_str(); }

BaseProxy::Item::operator Value() const {
  return owner_.call(owner_.name_ + place_, detail::kGetItem, {key_}).at(0);
}

BaseProxy::Item& BaseProxy::Item::operator=(const Value& value) {
  owner_.call(fmt::format("{}{} = {}", owner_.name_, place_, value.repr()), detail::kSetItem, {key_, value});
  return *this;
}

BaseProxy::Item& BaseProxy::Item::operator+=(const Value& delta) { return *this = Value(*this) + delta; }
BaseProxy::Item& BaseProxy::Item::operator-=(const Value& delta) { return *this = Value(*this) - delta; }

Value DictProxy::get(const Value& key, const Value& default_value) {
  return call(fmt::format("{}.get({}, {})", name(), key.repr(), default_value.repr()), detail::kGet, {key, default_value})
      .at(0);
}

std::int64_t DictProxy::len() { return call(fmt::format("len({})", name()), detail::kLen, {}).at(0).as_int(); }

bool DictProxy::contains(const Value& key) {
  return call(fmt::format("{} in {}", key.repr(), name()), detail::kContains, {key}).at(0).as_bool();
}

std::vector<Value> DictProxy::keys() { return call(fmt::format("{}.keys()", name()), detail::kKeys, {}); }

Value DictProxy::copy() { return call(fmt::format("{}.copy()", name()), detail::kCopy, {}).at(0); }

namespace {
// "l.append(3)": a method call as Python would write it.
std::string method_label(const std::string& object, std::string_view method, const std::vector<Value>& args) {
  std::string list;
  for (const Value& a : args) list += (list.empty() ? "" : ", ") + a.repr();
  return fmt::format("{}.{}({})", object, method, list);
}
}  // namespace

void ListProxy::append(const Value& item) { call(method_label(name(), "append", {item}), detail::kAppend, {item}); }

void ListProxy::extend(const Value& items) { call(method_label(name(), "extend", {items}), detail::kExtend, {items}); }

Value ListProxy::pop(std::int64_t index) {
  return call(method_label(name(), "pop", index == -1 ? std::vector<Value>{} : std::vector<Value>{index}), detail::kPop,
              {index})
      .at(0);
}

void ListProxy::insert(std::int64_t index, const Value& item) {
  call(method_label(name(), "insert", {index, item}), detail::kInsert, {index, item});
}

void ListProxy::remove(const Value& item) { call(method_label(name(), "remove", {item}), detail::kRemove, {item}); }

std::int64_t ListProxy::index(const Value& item) {
  return call(method_label(name(), "index", {item}), detail::kIndex, {item}).at(0).as_int();
}

std::int64_t ListProxy::count(const Value& item) {
  return call(method_label(name(), "count", {item}), detail::kCount, {item}).at(0).as_int();
}

std::int64_t ListProxy::len() { return call(fmt::format("len({})", name()), detail::kLen, {}).at(0).as_int(); }

bool ListProxy::contains(const Value& item) {
  return call(fmt::format("{} in {}", item.repr(), name()), detail::kContains, {item}).at(0).as_bool();
}

Value ListProxy::copy() { return call(method_label(name(), "copy", {}), detail::kCopy, {}).at(0); }

Value ValueProxy::get() { return call(method_label(name(), "get", {}), detail::kGetItem, {None}).at(0); }

void ValueProxy::set(const Value& v) { call(method_label(name(), "set", {v}), detail::kSetItem, {None, v}); }

}  // namespace forkscope
