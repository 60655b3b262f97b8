// Every tutorial example (scenarios/tutorial_python/, as written) prints under Forkscope what it prints under plain
// CPython: the same lines, in the same order where CPython's order is deterministic (the manifest's rules say how
// each is compared). Each example is one test; tools/tutorial_python_check --compare runs both sides.
#include <fstream>

#include "test_support.hpp"

namespace forkscope::testing {
namespace {

std::vector<std::string> tutorial_files() {
  std::ifstream in(std::string(FORKSCOPE_SOURCE_DIR) + "/scenarios/tutorial_python/index.json");
  std::vector<std::string> files;
  for (const auto& entry : nlohmann::json::parse(in))
    if (entry.value("runnable", false) && !entry.value("blocks_forever", false) && entry["file"].is_string())
      files.push_back(entry["file"]);
  return files;
}

class TutorialProgram : public CleanTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(TutorialProgram, PrintsUnderForkscopeWhatItPrintsUnderPlainCPython) {
  const std::string source = FORKSCOPE_SOURCE_DIR;
  const CommandResult r = run_command({"/usr/bin/python3.11", source + "/tools/tutorial_python_check", "--compare",
                                       source + "/scenarios/tutorial_python/" + GetParam(), "--cli", FORKSCOPE_CLI},
                                      {}, 200);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::cout << r.out;
}

INSTANTIATE_TEST_SUITE_P(Tutorials, TutorialProgram, ::testing::ValuesIn(tutorial_files()),
                         [](const auto& test) {
                           std::string name = test.param.substr(0, test.param.find('.'));
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace forkscope::testing
