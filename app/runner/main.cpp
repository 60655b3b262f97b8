// forkscope-lesson: the lesson's main process. A viewer starts it with the name of the session it made; it runs
// the lesson body there and exits. It is never started by hand.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "forkscope/errors.hpp"
#include "forkscope/lesson_main.hpp"
#include "forkscope/paths.hpp"
#include "registry.hpp"

int main(int argc, char** argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // die with the viewer
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("forkscope-lesson %s\n", forkscope::version_text().c_str());
    return 0;
  }
  if (argc != 2) {
    std::fprintf(stderr, "forkscope-lesson: started by forkscope and forkscope-cli, not by hand\n");
    return 2;
  }
  try {
    const forkscope::Session session = forkscope::Session::open(argv[1]);
    if (getppid() != session.header().viewer_pid) return 1;  // the viewer is already gone
    const auto launch = nlohmann::json::parse(session.string(session.header().launch));
    const forkscope::Lesson* lesson = forkscope::scenarios::find(launch.at("lesson").get<std::string>());
    if (lesson == nullptr) throw forkscope::UsageError("unknown lesson " + launch.at("lesson").dump());
    forkscope::run_lesson_main(session, lesson->params, lesson->body);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forkscope-lesson: %s\n", e.what());
    return 3;
  }
}
