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

TEST(Status, BridgesToErrorText) {
  std::string error = "unchanged";
  EXPECT_TRUE(Succeeded(Status::Ok(), &error));
  EXPECT_EQ(error, "unchanged");
  EXPECT_FALSE(Succeeded(Status::Error("no"), &error));
  EXPECT_EQ(error, "no");
  int out = 0;
  EXPECT_TRUE(Succeeded(Half(6), &out, &error));
  EXPECT_EQ(out, 3);
  EXPECT_FALSE(Succeeded(Half(5), &out, &error));
  EXPECT_EQ(out, 3);
  EXPECT_EQ(error, "5 is odd");
  EXPECT_EQ(TakeValue(Half(10), &error), 5);
  EXPECT_EQ(TakeValue(Half(7), &error), 0);
  EXPECT_EQ(error, "7 is odd");
}

}  // namespace
}  // namespace accord::base
