#include "compiler/ir/interp.h"

#include <cmath>
#include <limits>

#include "compiler/sema/stdlib_decls.h"

namespace accord::ir {

using rt::ErrorCode;
using rt::Kind;
using rt::Value;

namespace {

Value Err(const Program& p, const Instr& ins, ErrorCode code, std::string msg) {
  return Value::Error(code, std::move(msg), p.locs[ins.loc]);
}

Value NoOverload(const Program& p, const Instr& ins, std::string_view op, const Value& a, const Value* b = nullptr) {
  std::string msg =
      "no matching overload for '" + std::string(op) + "' applied to (" + std::string(rt::KindTypeName(a.kind()));
  if (b) msg += ", " + std::string(rt::KindTypeName(b->kind()));
  return Err(p, ins, ErrorCode::kNoOverload, msg + ")");
}

bool IsNumber(Kind k) { return k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble || k == Kind::kDecimal; }

// ---- decimal arithmetic (exact, 64-bit coefficient, scale <= 18) ----
constexpr __int128 kPow10[] = {1LL,
                               10LL,
                               100LL,
                               1000LL,
                               10000LL,
                               100000LL,
                               1000000LL,
                               10000000LL,
                               100000000LL,
                               1000000000LL,
                               10000000000LL,
                               100000000000LL,
                               1000000000000LL,
                               10000000000000LL,
                               100000000000000LL,
                               1000000000000000LL,
                               10000000000000000LL,
                               100000000000000000LL,
                               1000000000000000000LL};

bool AsDecimal(const Value& v, __int128* c, uint32_t* s) {
  if (v.is(Kind::kDecimal)) {
    *c = v.coefficient();
    *s = v.scale();
    return true;
  }
  if (v.is(Kind::kInt)) {
    *c = v.int_value();
    *s = 0;
    return true;
  }
  if (v.is(Kind::kUint)) {
    *c = v.uint_value();
    *s = 0;
    return true;
  }
  return false;
}

// Rounds c * 10^-s to at most `max_scale` places (half away from zero) and
// drops the value into a Value, or returns false on overflow.
bool MakeDecimal(__int128 c, uint32_t s, Value* out, uint32_t max_scale = 18) {
  while (s > max_scale) {
    __int128 q = c / 10, r = c % 10;
    if (r >= 5) ++q;
    if (r <= -5) --q;
    c = q;
    --s;
  }
  if (c > INT64_MAX || c < INT64_MIN) return false;
  *out = Value::Decimal(static_cast<int64_t>(c), s);
  return true;
}

Value DecimalArith(const Program& p, const Instr& ins, const Value& a, const Value& b) {
  __int128 x, y;
  uint32_t sx, sy;
  AsDecimal(a, &x, &sx);
  AsDecimal(b, &y, &sy);
  Value out;
  auto overflow = [&] { return Err(p, ins, ErrorCode::kOverflow, "decimal overflow"); };
  switch (ins.op) {
    case Op::kAdd:
    case Op::kSub: {
      uint32_t s = std::max(sx, sy);
      x *= kPow10[s - sx];
      y *= kPow10[s - sy];
      return MakeDecimal(ins.op == Op::kAdd ? x + y : x - y, s, &out) ? out : overflow();
    }
    case Op::kMul: {
      __int128 r = x * y;  // |x|,|y| < 2^63: fits
      return MakeDecimal(r, sx + sy, &out) ? out : overflow();
    }
    case Op::kDiv: {
      if (y == 0) return Err(p, ins, ErrorCode::kDivideByZero, "division by zero");
      // result scale: max(sx, sy, 6) digits, rounded half away from zero
      uint32_t s = std::max<uint32_t>({sx, sy, 6});
      // x/10^sx / (y/10^sy) = x * 10^(sy + s - sx) / y  * 10^-s
      int shift = static_cast<int>(sy + s) - static_cast<int>(sx);
      __int128 num = x;
      for (int i = 0; i < shift; ++i) {
        num *= 10;
        if (num > ((__int128)1 << 120) || num < -((__int128)1 << 120)) return overflow();
      }
      __int128 q = num / y, r = num % y;
      if (r != 0 && (r < 0 ? -r : r) * 2 >= (y < 0 ? -y : y)) q += ((num < 0) != (y < 0)) ? -1 : 1;
      // trim trailing zeros beyond the operands' scale
      while (s > std::max(sx, sy) && q % 10 == 0) {
        q /= 10;
        --s;
      }
      return MakeDecimal(q, s, &out) ? out : overflow();
    }
    default:
      return NoOverload(p, ins, OpName(ins.op), a, &b);
  }
}

bool TsInRange(int64_t s) { return s >= rt::kMinTimestampSeconds && s <= rt::kMaxTimestampSeconds; }

Value MakeTs(const Program& p, const Instr& ins, __int128 s, __int128 n) {
  while (n < 0) {
    n += 1000000000;
    --s;
  }
  while (n >= 1000000000) {
    n -= 1000000000;
    ++s;
  }
  if (s < rt::kMinTimestampSeconds || s > rt::kMaxTimestampSeconds)
    return Err(p, ins, ErrorCode::kRange, "timestamp out of range");
  return Value::Timestamp(static_cast<int64_t>(s), static_cast<int32_t>(n));
}
Value MakeDur(const Program& p, const Instr& ins, __int128 s, __int128 n) {
  __int128 total = s * 1000000000 + n;
  __int128 lim = (__int128)rt::kMaxDurationSeconds * 1000000000;
  if (total > lim || total < -lim) return Err(p, ins, ErrorCode::kRange, "duration out of range");
  return Value::Duration(static_cast<int64_t>(total / 1000000000), static_cast<int32_t>(total % 1000000000));
}

Value Arith(const Program& p, const Instr& ins, const Value& a, const Value& b) {
  Kind ka = a.kind(), kb = b.kind();
  Op op = ins.op;
  if (ka == Kind::kInt && kb == Kind::kInt) {
    int64_t x = a.int_value(), y = b.int_value(), r;
    switch (op) {
      case Op::kAdd:
        if (__builtin_add_overflow(x, y, &r)) return Err(p, ins, ErrorCode::kOverflow, "integer overflow in +");
        return Value::Int(r);
      case Op::kSub:
        if (__builtin_sub_overflow(x, y, &r)) return Err(p, ins, ErrorCode::kOverflow, "integer overflow in -");
        return Value::Int(r);
      case Op::kMul:
        if (__builtin_mul_overflow(x, y, &r)) return Err(p, ins, ErrorCode::kOverflow, "integer overflow in *");
        return Value::Int(r);
      case Op::kDiv:
        if (y == 0) return Err(p, ins, ErrorCode::kDivideByZero, "division by zero");
        if (x == INT64_MIN && y == -1) return Err(p, ins, ErrorCode::kOverflow, "integer overflow in /");
        return Value::Int(x / y);
      case Op::kMod:
        if (y == 0) return Err(p, ins, ErrorCode::kModulusByZero, "modulus by zero");
        if (x == INT64_MIN && y == -1) return Err(p, ins, ErrorCode::kOverflow, "integer overflow in %");
        return Value::Int(x % y);
      default:
        break;
    }
  } else if (ka == Kind::kUint && kb == Kind::kUint) {
    uint64_t x = a.uint_value(), y = b.uint_value(), r;
    switch (op) {
      case Op::kAdd:
        if (__builtin_add_overflow(x, y, &r)) return Err(p, ins, ErrorCode::kOverflow, "unsigned overflow in +");
        return Value::Uint(r);
      case Op::kSub:
        if (__builtin_sub_overflow(x, y, &r)) return Err(p, ins, ErrorCode::kOverflow, "unsigned overflow in -");
        return Value::Uint(r);
      case Op::kMul:
        if (__builtin_mul_overflow(x, y, &r)) return Err(p, ins, ErrorCode::kOverflow, "unsigned overflow in *");
        return Value::Uint(r);
      case Op::kDiv:
        if (y == 0) return Err(p, ins, ErrorCode::kDivideByZero, "division by zero");
        return Value::Uint(x / y);
      case Op::kMod:
        if (y == 0) return Err(p, ins, ErrorCode::kModulusByZero, "modulus by zero");
        return Value::Uint(x % y);
      default:
        break;
    }
  } else if (ka == Kind::kDouble && kb == Kind::kDouble) {
    double x = a.double_value(), y = b.double_value();
    switch (op) {
      case Op::kAdd:
        return Value::Double(x + y);
      case Op::kSub:
        return Value::Double(x - y);
      case Op::kMul:
        return Value::Double(x * y);
      case Op::kDiv:
        return Value::Double(x / y);
      default:
        break;
    }
  } else if ((ka == Kind::kDecimal && (kb == Kind::kDecimal || kb == Kind::kInt || kb == Kind::kUint)) ||
             (kb == Kind::kDecimal && (ka == Kind::kInt || ka == Kind::kUint))) {
    if (op != Op::kMod) return DecimalArith(p, ins, a, b);
  } else if (op == Op::kAdd && ka == kb && (ka == Kind::kString || ka == Kind::kBytes)) {
    std::string s;
    s.reserve(a.str().size() + b.str().size());
    s.append(a.str()).append(b.str());
    return ka == Kind::kString ? Value::String(s) : Value::Bytes(s);
  } else if (op == Op::kAdd && ka == Kind::kList && kb == Kind::kList) {
    if (b.list().empty()) return a;
    if (a.list().empty()) return b;
    std::vector<Value> v = a.list();
    v.insert(v.end(), b.list().begin(), b.list().end());
    return Value::List(std::move(v));
  } else if (ka == Kind::kTimestamp && kb == Kind::kDuration && (op == Op::kAdd || op == Op::kSub)) {
    __int128 s = a.seconds(), n = a.nanos();
    if (op == Op::kAdd) {
      s += b.seconds();
      n += b.nanos();
    } else {
      s -= b.seconds();
      n -= b.nanos();
    }
    return MakeTs(p, ins, s, n);
  } else if (ka == Kind::kDuration && kb == Kind::kTimestamp && op == Op::kAdd) {
    return MakeTs(p, ins, (__int128)a.seconds() + b.seconds(), (__int128)a.nanos() + b.nanos());
  } else if (ka == Kind::kDuration && kb == Kind::kDuration && (op == Op::kAdd || op == Op::kSub)) {
    __int128 s = a.seconds(), n = a.nanos();
    if (op == Op::kAdd) {
      s += b.seconds();
      n += b.nanos();
    } else {
      s -= b.seconds();
      n -= b.nanos();
    }
    return MakeDur(p, ins, s, n);
  } else if (ka == Kind::kTimestamp && kb == Kind::kTimestamp && op == Op::kSub) {
    // as cel-go: the difference must fit a 64-bit count of nanoseconds
    __int128 ns = ((__int128)a.seconds() - b.seconds()) * 1000000000 + ((__int128)a.nanos() - b.nanos());
    if (ns > INT64_MAX || ns < INT64_MIN) return Err(p, ins, ErrorCode::kRange, "duration out of range");
    return MakeDur(p, ins, 0, ns);
  } else if (ka == Kind::kDate && kb == Kind::kDate && op == Op::kSub) {
    return Value::Duration((a.days() - b.days()) * 86400, 0);
  }
  return NoOverload(p, ins, OpName(op), a, &b);
}

Value Index(const Program& p, const Instr& ins, const Value& c, const Value& i) {
  if (c.is(Kind::kList)) {
    int64_t idx;
    if (i.is(Kind::kInt))
      idx = i.int_value();
    else if (i.is(Kind::kUint))
      idx = i.uint_value() > INT64_MAX ? -1 : static_cast<int64_t>(i.uint_value());
    else if (i.is(Kind::kDouble) && std::trunc(i.double_value()) == i.double_value() &&
             std::abs(i.double_value()) < 9.2e18)
      idx = static_cast<int64_t>(i.double_value());
    else
      return NoOverload(p, ins, "_[_]", c, &i);
    if (idx < 0 || static_cast<uint64_t>(idx) >= c.list().size())
      return Err(p, ins, ErrorCode::kIndexOutOfRange,
                 "index out of range: " + std::to_string(idx) + " (size " + std::to_string(c.list().size()) + ")");
    return c.list()[idx];
  }
  if (c.is(Kind::kMap)) {
    if (!(i.is(Kind::kString) || i.is(Kind::kInt) || i.is(Kind::kUint) || i.is(Kind::kBool) || i.is(Kind::kDouble)))
      return NoOverload(p, ins, "_[_]", c, &i);
    if (const Value* v = rt::MapFind(c, i)) return *v;
    return Err(p, ins, ErrorCode::kNoSuchKey, "no such key: " + i.DebugString());
  }
  return NoOverload(p, ins, "_[_]", c, &i);
}

Value MakeMap(const Program& p, const Instr& ins, const Value* kv, size_t pairs) {
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(pairs);
  for (size_t i = 0; i < pairs; ++i) {
    const Value& k = kv[2 * i];
    const Value& v = kv[2 * i + 1];
    if (k.is_error()) return k;
    if (v.is_error()) return v;
    if (!(k.is(Kind::kString) || k.is(Kind::kInt) || k.is(Kind::kUint) || k.is(Kind::kBool)))
      return Err(p, ins, ErrorCode::kInvalidArgument,
                 "unsupported key type: " + std::string(rt::KindTypeName(k.kind())));
    for (const auto& e : entries)
      if (rt::Equal(e.first, k))
        return Err(p, ins, ErrorCode::kInvalidArgument, "Failed with repeated key: " + k.DebugString());
    Value kk = k, vv = v;
    // map literals outlive borrowed record bytes only inside one evaluation: keep views
    entries.emplace_back(std::move(kk), std::move(vv));
  }
  return Value::Map(std::move(entries));
}

bool KindMatches(const sema::Type& t, const Value& v) {
  using sema::TypeKind;
  switch (t.kind) {
    case TypeKind::kDyn:
    case TypeKind::kParam:
      return true;
    case TypeKind::kNull:
      return v.is(Kind::kNull);
    case TypeKind::kBool:
      return v.is(Kind::kBool);
    case TypeKind::kInt:
      return v.is(Kind::kInt);
    case TypeKind::kUint:
      return v.is(Kind::kUint);
    case TypeKind::kDouble:
      return v.is(Kind::kDouble);
    case TypeKind::kString:
      return v.is(Kind::kString);
    case TypeKind::kBytes:
      return v.is(Kind::kBytes);
    case TypeKind::kList:
      return v.is(Kind::kList);
    case TypeKind::kMap:
      return v.is(Kind::kMap);
    case TypeKind::kTimestamp:
      return v.is(Kind::kTimestamp);
    case TypeKind::kDuration:
      return v.is(Kind::kDuration);
    case TypeKind::kDate:
      return v.is(Kind::kDate);
    case TypeKind::kDecimal:
      return v.is(Kind::kDecimal);
    case TypeKind::kTypeType:
      return v.is(Kind::kType);
    case TypeKind::kError:
      return false;
  }
  return false;
}

}  // namespace

Value CallByName(std::string_view name, bool receiver, const Value* args, size_t n) {
  auto cands = sema::FindOverloads(name, receiver);
  // Exact kind match first; then an overload whose parameters are generic.
  for (const sema::Overload* o : cands) {
    if (o->args.size() != n) continue;
    bool ok = true;
    for (size_t i = 0; i < n && ok; ++i) ok = KindMatches(o->args[i], args[i]);
    if (!ok) continue;
    rt::Fn fn = rt::FnFromId(o->id);
    if (fn == rt::Fn::kCount) break;
    return rt::CallFn(fn, args, n);
  }
  std::string kinds;
  for (size_t i = 0; i < n; ++i) kinds += (i ? ", " : "") + std::string(rt::KindTypeName(args[i].kind()));
  if (cands.empty()) return Value::Error(ErrorCode::kNoOverload, "unknown function '" + std::string(name) + "'");
  return Value::Error(ErrorCode::kNoOverload,
                      "no matching overload for '" + std::string(name) + "' applied to (" + kinds + ")");
}

bool IsControl(Op op) {
  switch (op) {
    case Op::kJump:
    case Op::kJumpIfTrue:
    case Op::kJumpIfFalse:
    case Op::kJumpIfBlank:
    case Op::kCondBr:
    case Op::kAndShort:
    case Op::kOrShort:
    case Op::kIterInit:
    case Op::kIterNext:
    case Op::kIsError:
    case Op::kReturn:
      return true;
    default:
      return false;
  }
}

void ExecOp(const Program& p, const Instr& ins, Value* r, const Inputs& in) {
  Value& dst = r[ins.dst];
  switch (ins.op) {
    case Op::kConst:
      dst = p.consts[ins.a];
      return;
    case Op::kLoadField:
      dst = in.records[ins.b][ins.a];
      return;
    case Op::kMove:
      dst = r[ins.a];
      return;
    case Op::kAndJoin:
    case Op::kOrJoin: {
      const Value& a = r[ins.a];
      const Value& b = r[ins.b];
      bool is_and = ins.op == Op::kAndJoin;
      // the absorbing value wins whatever the other side is
      if ((a.is(Kind::kBool) && a.bool_value() != is_and) || (b.is(Kind::kBool) && b.bool_value() != is_and)) {
        dst = Value::Bool(!is_and);
        return;
      }
      if (a.is(Kind::kBool) && b.is(Kind::kBool)) {
        dst = Value::Bool(is_and);
        return;
      }
      if (a.is_error()) {
        dst = a;
        return;
      }
      if (b.is_error()) {
        dst = b;
        return;
      }
      dst = NoOverload(p, ins, is_and ? "_&&_" : "_||_", a.is(Kind::kBool) ? b : a);
      return;
    }
    case Op::kNot: {
      const Value& a = r[ins.a];
      if (a.is(Kind::kBool))
        dst = Value::Bool(!a.bool_value());
      else if (a.is_error())
        dst = a;
      else
        dst = NoOverload(p, ins, "!_", a);
      return;
    }
    case Op::kNeg: {
      const Value& a = r[ins.a];
      switch (a.kind()) {
        case Kind::kInt:
          if (a.int_value() == INT64_MIN)
            dst = Err(p, ins, ErrorCode::kOverflow, "integer overflow in unary -");
          else
            dst = Value::Int(-a.int_value());
          return;
        case Kind::kDouble:
          dst = Value::Double(-a.double_value());
          return;
        case Kind::kDecimal:
          if (a.coefficient() == INT64_MIN)
            dst = Err(p, ins, ErrorCode::kOverflow, "decimal overflow");
          else
            dst = Value::Decimal(-a.coefficient(), a.scale());
          return;
        case Kind::kError:
          dst = a;
          return;
        default:
          dst = NoOverload(p, ins, "-_", a);
          return;
      }
    }
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
    case Op::kMod: {
      const Value& a = r[ins.a];
      const Value& b = r[ins.b];
      if (a.is_error()) {
        dst = a;
        return;
      }
      if (b.is_error()) {
        dst = b;
        return;
      }
      dst = Arith(p, ins, a, b);
      return;
    }
    case Op::kEq:
    case Op::kNe: {
      const Value& a = r[ins.a];
      const Value& b = r[ins.b];
      if (a.is_error()) {
        dst = a;
        return;
      }
      if (b.is_error()) {
        dst = b;
        return;
      }
      bool eq = rt::Equal(a, b);
      dst = Value::Bool(ins.op == Op::kEq ? eq : !eq);
      return;
    }
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      const Value& a = r[ins.a];
      const Value& b = r[ins.b];
      if (a.is_error()) {
        dst = a;
        return;
      }
      if (b.is_error()) {
        dst = b;
        return;
      }
      int c = rt::Compare(a, b);
      if (c == 2) {
        bool nan = (a.is(Kind::kDouble) && std::isnan(a.double_value())) ||
                   (b.is(Kind::kDouble) && std::isnan(b.double_value()));
        if (nan && IsNumber(a.kind()) && IsNumber(b.kind())) {
          dst = Value::Bool(false);
          return;
        }
        dst = NoOverload(p, ins, OpName(ins.op), a, &b);
        return;
      }
      bool res = ins.op == Op::kLt ? c < 0 : ins.op == Op::kLe ? c <= 0 : ins.op == Op::kGt ? c > 0 : c >= 0;
      dst = Value::Bool(res);
      return;
    }
    case Op::kIn: {
      const Value& a = r[ins.a];
      const Value& b = r[ins.b];
      if (a.is_error()) {
        dst = a;
        return;
      }
      if (b.is_error()) {
        dst = b;
        return;
      }
      if (b.is(Kind::kList)) {
        for (const Value& e : b.list())
          if (rt::Equal(a, e)) {
            dst = Value::Bool(true);
            return;
          }
        dst = Value::Bool(false);
      } else if (b.is(Kind::kMap)) {
        dst = Value::Bool(rt::MapFind(b, a) != nullptr);
      } else {
        dst = NoOverload(p, ins, "@in", a, &b);
      }
      return;
    }
    case Op::kIndex: {
      const Value& a = r[ins.a];
      const Value& b = r[ins.b];
      if (a.is_error()) {
        dst = a;
        return;
      }
      if (b.is_error()) {
        dst = b;
        return;
      }
      Value v = Index(p, ins, a, b);
      dst = std::move(v);
      return;
    }
    case Op::kSelect:
    case Op::kHas: {
      const Value& a = r[ins.a];
      if (a.is_error()) {
        dst = a;
        return;
      }
      const std::string& key = p.names[ins.c];
      if (!a.is(Kind::kMap)) {
        dst = Err(p, ins, ErrorCode::kNoSuchField,
                  "type '" + std::string(rt::KindTypeName(a.kind())) + "' has no field '" + key + "'");
        return;
      }
      const Value* v = rt::MapFind(a, Value::StringView(key));
      if (ins.op == Op::kHas) {
        dst = Value::Bool(v != nullptr);
        return;
      }
      if (v) {
        Value tmp = *v;
        dst = std::move(tmp);
      } else
        dst = Err(p, ins, ErrorCode::kNoSuchKey, "no such key: " + key);
      return;
    }
    case Op::kMakeList: {
      std::vector<Value> v;
      v.reserve(ins.b);
      for (uint16_t i = 0; i < ins.b; ++i) {
        const Value& e = r[ins.a + i];
        if (e.is_error()) {
          dst = e;
          return;
        }
        v.push_back(e);
      }
      dst = Value::List(std::move(v));
      return;
    }
    case Op::kMakeMap: {
      Value m = MakeMap(p, ins, &r[ins.a], ins.b);
      dst = std::move(m);
      return;
    }
    case Op::kCall:
    case Op::kCallDyn: {
      for (uint16_t i = 0; i < ins.b; ++i)
        if (r[ins.a + i].is_error()) {
          Value e = r[ins.a + i];
          dst = std::move(e);
          return;
        }
      Value v = ins.op == Op::kCall ? rt::CallFn(static_cast<rt::Fn>(ins.c), &r[ins.a], ins.b)
                                    : CallByName(p.names[ins.c], ins.aux != 0, &r[ins.a], ins.b);
      if (v.is_error()) v = v.WithLocation(p.locs[ins.loc]);
      dst = std::move(v);
      return;
    }
    case Op::kListAppend:
      Value::Append(&dst, r[ins.a]);
      return;
    case Op::kIterVar: {
      const Value& a = r[ins.a];
      int64_t i = r[ins.b].is(Kind::kInt) ? r[ins.b].int_value() - 1 : -1;
      size_t n = a.is(Kind::kList) ? a.list().size() : a.is(Kind::kMap) ? a.map().size() : 0;
      if (i < 0 || static_cast<size_t>(i) >= n) {
        dst = Err(p, ins, ErrorCode::kInternal, "internal: iteration variable outside a loop");
        return;
      }
      Value v = a.is(Kind::kList) ? (ins.aux == 0 ? Value::Int(i) : a.list()[i])
                                  : (ins.aux == 0 ? a.map()[i].first : a.map()[i].second);
      dst = std::move(v);
      return;
    }
    case Op::kMapInsert:
    case Op::kMapMerge: {
      if (dst.is_error()) return;
      const Value& a = r[ins.a];
      if (a.is_error()) {
        Value e = a;
        dst = std::move(e);
        return;
      }
      if (ins.op == Op::kMapInsert && r[ins.b].is_error()) {
        Value e = r[ins.b];
        dst = std::move(e);
        return;
      }
      if (!dst.is(Kind::kMap)) {
        dst = Err(p, ins, ErrorCode::kInternal, "internal: map accumulator is not a map");
        return;
      }
      if (ins.op == Op::kMapMerge && !a.is(Kind::kMap)) {
        dst = NoOverload(p, ins, "transformMapEntry", a);
        return;
      }
      std::vector<std::pair<Value, Value>> entries = dst.map();
      auto add = [&](const Value& k, const Value& v) {
        if (!(k.is(Kind::kString) || k.is(Kind::kInt) || k.is(Kind::kUint) || k.is(Kind::kBool))) {
          dst = Err(p, ins, ErrorCode::kInvalidArgument,
                    "unsupported key type: " + std::string(rt::KindTypeName(k.kind())));
          return false;
        }
        if (rt::MapFind(dst, k)) {
          dst = Err(p, ins, ErrorCode::kInvalidArgument, "insert failed: key " + k.DebugString() + " already exists");
          return false;
        }
        entries.emplace_back(k, v);
        return true;
      };
      if (ins.op == Op::kMapInsert) {
        if (!add(a, r[ins.b])) return;
      } else {
        for (const auto& [k, v] : a.map())
          if (!add(k, v)) return;
      }
      dst = Value::Map(std::move(entries));
      return;
    }
    case Op::kCheckBool: {
      Value& a = r[ins.a];
      if (!a.is(Kind::kBool) && !a.is_error()) a = NoOverload(p, ins, "bool", a);
      return;
    }
    case Op::kTable: {
      const Value& a = r[ins.a];
      if (a.is_error()) {
        dst = a;
        return;
      }
      const ValueTable& t = *p.tables[ins.c];
      int k = t.Find(a);
      if (k >= 0) {
        dst = t.values[k];
        return;
      }
      switch (t.otherwise) {
        case ValueTable::Else::kKeep:
          dst = a;
          return;
        case ValueTable::Else::kValue:
          dst = t.else_value;
          return;
        case ValueTable::Else::kReject:
          dst = Err(p, ins, ErrorCode::kRejected, a.DebugString() + " has no entry in values table " + t.name);
          return;
      }
      return;
    }
    case Op::kStoreOut:
      in.out[ins.c] = r[ins.a];
      return;
    default:
      dst = Err(p, ins, ErrorCode::kInternal, "internal: control instruction in ExecOp");
      return;
  }
}

