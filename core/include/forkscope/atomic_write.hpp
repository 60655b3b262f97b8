// Every file Forkscope writes (schedules, .fstrace and Chrome traces, screenshots) goes through one helper, so a
// failed write is never silent and never leaves a half-written file where the user expects a whole one.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

namespace forkscope {

// Hands the producer's bytes to the file; the first failure is kept and reported when the file is finished.
using WriteBytes = std::function<void(std::string_view bytes)>;

// Writes what `produce` hands to `write` into `target`: into a temporary file next to it, checked after close(), then
// renamed over it, so the target is either the old file or the whole new one. A target that exists and is not a
// regular file (/dev/full, a FIFO, a terminal) is written directly, and checked the same way. `what` names the content
// in errors ("schedule"). UsageError: empty path or a directory; SystemFailure: the system refused (the message names
// the path and errno). Nothing is left behind when it throws.
void write_file_atomically(const std::filesystem::path& target, std::string_view what,
                           const std::function<void(const WriteBytes& write)>& produce);

}  // namespace forkscope
