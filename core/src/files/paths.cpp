#include "forkscope/paths.hpp"

#include <cstdlib>
#include <system_error>

#include "version_info.hpp"

namespace forkscope {

namespace {

std::filesystem::path from_env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? std::filesystem::path(value) : std::filesystem::path();
}

std::filesystem::path program_dir() {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
}

bool is_there(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

}  // namespace

std::string version_text() {
  std::string text = kVersion;
  if (*kGitCommit) text += std::string(" (git ") + kGitCommit + ")";
  return text;
}

std::filesystem::path install_prefix() {
  // bin/ for the programs, lib/forkscope/ for the lesson runner: the prefix is one or two folders up.
  const std::filesystem::path dir = program_dir();
  for (const std::filesystem::path& prefix : {dir.parent_path(), dir.parent_path().parent_path()})
    if (is_there(prefix / "share/forkscope/i18n/en.json")) return prefix;
  return dir.parent_path();  // a program moved out of its tree: what it looks for is named in the error it gets
}

std::filesystem::path data_dir() { return install_prefix() / "share/forkscope"; }

std::filesystem::path assets_dir() {
  const std::filesystem::path env = from_env("FORKSCOPE_ASSETS");
  return env.empty() ? data_dir() : env;
}

std::filesystem::path source_file(std::string_view repository_path) { return data_dir() / repository_path; }

std::filesystem::path default_runner_path() {
  if (auto env = from_env("FORKSCOPE_LESSON_RUNNER"); !env.empty()) return env;
  if (auto beside = program_dir() / "forkscope-lesson"; is_there(beside)) return beside;
  return install_prefix() / "lib/forkscope/forkscope-lesson";
}

std::filesystem::path python_interpreter() {
  if (auto env = from_env("FORKSCOPE_PYTHON"); !env.empty()) return env;
  return kPythonExecutable;
}

std::filesystem::path python_package_dir() {
  if (auto env = from_env("FORKSCOPE_PYTHON_PATH"); !env.empty()) return env;
  const std::filesystem::path prefix = install_prefix();
  if (auto installed = prefix / "lib/python3/dist-packages"; is_there(installed / "forkscope")) return installed;
  return prefix / "python";
}

std::filesystem::path tutorial_programs_dir() {
  if (auto env = from_env("FORKSCOPE_TUTORIALS"); !env.empty()) return env;
  return data_dir() / "scenarios/tutorial_python";
}

}  // namespace forkscope
