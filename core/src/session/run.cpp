#include "forkscope/run.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "forkscope/atomic_write.hpp"
#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/lesson_main.hpp"
#include "session/futex.hpp"
#include "session/proc.hpp"

extern char** environ;

namespace forkscope {

namespace {

std::size_t thread_count() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}

// ThreadSanitizer starts a background thread of its own in every forked child; it holds nothing our fork needs.
#if defined(__SANITIZE_THREAD__)
constexpr std::size_t kOwnThreads = 2;
#else
constexpr std::size_t kOwnThreads = 1;
#endif

// The run directory: where the lesson's files (info, db.txt) live. Removed with the run. The marker inside proves it
// is ours to a later viewer's sweep, should this viewer die before removing it.
std::filesystem::path make_run_dir() {
  std::string templ = (std::filesystem::temp_directory_path() / fmt::format("{}{}.XXXXXX", Session::kPrefix, getpid())).string();
  if (mkdtemp(templ.data()) == nullptr) throw_system("creating the run directory", errno);
  const std::filesystem::path marker = std::filesystem::path(templ) / Session::kRunDirMarker;
  const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || ::close(fd) != 0) {
    const int saved = errno;
    std::error_code ec;
    std::filesystem::remove_all(templ, ec);
    throw_system(fmt::format("creating {}", marker.string()), saved);
  }
  return templ;
}

}  // namespace

// ---- Schedule -------------------------------------------------------------------------------------------------

nlohmann::json Schedule::to_json() const {
  return {{"format", "forkscope-schedule-1"}, {"lesson", lesson}, {"params", params}, {"seed", seed}, {"steps", steps}};
}

namespace {

// A decimal number from 1 up, without a leading zero ("3", not "03" or "0").
bool is_counter(std::string_view digits) {
  return !digits.empty() && digits.size() <= 6 && digits.front() != '0' &&
         digits.find_first_not_of("0123456789") == std::string_view::npos;
}

// Python's identities after a prefix: "1", "2:1" (the second child of the first child), ...
bool is_identity(std::string_view name) {
  for (;;) {
    const auto colon = name.find(':');
    if (!is_counter(name.substr(0, colon))) return false;
    if (colon == std::string_view::npos) return true;
    name.remove_prefix(colon + 1);
  }
}

// A name a lesson gives (ProcessOptions::name, set_name): "worker", "http-server"; letters (UTF-8 too), digits, "_.-",
// and '@' (an MPI rank: "rank-0@host-1").
bool is_given_name(std::string_view name) {
  if (name.empty() || name.size() >= sizeof(ProcessSlot::name)) return false;
  const auto letter = [](unsigned char c) { return std::isalpha(c) || c >= 0x80; };
  if (!letter(static_cast<unsigned char>(name.front()))) return false;
  for (const char c : name)
    if (!letter(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) && c != '_' && c != '.' &&
        c != '-' && c != '@')
      return false;
  return true;
}

}  // namespace

bool is_process_name(std::string_view name) {
  static constexpr std::string_view kPythonPrefixes[] = {"Process-", "ForkPoolWorker-", "SyncManager-"};
  if (name == "MainProcess") return true;
  for (std::string_view prefix : kPythonPrefixes)
    if (name.starts_with(prefix)) return is_identity(name.substr(prefix.size()));
  return is_given_name(name);
}

