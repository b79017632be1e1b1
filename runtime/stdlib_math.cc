// The math functions of the standard library (stdlib_internal.h): round and
// abs (decimal and double), and the cel-go math extension (greatest, least,
// ceil, floor, sign, sqrt, bit operations).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "runtime/stdlib_internal.h"

namespace accord::rt::detail {

namespace {

bool IsNumberKind(Kind k) { return k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble; }

// math.greatest / math.least over a list: the element that compares greatest
// (least) as a number, returned as it is; the first of equal ones.
Value Extreme(std::string_view name, const Value& list, bool greatest) {
  const auto& items = list.list();
  if (items.empty()) return Err(ErrorCode::kInvalidArgument, std::string(name) + "(): the list must not be empty");
  const Value* best = nullptr;
  for (const Value& v : items) {
    if (v.is_error()) return v;
    if (!IsNumberKind(v.kind())) return NoOverload(name, &v, 1);
    if (best == nullptr) {
      best = &v;
      continue;
    }
    int c = Compare(v, *best);  // 2 when a NaN makes the pair unordered: keep the current one
    if ((greatest && c == 1) || (!greatest && c == -1)) best = &v;
  }
  return *best;
}

Value NegativeShift(std::string_view name, int64_t n) {
  return Err(ErrorCode::kInvalidArgument, std::string(name) + "(): negative offset " + std::to_string(n));
}

}  // namespace

Value CallMathFn(Fn fn, const Value* args, size_t nargs) {
  const Value& a = args[0];
  switch (fn) {
    // ---- round, abs ----
    case Fn::round_decimal: {
      if (!ValidDecimal(a)) return MalformedDecimal();
      int64_t places = std::max<int64_t>(args[1].int_value(), -40);  // beyond 10^19 every decimal rounds to 0
      if (places >= static_cast<int64_t>(a.scale())) return a;
      int64_t c;
      uint32_t s;
      if (!RoundDecimal(a.coefficient(), a.scale(), places, &c, &s))
        return Err(ErrorCode::kOverflow, "round: decimal overflow");
      return Value::Decimal(c, s);
    }
    case Fn::round_double: {
      double d = a.double_value();
      if (!std::isfinite(d) || d == 0) return a;
      DecimalDigits dd = ShortestDigits(d);
      if (!RoundDigits(&dd, std::clamp<int64_t>(args[1].int_value(), -400, 400))) return Value::Double(0.0);
      std::string text = dd.digits + "e" + std::to_string(dd.exp10 - static_cast<int>(dd.digits.size()) + 1);
      double r = 0;
      auto res = std::from_chars(text.data(), text.data() + text.size(), r);
      if (res.ec != std::errc()) return Err(ErrorCode::kOverflow, "round: double overflow");
      return Value::Double(dd.neg ? -r : r);
    }
    case Fn::abs_int:
      if (a.int_value() == INT64_MIN) return Err(ErrorCode::kOverflow, "abs: int overflow");
      return a.int_value() < 0 ? Value::Int(-a.int_value()) : a;
    case Fn::abs_double:
      return Value::Double(std::fabs(a.double_value()));
    case Fn::abs_decimal:
      if (!ValidDecimal(a)) return MalformedDecimal();
      if (a.coefficient() == INT64_MIN) return Err(ErrorCode::kOverflow, "abs: decimal overflow");
      return a.coefficient() < 0 ? Value::Decimal(-a.coefficient(), a.scale()) : a;

    // ---- math extension ----
    case Fn::math_greatest_int:
    case Fn::math_greatest_uint:
    case Fn::math_greatest_double:
    case Fn::math_least_int:
    case Fn::math_least_uint:
    case Fn::math_least_double:
      return a;
    case Fn::math_greatest_list:
      return Extreme("math.greatest", a, true);
    case Fn::math_least_list:
      return Extreme("math.least", a, false);
    case Fn::math_ceil:
      return Value::Double(std::ceil(a.double_value()));
    case Fn::math_floor:
      return Value::Double(std::floor(a.double_value()));
    case Fn::math_round:
      return Value::Double(std::round(a.double_value()));
    case Fn::math_trunc:
      return Value::Double(std::trunc(a.double_value()));
    case Fn::math_abs_int:
      if (a.int_value() == INT64_MIN) return Err(ErrorCode::kOverflow, "math.abs(): int overflow");
      return a.int_value() < 0 ? Value::Int(-a.int_value()) : a;
    case Fn::math_abs_uint:
      return a;
    case Fn::math_abs_double:
      return Value::Double(std::fabs(a.double_value()));
    case Fn::math_sign_int:
      return Value::Int((a.int_value() > 0) - (a.int_value() < 0));
    case Fn::math_sign_uint:
      return Value::Uint(a.uint_value() > 0 ? 1 : 0);
    case Fn::math_sign_double: {
      double d = a.double_value();
      return d > 0 ? Value::Double(1.0) : d < 0 ? Value::Double(-1.0) : a;  // 0.0, -0.0 and NaN as they are
    }
    case Fn::math_is_nan:
      return Value::Bool(std::isnan(a.double_value()));
    case Fn::math_is_inf:
      return Value::Bool(std::isinf(a.double_value()));
    case Fn::math_is_finite:
      return Value::Bool(std::isfinite(a.double_value()));
    case Fn::math_sqrt_double:
      return Value::Double(std::sqrt(a.double_value()));
    case Fn::math_sqrt_int:
      return Value::Double(std::sqrt(static_cast<double>(a.int_value())));
    case Fn::math_sqrt_uint:
      return Value::Double(std::sqrt(static_cast<double>(a.uint_value())));
    case Fn::math_bit_and_int:
      return Value::Int(a.int_value() & args[1].int_value());
    case Fn::math_bit_and_uint:
      return Value::Uint(a.uint_value() & args[1].uint_value());
    case Fn::math_bit_or_int:
      return Value::Int(a.int_value() | args[1].int_value());
    case Fn::math_bit_or_uint:
      return Value::Uint(a.uint_value() | args[1].uint_value());
    case Fn::math_bit_xor_int:
      return Value::Int(a.int_value() ^ args[1].int_value());
    case Fn::math_bit_xor_uint:
      return Value::Uint(a.uint_value() ^ args[1].uint_value());
    case Fn::math_bit_not_int:
      return Value::Int(~a.int_value());
    case Fn::math_bit_not_uint:
      return Value::Uint(~a.uint_value());
    case Fn::math_shl_int:
    case Fn::math_shl_uint:
    case Fn::math_shr_int:
    case Fn::math_shr_uint: {
      bool left = fn == Fn::math_shl_int || fn == Fn::math_shl_uint;
      int64_t n = args[1].int_value();
      if (n < 0) return NegativeShift(left ? "math.bitShiftLeft" : "math.bitShiftRight", n);
      // Bits as unsigned: a right shift fills with zeros, as cel-go's.
      uint64_t bits = a.is(Kind::kInt) ? static_cast<uint64_t>(a.int_value()) : a.uint_value();
      uint64_t r = n >= 64 ? 0 : left ? bits << n : bits >> n;
      return a.is(Kind::kInt) ? Value::Int(static_cast<int64_t>(r)) : Value::Uint(r);
    }

    default:
      return NotInFamily();  // not a math function
  }
}

}  // namespace accord::rt::detail
