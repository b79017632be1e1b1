// Tests of the string functions (stdlib_strings.cc).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/stdlib_test_util.h"

namespace accord::rt {
namespace {

using namespace stdlib_testing;  // NOLINT(google-build-using-namespace): the tests' shorthand

// ---- size, contains, matches ----

TEST(Stdlib, Size) {
  EXPECT_EQ(R("size_string", {S("héllo")}), "5");
  EXPECT_EQ(R("size_string_m", {S("abc")}), "3");
  EXPECT_EQ(R("size_string", {S("")}), "0");
  EXPECT_EQ(R("size_string", {S("  ")}), "2");
  EXPECT_EQ(R("size_string", {S("ééééé12345😀😀")}), "12");
  EXPECT_EQ(R("size_string", {V("©αT")}), "3");
  EXPECT_EQ(R("size_string", {N()}), kNoOverload);
  EXPECT_EQ(R("size_string", {B("abc")}), kNoOverload);
  EXPECT_EQ(R("size_bytes", {B("abc")}), "3");
  EXPECT_EQ(R("size_bytes_m", {B("é")}), "2");
  EXPECT_EQ(R("size_bytes", {S("abc")}), kNoOverload);
  EXPECT_EQ(R("size_list", {L({I(1), I(2)})}), "2");
  EXPECT_EQ(R("size_list_m", {L({})}), "0");
  EXPECT_EQ(R("size_map", {M({{S("a"), I(1)}})}), "1");
  EXPECT_EQ(R("size_map_m", {M({})}), "0");
  EXPECT_EQ(R("size_list", {M({})}), kNoOverload);
  EXPECT_EQ(R("size_map", {N()}), kNoOverload);
}

TEST(Stdlib, ContainsStartsEnds) {
  EXPECT_EQ(R("contains", {S("hubspot"), S("spot")}), "true");
  EXPECT_EQ(R("contains", {S("hubspot"), S("Spot")}), "false");
  EXPECT_EQ(R("contains", {S(""), S("")}), "true");
  EXPECT_EQ(R("contains", {N(), S("a")}), kNoOverload);
  EXPECT_EQ(R("starts_with", {S("0015"), S("001")}), "true");
  EXPECT_EQ(R("starts_with", {S("00"), S("001")}), "false");
  EXPECT_EQ(R("ends_with", {V("ann@example.com"), S("@example.com")}), "true");
  EXPECT_EQ(R("ends_with", {S("ann@example.co"), S("@example.com")}), "false");
  EXPECT_EQ(R("ends_with", {S("a"), I(1)}), kNoOverload);
}

TEST(Stdlib, Matches) {
  EXPECT_EQ(R("matches", {S("+1 555 0100"), S("^[0-9+ ]+$")}), "true");
  EXPECT_EQ(R("matches", {S("555-0100"), S("^[0-9+ ]+$")}), "false");
  EXPECT_EQ(R("matches_g", {S("12345"), S("^[0-9]{5}$")}), "true");
  EXPECT_EQ(R("matches_g", {S("1234"), S("^[0-9]{5}$")}), "false");
  EXPECT_EQ(R("matches", {S("abc123def"), S("[0-9]+")}), "true");  // anywhere in the string
  EXPECT_EQ(R("matches", {S("é"), S("^.$")}), "true");             // UTF-8 aware
  EXPECT_EQ(R("matches", {S(""), S("")}), "true");
  EXPECT_EQ(R("matches", {S("abc"), S("(")}), kInvalid);
  EXPECT_EQ(R("matches", {S("abc"), S("a\\")}), kInvalid);
  EXPECT_EQ(R("matches", {S("abc"), S("(a)\\1")}), kInvalid);  // no backreferences in RE2
  EXPECT_EQ(R("matches", {N(), S("a")}), kNoOverload);
  std::string big(5000, 'a');
  EXPECT_EQ(R("matches", {S(big), S(big)}), "true");  // compiled per call, not cached
  EXPECT_EQ(R("matches", {S(big), S("(" + big)}), kInvalid);
  // More distinct patterns than the per-thread cache holds.
  for (int i = 0; i < 300; ++i)
    EXPECT_EQ(R("matches", {S("x" + std::to_string(i)), S("^x" + std::to_string(i) + "$")}), "true");
}

// ---- strings extension ----

TEST(StringsExt, CharAt) {
  EXPECT_EQ(R("char_at", {S("abc"), I(1)}), "\"b\"");
  EXPECT_EQ(R("char_at", {S("tacocat"), I(3)}), "\"o\"");
  EXPECT_EQ(R("char_at", {S("tacocat"), I(7)}), "\"\"");
  EXPECT_EQ(R("char_at", {S("©αT"), I(1)}), "\"α\"");
  EXPECT_EQ(R("char_at", {S("©αT"), I(0)}), "\"©\"");
  EXPECT_EQ(R("char_at", {S("tacocat"), I(30)}), kIndex);
  EXPECT_EQ(R("char_at", {S("tacocat"), I(-1)}), kIndex);
  EXPECT_EQ(R("char_at", {S(""), I(0)}), "\"\"");
  EXPECT_EQ(Msg("char_at", {S("tacocat"), I(30)}), "index out of range: 30");
  EXPECT_EQ(R("char_at", {S("hello"), Value::Bool(true)}), kNoOverload);
  EXPECT_EQ(R("char_at", {I(42), I(2)}), kNoOverload);
  EXPECT_TRUE(Borrowed(Call("char_at", {V("abc"), I(1)})));
}

TEST(StringsExt, IndexOf) {
  EXPECT_EQ(R("index_of", {S("abcb"), S("b")}), "1");
  EXPECT_EQ(R("index_of", {S("tacocat"), S("")}), "0");
  EXPECT_EQ(R("index_of", {S("tacocat"), S("ac")}), "1");
  EXPECT_EQ(R("index_of", {S("tacocat"), S("none")}), "-1");
  EXPECT_EQ(R("index_of", {S(""), S("a")}), "-1");
  EXPECT_EQ(R("index_of", {S("ta©o©αT"), S("©")}), "2");
  EXPECT_EQ(R("index_of", {S("hello wello"), S("hello wello")}), "0");
  EXPECT_EQ(R("index_of_from", {S("abcb"), S("b"), I(2)}), "3");
  EXPECT_EQ(R("index_of_from", {S("tacocat"), S(""), I(3)}), "3");
  EXPECT_EQ(R("index_of_from", {S("tacocat"), S("a"), I(3)}), "5");
  EXPECT_EQ(R("index_of_from", {S("ta©o©αT"), S("©"), I(3)}), "4");
  EXPECT_EQ(R("index_of_from", {S("ta©o©αT"), S("©αT"), I(3)}), "4");
  EXPECT_EQ(R("index_of_from", {S("ta©o©αT"), S("©α"), I(5)}), "-1");
  EXPECT_EQ(R("index_of_from", {S("hello wello"), S("ello"), I(6)}), "7");
  EXPECT_EQ(R("index_of_from", {S("abc"), S("c"), I(3)}), "-1");  // at the end: no match, not an error
  EXPECT_EQ(R("index_of_from", {S("abc"), S(""), I(3)}), "3");
  EXPECT_EQ(R("index_of_from", {S("tacocat"), S("a"), I(30)}), kIndex);
  EXPECT_EQ(R("index_of_from", {S("tacocat"), S("a"), I(-1)}), kIndex);
  EXPECT_EQ(R("index_of_from", {S("tacocat"), S(""), I(-1)}), kIndex);
  EXPECT_EQ(R("index_of", {S("hello"), Value::Bool(true)}), kNoOverload);
  EXPECT_EQ(R("index_of_from", {S("42"), S("4"), S("0")}), kNoOverload);
}

TEST(StringsExt, LastIndexOf) {
  EXPECT_EQ(R("last_index_of", {S("abcb"), S("b")}), "3");
  EXPECT_EQ(R("last_index_of", {S(""), S("@@")}), "-1");
  EXPECT_EQ(R("last_index_of", {S("tacocat"), S("")}), "7");
  EXPECT_EQ(R("last_index_of", {S("tacocat"), S("at")}), "5");
  EXPECT_EQ(R("last_index_of", {S("tacocat"), S("none")}), "-1");
  EXPECT_EQ(R("last_index_of", {S("ta©o©αT"), S("©")}), "4");
  EXPECT_EQ(R("last_index_of", {S("hello wello"), S("hello wello")}), "0");
  EXPECT_EQ(R("last_index_of_from", {S("abcb"), S("b"), I(2)}), "1");
  EXPECT_EQ(R("last_index_of_from", {S("tacocat"), S(""), I(3)}), "3");
  EXPECT_EQ(R("last_index_of_from", {S("tacocat"), S("a"), I(3)}), "1");
  EXPECT_EQ(R("last_index_of_from", {S("ta©o©αT"), S("©"), I(3)}), "2");
  EXPECT_EQ(R("last_index_of_from", {S("ta©o©αT"), S("©α"), I(4)}), "4");
  EXPECT_EQ(R("last_index_of_from", {S("hello wello"), S("ello"), I(6)}), "1");
  EXPECT_EQ(R("last_index_of_from", {S("bananananana"), S("nana"), I(7)}), "6");
  EXPECT_EQ(R("last_index_of_from", {S("tacocat"), S("t"), I(7)}), "6");
  EXPECT_EQ(R("last_index_of_from", {S("tacocat"), S("a"), I(-1)}), kIndex);
  EXPECT_EQ(R("last_index_of_from", {S("tacocat"), S("a"), I(30)}), kIndex);
}

TEST(StringsExt, Case) {
  EXPECT_EQ(R("lower_ascii", {S("ABC")}), "\"abc\"");
  EXPECT_EQ(R("lower_ascii_g", {S("ABC")}), "\"abc\"");
  EXPECT_EQ(R("lower_ascii", {S("TacoCÆt Xii")}), "\"tacocÆt xii\"");
  EXPECT_EQ(R("lower_ascii", {S("")}), "\"\"");
  EXPECT_EQ(R("upper_ascii", {S("abc")}), "\"ABC\"");
  EXPECT_EQ(R("upper_ascii_g", {S("abc")}), "\"ABC\"");
  EXPECT_EQ(R("upper_ascii", {S("tacoCαt")}), "\"TACOCαT\"");
  EXPECT_EQ(R("lower_ascii", {N()}), kNoOverload);
  // Unchanged input is returned as is (a borrowed view stays one).
  Value v = V("already lower");
  Value r = Call("lower_ascii", {v});
  EXPECT_TRUE(Borrowed(r));
  EXPECT_EQ(r.str().data(), v.str().data());
  Value changed = Call("upper_ascii", {V("x")});
  EXPECT_FALSE(Borrowed(changed));
  EXPECT_EQ(changed.str(), "X");
}

TEST(StringsExt, Replace) {
  EXPECT_EQ(R("replace", {S("a-b-c"), S("-"), S("")}), "\"abc\"");
  EXPECT_EQ(R("replace_n", {S("a-b-c"), S("-"), S(""), I(1)}), "\"ab-c\"");
  EXPECT_EQ(R("replace_n", {S("a-b-c"), S("-"), S(""), I(0)}), "\"a-b-c\"");
  EXPECT_EQ(R("replace_n", {S("a-b-c"), S("-"), S(""), I(-1)}), "\"abc\"");
  EXPECT_EQ(R("replace_n", {S("a-b-c"), S("-"), S(""), I(99)}), "\"abc\"");
  EXPECT_EQ(R("replace", {S("{0} days {0} hours"), S("{0}"), S("2")}), "\"2 days 2 hours\"");
  EXPECT_EQ(R("replace", {S("12 days 12 hours"), S("{0}"), S("2")}), "\"12 days 12 hours\"");
  EXPECT_EQ(R("replace", {S("1 ©αT taco"), S("αT"), S("o©α")}), "\"1 ©o©α taco\"");
  EXPECT_EQ(R("replace", {S("aaa"), S("a"), S("aa")}), "\"aaaaaa\"");
  EXPECT_EQ(R("replace", {S("abc"), S(""), S("-")}), "\"-a-b-c-\"");
  EXPECT_EQ(R("replace", {S("é"), S(""), S("-")}), "\"-é-\"");
  EXPECT_EQ(R("replace_n", {S("abc"), S(""), S("-"), I(2)}), "\"-a-bc\"");
  EXPECT_EQ(R("replace", {S(""), S(""), S("x")}), "\"x\"");
  EXPECT_EQ(R("replace", {S(std::string(20000, 'a')), S("a"), S(std::string(20000, 'b'))}), kInvalid);  // 400 MB
  EXPECT_EQ(R("replace", {S("42"), I(2), I(1)}), kNoOverload);
  EXPECT_EQ(R("replace_n", {S("42"), S("2"), S("1"), S("1")}), kNoOverload);
}

TEST(StringsExt, Split) {
  EXPECT_EQ(R("split", {S("a;b"), S(";")}), "[\"a\", \"b\"]");
  EXPECT_EQ(R("split", {S("hello world"), S(" ")}), "[\"hello\", \"world\"]");
  EXPECT_EQ(R("split_n", {S("a;b;c"), S(";"), I(2)}), "[\"a\", \"b;c\"]");
  EXPECT_EQ(R("split_n", {S("a;b;c"), S(";"), I(0)}), "[]");
  EXPECT_EQ(R("split_n", {S("a;b;c"), S(";"), I(1)}), "[\"a;b;c\"]");
  EXPECT_EQ(R("split_n", {S("a;b;c"), S(";"), I(-1)}), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(R("split_n", {S("a;b;c"), S(";"), I(10)}), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(R("split", {S(""), S(",")}), "[\"\"]");
  EXPECT_EQ(R("split", {S(",a,"), S(",")}), "[\"\", \"a\", \"\"]");
  EXPECT_EQ(R("split", {S("abc"), S("")}), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(R("split", {S(""), S("")}), "[]");
  EXPECT_EQ(R("split_n", {S("a©b"), S(""), I(2)}), "[\"a\", \"©b\"]");
  EXPECT_EQ(R("split", {S("o©o©o©o"), S("©")}), "[\"o\", \"o\", \"o\", \"o\"]");
  EXPECT_EQ(R("split", {S("42"), I(2)}), kNoOverload);
  EXPECT_EQ(R("split_n", {S("42"), S("2"), S("1")}), kNoOverload);
  Value parts = Call("split", {V("x;y"), S(";")});
  ASSERT_TRUE(parts.is(Kind::kList));
  EXPECT_TRUE(Borrowed(parts.list()[0]));
}

TEST(StringsExt, Substring) {
  EXPECT_EQ(R("substring", {S("hello"), I(1)}), "\"ello\"");
  EXPECT_EQ(R("substring", {S("tacocat"), I(4)}), "\"cat\"");
  EXPECT_EQ(R("substring", {S("tacocat"), I(7)}), "\"\"");
  EXPECT_EQ(R("substring", {S("tacocat"), I(0)}), "\"tacocat\"");
  EXPECT_EQ(R("substring", {S("tacocat"), I(40)}), kIndex);
  EXPECT_EQ(R("substring", {S("tacocat"), I(-1)}), kIndex);
  EXPECT_EQ(R("substring_range", {S("hello"), I(1), I(3)}), "\"el\"");
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(0), I(4)}), "\"taco\"");
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(4), I(4)}), "\"\"");
  EXPECT_EQ(R("substring_range", {S("ta©o©αT"), I(2), I(6)}), "\"©o©α\"");
  EXPECT_EQ(R("substring_range", {S("ta©o©αT"), I(7), I(7)}), "\"\"");
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(4), I(3)}), kInvalid);
  EXPECT_EQ(Msg("substring_range", {S("tacocat"), I(4), I(3)}), "invalid substring range. start: 4, end: 3");
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(1), I(50)}), kIndex);
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(49), I(50)}), kIndex);
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(-1), I(2)}), kIndex);
  EXPECT_EQ(R("substring_range", {S("tacocat"), Value::Bool(true), I(3)}), kNoOverload);
  EXPECT_TRUE(Borrowed(Call("substring", {V("hello"), I(1)})));
}

