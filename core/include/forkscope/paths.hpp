// Where Forkscope's own files are, found from the running program, so a build tree and an installed tree work alike
// and nothing depends on the source tree a program was built from:
//
//   installed (PREFIX = /usr)                      build tree (PREFIX = build/<preset>)
//   PREFIX/bin/forkscope, forkscope-cli            PREFIX/bin/ (every program and test)
//   PREFIX/lib/forkscope/forkscope-lesson          PREFIX/bin/forkscope-lesson
//   PREFIX/share/forkscope/{i18n,lessons,scenarios}  the same, links into the source tree made at configure time
//   PREFIX/lib/python3/dist-packages/forkscope     PREFIX/python/forkscope
//
// Each place has an environment variable that overrides it (for tests and for a lesson author's own copies).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace forkscope {

// "0.1.0" (CMake's project version), and with the git commit when built from a checkout: "0.1.0 (git 1a2b3c4d)".
[[nodiscard]] std::string version_text();

// PREFIX above: the folder whose share/forkscope holds the data, searched upwards from the running program.
[[nodiscard]] std::filesystem::path install_prefix();
// PREFIX/share/forkscope: the lessons' texts, the UI strings, the lessons' sources shown in the Code view.
[[nodiscard]] std::filesystem::path data_dir();
// The UI strings (i18n/) and lesson texts (lessons/): FORKSCOPE_ASSETS, else data_dir().
[[nodiscard]] std::filesystem::path assets_dir();
// A lesson's source file by its path in the repository ("scenarios/ticket_lock.cpp").
[[nodiscard]] std::filesystem::path source_file(std::string_view repository_path);
// forkscope-lesson: FORKSCOPE_LESSON_RUNNER, else next to the running program (build tree), else PREFIX/lib/forkscope.
[[nodiscard]] std::filesystem::path default_runner_path();
// The interpreter (FORKSCOPE_PYTHON, else the one the build was made for: Debian's /usr/bin/python3.11) and the folder
// holding the forkscope package (FORKSCOPE_PYTHON_PATH, else PREFIX/lib/python3/dist-packages or PREFIX/python).
[[nodiscard]] std::filesystem::path python_interpreter();
[[nodiscard]] std::filesystem::path python_package_dir();
// The tutorials' own code: FORKSCOPE_TUTORIALS, else data_dir()/scenarios/tutorial_python.
[[nodiscard]] std::filesystem::path tutorial_programs_dir();

}  // namespace forkscope
