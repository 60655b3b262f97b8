// Traces on disk. The native format (.fstrace) keeps everything a TraceModel needs, so a saved run can be opened
// again; the Chrome trace event format is for Perfetto (ui.perfetto.dev) and chrome://tracing.
#pragma once

#include <cstdint>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "forkscope/atomic_write.hpp"
#include "forkscope/trace_model.hpp"

namespace forkscope {

// A trace file bigger than this is refused before it is read (32 M events; a long live run makes a few million).
inline constexpr std::uint64_t kMaxTraceFileBytes = 1ull << 30;

// "FSTRACE1", a JSON header (the run's facts in `meta`, the strings events carry), then the 32-byte events.
// Written atomically (write_file_atomically); SystemFailure when it cannot be written.
void save_trace(const TraceModel& model, const nlohmann::json& meta, const std::filesystem::path& file);
// Rebuilds the model, in time order (one sort). UsageError, saying what is wrong, when the file is missing, too big,
// or not a whole, consistent Forkscope trace: every size, count, kind and item number is checked against the file
// before anything is sized by it, and the header's JSON is depth-limited and type-checked.
[[nodiscard]] TraceModel load_trace(const std::filesystem::path& file, nlohmann::json* meta = nullptr);
// The Chrome trace event format (JSON) of a model: one slice track per process (its states), a counter per object,
// a flow arrow per put->get, printed lines as instant events, every operation as an instant marker. Streamed: each
// event is written as it is produced, into `write` a megabyte at a time, never as a whole document in memory.
void write_chrome_trace(const TraceModel& model, const WriteBytes& write);
// write_chrome_trace into a file, atomically; SystemFailure when it cannot be written.
void save_chrome_trace(const TraceModel& model, const std::filesystem::path& file);
// The same as a JSON document (the stream parsed back), for tests and small traces only: a document holds about
// 2.5 KB per event (24 GB for ten million).
[[nodiscard]] nlohmann::json chrome_trace(const TraceModel& model);

}  // namespace forkscope
