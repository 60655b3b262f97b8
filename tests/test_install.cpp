// The installed tree and the .deb, as a teacher's lab machine gets them: `cmake --install` into a temporary DESTDIR,
// then the installed programs run as `nobody` from another directory, with the source and build trees hidden
// (a private mount namespace with empty file systems over them), so nothing can lean on the paths it was built at.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include <fmt/format.h>

#include "test_support.hpp"

using forkscope::testing::CleanTest;
using forkscope::testing::CommandResult;
using forkscope::testing::run_command;
using forkscope::testing::TempDir;

namespace {

class Install : public CleanTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(chmod(root_.path().c_str(), 0755), 0);  // nobody reads the installed tree
    const CommandResult r = run_command({"/usr/bin/env", "DESTDIR=" + root_.path().string(), FORKSCOPE_CMAKE_COMMAND,
                                         "--install", FORKSCOPE_BINARY_DIR, "--prefix", "/usr"},
                                        {}, 120);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  [[nodiscard]] std::string installed(const std::string& path) const { return (root_.path() / ("usr/" + path)).string(); }

  // `command` in /, as nobody, where the source and build trees are empty (as root; else as we are, trees in place).
  [[nodiscard]] static CommandResult run_installed(const std::string& command, double timeout = 120) {
    if (geteuid() != 0) return run_command({"/bin/sh", "-c", "cd / && " + command}, {}, timeout);
    const std::string hide = fmt::format("mount -t tmpfs tmpfs '{}' && (mount -t tmpfs tmpfs '{}' 2>/dev/null || true)",
                                         FORKSCOPE_BINARY_DIR, FORKSCOPE_SOURCE_DIR);
    return run_command({"/usr/bin/unshare", "-m", "--", "/bin/sh", "-c",
                        hide + " && cd / && exec /usr/sbin/runuser -u nobody -- /bin/sh -c '" + command + "'"},
                       {}, timeout);
  }

  // nobody may not read our X cookie where xvfb-run put it: "XAUTHORITY=<a copy it can read> ", for this test only.
  static std::string display_for_nobody(const TempDir& work) {
    const char* xauthority = std::getenv("XAUTHORITY");
    if (xauthority == nullptr) return {};
    std::ifstream in(xauthority, std::ios::binary);
    const std::string cookie = work.write("Xauthority", std::string(std::istreambuf_iterator<char>(in), {}));
    EXPECT_EQ(chmod(cookie.c_str(), 0644), 0);
    return "XAUTHORITY=" + cookie + " ";
  }

  TempDir root_;
};

TEST_F(Install, TheInstalledCliRunsALessonAndAPythonProgramWithTheTreesItWasBuiltInOutOfReach) {
  const std::string cli = installed("bin/forkscope-cli");
  CommandResult r = run_installed(cli + " --version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("forkscope-cli " FORKSCOPE_VERSION)) << r.out;

  r = run_installed(cli + " run ticket-lock --speed 50");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok   the mutex was held by one buyer at a time"), std::string::npos) << r.out;

  r = run_installed(cli + " list");  // the titles come from the installed texts
  EXPECT_NE(r.out.find("抢票"), std::string::npos) << r.out << r.err;

  r = run_installed(cli + " run no-such-lesson");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  // A Python program, through the package installed where Debian's python3.11 finds it.
  const TempDir work;
  ASSERT_EQ(chmod(work.path().c_str(), 0755), 0);
  const std::string program = work.write("hello.py", "import multiprocessing as mp\n"
                                                     "def child(q): q.put('from the child')\n"
                                                     "if __name__ == '__main__':\n"
                                                     "    q = mp.Queue(); p = mp.Process(target=child, args=(q,))\n"
                                                     "    p.start(); print(q.get()); p.join()\n");
  ASSERT_EQ(chmod(program.c_str(), 0644), 0);
  r = run_installed(cli + " run --json " + program);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("from the child"), std::string::npos) << r.out;
}

