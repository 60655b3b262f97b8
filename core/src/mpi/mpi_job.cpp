#include "forkscope/mpi_job.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/lesson_api.hpp"
#include "forkscope/paths.hpp"
#include "forkscope/process.hpp"
#include "forkscope/queue.hpp"
#include "forkscope/session.hpp"
#include "forkscope/subprocess.hpp"
#include "forkscope/sync.hpp"
#include "session/proc.hpp"
#include "session/runtime.hpp"

namespace forkscope {

namespace {

constexpr const char* kSubnet = "10.250.0";  // inside the job's own namespaces only: no address of the machine's

std::filesystem::path on_path(const char* program) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin"})
    if (std::filesystem::path p = std::filesystem::path(dir) / program; access(p.c_str(), X_OK) == 0) return p;
  return {};
}

// A lesson process that holds one namespace (a host, or the switch between them) for the job's length: it enters a
// new network and UTS namespace, names itself as the host, reports (0 or errno) and waits for the job to end. Without
// namespaces of its own it stands for this machine (the ranks a hostfile puts here are its lane's children).
class NamespaceHolder {
 public:
  NamespaceHolder(const std::string& name, Queue& reports, Event& job_done, bool own_namespaces = true)
      : process_([name, reports, job_done, own_namespaces]() mutable {
          int error = 0;
          if (own_namespaces && (unshare(CLONE_NEWNET | CLONE_NEWUTS) != 0 || sethostname(name.c_str(), name.size()) != 0))
            error = errno;
          reports.put(Value::list({Value(name), Value(static_cast<std::int64_t>(error))}));
          job_done.wait();
        }, ProcessOptions{name, false}) {
    process_.start();
  }
  [[nodiscard]] pid_t pid() const { return process_.pid(); }
  void join() { process_.join(30); }

 private:
  Process process_;
};

}  // namespace

std::vector<std::string> hostfile_hosts(const std::filesystem::path& hostfile) {
  std::istringstream lines(read_input_file(hostfile.string(), "hostfile", 1u << 20));
  std::vector<std::string> hosts;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line.substr(0, line.find('#')));
    if (std::string host; words >> host && std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
  }
  if (hosts.empty()) throw UsageError(fmt::format("the hostfile {} names no host", hostfile.string()));
  return hosts;
}

