#include "base/status.h"

#include <gtest/gtest.h>

#include <string>

namespace accord::base {
namespace {

Result<int> Half(int n) {
  if (n % 2) return Status::Error(std::to_string(n) + " is odd");
  return n / 2;
}

TEST(Status, OkAndError) {
  Status ok = Status::Ok();
  EXPECT_TRUE(ok);
  EXPECT_TRUE(ok.ok);
  Status bad = Status::Error("disk full");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.message, "disk full");
}

TEST(Status, ResultHoldsAValueOrWhyNot) {
  Result<int> r = Half(8);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 4);
  EXPECT_TRUE(r.status().ok);
  Result<int> e = Half(3);
  EXPECT_FALSE(e);
  EXPECT_EQ(e.status().message, "3 is odd");
  Result<std::string> s = std::string("text");
  EXPECT_EQ(s->size(), 4u);
  EXPECT_EQ(std::move(s).value(), "text");
}

}  // namespace
}  // namespace accord::base
