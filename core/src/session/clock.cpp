#include "forkscope/clock.hpp"

#include <fstream>
#include <string>
#include <thread>

namespace forkscope {

namespace {
ClockSource pick_source() {
  // The kernel keeps "tsc" as its clocksource only when the TSC is invariant and synchronised across CPUs.
  std::ifstream in("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string source;
  in >> source;
  return source == "tsc" ? ClockSource::Tsc : ClockSource::Monotonic;
}

double measure_ns_per_tick() {
  const std::uint64_t ns0 = detail::monotonic_ns();
  const std::uint64_t t0 = __rdtsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const std::uint64_t ns1 = detail::monotonic_ns();
  const std::uint64_t t1 = __rdtsc();
  return static_cast<double>(ns1 - ns0) / static_cast<double>(t1 - t0);
}
}  // namespace

ClockCalibration calibrate_trace_clock() {
  static const ClockCalibration measured = [] {
    ClockCalibration c;
    c.source = pick_source();
    c.ns_per_tick = c.source == ClockSource::Tsc ? measure_ns_per_tick() : 1.0;
    return c;
  }();
  detail::g_clock_source = measured.source;
  ClockCalibration now = measured;
  now.origin_ticks = trace_clock();
  return now;
}

void adopt_trace_clock(const ClockCalibration& calibration) { detail::g_clock_source = calibration.source; }

}  // namespace forkscope