TEST_F(Install, TheInstalledViewerDrawsFromTheInstalledTree) {
  if (std::getenv("DISPLAY") == nullptr) GTEST_SKIP() << "no display (the suite runs under xvfb-run)";
  const TempDir work;
  ASSERT_EQ(chmod(work.path().c_str(), 0777), 0);
  const std::string picture = work.file("zh.png");
  const CommandResult r = run_installed(display_for_nobody(work) + installed("bin/forkscope") +
                                        " --lang zh --lesson ticket-lock --run --speed 10 --screenshot " + picture);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  struct stat st {};
  ASSERT_EQ(stat(picture.c_str(), &st), 0) << r.err;
  EXPECT_GT(st.st_size, 10'000);
}

TEST_F(Install, TheTreeHasManPagesADesktopEntryAndCompletionThatCompletesLessonsAndKeys) {
  for (const char* file : {"share/man/man1/forkscope.1.gz", "share/man/man1/forkscope-cli.1.gz",
                           "share/applications/forkscope.desktop", "share/icons/hicolor/scalable/apps/forkscope.svg",
                           "share/doc/forkscope/copyright", "share/doc/forkscope/changelog.Debian.gz",
                           "lib/forkscope/forkscope-lesson", "share/forkscope/i18n/zh.json"})
    EXPECT_TRUE(std::filesystem::exists(installed(file))) << file;
  // The man page documents the exit codes.
  CommandResult r = run_command({"/bin/sh", "-c", "zcat " + installed("share/man/man1/forkscope-cli.1.gz")});
  EXPECT_NE(r.out.find("EXIT STATUS"), std::string::npos);

  // Bash completion, as bash runs it for `forkscope-cli run tic<TAB>` and `... --set tic<TAB>`.
  const std::string complete = fmt::format(
      "PATH='{}':$PATH; source '{}'; COMP_WORDS=(forkscope-cli run tic); COMP_CWORD=2; _forkscope_cli; "
      "echo \"${{COMPREPLY[*]}}\"; COMP_WORDS=(forkscope-cli run ticket-lock --set tic); COMP_CWORD=4; _forkscope_cli; "
      "echo \"${{COMPREPLY[*]}}\"",
      installed("bin"), installed("share/bash-completion/completions/forkscope-cli"));
  r = run_command({"/bin/bash", "-c", complete});
  EXPECT_EQ(r.out, "ticket-lock\ntickets=\n") << r.err;
}

// A lesson author's project (examples/hello_lesson, copied out of the source tree) built against the installed SDK
// only, then run by the installed forkscope-cli: with the lock every addition counts, without it the check still runs.
TEST_F(Install, ALessonBuiltAgainstTheInstalledSdkRunsInTheInstalledCliAndViewer) {
  const TempDir work;
  ASSERT_EQ(chmod(work.path().c_str(), 0777), 0);
  std::filesystem::copy(std::string(FORKSCOPE_SOURCE_DIR) + "/examples/hello_lesson", work.path() / "hello");
  ASSERT_EQ(run_command({"/bin/chmod", "-R", "a+rwX", work.path().string()}).exit_code, 0);
  const std::string project = (work.path() / "hello").string();
  CommandResult r = run_installed(fmt::format("cmake -S {0} -B {0}/build -DCMAKE_PREFIX_PATH={1} >/dev/null && "
                                              "cmake --build {0}/build >/dev/null",
                                              project, installed("")),
                                  300);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string lesson = project + "/build/hello_lesson.so";
  r = run_installed(installed("bin/forkscope-cli") + " run " + lesson + " --set workers=2 --set rounds=3 --json");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto report = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.out;
  EXPECT_EQ(report["result"]["count"], 6);
  std::string invariants;
  for (const auto& i : report["invariants"]) invariants += i["name"].get<std::string>() + "\n";
  EXPECT_NE(invariants.find("lock_loses_nothing"), std::string::npos) << invariants;  // its own check, by key

  r = run_installed(installed("bin/forkscope-cli") + " run " + lesson + " --set workers=99");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("workers must be an integer from 1 to 16"), std::string::npos) << r.err;
  r = run_installed(installed("bin/forkscope-cli") + " run " + installed("lib/forkscope/forkscope-lesson") + ".so");
  EXPECT_EQ(r.exit_code, 2);

  // The viewer lists it under "Your lessons", runs it in the runner and checks it there: exit 0 and a picture.
  if (std::getenv("DISPLAY") == nullptr) return;
  const std::string picture = work.file("hello.png");
  r = run_installed(display_for_nobody(work) + installed("bin/forkscope") + " --lesson-file " + lesson +
                    " --run --tab result --screenshot " + picture);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::filesystem::exists(picture));
}

TEST_F(Install, TheDebianPackageBuildsWithItsDependenciesAndLintianReportsNoError) {
  const TempDir out;
  CommandResult r = run_command({FORKSCOPE_CPACK_COMMAND, "-G", "DEB", "--config",
                                 std::string(FORKSCOPE_BINARY_DIR) + "/CPackConfig.cmake", "-B", out.path().string()},
                                {}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string deb = out.file(fmt::format("forkscope_{}-1_amd64.deb", FORKSCOPE_VERSION));
  ASSERT_TRUE(std::filesystem::exists(deb)) << r.out;
  r = run_command({"/usr/bin/dpkg-deb", "-f", deb, "Depends"});
  EXPECT_NE(r.out.find("libglfw3"), std::string::npos) << r.out;  // computed by dpkg-shlibdeps
  EXPECT_NE(r.out.find("python3.11"), std::string::npos) << r.out;
  r = run_command({"/usr/bin/dpkg-deb", "-c", deb});
  for (const char* file : {"./usr/bin/forkscope-cli", "./usr/bin/forkscope", "./usr/lib/forkscope/forkscope-lesson",
                           "./usr/lib/python3/dist-packages/forkscope/_boot.py"})
    EXPECT_NE(r.out.find(file), std::string::npos) << file;
  r = run_command({"/usr/bin/lintian", "--tag-display-limit", "0", deb}, {}, 300);
  EXPECT_FALSE(std::regex_search(r.out, std::regex("^E: ", std::regex::multiline))) << r.out;
}

}  // namespace
