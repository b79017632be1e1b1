// Civil time: days <-> year/month/day, and the one ISO-8601 / RFC 3339
// date-time parser. Every reader of a timestamp (CEL's timestamp(), the sync
// engine's modstamps, the connectors' wire times, the sandbox's emulators)
// calls ParseTime with the syntax it accepts (TimeSyntax), so they agree on
// what a time means and differ only, and visibly, in what they accept.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace accord::base {

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
// Hinnant's public-domain algorithms).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);
unsigned DaysInMonth(int64_t y, unsigned m);  // m in 1..12

// Exactly "YYYY-MM-DD" (year 0000..9999, a real day of a real month) -> days since the epoch.
std::optional<int64_t> ParseCivilDate(std::string_view s);

// What ParseTime accepts besides "YYYY-MM-DDTHH:MM:SS[.f...](Z|±HH:MM|±HHMM)".
// Fields always have their fixed number of digits, and months, days, hours
// (0..23), minutes (0..59), seconds (0..60, a leap second) and offsets
// (±23:59) their ranges.
struct TimeSyntax {
  bool zone_required = true;       // false: no zone means UTC
  bool date_only = false;          // "YYYY-MM-DD" alone: midnight UTC
  bool seconds_optional = false;   // "THH:MM", then a fraction or zone as usual
  bool space_separator = false;    // ' ' for 'T'
  bool lowercase = false;          // 't' and 'z' for 'T' and 'Z'
  bool comma_fraction = false;     // ',' for '.' before the fraction
  bool empty_fraction = false;     // a '.' with no digits after it
  bool offset_hours_only = false;  // "±HH" alone as an offset
  // Text after the longest readable prefix is ignored ("2024-01-02T10:00:00Z..."),
  // and a time part that does not read leaves the date alone (with date_only).
  bool trailing_text = false;
};

// The syntaxes Accord's readers accept (each pinned by base/time_test.cc).
// CEL's timestamp() and the runtime's timestamps: RFC 3339, zone required.
inline constexpr TimeSyntax kRfc3339{.zone_required = true, .space_separator = true, .lowercase = true};
// The Salesforce connector's wire times (SystemModstamp, history CreatedDate).
inline constexpr TimeSyntax kSalesforceWire{.zone_required = false, .space_separator = true};
// The HubSpot connector's wire times (it reads epoch milliseconds itself first).
inline constexpr TimeSyntax kHubSpotWire{.zone_required = false,
                                         .date_only = true,
                                         .space_separator = true,
                                         .empty_fraction = true,
                                         .offset_hours_only = true};
// The sandbox emulators' request times (SOQL literals need the zone, parameters do not).
inline constexpr TimeSyntax kSandboxZoned{.zone_required = true, .seconds_optional = true, .lowercase = true};
inline constexpr TimeSyntax kSandbox{.zone_required = false, .seconds_optional = true, .lowercase = true};
// The sync engine's modstamps and field change times (sync::StampMs): the longest
// readable prefix, whatever a folder of JSON Lines files holds.
inline constexpr TimeSyntax kModstamp{.zone_required = false,
                                      .date_only = true,
                                      .seconds_optional = true,
                                      .comma_fraction = true,
                                      .empty_fraction = true,
                                      .offset_hours_only = true,
                                      .trailing_text = true};

// A point in time read from text.
struct Instant {
  int64_t seconds = 0;      // since the epoch, floored
  int32_t nanos = 0;        // 0..999,999,999 (digits after the ninth are dropped)
  int fraction_digits = 0;  // the precision the text was written with: digits after the point
  int64_t ms() const { return seconds * 1000 + nanos / 1000000; }  // sub-millisecond digits dropped
};

std::optional<Instant> ParseTime(std::string_view s, const TimeSyntax& syntax = {});

}  // namespace accord::base
