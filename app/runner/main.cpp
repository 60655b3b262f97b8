// forkscope-lesson: the lesson's main process. A viewer starts it with the name of the session it made; it runs
// the lesson body there and exits. It is never started by hand. A viewer also asks it about a lesson built with the
// SDK (a shared object only the runner loads): `--describe FILE.so` prints what the lesson is, `--check FILE.so RUN`
// checks a finished run saved to RUN. In an MPI job it is mpirun's launch agent (--enter-host, forkscope/mpi_job.hpp).
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/lesson_file.hpp"
#include "forkscope/lesson_main.hpp"
#include "forkscope/mpi_job.hpp"
#include "forkscope/paths.hpp"
#include "registry.hpp"

namespace {

int answer(const nlohmann::json& reply) {
  std::printf("%s\n", reply.dump().c_str());
  return std::fflush(stdout) == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // die with the viewer
  const auto is = [&](int i, const char* flag) { return argc > i && std::strcmp(argv[i], flag) == 0; };
  try {
    if (argc == 2 && is(1, "--version")) {
      std::printf("forkscope-lesson %s\n", forkscope::version_text().c_str());
      return 0;
    }
    if (argc == 3 && is(1, "--describe")) return answer(forkscope::describe_lesson(forkscope::load_lesson_file(argv[2])));
    if (argc == 4 && is(1, "--check")) return answer(forkscope::check_saved_run(forkscope::load_lesson_file(argv[2]), argv[3]));
    if (argc == 5 && is(1, "--enter-host")) return forkscope::enter_host(argv[2], argv[3], argv[4]);  // mpirun's agent
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forkscope-lesson: %s\n", forkscope::one_line(e.what()).c_str());
    return 2;
  }
  if (argc != 2) {
    std::fprintf(stderr, "forkscope-lesson: started by forkscope and forkscope-cli, not by hand\n");
    return 2;
  }
  try {
    const forkscope::Session session = forkscope::Session::open(argv[1]);
    if (getppid() != session.header().viewer_pid) return 1;  // the viewer is already gone
    const auto launch = nlohmann::json::parse(session.string(session.header().launch));
    const forkscope::Lesson* lesson = nullptr;
    if (launch.contains("lesson_file"))
      lesson = &forkscope::load_lesson_file(launch.at("lesson_file").get<std::string>());
    else
      lesson = forkscope::scenarios::find(launch.at("lesson").get<std::string>());
    if (lesson == nullptr) throw forkscope::UsageError("unknown lesson " + launch.at("lesson").dump());
    forkscope::run_lesson_main(session, lesson->params, lesson->body);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forkscope-lesson: %s\n", e.what());
    return 3;
  }
}
