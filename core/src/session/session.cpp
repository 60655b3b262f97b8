#include "forkscope/session.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <boost/interprocess/managed_shared_memory.hpp>
#include <boost/interprocess/permissions.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "forkscope/errors.hpp"

namespace bip = boost::interprocess;

namespace forkscope {

namespace {
constexpr std::uint64_t kMagic = 0x31455053'4b524f46;  // "FORKSPE1"
constexpr const char* kHeaderName = "forkscope.session";
constexpr std::size_t kMagicSearchBytes = 64 * 1024;

// A block of the payload store: this header, then the bytes. `next` links free blocks of one class.
struct BlobBlock {
  std::uint32_t size_class;
  std::atomic<std::uint32_t> readers;
  std::uint32_t length;
  std::atomic<std::uint32_t> next;
};
static_assert(sizeof(BlobBlock) == 16);
constexpr std::uint64_t kBlobUnit = 64;

constexpr std::uint64_t round_up(std::uint64_t n, std::uint64_t to) { return (n + to - 1) / to * to; }

std::uint64_t slots_bytes(const SessionLimits& l) { return round_up(sizeof(ProcessSlot) * l.max_processes, 4096); }
std::uint64_t events_bytes(const SessionLimits& l) {
  return std::uint64_t{sizeof(TraceEvent)} * l.ring_capacity * l.max_processes;
}

std::string random_name() {
  std::random_device rd;
  const std::uint64_t r = (std::uint64_t{rd()} << 32) ^ rd();
  return fmt::format("{}{}.{:016x}", Session::kPrefix, getpid(), r);
}

bool pid_alive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH); }

// "forkscope.<pid>.<anything>" -> pid, or 0.
pid_t owner_pid(std::string_view entry) {
  if (!entry.starts_with(Session::kPrefix)) return 0;
  entry.remove_prefix(Session::kPrefix.size());
  const auto dot = entry.find('.');
  if (dot == std::string_view::npos || dot == 0) return 0;
  pid_t pid = 0;
  for (char c : entry.substr(0, dot)) {
    if (c < '0' || c > '9') return 0;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}
}  // namespace

struct Session::Mapping {
  bip::managed_shared_memory segment;
};

Session::Session(std::string name, std::unique_ptr<Mapping> mapping, bool owner)
    : name_(std::move(name)), mapping_(std::move(mapping)), owner_(owner) {}

Session::Session(Session&& other) noexcept { *this = std::move(other); }

Session& Session::operator=(Session&& other) noexcept {
  if (this == &other) return *this;
  if (owner_ && !name_.empty()) bip::shared_memory_object::remove(name_.c_str());
  name_ = std::move(other.name_);
  mapping_ = std::move(other.mapping_);
  owner_ = std::exchange(other.owner_, false);
  header_ = std::exchange(other.header_, nullptr);
  slots_ = other.slots_;
  events_ = other.events_;
  arena_ = other.arena_;
  strings_ = other.strings_;
  blobs_ = other.blobs_;
  return *this;
}

Session::~Session() {
  mapping_.reset();
  if (owner_ && !name_.empty()) bip::shared_memory_object::remove(name_.c_str());
}

