#include "forkscope/run.hpp"

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/lesson_main.hpp"
#include "futex.hpp"

extern char** environ;

namespace forkscope {

namespace {

int exit_code_of(int status) { return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status); }

std::size_t thread_count() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}

bool process_gone(pid_t pid) {
  if (pid <= 0) return true;
  if (kill(pid, 0) != 0) return errno == ESRCH;
  // A zombie still answers kill(); its state letter says it is done.
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

// The run directory: where the lesson's files (info, db.txt) live. Removed with the run.
std::filesystem::path make_run_dir() {
  std::string templ = (std::filesystem::temp_directory_path() / fmt::format("{}{}.XXXXXX", Session::kPrefix, getpid())).string();
  if (mkdtemp(templ.data()) == nullptr) throw_system("creating the run directory", errno);
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

Schedule Schedule::from_json(const nlohmann::json& j) {
  try {
    Schedule s;
    if (j.value("format", "") != "forkscope-schedule-1") throw UsageError("not a Forkscope schedule (format)");
    s.lesson = j.at("lesson").get<std::string>();
    s.params = j.at("params");
    s.seed = j.at("seed").get<std::uint64_t>();
    s.steps = j.at("steps").get<std::vector<std::string>>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("malformed schedule: {}", e.what()));
  }
}

void Schedule::save(const std::filesystem::path& file) const {
  std::ofstream out(file);
  out << to_json().dump(1) << "\n";
  if (!out) throw SystemFailure(fmt::format("cannot write the schedule to {}", file.string()));
}

Schedule Schedule::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw UsageError(fmt::format("cannot read the schedule file {}", file.string()));
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw UsageError(fmt::format("{} is not valid JSON", file.string()));
  return from_json(j);
}

// ---- Run -------------------------------------------------------------------------------------------------------

Run::Run(RunOptions options) : options_(std::move(options)) {
  if (options_.lesson == nullptr) throw UsageError("no lesson given");
  if (!(options_.speed > 0)) throw UsageError("the speed factor must be above 0");
  if (options_.fork_in_process && thread_count() > 1)
    throw UsageError("fork_in_process needs a single-threaded caller; this process has threads");
  const std::filesystem::path runner = options_.runner.empty() ? default_runner_path() : options_.runner;
  if (!options_.fork_in_process && access(runner.c_str(), X_OK) != 0)
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
    std::string path = options_.runner.string();
    std::string name = session_->name();
    char* argv[] = {path.data(), name.data(), nullptr};
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, path.c_str(), nullptr, &attr, argv, environ);
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
      stop();
      throw SystemFailure(fmt::format("lesson {} did not finish within {:.0f} s; it was stopped", options_.lesson->id,
                                      timeout_seconds));
    }
    // Drain in batches rather than spin: the lesson's processes need the CPUs more than we do.
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
  // The viewer tells how the main ended, and how any process ended that nobody joined (its parent died first).
  const std::int64_t now_ns = model_.clock().to_ns(trace_clock());
  for (const auto& [pid, status] : reaped_) {
    const ProcessInfo* p = model_.process(pid);
    if (pid == main_pid_ || p == nullptr || !p->exitcode)
      model_.note_exit(pid, stopped_ && pid == main_pid_ ? -SIGKILL : exit_code_of(status), now_ns);
  }
  const int main_code = stopped_ ? -SIGKILL : exit_code_of(main_status_);
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
  if (!stopped_ && main_code == 0) {
    report_.expect("no trace event lost", lost == 0, fmt::format("{} lost", lost));
    if (options_.lesson->check) options_.lesson->check(report_);
  }
  finished_ = true;
  pending_.clear();
  settling_.reset();
  session_.reset();  // removes the segment
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
    if (state != SlotState::Held && state != SlotState::BlockedHeld) continue;
    const std::uint32_t key = s.wait_key.load();
    out.push_back(HeldProcess{s.pid.load(), s.name, static_cast<EventKind>(s.held_kind.load()),
                              static_cast<std::uint16_t>(key < kJoinKeyBase ? key : 0), state == SlotState::BlockedHeld,
                              grantable(i) && state == SlotState::BlockedHeld, s.held_order.load()});
  }
  std::sort(out.begin(), out.end(), [](const HeldProcess& a, const HeldProcess& b) { return a.order < b.order; });
  return out;
}

void Run::request_step(std::int32_t pid) {
  if (!session_) return;
  if (mode() != GateMode::Step) set_mode(GateMode::Step);
  pending_.push_back(pid);
}

bool Run::settled(std::uint32_t slot_index) const {
  const ProcessSlot& s = session_->slot(slot_index);
  if (static_cast<SlotState>(s.state.load(std::memory_order_acquire)) != SlotState::Running) return true;
  return process_gone(s.pid.load());
}

bool Run::grantable(std::uint32_t slot_index) const {
  const ProcessSlot& s = session_->slot(slot_index);
  const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
  if (state == SlotState::Held) return true;
  if (state != SlotState::BlockedHeld) return false;
  if (s.ready.load(std::memory_order_acquire)) return true;
  // Blocked in join(): ready once the child has ended, even if it was killed and could not say so.
  const std::uint32_t key = s.wait_key.load();
  if (key >= kJoinKeyBase && key - kJoinKeyBase < session_->slots_used()) {
    const ProcessSlot& child = session_->slot(key - kJoinKeyBase);
    return static_cast<SlotState>(child.state.load()) == SlotState::Exited || process_gone(child.pid.load());
  }
  return false;
}

void Run::grant(std::uint32_t slot_index) {
  ProcessSlot& s = session_->slot(slot_index);
  s.ready.store(0, std::memory_order_relaxed);
  s.state.store(static_cast<std::uint32_t>(SlotState::Running), std::memory_order_release);
  s.grant.fetch_add(1, std::memory_order_release);
  detail::futex_wake(s.grant, 1);
  schedule_.steps.emplace_back(s.name);
  settling_ = slot_index;
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
      set_mode(GateMode::Run);
      return;
    }
    for (std::uint32_t i = 0; i < used; ++i)
      if (steps[replay_at_] == session_->slot(i).name && grantable(i)) {
        ++replay_at_;
        grant(i);
        return;
      }
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

std::string Run::step(std::int32_t pid, double timeout_seconds) {
  const std::size_t before = schedule_.steps.size();
  request_step(pid);
  const auto deadline = detail::Deadline::after_ns(static_cast<std::int64_t>(timeout_seconds * 1e9));
  while (!finished_ && (schedule_.steps.size() == before || settling_)) {
    poll();
    if (finished_) break;
    if (settling_ && settled(*settling_)) settling_.reset();
    if (deadline.expired()) {
      pending_.clear();
      throw SystemFailure(pid ? fmt::format("process {} did not reach its next operation within {:.0f} s", pid, timeout_seconds)
                              : fmt::format("no process reached an operation within {:.0f} s", timeout_seconds));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return schedule_.steps.size() > before ? schedule_.steps[before] : std::string();
}

}  // namespace forkscope
