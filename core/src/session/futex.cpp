#include "session/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace forkscope::detail {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

int futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::optional<std::int64_t> timeout_ns) {
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout_ns) {
    const std::int64_t ns = std::max<std::int64_t>(*timeout_ns, 0);
    ts.tv_sec = ns / 1'000'000'000;
    ts.tv_nsec = ns % 1'000'000'000;
    tsp = &ts;
  }
  const long rc = syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, expected, tsp, nullptr, 0);
  if (rc == 0) return 0;
  const int e = errno;
  return e == EAGAIN ? 0 : e;
}

void futex_wake(std::atomic<std::uint32_t>& word, int how_many) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, how_many, nullptr, nullptr, 0);
}

std::int64_t monotonic_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

Deadline Deadline::after_ns(std::int64_t ns) {
  Deadline d;
  d.at_ns_ = monotonic_now_ns() + std::max<std::int64_t>(ns, 0);
  return d;
}

Deadline Deadline::after_seconds(std::optional<double> seconds) {
  if (!seconds) return none();
  return after_ns(static_cast<std::int64_t>(std::max(*seconds, 0.0) * 1e9));
}

bool Deadline::expired() const { return at_ns_ && monotonic_now_ns() >= *at_ns_; }

std::optional<std::int64_t> Deadline::remaining_ns(std::optional<std::int64_t> cap) const {
  if (!at_ns_) return cap;
  std::int64_t left = std::max<std::int64_t>(*at_ns_ - monotonic_now_ns(), 0);
  if (cap) left = std::min(left, *cap);
  return left;
}

}  // namespace forkscope::detail
