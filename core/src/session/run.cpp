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
#include <unordered_map>

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

std::filesystem::path default_runner_path() {
  if (const char* env = std::getenv("FORKSCOPE_LESSON_RUNNER"); env && *env) return env;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return self.parent_path() / "forkscope-lesson";
}

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

// A name a lesson gives (ProcessOptions::name, set_name): "worker", "http-server"; letters (UTF-8 too), digits, "_.-".
bool is_given_name(std::string_view name) {
  if (name.empty() || name.size() >= sizeof(ProcessSlot::name)) return false;
  const auto letter = [](unsigned char c) { return std::isalpha(c) || c >= 0x80; };
  if (!letter(static_cast<unsigned char>(name.front()))) return false;
  for (const char c : name)
    if (!letter(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
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
                            "SyncManager-N, or a name a lesson gives: letters, digits, '_', '.', '-')",
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
  const nlohmann::json request{{"lesson", options_.lesson->id},
                               {"params", options_.params.to_json()},
                               {"seed", seed_},
                               {"run_dir", run_dir_.string()}};
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

std::size_t Run::drain(bool everything) {
  // Each ring holds one process's events in time order, but rings are copied one after the other, so a process
  // drained early may still write events older than what a later ring already gave. Ingest in time order, and only
  // up to the watermark: the earliest "latest event" among the rings that produced something. Whatever is newer
  // waits for the next pass, when every ring has caught up to it.
  std::uint64_t watermark = UINT64_MAX;
  const std::uint32_t used = session_->slots_used();
  for (std::uint32_t i = 0; i < used; ++i) {
    const std::size_t before = held_back_.size();
    session_->ring_reader(i).drain([&](const TraceEvent& e) { held_back_.push_back(e); });
    if (held_back_.size() > before) watermark = std::min(watermark, held_back_.back().time);
  }
  if (everything) watermark = UINT64_MAX;
  std::stable_sort(held_back_.begin(), held_back_.end(), [](const TraceEvent& a, const TraceEvent& b) { return a.time < b.time; });
  std::size_t n = 0;
  for (; n < held_back_.size() && held_back_[n].time <= watermark; ++n) {
    const TraceEvent& e = held_back_[n];
    if (!carries_string(e.kind)) {
      model_.ingest(e);
      continue;
    }
    model_.ingest(e, session_->string(arg_string(e.arg)));
    session_->release_string(arg_string(e.arg));  // a printed line's block is free again once the model has it
  }
  held_back_.erase(held_back_.begin(), held_back_.begin() + static_cast<std::ptrdiff_t>(n));
  return n;
}

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

bool Run::finish_replay(double timeout_seconds) {
  const auto deadline = detail::Deadline::after_ns(static_cast<std::int64_t>(timeout_seconds * 1e9));
  while (!finished_) {
    const std::uint32_t seen = session_->gate().stops.load(std::memory_order_acquire);
    poll();
    if (finished_) break;
    if (settling_ && settled(*settling_)) settling_.reset();
    // A guided replay stands where its re-run steps end (Back), waiting for the teacher's next N.
    const bool replayed = !options_.replay || (options_.replay_step_by_step && replay_at_ >= options_.replay_free_steps);
    if (replayed && !settling_ && everyone_stopped()) {
      // Nobody writes now: two passes hand the model every event (the second, with nothing new, has no watermark).
      while (drain() > 0 || !held_back_.empty()) {
      }
      return true;
    }
    if (deadline.expired()) {
      stop();
      throw SystemFailure(fmt::format("the replay of {} did not stand still within {:.0f} s (step {} of {}); it was stopped",
                                      options_.lesson->id, timeout_seconds, replay_at_,
                                      options_.replay ? options_.replay->steps.size() : replay_at_));
    }
    wait_for_a_stop(seen);
  }
  return false;
}

std::unique_ptr<Run> step_back(const Run& run, double timeout_seconds) {
  const std::vector<std::string>& steps = run.schedule().steps;
  if (steps.empty()) throw UsageError("there is no step to go back from: no step was granted yet");
  RunOptions options = run.options();
  options.seed = run.seed();
  options.speed = run.speed();  // as the teacher set it last
  options.start_stepping = true;
  options.step_after_replay = true;
  if (run.replaying() && options.replay_step_by_step) {
    // Back inside a guided replay: the same schedule, its steps before this one re-run at once, the rest still guided.
    options.replay_free_steps = steps.size() - 1;
  } else {
    options.replay = run.schedule();
    options.replay->steps.pop_back();
    options.replay_step_by_step = false;
  }
  auto back = std::make_unique<Run>(std::move(options));
  if (!back->finish_replay(timeout_seconds))
    throw SystemFailure(fmt::format("the replay of {} finished before its {} steps: the lesson does not replay the same way",
                                    run.lesson().id, steps.size() - 1));
  return back;
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
  // The viewer tells how the main ended, and how any process ended that nobody joined (its parent died first).
  const std::int64_t now_ns = model_.clock().to_ns(trace_clock());
  for (const auto& [pid, status] : reaped_) {
    const ProcessInfo* p = model_.process(pid);
    if (pid == main_pid_ || p == nullptr || !p->exitcode)
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
    report_.expect("no trace event lost", lost == 0, fmt::format("{} lost", lost));
    if (options_.lesson->check) options_.lesson->check(report_);
  }
  finished_ = true;
  pending_.clear();
  settling_.reset();
  session_.reset();  // removes the segment
}

// ---- a run that nothing can move ------------------------------------------------------------------------------------

// Python hangs for ever when every process waits for something only a dead (or equally waiting) process could give:
// a consumer killed before task_done() while the main waits in q.join(), two locks taken in opposite orders. A
// teaching run says who died and who waits for what, and ends. Stuck means: running freely (not stepping), every
// live lesson process blocked without a timeout, and no event for kStuckAfterNs. While stepping, see
// watch_while_stepping.
void Run::watch_for_stuck(std::size_t events_drained) {
  const std::int64_t now = detail::monotonic_now_ns();
  if (events_drained > 0 || mode() != GateMode::Run) {
    quiet_since_ns_ = 0;
    if (mode() == GateMode::Step) watch_while_stepping();
    return;
  }
  if (now < next_stuck_check_ns_) return;
  next_stuck_check_ns_ = now + 50'000'000;
  bool anyone_waits = false;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (state == SlotState::Exited) continue;
    const bool waits_for_ever = state == SlotState::Blocked && s.wait_timed.load(std::memory_order_relaxed) == 0;
    if (!waits_for_ever && !detail::process_ended(s.pid.load())) {
      quiet_since_ns_ = 0;  // someone can still move
      return;
    }
    anyone_waits |= waits_for_ever && !detail::process_ended(s.pid.load());
  }
  if (!anyone_waits) return;
  if (quiet_since_ns_ == 0) quiet_since_ns_ = now;
  if (now - quiet_since_ns_ < kStuckAfterNs) return;
  deadlock_ = find_deadlock();
  std::string why = deadlock_ ? deadlock_->text : explain_stuck("; the run was ended");
  stop();
  report_.stuck = std::move(why);
  report_.deadlock = deadlock_;
}

// While stepping, nothing moves unless granted, so no quiet second is needed: once every live process is blocked,
// none may retry (its object has not changed, its child has not ended) and none waits with a timeout, no step can move
// the run. Said at once, and the run goes on: the teacher may step back.
void Run::watch_while_stepping() {
  if (!stalled_.empty() || settling_) return;
  const std::uint32_t used = session_->slots_used();
  // The cheap look first (most polls end here): someone held, running or grantable.
  for (std::uint32_t i = 0; i < used; ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (state == SlotState::Exited) continue;
    if (s.pid.load(std::memory_order_acquire) == 0 || state == SlotState::Held || state == SlotState::SleepingHeld)
      return;  // being born, or grantable
    if (state == SlotState::BlockedHeld && s.wait_timed.load(std::memory_order_relaxed) == 0) continue;
    if (!detail::process_ended(s.pid.load())) return;  // running, sleeping, or waiting with a timeout
  }
  bool anyone_waits = false;
  for (std::uint32_t i = 0; i < used; ++i) {
    const ProcessSlot& s = session_->slot(i);
    if (static_cast<SlotState>(s.state.load(std::memory_order_acquire)) != SlotState::BlockedHeld) continue;
    if (detail::process_ended(s.pid.load())) continue;
    if (grantable(i)) return;
    anyone_waits = true;
  }
  if (!anyone_waits) return;  // everyone is gone: the run is ending
  drain(true);  // every live process stands still, so all it wrote is in its ring: the model knows every holder
  deadlock_ = find_deadlock();
  stalled_ = deadlock_ ? deadlock_->text : explain_stuck("");
}

// The wait-for cycle among the live blocked processes: each points to the holder of the lock it waits for, or to the
// child it joins. In slot order, starting at the earliest process of the cycle.
std::optional<Deadlock> Run::find_deadlock() const {
  const std::uint32_t used = session_->slots_used();
  std::unordered_map<std::int32_t, std::uint32_t> slot_of;
  for (std::uint32_t i = 0; i < used; ++i) slot_of[session_->slot(i).pid.load()] = i;
  std::vector<std::optional<WaitEdge>> waits(used);
  std::vector<std::uint32_t> next(used);
  for (std::uint32_t i = 0; i < used; ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    const pid_t pid = s.pid.load();
    if ((state != SlotState::Blocked && state != SlotState::BlockedHeld) || detail::process_ended(pid)) continue;
    const std::uint32_t key = s.wait_key.load();
    WaitEdge edge{.pid = pid, .process = s.name};
    if (key >= kJoinKeyBase) {
      if (key - kJoinKeyBase >= used) continue;
      edge.holder_pid = session_->slot(key - kJoinKeyBase).pid.load();
    } else if (const ObjectInfo* o = model_.object(static_cast<std::uint16_t>(key));
               o && (o->kind == ObjectKind::Lock || o->kind == ObjectKind::RLock)) {
      edge.object = o->id;
      edge.object_name = o->name;
      edge.holder_pid = o->holder;
    }
    const auto holder = slot_of.find(edge.holder_pid);
    if (edge.holder_pid == 0 || holder == slot_of.end()) continue;
    edge.holder = session_->slot(holder->second).name;
    next[i] = holder->second;
    waits[i] = std::move(edge);
  }
  // Each process waits for at most one other: follow the arrows until they end or come back.
  enum Mark : std::uint8_t { kNew, kOnPath, kDone };
  std::vector<Mark> mark(used, kNew);
  for (std::uint32_t start = 0; start < used; ++start) {
    std::vector<std::uint32_t> path;
    std::uint32_t i = start;
    while (waits[i] && mark[i] == kNew) {
      mark[i] = kOnPath;
      path.push_back(i);
      i = next[i];
    }
    const bool closed = waits[i] && mark[i] == kOnPath;
    for (const std::uint32_t p : path) mark[p] = kDone;
    if (!closed) continue;
    auto first = std::find(path.begin(), path.end(), i);
    std::vector<std::uint32_t> ring(first, path.end());
    std::rotate(ring.begin(), std::min_element(ring.begin(), ring.end()), ring.end());
    Deadlock d;
    std::vector<std::string> said;
    for (const std::uint32_t r : ring) {
      const WaitEdge& e = *waits[r];
      said.push_back(e.object ? fmt::format("{} waits to acquire {} held by {}", e.process, model_.object_label(e.object), e.holder)
                              : fmt::format("{} waits in join() for {}", e.process, e.holder));
      d.cycle.push_back(e);
    }
    d.text = fmt::format("deadlock: {}", fmt::join(said, "; "));
    d.t_ns = model_.clock().to_ns(trace_clock());
    return d;
  }
  return std::nullopt;
}

// "Process-4 was killed by SIGKILL; MainProcess waits in join() of JoinableQueue 'q' (2 unfinished) — nothing can
// wake it", then `ending`.
std::string Run::explain_stuck(std::string_view ending) const {
  std::vector<std::string> dead, waiting;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const ProcessSlot& s = session_->slot(i);
    const pid_t pid = s.pid.load();
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    const ProcessInfo* p = model_.process(pid);
    if (state == SlotState::Exited) {  // joined: only a killed one matters here
      if (p && p->exitcode && *p->exitcode < 0) dead.push_back(fmt::format("{} {}", s.name, detail::how_it_ended(*p->exitcode)));
      continue;
    }
    if (detail::process_ended(pid)) {
      const std::optional<int> code = p && p->exitcode ? p->exitcode : detail::zombie_exit_code(pid);
      dead.push_back(fmt::format("{} {}", s.name, code ? detail::how_it_ended(*code) : "ended without a word"));
      continue;
    }
    std::string what = "waits";
    if (p)
      for (auto it = p->events.rbegin(); it != p->events.rend(); ++it)
        if (const TraceEvent& e = model_.events()[*it]; e.phase == Phase::Want) {
          what = model_.describe(e);
          if (const ObjectInfo* o = model_.object(e.object); o && o->holder != 0 && o->holder != pid)
            what += fmt::format(" (held by {})", model_.process_label(o->holder));
          break;
        }
    waiting.push_back(fmt::format("{} {}", s.name, what));
  }
  std::string text = dead.empty() ? "deadlock: every process waits for another" : fmt::format("{}", fmt::join(dead, "; "));
  return fmt::format("{}; {} — nothing can wake {}{}", text, fmt::join(waiting, "; "), waiting.size() == 1 ? "it" : "them",
                     ending);
}

bool Run::all_held() const {
  if (!session_) return false;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (state == SlotState::Exited || state == SlotState::Held || state == SlotState::BlockedHeld ||
        state == SlotState::SleepingHeld)
      continue;
    // Waiting for what only another process's step can give (a manager's reply to a request that was a step).
    if (state == SlotState::Blocked && s.wait_timed.load(std::memory_order_relaxed) == 0) continue;
    const pid_t pid = s.pid.load(std::memory_order_acquire);
    if (pid == 0 || !detail::process_ended(pid)) return false;
  }
  return true;
}

