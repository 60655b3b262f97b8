// The horizontal part of the scale-out lesson: an ordinary MPI program, as a cluster would run it. Rank 0 holds the
// job's input; MPI_Scatter gives every rank its share of the input (`message_bytes` each) and MPI_Reduce adds the
// ranks' answers up at rank 0, which prints one JSON line. Each rank computes units [begin, end) of the same job the
// lesson's processes compute (crunch.hpp). It knows nothing of Forkscope: the wrapper preloaded into it does the tracing.
// Usage: forkscope-scale-out-rank WORK_UNITS MESSAGE_BYTES
//        forkscope-scale-out-rank pingpong ROUNDS MESSAGE_BYTES   (what tracing costs a message: ranks 0 and 1)
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "crunch.hpp"

namespace {

// Ranks 0 and 1 send a message back and forth `rounds` times; rank 0 prints the mean round trip.
void ping_pong(int rank, long rounds, int message_bytes) {
  std::vector<char> message(static_cast<std::size_t>(message_bytes));
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  for (long i = 0; i < rounds && rank < 2; ++i) {
    if (rank == 0) {
      MPI_Send(message.data(), message_bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
      MPI_Recv(message.data(), message_bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(message.data(), message_bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(message.data(), message_bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    }
  }
  if (rank == 0) std::printf("{\"round_trip_us\": %.3f}\n", (MPI_Wtime() - start) * 1e6 / static_cast<double>(rounds));
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc == 4 && std::strcmp(argv[1], "pingpong") == 0 && size >= 2) {
    ping_pong(rank, std::atol(argv[2]), std::atoi(argv[3]));
    MPI_Finalize();
    return 0;
  }
  if (argc != 3) {
    if (rank == 0) std::fprintf(stderr, "usage: forkscope-scale-out-rank WORK_UNITS MESSAGE_BYTES\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const std::int64_t work = std::atoll(argv[1]);
  const int message_bytes = std::atoi(argv[2]);

  MPI_Barrier(MPI_COMM_WORLD);  // every rank up: the clock starts together
  const double start = MPI_Wtime();
  std::vector<char> input(rank == 0 ? static_cast<std::size_t>(message_bytes) * static_cast<std::size_t>(size) : 0, 1);
  std::vector<char> share(static_cast<std::size_t>(message_bytes));
  MPI_Scatter(input.data(), message_bytes, MPI_BYTE, share.data(), message_bytes, MPI_BYTE, 0, MPI_COMM_WORLD);

  const double compute_start = MPI_Wtime();
  const std::int64_t begin = work * rank / size, end = work * (rank + 1) / size;
  std::uint64_t sum = 0;
  for (std::int64_t i = begin; i < end; ++i) sum += forkscope::scenarios::crunch_unit(i);
  const double compute = MPI_Wtime() - compute_start;

  std::uint64_t answer = 0;
  double longest_compute = 0;
  MPI_Reduce(&sum, &answer, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  MPI_Reduce(&compute, &longest_compute, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  const double seconds = MPI_Wtime() - start;
  if (rank == 0)
    std::printf("{\"answer\": %llu, \"seconds\": %.6f, \"longest_compute_seconds\": %.6f, \"ranks\": %d}\n",
                static_cast<unsigned long long>(answer), seconds, longest_compute, size);
  MPI_Finalize();
  return 0;
}
