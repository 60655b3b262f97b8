// `forkscope-cli bench --scale`: the viewer at scale (issue 15's table): ingest rate, memory per event, .fstrace
// and Chrome trace files of ten million events, and a lossless run of a thousand real processes. Synthetic traces
// come from the generator `forkscope --bench-frames` draws (forkscope/synthetic_trace.hpp).
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "commands.hpp"
#include "forkscope/errors.hpp"
#include "forkscope/lesson_text.hpp"
#include "forkscope/session.hpp"
#include "forkscope/synthetic_trace.hpp"
#include "forkscope/trace_drain.hpp"
#include "forkscope/trace_file.hpp"

namespace forkscope::cli {

namespace {

constexpr std::size_t kIngestEvents = 1'000'000;
constexpr std::size_t kLargeEvents = 10'000'000;  // the model at 10 M, its .fstrace and its Chrome trace
constexpr std::int64_t kLosslessProcesses = 1000, kLosslessEvents = 10'000;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM").
std::uint64_t status_bytes(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':')
      return std::stoull(line.substr(field.size() + 1)) * 1024;  // "VmRSS:   123456 kB"
  throw SystemFailure(fmt::format("/proc/self/status has no {}", field));
}
// What this process holds now, after giving freed heap back to the system (so a delta is what is still in use).
std::uint64_t resident_bytes() {
  malloc_trim(0);
  return status_bytes("VmRSS");
}
// Starts counting the peak resident size from now (writing 5 to clear_refs resets VmHWM).
void reset_peak_resident() {
  std::ofstream("/proc/self/clear_refs") << "5";
}
// How far the peak resident size rose above `before` since reset_peak_resident(), in MB (0 if it did not).
double peak_growth_mb(std::uint64_t before) {
  const std::uint64_t peak = status_bytes("VmHWM");
  return peak > before ? static_cast<double>(peak - before) / 1e6 : 0;
}

// A directory for the trace files, removed with everything in it however the bench ends.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "forkscope-bench.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw SystemFailure(describe_errno("making a directory for the bench's traces", errno));
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] std::filesystem::path file(const char* name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The viewer's ingest, as a live run does it (TraceDrain: every ring copied, the batch ordered by time, the model
// built), on rings this process filled beforehand with a synthetic trace: what is timed is the viewer alone, on one
// core, not the writers (the lossless row has real processes write).
double ingest_events_per_s(const SyntheticTrace& trace) {
  std::unordered_map<std::int32_t, std::uint32_t> per_process;
  for (const TraceEvent& e : trace.events) ++per_process[e.pid];
  std::uint32_t ring = 64;
  for (const auto& [pid, n] : per_process)
    while (ring < n) ring *= 2;
  const ClockCalibration clock;  // ticks are nanoseconds
  Session session = Session::create(clock, SessionLimits{static_cast<std::uint32_t>(per_process.size()), ring});
  std::vector<StringId> strings{kNoString};
  for (const std::string& text : trace.texts) strings.push_back(session.store_string(text));
  std::unordered_map<std::int32_t, RingWriter> writers;
  for (const auto& [pid, n] : per_process) writers.emplace(pid, session.ring_writer(session.allocate_slot()));
  for (TraceEvent e : trace.events) {
    if (carries_string(e.kind)) e.arg = pack_arg(strings[arg_string(e.arg)], arg_extra(e.arg));
    writers.at(e.pid).push(e);
  }
  const auto start = std::chrono::steady_clock::now();
  TraceDrain drain;
  TraceModel model;
  model.set_clock(clock);
  std::size_t ingested = drain.drain(session, model);
  ingested += drain.drain(session, model, true);
  const double seconds = seconds_since(start);
  if (ingested != trace.events.size())
    throw SystemFailure(fmt::format("the ingest bench got {} of {} events", ingested, trace.events.size()));
  return static_cast<double>(ingested) / seconds;
}

// Bytes of resident memory the model of `events` synthetic events holds, per event.
double model_bytes_per_event(std::size_t events, std::optional<TraceModel>* keep = nullptr) {
  const SyntheticTrace trace = make_synthetic_trace(events);
  const std::uint64_t before = resident_bytes();
  TraceModel model = trace.model();
  const std::uint64_t after = resident_bytes();
  const double per_event = (static_cast<double>(after) - static_cast<double>(before)) / static_cast<double>(model.events().size());
  if (keep) keep->emplace(std::move(model));
  return per_event;
}

// Bytes of resident memory the model holds per printed line, for a student's loop of a million prints: each line a
// different 30-character text, as `print(f"line {i} ...")` makes them.
double model_bytes_per_printed_line() {
  constexpr std::int32_t kPid = 100;
  std::vector<std::string> texts(kIngestEvents);
  for (std::size_t i = 0; i < texts.size(); ++i) texts[i] = fmt::format("{:.<30}", fmt::format("line {} ", i));
  const std::uint64_t before = resident_bytes();
  TraceModel model;
  model.ingest_ns(TraceEvent{0, kPid, EventKind::ProcessBegin, Phase::Done, 0, 1, pack_arg(1)}, "MainProcess");
  for (std::size_t i = 0; i < texts.size(); ++i)
    model.ingest_ns(TraceEvent{i + 1, kPid, EventKind::Print, Phase::Done, 0, 0, pack_arg(static_cast<StringId>(i + 2))}, texts[i]);
  const std::uint64_t after = resident_bytes();
  if (model.lines().size() != texts.size())
    throw SystemFailure(fmt::format("the print bench's model has {} of {} lines", model.lines().size(), texts.size()));
  return (static_cast<double>(after) - static_cast<double>(before)) / static_cast<double>(texts.size());
}

}  // namespace

