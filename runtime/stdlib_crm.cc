// Accord's CRM functions (stdlib_internal.h): isBlank, coalesce,
// normalizeEmail, emailDomain, digits, e164 (libphonenumber), domainOf and the
// multi-select picklist values. Null in gives null out (stdlib.h).
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "runtime/stdlib_internal.h"

namespace accord::rt::detail {

namespace {

Value EmailDomain(const Value& v) {
  std::string_view s = TrimSpace(v.str());
  size_t at = s.rfind('@');
  if (at == std::string_view::npos) return Err(ErrorCode::kInvalidArgument, "emailDomain: no @ in " + Quote(v.str()));
  std::string_view domain = TrimSpace(s.substr(at + 1));
  if (domain.empty()) return Err(ErrorCode::kInvalidArgument, "emailDomain: no domain after @ in " + Quote(v.str()));
  return MapAscii(v, domain, true);
}

Value Digits(const Value& v) {
  std::string_view s = v.str();
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == s.size()) return v;
  size_t n = i;
  for (size_t k = i; k < s.size(); ++k) n += s[k] >= '0' && s[k] <= '9';
  char* out;
  Value result = NewString(s.substr(0, n), &out);  // the first n bytes, overwritten below
  for (size_t k = i, o = i; k < s.size(); ++k)
    if (s[k] >= '0' && s[k] <= '9') out[o++] = s[k];
  return result;
}

Value E164(const Value& number, const Value& region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  std::string reg = "ZZ";  // unknown region: only numbers in international (+) form parse
  if (region.is(Kind::kString)) {
    std::string_view r = TrimSpace(region.str());
    if (!r.empty()) {
      reg.assign(r);
      for (char& c : reg)
        if (IsLower(c)) c = static_cast<char>(c - 32);
    }
  }
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber pn;
  std::string_view s = number.str();
  if (util->Parse(std::string(s), reg, &pn) != PhoneNumberUtil::NO_PARSING_ERROR)
    return Err(ErrorCode::kInvalidArgument, "e164: " + Quote(s) + " is not a phone number (region " + Quote(reg) + ")");
  if (!util->IsValidNumber(pn))
    return Err(ErrorCode::kInvalidArgument,
               "e164: " + Quote(s) + " is not a valid phone number (region " + Quote(reg) + ")");
  std::string out;
  util->Format(pn, PhoneNumberUtil::E164, &out);
  return Value::String(out);
}

Value DomainOf(const Value& v) {
  std::string_view s = TrimSpace(v.str());
  size_t scheme = s.find("://");
  if (scheme != std::string_view::npos && scheme > 0 &&
      std::all_of(s.begin(), s.begin() + static_cast<ptrdiff_t>(scheme), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      })) {
    s.remove_prefix(scheme + 3);
  } else if (s.starts_with("//")) {
    s.remove_prefix(2);
  }
  s = s.substr(0, s.find_first_of("/?#\\"));
  if (size_t at = s.rfind('@'); at != std::string_view::npos) s.remove_prefix(at + 1);  // user info
  if (!s.empty() && s[0] == '[') {
    s = s.substr(0, s.find(']') == std::string_view::npos ? s.size() : s.find(']') + 1);  // IPv6 literal
  } else {
    s = s.substr(0, s.find(':'));  // port
  }
  if (s.size() >= 4 && EqualsIgnoreCase(s.substr(0, 4), "www.")) s.remove_prefix(4);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  bool ok = !s.empty();
  for (char c : s)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) ok = false;
  if (!ok) return Err(ErrorCode::kInvalidArgument, "domainOf: no host in " + Quote(v.str()));
  return MapAscii(v, s, true);
}

Value PicklistValues(const Value& v) {
  std::string_view s = v.str();
  std::vector<Value> parts;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(';', pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = TrimSpace(s.substr(pos, end - pos));
    if (!part.empty()) parts.push_back(Sub(v, part));
    pos = end + 1;
  }
  return Value::List(std::move(parts));
}

Value PicklistText(const Value& v) {
  std::string& out = Scratch();
  for (const Value& e : v.list()) {
    if (e.is(Kind::kNull)) continue;
    if (!e.is(Kind::kString))
      return Err(ErrorCode::kNoOverload, "no matching overload for picklistText: list element is " +
                                             std::string(KindTypeName(e.kind())) + ", not string");
    std::string_view part = TrimSpace(e.str());
    if (part.empty()) continue;
    if (!out.empty()) out += ';';
    out.append(part);
  }
  return Value::String(out);
}

}  // namespace

Value CallCrmFn(Fn fn, const Value* args, size_t nargs) {
  const Value& a = args[0];
  switch (fn) {
    // ---- CRM functions ----
    case Fn::is_blank:
      return Value::Bool(IsBlank(a));
    case Fn::coalesce2:
    case Fn::coalesce3:
    case Fn::coalesce4:
    case Fn::coalesce5:
    case Fn::coalesce6:
    case Fn::coalesce7:
    case Fn::coalesce8:
      for (size_t i = 0; i + 1 < nargs; ++i)
        if (!IsBlank(args[i])) return args[i];
      return args[nargs - 1];  // all blank: the last (often a literal default such as "")
    case Fn::normalize_email:
      return MapAscii(a, TrimSpace(a.str()), true);
    case Fn::email_domain:
      return EmailDomain(a);
    case Fn::digits:
      return Digits(a);
    case Fn::e164:
      return E164(a, args[1]);
    case Fn::domain_of:
      return DomainOf(a);

    // ---- multi-select values ----
    case Fn::split_multi:
      return PicklistValues(a);
    case Fn::join_multi:
      return PicklistText(a);

    default:
      return NotInFamily();  // not a CRM function
  }
}

}  // namespace accord::rt::detail

namespace accord::rt {

bool CallStringFast(Fn fn, const Value& a, Value* out) {
  if (!a.is(Kind::kString)) return false;
  Value v;
  switch (fn) {
    case Fn::trim:
    case Fn::trim_g:
      v = detail::Sub(a, detail::TrimSpace(a.str()));
      break;
    case Fn::lower_ascii:
    case Fn::lower_ascii_g:
      v = detail::MapAscii(a, a.str(), true);
      break;
    case Fn::upper_ascii:
    case Fn::upper_ascii_g:
      v = detail::MapAscii(a, a.str(), false);
      break;
    case Fn::normalize_email:
      v = detail::MapAscii(a, detail::TrimSpace(a.str()), true);
      break;
    case Fn::digits:
      v = detail::Digits(a);
      break;
    case Fn::is_blank:
      v = Value::Bool(IsBlank(a));
      break;
    default:
      return false;
  }
  *out = std::move(v);
  return true;
}

}  // namespace accord::rt
