// write_file_atomically, the one path every file Forkscope writes takes: a write cut short, a producer that throws,
// or a device that refuses leaves the target as it was (or absent) and no temporary file beside it.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "forkscope/atomic_write.hpp"
#include "forkscope/errors.hpp"
#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::TempDir;

namespace {

std::string read_all(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  write_file_atomically(file, "test file", [&](const WriteBytes& write) { write(text); });
}

}  // namespace

class FileWrites : public CleanTest {};

TEST_F(FileWrites, TheTargetIsReplacedWhole) {
  const TempDir dir;
  const std::string target = dir.write("data.txt", "old");
  write_text(target, "new content");
  EXPECT_EQ(read_all(target), "new content");
  EXPECT_EQ(dir.names(), std::vector<std::string>{"data.txt"});
}

// RLIMIT_FSIZE cuts the write short (EFBIG) in a child: the old file stays, whole, and no temporary file is left.
TEST_F(FileWrites, AWriteCutShortLeavesTheOldFileAndNoTemporary) {
  const TempDir dir;
  const std::string target = dir.write("data.txt", "old");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);  // the failed write returns EFBIG instead of killing the process
    const rlimit limit{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_text(target, std::string(100'000, 'x'));
    } catch (const SystemFailure& e) {
      _exit(std::string(e.what()).find("failed: File too large (EFBIG)") != std::string::npos ? 0 : 2);
    } catch (...) {
      _exit(3);
    }
    _exit(1);  // it said nothing
  }
  const int status = forkscope::testing::wait_child(child, 30);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  EXPECT_EQ(read_all(target), "old");
  EXPECT_EQ(dir.names(), std::vector<std::string>{"data.txt"});
}

TEST_F(FileWrites, AProducerThatThrowsLeavesNothing) {
  const TempDir dir;
  const std::string target = dir.file("data.txt");
  EXPECT_THROW(write_file_atomically(target, "test file",
                                     [](const WriteBytes& write) {
                                       write("half");
                                       throw std::runtime_error("the producer failed");
                                     }),
               std::runtime_error);
  EXPECT_TRUE(dir.names().empty());
}

TEST_F(FileWrites, DevicesAndFifosAreWrittenDirectlyAndChecked) {
  try {
    write_text("/dev/full", "x");
    ADD_FAILURE() << "a write to /dev/full succeeded";
  } catch (const SystemFailure& e) {
    EXPECT_STREQ(e.what(), "writing the test file to /dev/full failed: No space left on device (ENOSPC)");
  }
  write_text("/dev/null", "x");  // a device that accepts: no temporary file, no rename over /dev/null
  struct stat st {};
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(FileWrites, EmptyNamesAndDirectoriesAreBadInput) {
  const TempDir dir;
  EXPECT_THROW(write_text("", "x"), UsageError);
  EXPECT_THROW(write_text(dir.path(), "x"), UsageError);
  EXPECT_TRUE(dir.names().empty());
}

TEST_F(FileWrites, ALinkKeepsPointingAtTheFileItNames) {
  const TempDir dir;
  const std::string real = dir.write("real.txt", "old");
  std::filesystem::create_symlink(real, dir.file("link.txt"));
  write_text(dir.file("link.txt"), "new");
  EXPECT_TRUE(std::filesystem::is_symlink(dir.file("link.txt")));
  EXPECT_EQ(read_all(real), "new");
  EXPECT_EQ(dir.names(), (std::vector<std::string>{"link.txt", "real.txt"}));
}