// ---- the gate, from the viewer's side ------------------------------------------------------------------------------

GateMode Run::mode() const {
  return session_ ? static_cast<GateMode>(session_->gate().mode.load()) : GateMode::Run;
}

double Run::speed() const {
  return session_ ? std::bit_cast<double>(session_->gate().speed_bits.load()) : options_.speed;
}

void Run::wake_all() {
  GateShared& g = session_->gate();
  g.changes.fetch_add(1, std::memory_order_seq_cst);
  detail::futex_wake(g.changes, INT_MAX);
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) detail::futex_wake(session_->slot(i).grant, INT_MAX);
}

void Run::set_mode(GateMode mode) {
  if (!session_) return;
  if (mode == GateMode::Run) {
    pending_.clear();
    settling_.reset();
  }
  session_->gate().mode.store(static_cast<std::uint32_t>(mode), std::memory_order_seq_cst);
  wake_all();
}

void Run::set_speed(double factor) {
  if (!(factor > 0)) throw UsageError("the speed factor must be above 0");
  if (!session_) return;
  session_->gate().speed_bits.store(std::bit_cast<std::uint64_t>(factor), std::memory_order_relaxed);
  wake_all();
}

std::vector<HeldProcess> Run::held() const {
  std::vector<HeldProcess> out;
  if (!session_) return out;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (state != SlotState::Held && state != SlotState::BlockedHeld && state != SlotState::SleepingHeld) continue;
    const std::uint32_t key = s.wait_key.load();
    const bool blocked = state == SlotState::BlockedHeld;
    out.push_back(HeldProcess{s.pid.load(), s.name, static_cast<EventKind>(s.held_kind.load()),
                              static_cast<std::uint16_t>(key < kJoinKeyBase ? key : 0), blocked,
                              blocked && retry_may_succeed(i), blocked && s.wait_timed.load() != 0,
                              state == SlotState::SleepingHeld, s.held_order.load(), i});
  }
  std::sort(out.begin(), out.end(), [](const HeldProcess& a, const HeldProcess& b) { return a.order < b.order; });
  return out;
}

