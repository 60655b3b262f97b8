#include "forkscope/lesson_main.hpp"

#include <unistd.h>

#include <cstdio>

#include "forkscope/errors.hpp"
#include "primitives/process_exit.hpp"
#include "session/runtime.hpp"

namespace forkscope {

void run_lesson_main(const Session& session, const std::vector<ParamSpec>& specs,
                     const std::function<void(LessonContext&)>& body) {
  nlohmann::json launch;
  std::uint64_t seed = 0;
  try {
    adopt_trace_clock(session.header().clock);
    launch = nlohmann::json::parse(session.string(session.header().launch));
    seed = launch.at("seed").get<std::uint64_t>();
    detail::become_lesson_process(session, 0, "MainProcess", "", seed);
  } catch (const std::exception& e) {
    // Before the process has a trace: the viewer sees the exit code, a person this line. Never return into the
    // caller (with fork_in_process, that is the viewer's own code).
    std::fprintf(stderr, "forkscope-lesson: cannot start the lesson: %s\n", e.what());
    _exit(1);
  }

  int code = 0;
  std::optional<LessonContext> lesson;
  try {
    detail::announce_begin(getppid(), false);
    if (chdir(launch.at("run_dir").get<std::string>().c_str()) != 0)
      throw_system("entering the run directory", errno);
    lesson.emplace(Params::from_json(specs, launch.at("params")), seed);
    body(*lesson);
  } catch (...) {
    code = detail::report_uncaught(std::current_exception());
  }
  detail::end_process(code, [&] {
    if (!lesson) return;
    const StringId result = session.store_transient_string(lesson->result().dump());
    detail::emit(EventKind::LessonResult, Phase::Done, 0, 0, pack_arg(result));
  });
}

}  // namespace forkscope
