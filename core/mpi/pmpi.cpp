// libforkscope_mpi.so: every rank of an MPI program on Forkscope's timeline. Preloaded into the ranks (mpirun -x
// LD_PRELOAD=...), it defines the MPI calls a lesson uses and forwards each to its PMPI_ twin, the profiling interface
// every MPI library has: a rank attaches to the run's session in MPI_Init (FORKSCOPE_MPI_SESSION names it) and becomes
// a lane named "rank-R@HOST", under the process that holds its host; each call passes the gate, so a teacher steps
// ranks like any lesson process, and shows the rank blocked (MpiCall) while it waits for other ranks; each message,
// a collective's share included, is an MpiSend in the sender and an MpiRecv in the receiver on the link between the
// two, which the viewer draws as an arrow. Without FORKSCOPE_MPI_SESSION (or when the session cannot be opened: a rank
// on another machine) the wrapper only forwards.
#include <mpi.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "forkscope/clock.hpp"
#include "forkscope/mpi_job.hpp"
#include "forkscope/session.hpp"
#include "primitives/shared_sync.hpp"
#include "session/proc.hpp"
#include "session/runtime.hpp"

namespace {

using forkscope::EventKind;
using forkscope::MpiOp;
using forkscope::Phase;
namespace detail = forkscope::detail;

// Links are objects: one per ordered pair of ranks, up to this many ranks (beyond, messages are not drawn).
constexpr int kMaxLinkedRanks = 32;

// The job's traffic, counted by every rank: what crossed between hosts, and the bytes sent and not yet received (a
// message counts from just before its send to just after its receive returned). Under a lock, so the counters' events
// come in the order of their values (two ranks adding at once would otherwise show the total going back).
struct Traffic {
  detail::SharedMutex mutex;
  std::int64_t bytes_between_hosts = 0, messages_between_hosts = 0, bytes_in_flight = 0;
};

struct Shared {  // made by rank 0, sent to every rank at MPI_Init
  std::uint16_t communicator = 0, bytes_counter = 0, messages_counter = 0, in_flight_counter = 0;
  std::uint64_t traffic_offset = 0;  // from the session's header
  std::uint16_t links[kMaxLinkedRanks * kMaxLinkedRanks]{};
};

struct Rank {
  std::optional<forkscope::Session> session;
  int rank = 0, size = 0;
  Shared shared;
  std::vector<std::uint64_t> host_of;          // a hash of each rank's host name
  std::vector<std::uint64_t> sent, received;   // messages per peer, numbering each link's flow
  std::unordered_map<MPI_Request, int> receives;  // Irecv requests not completed yet: their source (or ANY)
  Traffic* traffic = nullptr;
};
Rank* g_rank = nullptr;  // null: not traced

// Only the thread that attached (the rank's main thread) has a lane to write to; other threads' calls only forward.
bool tracing() { return g_rank != nullptr && detail::g_context != nullptr; }
bool traced(MPI_Comm comm) { return tracing() && comm == MPI_COMM_WORLD; }

std::uint16_t link(int from, int to) {
  if (from < 0 || to < 0 || from >= g_rank->size || to >= g_rank->size || g_rank->size > kMaxLinkedRanks) return 0;
  return g_rank->shared.links[from * kMaxLinkedRanks + to];
}

std::int64_t bytes_of(int count, MPI_Datatype type) {
  int size = 0;
  PMPI_Type_size(type, &size);
  return static_cast<std::int64_t>(count) * size;
}


// Counts a message of `bytes` leaving (in flight from now) or arriving (no longer), between hosts or not.
void count_traffic(std::int64_t bytes, bool leaving, bool between_hosts) {
  const Shared& s = g_rank->shared;
  Traffic& traffic = *g_rank->traffic;
  (void)traffic.mutex.lock();  // a rank killed holding it leaves counts that are only as good as what it wrote
  traffic.bytes_in_flight += leaving ? bytes : -bytes;
  detail::emit(EventKind::CounterSet, Phase::Done, s.in_flight_counter, traffic.bytes_in_flight);
  if (leaving && between_hosts) {
    traffic.bytes_between_hosts += bytes;
    traffic.messages_between_hosts += 1;
    detail::emit(EventKind::CounterSet, Phase::Done, s.bytes_counter, traffic.bytes_between_hosts);
    detail::emit(EventKind::CounterSet, Phase::Done, s.messages_counter, traffic.messages_between_hosts);
  }
  traffic.mutex.unlock();
}

bool between_hosts(int a, int b) {
  return g_rank->host_of[static_cast<std::size_t>(a)] != g_rank->host_of[static_cast<std::size_t>(b)];
}

// One message leaves this rank for `to` (sent now, or the share a collective gives it).
void message_sent(int to, std::int64_t bytes) {
  if (to == g_rank->rank) return;
  detail::emit(EventKind::MpiSend, Phase::Done, link(g_rank->rank, to), bytes, ++g_rank->sent[static_cast<std::size_t>(to)]);
  count_traffic(bytes, true, between_hosts(g_rank->rank, to));
}
void message_received(int from, std::int64_t bytes) {
  if (from == g_rank->rank || from < 0) return;
  detail::emit(EventKind::MpiRecv, Phase::Done, link(from, g_rank->rank), bytes,
               ++g_rank->received[static_cast<std::size_t>(from)]);
  count_traffic(bytes, false, between_hosts(from, g_rank->rank));
}

// A call that may wait for other ranks: passes the gate, then shows the rank blocked in it until it returns. Not a
// step of its own (the peers may be outside the run) and marked as ending by itself, like a socket's wait.
class Call {
 public:
  Call(MpiOp op, int peer, std::uint16_t object) : op_(op), peer_(peer), object_(object) {
    detail::gate_pass(EventKind::MpiCall, object, [&] {
      return peer < 0 ? std::string(forkscope::to_string(op)) : fmt::format("{} rank {}", forkscope::to_string(op), peer);
    });
    detail::emit(EventKind::MpiCall, Phase::Want, object_, static_cast<std::int64_t>(op_), peer_ < 0 ? 0 : peer_ + 1);
    detail::set_slot_state(forkscope::SlotState::Blocked, object_, true);
  }
  ~Call() {
    detail::emit(EventKind::MpiCall, Phase::Done, object_, static_cast<std::int64_t>(op_), 0);
    detail::set_slot_state(forkscope::SlotState::Running);
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

 private:
  MpiOp op_;
  int peer_;
  std::uint16_t object_;
};

// The process holding this rank's host (FORKSCOPE_MPI_HOSTS: "host-1=PID,host-2=PID"), else the lesson main.
pid_t host_process(const std::string& host, const forkscope::Session& session) {
  if (const char* hosts = std::getenv("FORKSCOPE_MPI_HOSTS")) {
    const std::string list = hosts;
    const std::string key = host + "=";
    for (std::size_t at = 0; at < list.size();) {
      const std::size_t end = std::min(list.find(',', at), list.size());
      if (list.compare(at, key.size(), key) == 0) return static_cast<pid_t>(std::atoi(list.c_str() + at + key.size()));
      at = end + 1;
    }
  }
  return session.slot(0).pid.load();
}

// Every rank ends with the process that launched its job (FORKSCOPE_MPI_WATCH: "BOOT_ID:PID:START_TIME"), whatever
// the moment. The parent-death signal and the lesson's process group, set in MPI_Init, come too late for a rank still
// inside PMPI_Init when the run ends: Open MPI gives each rank a process group of its own, and its launcher may die
// before the signal is asked for. So from the moment the wrapper is loaded, a thread of the rank waits on a pidfd of
// the launching process and kills the rank when it ends. A rank on another machine (another boot) has none to watch.
void* watch_the_launcher(void* pidfd) {
  pollfd ended{static_cast<int>(reinterpret_cast<std::intptr_t>(pidfd)), POLLIN, 0};
  while (poll(&ended, 1, -1) < 0 && errno == EINTR) {
  }
  kill(getpid(), SIGKILL);
  return nullptr;
}

__attribute__((constructor)) void die_with_the_launcher() {
  const char* watch = std::getenv("FORKSCOPE_MPI_WATCH");
  char boot[64] = {};
  int pid = 0;
  unsigned long long start = 0;
  if (watch == nullptr || std::sscanf(watch, "%63[^:]:%d:%llu", boot, &pid, &start) != 3) return;
  if (detail::boot_id() != boot) return;
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  // Checked after the pidfd is open: a launcher with that pid and start time then is the one the pidfd stands for.
  if (pidfd < 0 || detail::start_time_of(pid) != start) kill(getpid(), SIGKILL);  // it is gone already
  // The watcher takes no signal meant for the rank's own threads.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_t watcher;
  const int error = pthread_create(&watcher, nullptr, watch_the_launcher, reinterpret_cast<void*>(static_cast<std::intptr_t>(pidfd)));
  if (error == 0) pthread_detach(watcher);
  else std::fprintf(stderr, "forkscope: cannot start the thread that ends this rank with its run: %s\n", std::strerror(error));
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

// Run by every rank right after PMPI_Init: joins the session as a new lane, then rank 0 makes the shared objects.
void attach() {
  const char* session_name = std::getenv("FORKSCOPE_MPI_SESSION");
  if (session_name == nullptr || *session_name == '\0') return;
  auto* r = new Rank;
  PMPI_Comm_rank(MPI_COMM_WORLD, &r->rank);
  PMPI_Comm_size(MPI_COMM_WORLD, &r->size);
  int opened = 1;
  try {
    r->session.emplace(forkscope::Session::open(session_name));
  } catch (const std::exception&) {
    opened = 0;  // a rank on another machine: the run's memory is not here
  }
  // Every rank traced or none: collectives below are made by all of them.
  int all_opened = 0;
  PMPI_Allreduce(&opened, &all_opened, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (all_opened == 0) {
    if (r->rank == 0) std::fprintf(stderr, "forkscope: some ranks cannot reach the run's session; the MPI job runs untraced\n");
    delete r;
    return;
  }
  const forkscope::Session& session = *r->session;
  forkscope::adopt_trace_clock(session.header().clock);  // the run's clock, as every lesson process reads it
  const std::string host = forkscope::this_host_name();
  // The rank dies with whoever started it (mpirun, or its host's daemon), and joins the lesson's process group, which
  // the viewer ends and reaps as a whole whatever happens.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  setpgid(0, session.slot(0).pid.load());

  const std::uint32_t index = session.allocate_slot();
  forkscope::ProcessSlot& slot = session.slot(index);
  const std::string name = fmt::format("rank-{}@{}", r->rank, host).substr(0, sizeof slot.name - 1);
  std::memcpy(slot.name, name.data(), name.size());
  slot.name_string = session.store_string(name);
  const pid_t parent = host_process(host, session);
  slot.ppid.store(parent, std::memory_order_relaxed);
  slot.state.store(static_cast<std::uint32_t>(forkscope::SlotState::Running), std::memory_order_release);
  detail::become_lesson_process(session, index, std::string(name), "", 0);
  detail::emit(EventKind::ProcessBegin, Phase::Done, 0, parent, forkscope::pack_arg(slot.name_string, 0));

  g_rank = r;
  r->sent.assign(static_cast<std::size_t>(r->size), 0);
  r->received.assign(static_cast<std::size_t>(r->size), 0);
  const std::uint64_t my_host = std::hash<std::string>{}(host);
  r->host_of.assign(static_cast<std::size_t>(r->size), 0);
  PMPI_Allgather(&my_host, 1, MPI_UINT64_T, r->host_of.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);
  if (r->rank == 0) {
    Shared& s = r->shared;
    s.communicator = detail::announce_object(forkscope::ObjectKind::Communicator, "MPI_COMM_WORLD", r->size);
    auto* traffic = new (session.allocate(sizeof(Traffic))) Traffic();
    traffic->mutex.init();
    s.traffic_offset = static_cast<std::uint64_t>(reinterpret_cast<std::byte*>(traffic) - reinterpret_cast<std::byte*>(&session.header()));
    s.bytes_counter = detail::announce_object(forkscope::ObjectKind::Counter, "bytes_between_hosts", 0);
    s.messages_counter = detail::announce_object(forkscope::ObjectKind::Counter, "messages_between_hosts", 0);
    s.in_flight_counter = detail::announce_object(forkscope::ObjectKind::Counter, "bytes_in_flight", 0);
    if (r->size <= kMaxLinkedRanks)
      for (int from = 0; from < r->size; ++from)
        for (int to = 0; to < r->size; ++to)
          if (from != to)
            s.links[from * kMaxLinkedRanks + to] =
                detail::announce_object(forkscope::ObjectKind::MpiLink, fmt::format("rank {} -> rank {}", from, to), 0);
  }
  PMPI_Bcast(&r->shared, sizeof(Shared), MPI_BYTE, 0, MPI_COMM_WORLD);
  r->traffic = reinterpret_cast<Traffic*>(reinterpret_cast<std::byte*>(&session.header()) + r->shared.traffic_offset);

  // The rank's end, with its exit status (on_exit, not atexit: the status is what the lane shows).
  on_exit([](int status, void*) {
    if (g_rank == nullptr || detail::g_context == nullptr) return;
    detail::emit(EventKind::ProcessEnd, Phase::Done, 0, status, 0);
    detail::g_context->slot->state.store(static_cast<std::uint32_t>(forkscope::SlotState::Exited), std::memory_order_release);
  }, nullptr);
}

// A completed request that was a receive: its message arrived.
void request_done(MPI_Request request, const MPI_Status& status) {
  const auto it = g_rank->receives.find(request);
  if (it == g_rank->receives.end()) return;
  g_rank->receives.erase(it);
  int bytes = 0;
  PMPI_Get_count(&status, MPI_BYTE, &bytes);
  message_received(status.MPI_SOURCE, bytes);
}

// A collective whose root gives every rank a share (Bcast, Scatter) or takes one from each (Gather, Reduce): the
// shares are the messages drawn, from or to the root.
template <class Forward>
int rooted(MpiOp op, int root, std::int64_t share_bytes, bool from_root, Forward&& forward) {
  const bool at_root = g_rank->rank == root;
  int rc = 0;
  {
    Call call(op, at_root ? -1 : root, g_rank->shared.communicator);
    if (from_root && at_root)
      for (int to = 0; to < g_rank->size; ++to) message_sent(to, share_bytes);
    if (!from_root && !at_root) message_sent(root, share_bytes);
    rc = forward();
  }
  if (rc != MPI_SUCCESS) return rc;
  if (from_root && !at_root) message_received(root, share_bytes);
  if (!from_root && at_root)
    for (int from = 0; from < g_rank->size; ++from) message_received(from, share_bytes);
  return rc;
}

}  // namespace

extern "C" {

int MPI_Init(int* argc, char*** argv) {
  const int rc = PMPI_Init(argc, argv);
  if (rc == MPI_SUCCESS) attach();
  return rc;
}

int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
  const int rc = PMPI_Init_thread(argc, argv, required, provided);
  if (rc == MPI_SUCCESS) attach();
  return rc;
}

int MPI_Send(const void* buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm) {
  if (!traced(comm)) return PMPI_Send(buf, count, type, dest, tag, comm);
  Call call(MpiOp::Send, dest, link(g_rank->rank, dest));
  message_sent(dest, bytes_of(count, type));
  return PMPI_Send(buf, count, type, dest, tag, comm);
}

int MPI_Recv(void* buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm, MPI_Status* status) {
  if (!traced(comm)) return PMPI_Recv(buf, count, type, source, tag, comm, status);
  MPI_Status local;
  if (status == MPI_STATUS_IGNORE) status = &local;
  int rc = 0;
  {
    Call call(MpiOp::Recv, source == MPI_ANY_SOURCE ? -1 : source,
              source == MPI_ANY_SOURCE ? g_rank->shared.communicator : link(source, g_rank->rank));
    rc = PMPI_Recv(buf, count, type, source, tag, comm, status);
  }
  if (rc == MPI_SUCCESS) {
    int received = 0;
    PMPI_Get_count(status, type, &received);
    message_received(status->MPI_SOURCE, bytes_of(received, type));
  }
  return rc;
}

int MPI_Isend(const void* buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm, MPI_Request* request) {
  if (traced(comm)) {
    detail::gate_pass(EventKind::MpiSend, link(g_rank->rank, dest));
    message_sent(dest, bytes_of(count, type));
  }
  return PMPI_Isend(buf, count, type, dest, tag, comm, request);
}

int MPI_Irecv(void* buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm, MPI_Request* request) {
  const int rc = PMPI_Irecv(buf, count, type, source, tag, comm, request);
  if (traced(comm) && rc == MPI_SUCCESS) g_rank->receives[*request] = source;
  return rc;
}

int MPI_Wait(MPI_Request* request, MPI_Status* status) {
  if (!tracing()) return PMPI_Wait(request, status);
  MPI_Status local;
  if (status == MPI_STATUS_IGNORE) status = &local;
  const MPI_Request was = *request;
  const auto it = g_rank->receives.find(was);
  const int peer = it == g_rank->receives.end() || it->second == MPI_ANY_SOURCE ? -1 : it->second;
  int rc = 0;
  {
    Call call(MpiOp::Wait, peer, peer < 0 ? g_rank->shared.communicator : link(peer, g_rank->rank));
    rc = PMPI_Wait(request, status);
  }
  if (rc == MPI_SUCCESS) request_done(was, *status);
  return rc;
}

int MPI_Waitall(int count, MPI_Request requests[], MPI_Status statuses[]) {
  if (!tracing()) return PMPI_Waitall(count, requests, statuses);
  std::vector<MPI_Request> was(requests, requests + count);
  std::vector<MPI_Status> local(static_cast<std::size_t>(count));
  if (statuses == MPI_STATUSES_IGNORE) statuses = local.data();
  int rc = 0;
  {
    Call call(MpiOp::Wait, -1, g_rank->shared.communicator);
    rc = PMPI_Waitall(count, requests, statuses);
  }
  if (rc == MPI_SUCCESS)
    for (int i = 0; i < count; ++i) request_done(was[static_cast<std::size_t>(i)], statuses[i]);
  return rc;
}

int MPI_Barrier(MPI_Comm comm) {
  if (!traced(comm)) return PMPI_Barrier(comm);
  Call call(MpiOp::Barrier, -1, g_rank->shared.communicator);
  return PMPI_Barrier(comm);
}

int MPI_Bcast(void* buf, int count, MPI_Datatype type, int root, MPI_Comm comm) {
  if (!traced(comm)) return PMPI_Bcast(buf, count, type, root, comm);
  return rooted(MpiOp::Bcast, root, bytes_of(count, type), true, [&] { return PMPI_Bcast(buf, count, type, root, comm); });
}

int MPI_Scatter(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf, int recvcount,
                MPI_Datatype recvtype, int root, MPI_Comm comm) {
  const auto forward = [&] { return PMPI_Scatter(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm); };
  if (!traced(comm)) return forward();
  return rooted(MpiOp::Scatter, root, bytes_of(recvcount, recvtype), true, forward);
}

int MPI_Gather(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf, int recvcount,
               MPI_Datatype recvtype, int root, MPI_Comm comm) {
  const auto forward = [&] { return PMPI_Gather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm); };
  if (!traced(comm)) return forward();
  return rooted(MpiOp::Gather, root, bytes_of(sendcount, sendtype), false, forward);
}

int MPI_Reduce(const void* sendbuf, void* recvbuf, int count, MPI_Datatype type, MPI_Op op, int root, MPI_Comm comm) {
  const auto forward = [&] { return PMPI_Reduce(sendbuf, recvbuf, count, type, op, root, comm); };
  if (!traced(comm)) return forward();
  return rooted(MpiOp::Reduce, root, bytes_of(count, type), false, forward);
}

// MPI_Finalize waits for the other ranks: shown like any call that waits (a step settles there while stepping).
int MPI_Finalize() {
  if (!tracing()) return PMPI_Finalize();
  Call call(MpiOp::Finalize, -1, g_rank->shared.communicator);
  return PMPI_Finalize();
}

int MPI_Allreduce(const void* sendbuf, void* recvbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  if (!traced(comm)) return PMPI_Allreduce(sendbuf, recvbuf, count, type, op, comm);
  Call call(MpiOp::Allreduce, -1, g_rank->shared.communicator);
  return PMPI_Allreduce(sendbuf, recvbuf, count, type, op, comm);
}

}  // extern "C"
