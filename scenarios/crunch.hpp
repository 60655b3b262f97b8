// One unit of the concept lessons' CPU-bound job, header-only so that an MPI rank program (which must not link the
// core: the PMPI wrapper preloaded into it holds the runtime) computes exactly what a lesson process does.
#pragma once

#include <cstdint>

namespace forkscope::scenarios {

// splitmix64: a few multiplications and shifts the compiler cannot fold away.
constexpr std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Unit i of the job (about 25 ns here): every unit costs the same, so equal shares cost the same on any core.
constexpr std::uint64_t crunch_unit(std::int64_t i) {
  auto z = static_cast<std::uint64_t>(i);
  for (int round = 0; round < 16; ++round) z = mix(z);
  return z;
}

}  // namespace forkscope::scenarios
