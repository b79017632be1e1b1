#include "runtime/record.h"

#include <gtest/gtest.h>

namespace accord::rec {
namespace {

schema::Object MakeObject(schema::System sys) {
  schema::Object o;
  o.system = sys;
  o.name = sys == schema::System::kSalesforce ? "Contact" : "contacts";
  auto add = [&](const char* name, schema::FieldType t) {
    schema::Field f;
    f.name = name;
    f.type = t;
    o.fields.push_back(f);
  };
  add(sys == schema::System::kSalesforce ? "Id" : "hs_object_id", schema::FieldType::kString);
  add("Name", schema::FieldType::kString);
  add("Revenue", schema::FieldType::kDecimal);
  add("Employees", schema::FieldType::kInt);
  add("Active", schema::FieldType::kBool);
  add("Since", schema::FieldType::kDate);
  add("Seen", schema::FieldType::kTimestamp);
  add("Tags", schema::FieldType::kStringList);
  o.Finalize();
  return o;
}

struct Decoded {
  std::vector<rt::Value> slots;
  std::string id, error;
  bool ok = false;
};

Decoded DecodeText(Decoder& d, const std::string& json) {
  Decoded r;
  simdjson::padded_string p(json);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(p).get(doc) || doc.get_object().get(obj)) return r;
  r.ok = base::Succeeded(d.Decode(obj, r.slots, &r.id), &r.error);
  // copy out of the parser's buffers before they go away
  for (auto& v : r.slots)
    if (v.is(rt::Kind::kString)) v = rt::Value::String(v.str());
  return r;
}

TEST(Decoder, SalesforceTypesFromJson) {
  schema::Object o = MakeObject(schema::System::kSalesforce);
  Decoder d(o);
  Decoded r = DecodeText(d, R"({"attributes":{"type":"Contact"},"Id":"003A","Name":"Ada","Revenue":1234.50,
    "Employees":12,"Active":true,"Since":"2024-02-29","Seen":"2024-03-01T12:00:00.000+0000","Tags":"a;b","Extra":1})");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.id, "003A");
  EXPECT_EQ(r.slots[1].str(), "Ada");
  EXPECT_EQ(rt::FormatDecimal(r.slots[2].coefficient(), r.slots[2].scale()), "1234.50");  // exact text
  EXPECT_EQ(r.slots[3].int_value(), 12);
  EXPECT_TRUE(r.slots[4].bool_value());
  EXPECT_EQ(rt::FormatDate(r.slots[5].days()), "2024-02-29");
  EXPECT_EQ(rt::FormatTimestamp(r.slots[6].seconds(), r.slots[6].nanos()), "2024-03-01T12:00:00Z");
  EXPECT_EQ(r.slots[7].DebugString(), R"(["a", "b"])");
}

TEST(Decoder, BadValuesBecomeErrorValuesNotCrashes) {
  schema::Object o = MakeObject(schema::System::kSalesforce);
  Decoder d(o);
  Decoded r = DecodeText(
      d, R"({"Id":"003B","Revenue":"lots","Employees":1.5,"Active":"maybe","Since":"2024-13-01","Name":{"x":1}})");
  ASSERT_TRUE(r.ok);
  for (int slot : {1, 2, 3, 4, 5}) EXPECT_TRUE(r.slots[slot].is_error()) << slot << " " << r.slots[slot].DebugString();
  EXPECT_EQ(r.slots[2].error_code(), rt::ErrorCode::kConversion);
  EXPECT_NE(r.slots[2].error_message().find("Revenue"), std::string::npos);
}

TEST(Decoder, HubSpotNestedPropertiesAsStringsAndKeyOrderChanges) {
  schema::Object o = MakeObject(schema::System::kHubSpot);
  Decoder d(o);
  Decoded r = DecodeText(
      d,
      R"({"id":"501","properties":{"Name":"Bo","Revenue":"10.5","Active":"false","Seen":"1700000000000","Since":"1704067200000"}})");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.id, "501");
  EXPECT_EQ(r.slots[1].str(), "Bo");
  EXPECT_FALSE(r.slots[4].bool_value());
  EXPECT_EQ(rt::FormatTimestamp(r.slots[6].seconds(), r.slots[6].nanos()), "2023-11-14T22:13:20Z");
  EXPECT_EQ(rt::FormatDate(r.slots[5].days()), "2024-01-01");
  // same decoder, different key order and a missing field: no stale values
  Decoded r2 = DecodeText(d, R"({"properties":{"Revenue":"1","Name":"Cy"},"id":"502"})");
  ASSERT_TRUE(r2.ok);
  EXPECT_EQ(r2.slots[1].str(), "Cy");
  EXPECT_TRUE(r2.slots[4].is(rt::Kind::kNull));
}

