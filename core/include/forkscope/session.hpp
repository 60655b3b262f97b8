// The shared session of one run: a Boost.Interprocess segment made by the viewer (unguessable name, mode 0600,
// removed at the end) that every lesson process of the run maps. It holds one process slot and one trace ring per
// lesson process, the gate, the string table and an arena for the state of locks, queues and the rest.
// Nothing in it holds a raw pointer: regions are found by offsets from the segment's base.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "forkscope/clock.hpp"
#include "forkscope/trace_event.hpp"
#include "forkscope/trace_ring.hpp"

namespace forkscope {

inline constexpr std::uint32_t kMaxObjects = 65535;
inline constexpr std::uint64_t kArenaBytes = 1ull << 30;  // the state of primitives: a queue of 1 M items takes 32 MiB
inline constexpr std::uint64_t kStringBytes = 32ull << 20;
// Payloads that pass through (long queue items, pool messages) and texts that one event carries to the viewer
// (printed lines, task labels): blocks taken when written and given back when read, so they never accumulate.
// The limit is on what is in flight at once. Untouched pages cost nothing.
inline constexpr std::uint64_t kBlobBytes = 1ull << 30;
inline constexpr unsigned kBlobClasses = 21;  // blocks of 64 B << class: 64 B to 64 MiB

// What a lesson process is doing, as far as the gate and the viewer need to know.
enum class SlotState : std::uint32_t {
  Free,
  Running,
  Held,          // waiting at the gate for the teacher's grant
  Blocked,       // waiting in the kernel for an object (run mode)
  BlockedHeld,   // blocked while the teacher steps: waits for a grant to try again
  Sleeping,
  Exited,
  SleepingHeld,  // asleep while the teacher steps: lesson time stands still, a grant ends the sleep
};

// Waits for the viewer while stepping: at the gate, blocked until a grant lets it try again, or asleep until a grant.
[[nodiscard]] constexpr bool waits_for_grant(SlotState state) {
  return state == SlotState::Held || state == SlotState::BlockedHeld || state == SlotState::SleepingHeld;
}

enum class GateMode : std::uint32_t { Run, Step };

// How big a run's session is. Pages are touched only as they are used, so generous limits cost little.
struct SessionLimits {
  std::uint32_t max_processes = 1024;
  std::uint32_t ring_capacity = 16384;  // events per process (a power of two); a full ring waits, never drops
};

struct alignas(64) ProcessSlot {
  std::atomic<std::int32_t> pid{0};
  std::atomic<std::int32_t> ppid{0};
  std::atomic<std::uint32_t> state{0};       // SlotState
  std::atomic<std::uint32_t> grant{0};       // futex word: the viewer bumps it to let a held process go
  std::atomic<std::uint64_t> held_order{0};  // when it arrived at the gate (smaller = earlier)
  std::atomic<std::uint32_t> held_kind{0};   // the EventKind it is about to perform
  std::atomic<std::uint32_t> wait_key{0};    // the object it holds or blocks on (kJoinKeyBase + slot for a join)
  std::atomic<std::uint32_t> ready{0};       // blocked, but its object changed since: a retry may succeed
  std::atomic<std::uint32_t> daemon{0};
  std::atomic<std::uint32_t> wait_timed{0};  // blocked with a timeout: it will wake by itself (a grant, while stepping)
  std::atomic<std::uint32_t> thread{0};      // a Python thread's lane: it may run on between steps (a Queue's feeder)
  char name[64]{};                           // Python-style name, written before the process starts
  // What the held operation is about beyond its kind and object (a mark's label, a counter's new value, a put's
  // item): written before the process stops at the gate, read by the viewer while it stays there.
  char held_detail[64]{};
  StringId name_string = kNoString;          // the same in the string table, for the ProcessBegin event
  RingHeader ring;
};
inline constexpr std::uint32_t kJoinKeyBase = 0x10000;

struct GateShared {
  std::atomic<std::uint32_t> mode{0};     // GateMode
  std::atomic<std::uint32_t> changes{0};  // futex word bumped on every mode or speed change (sleepers watch it)
  std::atomic<std::uint64_t> speed_bits{0};
  std::atomic<std::uint64_t> arrivals{0};
  std::atomic<std::uint32_t> stops{0};    // futex word bumped whenever a process stops while stepping (the viewer waits)
};

struct SessionHeader {
  std::uint64_t magic = 0;
  std::int32_t viewer_pid = 0;
  SessionLimits limits;
  ClockCalibration clock;
  GateShared gate;
  StringId launch = kNoString;  // JSON written by the viewer: lesson, params, seed, run directory
  std::atomic<std::uint32_t> slots_used{0};
  std::atomic<std::uint32_t> objects_used{0};
  std::atomic<std::uint64_t> arena_used{0};
  std::atomic<std::uint64_t> strings_used{0};
  std::atomic<std::uint64_t> blobs_used{0};
  std::atomic<std::uint64_t> blob_free[kBlobClasses]{};  // per class: a lock-free stack (ABA tag << 32 | block)
  std::uint64_t slots_offset = 0, events_offset = 0, arena_offset = 0, strings_offset = 0, blobs_offset = 0;
};

class Session {
 public:
  // Viewer side: sweeps what dead viewers left, then makes a fresh segment.
  [[nodiscard]] static Session create(const ClockCalibration& clock, const SessionLimits& limits = {});
  // Lesson side: maps the segment a viewer made.
  [[nodiscard]] static Session open(const std::string& name);

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();  // the creator removes the segment

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] SessionHeader& header() const { return *header_; }
  [[nodiscard]] GateShared& gate() const { return header_->gate; }
  [[nodiscard]] ProcessSlot& slot(std::uint32_t index) const { return slots_[index]; }
  [[nodiscard]] std::uint32_t slots_used() const;
  [[nodiscard]] const SessionLimits& limits() const { return header_->limits; }
  [[nodiscard]] RingWriter ring_writer(std::uint32_t index) const;
  [[nodiscard]] RingReader ring_reader(std::uint32_t index) const;

