#include "session/runtime.hpp"

#include <unistd.h>

#include <bit>
#include <cstring>
#include <functional>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "forkscope/errors.hpp"

namespace forkscope::detail {

namespace {

// `text` into `out` as a C string, cut at a UTF-8 character's start when it is too long.
template <std::size_t N>
void copy_truncated(char (&out)[N], std::string_view text) {
  std::size_t n = std::min(text.size(), N - 1);
  if (n < text.size())
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
  if (n > 0) std::memcpy(out, text.data(), n);  // an empty view's data() may be null: memcpy must not see it
  out[n] = '\0';
}

}  // namespace

ProcessContext& context() {
  if (g_context == nullptr)
    throw RuntimeError("Forkscope objects and processes live inside a lesson: run this code through a lesson");
  return *g_context;
}

void become_lesson_process(const Session& session, std::uint32_t slot_index, std::string&& name,
                           std::string&& identity, std::uint64_t run_seed) {
  static ProcessContext storage;  // one per process; a forked child overwrites its copy of the parent's
  storage.session = &session;
  storage.slot = &session.slot(slot_index);
  storage.gate = &session.gate();
  storage.slot_index = slot_index;
  storage.pid = getpid();
  storage.name = std::move(name);
  storage.identity = std::move(identity);
  storage.children_started = 0;
  // A child starts with no children. It forgets its copy of the parent's list instead of destroying it: releasing
  // those records would write to every heap page they sit on, and each write after fork() copies a page.
  new (&storage.children) std::vector<ChildRecord*>();
  new (&storage.wait_helpers) std::vector<WaitHelper*>();  // the parent's pools are not ours
  // Each process draws from its own stream, fixed by the run's seed and its name: replays draw the same numbers.
  // Seeded on first use: most processes never draw, and seeding writes 2.5 KB of state.
  storage.run_seed = run_seed;
  storage.rng_seeded = false;
  bind_thread(storage);
}

void bind_thread(ProcessContext& context) {
  g_writer.ring = context.session->ring_writer(context.slot_index);
  g_writer.pid = context.pid;
  context.slot->pid.store(context.pid, std::memory_order_release);
  g_context = &context;
}

const char* ChildRecord::name() const { return context().session->slot(slot).name; }

std::mt19937_64& ProcessContext::random() {
  if (!rng_seeded) {
    rng.seed(run_seed ^ std::hash<std::string>{}(name));
    rng_seeded = true;
  }
  return rng;
}

double speed() {
  const std::uint64_t bits = g_context->gate->speed_bits.load(std::memory_order_relaxed);
  const double s = std::bit_cast<double>(bits);
  return s > 0 ? s : 1.0;
}

std::int64_t real_ns(double lesson_seconds) { return static_cast<std::int64_t>(lesson_seconds * 1e9 / speed()); }

void set_slot_state(SlotState state, std::uint32_t key, bool timed) {
  ProcessSlot& s = *g_context->slot;
  s.wait_key.store(key, std::memory_order_relaxed);
  s.wait_timed.store(timed ? 1 : 0, std::memory_order_relaxed);
  s.state.store(static_cast<std::uint32_t>(state), std::memory_order_release);
  if (state != SlotState::Running && stepping()) note_stop();
}

void note_stop() {
  GateShared& gate = *g_context->gate;
  gate.stops.fetch_add(1, std::memory_order_release);
  futex_wake(gate.stops, 1);
}

void hold_at_gate(EventKind kind, std::uint32_t key, std::string_view detail) {
  const auto object = static_cast<std::uint16_t>(key < kJoinKeyBase ? key : 0);
  copy_truncated(g_context->slot->held_detail, detail);
  emit(EventKind::GateHeld, Phase::Done, object, static_cast<std::int64_t>(kind));
  // Let go by a grant, or by a switch to run mode: either way the process runs on from here.
  if (!hold_until_granted(SlotState::Held, kind, object, key, false))
    emit(EventKind::GateGranted, Phase::Done, object, static_cast<std::int64_t>(kind));
}

void note_woken(pid_t pid) {
  if (!stepping()) return;
  const Session& session = *g_context->session;
  for (std::uint32_t i = 0; i < session.slots_used(); ++i) {
    ProcessSlot& s = session.slot(i);
    if (s.pid.load(std::memory_order_acquire) != pid || s.thread.load(std::memory_order_relaxed) != 0) continue;
    auto blocked = static_cast<std::uint32_t>(SlotState::Blocked);
    s.state.compare_exchange_strong(blocked, static_cast<std::uint32_t>(SlotState::Running), std::memory_order_acq_rel);
    return;
  }
}

void mark_ready(std::uint32_t key) {
  if (!stepping()) return;
  const Session& session = *g_context->session;
  const std::uint32_t n = session.slots_used();
  for (std::uint32_t i = 0; i < n; ++i) {
    ProcessSlot& s = session.slot(i);
    if (s.state.load(std::memory_order_acquire) == static_cast<std::uint32_t>(SlotState::BlockedHeld) &&
        s.wait_key.load(std::memory_order_relaxed) == key)
      s.ready.store(1, std::memory_order_release);
  }
}

BlockingWait::BlockingWait(EventKind kind, std::uint16_t object, std::uint32_t key, std::optional<double> timeout_seconds)
    : kind_(kind),
      object_(object),
      key_(key),
      deadline_(timeout_seconds ? Deadline::after_ns(real_ns(*timeout_seconds)) : Deadline::none()) {}

BlockingWait::~BlockingWait() { set_slot_state(SlotState::Running); }

void BlockingWait::show_blocked() {
  if (shown_) return;
  emit(kind_, Phase::Want, object_, 0, key_ >= kJoinKeyBase ? static_cast<std::uint64_t>(g_context->session->slot(key_ - kJoinKeyBase).pid.load()) : 0);
  shown_ = true;
}

void BlockingWait::set_blocked() {
  retry_granted_ = false;
  set_slot_state(SlotState::Blocked, key_, deadline_.remaining_ns().has_value());
}

bool hold_until_granted(SlotState state, EventKind kind, std::uint16_t object, std::uint32_t key, bool timed) {
  ProcessContext& c = *g_context;
  ProcessSlot& s = *c.slot;
  const std::uint32_t granted = s.grant.load(std::memory_order_acquire);
  s.held_kind.store(static_cast<std::uint32_t>(kind), std::memory_order_relaxed);
  s.held_order.store(c.gate->arrivals.fetch_add(1, std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  set_slot_state(state, key, timed);
  // The viewer sets our state back to Running before it bumps `grant`; a switch to run mode wakes us too.
  while (stepping() && s.grant.load(std::memory_order_acquire) == granted) futex_wait(s.grant, granted, std::nullopt);
  set_slot_state(SlotState::Running);
  if (s.grant.load(std::memory_order_acquire) == granted) return false;
  emit(EventKind::GateGranted, Phase::Done, object, static_cast<std::int64_t>(kind));
  return true;
}

bool BlockingWait::timed_out_by_grant() {
  // Granted, tried again, still not ready: with a timeout, timing out is that step's outcome.
  if (!std::exchange(retry_granted_, false) || deadline_.is_none() || !stepping()) return false;
  set_slot_state(SlotState::Running);
  return true;
}

void BlockingWait::wait_for_grant() {
  const bool timed = !deadline_.is_none();
  // `ready` is not cleared here: a change between our failed try and the state below would be lost. The viewer
  // clears it when it grants; a stale `ready` costs one retry that fails and blocks again.
  const std::optional<std::int64_t> left = deadline_.remaining_ns();
  retry_granted_ = hold_until_granted(SlotState::BlockedHeld, kind_, object_, key_, timed);
  // The teacher granted a retry: it shows as a step; if the retry fails, the process is blocked again (Want).
  if (retry_granted_) shown_ = false;
  // Lesson time stood still while stepping: what was left of the timeout is left should the lesson run on freely.
  if (left) deadline_ = Deadline::after_ns(*left);
}

bool BlockingWait::wait(SharedMutex& mutex, SharedCondition& cond, bool& recovered) {
  if (timed_out_by_grant()) return false;
  show_blocked();
  if (stepping()) {
    mutex.unlock();
    wait_for_grant();
    recovered = mutex.lock() || recovered;
    return true;
  }
  if (deadline_.expired()) return false;
  set_blocked();
  constexpr std::int64_t kWhole = std::numeric_limits<std::int64_t>::max();
  const std::int64_t slice = help_slice_ns(kWhole);
  const std::optional<std::int64_t> left = deadline_.remaining_ns();
  const bool sliced = slice != kWhole && (!left || *left > slice);
  const bool ok = cond.wait(mutex, sliced ? Deadline::after_ns(slice) : deadline_, recovered);
  set_slot_state(SlotState::Running);
  if (ok || !sliced) return ok;
  // A slice ended: help without the mutex (a callback may use this very object), then let the caller look again.
  mutex.unlock();
  help_while_waiting();
  recovered = mutex.lock() || recovered;
  return !deadline_.expired();
}

WaitHelper::WaitHelper() { context().wait_helpers.push_back(this); }

WaitHelper::~WaitHelper() {
  if (g_context == nullptr) return;
  std::erase(g_context->wait_helpers, this);
}

std::int64_t help_slice_ns(std::int64_t longest) {
  for (const WaitHelper* helper : g_context->wait_helpers)
    if (helper->has_work()) return std::min(longest, kHelpEveryNs);
  return longest;
}

void help_while_waiting() {
  static bool helping = false;  // a callback that waits must not run callbacks inside itself
  if (helping) return;
  const BusyGuard guard(helping);
  // By index: a callback may make or destroy a pool.
  for (std::size_t i = 0; i < g_context->wait_helpers.size(); ++i) {
    WaitHelper* helper = g_context->wait_helpers[i];
    if (!helper->busy_ && helper->has_work()) helper->help();
  }
}

void note_recovered(std::uint16_t object, std::int32_t dead_holder) {
  emit(EventKind::LockRecovered, Phase::Done, object, 0, static_cast<std::uint64_t>(static_cast<std::uint32_t>(dead_holder)));
}

std::uint16_t announce_object(ObjectKind kind, std::string_view name, std::int64_t value) {
  ProcessContext& c = context();
  const std::uint16_t id = c.session->allocate_object_id();
  const std::string fallback = name.empty() ? fmt::format("{}-{}", to_string(kind), id) : std::string();
  const StringId text = c.session->store_string(name.empty() ? std::string_view(fallback) : name);
  emit(EventKind::ObjectNew, Phase::Done, id, value, pack_arg(text, static_cast<std::uint32_t>(kind)));
  return id;
}

}  // namespace forkscope::detail
