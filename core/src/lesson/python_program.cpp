// A Python program as a lesson: what the viewer needs to start one (the interpreter, the forkscope package) and the
// lesson it runs as. The program's side is core/python/.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/input.hpp"
#include "forkscope/run.hpp"

namespace forkscope {

Lesson python_program_lesson(const std::string& file) {
  struct stat st {};
  if (file.empty()) throw UsageError("no Python file given");
  if (stat(file.c_str(), &st) != 0) throw UsageError(fmt::format("cannot open {}: {}", file, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw UsageError(fmt::format("{} is not a regular file", file));
  if (access(file.c_str(), R_OK) != 0) throw UsageError(fmt::format("cannot read {}: {}", file, std::strerror(errno)));
  Lesson lesson;
  lesson.id = file;
  lesson.topic = "python";
  lesson.source = file;
  lesson.check = [](RunReport& report) {
    report.expect("program_exit_code_0", report.main_exitcode == 0, {{"exitcode", report.main_exitcode}});
  };
  return lesson;
}

std::vector<TutorialProgram> tutorial_programs_for(const std::string& lesson_id) {
  const std::filesystem::path index = tutorial_programs_dir() / "index.json";
  const nlohmann::json entries = parse_json_text(read_input_file(index, "tutorial index", 1u << 20), index.string());
  std::vector<TutorialProgram> programs;
  for (const auto& e : entries) {
    if (!e.is_object() || e.value("mirrors", nlohmann::json()) != lesson_id || !e.value("runnable", false) ||
        !e.value("file", nlohmann::json()).is_string())
      continue;
    TutorialProgram p;
    p.file = tutorial_programs_dir() / e["file"].get<std::string>();
    p.title_en = e.value("title_en", "");
    p.title_zh = e.value("title_zh", "");
    p.blocks_forever = e.value("blocks_forever", false);
    const nlohmann::json files = e.value("setup_files", nlohmann::json::object());
    for (const auto& [name, text] : files.items())
      if (text.is_string()) p.setup_files[name] = text.get<std::string>();
    programs.push_back(std::move(p));
  }
  return programs;
}

}  // namespace forkscope
