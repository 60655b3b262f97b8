// Process-shared futex wait/wake on 32-bit words in shared memory (not FUTEX_PRIVATE: waiters live in many processes).
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <optional>

namespace forkscope::detail {

// Returns 0 when woken (or the word already differed), ETIMEDOUT, or EINTR. A relative timeout; nullopt waits forever.
int futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::optional<std::int64_t> timeout_ns);
void futex_wake(std::atomic<std::uint32_t>& word, int how_many);

// A monotonic deadline; none() never expires.
class Deadline {
 public:
  static Deadline none() { return Deadline{}; }
  static Deadline after_ns(std::int64_t ns);
  static Deadline after_seconds(std::optional<double> seconds);  // nullopt -> none()
  [[nodiscard]] bool is_none() const { return !at_ns_; }
  [[nodiscard]] bool expired() const;
  // Nanoseconds left (>= 0), nullopt for none(). `cap` bounds the answer so waiters can look around now and then.
  [[nodiscard]] std::optional<std::int64_t> remaining_ns(std::optional<std::int64_t> cap = std::nullopt) const;

 private:
  std::optional<std::int64_t> at_ns_;
};

std::int64_t monotonic_now_ns();

}  // namespace forkscope::detail