void Run::request_step(std::int32_t pid) {
  if (!session_) return;
  if (mode() != GateMode::Step) set_mode(GateMode::Step);
  pending_.push_back(pid);
}

// The process waits for the viewer (held, blocked or asleep while stepping), waits in the kernel (a wait begun while
// running), or has ended. A slot its parent has named but not yet forked has not stopped: that process is being born.
bool Run::stopped(std::uint32_t slot_index) const {
  const ProcessSlot& s = session_->slot(slot_index);
  const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
  if (state != SlotState::Running && state != SlotState::Sleeping) return true;  // a sleeper notices Step mode
  const pid_t pid = s.pid.load(std::memory_order_acquire);
  return pid != 0 && detail::process_ended(pid);
}

// A step has settled once its process has stopped again, and so has every process born during it (a start's child
// runs up to its first operation as part of the step that started it) or woken by it (note_woken). A Python thread's lane may run on by itself
// (a Queue's feeder): it is not waited for.
bool Run::settled(std::uint32_t slot_index) const {
  if (!stopped(slot_index)) return false;
  for (const std::uint32_t i : stood_still_)
    if (!stopped(i)) return false;
  for (std::uint32_t i = born_from_; i < session_->slots_used(); ++i)
    if (session_->slot(i).thread.load(std::memory_order_acquire) == 0 && !stopped(i)) return false;
  return true;
}

