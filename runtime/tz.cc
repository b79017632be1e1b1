#include "runtime/tz.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

#include "runtime/value.h"

namespace accord::rt::tz {
namespace {

// RFC 8536: UT offsets are in [-89999, 93599] seconds.
constexpr int32_t kMinOffset = -89999, kMaxOffset = 93599;

class Reader {
 public:
  explicit Reader(std::string_view d) : d_(d) {}
  bool ok() const { return ok_; }
  size_t pos() const { return pos_; }
  bool Skip(uint64_t n) {
    if (!ok_ || n > d_.size() - pos_) return ok_ = false;
    pos_ += n;
    return true;
  }
  uint64_t Big(int bytes) {
    if (!ok_ || static_cast<size_t>(bytes) > d_.size() - pos_) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(d_[pos_ + i]);
    pos_ += bytes;
    return v;
  }
  uint8_t U8() { return static_cast<uint8_t>(Big(1)); }
  std::string_view Rest() const { return d_.substr(pos_); }

 private:
  std::string_view d_;
  size_t pos_ = 0;
  bool ok_ = true;
};

struct Header {
  char version = 0;
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

bool ReadHeader(Reader& r, Header* h) {
  if (r.Rest().substr(0, 4) != "TZif") return false;
  r.Skip(4);
  h->version = static_cast<char>(r.U8());
  r.Skip(15);
  h->isutcnt = static_cast<uint32_t>(r.Big(4));
  h->isstdcnt = static_cast<uint32_t>(r.Big(4));
  h->leapcnt = static_cast<uint32_t>(r.Big(4));
  h->timecnt = static_cast<uint32_t>(r.Big(4));
  h->typecnt = static_cast<uint32_t>(r.Big(4));
  h->charcnt = static_cast<uint32_t>(r.Big(4));
  if (!r.ok()) return false;
  // RFC 8536 3.1: isutcnt/isstdcnt are 0 or typecnt; typecnt is not 0.
  if (h->typecnt == 0 || h->typecnt > 256 || h->timecnt > (1u << 20) || h->charcnt > (1u << 16)) return false;
  if ((h->isutcnt != 0 && h->isutcnt != h->typecnt) || (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)) return false;
  return true;
}

uint64_t BlockSize(const Header& h, int time_bytes) {
  return uint64_t{h.timecnt} * time_bytes + h.timecnt + uint64_t{h.typecnt} * 6 + h.charcnt +
         uint64_t{h.leapcnt} * (time_bytes + 4) + h.isstdcnt + h.isutcnt;
}

// ---- POSIX TZ strings (RFC 8536 3.3, with its extensions) ----

bool ParseZoneName(std::string_view& s) {
  if (!s.empty() && s[0] == '<') {
    size_t end = s.find('>');
    if (end == std::string_view::npos || end < 2) return false;
    s.remove_prefix(end + 1);
    return true;
  }
  size_t n = 0;
  while (n < s.size() && ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z'))) ++n;
  if (n < 3) return false;
  s.remove_prefix(n);
  return true;
}

// [+-]hh[:mm[:ss]] -> seconds (sign as written). max_hours: 24 for offsets, 167 for rule times.
bool ParseHms(std::string_view& s, int max_hours, int32_t* out) {
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  auto num = [&](int max_digits, int* v) {
    int n = 0, x = 0;
    while (n < max_digits && n < static_cast<int>(s.size()) && s[n] >= '0' && s[n] <= '9') x = x * 10 + (s[n++] - '0');
    if (n == 0) return false;
    s.remove_prefix(n);
    *v = x;
    return true;
  };
  int h = 0, m = 0, sec = 0;
  if (!num(3, &h) || h > max_hours) return false;
  if (!s.empty() && s[0] == ':') {
    s.remove_prefix(1);
    if (!num(2, &m) || m > 59) return false;
    if (!s.empty() && s[0] == ':') {
      s.remove_prefix(1);
      if (!num(2, &sec) || sec > 59) return false;
    }
  }
  *out = sign * (h * 3600 + m * 60 + sec);
  return true;
}

bool ParseNumber(std::string_view& s, int lo, int hi, int* out) {
  int n = 0, x = 0;
  while (n < static_cast<int>(s.size()) && n < 4 && s[n] >= '0' && s[n] <= '9') x = x * 10 + (s[n++] - '0');
  if (n == 0 || x < lo || x > hi) return false;
  s.remove_prefix(n);
  *out = x;
  return true;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned DaysIn(int64_t y, int m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

}  // namespace

bool Zone::ParseFooter(std::string_view s) {
  Rule r;
  r.present = true;
  if (!ParseZoneName(s)) return false;
  int32_t off;
  if (!ParseHms(s, 24, &off)) return false;
  r.std_offset = -off;  // POSIX offsets are positive west of Greenwich
  if (!s.empty()) {
    if (!ParseZoneName(s)) return false;
    r.has_dst = true;
    r.dst_offset = r.std_offset + 3600;
    if (!s.empty() && s[0] != ',') {
      if (!ParseHms(s, 24, &off)) return false;
      r.dst_offset = -off;
    }
    if (s.empty()) {
      // No rule: the POSIX default, US rules.
      r.start = {RuleDate::kMonthWeekDay, 0, 2, 3, 7200};
      r.end = {RuleDate::kMonthWeekDay, 0, 1, 11, 7200};
    } else {
      for (RuleDate* d : {&r.start, &r.end}) {
        if (s.empty() || s[0] != ',') return false;
        s.remove_prefix(1);
        if (!s.empty() && s[0] == 'J') {
          s.remove_prefix(1);
          d->kind = RuleDate::kJulian1;
          if (!ParseNumber(s, 1, 365, &d->day)) return false;
        } else if (!s.empty() && s[0] == 'M') {
          s.remove_prefix(1);
          d->kind = RuleDate::kMonthWeekDay;
          if (!ParseNumber(s, 1, 12, &d->month) || s.empty() || s[0] != '.') return false;
          s.remove_prefix(1);
          if (!ParseNumber(s, 1, 5, &d->week) || s.empty() || s[0] != '.') return false;
          s.remove_prefix(1);
          if (!ParseNumber(s, 0, 6, &d->day)) return false;
        } else {
          d->kind = RuleDate::kJulian0;
          if (!ParseNumber(s, 0, 365, &d->day)) return false;
        }
        d->time = 7200;
        if (!s.empty() && s[0] == '/') {
          s.remove_prefix(1);
          if (!ParseHms(s, 167, &d->time)) return false;
        }
      }
      if (!s.empty()) return false;
    }
  }
  if (r.std_offset < kMinOffset || r.std_offset > kMaxOffset || r.dst_offset < kMinOffset || r.dst_offset > kMaxOffset)
    return false;
  rule_ = r;
  return true;
}

std::unique_ptr<Zone> Zone::Fixed(std::string name, int32_t offset) {
  std::unique_ptr<Zone> z(new Zone());
  z->name_ = std::move(name);
  z->types_.push_back({offset, false});
  return z;
}

std::unique_ptr<Zone> Zone::Parse(std::string name, std::string_view data) {
  Reader r(data);
  Header h;
  if (!ReadHeader(r, &h)) return nullptr;
  int time_bytes = 4;
  if (h.version >= '2') {
    // Skip the version 1 block; the second header and block use 64-bit times.
    if (!r.Skip(BlockSize(h, 4)) || !ReadHeader(r, &h)) return nullptr;
    time_bytes = 8;
  }
  if (h.leapcnt != 0) return nullptr;  // "right/" zones count leap seconds in their times
  if (BlockSize(h, time_bytes) > r.Rest().size()) return nullptr;

  std::unique_ptr<Zone> z(new Zone());
  z->name_ = std::move(name);
  z->transitions_.reserve(h.timecnt);
  for (uint32_t i = 0; i < h.timecnt; ++i) {
    uint64_t raw = r.Big(time_bytes);
    int64_t t = time_bytes == 8 ? static_cast<int64_t>(raw) : static_cast<int32_t>(static_cast<uint32_t>(raw));
    if (!z->transitions_.empty() && t <= z->transitions_.back()) return nullptr;
    z->transitions_.push_back(t);
  }
  z->transition_types_.reserve(h.timecnt);
  for (uint32_t i = 0; i < h.timecnt; ++i) {
    uint8_t idx = r.U8();
    if (idx >= h.typecnt) return nullptr;
    z->transition_types_.push_back(idx);
  }
  for (uint32_t i = 0; i < h.typecnt; ++i) {
    int32_t off = static_cast<int32_t>(static_cast<uint32_t>(r.Big(4)));
    uint8_t dst = r.U8();
    r.U8();  // designation index: names are not needed
    if (off < kMinOffset || off > kMaxOffset || dst > 1) return nullptr;
    z->types_.push_back({off, dst == 1});
  }
  r.Skip(uint64_t{h.charcnt} + h.isstdcnt + h.isutcnt);
  if (!r.ok()) return nullptr;
  if (time_bytes == 8) {
    std::string_view rest = r.Rest();
    if (rest.size() >= 2 && rest[0] == '\n') {
      size_t end = rest.find('\n', 1);
      if (end != std::string_view::npos && end > 1) {
        // A malformed footer is ignored: times after the last transition keep its type.
        if (!z->ParseFooter(rest.substr(1, end - 1))) z->rule_ = Rule{};
      }
    }
  }
  return z;
}

int32_t Zone::RuleOffset(int64_t utc) const {
  if (!rule_.has_dst) return rule_.std_offset;
  int64_t y;
  unsigned m, d;
  int64_t days = FloorDiv(utc, 86400);
  CivilFromDays(days, &y, &m, &d);
  int64_t year_start = DaysFromCivil(y, 1, 1);
  int64_t ysec = utc - year_start * 86400;
  // Seconds from the start of the (UTC) year to a rule's transition, in UTC.
  auto at = [&](const RuleDate& r, int32_t offset_before) -> int64_t {
    int64_t yday = 0;
    switch (r.kind) {
      case RuleDate::kJulian1:
        yday = r.day - 1 + (IsLeap(y) && r.day >= 60 ? 1 : 0);
        break;
      case RuleDate::kJulian0:
        yday = r.day;
        break;
      case RuleDate::kMonthWeekDay: {
        int64_t first = DaysFromCivil(y, static_cast<unsigned>(r.month), 1);
        int wd_first = static_cast<int>(((first + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
        int64_t dom = 1 + (r.day - wd_first + 7) % 7 + int64_t{r.week - 1} * 7;
        while (dom > DaysIn(y, r.month)) dom -= 7;
        yday = first + dom - 1 - year_start;
        break;
      }
    }
    return yday * 86400 + r.time - offset_before;
  };
  int64_t start = at(rule_.start, rule_.std_offset), end = at(rule_.end, rule_.dst_offset);
  bool dst = start <= end ? (ysec >= start && ysec < end) : !(ysec >= end && ysec < start);
  return dst ? rule_.dst_offset : rule_.std_offset;
}

int32_t Zone::OffsetAt(int64_t utc) const {
  // Keep the civil-date arithmetic far from overflow; CEL timestamps are years 1..9999.
  constexpr int64_t kLo = kMinTimestampSeconds - 400LL * 86400, kHi = kMaxTimestampSeconds + 400LL * 86400;
  utc = std::clamp(utc, kLo, kHi);
  if (transitions_.empty()) return rule_.present ? RuleOffset(utc) : types_[0].offset;
  if (utc < transitions_.front()) return types_[0].offset;  // RFC 8536: type 0 before the first transition
  size_t i =
      static_cast<size_t>(std::upper_bound(transitions_.begin(), transitions_.end(), utc) - transitions_.begin()) - 1;
  if (i + 1 == transitions_.size() && rule_.present) return RuleOffset(utc);
  return types_[transition_types_[i]].offset;
}

int64_t Zone::LocalToUtc(int64_t local) const {
  // The instants a local time can denote lie within +-26h of it. The offsets
  // in effect 30h before and after bracket the (at most one, in real data)
  // transition between them.
  constexpr int64_t kProbe = 30 * 3600;
  int32_t before = OffsetAt(local - kProbe), after = OffsetAt(local + kProbe);
  int64_t a = local - before, b = local - after;
  bool a_ok = OffsetAt(a) == before, b_ok = OffsetAt(b) == after;
  if (a_ok && b_ok) return std::min(a, b);  // a fold: the earlier instant
  if (b_ok && !a_ok) return b;
  return a;  // a_ok, or a gap: read with the offset before it
}

namespace {

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name[0] == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part.empty() || part[0] == '.') return false;  // no "", ".", "..", hidden files
    for (char c : part) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                c == '+' || c == '.';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

bool ReadFile(const std::string& path, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[8192];
  size_t n;
  bool ok = true;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out->append(buf, n);
    if (out->size() > (1u << 20)) {  // real TZif files are a few KiB
      ok = false;
      break;
    }
  }
  if (std::ferror(f)) ok = false;
  std::fclose(f);
  return ok;
}

}  // namespace

const Zone* FindZone(std::string_view name) {
  static std::mutex mu;
  static auto* zones = new std::unordered_map<std::string, std::unique_ptr<Zone>>();  // never freed
  static size_t misses = 0;
  std::lock_guard<std::mutex> lock(mu);
  std::string key(name);
  if (auto it = zones->find(key); it != zones->end()) return it->second.get();
  std::unique_ptr<Zone> zone;
  if (ValidName(name)) {
    const char* dir = std::getenv("TZDIR");
    std::string path = (dir != nullptr && *dir != '\0') ? dir : "/usr/share/zoneinfo";
    path += '/';
    path += name;
    std::string data;
    if (ReadFile(path, &data)) zone = Zone::Parse(key, data);
    if (zone == nullptr && (name == "UTC" || name == "Etc/UTC")) zone = Zone::Fixed(key, 0);  // no tzdata installed
  }
  const Zone* result = zone.get();
  // Unknown names are remembered too (no file system access per call), within a bound.
  if (result != nullptr || misses < 4096) {
    if (result == nullptr) ++misses;
    zones->emplace(std::move(key), std::move(zone));
  }
  return result;
}

}  // namespace accord::rt::tz
