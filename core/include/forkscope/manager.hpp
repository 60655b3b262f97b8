// multiprocessing.Manager: Manager() starts a server process (its own lane, named like Python's "SyncManager-1")
// that holds shared objects (dict, list, Value, Namespace); a proxy, in any process, turns every call into a request
// to the server and waits for its reply. Errors come back with their Python type (KeyError, IndexError, ValueError,
// AttributeError, TypeError). A dict or list can hold another proxy, as in Python 3.6+:
//   d["inner"] = manager.list();
//   forkscope::ListProxy inner = d["inner"];  // a proxy of the same shared list
//   inner.append(1);                          // every process that reads d["inner"] sees it The server is single-threaded and serves one request at a time. So a compound update such as
//   d["count"] -= 1
// is two requests (a get, then a set), and other processes' requests can come in between: without a Lock, updates
// are lost, as in Python.
//
// Each process connects on its first call: it makes a socket pair and hands one end to the server over a socket
// every process inherits from the one that made the Manager. The server keeps none of the lesson's other
// descriptors (a pipe end it kept would never let its reader see end of file). The manager shuts down on
// shutdown() or when the Manager goes away (the end of the body that made it); calls after that raise EOFError or
// OSError.
//
// On the timeline a call is "waiting for the manager" on the caller's lane (ManagerCall, labelled "d['count']",
// "l.append(3)");
// the server's lane shows each request it serves (ManagerServe) and is blocked between requests. Stepping: sending
// a request is a step of its caller, serving it a step of the server; the reply then lets the caller run on to its
// next operation.
#pragma once

#include <sys/types.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "forkscope/process.hpp"
#include "forkscope/value.hpp"

namespace forkscope {

namespace detail {
struct ManagerClient;
}

// What every proxy shares: the manager it talks to, which object it stands for there, and the name that labels its
// calls on the timeline. Copies (and copies inherited by children) refer to the same object.
class BaseProxy {
 public:
  // A place in the shared object: d[key], l[i], ns["x"], v.value. Reading it is one request (KeyError, IndexError or
  // AttributeError when it is missing), assigning it another; += and -= are both, one after the other, as in Python,
  // so other processes' requests can come in between.
  class Item {
   public:
    operator Value() const;  // implicit: reads like Python's d[key]
    // The proxy of a shared object stored there: ListProxy inner = d["inner"]. TypeError when it holds another kind.
    template <std::derived_from<BaseProxy> Proxy>
    operator Proxy() const {
      return BaseProxy::make<Proxy>(owner_.manager_, owner_.stored_ref(*this, Proxy::kKind, place_), owner_.name_ + place_);
    }
    Item& operator=(const Value& value);
    Item& operator+=(const Value& delta);
    Item& operator-=(const Value& delta);

   private:
    friend class BaseProxy;
    Item(BaseProxy& owner, Value key, std::string place) : owner_(owner), key_(std::move(key)), place_(std::move(place)) {}
    BaseProxy& owner_;
    Value key_;
    std::string place_;  // after the proxy's name: "['count']", "[3]", ".x", ".value"
  };

  [[nodiscard]] const std::string& name() const { return name_; }
  // What print(proxy) shows: {'count': 0}, [1, 2], Namespace(x=1), Value('i', 3).
  [[nodiscard]] std::string str();
  // The proxy as a value, to keep in another shared dict or list of the same manager (d["inner"] = manager.list()).
  operator Value() const { return ref_; }

 protected:
  BaseProxy(std::shared_ptr<detail::ManagerClient> manager, SharedRef ref, std::string name)
      : manager_(std::move(manager)), ref_(ref), name_(std::move(name)) {}
  std::vector<Value> call(const std::string& label, std::int64_t op, std::vector<Value> args);
  Item item(Value key, std::string place) { return Item(*this, std::move(key), std::move(place)); }

 private:
  friend class Manager;
  template <class Proxy>
  static Proxy make(std::shared_ptr<detail::ManagerClient> manager, SharedRef ref, std::string name) {
    return Proxy(std::move(manager), ref, std::move(name));
  }
  // The shared object `value` (read at `place`) refers to: TypeError unless it is one of this manager's, of `kind`.
  [[nodiscard]] SharedRef stored_ref(const Value& value, SharedRef::Kind kind, const std::string& place) const;