bool Run::everyone_stopped() const {
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i)
    if (session_->slot(i).thread.load(std::memory_order_acquire) == 0 && !stopped(i)) return false;
  return true;
}

void Run::wait_for_a_stop(std::uint32_t seen) const {
  detail::futex_wait(session_->gate().stops, seen, 1'000'000);
}

// Held at the gate, asleep while stepping (the grant ends the sleep), or blocked with a timeout (a retry that fails
// times out) or with a retry that may succeed.
bool Run::grantable(std::uint32_t slot_index) const {
  const ProcessSlot& s = session_->slot(slot_index);
  const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
  if (state == SlotState::Held || state == SlotState::SleepingHeld) return true;
  if (state != SlotState::BlockedHeld) return false;
  return s.wait_timed.load(std::memory_order_relaxed) != 0 || retry_may_succeed(slot_index);
}

bool Run::retry_may_succeed(std::uint32_t slot_index) const {
  const ProcessSlot& s = session_->slot(slot_index);
  if (s.ready.load(std::memory_order_acquire)) return true;
  // Blocked in join(): ready once the child has ended, even if it was killed and could not say so.
  const std::uint32_t key = s.wait_key.load();
  if (key >= kJoinKeyBase && key - kJoinKeyBase < session_->slots_used()) {
    const ProcessSlot& child = session_->slot(key - kJoinKeyBase);
    return static_cast<SlotState>(child.state.load()) == SlotState::Exited || detail::process_ended(child.pid.load());
  }
  return false;
}