  // Lesson side, lock-free so a process killed halfway wedges nothing. Throw RuntimeError when exhausted.
  [[nodiscard]] std::uint32_t allocate_slot() const;
  [[nodiscard]] std::uint16_t allocate_object_id() const;
  [[nodiscard]] void* allocate(std::size_t bytes) const;  // 64-byte aligned, zero-filled, never freed within a run
  // A string kept for the whole run (names of processes and objects).
  [[nodiscard]] StringId store_string(std::string_view text) const;
  // A string that `readers` events carry to the viewer; each reader calls release_string() once it has copied it.
  [[nodiscard]] StringId store_transient_string(std::string_view text, std::uint32_t readers = 1) const;
  [[nodiscard]] std::string_view string(StringId id) const;
  void release_string(StringId id) const;  // nothing for a string kept for the run

  // Bytes in flight between processes: stored by one, taken (read, then given back) by another.
  [[nodiscard]] BlobId store_blob(std::string_view bytes, std::uint32_t readers = 1) const;
  [[nodiscard]] std::string_view blob(BlobId id) const;
  void release_blob(BlobId id) const;  // the last reader gives the block back
  [[nodiscard]] std::string take_blob(BlobId id) const;  // blob() copied, then release_blob()

  // Removes the segments and run directories of viewers that are no longer alive, and only what is provably ours:
  // owned by our effective user, of the right type (not followed through a link), with our marker inside (a segment's
  // header magic, a run directory's kRunDirMarker file). Returns how many it removed.
  static int sweep_dead_viewers();
  static constexpr std::string_view kPrefix = "forkscope.";
  static constexpr const char* kRunDirMarker = ".forkscope-run-dir";  // written into every run directory we make

 private:
  struct Mapping;
  Session(std::string name, std::unique_ptr<Mapping> mapping, bool owner);
  void bind();

  std::string name_;
  std::unique_ptr<Mapping> mapping_;
  bool owner_ = false;
  SessionHeader* header_ = nullptr;
  ProcessSlot* slots_ = nullptr;
  TraceEvent* events_ = nullptr;
  std::byte* arena_ = nullptr;
  std::byte* strings_ = nullptr;
  std::byte* blobs_ = nullptr;
};

}  // namespace forkscope