TEST(Decoder, WantedFieldsOnly) {
  schema::Object o = MakeObject(schema::System::kSalesforce);
  Decoder d(o);
  std::vector<bool> want(o.fields.size(), false);
  want[1] = true;
  d.Want(want);
  Decoded r = DecodeText(d, R"({"Id":"003C","Name":"Di","Revenue":"not read"})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.slots[1].str(), "Di");
  EXPECT_TRUE(r.slots[2].is(rt::Kind::kNull));  // not decoded, so not an error either
}

// The decoder remembers the previous record's keys and compares each raw key with the one at
// its position (two 8-byte words for keys under 16 bytes). Oracle: a fresh decoder, which has
// no memory and looks every key up, must decode every record the same; the records mix key
// orders, keys absent from the schema that differ from schema keys in one byte (first, 8th,
// last, one more or one less), an escaped spelling of a key, and lengths 0-17.
TEST(Decoder, RememberedKeyOrderAgreesWithAFreshDecoder) {
  schema::Object o;
  o.system = schema::System::kSalesforce;
  o.name = "Contact";
  const std::vector<std::string> names = {
      "", "A", "Seven77", "EightCh8", "NineChr99", "Fifteen15Chars_", "SixteenChars16__", "SeventeenChars17_"};
  for (const std::string& n : names) {
    schema::Field f;
    f.name = n;
    f.type = schema::FieldType::kString;
    o.fields.push_back(f);
  }
  o.Finalize();
  std::vector<std::string> keys;  // raw JSON spellings
  for (const std::string& n : names) {
    keys.push_back(n);
    if (n.empty()) continue;
    std::string first = n, last = n, eighth = n;
    first[0] ^= 1;
    last.back() ^= 1;
    if (n.size() >= 8) eighth[7] ^= 1;
    for (const std::string& k : {first, last, eighth, n + "X", n.substr(0, n.size() - 1)}) keys.push_back(k);
  }
  keys.push_back("Seven\\u0037\\u0037");  // "Seven77", escaped
  uint64_t state = 12345;
  auto next = [&](uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % n;
  };
  Decoder warm(o);
  int checked = 0;
  std::vector<std::string> ks = keys;
  for (int rec = 0; rec < 400; ++rec) {
    if (next(4) == 0)  // mostly the same order as the record before, as real input is
      for (int swaps = 1 + static_cast<int>(next(3)); swaps > 0; --swaps)
        std::swap(ks[next(ks.size())], ks[next(ks.size())]);
    bool gaps = next(3) == 0;
    std::string json = "{";
    bool first = true;
    for (const std::string& k : ks) {
      if (gaps && next(5) == 0) continue;  // absent from this record
      if (!first) json += ",";
      first = false;
      json += "\"" + k + "\":\"v" + std::to_string(next(1000)) + "\"";
    }
    json += "}";
    Decoder fresh(o);
    Decoded a = DecodeText(warm, json), b = DecodeText(fresh, json);
    ASSERT_TRUE(a.ok && b.ok) << json;
    ASSERT_EQ(a.slots.size(), b.slots.size());
    for (size_t i = 0; i < a.slots.size(); ++i)
      ASSERT_EQ(a.slots[i].DebugString(), b.slots[i].DebugString()) << "field " << names[i] << " in " << json;
    ++checked;
  }
  EXPECT_EQ(checked, 400);
}

TEST(Encode, WireForms) {
  schema::Field f;
  f.name = "x";
  std::string out;
  ASSERT_TRUE(AppendFieldValue(schema::System::kHubSpot, f, rt::Value::Decimal(150, 1), out));
  ASSERT_TRUE(AppendFieldValue(schema::System::kSalesforce, f, rt::Value::Decimal(150, 1), out));
  ASSERT_TRUE(AppendFieldValue(schema::System::kHubSpot, f, rt::Value::Null(), out));
  ASSERT_TRUE(AppendFieldValue(schema::System::kHubSpot, f, rt::Value::Bool(true), out));
  EXPECT_EQ(out, R"("15.0"15.0"""true")");
  base::Status bad =
      AppendFieldValue(schema::System::kHubSpot, f, rt::Value::Error(rt::ErrorCode::kRejected, "no"), out);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.message, "no");
  std::string s;
  AppendJsonString(s, "a\"b\\c\n\x01 é");
  EXPECT_EQ(s, "\"a\\\"b\\\\c\\n\\u0001 é\"");
}

}  // namespace
}  // namespace accord::rec