void Run::grant(std::uint32_t slot_index) {
  ProcessSlot& s = session_->slot(slot_index);
  // Before the process is let go: a child it starts at once must count as born during this step, and a process that
  // stands still now and is woken by it (a manager's reply) runs as part of it.
  born_from_ = session_->slots_used();
  stood_still_.clear();
  for (std::uint32_t i = 0; i < born_from_; ++i)
    if (i != slot_index && session_->slot(i).thread.load(std::memory_order_acquire) == 0 && stopped(i)) stood_still_.push_back(i);
  settling_ = slot_index;
  schedule_.steps.emplace_back(s.name);
  s.ready.store(0, std::memory_order_relaxed);
  s.state.store(static_cast<std::uint32_t>(SlotState::Running), std::memory_order_release);
  s.grant.fetch_add(1, std::memory_order_release);
  detail::futex_wake(s.grant, 1);
}

void Run::try_grant() {
  if (!session_ || mode() != GateMode::Step) return;
  if (settling_) {
    if (!settled(*settling_)) return;  // one step at a time: the last one must reach its next stop first
    settling_.reset();
  }
  const std::uint32_t used = session_->slots_used();
  if (options_.replay) {
    const auto& steps = options_.replay->steps;
    if (replay_at_ >= steps.size()) {
      options_.replay.reset();
      if (!options_.step_after_replay) set_mode(GateMode::Run);
      return;
    }
    const bool guided = options_.replay_step_by_step && replay_at_ >= options_.replay_free_steps;
    if (guided && pending_.empty()) return;  // each step of a guided replay waits for the teacher's N
    if (guided && pending_.front() != 0 && !names(pending_.front(), steps[replay_at_])) {
      options_.replay.reset();  // another process than the schedule's next: the teacher leaves the schedule
      try_grant();
      return;
    }
    for (std::uint32_t i = 0; i < used; ++i)
      if (steps[replay_at_] == session_->slot(i).name && grantable(i)) {
        ++replay_at_;
        if (guided) pending_.erase(pending_.begin());
        grant(i);
        return;
      }
    if (const auto waiting = replay_cannot_go_on(steps[replay_at_]))
      throw UsageError(fmt::format("the schedule's step {} is '{}', but no process has that name and every process waits "
                                   "at the gate ({}): the schedule does not fit this lesson and its parameters",
                                   replay_at_ + 1, steps[replay_at_], *waiting));
    return;
  }
  if (pending_.empty()) return;
  const std::int32_t want = pending_.front();
  std::optional<std::uint32_t> pick;
  for (std::uint32_t i = 0; i < used; ++i) {
    if (!grantable(i)) continue;
    const ProcessSlot& s = session_->slot(i);
    if (want != 0 && s.pid.load() != want) continue;
    if (!pick || s.held_order.load() < session_->slot(*pick).held_order.load()) pick = i;
  }
  if (!pick) return;
  pending_.erase(pending_.begin());
  grant(*pick);
}

