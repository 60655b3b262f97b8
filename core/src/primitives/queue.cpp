// Queue and JoinableQueue: a bounded multi-producer/multi-consumer ring in shared memory (Vyukov's design).
// Producers and consumers each advance their own position and meet only in the cells, so a producer on one CPU and
// a consumer on the other rarely fight over a cache line: that is what makes the queue fast across processes.
// Waiting spins briefly, then sleeps on a futex word that the other side bumps only when someone sleeps.
// Each put and get takes its timestamp between observing its cell and publishing it, so in the trace every put
// precedes its get and every get precedes the put that reuses its cell: the model derives the exact depth.
// Like Python's, a queue is not safe against a process killed in the middle of a put or get.
#include "forkscope/queue.hpp"

#include <immintrin.h>

#include <bitset>
#include <climits>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "session/runtime.hpp"
#include "primitives/wire.hpp"

namespace forkscope::detail {

// One item: 32 bytes, two to a cache line (so the line moving between the two CPUs carries two items). Numbers,
// bools and strings or bytes up to 22 bytes are stored inline; longer ones and every tuple, list or dict go, in the
// wire format of pipes (wire.hpp), into a block of the payload store that the get gives back.
// `turn` says whose turn the cell is, by round (pos / capacity): 2*round for the producer of that round, 2*round+1
// for its consumer. A zero-filled cell is free for round 0, so a new queue touches no memory.
struct Item {
  enum Tag : std::uint8_t { kNone, kInt, kFloat, kBool, kInlineStr, kInlineBytes, kBlob };
  std::uint8_t tag = kNone;
  std::uint8_t length = 0;
  char bytes[22]{};  // an int64, a double, a bool, a BlobId or the text itself
};
static_assert(sizeof(Item) == 24);

struct alignas(32) Cell {
  std::atomic<std::uint64_t> turn{0};
  Item item;
};
static_assert(sizeof(Cell) == 32);

// Sleepers of one kind (getters, putters, joiners): a futex word and how many sleep on it.
// The fast side (a put or get that just published) pays nothing but one read of `sleepers`: no fence. The waiting
// side pays instead: it announces itself with a locked increment (a full barrier), then keeps looking for
// kStoreVisibleNs before it sleeps. A notifier that read `sleepers` just before our increment had its publish still
// in its store buffer, and stores drain long before that; each sleep is also capped, as a safety net.
struct alignas(64) WaitWord {
  static constexpr std::int64_t kStoreVisibleNs = 5'000;
  static constexpr std::int64_t kSleepCapNs = 50'000'000;

  std::atomic<std::uint32_t> seq{0};
  std::atomic<std::uint32_t> sleepers{0};

  void notify(int how_many) {
    if (sleepers.load(std::memory_order_relaxed) == 0) return;
    seq.fetch_add(1, std::memory_order_seq_cst);
    futex_wake(seq, how_many);
  }
  // Waits until `ready()` may hold: spins first, then sleeps. False when the deadline expired.
  template <class Ready>
  bool wait(Ready&& ready, const Deadline& deadline) {
    if (spin_adaptively(ready)) return true;
    sleepers.fetch_add(1, std::memory_order_seq_cst);
    bool ok = spin_until(ready, kStoreVisibleNs);
    while (!ok) {
      const std::uint32_t seen = seq.load(std::memory_order_seq_cst);
      if (ready()) break;
      const auto left = deadline.remaining_ns(kSleepCapNs);
      if (left && *left <= 0) break;
      futex_wait(seq, seen, left);
      ok = ready() || deadline.expired();
    }
    sleepers.fetch_sub(1, std::memory_order_seq_cst);
    return ready() || !deadline.expired();
  }
};

inline constexpr std::uint64_t kPrefetchCells = 8;  // four lines ahead
inline constexpr std::int64_t kBlockedAfterNs = 2'000;   // a wait shorter than this is not shown as blocked

struct QueueState {
  // Fixed at creation; read by everyone, so on a line of their own.
  alignas(64) std::uint64_t capacity = 0;
  std::int64_t maxsize = 0;
  unsigned shift = 0;  // log2(capacity) when it is a power of two, else 0
  bool joinable = false;
  StringId name = kNoString;  // for error messages
  // Each side's position on its own line.
  alignas(64) std::atomic<std::uint64_t> enqueue_pos{0};
  alignas(64) std::atomic<std::uint64_t> dequeue_pos{0};
  WaitWord getters, putters, joiners;
  alignas(64) std::atomic<std::int64_t> unfinished{0};  // JoinableQueue: put but not yet task_done