TEST(StringsExt, Trim) {
  EXPECT_EQ(R("trim", {S(" a ")}), "\"a\"");
  EXPECT_EQ(R("trim_g", {S(" a ")}), "\"a\"");
  EXPECT_EQ(R("trim", {S("")}), "\"\"");
  EXPECT_EQ(R("trim", {S("  ")}), "\"\"");
  EXPECT_EQ(R("trim", {S(" \f\n\r\t\vtext  ")}), "\"text\"");
  EXPECT_EQ(R("trim", {S("\u0085\u00a0\u1680text")}), "\"text\"");
  EXPECT_EQ(R("trim", {S("text\u2000\u2001\u2002\u2003\u2004\u2004\u2006\u2007\u2008\u2009")}), "\"text\"");
  EXPECT_EQ(R("trim", {S("\u200atext\u2028\u2029\u202F\u205F\u3000")}), "\"text\"");
  std::string no_trim = "\u180etext\u200b\u200c\u200d\u2060\ufeff";
  EXPECT_EQ(Call("trim", {S(no_trim)}).str(), no_trim);
  EXPECT_EQ(R("trim", {S("a b")}), "\"a b\"");
  EXPECT_EQ(Call("trim", {S("\xc2")}).str(), "\xc2");  // a truncated sequence is not white space
  EXPECT_EQ(R("trim", {N()}), kNoOverload);
  Value v = V("  x ");
  Value r = Call("trim", {v});
  EXPECT_TRUE(Borrowed(r));
  EXPECT_EQ(r.str(), "x");
}

