#include "base/strings.h"

#include <gtest/gtest.h>

#include <string>

namespace accord::base {
namespace {

TEST(Strings, Trim) {
  EXPECT_EQ(Trim(" \t a b \r\n"), "a b");
  EXPECT_EQ(Trim(" \t\r\n"), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim("\n x \n", " \t"), "\n x \n") << "only the characters asked for";
  EXPECT_EQ(Trim("--a-b--", "-"), "a-b");
  EXPECT_EQ(TrimEnd(" a ,\n", " \n\r\t,"), " a");
  EXPECT_EQ(TrimEnd(",,", ","), "");
}

TEST(Strings, QuoteStyles) {
  const std::string s = "a\"b\\c\n\r\t\x01\x7f\xc3\xa9";
  EXPECT_EQ(Quote(s), "\"a\\\"b\\\\c\\n\\r\\t\\x01\\x7f\xc3\xa9\"");
  EXPECT_EQ(Quote(s, kCelBytes), "\"a\\\"b\\\\c\\n\\r\\t\\x01\\x7f\\xc3\\xa9\"");
  // the language server's completions: 0x7f as it is
  EXPECT_EQ(Quote(s, {"\n\r\t", true, false, false}), "\"a\\\"b\\\\c\\n\\r\\t\\x01\x7f\xc3\xa9\"");
  // the AST dump: every control byte in hex
  EXPECT_EQ(Quote(s, {"", true, true, false}), "\"a\\\"b\\\\c\\x0a\\x0d\\x09\\x01\\x7f\xc3\xa9\"");
  // DOT: only the newline escaped
  EXPECT_EQ(Quote(s, {"\n", false, false, false}), "\"a\\\"b\\\\c\\n\r\t\x01\x7f\xc3\xa9\"");
}

TEST(Strings, JsonString) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\n\x01 \xc3\xa9");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001 \xc3\xa9\"");
  out.clear();
  AppendJsonString(out, "0123456789abcdef0123456789\b\f");  // past the eight-byte fast path
  EXPECT_EQ(out, "\"0123456789abcdef0123456789\\b\\f\"");
  out.clear();
  AppendJsonString(out, "");
  EXPECT_EQ(out, "\"\"");
}

}  // namespace
}  // namespace accord::base
