// Traces on disk. The native format (.fstrace) keeps everything a TraceModel needs, so a saved run can be opened
// again; the Chrome trace event format is for Perfetto (ui.perfetto.dev) and chrome://tracing.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "forkscope/trace_model.hpp"

namespace forkscope {

// "FSTRACE1", a JSON header (the run's facts in `meta`, the strings events carry), then the 32-byte events.
void save_trace(const TraceModel& model, const nlohmann::json& meta, const std::filesystem::path& file);
// Rebuilds the model. UsageError when the file is missing or not a Forkscope trace.
[[nodiscard]] TraceModel load_trace(const std::filesystem::path& file, nlohmann::json* meta = nullptr);

// One slice track per process (its states), a counter per object, a flow arrow per put->get, printed lines as
// instant events, every operation as an instant marker.
[[nodiscard]] nlohmann::json chrome_trace(const TraceModel& model);

}  // namespace forkscope