int bench_scale(bool json, int repeats, const std::string& only) {
  if (!only.empty() && std::find(std::begin(kScaleGroups), std::end(kScaleGroups), only) == std::end(kScaleGroups))
    throw UsageError(fmt::format("--only {} is not a group of --scale (ingest, model, fstrace, chrome or lossless)", only));
  const auto wanted = [&](const char* group) { return only.empty() || only == group; };
  std::map<std::string, std::vector<double>> samples;
  bool order_kept = true;
  const ScratchDir scratch;
  for (int round = 0; round < repeats && !interrupted(); ++round) {
    if (wanted("ingest")) {  // a pass takes a tenth of a second: five a round, so one preemption does not make the round
      const SyntheticTrace trace = make_synthetic_trace(kIngestEvents);
      std::vector<double> passes;
      for (int pass = 0; pass < 5; ++pass) passes.push_back(ingest_events_per_s(trace));
      samples["ingest_events_per_s"].push_back(median(passes));
    }
    std::optional<TraceModel> large;  // 10 M events, kept for the file rows
    if (wanted("model")) {
      samples["model_bytes_per_event_1m"].push_back(model_bytes_per_event(kIngestEvents));
      samples["model_bytes_per_event_10m"].push_back(model_bytes_per_event(kLargeEvents, &large));
      samples["model_bytes_per_printed_line"].push_back(model_bytes_per_printed_line());
    }
    if (wanted("fstrace") || wanted("chrome")) {
      if (!large) large = synthetic_trace(kLargeEvents);
      samples["large_trace_events"].push_back(static_cast<double>(large->events().size()));
    }
    if (wanted("fstrace")) {
      const std::filesystem::path file = scratch.file("large.fstrace");
      // Three saves a round, each from a quiet page cache (what was written before, a 2 GB Chrome trace or the last
      // save, is not still being written back): a save is a few tenths of a second, and one that met the disk's
      // writeback does not make the round.
      std::vector<double> saves;
      for (int pass = 0; pass < 3; ++pass) {
        std::filesystem::remove(file);
        sync();
        const auto start = std::chrono::steady_clock::now();
        save_trace(*large, nlohmann::json::object(), file);
        saves.push_back(seconds_since(start));
      }
      const double save_s = median(saves);
      const double mb = static_cast<double>(std::filesystem::file_size(file)) / 1e6;
      const auto start = std::chrono::steady_clock::now();
      const TraceModel loaded = load_trace(file);
      const double load_s = seconds_since(start);
      if (loaded.events().size() != large->events().size())
        throw SystemFailure(fmt::format("the .fstrace bench loaded {} of {} events", loaded.events().size(), large->events().size()));
      samples["fstrace_mb"].push_back(mb);
      samples["fstrace_save_mb_per_s"].push_back(mb / save_s);
      samples["fstrace_load_mb_per_s"].push_back(mb / load_s);
      samples["fstrace_open_10m_s"].push_back(load_s);
      std::filesystem::remove(file);
    }
    if (wanted("chrome")) {
      const std::filesystem::path file = scratch.file("large.json");
      const std::uint64_t before = resident_bytes();
      reset_peak_resident();
      const auto start = std::chrono::steady_clock::now();
      save_chrome_trace(*large, file);
      samples["chrome_export_10m_s"].push_back(seconds_since(start));
      samples["chrome_export_peak_rss_growth_mb"].push_back(peak_growth_mb(before));
      samples["chrome_export_mb"].push_back(static_cast<double>(std::filesystem::file_size(file)) / 1e6);
      std::filesystem::remove(file);
    }
    large.reset();
    if (wanted("lossless")) {
      // A run that needs more processes than the defaults' 1,024 gets them. The viewer's memory: the model of ten
      // million events and the ring pages it read, nothing that grows with how far the writers ran ahead (a full ring
      // waits, never grows).
      const std::uint64_t before = resident_bytes();
      reset_peak_resident();
      const auto result = run_hidden("bench-lossless",
                                     {fmt::format("processes={}", kLosslessProcesses), fmt::format("events={}", kLosslessEvents)},
                                     SessionLimits{static_cast<std::uint32_t>(kLosslessProcesses) + 1, 16384}, false);
      samples["lossless_processes"].push_back(result["lossless_processes"]);
      samples["lossless_events_per_process"].push_back(result["events_per_process"]);
      samples["lost_events"].push_back(result["lost_events"]);
      samples["lossless_run_s"].push_back(result["wall_seconds"]);
      samples["lossless_viewer_peak_rss_growth_mb"].push_back(peak_growth_mb(before));
      order_kept &= result["order_kept"].get<bool>();
    }
  }
  if (interrupted()) return kInterrupted;

  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, values] : samples) out[name] = median(values);
  // The lossless row is about every round: any event lost in any round is a miss.
  if (samples.contains("lost_events")) {
    out["lost_events"] = *std::max_element(samples["lost_events"].begin(), samples["lost_events"].end());
    out["lossless_processes"] = *std::min_element(samples["lossless_processes"].begin(), samples["lossless_processes"].end());
    out["order_kept"] = order_kept;
  }
  if (out.contains("model_bytes_per_event_10m")) out["model_bytes_per_event"] = out["model_bytes_per_event_10m"];
  const auto m = [&](const char* name) { return out.contains(name) ? out[name].get<double>() : std::nan(""); };
  const double lossless = std::isnan(m("lost_events")) ? std::nan("")
                          : (m("lost_events") == 0 && order_kept && m("lossless_processes") == kLosslessProcesses ? 1 : 0);
  const BenchTarget rows[] = {
      {"ingest_events_per_s", m("ingest_events_per_s"), 20e6, true,
       "viewer ingest (drain + order + model) of 1 M events from filled rings, events per second on one core >= 20 M"},
      {"lossless", lossless, 1, true, "1,000 real processes x 10,000 events each: 0 lost, order kept per process"},
      {"model_bytes_per_event_1m", m("model_bytes_per_event_1m"), 24, false, "resident bytes per event in the model at 1 M events <= 24"},
      {"model_bytes_per_event_10m", m("model_bytes_per_event_10m"), 24, false, "resident bytes per event in the model at 10 M events <= 24"},
      {"fstrace_save_mb_per_s", m("fstrace_save_mb_per_s"), 500, true, ".fstrace save of 10 M events, MB/s >= 500"},
      {"fstrace_load_mb_per_s", m("fstrace_load_mb_per_s"), 500, true, ".fstrace load of 10 M events, MB/s >= 500"},
      {"fstrace_open_10m_s", m("fstrace_open_10m_s"), 2, false, "a 10 M-event .fstrace opens in <= 2 s"},
      {"chrome_export_peak_rss_growth_mb", m("chrome_export_peak_rss_growth_mb"), 64, false,
       "Chrome trace export of 10 M events streams: peak resident growth <= 64 MB"},
  };
  return print_bench(std::move(out), rows, "value", kBenchScaleSchema, repeats, json);
}

}  // namespace forkscope::cli
