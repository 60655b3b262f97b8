// scale-out (分布式, 水平扩展 for real): the scaling lesson's CPU-bound job done three ways in one run
// (000_ec34fb1d3354b95f.txt: "多整几个…利用网络通信连接到一个主机上"): by one process (centralized), by N processes on
// this host (vertical: more cores), and by N MPI ranks spread over H hosts that talk over TCP (horizontal: more
// machines). The hosts are network namespaces this lesson makes and removes (forkscope/mpi_job.hpp); the ranks run
// under Open MPI's mpirun, and the job is an ordinary MPI program (scenarios/mpi/scale_out_rank.cpp).
// Teaches: horizontal scaling adds machines, and machines must send each other the work and the results: that
// costs time the vertical way does not pay. Bigger messages (`message_kb`) make the network eat the gain.
// Watch: the host lanes, each rank's lane under its host; arrows from rank 0 to every rank (the scatter) and back
// (the reduce); ranks dark brown while they wait in MPI calls; "bytes_between_hosts" climbing.
#include <algorithm>
#include <set>

#include "cpu_work.hpp"
#include "forkscope/forkscope.hpp"
#include "forkscope/input.hpp"
#include "forkscope/mpi_job.hpp"
#include "lesson_support.hpp"

namespace {

void body(forkscope::LessonContext& lesson) {
  const int cores = forkscope::scenarios::available_cores();
  const std::int64_t ranks = lesson.int_param("ranks");
  const std::int64_t hosts = lesson.int_param("hosts");
  const std::int64_t work = lesson.int_param("work") * 1'000'000;
  const std::int64_t message_bytes = lesson.int_param("message_kb") * 1024;
  // A real cluster's hostfile instead of hosts made here (checked when given).
  const std::filesystem::path hostfile = lesson.text_param("hostfile");
  if (!hostfile.empty()) forkscope::print("主机来自 hostfile {}: {}", hostfile.string(), fmt::join(forkscope::hostfile_hosts(hostfile), ", "));
  forkscope::scenarios::CountedJob shared_job(work);
  forkscope::mark("集中式 (centralized): one process does the whole job");
  const auto alone = shared_job.run(1);
  forkscope::mark("垂直扩展 (vertical): one process per rank, on this host's cores");
  const auto vertical = shared_job.run(ranks);

  forkscope::mark("水平扩展 (horizontal): MPI ranks on several hosts, over TCP");
  const std::filesystem::path program = forkscope::mpi_program_path("forkscope-scale-out-rank");
  if (program.empty() || forkscope::mpi_wrapper_path().empty())
    throw forkscope::RuntimeError("this build has no MPI programs (a sanitizer build): the horizontal part cannot run");
  const forkscope::MpiJobResult job = forkscope::run_mpi_job(
      {.program = program, .args = {std::to_string(work), std::to_string(message_bytes)}, .ranks = static_cast<int>(ranks),
       .hosts = static_cast<int>(hosts), .hostfile = hostfile});
  if (!job.why_one_host.empty()) forkscope::print("{}", job.why_one_host);
  if (job.exit_code != 0)
    throw forkscope::RuntimeError(fmt::format("mpirun ended with exit code {}: {}", job.exit_code, job.failure));
  const std::string last_line = job.out.substr(job.out.rfind('{') == std::string::npos ? 0 : job.out.rfind('{'));
  const nlohmann::json horizontal = nlohmann::json::parse(last_line, nullptr, false);
  if (!horizontal.is_object() || !horizontal.contains("answer"))
    throw forkscope::RuntimeError(fmt::format("the MPI job printed no result: {}", forkscope::one_line(job.out)));
  const double horizontal_seconds = horizontal["seconds"].get<double>();
  const double communicating = std::max(0.0, horizontal_seconds - horizontal["longest_compute_seconds"].get<double>());

  forkscope::print("集中式 1 个进程: {:.3f} 秒", alone.seconds);
  forkscope::print("垂直扩展 {} 个进程: {:.3f} 秒, 快了 {:.2f} 倍 (这台机器有 {} 个核)", ranks, vertical.seconds,
                   alone.seconds / vertical.seconds, cores);
  forkscope::print("水平扩展 {} 个 rank, {} 台主机: {:.3f} 秒, 快了 {:.2f} 倍, 通信占 {:.0f}%", ranks, job.hosts,
                   horizontal_seconds, alone.seconds / horizontal_seconds, 100 * communicating / horizontal_seconds);
  lesson.result() = {{"cores", cores},
                     {"ranks", ranks},
                     {"hosts", job.hosts},
                     {"hostfile", hostfile.string()},
                     {"why_one_host", job.why_one_host},
                     {"message_bytes", message_bytes},
                     {"one_process_seconds", alone.seconds},
                     {"vertical_seconds", vertical.seconds},
                     {"horizontal_seconds", horizontal_seconds},
                     {"vertical_speedup", alone.seconds / vertical.seconds},
                     {"horizontal_speedup", alone.seconds / horizontal_seconds},
                     {"communication_share", communicating / horizontal_seconds},
                     {"same_answer", static_cast<std::uint64_t>(alone.answer) == static_cast<std::uint64_t>(vertical.answer) &&
                                         static_cast<std::uint64_t>(alone.answer) == horizontal["answer"].get<std::uint64_t>()}};
}

void check(forkscope::RunReport& run) {
  using namespace forkscope::scenarios;
  const forkscope::TraceModel& model = *run.model;
  const auto ranks = run.result["ranks"].get<std::int64_t>();
  const auto hosts = run.result["hosts"].get<std::int64_t>();
  run.expect("same_answer", run.result["same_answer"] == true);

  // From the trace: one lane per rank, each under the process holding its host (a lane under the main: ranks whose
  // host is unknown go under the main itself), each ended normally.
  std::vector<const forkscope::ProcessInfo*> rank_lanes;
  std::set<std::int32_t> host_lanes;
  for (const forkscope::ProcessInfo& p : model.processes())
    if (p.name.starts_with("rank-")) {
      rank_lanes.push_back(&p);
      if (const forkscope::ProcessInfo* host = model.process(p.ppid); host && model.process(host->ppid) != nullptr)
        host_lanes.insert(host->pid);
    }
  const forkscope::ObjectInfo* bytes = model.object_named("bytes_between_hosts");
  const forkscope::ObjectInfo* sent = model.object_named("messages_between_hosts");
  run.result["bytes_between_hosts"] = bytes ? bytes->max_value() : 0;
  run.result["messages_between_hosts"] = sent ? sent->max_value() : 0;
  // A cluster's ranks on other machines cannot reach the run's memory: then the job ran untraced, as the README says.
  const bool on_a_cluster = !run.result["hostfile"].get<std::string>().empty();
  run.result["ranks_on_the_timeline"] = !rank_lanes.empty();
  if (on_a_cluster && rank_lanes.empty()) return;

  const bool ended = std::all_of(rank_lanes.begin(), rank_lanes.end(), [](const forkscope::ProcessInfo* p) { return p->exitcode == 0; });
  // mpirun fills each host's slots in turn: ceil(ranks / hosts) slots each, so the last hosts may get none (on a
  // cluster every rank is on this machine, or none is traced).
  const std::int64_t slots = (ranks + hosts - 1) / hosts, hosts_used = on_a_cluster ? 1 : (ranks + slots - 1) / slots;
  run.expect("a_lane_per_rank_under_its_host",
             static_cast<std::int64_t>(rank_lanes.size()) == ranks && static_cast<std::int64_t>(host_lanes.size()) == hosts_used &&
                 ended,
             {{"ranks", rank_lanes.size()}, {"hosts", host_lanes.size()}});

  // Every share the scatter sent and every answer the reduce took in arrived: each message on a link, sent and received.
  std::int64_t messages = 0, delivered = 0;
  for (const forkscope::Flow& f : model.flows())
    if (const forkscope::ObjectInfo* link = model.object(f.object); link && link->kind == forkscope::ObjectKind::MpiLink) {
      ++messages;
      delivered += f.complete();
    }
  run.expect("every_message_delivered", messages == delivered && messages >= 2 * (ranks - 1), {{"messages", messages}});
}

// bench-mpi (hidden; forkscope-cli bench --only mpi): what tracing costs an MPI rank, measured side by side: the same
// ping-pong between two ranks on two hosts, untraced and traced, in one run.
void bench_body(forkscope::LessonContext& lesson) {
  const std::filesystem::path program = forkscope::mpi_program_path("forkscope-scale-out-rank");
  if (program.empty()) throw forkscope::RuntimeError("this build has no MPI programs (a sanitizer build)");
  const auto round_trip_us = [&](bool traced) {
    const forkscope::MpiJobResult job = forkscope::run_mpi_job(
        {.program = program, .args = {"pingpong", std::to_string(lesson.int_param("rounds")), "8"}, .ranks = 2, .hosts = 2,
         .traced = traced});
    const nlohmann::json out = nlohmann::json::parse(job.out.substr(std::min(job.out.rfind('{'), job.out.size())), nullptr, false);
    if (job.exit_code != 0 || !out.is_object() || !out.contains("round_trip_us"))
      throw forkscope::RuntimeError(fmt::format("the MPI ping-pong failed (exit code {}): {}", job.exit_code, job.failure));
    return out["round_trip_us"].get<double>();
  };
  const double plain = round_trip_us(false);
  lesson.result() = {{"plain_round_trip_us", plain}, {"traced_round_trip_us", round_trip_us(true)}};
}

}  // namespace

namespace forkscope::scenarios {

Lesson bench_mpi() {
  return {.id = "bench-mpi",
          .topic = "bench",
          .source = "scenarios/scale_out.cpp",
          .params = {ParamSpec::integer("rounds", 300, 1, 10'000'000)},
          .body = bench_body,
          .check = {},
          .hidden = true};
}


Lesson scale_out() {
  return {.id = "scale-out",
          .topic = "concepts",
          .source = "scenarios/scale_out.cpp",
          .params = {ParamSpec::integer("ranks", 4, 1, 16), ParamSpec::integer("hosts", 2, 1, 4),
                     ParamSpec::integer("work", 12, 1, 1000), ParamSpec::integer("message_kb", 64, 0, 65536),
                     ParamSpec::file("hostfile", [](const std::filesystem::path& file) { (void)forkscope::hostfile_hosts(file); })},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
