// Small pieces both emulators share: the Status type, wire time formats,
// deterministic hashing (fault decisions, correlation ids), Salesforce ids and
// a JSON parse that never throws.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace accord::sandbox {

// Key order matters on the wire (Salesforce puts "attributes" first and the
// selected fields in query order), so every document is an ordered_json.
using Json = nlohmann::ordered_json;

// Environment failures (a missing seed folder, a port in use, a bad state file).
using base::Status;

// Milliseconds since the Unix epoch. Every timestamp an emulator writes comes
// from one of these, so tests can pin or advance time.
using Clock = std::function<int64_t()>;
int64_t SystemClockMs();

// ---- time on the wire ----
// Salesforce datetime: "2013-05-20T20:49:32.000+0000".
std::string FormatSalesforceDateTime(int64_t ms);
// HubSpot / ISO 8601 UTC with milliseconds: "2019-10-30T03:30:17.883Z".
std::string FormatIsoMs(int64_t ms);
// "YYYY-MM-DD" of the UTC day that contains ms.
std::string FormatDate(int64_t ms);
// ISO 8601 date-time: "YYYY-MM-DDTHH:MM[:SS[.fff...]]" followed by "Z", "+HH:MM",
// "+HHMM" or "-..." (when require_zone is false a missing zone means UTC).
std::optional<int64_t> ParseDateTime(std::string_view s, bool require_zone = true);
// "YYYY-MM-DD" -> milliseconds at UTC midnight.
std::optional<int64_t> ParseDate(std::string_view s);
// Milliseconds at UTC midnight of the day containing ms.
int64_t StartOfDayMs(int64_t ms);

// ---- deterministic hashing ----
uint64_t Mix64(uint64_t x);
uint64_t Hash3(uint64_t a, uint64_t b, uint64_t c);
// A uniform double in [0, 1) from a hash.
double UnitInterval(uint64_t h);
// An RFC 4122 version-4-shaped UUID from a hash (HubSpot correlationId).
std::string UuidFromHash(uint64_t h);

// ---- Salesforce ids ----
// The 3-character case-safety suffix of a 15-character id.
std::string SalesforceIdSuffix(std::string_view id15);
// prefix (3 chars) + instance + counter in base 62, with the suffix: 18 chars.
std::string MakeSalesforceId(std::string_view key_prefix, uint64_t counter);
// 15 or 18 characters of [0-9A-Za-z].
bool LooksLikeSalesforceId(std::string_view s);

// ---- JSON ----
// Parses without throwing. On failure the status has nlohmann's message and
// *line / *column the 1-based position of the failure.
Status ParseJson(std::string_view text, Json* out, int* line = nullptr, int* column = nullptr);
// dump() that never throws on invalid UTF-8 (it is replaced).
std::string DumpJson(const Json& j, int indent = -1);

// ---- strings ----
std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Number of Unicode code points (lengths are counted in characters, not bytes).
size_t Utf8Length(std::string_view s);
// Percent-decoding of one URL component ('+' stays '+').
std::string PercentDecode(std::string_view s);
std::string PercentEncode(std::string_view s);
// Shortest text of a double that reads back the same ("17", "1.5").
std::string NumberText(double d);

}  // namespace accord::sandbox