Session Session::create(const ClockCalibration& clock, const SessionLimits& limits) {
  if (limits.max_processes == 0 || limits.ring_capacity < 64 || (limits.ring_capacity & (limits.ring_capacity - 1)) != 0)
    throw UsageError("session limits: at least one process, and a ring capacity that is a power of two >= 64");
  sweep_dead_viewers();
  // Room for Boost's own bookkeeping on top of our regions.
  const std::uint64_t segment_bytes =
      slots_bytes(limits) + events_bytes(limits) + kArenaBytes + kStringBytes + kBlobBytes + (1u << 20);
  std::string name = random_name();
  auto mapping = std::make_unique<Mapping>();
  try {
    bip::permissions owner_only(0600);
    mapping->segment = bip::managed_shared_memory(bip::create_only, name.c_str(), segment_bytes, nullptr, owner_only);
  } catch (const bip::interprocess_exception& e) {
    throw SystemFailure(fmt::format("creating the shared memory segment /dev/shm/{} ({} MiB) failed: {}", name,
                                    segment_bytes >> 20, e.what()));
  }
  Session session(std::move(name), std::move(mapping), true);
  auto& seg = session.mapping_->segment;
  try {
    auto* header = seg.construct<SessionHeader>(kHeaderName)();
    // Fresh tmpfs pages are zero: the big regions are allocated, not constructed, so untouched pages cost nothing.
    auto region = [&](std::uint64_t bytes) {
      return static_cast<std::uint64_t>(seg.get_handle_from_address(seg.allocate_aligned(bytes, 4096)));
    };
    header->limits = limits;
    header->slots_offset = region(slots_bytes(limits));
    header->events_offset = region(events_bytes(limits));
    header->arena_offset = region(kArenaBytes);
    header->strings_offset = region(kStringBytes);
    header->strings_used = 8;  // id 0 means "no string"
    header->blobs_offset = region(kBlobBytes);
    header->blobs_used = kBlobUnit;  // block 0 means "no blob"
    header->viewer_pid = getpid();
    header->clock = clock;
    const double speed = 1.0;
    std::uint64_t bits = 0;
    std::memcpy(&bits, &speed, sizeof bits);
    header->gate.speed_bits = bits;
    header->magic = kMagic;
  } catch (const bip::interprocess_exception& e) {
    throw SystemFailure(fmt::format("laying out the shared memory segment failed: {}", e.what()));
  }
  session.bind();
  return session;
}

Session Session::open(const std::string& name) {
  auto mapping = std::make_unique<Mapping>();
  try {
    mapping->segment = bip::managed_shared_memory(bip::open_only, name.c_str());
  } catch (const bip::interprocess_exception& e) {
    throw SystemFailure(fmt::format("opening the session segment {} failed: {}", name, e.what()));
  }
  Session session(name, std::move(mapping), false);
  session.bind();
  return session;
}

void Session::bind() {
  auto& seg = mapping_->segment;
  header_ = seg.find<SessionHeader>(kHeaderName).first;
  if (header_ == nullptr || header_->magic != kMagic) throw SystemFailure(fmt::format("{} is not a Forkscope session", name_));
  auto at = [&](std::uint64_t offset) { return static_cast<std::byte*>(seg.get_address_from_handle(offset)); };
  slots_ = reinterpret_cast<ProcessSlot*>(at(header_->slots_offset));
  events_ = reinterpret_cast<TraceEvent*>(at(header_->events_offset));
  arena_ = at(header_->arena_offset);
  strings_ = at(header_->strings_offset);
  blobs_ = at(header_->blobs_offset);
}

std::uint32_t Session::slots_used() const {
  return std::min(header_->slots_used.load(std::memory_order_acquire), header_->limits.max_processes);
}

RingWriter Session::ring_writer(std::uint32_t index) const {
  const std::uint32_t capacity = header_->limits.ring_capacity;
  return RingWriter(&slots_[index].ring, events_ + std::uint64_t{index} * capacity, capacity);
}

RingReader Session::ring_reader(std::uint32_t index) const {
  const std::uint32_t capacity = header_->limits.ring_capacity;
  return RingReader(&slots_[index].ring, events_ + std::uint64_t{index} * capacity, capacity);
}

std::uint32_t Session::allocate_slot() const {
  const std::uint32_t index = header_->slots_used.fetch_add(1, std::memory_order_acq_rel);
  const std::uint32_t limit = header_->limits.max_processes;
  if (index >= limit) {
    header_->slots_used.store(limit, std::memory_order_release);
    throw RuntimeError(fmt::format("a run can have at most {} processes (SessionLimits::max_processes; a viewer raises it "
                                   "with RunOptions::limits)", limit));
  }
  return index;
}

std::uint16_t Session::allocate_object_id() const {
  const std::uint32_t id = header_->objects_used.fetch_add(1, std::memory_order_relaxed) + 1;
  if (id > kMaxObjects)
    throw RuntimeError(fmt::format("a run can have at most {} shared objects (kMaxObjects; fixed: trace events carry "
                                   "16-bit object ids)", kMaxObjects));
  return static_cast<std::uint16_t>(id);
}

