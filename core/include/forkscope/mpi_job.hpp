// An MPI program run by a lesson on hosts of its own: each host a Linux network namespace (its own address, TCP stack
// and host name) held by a lesson process named after it ("host-2"), the hosts joined by a bridge in a namespace of
// its own. Open MPI's mpirun starts in host-1 and reaches the other hosts through a launch agent that enters their
// namespace instead of ssh; the ranks talk over TCP between the namespaces (never shared memory), and traffic never
// leaves them. Nothing outlives the job: the namespaces exist only while processes are in them, and every process in
// them belongs to the run. Each rank is a lane of the run (core/mpi/pmpi.cpp, preloaded into every rank).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace forkscope {

struct MpiJob {
  std::filesystem::path program;  // an MPI program
  std::vector<std::string> args;
  int ranks = 2;
  int hosts = 2;
  // A real cluster instead (Open MPI's hostfile: "node1 slots=4" lines): mpirun reaches its hosts as it does anywhere
  // (ssh), `hosts` is not used, and no namespace is made. Ranks on this machine are lanes under a lane named after
  // it; when a rank runs elsewhere the run's memory is not there, and the whole job runs untraced.
  std::filesystem::path hostfile;
  double timeout_seconds = 600;  // past it the job is killed and SystemFailure says so
  bool traced = true;  // false: the same job without the wrapper, off the timeline (what tracing costs, measured)
};

struct MpiJobResult {
  int exit_code = -1;
  std::string out, err;  // mpirun's (the ranks' output comes through it)
  int hosts = 0;         // the hosts it ran on: 1 when namespaces could not be made; a hostfile's, as it names them
  std::string why_one_host;  // then, why (one line)
  std::string failure;       // when it failed: the first line of what mpirun said
};

// Runs the job from a lesson process; its host processes are its children for the job's length. RuntimeError when
// Open MPI or the wrapper is missing.
[[nodiscard]] MpiJobResult run_mpi_job(const MpiJob& job);

// The PMPI wrapper (libforkscope_mpi.so) and a lesson's MPI program (both next to the lesson runner), and mpirun, as
// this build or installation has them; empty when absent (a sanitizer build has no wrapper).
[[nodiscard]] std::filesystem::path mpi_wrapper_path();
[[nodiscard]] std::filesystem::path mpi_program_path(std::string_view name);
[[nodiscard]] std::filesystem::path mpirun_path();
// The hosts an Open MPI hostfile names ("node1 slots=4", comments after '#'), each once, in order. UsageError when
// it names none or cannot be read.
[[nodiscard]] std::vector<std::string> hostfile_hosts(const std::filesystem::path& hostfile);
// This machine's name as a host lane's name: up to its first dot, other characters than letters, digits, '-' and '_'
// as '-' ("host" when it has none). The job and the wrapper in each rank name one host alike.
[[nodiscard]] std::string this_host_name();

// The launch agent's work, in the lesson runner (`forkscope-lesson --enter-host PID GROUP COMMAND`): joins process
// group GROUP (the lesson's, which the viewer ends and reaps as a whole), enters the network and UTS namespaces of
// process PID (a host) and runs COMMAND (Open MPI's daemon) with sh in their place. Returns only on failure.
int enter_host(const char* pid, const char* group, const char* command);

}  // namespace forkscope