int Branch(const Program& p, const Instr& ins, Value* r, const Inputs& in) {
  const Value& a = r[ins.a];
  switch (ins.op) {
    case Op::kJump:
      return 1;
    case Op::kJumpIfTrue:
      return a.is(Kind::kBool) && a.bool_value() ? 1 : 0;
    case Op::kJumpIfFalse:
      return a.is(Kind::kBool) && !a.bool_value() ? 1 : 0;
    case Op::kJumpIfBlank:
      return rt::IsBlank(a) ? 1 : 0;
    case Op::kCondBr:
      if (a.is(Kind::kBool)) return a.bool_value() ? 0 : 1;
      if (a.is_error()) {
        Value e = a;
        r[ins.dst] = std::move(e);
      } else
        r[ins.dst] = NoOverload(p, ins, "_?_:_", a);
      return 2;
    case Op::kAndShort:
      if (a.is(Kind::kBool) && !a.bool_value()) {
        r[ins.dst] = Value::Bool(false);
        return 1;
      }
      return 0;
    case Op::kOrShort:
      if (a.is(Kind::kBool) && a.bool_value()) {
        r[ins.dst] = Value::Bool(true);
        return 1;
      }
      return 0;
    case Op::kIsError:
      if (a.is_error()) {
        Value e = a;
        r[ins.dst] = std::move(e);
        return 1;
      }
      return 0;
    case Op::kIterInit:
      if (a.is(Kind::kList) || a.is(Kind::kMap)) {
        r[ins.b] = Value::Int(0);
        return 0;
      }
      if (a.is_error()) {
        Value e = a;
        r[ins.dst] = std::move(e);
        return 1;
      }
      r[ins.dst] = NoOverload(p, ins, "comprehension range", a);
      return 1;
    case Op::kIterNext: {
      Value& idx = r[ins.b];
      int64_t i = idx.int_value();
      size_t n = a.is(Kind::kList) ? a.list().size() : a.map().size();
      if (static_cast<size_t>(i) >= n) return 1;
      Value e = a.is(Kind::kList) ? a.list()[i] : a.map()[i].first;
      r[ins.dst] = std::move(e);
      idx = Value::Int(i + 1);
      return 0;
    }
    default:
      return 0;
  }
}

Value Interpret(const Program& p, Frame& frame, const Inputs& in) {
  frame.Reset(p);
  Value* r = frame.regs.data();
  const Instr* code = p.code.data();
  uint32_t pc = 0;
  const uint32_t n = static_cast<uint32_t>(p.code.size());
  while (pc < n) {
    const Instr& ins = code[pc];
    switch (ins.op) {
      case Op::kReturn:
        return r[ins.a];
      case Op::kJump:
        pc = ins.c;
        continue;
      case Op::kJumpIfTrue:
      case Op::kJumpIfFalse:
      case Op::kJumpIfBlank:
      case Op::kCondBr:
      case Op::kAndShort:
      case Op::kOrShort:
      case Op::kIterInit:
      case Op::kIterNext:
      case Op::kIsError: {
        int s = Branch(p, ins, r, in);
        pc = s == 0 ? pc + 1 : s == 1 ? ins.c : ins.b;
        continue;
      }
      default:
        ExecOp(p, ins, r, in);
        ++pc;
    }
  }
  return Value::Error(ErrorCode::kInternal, "internal: program fell off its end");
}

}  // namespace accord::ir
