#include "base/time.h"

namespace accord::base {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, unsigned* out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

std::optional<int64_t> ParseCivilDate(std::string_view s) {
  unsigned y, m, d;
  if (s.size() != 10 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &m) || s[7] != '-' ||
      !Digits(s, 8, 2, &d))
    return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
  return DaysFromCivil(y, m, d);
}

std::optional<Instant> ParseTime(std::string_view s, const TimeSyntax& x) {
  std::optional<int64_t> days = s.size() >= 10 ? ParseCivilDate(s.substr(0, 10)) : std::nullopt;
  if (!days) return std::nullopt;
  Instant t;
  t.seconds = *days * 86400;
  // The date alone, when the rest is not a time.
  auto date_alone = [&]() -> std::optional<Instant> {
    if (x.date_only && (s.size() == 10 || x.trailing_text)) return t;
    return std::nullopt;
  };
  if (s.size() == 10) return date_alone();
  const char sep = s[10];
  unsigned hh, mi, ss = 0;
  if (!(sep == 'T' || (x.lowercase && sep == 't') || (x.space_separator && sep == ' ')) || !Digits(s, 11, 2, &hh) ||
      s.size() < 16 || s[13] != ':' || !Digits(s, 14, 2, &mi))
    return date_alone();
  size_t i = 16;
  if (i < s.size() && s[i] == ':' && Digits(s, i + 1, 2, &ss))
    i += 3;
  else if (!x.seconds_optional)
    return std::nullopt;
  if (hh > 23 || mi > 59 || ss > 60) return std::nullopt;
  if (i < s.size() && (s[i] == '.' || (x.comma_fraction && s[i] == ','))) {
    size_t j = i + 1;
    int64_t frac = 0;
    int n = 0;
    for (; j < s.size() && s[j] >= '0' && s[j] <= '9'; ++j, ++n)
      if (n < 9) frac = frac * 10 + (s[j] - '0');
    if (n > 0 || x.empty_fraction) {
      for (int k = n; k < 9; ++k) frac *= 10;
      t.nanos = static_cast<int32_t>(frac);
      t.fraction_digits = n;
      i = j;
    } else if (!x.trailing_text) {
      return std::nullopt;
    }
  }
  int64_t offset_min = 0;
  if (i == s.size()) {
    if (x.zone_required) return std::nullopt;
  } else if (s[i] == 'Z' || (x.lowercase && s[i] == 'z')) {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    const int sign = s[i] == '-' ? -1 : 1;
    unsigned oh, om = 0;
    size_t j = i + 3;
    bool read = Digits(s, i + 1, 2, &oh);
    if (read) {
      if (j < s.size() && s[j] == ':' && Digits(s, j + 1, 2, &om))
        j += 3;
      else if (j < s.size() && s[j] != ':' && Digits(s, j, 2, &om))
        j += 2;
      else
        read = x.offset_hours_only;
    }
    if (read) {
      if (oh > 23 || om > 59) return std::nullopt;
      offset_min = sign * static_cast<int64_t>(oh * 60 + om);
      i = j;
    } else if (!x.trailing_text || x.zone_required) {
      return std::nullopt;
    }
  } else if (x.zone_required || !x.trailing_text) {
    return std::nullopt;
  }
  if (i != s.size() && !x.trailing_text) return std::nullopt;
  t.seconds += static_cast<int64_t>(hh) * 3600 + mi * 60 + ss - offset_min * 60;
  return t;
}

}  // namespace accord::base