void* Session::allocate(std::size_t bytes) const {
  const std::uint64_t size = round_up(bytes, 64);
  const std::uint64_t at = header_->arena_used.fetch_add(size, std::memory_order_relaxed);
  if (at + size > kArenaBytes)
    throw RuntimeError(fmt::format("the run's shared arena ({} MiB) is full (kArenaBytes in forkscope/session.hpp; "
                                   "raise it and rebuild)", kArenaBytes >> 20));
  return arena_ + at;
}

StringId Session::store_string(std::string_view text) const {
  const std::uint64_t size = round_up(sizeof(std::uint32_t) + text.size(), 4);
  const std::uint64_t at = header_->strings_used.fetch_add(size, std::memory_order_relaxed);
  if (at + size > kStringBytes)
    throw RuntimeError(fmt::format("the run's string table ({} MiB of text) is full (kStringBytes in "
                                   "forkscope/session.hpp; raise it and rebuild)", kStringBytes >> 20));
  const auto length = static_cast<std::uint32_t>(text.size());
  std::memcpy(strings_ + at, &length, sizeof length);
  std::memcpy(strings_ + at + sizeof length, text.data(), text.size());
  return static_cast<StringId>(at);
}

StringId Session::store_transient_string(std::string_view text, std::uint32_t readers) const {
  return kTransientString | store_blob(text, readers);
}

void Session::release_string(StringId id) const {
  if (id & kTransientString) release_blob(id & ~kTransientString);
}

BlobId Session::store_blob(std::string_view bytes, std::uint32_t readers) const {
  unsigned size_class = 0;
  while (size_class < kBlobClasses && (kBlobUnit << size_class) < sizeof(BlobBlock) + bytes.size()) ++size_class;
  if (size_class == kBlobClasses)
    throw ValueError(fmt::format("a message of {} bytes is larger than a run can pass ({} MiB)", bytes.size(),
                                 (kBlobUnit << (kBlobClasses - 1)) >> 20));
  // A free block of this class (a Treiber stack; the tag in the high half defeats ABA), else fresh space. A process
  // killed between taking a block and linking it anywhere loses that block, nothing more.
  std::atomic<std::uint64_t>& free = header_->blob_free[size_class];
  std::uint64_t head = free.load(std::memory_order_acquire);
  BlobId id = kNoBlob;
  while (static_cast<BlobId>(head) != kNoBlob) {
    const auto top = static_cast<BlobId>(head);
    const std::uint32_t next = reinterpret_cast<BlobBlock*>(blobs_ + top * kBlobUnit)->next.load(std::memory_order_relaxed);
    if (free.compare_exchange_weak(head, (((head >> 32) + 1) << 32) | next, std::memory_order_acquire)) {
      id = top;
      break;
    }
  }
  if (id == kNoBlob) {
    const std::uint64_t size = kBlobUnit << size_class;
    const std::uint64_t at = header_->blobs_used.fetch_add(size, std::memory_order_relaxed);
    if (at + size > kBlobBytes)
      throw RuntimeError(fmt::format("the run's message memory is full: {} MiB of queue items, pool messages and "
                                     "printed text are waiting to be read at once",
                                     kBlobBytes >> 20));
    id = static_cast<BlobId>(at / kBlobUnit);
  }
  auto* block = reinterpret_cast<BlobBlock*>(blobs_ + id * kBlobUnit);
  block->size_class = size_class;
  block->readers.store(readers, std::memory_order_relaxed);
  block->length = static_cast<std::uint32_t>(bytes.size());
  std::memcpy(reinterpret_cast<std::byte*>(block) + sizeof(BlobBlock), bytes.data(), bytes.size());
  return id;
}

