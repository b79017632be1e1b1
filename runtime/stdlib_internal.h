// The standard library's inside, shared by the files that implement it
// (private to runtime/stdlib*.cc; users include stdlib.h). One family of
// functions per file, as cel-cpp's runtime/standard:
//   stdlib.cc              the overload table from functions.def; CallFn checks the
//                          arguments against it and hands the call to a family
//   stdlib_strings.cc      size, contains/startsWith/endsWith, matches, the strings
//                          extension with format(), strings.quote, base64
//   stdlib_conversions.cc  int() uint() double() string() bytes() bool() timestamp()
//                          duration() decimal() dyn() type()
//   stdlib_time.cc         timestamp and duration accessors, dates, epoch milliseconds
//   stdlib_crm.cc          Accord's CRM functions and multi-select values
//   stdlib_math.cc         round, abs and the math extension
// A new overload is a line in functions.def and a case in its family's switch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/stdlib.h"

namespace accord::rt::detail {

// ---- the families ----
// Each returns the result of `fn` when the family implements it, NotInFamily()
// otherwise. CallFn has checked the arguments (count, kinds, no errors), so
// args[0] exists.
Value CallStringFn(Fn fn, const Value* args, size_t nargs);
Value CallConversionFn(Fn fn, const Value* args, size_t nargs);
Value CallTimeFn(Fn fn, const Value* args, size_t nargs);
Value CallCrmFn(Fn fn, const Value* args, size_t nargs);
Value CallMathFn(Fn fn, const Value* args, size_t nargs);
// The answer of a family to an overload it does not implement (an internal
// error no overload returns), and the test for it.
Value NotInFamily();
bool IsNotInFamily(const Value& v);

// ---- errors (stdlib.cc) ----
Value Err(ErrorCode code, std::string message);
// "no matching overload for name(kinds...)"
Value NoOverload(std::string_view name, const Value* args, size_t nargs);
// A string for an error message: quoted, at most 64 bytes of it.
std::string Quote(std::string_view s);

// ---- strings (stdlib_strings.cc) ----
// A per-thread buffer for building results.
std::string& Scratch();
// A part of a string value as a value: the value itself, a view or a copy.
Value Sub(const Value& src, std::string_view part);
// A new string value with `init`'s bytes, still writable through *bytes.
Value NewString(std::string_view init, char** bytes);
bool ValidUtf8(std::string_view s);
// `s` without leading and trailing Unicode white space.
std::string_view TrimSpace(std::string_view s);
bool IsUpper(char c);
bool IsLower(char c);
// ASCII case mapping of a part of `src` (the whole string by default).
Value MapAscii(const Value& src, std::string_view part, bool lower);

// ---- numbers and decimals (stdlib_conversions.cc) ----
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Shortest fixed-point text (Go 'f', -1), with CEL's names for the specials.
void AppendDoubleFixed(std::string& out, double d);
// Shortest decimal digits of a finite double: value = 0.digits... no:
// value = digits * 10^(exp10 - ndigits + 1), digits without leading zeros.
struct DecimalDigits {
  bool neg = false;
  std::string digits;  // "0" for zero
  int exp10 = 0;       // exponent of the first digit
};
DecimalDigits ShortestDigits(double d);
// Rounds decimal digits half away from zero so that the last kept digit has
// place value 10^-places. Returns false when nothing remains (the result is 0).
bool RoundDigits(DecimalDigits* dd, int64_t places);
size_t FormatDecimalTo(char* buf, int64_t coefficient, uint32_t scale);  // buf >= 48 bytes
bool ValidDecimal(const Value& v);
Value MalformedDecimal();
double DecimalToDouble(int64_t c, uint32_t scale);
// Rounds c * 10^-scale half away from zero to `places` (places < scale).
bool RoundDecimal(int64_t c, uint32_t scale, int64_t places, int64_t* out_c, uint32_t* out_scale);

// ---- time (stdlib_time.cc) ----
bool TimestampInRange(int64_t s);
// Dates that the civil-date arithmetic handles without overflow.
bool DateUsable(int64_t days);
// RFC 3339 with the fraction trimmed of trailing zeros (Go's RFC3339Nano).
std::string FormatTimestampNano(int64_t seconds, int32_t nanos);
Value TimestampOutOfRange();
Value DateOutOfRange();

}  // namespace accord::rt::detail