  Cell& cell(std::uint64_t pos) {
    return reinterpret_cast<Cell*>(this + 1)[shift ? pos & (capacity - 1) : pos % capacity];
  }
  [[nodiscard]] std::uint64_t round(std::uint64_t pos) const { return shift ? pos >> shift : pos / capacity; }
  // How far `pos`'s cell is from being ready for `side` (0: producer, 1: consumer): 0 ready, < 0 not yet, > 0 taken.
  std::int64_t distance(std::uint64_t pos, std::uint64_t side) {
    return static_cast<std::int64_t>(cell(pos).turn.load(std::memory_order_acquire) - (2 * round(pos) + side));
  }
  [[nodiscard]] bool has_space() { return distance(enqueue_pos.load(std::memory_order_relaxed), 0) >= 0; }
  [[nodiscard]] bool has_item() { return distance(dequeue_pos.load(std::memory_order_relaxed), 1) >= 0; }

  // Claims the next position of `position` (the producers' or the consumers') whose cell is ready for `side`
  // (0: a producer, 1: a consumer). nullopt when there is none: the queue is full, or empty.
  std::optional<std::uint64_t> claim(std::atomic<std::uint64_t>& position, std::uint64_t side) {
    std::uint64_t pos = position.load(std::memory_order_relaxed);
    while (true) {
      const std::int64_t d = distance(pos, side);
      if (d == 0) {
        if (position.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) return pos;
      } else if (d < 0) {
        return std::nullopt;
      } else {
        pos = position.load(std::memory_order_relaxed);  // another producer (consumer) took it: try the next
      }
    }
  }

  // Publishes `item` in the next free cell. Returns the item's sequence number (1-based) and the time it took
  // effect, or nullopt when full.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> try_put(const Item& item) {
    const auto pos = claim(enqueue_pos, 0);
    if (!pos) return std::nullopt;
    Cell* c = &cell(*pos);
    __builtin_prefetch(&cell(*pos + kPrefetchCells), 1, 3);  // last touched by a consumer on the other CPU
    if (joinable) unfinished.fetch_add(1, std::memory_order_relaxed);  // before anyone can take it and task_done()
    const std::uint64_t t = trace_clock_ordered();
    c->item = item;
    c->turn.store(2 * round(*pos) + 1, std::memory_order_release);
    return std::pair{*pos + 1, t};
  }

  // Takes the oldest item. Returns its sequence number and the time it took effect, or nullopt when empty.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> try_get(Item& item) {
    const auto pos = claim(dequeue_pos, 1);
    if (!pos) return std::nullopt;
    Cell* c = &cell(*pos);
    __builtin_prefetch(&cell(*pos + kPrefetchCells), 0, 3);  // being written by a producer on the other CPU
    item = c->item;
    const std::uint64_t t = trace_clock_ordered();
    c->turn.store(2 * (round(*pos) + 1), std::memory_order_release);
    return std::pair{*pos + 1, t};
  }
};

namespace {
Item encode(const Value& v) {
  Item c;
  const auto inline_text = [&](Item::Tag tag, const std::string& text) {
    c.tag = tag;
    c.length = static_cast<std::uint8_t>(text.size());
    std::memcpy(c.bytes, text.data(), text.size());
  };
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          c.tag = Item::kInt;
          std::memcpy(c.bytes, &x, sizeof x);
        } else if constexpr (std::is_same_v<T, double>) {
          c.tag = Item::kFloat;
          std::memcpy(c.bytes, &x, sizeof x);
        } else if constexpr (std::is_same_v<T, bool>) {
          c.tag = Item::kBool;
          c.bytes[0] = x ? 1 : 0;
        } else if constexpr (std::is_same_v<T, NoneType>) {
          c.tag = Item::kNone;
        } else if (std::is_same_v<T, std::string> && v.as_str().size() <= sizeof c.bytes) {
          inline_text(Item::kInlineStr, v.as_str());
        } else if (std::is_same_v<T, Bytes> && v.as_bytes().size() <= sizeof c.bytes) {
          inline_text(Item::kInlineBytes, v.as_bytes());
        } else {
          c.tag = Item::kBlob;
          const BlobId id = context().session->store_blob(encode_value(v));
          std::memcpy(c.bytes, &id, sizeof id);
        }
      },
      v.variant());
  return c;
}

