// What every test of a registered lesson expects of a finished run, whatever the lesson teaches.
#pragma once

#include <gtest/gtest.h>

#include "forkscope/run.hpp"

namespace forkscope::testing {

// The main process exited with 0, every invariant held, and no trace event was lost.
inline void expect_clean_run(const Run& run) {
  EXPECT_EQ(run.report().main_exitcode, 0);
  EXPECT_TRUE(run.report().invariants_ok()) << run.report().result.dump();
  EXPECT_EQ(run.report().lost_events, 0u);
}

}  // namespace forkscope::testing
