// The sweep of what dead viewers left removes only what is provably Forkscope's: a segment of ours (our user, a regular
// file, the session header's magic inside) and a run directory of ours (our user, a directory, the marker file inside).
// Files that merely carry a dead PID in a Forkscope-like name survive, and so do links and what they point to.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <fstream>

#include <fmt/format.h>

#include "forkscope/clock.hpp"
#include "forkscope/session.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::TempDir;

namespace {

// A PID that no process has: a child that ended at once and was reaped.
pid_t dead_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  forkscope::testing::wait_child(pid, 30);
  return pid;
}

// Removes the entries a test made, whatever the sweep did to them.
struct Entries {
  std::deque<std::filesystem::path> paths;  // add() hands out references: they must stay valid
  ~Entries() {
    std::error_code ec;
    for (const auto& p : paths) std::filesystem::remove_all(p, ec);
  }
  const std::filesystem::path& add(std::filesystem::path p) { return paths.emplace_back(std::move(p)); }
};

void write_file(const std::filesystem::path& file, const std::string& text) { std::ofstream(file, std::ios::binary) << text; }

bool exists_no_follow(const std::filesystem::path& p) {
  struct stat st {};
  return lstat(p.c_str(), &st) == 0;
}

}  // namespace

class Sweep : public CleanTest {};

TEST_F(Sweep, WhatForkscopeDidNotMakeSurvivesANewSession) {
  const pid_t dead = dead_pid();
  const std::string prefix = fmt::format("{}{}.", Session::kPrefix, dead);
  const auto tmp = std::filesystem::temp_directory_path();
  Entries made;
  const TempDir elsewhere;
  // Named like ours, made by someone else: no magic, no marker, or not the right type.
  const auto& plain_segment = made.add(fmt::format("/dev/shm/{}x", prefix));
  write_file(plain_segment, std::string(8192, 'x'));
  const auto& plain_dir = made.add(tmp / (prefix + "dir"));
  std::filesystem::create_directory(plain_dir);
  write_file(plain_dir / "precious.txt", "keep me");
  const auto& file_with_marker_name = made.add(tmp / (prefix + "file"));
  write_file(file_with_marker_name, "not a directory");
  // Links are never followed, even to a directory that carries our marker.
  const std::string marked = elsewhere.file("marked");
  std::filesystem::create_directory(marked);
  write_file(std::filesystem::path(marked) / Session::kRunDirMarker, "");
  const auto& dir_link = made.add(tmp / (prefix + "link"));
  std::filesystem::create_directory_symlink(marked, dir_link);
  const auto& segment_link = made.add(fmt::format("/dev/shm/{}link", prefix));
  std::filesystem::create_symlink(elsewhere.write("target", "x"), segment_link);
  // Ours in every way but the owner: another user's files are never touched (only root can make them).
  std::vector<std::filesystem::path> foreign;
  if (geteuid() == 0) {
    const passwd* nobody = getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    const auto& dir = made.add(tmp / (prefix + "nobody"));
    std::filesystem::create_directory(dir);
    write_file(dir / Session::kRunDirMarker, "");
    ASSERT_EQ(chown((dir / Session::kRunDirMarker).c_str(), nobody->pw_uid, nobody->pw_gid), 0);
    ASSERT_EQ(chown(dir.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
    foreign.push_back(dir);
  }

  { Session session = Session::create(calibrate_trace_clock()); }  // sweeps first

  for (const auto* p : {&plain_segment, &plain_dir, &file_with_marker_name, &dir_link, &segment_link})
    EXPECT_TRUE(exists_no_follow(*p)) << "swept what Forkscope did not make: " << *p;
  for (const auto& p : foreign) EXPECT_TRUE(exists_no_follow(p)) << "swept another user's directory: " << p;
  EXPECT_TRUE(std::filesystem::exists(plain_dir / "precious.txt"));
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(marked) / Session::kRunDirMarker));
  EXPECT_TRUE(std::filesystem::exists(elsewhere.file("target")));
}

// A viewer killed in the middle of a run leaves its segment and its run directory (made by Run, marker inside):
// both provably ours, both swept by the next session. Its lesson died with it (parent-death signal).
TEST_F(Sweep, WhatADeadViewerLeftIsRemoved) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t viewer = fork();
  ASSERT_GE(viewer, 0);
  if (viewer == 0) {
    close(ready[0]);
    try {
      Lesson lesson = forkscope::testing::test_lesson("sweep-test", [](LessonContext&) { forkscope::sleep(30); });
      auto run = forkscope::testing::start_inline(lesson, {});
      write_file(run->run_dir() / "db.txt", "a lesson's file");
      (void)!write(ready[1], "1", 1);
      kill(getpid(), SIGKILL);  // here, with the Run alive: no destructor runs, the segment and the directory stay
    } catch (...) {
    }
    _exit(1);
  }
  close(ready[1]);
  char byte = 0;
  const bool made = read(ready[0], &byte, 1) == 1;  // returns at the latest when the viewer dies
  close(ready[0]);
  forkscope::testing::wait_child(viewer, 30);
  ASSERT_TRUE(made);
  ASSERT_EQ(forkscope::testing::leftovers_of(viewer).size(), 2u);

  { Session session = Session::create(calibrate_trace_clock()); }
  EXPECT_TRUE(forkscope::testing::leftovers_of(viewer).empty());
}