template <class T>
T read_as(const Item& c) {
  T x;
  std::memcpy(&x, c.bytes, sizeof x);
  return x;
}

Value decode(const Item& c) {
  switch (c.tag) {
    case Item::kInt: return Value(read_as<std::int64_t>(c));
    case Item::kFloat: return Value(read_as<double>(c));
    case Item::kBool: return Value(c.bytes[0] != 0);
    case Item::kInlineStr: return Value(std::string(c.bytes, c.length));
    case Item::kInlineBytes: return Value::bytes(std::string(c.bytes, c.length));
    case Item::kBlob: return decode_value(context().session->take_blob(read_as<BlobId>(c)));
    default: return Value(None);
  }
}

// A short spin before an operation counts as blocked: when the other side is busy on the other CPU, the cell is
// usually ready within a microsecond or two, far below anything a timeline can show, and a few items pile up
// meanwhile, so the two sides then stream through them instead of fighting over one cache line.
template <class Attempt, class Ready>
auto spin_briefly(Attempt&& attempt, Ready&& ready) -> decltype(attempt()) {
  if (spin_until(ready, std::min(SpinBudget::ns(), kBlockedAfterNs)))
    if (auto r = attempt()) return r;
  return attempt();
}

// Blocks (the Forkscope way: Want, wait, or a grant while stepping) until `attempt` succeeds or the timeout passes.
template <class Attempt, class Ready>
auto wait_until(EventKind kind, std::uint16_t id, std::optional<double> timeout, WaitWord& word, Attempt&& attempt,
                Ready&& ready) -> decltype(attempt()) {
  BlockingWait w(kind, id, id, timeout);
  while (true) {
    if (auto r = attempt()) return r;
    if (!w.wait_for([&](const Deadline& d) { return word.wait(ready, d); })) return attempt();
  }
}
}  // namespace

}  // namespace forkscope::detail