TEST(StringsExt, Join) {
  EXPECT_EQ(R("join", {L({S("a"), S("b")})}), "\"ab\"");
  EXPECT_EQ(R("join", {L({})}), "\"\"");
  EXPECT_EQ(R("join", {L({S("x")})}), "\"x\"");
  EXPECT_EQ(R("join_sep", {L({S("a"), S("b")}), S(";")}), "\"a;b\"");
  EXPECT_EQ(R("join_sep", {L({S("x"), S("y")}), S("-")}), "\"x-y\"");
  EXPECT_EQ(R("join_sep", {L({}), S("-")}), "\"\"");
  EXPECT_EQ(R("join", {L({S("a"), I(1)})}), kNoOverload);
  EXPECT_EQ(R("join_sep", {L({N()}), S(",")}), kNoOverload);
  EXPECT_EQ(R("join", {S("ab")}), kNoOverload);
}

TEST(StringsExt, Format) {
  auto F = [](std::string_view fmt, std::vector<Value> args) { return R("format", {S(fmt), L(std::move(args))}); };
  EXPECT_EQ(F("%s-%d", {S("a"), I(1)}), "\"a-1\"");
  EXPECT_EQ(F("no substitution", {}), "\"no substitution\"");
  EXPECT_EQ(F("str is %s and some more", {S("filler")}), "\"str is filler and some more\"");
  EXPECT_EQ(F("%% and also %%", {}), "\"% and also %\"");
  EXPECT_EQ(F("%%%s%%", {S("text")}), "\"%text%\"");
  EXPECT_EQ(F("%d %d %d, %s %s %s", {I(1), I(2), I(3), S("A"), S("B"), S("C")}), "\"1 2 3, A B C\"");
  EXPECT_EQ(F("%.3f", {D(1.2345)}), "\"1.234\"");
  EXPECT_EQ(F("this is 5 in binary: %b", {I(5)}), "\"this is 5 in binary: 101\"");
  EXPECT_EQ(F("%b", {U(64)}), "\"1000000\"");
  EXPECT_EQ(F("%b", {Value::Bool(true)}), "\"1\"");
  EXPECT_EQ(F("%b", {I(-5)}), "\"-101\"");
  EXPECT_EQ(F("%o", {I(11)}), "\"13\"");
  EXPECT_EQ(F("%o", {U(65535)}), "\"177777\"");
  EXPECT_EQ(F("%x is 20 in hexadecimal", {I(30)}), "\"1e is 20 in hexadecimal\"");
  EXPECT_EQ(F("%X", {I(30)}), "\"1E\"");
  EXPECT_EQ(F("%X", {U(6000)}), "\"1770\"");
  EXPECT_EQ(F("%x", {I(-26)}), "\"-1a\"");
  EXPECT_EQ(F("%x", {S("Hello world!")}), "\"48656c6c6f20776f726c6421\"");
  EXPECT_EQ(F("%X", {B("byte string")}), "\"6279746520737472696E67\"");
  EXPECT_EQ(F("%.6e", {D(1052.032911275)}), "\"1.052033e+03\"");
  EXPECT_EQ(F("%e", {D(2.71828)}), "\"2.718280e+00\"");
  EXPECT_EQ(F("%f", {D(2.71828)}), "\"2.718280\"");
  EXPECT_EQ(F("%e", {D(kNaN)}), "\"NaN\"");
  EXPECT_EQ(F("%e", {D(kInf)}), "\"Infinity\"");
  EXPECT_EQ(F("%f", {D(-kInf)}), "\"-Infinity\"");
  EXPECT_EQ(F("%d", {D(kNaN)}), "\"NaN\"");
  EXPECT_EQ(F("%d", {U(64)}), "\"64\"");
  EXPECT_EQ(F("%d", {D(1.5)}), "\"1.5\"");
  EXPECT_EQ(F("%f", {I(3)}), "\"3.000000\"");
  EXPECT_EQ(F("%e", {U(3)}), "\"3.000000e+00\"");
  EXPECT_EQ(F("%s", {N()}), "\"null\"");
  EXPECT_EQ(F("%s", {I(999999999999)}), "\"999999999999\"");
  EXPECT_EQ(F("%s", {B("xyz")}), "\"xyz\"");
  EXPECT_EQ(F("%s", {Value::Type("string")}), "\"string\"");
  EXPECT_EQ(F("%s", {Ts("2023-02-03T23:31:20Z")}), "\"2023-02-03T23:31:20Z\"");
  EXPECT_EQ(F("%s", {Ts("2023-02-03T23:31:20.1Z")}), "\"2023-02-03T23:31:20.1Z\"");
  EXPECT_EQ(F("%s", {Dur("1h45m47s")}), "\"6347s\"");
  EXPECT_EQ(F("%s", {L({S("abc"), D(3.14), N(), L({I(9), I(8), I(7), I(6)}), Ts("2023-02-03T23:31:20Z")})}),
            "\"[abc, 3.14, null, [9, 8, 7, 6], 2023-02-03T23:31:20Z]\"");
  EXPECT_EQ(F("%s", {M({{S("key1"), B("xyz")},
                        {S("key5"), N()},
                        {S("key2"), Dur("2h")},
                        {S("key4"), Value::Bool(true)},
                        {S("key3"), D(2.71828)}})}),
            "\"{key1: xyz, key2: 7200s, key3: 2.71828, key4: true, key5: null}\"");
  EXPECT_EQ(F("%s", {M({{I(1), S("value1")}, {U(2), S("value2")}, {Value::Bool(true), D(kNaN)}})}),
            "\"{1: value1, 2: value2, true: NaN}\"");
  EXPECT_EQ(F("%s", {L({D(kNaN), D(kInf), D(-kInf)})}), "\"[NaN, Infinity, -Infinity]\"");
  EXPECT_EQ(F("%s, %s", {Value::Bool(true), Value::Bool(false)}), "\"true, false\"");
  EXPECT_EQ(F("%s, %s", {I(32), D(56.8)}), "\"32, 56.8\"");
  EXPECT_EQ(F("%s", {D(1e21)}), "\"1000000000000000000000\"");
  EXPECT_EQ(F("%.3f", {D(4.5)}), "\"4.500\"");
  EXPECT_EQ(F("%.0f", {D(123.0)}), "\"123\"");
  EXPECT_EQ(F("%.0f", {D(3.5001)}), "\"4\"");
  EXPECT_EQ(F("%.0f", {D(3.4999)}), "\"3\"");
  EXPECT_EQ(F("%.0f", {D(1.5)}), "\"2\"");
  EXPECT_EQ(F("%.0f", {D(2.5)}), "\"2\"");  // binary doubles: ties to even, as Go
  EXPECT_EQ(F("%.3f", {D(123.4999)}), "\"123.500\"");
  EXPECT_EQ(F("%.3f", {D(-123.4994)}), "\"-123.499\"");
  EXPECT_EQ(F("%.5f", {D(-1.2)}), "\"-1.20000\"");
  // Accord's date and decimal.
  EXPECT_EQ(F("%s", {Dt("2024-02-29")}), "\"2024-02-29\"");
  EXPECT_EQ(F("%s", {Dec("1.10")}), "\"1.10\"");
  EXPECT_EQ(F("%d", {Dec("3")}), "\"3\"");
  EXPECT_EQ(F("%.2f", {Dec("2.345")}), "\"2.35\"");  // decimals: exact, half away from zero
  EXPECT_EQ(F("%.2f", {Dec("-2.345")}), "\"-2.35\"");
  EXPECT_EQ(F("%.2f", {Dec("2")}), "\"2.00\"");
  EXPECT_EQ(F("%.0f", {Dec("2.5")}), "\"3\"");
  EXPECT_EQ(F("%f", {Dec("0.1")}), "\"0.100000\"");
  EXPECT_EQ(F("%e", {Dec("1052.032911275")}), "\"1.052033e+03\"");
  // Errors.
  EXPECT_EQ(F("%a", {I(1)}), kInvalid);
  EXPECT_EQ(Msg("format", {S("%a"), L({I(1)})}),
            "could not parse formatting clause: unrecognized formatting clause \"a\"");
  EXPECT_EQ(F("%d %d %d", {I(0), I(1)}), kIndex);
  EXPECT_EQ(Msg("format", {S("%d %d %d"), L({I(0), I(1)})}), "index 2 out of range");
  EXPECT_EQ(F("%", {}), kIndex);
  EXPECT_EQ(F("%", {I(1)}), kInvalid);
  EXPECT_EQ(Msg("format", {S("%"), L({I(1)})}), "unexpected end of string");
  EXPECT_EQ(Msg("format", {S("string is %b"), L({S("abc")})}),
            "error during formatting: only ints, uints, and bools can be formatted as binary, was given string");
  EXPECT_EQ(F("%d", {Dur("30m2s")}), kInvalid);
  EXPECT_EQ(F("octal: %o", {S("a string")}), kInvalid);
  EXPECT_EQ(F("double is %x", {D(0.5)}), kInvalid);
  EXPECT_EQ(F("double is %E", {D(0.5)}), kInvalid);
  for (const char* clause : {"%d", "%e", "%f", "%x", "%X", "%b", "%o"}) EXPECT_EQ(F(clause, {N()}), kInvalid) << clause;
  EXPECT_EQ(F("%.f", {D(1)}), kInvalid);
  EXPECT_EQ(F("%.3", {D(1)}), kInvalid);
  EXPECT_EQ(F("%.1000f", {D(1)}), kInvalid);
  EXPECT_EQ(F("%5d", {I(1)}), kInvalid);
  EXPECT_EQ(Msg("format", {S("%é"), L({I(1)})}),
            "could not parse formatting clause: unrecognized formatting clause \"é\"");
  EXPECT_EQ(F("%s", {I(1), I(2)}), "\"1\"");  // unused arguments are the checker's business
  EXPECT_EQ(F("%.100f", {D(1e308)}).size(), 2u + 309 + 1 + 100);
  EXPECT_EQ(R("format", {S("%s"), S("x")}), kNoOverload);
  EXPECT_EQ(R("format", {N(), L({})}), kNoOverload);
}

