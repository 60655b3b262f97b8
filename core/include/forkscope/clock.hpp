// One clock for every process of a run. On machines whose kernel trusts the TSC (the clocksource is "tsc": constant,
// non-stop and synchronised across CPUs) it is the raw TSC, a third of the cost of clock_gettime; elsewhere it is
// CLOCK_MONOTONIC in nanoseconds. Viewers turn ticks into nanoseconds with the calibration stored in the session.
#pragma once

#include <cstdint>
#include <ctime>
#include <x86intrin.h>

namespace forkscope {

enum class ClockSource : std::uint32_t { Tsc = 1, Monotonic = 2 };

namespace detail {
inline ClockSource g_clock_source = ClockSource::Monotonic;
inline std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}
}  // namespace detail

[[nodiscard]] inline std::uint64_t trace_clock() {
  if (detail::g_clock_source == ClockSource::Tsc) return __rdtsc();
  return detail::monotonic_ns();
}

// The same clock, read before anything after it can take effect (lfence after the read): for the timestamp of an
// operation that lets another process go on (a release), taken just before the store that does it. rdtsc alone may
// read the counter after a later locked instruction has already freed the lock.
[[nodiscard]] inline std::uint64_t trace_clock_then_fence() {
  if (detail::g_clock_source == ClockSource::Tsc) {
    const std::uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
  }
  return detail::monotonic_ns();
}

// The same clock, read only after every earlier instruction has completed (lfence): for timestamps that must
// order operations of different processes on one object exactly as they took effect.
[[nodiscard]] inline std::uint64_t trace_clock_ordered() {
  if (detail::g_clock_source == ClockSource::Tsc) {
    _mm_lfence();
    return __rdtsc();
  }
  return detail::monotonic_ns();
}

// Maps ticks to nanoseconds since the run's origin.
struct ClockCalibration {
  ClockSource source = ClockSource::Monotonic;
  std::uint64_t origin_ticks = 0;
  double ns_per_tick = 1.0;

  [[nodiscard]] std::int64_t to_ns(std::uint64_t ticks) const {
    return static_cast<std::int64_t>(static_cast<double>(static_cast<std::int64_t>(ticks - origin_ticks)) * ns_per_tick);
  }
  [[nodiscard]] std::uint64_t ticks_for_ns(double ns) const { return static_cast<std::uint64_t>(ns / ns_per_tick); }
};

// Picks the clock source for this process and measures it against CLOCK_MONOTONIC (once per process, ~10 ms).
// The origin is "now".
[[nodiscard]] ClockCalibration calibrate_trace_clock();
// Adopts the calibration a viewer stored in the session (lesson processes call this at start).
void adopt_trace_clock(const ClockCalibration& calibration);

}  // namespace forkscope