Schedule Schedule::from_json(const nlohmann::json& j) {
  const auto bad = [](std::string_view why) { return UsageError(fmt::format("malformed schedule: {}", why)); };
  if (!j.is_object() || j.value("format", nlohmann::json()) != "forkscope-schedule-1")
    throw bad("it is not a Forkscope schedule (\"format\" must be \"forkscope-schedule-1\")");
  Schedule s;
  if (!j.contains("lesson") || !j["lesson"].is_string()) throw bad("\"lesson\" must be a lesson id (a string)");
  if (!j.contains("params") || !j["params"].is_object()) throw bad("\"params\" must be an object of KEY: value");
  if (!j.contains("seed") || !j["seed"].is_number_unsigned())
    throw bad("\"seed\" must be an integer from 0 to 18446744073709551615");
  if (!j.contains("steps") || !j["steps"].is_array()) throw bad("\"steps\" must be an array of process names");
  const nlohmann::json& steps = j["steps"];
  if (steps.size() > kMaxSteps) throw bad(fmt::format("it has {} steps; at most {} are allowed", steps.size(), kMaxSteps));
  s.lesson = j["lesson"].get<std::string>();
  s.params = j["params"];
  s.seed = j["seed"].get<std::uint64_t>();
  s.steps.reserve(steps.size());
  for (const nlohmann::json& step : steps) {
    if (!step.is_string() || !is_process_name(step.get_ref<const std::string&>()))
      throw bad(fmt::format("step {} is {}, not a process name (MainProcess, Process-N[:M...], ForkPoolWorker-N, "
                            "SyncManager-N, or a name a lesson gives: letters, digits, '_', '.', '-', '@')",
                            s.steps.size() + 1, step.dump()));
    s.steps.push_back(step.get<std::string>());
  }
  return s;
}

void Schedule::save(const std::filesystem::path& file) const {
  const std::string text = to_json().dump(1) + "\n";
  write_file_atomically(file, "schedule", [&](const WriteBytes& write) { write(text); });
}

Schedule Schedule::load(const std::filesystem::path& file) {
  return from_json(parse_json_text(read_input_file(file, "schedule file", kMaxFileBytes), file.string()));
}

// ---- Run -------------------------------------------------------------------------------------------------------

Run::Run(RunOptions options) : options_(std::move(options)) {
  if (options_.lesson == nullptr) throw UsageError("no lesson given");
  if (!(options_.speed > 0)) throw UsageError("the speed factor must be above 0");
  if (options_.fork_in_process && thread_count() > kOwnThreads)
    throw UsageError("fork_in_process needs a single-threaded caller; this process has threads");
  const std::filesystem::path runner = options_.runner.empty() ? default_runner_path() : options_.runner;
  if (!options_.program.empty() && options_.fork_in_process) throw UsageError("a Python program cannot run in process");
  if (!options_.lesson->file.empty() && options_.fork_in_process)
    throw UsageError("a lesson file runs in the lesson runner, not in process");
  if (!options_.program.empty() && access(python_interpreter().c_str(), X_OK) != 0)
    throw SystemFailure(fmt::format("the Python interpreter {} is missing (tools/setup installs python3.11)",
                                    python_interpreter().string()));
  if (!options_.fork_in_process && options_.program.empty() && access(runner.c_str(), X_OK) != 0)
    throw SystemFailure(fmt::format("the lesson runner {} is missing or not executable", runner.string()));
  options_.runner = runner;
  seed_ = options_.seed ? *options_.seed : std::random_device{}();
  schedule_.lesson = options_.lesson->id;
  schedule_.params = options_.params.to_json();
  schedule_.seed = seed_;

  // Orphaned lesson processes come to us, not to init, so that we can reap every one of them.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  const ClockCalibration clock = calibrate_trace_clock();
  model_.set_clock(clock);
  session_ = std::make_unique<Session>(Session::create(clock, options_.limits));
  try {
    run_dir_ = make_run_dir();
    launch();
  } catch (...) {
    std::error_code ec;
    if (!run_dir_.empty()) std::filesystem::remove_all(run_dir_, ec);
    session_.reset();
    throw;
  }
}

Run::~Run() {
  if (main_pid_ > 0 && !finished_) kill_and_reap_all();
  std::error_code ec;
  if (!run_dir_.empty()) std::filesystem::remove_all(run_dir_, ec);
}

const std::string& Run::session_name() const { return session_->name(); }

