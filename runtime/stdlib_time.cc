// The time functions of the standard library (stdlib_internal.h): timestamp
// accessors in UTC or a time zone (tz.h reads the IANA zone files), duration
// accessors, dates and epoch milliseconds.
#include <array>
#include <cstdio>
#include <string>

#include "runtime/stdlib_internal.h"
#include "runtime/tz.h"

namespace accord::rt::detail {

namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

constexpr int64_t kMinDate = -719162, kMaxDate = 2932896;  // 0001-01-01, 9999-12-31 (checked by a test)

bool DateInRange(int64_t days) { return days >= kMinDate && days <= kMaxDate; }

struct ZoneRef {
  const tz::Zone* zone = nullptr;
  int32_t fixed = 0;
  int32_t OffsetAt(int64_t utc) const { return zone != nullptr ? zone->OffsetAt(utc) : fixed; }
  int64_t LocalToUtc(int64_t local) const { return zone != nullptr ? zone->LocalToUtc(local) : local - fixed; }
};

// A time zone argument: an IANA name, or a fixed offset [+-]HH:MM as cel-go
// accepts it ("+05:30", "-08:00", "02:00").
bool ResolveZone(std::string_view name, ZoneRef* out) {
  if (size_t colon = name.find(':'); colon != std::string_view::npos) {
    std::string_view h = name.substr(0, colon), m = name.substr(colon + 1);
    int sign = 1;
    if (!h.empty() && (h[0] == '+' || h[0] == '-')) {
      sign = h[0] == '-' ? -1 : 1;
      h.remove_prefix(1);
    }
    auto two = [](std::string_view d, size_t min_len, int max, int* v) {
      if (d.size() < min_len || d.size() > 2) return false;
      int x = 0;
      for (char c : d) {
        if (c < '0' || c > '9') return false;
        x = x * 10 + (c - '0');
      }
      if (x > max) return false;
      *v = x;
      return true;
    };
    int hh, mm;
    if (!two(h, 1, 23, &hh) || !two(m, 2, 59, &mm)) return false;
    out->zone = nullptr;
    out->fixed = sign * (hh * 3600 + mm * 60);
    return true;
  }
  // A few recent zones per thread, so that a constant zone costs no lock.
  struct Entry {
    std::string name;
    const tz::Zone* zone = nullptr;
  };
  thread_local std::array<Entry, 8> recent;
  thread_local size_t next = 0;
  for (const Entry& e : recent)
    if (e.zone != nullptr && e.name == name) {
      out->zone = e.zone;
      return true;
    }
  const tz::Zone* z = tz::FindZone(name);
  if (z == nullptr) return false;
  recent[next] = Entry{std::string(name), z};
  next = (next + 1) % recent.size();
  out->zone = z;
  return true;
}

Value UnknownZone(std::string_view name) {
  return Err(ErrorCode::kInvalidArgument, "unknown time zone " + Quote(name));
}

struct Civil {
  int64_t year;
  unsigned month, day;  // 1-based
  int64_t days;         // since the epoch
  int64_t second_of_day;
};

Civil CivilOf(int64_t local_seconds) {
  Civil c;
  c.days = FloorDiv(local_seconds, 86400);
  c.second_of_day = local_seconds - c.days * 86400;
  CivilFromDays(c.days, &c.year, &c.month, &c.day);
  return c;
}

// The civil time of a timestamp in UTC, or in the zone named by args[1] when present.
bool LocalCivil(const Value* args, size_t nargs, Civil* out, Value* error) {
  const Value& t = args[0];
  if (!TimestampInRange(t.seconds())) {
    *error = TimestampOutOfRange();
    return false;
  }
  int64_t local = t.seconds();
  if (nargs > 1) {
    ZoneRef z;
    if (!ResolveZone(args[1].str(), &z)) {
      *error = UnknownZone(args[1].str());
      return false;
    }
    local += z.OffsetAt(t.seconds());
  }
  *out = CivilOf(local);
  return true;
}

Value DateToTimestamp(int64_t days, const ZoneRef* zone) {
  if (!DateInRange(days)) return DateOutOfRange();
  int64_t local = days * 86400;
  int64_t t = zone != nullptr ? zone->LocalToUtc(local) : local;
  if (!TimestampInRange(t)) return TimestampOutOfRange();
  return Value::Timestamp(t, 0);
}

}  // namespace

// ---- used by the other families too (stdlib_internal.h) ----

bool TimestampInRange(int64_t s) { return s >= kMinTimestampSeconds && s <= kMaxTimestampSeconds; }

// Dates that the civil-date arithmetic handles without overflow.
bool DateUsable(int64_t days) { return days > -(int64_t{1} << 40) && days < (int64_t{1} << 40); }

// RFC 3339 with the fraction trimmed of trailing zeros (Go's RFC3339Nano), as cel-go's format prints timestamps.
std::string FormatTimestampNano(int64_t seconds, int32_t nanos) {
  std::string s = FormatTimestamp(seconds, 0);
  if (nanos != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%09d", nanos);
    std::string_view f = buf;
    while (f.back() == '0') f.remove_suffix(1);
    s.insert(s.size() - 1, f);
  }
  return s;
}