namespace forkscope {

using detail::QueueState;

Queue::Queue(std::int64_t maxsize, std::string_view name) : Queue(maxsize, name, false) {}

Queue::Queue(std::int64_t maxsize, std::string_view name, bool joinable) {
  if (maxsize > kMaxSize) throw ValueError(fmt::format("Queue maxsize {} is above the supported {}", maxsize, kMaxSize));
  const std::int64_t capacity = maxsize > 0 ? maxsize : kUnboundedCapacity;
  detail::ProcessContext& c = detail::context();
  void* memory = c.session->allocate(sizeof(QueueState) + static_cast<std::size_t>(capacity) * sizeof(detail::Cell));
  state_ = new (memory) QueueState();
  state_->capacity = static_cast<std::uint64_t>(capacity);
  state_->maxsize = maxsize;
  state_->joinable = joinable;
  if ((capacity & (capacity - 1)) == 0) state_->shift = static_cast<unsigned>(__builtin_ctzll(static_cast<std::uint64_t>(capacity)));
  id_ = detail::announce_object(joinable ? ObjectKind::JoinableQueue : ObjectKind::Queue, name, maxsize > 0 ? maxsize : 0);
  state_->name = c.session->store_string(name.empty() ? fmt::format("Queue-{}", id_) : std::string(name));
}

namespace {
// The queues closed in this process, by id. A forked child starts with none closed, as Python's reopens.
// Constant-initialised (no guard to check on every put and get).
struct ClosedQueues {
  pid_t process = 0;
  std::bitset<65536> ids;
};
constinit ClosedQueues closed_queues;
bool closed_here(std::uint16_t id) {
  return closed_queues.process == detail::g_context->pid && closed_queues.ids.test(id);
}
std::string name_of(const QueueState& q) { return std::string(detail::context().session->string(q.name)); }
}  // namespace

void Queue::check_open() const {
  if (closed_here(id_)) throw ValueError(fmt::format("Queue '{}' is closed", name_of(*state_)));
}

void Queue::close() {
  const pid_t me = detail::context().pid;
  if (closed_queues.process != me) closed_queues = ClosedQueues{me, {}};
  closed_queues.ids.set(id_);
}

void Queue::join_thread() {
  if (!closed_here(id_)) throw AssertionError(fmt::format("Queue '{}' not closed", name_of(*state_)));
}

void Queue::put(const Value& item, bool block, std::optional<double> timeout) {
  check_open();
  detail::gate_pass(EventKind::QueuePut, id_, [&] { return item.repr(); });
  const detail::Item encoded = detail::encode(item);
  QueueState& q = *state_;
  auto done = q.try_put(encoded);
  if (!done && block) done = detail::spin_briefly([&] { return q.try_put(encoded); }, [&] { return q.has_space(); });
  if (!done && q.maxsize == 0) {
    // Python's queue without maxsize never blocks a put: rather than wait where Python would not, say which limit
    // was reached.
    detail::emit(EventKind::QueuePut, Phase::Fail, id_);
    throw RuntimeError(fmt::format("Queue '{}' holds {} items, the most Forkscope keeps in a queue without maxsize "
                                   "(Queue::kUnboundedCapacity): get some first, or give the queue a maxsize",
                                   name_of(q), q.capacity));
  }
  if (!done && block)
    done = detail::wait_until(EventKind::QueuePut, id_, timeout, q.putters, [&] { return q.try_put(encoded); },
                              [&] { return q.has_space(); });
  if (!done) {
    detail::emit(EventKind::QueuePut, Phase::Fail, id_);
    throw Full(block ? "put timed out: the queue stayed full" : "the queue is full");
  }
  q.getters.notify(1);
  detail::emit_at(done->second, EventKind::QueuePut, Phase::Done, id_, 0, done->first);
  detail::mark_ready(id_);
}

Value Queue::get(bool block, std::optional<double> timeout) {
  check_open();
  detail::gate_pass(EventKind::QueueGet, id_);
  QueueState& q = *state_;
  detail::Item item;
  auto done = q.try_get(item);
  if (!done && block) done = detail::spin_briefly([&] { return q.try_get(item); }, [&] { return q.has_item(); });
  if (!done && block)
    done = detail::wait_until(EventKind::QueueGet, id_, timeout, q.getters, [&] { return q.try_get(item); },
                              [&] { return q.has_item(); });
  if (!done) {
    detail::emit(EventKind::QueueGet, Phase::Fail, id_);
    throw Empty(block ? "get timed out: the queue stayed empty" : "the queue is empty");
  }
  q.putters.notify(1);
  detail::emit_at(done->second, EventKind::QueueGet, Phase::Done, id_, 0, done->first);
  detail::mark_ready(id_);
  return detail::decode(item);
}

std::int64_t Queue::qsize() const {
  const auto in = state_->enqueue_pos.load(std::memory_order_acquire);
  const auto out = state_->dequeue_pos.load(std::memory_order_acquire);
  return in > out ? static_cast<std::int64_t>(in - out) : 0;
}

bool Queue::full() const { return qsize() >= static_cast<std::int64_t>(state_->capacity); }

std::int64_t Queue::maxsize() const { return state_->maxsize; }

void JoinableQueue::task_done() {
  detail::gate_pass(EventKind::QueueTaskDone, id_);
  QueueState& q = *state_;
  std::int64_t left = q.unfinished.load(std::memory_order_relaxed);
  do {
    if (left <= 0) throw ValueError("task_done() called too many times");
  } while (!q.unfinished.compare_exchange_weak(left, left - 1, std::memory_order_acq_rel));
  // Traced before the joiners wake: a woken joiner may end the main process, which terminates a daemon consumer
  // that has not written its event yet, and the last task_done() would be missing from the timeline.
  detail::emit_at(trace_clock_ordered(), EventKind::QueueTaskDone, Phase::Done, id_, left - 1, 0);
  if (left == 1) q.joiners.notify(INT_MAX);
  detail::mark_ready(id_);
}

void JoinableQueue::join() {
  detail::gate_pass(EventKind::QueueJoin, id_);
  QueueState& q = *state_;
  const auto all_done = [&] { return q.unfinished.load(std::memory_order_acquire) == 0; };
  if (!all_done())
    detail::wait_until(EventKind::QueueJoin, id_, std::nullopt, q.joiners, [&] { return all_done(); }, all_done);
  detail::emit_at(trace_clock_ordered(), EventKind::QueueJoin, Phase::Done, id_, 0, 0);
}

}  // namespace forkscope
