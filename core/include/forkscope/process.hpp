// multiprocessing.Process over fork(): a function target or a subclass overriding run(); Python's names
// (Process-1, Process-2:1), pid, daemon, start, join(timeout), terminate, kill, is_alive and exitcode
// (0; 1 after an uncaught exception; minus the signal number when killed).
// When a process's body ends, its daemon children are terminated and its other children joined, as in Python.
// Unlike Python, a lesson process also dies when its parent dies, so nothing outlives the run.
// A daemonic process may not start children (AssertionError, as in Python); pool workers are daemonic.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace forkscope {

namespace detail {
struct ChildRecord;
}

struct ProcessOptions {
  std::string name;  // empty: Python's default, "Process-N" (N counts the processes this parent created)
  bool daemon = false;
};

class Process {
 public:
  Process() : Process(nullptr) {}  // for subclasses that override run()
  explicit Process(std::function<void()> target, ProcessOptions options = {});
  virtual ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&&) = default;  // so lessons can keep their processes in a std::vector
  Process& operator=(Process&&) = default;

  void start();  // AssertionError when started twice, or when this process is daemonic
  // Waits for the process to end (AssertionError before start). Returns false when the timeout expired first.
  bool join(std::optional<double> timeout = std::nullopt);
  void terminate();  // SIGTERM
  void kill();       // SIGKILL
  [[nodiscard]] bool is_alive();
  [[nodiscard]] std::optional<int> exitcode();  // nullopt while running or before start
  // Python's close(): ValueError while the process still runs. Afterwards start, join, terminate, kill, is_alive,
  // exitcode and pid raise ValueError("process object is closed"); name and daemon still answer.
  void close();

  [[nodiscard]] pid_t pid() const;  // 0 before start
  [[nodiscard]] const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  [[nodiscard]] bool daemon() const { return daemon_; }
  void set_daemon(bool daemon);  // AssertionError after start

 protected:
  // The body of the process. The default calls the target; subclasses override it.
  virtual void run();

 private:
  void signal(int signo);
  void check_not_closed() const;
  [[noreturn]] void child_main(std::uint32_t slot_index, pid_t parent);

  std::function<void()> target_;
  std::string name_;
  std::string identity_;  // Python's _identity as text, "2:1"
  bool daemon_ = false;
  detail::ChildRecord* record_ = nullptr;  // in the session arena, like the run it belongs to
  bool closed_ = false;
};

// The current lesson process: its pid, parent's pid and Python-style name ("MainProcess", "Process-1", ...).
[[nodiscard]] pid_t current_pid();
[[nodiscard]] pid_t parent_pid();
[[nodiscard]] const std::string& current_process_name();

// Another lesson process, as parent_process() and active_children() name it.
struct ProcessIdentity {
  pid_t pid = 0;
  std::string name;
};
// multiprocessing.parent_process(): the process that started this one; nullopt in the lesson's main process.
[[nodiscard]] std::optional<ProcessIdentity> parent_process();
// multiprocessing.active_children(): the children this process started that are still alive, oldest first. Like
// Python's, it reaps the ones that have ended (they leave the list; their exitcode is then known).
[[nodiscard]] std::vector<ProcessIdentity> active_children();

}  // namespace forkscope