std::string_view Session::blob(BlobId id) const {
  if (id == kNoBlob || (std::uint64_t{id} + 1) * kBlobUnit > kBlobBytes) return {};
  const auto* block = reinterpret_cast<const BlobBlock*>(blobs_ + id * kBlobUnit);
  if (std::uint64_t{id} * kBlobUnit + sizeof(BlobBlock) + block->length > kBlobBytes) return {};
  return {reinterpret_cast<const char*>(block) + sizeof(BlobBlock), block->length};
}

void Session::release_blob(BlobId id) const {
  if (id == kNoBlob || (std::uint64_t{id} + 1) * kBlobUnit > kBlobBytes) return;
  auto* block = reinterpret_cast<BlobBlock*>(blobs_ + id * kBlobUnit);
  if (block->readers.fetch_sub(1, std::memory_order_acq_rel) != 1 || block->size_class >= kBlobClasses) return;
  std::atomic<std::uint64_t>& free = header_->blob_free[block->size_class];
  std::uint64_t head = free.load(std::memory_order_relaxed);
  do block->next.store(static_cast<std::uint32_t>(head), std::memory_order_relaxed);
  while (!free.compare_exchange_weak(head, (((head >> 32) + 1) << 32) | id, std::memory_order_release));
}

std::string Session::take_blob(BlobId id) const {
  std::string bytes(blob(id));
  release_blob(id);
  return bytes;
}

std::string_view Session::string(StringId id) const {
  if (id & kTransientString) return blob(id & ~kTransientString);
  if (id == kNoString || id + sizeof(std::uint32_t) > kStringBytes) return {};
  std::uint32_t length = 0;
  std::memcpy(&length, strings_ + id, sizeof length);
  if (id + sizeof length + length > kStringBytes) return {};
  return {reinterpret_cast<const char*>(strings_ + id + sizeof length), length};
}

namespace {

// A segment of ours: a regular file we own (not followed through a link) whose first pages hold the session header's
// magic number (Boost places the header near the start; the magic is written last, once the session is whole).
bool is_our_segment(int dir_fd, const char* file) {
  const int fd = ::openat(dir_fd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ours = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid();
  if (ours) {
    std::uint64_t words[kMagicSearchBytes / sizeof(std::uint64_t)]{};
    const ssize_t n = ::pread(fd, words, sizeof words, 0);
    const std::uint64_t* begin = words;
    const std::uint64_t* end = words + (n > 0 ? static_cast<std::size_t>(n) / sizeof *words : 0);
    ours = std::find(begin, end, kMagic) != end;
  }
  ::close(fd);
  return ours;
}

// A run directory of ours: a directory we own (not a link) with the marker file make_run_dir wrote, also ours.
bool is_our_run_dir(int dir_fd, const char* name) {
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {}, marker {};
  const bool ours = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() &&
                    ::fstatat(fd, Session::kRunDirMarker, &marker, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(marker.st_mode) &&
                    marker.st_uid == ::geteuid();
  ::close(fd);
  return ours;
}

}  // namespace

int Session::sweep_dead_viewers() {
  int removed = 0;
  auto sweep_dir = [&](const std::filesystem::path& dir, bool segments) {
    DIR* listing = ::opendir(dir.c_str());
    if (listing == nullptr) return;  // nothing to sweep where we cannot look
    const int dir_fd = ::dirfd(listing);
    while (const dirent* entry = ::readdir(listing)) {
      const pid_t pid = owner_pid(entry->d_name);
      if (pid == 0 || pid_alive(pid)) continue;
      // Only what is provably ours goes: a dead PID in a name proves nothing (anyone can make such a file).
      if (segments ? !is_our_segment(dir_fd, entry->d_name) : !is_our_run_dir(dir_fd, entry->d_name)) continue;
      std::error_code ec;
      if (segments) {
        if (::unlinkat(dir_fd, entry->d_name, 0) != 0) continue;
      } else if (std::filesystem::remove_all(dir / entry->d_name, ec) == 0 || ec) {  // remove_all never follows links
        continue;
      }
      ++removed;
    }
    ::closedir(listing);
  };
  sweep_dir("/dev/shm", true);
  sweep_dir(std::filesystem::temp_directory_path(), false);
  return removed;
}

}  // namespace forkscope
