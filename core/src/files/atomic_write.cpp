#include "forkscope/atomic_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "forkscope/errors.hpp"

namespace forkscope {

namespace {

// An open file that remembers its first failure (with errno) instead of throwing from inside the producer.
class CheckedFile {
 public:
  explicit CheckedFile(int fd) : fd_(fd) {}
  CheckedFile(const CheckedFile&) = delete;
  CheckedFile& operator=(const CheckedFile&) = delete;
  ~CheckedFile() {
    if (fd_ >= 0) ::close(fd_);
  }

  void write(std::string_view bytes) {
    while (!bytes.empty() && error_ == 0) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = n < 0 ? errno : EIO;
        return;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Closes the file; 0 when every byte was accepted and close() agreed, else the first errno.
  [[nodiscard]] int finish() {
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0 && error_ == 0) error_ = errno;  // NFS and full disks may report only here
    return error_;
  }

 private:
  int fd_;
  int error_ = 0;
};

[[noreturn]] void fail(std::string_view what, const std::filesystem::path& target, int saved_errno) {
  throw_system(fmt::format("writing the {} to {}", what, target.string()), saved_errno);
}

// Opens "<dir>/.<name>.<random>.tmp" exclusively; its mode follows the umask, like the target's would.
int open_temporary(const std::filesystem::path& target, std::filesystem::path& temporary, std::string_view what) {
  std::random_device random;
  for (int attempt = 0;; ++attempt) {
    temporary = target.parent_path() / fmt::format(".{}.{:08x}.tmp", target.filename().string(), random());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt == 8) fail(what, target, errno);
  }
}

}  // namespace

void write_file_atomically(const std::filesystem::path& target_path, std::string_view what,
                           const std::function<void(const WriteBytes& write)>& produce) {
  if (target_path.empty()) throw UsageError(fmt::format("the file name for the {} is empty", what));
  std::filesystem::path target = target_path;
  struct stat st {};
  const bool exists = ::stat(target.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) fail(what, target, errno);
  if (exists && S_ISDIR(st.st_mode)) throw UsageError(fmt::format("cannot write the {} to {}: it is a directory", what, target.string()));

  if (exists && !S_ISREG(st.st_mode)) {  // a device or a FIFO: there is nothing to replace, write to it and check
    const int fd = ::open(target.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) fail(what, target, errno);
    CheckedFile file(fd);
    produce([&](std::string_view bytes) { file.write(bytes); });
    if (const int error = file.finish()) fail(what, target, error);
    return;
  }

  // A symbolic link keeps pointing where it did: the new file replaces the file it names.
  std::error_code ec;
  if (exists && std::filesystem::is_symlink(target, ec)) target = std::filesystem::canonical(target_path, ec);
  if (ec) fail(what, target_path, ec.value());
  std::filesystem::path temporary;
  CheckedFile file(open_temporary(target, temporary, what));
  try {
    produce([&](std::string_view bytes) { file.write(bytes); });
    if (const int error = file.finish()) fail(what, target, error);
    if (::rename(temporary.c_str(), target.c_str()) != 0) fail(what, target, errno);
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
}

}  // namespace forkscope
