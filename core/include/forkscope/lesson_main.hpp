// The lesson's main process ("MainProcess"): maps the session its viewer made, runs the lesson body, applies
// Python's exit rules (daemon children terminated, the others joined), reports the result, and exits.
#pragma once

#include <functional>
#include <vector>

#include "forkscope/lesson.hpp"
#include "forkscope/session.hpp"

namespace forkscope {

// Exit codes of the lesson main: 0 ok, 1 the body raised, 2 fork() was refused.
[[noreturn]] void run_lesson_main(const Session& session, const std::vector<ParamSpec>& specs,
                                  const std::function<void(LessonContext&)>& body);

}  // namespace forkscope