namespace {

bool is_this_machine(const std::string& host) {
  return host == "localhost" || host.starts_with("127.") || host.substr(0, host.find('.')) == this_host_name();
}

void run_in(pid_t holder, const std::vector<std::string>& command) {
  std::vector<std::string> argv{on_path("nsenter").string(), "-t", std::to_string(holder), "-n", "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  const ProgramOutput out = run_program(argv, 30);
  if (out.exit_code != 0)
    throw SystemFailure(fmt::format("setting up the simulated network failed: {}: {}", fmt::join(command, " "), out.err));
}

}  // namespace

std::filesystem::path mpi_program_path(std::string_view name) {
  const std::filesystem::path p = default_runner_path().parent_path() / name;
  return std::filesystem::exists(p) ? p : std::filesystem::path();
}

std::filesystem::path mpi_wrapper_path() { return mpi_program_path("libforkscope_mpi.so"); }

std::filesystem::path mpirun_path() { return on_path("mpirun"); }

std::string this_host_name() {
  char name[256]{};
  gethostname(name, sizeof name - 1);
  std::string host(name, strnlen(name, sizeof name));
  host = host.substr(0, host.find('.'));
  for (char& c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
  return host.empty() ? "host" : host;
}

MpiJobResult run_mpi_job(const MpiJob& job) {
  const std::filesystem::path wrapper = mpi_wrapper_path(), mpirun = mpirun_path();
  if (wrapper.empty()) throw RuntimeError("this build has no MPI wrapper (libforkscope_mpi.so); the job cannot be traced");
  if (mpirun.empty()) throw RuntimeError("mpirun is missing: install openmpi-bin (tools/setup does)");
  MpiJobResult result;

  // The hosts, and the switch between them when there are several; on a cluster, this machine's lane.
  const bool cluster = !job.hostfile.empty();
  const std::vector<std::string> cluster_hosts = cluster ? hostfile_hosts(job.hostfile) : std::vector<std::string>{};
  Queue reports(0, "host reports");
  Event job_done("job done");
  const int wanted = cluster ? 1 : std::max(job.hosts, 1);
  std::vector<std::unique_ptr<NamespaceHolder>> hosts;
  for (int i = 1; i <= wanted; ++i)
    hosts.push_back(std::make_unique<NamespaceHolder>(cluster ? this_host_name() : fmt::format("host-{}", i), reports, job_done, !cluster));
  std::unique_ptr<NamespaceHolder> network_switch;
  if (wanted > 1) network_switch = std::make_unique<NamespaceHolder>("switch", reports, job_done);
  const std::size_t holders = hosts.size() + (network_switch ? 1 : 0);
  int refused = 0;
  for (std::size_t i = 0; i < holders; ++i)
    if (const std::int64_t error = reports.get(true, 30).as_list().at(1).as_int(); error != 0) refused = static_cast<int>(error);
  struct EndHolders {  // however the job ends
    Event& done;
    std::vector<std::unique_ptr<NamespaceHolder>>& hosts;
    std::unique_ptr<NamespaceHolder>& network_switch;
    ~EndHolders() {
      done.set();
      for (auto& h : hosts) h->join();
      if (network_switch) network_switch->join();
    }
  } end_holders{job_done, hosts, network_switch};

  std::string hostfile, host_pids;
  bool only_loopback = false;  // every rank on this machine, over lo (which Open MPI's TCP leaves out by default)
  if (cluster) {
    host_pids = fmt::format("{}={}", this_host_name(), hosts.front()->pid());
    result.hosts = static_cast<int>(cluster_hosts.size());
    only_loopback = std::all_of(cluster_hosts.begin(), cluster_hosts.end(), is_this_machine);
  } else if (refused != 0 || on_path("ip").empty() || on_path("nsenter").empty()) {
    // One host, the machine itself, over loopback TCP: host-1's process stands for it.
    result.why_one_host = refused != 0 ? fmt::format("network namespaces cannot be made here ({}): the ranks run on one host, over loopback TCP",
                                                     std::strerror(refused))
                                       : std::string("ip or nsenter is missing: the ranks run on one host, over loopback TCP");
    hostfile = fmt::format("localhost slots={}\n", job.ranks);
    host_pids = fmt::format("{}={}", this_host_name(), hosts.front()->pid());
    result.hosts = 1;
    only_loopback = true;
  } else {
    if (network_switch) {
      run_in(network_switch->pid(), {"ip", "link", "add", "br0", "type", "bridge"});
      run_in(network_switch->pid(), {"ip", "link", "set", "br0", "up"});
    }
    const int slots = (job.ranks + wanted - 1) / wanted;
    for (int i = 1; i <= wanted; ++i) {
      const pid_t host = hosts[static_cast<std::size_t>(i - 1)]->pid();
      run_in(host, {"ip", "link", "set", "lo", "up"});
      if (network_switch) {
        const std::string port = fmt::format("port{}", i);
        run_in(network_switch->pid(), {"ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", std::to_string(host)});
        run_in(network_switch->pid(), {"ip", "link", "set", port, "master", "br0", "up"});
        run_in(host, {"ip", "addr", "add", fmt::format("{}.{}/24", kSubnet, i), "dev", "eth0"});
        run_in(host, {"ip", "link", "set", "eth0", "up"});
      }
      hostfile += fmt::format("host-{} slots={}\n", i, slots);
      host_pids += fmt::format("{}host-{}={}", i > 1 ? "," : "", i, host);
    }
    result.hosts = wanted;
    only_loopback = wanted == 1;
  }

  // The launch agent mpirun uses instead of ssh: `agent HOST COMMAND...` runs the command in HOST's namespaces and in
  // the lesson's process group (forkscope-lesson --enter-host). In the run directory (the lesson's working
  // directory), removed with the run.
  const std::filesystem::path dir = std::filesystem::current_path();
  if (!cluster) {
    std::ofstream agent(dir / "mpi-agent");
    agent << "#!/bin/sh\n# mpirun's launch agent: the host's namespaces instead of ssh\nhost=$1; shift\ncase \"$host\" in\n";
    for (int i = 1; i <= result.hosts && result.why_one_host.empty(); ++i)
      agent << fmt::format("  host-{}) pid={} ;;\n", i, hosts[static_cast<std::size_t>(i - 1)]->pid());
    agent << "  *) echo \"forkscope: no host $host in this job\" >&2; exit 1 ;;\nesac\n"
          << fmt::format("exec '{}' --enter-host \"$pid\" {} \"$*\"\n", default_runner_path().string(), getpgrp());
    if (!agent) throw SystemFailure("cannot write the MPI launch agent into the run directory");
    std::filesystem::permissions(dir / "mpi-agent", std::filesystem::perms::owner_all);
    if (!(std::ofstream(dir / "mpi-hosts") << hostfile)) throw SystemFailure("cannot write the MPI hostfile into the run directory");
  }

  const Session& session = *detail::context().session;
  std::vector<std::string> argv{on_path("setpriv").string(), "--pdeathsig", "KILL"};
  if (!cluster && result.why_one_host.empty())  // mpirun runs on host-1, the ranks it starts there too
    argv.insert(argv.end(), {on_path("nsenter").string(), "-t", std::to_string(hosts.front()->pid()), "-n", "-u", "--"});
  argv.insert(argv.end(), {mpirun.string(), "--allow-run-as-root", "--oversubscribe", "-np", std::to_string(job.ranks),
                           "--hostfile", cluster ? job.hostfile.string() : (dir / "mpi-hosts").string(), "--mca", "btl", "tcp,self"});
  if (!cluster) argv.insert(argv.end(), {"--mca", "plm_rsh_agent", (dir / "mpi-agent").string()});
  if (job.traced)
    argv.insert(argv.end(), {"-x", "LD_PRELOAD=" + wrapper.string(), "-x", "FORKSCOPE_MPI_SESSION=" + session.name(),
                             "-x", "FORKSCOPE_MPI_HOSTS=" + host_pids, "-x",
                             fmt::format("FORKSCOPE_MPI_WATCH={}:{}:{}", detail::boot_id(), getpid(),
                                         detail::start_time_of(getpid()).value_or(0))});
  if (only_loopback) argv.insert(argv.end(), {"--mca", "btl_tcp_if_include", "lo"});
  argv.push_back(job.program.string());
  argv.insert(argv.end(), job.args.begin(), job.args.end());
  // The lesson main waits for mpirun as for a child it joins, shown blocked (a step settles there while stepping: the
  // ranks are the ones at the gate); a wait that ends by itself, like a socket's.
  pid_t launcher = 0;
  const ProgramOutput out = [&] {
    // Open MPI's daemons are not our children and ignore our parent-death signal; every process of the job is in
    // the lesson's group (the agent puts the daemons there, the wrapper the ranks).
    const GroupDiesWithParent job_dies_with_the_viewer;
    return run_program(argv, job.timeout_seconds, 16u << 20, [&](pid_t pid) {
      launcher = pid;
      detail::emit(EventKind::ProcessJoin, Phase::Want, 0, 0, static_cast<std::uint64_t>(pid));
      detail::set_slot_state(SlotState::Blocked, 0, true);
    });
  }();
  detail::emit(EventKind::ProcessJoin, Phase::Done, 0, out.exit_code, static_cast<std::uint64_t>(launcher));
  detail::set_slot_state(SlotState::Running);
  result.exit_code = out.exit_code;
  result.out = out.out;
  result.err = out.err;
  // What went wrong, in one line: Open MPI's first line of text (its messages come framed in lines of dashes).
  std::istringstream lines(out.err);
  for (std::string line; result.failure.empty() && std::getline(lines, line);)
    if (line.find_first_not_of("- \t") != std::string::npos) result.failure = line.substr(0, 200);
  return result;
}

int enter_host(const char* pid, const char* group, const char* command) {
  setpgid(0, static_cast<pid_t>(std::atoi(group)));  // fails only if the group is gone: the run is ending anyway
  for (const char* ns : {"net", "uts"}) {
    const std::string path = fmt::format("/proc/{}/ns/{}", std::atoi(pid), ns);
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, 0) != 0) {
      std::fprintf(stderr, "forkscope-lesson: cannot enter the host's namespace %s: %s\n", path.c_str(), std::strerror(errno));
      return 2;
    }
    close(fd);
  }
  // Open MPI's command sets PATH, then starts its daemon: a shell's work. The shell keeps the parent-death signal.
  execl("/bin/sh", "sh", "-c", command, static_cast<char*>(nullptr));
  std::fprintf(stderr, "forkscope-lesson: cannot run /bin/sh: %s\n", std::strerror(errno));
  return 2;
}

}  // namespace forkscope
