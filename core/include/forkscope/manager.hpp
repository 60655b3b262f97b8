// multiprocessing.Manager: Manager() starts a server process (its own lane, named like Python's "SyncManager-1")
// that holds shared objects; a proxy, in any process, turns every call into a request to the server and waits for
// its reply. The server is single-threaded and serves one request at a time. So a compound update such as
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
// On the timeline a call is "waiting for the manager" on the caller's lane (ManagerCall, labelled "d['count']");
// the server's lane shows each request it serves (ManagerServe) and is blocked between requests. Stepping: sending
// a request is a step of its caller, serving it a step of the server; the reply then lets the caller run on to its
// next operation.
#pragma once

#include <sys/types.h>

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

// The proxy of a dict held by a manager's server. Copies (and copies inherited by children) refer to the same dict.
class DictProxy {
 public:
  // d[key]: reading it is one request (KeyError when missing), assigning it another; += and -= are both, one after
  // the other, as in Python.
  class Item {
   public:
    operator Value() const;  // implicit: reads like Python's d[key]
    Item& operator=(const Value& value);
    Item& operator+=(const Value& delta);
    Item& operator-=(const Value& delta);

   private:
    friend class DictProxy;
    Item(DictProxy& dict, std::string key) : dict_(dict), key_(std::move(key)) {}
    DictProxy& dict_;
    std::string key_;
  };

  Item operator[](std::string key) { return Item(*this, std::move(key)); }
  [[nodiscard]] Value get(const std::string& key, const Value& default_value = None);
  [[nodiscard]] std::int64_t len();
  [[nodiscard]] bool contains(const std::string& key);  // Python's `key in d`
  [[nodiscard]] std::vector<std::string> keys();
  [[nodiscard]] std::string str();  // what print(d) shows: {'count': 0}
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  friend class Manager;
  DictProxy(std::shared_ptr<detail::ManagerClient> manager, std::int64_t referent, std::string name)
      : manager_(std::move(manager)), referent_(referent), name_(std::move(name)) {}
  std::vector<Value> call(const std::string& label, std::int64_t op, std::vector<Value> args);

  std::shared_ptr<detail::ManagerClient> manager_;
  std::int64_t referent_ = 0;  // the dict's number in the server
  std::string name_;           // labels its calls on the timeline: "d['count']"
};

class Manager {
 public:
  Manager();  // starts the server process
  ~Manager();  // shutdown(); a server that cannot be asked is killed, so nothing outlives the Manager
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // manager.dict({...}): a new dict in the server, and its proxy.
  [[nodiscard]] DictProxy dict(const std::vector<std::pair<std::string, Value>>& items = {}, std::string name = "dict");
  // The server serves this last request, then exits; waits for it. A second call does nothing.
  void shutdown();
  [[nodiscard]] const std::string& name() const { return server_.name(); }  // "SyncManager-1"
  [[nodiscard]] pid_t pid() const { return server_.pid(); }
  [[nodiscard]] std::uint16_t id() const;  // the manager on the timeline

 private:
  std::shared_ptr<detail::ManagerClient> client_;
  Process server_;
  bool shut_down_ = false;
};

}  // namespace forkscope