// ---- strings.quote, base64 ----

TEST(StringsExt, Quote) {
  EXPECT_EQ(R("strings_quote", {S("")}), "\"\\\"\\\"\"");
  auto q = [](std::string_view in) {
    Value v = Call("strings_quote", {S(in)});
    return v.is_error() ? std::string("error") : std::string(v.str());
  };
  EXPECT_EQ(q("verbatim"), "\"verbatim\"");
  EXPECT_EQ(q("first\nsecond"), "\"first\\nsecond\"");
  EXPECT_EQ(q("\a\b\f\r\t\v"), "\"\\a\\b\\f\\r\\t\\v\"");
  EXPECT_EQ(q("ends with \\"), "\"ends with \\\\\"");
  EXPECT_EQ(q("mid \" quote"), "\"mid \\\" quote\"");
  EXPECT_EQ(q("single ' quote"), "\"single ' quote\"");
  EXPECT_EQ(q("ta©o©αT 😀"), "\"ta©o©αT 😀\"");
  // Other control characters are kept as they are (cel-go); malformed UTF-8 becomes U+FFFD.
  EXPECT_EQ(q(std::string_view("a\0b\x1f", 4)), std::string("\"a\0b\x1f\"", 6));
  EXPECT_EQ(q("bad \xff\xfe end"), "\"bad \xEF\xBF\xBD\xEF\xBF\xBD end\"");
  EXPECT_EQ(q("\xE2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(q(std::string(V("borrowed\n").str())), "\"borrowed\\n\"");
  EXPECT_EQ(R("strings_quote", {V("x")}), "\"\\\"x\\\"\"");
  EXPECT_EQ(R("strings_quote", {B("x")}), kNoOverload);
  EXPECT_EQ(R("strings_quote", {N()}), kNoOverload);
}

TEST(Encoders, Base64) {
  auto enc = [](std::string_view in) {
    Value v = Call("base64_encode", {B(in)});
    return v.is_error() ? std::string("error") : std::string(v.str());
  };
  auto dec = [](std::string_view in) {
    Value v = Call("base64_decode", {S(in)});
    return v.is_error() ? "error(" + std::string(ErrorCodeName(v.error_code())) + ")" : std::string(v.str());
  };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("h"), "aA==");
  EXPECT_EQ(enc("he"), "aGU=");
  EXPECT_EQ(enc("hel"), "aGVs");
  EXPECT_EQ(enc("hello"), "aGVsbG8=");
  EXPECT_EQ(enc(std::string_view("\0\xff\xfe", 3)), "AP/+");
  EXPECT_EQ(dec("aGVsbG8="), "hello");
  EXPECT_EQ(dec("aGVsbG8"), "hello");  // padding may be left out
  EXPECT_EQ(dec("aA=="), "h");
  EXPECT_EQ(dec("aA"), "h");
  EXPECT_EQ(dec(""), "");
  EXPECT_EQ(dec("AP/+"), std::string("\0\xff\xfe", 3));
  EXPECT_EQ(dec("aGVs\r\nbG8="), "hello");  // line breaks are skipped, as Go's decoder does
  for (const char* bad : {"a", "aA=", "aA===", "aGVsbG8==", "a=A=", "aGVs bG8=", "aGVs-bG8", "aGVs_bG8", "=",
                          "====", "aGVsbG8=x", "\xff\xfe"})
    EXPECT_EQ(dec(bad), "error(invalid_argument)") << bad;
  EXPECT_EQ(dec(std::string_view("aA\0=", 4)), "error(invalid_argument)");
  // Round trips of every byte value and length.
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) EXPECT_EQ(dec(enc(all.substr(0, n))), all.substr(0, n)) << n;
  EXPECT_EQ(R("base64_encode", {S("hello")}), kNoOverload);
  EXPECT_EQ(R("base64_decode", {B("aGVsbG8=")}), kNoOverload);
  EXPECT_EQ(R("base64_decode", {N()}), kNoOverload);
}

}  // namespace
}  // namespace accord::rt