  std::shared_ptr<detail::ManagerClient> manager_;
  SharedRef ref_;
  std::string name_;
};

// manager.dict(): keys are any hashable Values, kept in insertion order.
class DictProxy : public BaseProxy {
 public:
  static constexpr SharedRef::Kind kKind = SharedRef::Kind::Dict;
  Item operator[](const Value& key) { return item(key, fmt::format("[{}]", key.repr())); }
  [[nodiscard]] Value get(const Value& key, const Value& default_value = None);
  [[nodiscard]] std::int64_t len();
  [[nodiscard]] bool contains(const Value& key);  // Python's `key in d`
  [[nodiscard]] std::vector<Value> keys();
  [[nodiscard]] Value copy();  // a snapshot, as a dict Value

 private:
  friend class BaseProxy;
  using BaseProxy::BaseProxy;
};

// manager.list(): Python's list methods, each one request; l[i] counts from the end when negative.
class ListProxy : public BaseProxy {
 public:
  static constexpr SharedRef::Kind kKind = SharedRef::Kind::List;
  Item operator[](std::int64_t index) { return item(index, fmt::format("[{}]", index)); }
  void append(const Value& item);
  void extend(const Value& items);  // a list or tuple; TypeError otherwise
  Value pop(std::int64_t index = -1);  // IndexError when empty or out of range
  void insert(std::int64_t index, const Value& item);
  void remove(const Value& item);                 // the first equal item; ValueError when there is none
  [[nodiscard]] std::int64_t index(const Value& item);  // ValueError when absent
  [[nodiscard]] std::int64_t count(const Value& item);
  [[nodiscard]] std::int64_t len();
  [[nodiscard]] bool contains(const Value& item);
  // A snapshot, to iterate over: for (const Value& x : l.copy().as_list()). One request, like Python's list(l).
  [[nodiscard]] Value copy();

 private:
  friend class BaseProxy;
  using BaseProxy::BaseProxy;
};

// manager.Value(typecode, value): one shared value. `v.value` reads and assigns it as in Python (v.value += 1 is a
// read, then a write); get() and set() are Python's methods of the same name.
class ValueProxy : public BaseProxy {
 public:
  static constexpr SharedRef::Kind kKind = SharedRef::Kind::Value;
  ValueProxy(const ValueProxy& other) : BaseProxy(other), value(item(None, ".value")) {}
  ValueProxy& operator=(const ValueProxy& other) {
    BaseProxy::operator=(other);  // `value` keeps referring to this proxy
    return *this;
  }
  [[nodiscard]] Value get();
  void set(const Value& v);

  Item value;

 private:
  friend class BaseProxy;
  ValueProxy(std::shared_ptr<detail::ManagerClient> manager, SharedRef ref, std::string name)
      : BaseProxy(std::move(manager), ref, std::move(name)), value(item(None, ".value")) {}
};

// manager.Namespace(): attributes by name, ns["x"] for Python's ns.x; AttributeError when one was never set.
class NamespaceProxy : public BaseProxy {
 public:
  static constexpr SharedRef::Kind kKind = SharedRef::Kind::Namespace;
  Item operator[](const std::string& attribute) { return item(attribute, "." + attribute); }

 private:
  friend class BaseProxy;
  using BaseProxy::BaseProxy;
};

class Manager {
 public:
  Manager();  // starts the server process
  ~Manager();  // shutdown(); a server that cannot be asked is killed, so nothing outlives the Manager
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // New shared objects in the server, and their proxies; `name` labels their calls on the timeline. (Inside this
  // class, the member function Value hides the type: hence forkscope::Value.)
  [[nodiscard]] DictProxy dict(const forkscope::Value::DictItems& items = {}, std::string name = "dict");
  [[nodiscard]] ListProxy list(const forkscope::Value::Items& items = {}, std::string name = "list");
  // manager.Value('i', 0): the typecode is kept for printing only, as in Python.
  [[nodiscard]] ValueProxy Value(const std::string& typecode, const forkscope::Value& value, std::string name = "value");
  [[nodiscard]] NamespaceProxy Namespace(std::string name = "ns");
  // The server serves this last request, then exits; waits for it. A second call does nothing.
  void shutdown();
  [[nodiscard]] const std::string& name() const { return server_.name(); }  // "SyncManager-1"
  [[nodiscard]] pid_t pid() const { return server_.pid(); }
  [[nodiscard]] std::uint16_t id() const;  // the manager on the timeline

 private:
  // Asks the server for a new object of `kind` holding `initial`; `label` is the call as Python would write it.
  template <class Proxy>
  Proxy create(const std::string& label, const forkscope::Value& initial, const std::string& typecode, std::string name);

  std::shared_ptr<detail::ManagerClient> client_;
  Process server_;
  bool shut_down_ = false;
};

}  // namespace forkscope