bool Run::names(std::int32_t pid, const std::string& name) const {
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i)
    if (session_->slot(i).pid.load() == pid) return session_->slot(i).name == name;
  return false;
}

void Run::replay_through() {
  options_.replay_step_by_step = false;
  options_.step_after_replay = false;
  pending_.clear();
  if (session_ && mode() != GateMode::Step) set_mode(GateMode::Step);  // the replay's steps are granted while stepping
}

// A replayed step names a process that does not exist while every living process waits at the gate: nothing can make
// it appear. Returns who waits, or nothing while some process may still move (or the named one exists).
std::optional<std::string> Run::replay_cannot_go_on(const std::string& name) const {
  std::string waiting;
  for (std::uint32_t i = 0; i < session_->slots_used(); ++i) {
    const ProcessSlot& s = session_->slot(i);
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (state == SlotState::Exited) continue;
    // A slot without a pid is a process being born (its parent named it before fork): it may still arrive.
    const pid_t pid = s.pid.load(std::memory_order_acquire);
    if (pid == 0 && state == SlotState::Running) return std::nullopt;
    if (detail::process_ended(pid)) continue;
    if (s.name == name || (state != SlotState::Held && state != SlotState::BlockedHeld && state != SlotState::SleepingHeld))
      return std::nullopt;
    waiting += fmt::format("{}{}", waiting.empty() ? "" : ", ", s.name);
  }
  if (waiting.empty()) return std::nullopt;  // everyone is gone: the run is ending, not stuck
  return waiting;
}

std::string Run::step(std::int32_t pid, double timeout_seconds) {
  const std::size_t before = schedule_.steps.size();
  request_step(pid);
  const auto deadline = detail::Deadline::after_ns(static_cast<std::int64_t>(timeout_seconds * 1e9));
  while (!finished_ && (schedule_.steps.size() == before || settling_)) {
    const std::uint32_t seen = session_->gate().stops.load(std::memory_order_acquire);
    poll();
    if (finished_) break;
    if (settling_ && settled(*settling_)) settling_.reset();
    if (deadline.expired()) {
      pending_.clear();
      throw SystemFailure(pid ? fmt::format("process {} did not reach its next operation within {:.0f} s", pid, timeout_seconds)
                              : fmt::format("no process reached an operation within {:.0f} s", timeout_seconds));
    }
    wait_for_a_stop(seen);
  }
  return schedule_.steps.size() > before ? schedule_.steps[before] : std::string();
}

}  // namespace forkscope
