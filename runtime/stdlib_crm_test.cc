// Tests of Accord's CRM functions (stdlib_crm.cc).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/stdlib_test_util.h"

namespace accord::rt {
namespace {

using namespace stdlib_testing;  // NOLINT(google-build-using-namespace): the tests' shorthand

// ---- CRM functions ----

TEST(Crm, IsBlank) {
  EXPECT_EQ(R("is_blank", {S("  ")}), "true");
  EXPECT_EQ(R("is_blank", {S("")}), "true");
  EXPECT_EQ(R("is_blank", {N()}), "true");
  EXPECT_EQ(R("is_blank", {S("\u00a0\t")}), "true");
  EXPECT_EQ(R("is_blank", {S("a")}), "false");
  EXPECT_EQ(R("is_blank", {L({})}), "true");
  EXPECT_EQ(R("is_blank", {L({N()})}), "false");
  EXPECT_EQ(R("is_blank", {M({})}), "true");
  EXPECT_EQ(R("is_blank", {I(0)}), "false");
  EXPECT_EQ(R("is_blank", {Value::Bool(false)}), "false");
  EXPECT_EQ(R("is_blank", {B("")}), "false");
}

TEST(Crm, Coalesce) {
  EXPECT_EQ(R("coalesce2", {N(), S("[not provided]")}), "\"[not provided]\"");
  EXPECT_EQ(R("coalesce2", {S("Acme"), S("[not provided]")}), "\"Acme\"");
  EXPECT_EQ(R("coalesce2", {S("  "), S("x")}), "\"x\"");
  EXPECT_EQ(R("coalesce3", {N(), S("555"), S("")}), "\"555\"");
  EXPECT_EQ(R("coalesce3", {N(), S("  "), S("")}), "\"\"");  // all blank: the last
  EXPECT_EQ(R("coalesce3", {N(), N(), N()}), "null");
  EXPECT_EQ(R("coalesce4", {N(), N(), N(), S("d")}), "\"d\"");
  EXPECT_EQ(R("coalesce5", {N(), N(), N(), N(), S("e")}), "\"e\"");
  EXPECT_EQ(R("coalesce6", {N(), N(), N(), N(), N(), S("f")}), "\"f\"");
  EXPECT_EQ(R("coalesce7", {N(), N(), N(), N(), N(), N(), S("g")}), "\"g\"");
  EXPECT_EQ(R("coalesce8", {N(), S(""), N(), S(" "), N(), L({}), N(), S("h")}), "\"h\"");
  EXPECT_EQ(R("coalesce8", {S("a"), N(), N(), N(), N(), N(), N(), N()}), "\"a\"");
  EXPECT_EQ(R("coalesce2", {I(0), I(5)}), "0");
  EXPECT_EQ(R("coalesce2", {L({}), L({I(1)})}), "[1]");
  EXPECT_EQ(R("coalesce2", {S("a")}), kNoOverload);
  EXPECT_EQ(R("coalesce8", {N(), N()}), kNoOverload);
  Value v = V("borrowed");
  EXPECT_EQ(Call("coalesce2", {v, S("x")}).str().data(), v.str().data());
}

TEST(Crm, NormalizeEmail) {
  EXPECT_EQ(R("normalize_email", {S(" Ann@Example.COM ")}), "\"ann@example.com\"");
  EXPECT_EQ(R("normalize_email", {S("\u00a0ann@x.com\t")}), "\"ann@x.com\"");
  EXPECT_EQ(R("normalize_email", {N()}), "null");
  EXPECT_EQ(R("normalize_email", {S("")}), "\"\"");
  EXPECT_EQ(R("normalize_email", {S("  ")}), "\"\"");
  EXPECT_EQ(R("normalize_email", {S("not an email")}), "\"not an email\"");
  EXPECT_EQ(R("normalize_email", {S("Ünïcode@X.de")}), "\"Ünïcode@x.de\"");  // ASCII letters only
  EXPECT_EQ(R("normalize_email", {I(1)}), kNoOverload);
  Value v = V("ann@example.com");
  EXPECT_EQ(Call("normalize_email", {v}).str().data(), v.str().data());
}

TEST(Crm, EmailDomain) {
  EXPECT_EQ(R("email_domain", {S("ann@Example.com")}), "\"example.com\"");
  EXPECT_EQ(R("email_domain", {S("  ann@x.org  ")}), "\"x.org\"");
  EXPECT_EQ(R("email_domain", {S("\"a@b\"@Example.COM")}), "\"example.com\"");
  EXPECT_EQ(R("email_domain", {N()}), "null");
  EXPECT_EQ(R("email_domain", {S("no-at")}), kInvalid);
  EXPECT_EQ(R("email_domain", {S("ann@")}), kInvalid);
  EXPECT_EQ(R("email_domain", {S("ann@  ")}), kInvalid);
  EXPECT_EQ(R("email_domain", {S("")}), kInvalid);
  EXPECT_EQ(R("email_domain", {S("  ")}), kInvalid);
  EXPECT_EQ(R("email_domain", {L({})}), kNoOverload);
  EXPECT_TRUE(Borrowed(Call("email_domain", {V("ann@example.com")})));
}

TEST(Crm, Digits) {
  EXPECT_EQ(R("digits", {S("+1 (555) 010-9999")}), "\"15550109999\"");
  EXPECT_EQ(R("digits", {S("abc")}), "\"\"");
  EXPECT_EQ(R("digits", {S("")}), "\"\"");
  EXPECT_EQ(R("digits", {S("  ")}), "\"\"");
  EXPECT_EQ(R("digits", {S("١٢٣")}), "\"\"");  // ASCII digits only
  EXPECT_EQ(R("digits", {N()}), "null");
  EXPECT_EQ(R("digits", {I(123)}), kNoOverload);
  Value v = V("0123");
  EXPECT_EQ(Call("digits", {v}).str().data(), v.str().data());
}

TEST(Crm, E164) {
  EXPECT_EQ(R("e164", {S("(650) 253-0000"), S("US")}), "\"+16502530000\"");
  EXPECT_EQ(R("e164", {S("(650) 253-0000"), S(" us ")}), "\"+16502530000\"");
  EXPECT_EQ(R("e164", {S("650.253.0000 ext. 123"), S("US")}), "\"+16502530000\"");
  EXPECT_EQ(R("e164", {S("+44 20 7946 0958"), S("US")}), "\"+442079460958\"");
  EXPECT_EQ(R("e164", {S("020 7946 0958"), S("GB")}), "\"+442079460958\"");
  EXPECT_EQ(R("e164", {S("+16502530000"), N()}), "\"+16502530000\"");
  EXPECT_EQ(R("e164", {S("+16502530000"), S("")}), "\"+16502530000\"");
  EXPECT_EQ(R("e164", {S("6502530000"), N()}), kInvalid);  // no region: international form needed
  EXPECT_EQ(R("e164", {S("6502530000"), S("XX")}), kInvalid);
  EXPECT_EQ(R("e164", {S("555-0100"), S("US")}), kInvalid);  // possible but not valid
  EXPECT_EQ(R("e164", {S("+1 (555) 010-9999"), S("US")}), kInvalid);
  EXPECT_EQ(R("e164", {S("abc"), S("US")}), kInvalid);
  EXPECT_EQ(R("e164", {S(""), S("US")}), kInvalid);
  EXPECT_EQ(R("e164", {S("  "), S("US")}), kInvalid);
  EXPECT_EQ(R("e164", {S(std::string(1000, '5')), S("US")}), kInvalid);
  EXPECT_EQ(R("e164", {N(), S("US")}), "null");
  EXPECT_EQ(R("e164", {I(6502530000), S("US")}), kNoOverload);
  EXPECT_EQ(R("e164", {S("6502530000")}), kNoOverload);
}

TEST(Crm, DomainOf) {
  EXPECT_EQ(R("domain_of", {S("https://www.Example.com/about")}), "\"example.com\"");
  EXPECT_EQ(R("domain_of", {S("Example.com")}), "\"example.com\"");
  EXPECT_EQ(R("domain_of", {S("www.acme.io")}), "\"acme.io\"");
  EXPECT_EQ(R("domain_of", {S("HTTPS://WWW.ACME.COM?x=1")}), "\"acme.com\"");
  EXPECT_EQ(R("domain_of", {S("http://user:pw@Sub.Example.co.uk:8080/x?y#z")}), "\"sub.example.co.uk\"");
  EXPECT_EQ(R("domain_of", {S("//cdn.acme.io/x")}), "\"cdn.acme.io\"");
  EXPECT_EQ(R("domain_of", {S("ftp://files.acme.com")}), "\"files.acme.com\"");
  EXPECT_EQ(R("domain_of", {S("https://[::1]:443/")}), "\"[::1]\"");
  EXPECT_EQ(R("domain_of", {S("example.com.")}), "\"example.com\"");
  EXPECT_EQ(R("domain_of", {S(" acme.com/path ")}), "\"acme.com\"");
  EXPECT_EQ(R("domain_of", {S("ann@acme.com")}), "\"acme.com\"");
  EXPECT_EQ(R("domain_of", {S("acme.com:8080")}), "\"acme.com\"");
  EXPECT_EQ(R("domain_of", {S("wwwacme.com")}), "\"wwwacme.com\"");
  EXPECT_EQ(R("domain_of", {N()}), "null");
  for (const char* bad : {"", "  ", "https://", "http:///path", "not a url", "https://www./"})
    EXPECT_EQ(R("domain_of", {S(bad)}), kInvalid) << bad;
  EXPECT_EQ(R("domain_of", {I(1)}), kNoOverload);
  Value v = V("acme.com");
  EXPECT_EQ(Call("domain_of", {v}).str().data(), v.str().data());
}

// ---- multi-select values ----

TEST(Crm, Picklists) {
  EXPECT_EQ(R("split_multi", {S("a;b")}), "[\"a\", \"b\"]");
  EXPECT_EQ(R("split_multi", {S(";a;;b;")}), "[\"a\", \"b\"]");
  EXPECT_EQ(R("split_multi", {S(" a ; b ")}), "[\"a\", \"b\"]");
  EXPECT_EQ(R("split_multi", {S("")}), "[]");
  EXPECT_EQ(R("split_multi", {S("  ")}), "[]");
  EXPECT_EQ(R("split_multi", {S("Single")}), "[\"Single\"]");
  EXPECT_EQ(R("split_multi", {N()}), "null");
  EXPECT_EQ(R("split_multi", {L({})}), kNoOverload);
  Value parts = Call("split_multi", {V("x;y")});
  EXPECT_TRUE(Borrowed(parts.list()[1]));
  EXPECT_EQ(R("join_multi", {L({S("a"), S("b")})}), "\"a;b\"");
  EXPECT_EQ(R("join_multi", {L({})}), "\"\"");
  EXPECT_EQ(R("join_multi", {L({S("a"), S(""), S("  "), N(), S(" b ")})}), "\"a;b\"");
  EXPECT_EQ(R("join_multi", {N()}), "null");
  EXPECT_EQ(R("join_multi", {L({I(1)})}), kNoOverload);
  EXPECT_EQ(R("join_multi", {S("a;b")}), kNoOverload);
}

// The JIT's shortcut (issue 16) returns what CallFn returns, for owned and borrowed strings,
// and declines every other argument kind and function. CallFn is the oracle.
TEST(Crm, CallStringFastAgreesWithCallFn) {
  const Fn fns[] = {Fn::trim,          Fn::trim_g,          Fn::lower_ascii, Fn::lower_ascii_g, Fn::upper_ascii,
                    Fn::upper_ascii_g, Fn::normalize_email, Fn::digits,      Fn::is_blank};
  const std::string texts[] = {
      "",    " ",       "\t Ann.Lee@Example.COM \n", "+1 (415) 555-0134", "4155550134", "\u00a0x\u3000", "ÉCOLE", "abc",
      "n/a", "\xff\xfe"};
  for (Fn fn : fns) {
    for (const std::string& t : texts) {
      for (bool borrowed : {false, true}) {
        Value a = borrowed ? Value::StringView(t) : Value::String(t);
        Value want = CallFn(fn, &a, 1);
        Value got;
        ASSERT_TRUE(CallStringFast(fn, a, &got)) << FnId(fn);
        EXPECT_EQ(got.kind(), want.kind()) << FnId(fn) << " " << t;
        EXPECT_TRUE(Equal(got, want)) << FnId(fn) << " \"" << t << "\": " << got.DebugString() << " vs "
                                      << want.DebugString();
        Value self = a;  // out aliasing the argument
        ASSERT_TRUE(CallStringFast(fn, self, &self));
        EXPECT_TRUE(Equal(self, want)) << FnId(fn) << " aliased";
      }
    }
    for (const Value& other :
         {Value::Null(), Value::Int(1), Value::Bytes("A"), Value::Error(ErrorCode::kInternal, "e")}) {
      Value out = Value::Int(7);
      EXPECT_FALSE(CallStringFast(fn, other, &out)) << FnId(fn);
      EXPECT_TRUE(out.is(Kind::kInt));
    }
  }
  Value a = Value::String("x");
  Value out;
  EXPECT_FALSE(CallStringFast(Fn::size_string, a, &out));
}

}  // namespace
}  // namespace accord::rt