void Run::launch() {
  SessionHeader& h = session_->header();
  nlohmann::json request{{"lesson", options_.lesson->id},
                         {"params", options_.params.to_json()},
                         {"seed", seed_},
                         {"run_dir", run_dir_.string()}};
  if (!options_.lesson->file.empty()) request["lesson_file"] = options_.lesson->file;
  h.launch = session_->store_string(request.dump());
  set_speed(options_.speed);
  if (options_.start_stepping || options_.replay) h.gate.mode.store(static_cast<std::uint32_t>(GateMode::Step));

  // Slot 0 is the lesson main; the viewer fills it in so the main is visible before its first event.
  const std::uint32_t main_slot = session_->allocate_slot();
  ProcessSlot& slot = session_->slot(main_slot);
  std::strcpy(slot.name, "MainProcess");
  slot.ppid = getpid();
  slot.state.store(static_cast<std::uint32_t>(SlotState::Running));

  started_ns_ = detail::monotonic_now_ns();
  if (options_.fork_in_process) {
    const pid_t viewer = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw ForkError(describe_errno("fork for MainProcess", errno));
    if (pid == 0) {
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != viewer) _exit(1);
      run_lesson_main(*session_, options_.lesson->params, options_.lesson->body);
    }
    setpgid(pid, pid);  // both sides, so the group exists whichever runs first
    main_pid_ = pid;
  } else {
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    std::vector<std::string> args;
    if (options_.program.empty()) {
      args = {options_.runner.string(), session_->name()};
    } else {
      // The program runs where the user runs Forkscope (its relative paths are theirs), as `python3.11 FILE` would.
      args = {python_interpreter().string(), "-c",
              fmt::format("import sys; sys.path.insert(0, {}); from forkscope import _boot; _boot.main()",
                          nlohmann::json(python_package_dir().string()).dump()),
              session_->name()};
      args.insert(args.end(), options_.program.begin(), options_.program.end());
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string& path = args.front();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::filesystem::path cwd = options_.program_cwd;
    if (options_.program_in_run_dir) {
      cwd = run_dir_;
      for (const auto& [name, text] : options_.program_files) {
        if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
          throw UsageError(fmt::format("a program's file must be a plain name, not '{}'", name));
        write_file_atomically(run_dir_ / name, "program file", [&](const WriteBytes& write) { write(text); });
      }
    }
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, path.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) throw ForkError(describe_errno(fmt::format("starting {}", path), rc));
    main_pid_ = pid;
  }
  slot.pid.store(main_pid_, std::memory_order_release);
}

std::size_t Run::drain(bool everything) { return drain_.drain(*session_, model_, everything); }

bool Run::ring_half_full() const {
  const std::uint32_t used = session_->slots_used();
  for (std::uint32_t i = 0; i < used; ++i)
    if (session_->ring_reader(i).pending() * 2 >= session_->limits().ring_capacity) return true;
  return false;
}

std::size_t Run::poll() {
  if (finished_) return 0;
  std::size_t n = options_.lazy_drain && !ring_half_full() ? 0 : drain();
  try_grant();
  watch_for_stuck(n);
  if (finished_) return n;
  // Has the main ended? Asked without reaping it: while its zombie stands, its process group cannot be reused, so
  // killing what is left of the group hits only lesson processes.
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(main_pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == main_pid_) {
    kill_and_reap_all();
    n += drain(true);
    collect();
  }
  return n;
}

