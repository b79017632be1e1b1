#include "base/timings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace accord::base {
namespace {

TEST(PhaseClock, NestedPhasesAreExclusiveAndAccumulate) {
  PhaseClock clock;
  for (int i = 0; i < 2; ++i) {
    ScopedPhase outer(&clock, "outer");
    ScopedPhase inner(&clock, "inner");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(clock.timings().size(), 2u);
  const Timing& outer = clock.timings()[0];
  const Timing& inner = clock.timings()[1];
  EXPECT_EQ(outer.phase, "outer");  // in the order first entered
  EXPECT_EQ(inner.phase, "inner");
  EXPECT_EQ(outer.entries, 2);
  EXPECT_EQ(inner.entries, 2);
  EXPECT_GE(inner.wall_ms, 40.0);           // both entries add up
  EXPECT_LT(outer.wall_ms, inner.wall_ms);  // the nested sleep is not counted again
  EXPECT_GT(inner.peak_mb, 0.0);
}

TEST(PhaseClock, NullClockMeasuresNothing) {
  ScopedPhase p(nullptr, "nothing");  // no crash, no effect
  SUCCEED();
}

TEST(FormatTimings, OneLinePerPhaseWithWallCpuAndMemory) {
  std::string s = FormatTimings({{"read", 1.5, 1.25, 10.0, 1}, {"write", 2, 2, 12, 3}});
  EXPECT_NE(s.find("read"), std::string::npos);
  EXPECT_NE(s.find("1.50 ms"), std::string::npos);
  EXPECT_NE(s.find("cpu      1.25 ms"), std::string::npos);
  EXPECT_NE(s.find("peak memory   10.0 MB"), std::string::npos);
  EXPECT_NE(s.find("write"), std::string::npos);
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 2);
}

}  // namespace
}  // namespace accord::base