Value TimestampOutOfRange() { return Err(ErrorCode::kRange, "timestamp out of range"); }

Value DateOutOfRange() { return Err(ErrorCode::kRange, "date out of range"); }

Value CallTimeFn(Fn fn, const Value* args, size_t nargs) {
  const Value& a = args[0];
  switch (fn) {
    // ---- timestamp accessors ----
    case Fn::ts_year:
    case Fn::ts_year_tz:
    case Fn::ts_month:
    case Fn::ts_month_tz:
    case Fn::ts_dom:
    case Fn::ts_dom_tz:
    case Fn::ts_date:
    case Fn::ts_date_tz:
    case Fn::ts_dow:
    case Fn::ts_dow_tz:
    case Fn::ts_doy:
    case Fn::ts_doy_tz:
    case Fn::ts_hours:
    case Fn::ts_hours_tz:
    case Fn::ts_minutes:
    case Fn::ts_minutes_tz:
    case Fn::ts_seconds:
    case Fn::ts_seconds_tz:
    case Fn::ts_millis:
    case Fn::ts_millis_tz: {
      Civil c;
      Value error;
      if (!LocalCivil(args, nargs, &c, &error)) return error;
      switch (fn) {
        case Fn::ts_year:
        case Fn::ts_year_tz:
          return Value::Int(c.year);
        case Fn::ts_month:
        case Fn::ts_month_tz:
          return Value::Int(c.month - 1);
        case Fn::ts_dom:
        case Fn::ts_dom_tz:
          return Value::Int(c.day - 1);
        case Fn::ts_date:
        case Fn::ts_date_tz:
          return Value::Int(c.day);
        case Fn::ts_dow:
        case Fn::ts_dow_tz:
          return Value::Int(((c.days + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
        case Fn::ts_doy:
        case Fn::ts_doy_tz:
          return Value::Int(c.days - DaysFromCivil(c.year, 1, 1));
        case Fn::ts_hours:
        case Fn::ts_hours_tz:
          return Value::Int(c.second_of_day / 3600);
        case Fn::ts_minutes:
        case Fn::ts_minutes_tz:
          return Value::Int(c.second_of_day / 60 % 60);
        case Fn::ts_seconds:
        case Fn::ts_seconds_tz:
          return Value::Int(c.second_of_day % 60);
        default:
          return Value::Int(a.nanos() / 1000000);  // ts_millis, ts_millis_tz
      }
    }

    // ---- duration accessors: whole units, truncated toward zero ----
    case Fn::dur_hours:
      return Value::Int(a.seconds() / 3600);
    case Fn::dur_minutes:
      return Value::Int(a.seconds() / 60);
    case Fn::dur_seconds:
      return Value::Int(a.seconds());
    // The milliseconds part (0..999, negative for negative durations), as CEL's conformance tests define it.
    case Fn::dur_millis:
      return Value::Int(a.nanos() / 1000000);

    // ---- dates ----
    case Fn::to_date_string: {
      int64_t days;
      if (!ParseDate(a.str(), &days))
        return Err(ErrorCode::kConversion, "date: " + Quote(a.str()) + " is not a date YYYY-MM-DD");
      return Value::Date(days);
    }
    case Fn::to_date_date:
      return a;
    case Fn::to_date_ts:
    case Fn::to_date_ts_tz: {
      Civil c;
      Value error;
      if (!LocalCivil(args, nargs, &c, &error)) return error;
      if (!DateInRange(c.days)) return DateOutOfRange();
      return Value::Date(c.days);
    }
    case Fn::date_to_ts:
      return DateToTimestamp(a.days(), nullptr);
    case Fn::date_to_ts_tz: {
      ZoneRef z;
      if (!ResolveZone(args[1].str(), &z)) return UnknownZone(args[1].str());
      return DateToTimestamp(a.days(), &z);
    }
    case Fn::epoch_millis:
      if (!TimestampInRange(a.seconds())) return TimestampOutOfRange();
      return Value::Int(a.seconds() * 1000 + a.nanos() / 1000000);
    case Fn::from_epoch_millis: {
      int64_t ms = a.int_value();
      int64_t s = FloorDiv(ms, 1000);
      if (!TimestampInRange(s)) return TimestampOutOfRange();
      return Value::Timestamp(s, static_cast<int32_t>(ms - s * 1000) * 1000000);
    }
    case Fn::date_year:
    case Fn::date_month:
    case Fn::date_day: {
      if (!DateUsable(a.days())) return DateOutOfRange();
      int64_t y;
      unsigned m, d;
      CivilFromDays(a.days(), &y, &m, &d);
      if (fn == Fn::date_year) return Value::Int(y);
      return Value::Int(fn == Fn::date_month ? m - 1 : d);
    }

    default:
      return NotInFamily();  // not a time function
  }
}

}  // namespace accord::rt::detail
