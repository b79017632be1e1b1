// IANA time zones from the system's compiled tz database (TZif files, RFC 8536,
// under $TZDIR or /usr/share/zoneinfo; Debian package `tzdata`).
//
// A small reader instead of a library: libstdc++ 12 has no std::chrono::tzdb,
// and Howard Hinnant's date library (libhowardhinnant-date-dev) in its
// USE_OS_TZDB mode ignores the POSIX TZ footer of TZif files, so it loses
// daylight saving time after the last listed transition (2037 in Debian's
// data). This reader uses the transitions and then the footer rule, for any
// instant in CEL's timestamp range.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace accord::rt::tz {

// One zone: immutable once loaded, safe to share between threads.
class Zone {
 public:
  // UTC offset (seconds east of UTC) in effect at a UTC instant (seconds since the epoch).
  int32_t OffsetAt(int64_t utc) const;
  // The UTC instant of a local wall-clock time (seconds since the epoch, as if
  // the local time were UTC). A time that occurs twice (a fold, when clocks go
  // back) gives the earlier instant; a time that does not occur (a gap, when
  // clocks go forward) is read with the offset in effect before the gap, so it
  // lands after the gap (00:30 in a 00:00->01:00 gap is 01:30 new time).
  int64_t LocalToUtc(int64_t local) const;
  const std::string& name() const { return name_; }

  // Parses the bytes of a TZif file (versions 1 to 4). Null when malformed or
  // when the file has leap-second records (the "right/" zones).
  static std::unique_ptr<Zone> Parse(std::string name, std::string_view tzif);
  // A zone with one fixed offset and no transitions.
  static std::unique_ptr<Zone> Fixed(std::string name, int32_t offset);

 private:
  struct Type {
    int32_t offset;
    bool dst;
  };
  // A POSIX TZ rule date: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d.
  struct RuleDate {
    enum Kind : uint8_t { kJulian1, kJulian0, kMonthWeekDay } kind = kMonthWeekDay;
    int day = 0, week = 0, month = 0;  // day: n, or weekday 0..6 (Sunday = 0) for Mm.w.d
    int32_t time = 7200;               // seconds after local midnight, may be negative or > 24h
  };
  struct Rule {
    bool present = false;  // the footer had a TZ string
    int32_t std_offset = 0, dst_offset = 0;
    bool has_dst = false;
    RuleDate start, end;
  };
  bool ParseFooter(std::string_view tz);
  int32_t RuleOffset(int64_t utc) const;

  std::string name_;
  std::vector<int64_t> transitions_;  // UTC instants, ascending
  std::vector<uint8_t> transition_types_;
  std::vector<Type> types_;
  Rule rule_;
};

// The zone called `name` ("America/New_York", "UTC"), loaded once and kept for
// the life of the process. Null for an unknown or malformed zone, or a name
// that is not a plain relative path below the database. Thread-safe.
const Zone* FindZone(std::string_view name);

}  // namespace accord::rt::tz