const RunReport& Run::wait(double timeout_seconds) {
  const auto deadline = detail::Deadline::after_ns(static_cast<std::int64_t>(timeout_seconds * 1e9));
  while (!finished_) {
    poll();
    if (finished_) break;
    if (deadline.expired()) {
      // A replay that stopped halfway says where: the step it waited to grant, and who waited how.
      std::string where;
      if (options_.replay && replay_at_ < options_.replay->steps.size()) {
        std::string held;
        for (const HeldProcess& h : this->held())
          held += fmt::format("{}{} {}{}", held.empty() ? "" : ", ", h.name, to_string(h.op), h.grantable() ? "" : " (blocked)");
        where = fmt::format(" (its schedule waited at step {} of {}, '{}'; at the gate: {})", replay_at_ + 1,
                            options_.replay->steps.size(), options_.replay->steps[replay_at_], held.empty() ? "nobody" : held);
      }
      stop();
      throw SystemFailure(fmt::format("lesson {} did not finish within {:.0f} s{}; it was stopped", options_.lesson->id,
                                      timeout_seconds, where));
    }
    // Drain in batches rather than spin: the lesson's processes need the CPUs more than we do. A replay waits for
    // each step to settle instead, woken by the process that stops.
    if (options_.replay && session_)
      wait_for_a_stop(session_->gate().stops.load(std::memory_order_acquire));
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return report_;
}

void Run::stop() {
  if (finished_) return;
  stopped_ = true;
  kill_and_reap_all();
  collect();
}

// Kills whatever is left of the lesson's process group and reaps all of it. Every lesson process stays in the
// group of the main, and each one that loses its parent comes to us (we are a child subreaper) before that parent
// can be reaped; so once waitpid finds no child of ours in the group, no lesson process is left, zombie or alive.
void Run::kill_and_reap_all() {
  if (main_pid_ <= 0 || reaped_all_) return;
  kill(-main_pid_, SIGKILL);  // the main's zombie keeps the group's id ours until it is reaped below
  const auto deadline = detail::Deadline::after_ns(5'000'000'000);
  while (true) {
    int status = 0;
    const pid_t r = waitpid(-main_pid_, &status, WNOHANG);
    if (r > 0) {
      if (r == main_pid_) main_status_ = status;
      reaped_.emplace_back(r, status);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;  // ECHILD: nothing of the group is left
    if (deadline.expired()) break;  // a process stuck in the kernel; the report says so
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  reaped_all_ = true;
}

void Run::collect() {
  drain(true);
  // The viewer tells how the main ended, and how any process ended that nobody joined (its parent died first). A pid
  // the trace never named was no lesson process but a program one ran (mpirun's daemon, a shell): no lane of its own.
  const std::int64_t now_ns = model_.clock().to_ns(trace_clock());
  for (const auto& [pid, status] : reaped_) {
    const ProcessInfo* p = model_.process(pid);
    if (pid == main_pid_ || (p != nullptr && !p->exitcode))
      model_.note_exit(pid, stopped_ && pid == main_pid_ ? -SIGKILL : detail::exit_code_of(status), now_ns);
  }
  const int main_code = stopped_ ? -SIGKILL : detail::exit_code_of(main_status_);
  report_.lesson = options_.lesson->id;
  report_.params = options_.params.to_json();
  report_.seed = seed_;
  report_.speed = speed();
  report_.wall_seconds = static_cast<double>(detail::monotonic_now_ns() - started_ns_) * 1e-9;
  report_.main_exitcode = main_code;
  report_.events = model_.events().size();
  report_.model = &model_;
  report_.result = model_.result();
  std::uint64_t lost = 0, waits = 0;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const RingHeader& ring = session_->slot(i).ring;
    lost += ring.head.load() - ring.tail.load();
    waits += ring.full_waits.load();
  }
  report_.lost_events = lost;
  report_.ring_full_waits = waits;
  report_.payload_store_bytes = session_->header().blobs_used.load();
  report_.deadlock = deadlock_;
  if (!stopped_ && main_code == 0) {
    report_.expect("no_event_lost", lost == 0, {{"lost", lost}});
    if (options_.lesson->check) options_.lesson->check(report_);
  }
  // A run stopped half-way shows nothing, unless the viewer stopped it for its deadlock.
  if (options_.lesson->point && ((!stopped_ && main_code == 0) || report_.deadlock))
    report_.point = options_.lesson->point(report_);
  finished_ = true;
  pending_.clear();
  settling_.reset();
  session_.reset();  // removes the segment
}

}  // namespace forkscope
