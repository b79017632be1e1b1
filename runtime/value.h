// Runtime values: CEL's value model (cel-spec doc/langdef.md) plus Accord's
// `date` and `decimal`. A Value is 16 bytes: a kind tag, a 32-bit side field
// and an 8-byte payload. Scalars are unboxed; strings, bytes, lists, maps and
// errors point at reference-counted heap objects. A string may also *borrow*
// bytes it does not own (a decoded record field): such values are valid only
// while the record is, which is how records are evaluated without copying.
//
// Reference counts are not atomic: a Value graph belongs to one thread. The
// JIT reads the layout below directly (kind at offset 0, aux at 4, payload
// at 8); do not reorder it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/time.h"

namespace accord::rt {

// An X-macro list keeps its hand layout.
// clang-format off
#define ACCORD_VALUE_KINDS(X)                                                                   \
  X(Null, "null_type") X(Bool, "bool") X(Int, "int") X(Uint, "uint") X(Double, "double")       \
  X(String, "string") X(Bytes, "bytes") X(List, "list") X(Map, "map")                          \
  X(Timestamp, "google.protobuf.Timestamp") X(Duration, "google.protobuf.Duration")            \
  X(Date, "date") X(Decimal, "decimal") X(Type, "type") X(Error, "error")
// clang-format on

enum class Kind : uint8_t {
#define X(name, text) k##name,
  ACCORD_VALUE_KINDS(X)
#undef X
};
// The CEL type name of a kind, as `type(x)` prints it.
std::string_view KindTypeName(Kind k);

// Error codes: what CEL defines (overflow, division by zero, no matching
// overload, index out of range, ...). The text of an error is free-form.
// An X-macro list keeps its hand layout.
// clang-format off
#define ACCORD_ERROR_CODES(X)                                                                  \
  X(NoOverload, "no_matching_overload") X(Overflow, "overflow") X(DivideByZero, "divide_by_zero") \
  X(ModulusByZero, "modulus_by_zero") X(IndexOutOfRange, "index_out_of_range")                \
  X(NoSuchKey, "no_such_key") X(NoSuchField, "no_such_field") X(InvalidArgument, "invalid_argument") \
  X(Range, "range") X(Conversion, "conversion") X(Rejected, "rejected") X(Internal, "internal")
// clang-format on

enum class ErrorCode : uint8_t {
#define X(name, text) k##name,
  ACCORD_ERROR_CODES(X)
#undef X
};
std::string_view ErrorCodeName(ErrorCode c);

struct HeapObject {
  uint32_t refs = 1;
  Kind kind;
  explicit HeapObject(Kind k) : kind(k) {}
};

class Value;
struct StringObj : HeapObject {
  std::string data;
  StringObj(Kind k, std::string_view s) : HeapObject(k), data(s) {}
};
struct ListObj;
struct MapObj;
struct ErrorObj;

// Source location of the rule that produced an error: "file:line:col".
struct Location {
  const char* file = nullptr;  // owned by the compiled program
  uint32_t line = 0, col = 0;
};

class Value {
 public:
  Value() noexcept { raw_.kind = Kind::kNull; }
  ~Value() { Release(); }
  Value(const Value& o) noexcept : raw_(o.raw_) { Retain(); }
  Value(Value&& o) noexcept : raw_(o.raw_) {
    o.raw_.kind = Kind::kNull;
    o.raw_.flags = 0;
  }
  Value& operator=(const Value& o) noexcept {
    if (this != &o) {
      o.Retain();
      Release();
      raw_ = o.raw_;
    }
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      Release();
      raw_ = o.raw_;
      o.raw_.kind = Kind::kNull;
      o.raw_.flags = 0;
    }
    return *this;
  }

  // ---- constructors ----
  static Value Null() { return Value(); }
  static Value Bool(bool b) {
    Value v;
    v.raw_.kind = Kind::kBool;
    v.raw_.u.b = b;
    return v;
  }
  static Value Int(int64_t i) {
    Value v;
    v.raw_.kind = Kind::kInt;
    v.raw_.u.i = i;
    return v;
  }
  static Value Uint(uint64_t u) {
    Value v;
    v.raw_.kind = Kind::kUint;
    v.raw_.u.u = u;
    return v;
  }
  static Value Double(double d) {
    Value v;
    v.raw_.kind = Kind::kDouble;
    v.raw_.u.d = d;
    return v;
  }
  static Value String(std::string_view s);
  static Value Bytes(std::string_view s);
  // Borrows `s`: the caller keeps the bytes alive while the value is used.
  static Value StringView(std::string_view s) { return View(Kind::kString, s); }
  static Value BytesView(std::string_view s) { return View(Kind::kBytes, s); }
  // Makes this value what StringView(s) returns, written in place: no temporary whose 16 bytes
  // are reloaded right after being stored in pieces (the record decoder's hot path).
  void SetStringView(std::string_view s) {
    if (s.size() > UINT32_MAX) {
      *this = String(s);
      return;
    }
    Release();
    raw_.kind = Kind::kString;
    raw_.flags = kBorrowed;
    raw_.aux = static_cast<uint32_t>(s.size());
    raw_.u.chars = s.data();
  }
  static Value List(std::vector<Value> elems);
  static Value Map(std::vector<std::pair<Value, Value>> entries);  // caller guarantees unique keys
  // seconds since the epoch + nanos in [0, 1e9)
  static Value Timestamp(int64_t seconds, int32_t nanos) { return Secs(Kind::kTimestamp, seconds, nanos); }
  // seconds + nanos with the same sign
  static Value Duration(int64_t seconds, int32_t nanos) { return Secs(Kind::kDuration, seconds, nanos); }
  static Value Date(int64_t days_since_epoch) {
    Value v;
    v.raw_.kind = Kind::kDate;
    v.raw_.u.i = days_since_epoch;
    return v;
  }
  // coefficient * 10^-scale, scale in [0, 18]
  static Value Decimal(int64_t coefficient, uint32_t scale) {
    Value v;
    v.raw_.kind = Kind::kDecimal;
    v.raw_.u.i = coefficient;
    v.raw_.aux = scale;
    return v;
  }
  // A type value; `name` must be a string literal or otherwise outlive the value.
  static Value Type(const char* name) {
    Value v;
    v.raw_.kind = Kind::kType;
    v.raw_.u.name = name;
    return v;
  }
  static Value Error(ErrorCode code, std::string message, Location where = {});

  // ---- accessors ----
  Kind kind() const { return raw_.kind; }
  bool is(Kind k) const { return raw_.kind == k; }
  bool is_error() const { return raw_.kind == Kind::kError; }
  bool bool_value() const { return raw_.u.b; }
  int64_t int_value() const { return raw_.u.i; }
  uint64_t uint_value() const { return raw_.u.u; }
  double double_value() const { return raw_.u.d; }
  std::string_view str() const {  // string or bytes
    if (raw_.flags & kBorrowed) return {raw_.u.chars, raw_.aux};
    return static_cast<const StringObj*>(raw_.u.obj)->data;
  }
  const std::vector<Value>& list() const;
  const std::vector<std::pair<Value, Value>>& map() const;
  int64_t seconds() const { return raw_.u.i; }
  int32_t nanos() const { return static_cast<int32_t>(raw_.aux); }
  int64_t days() const { return raw_.u.i; }
  int64_t coefficient() const { return raw_.u.i; }
  uint32_t scale() const { return raw_.aux; }
  const char* type_name() const { return raw_.u.name; }
  ErrorCode error_code() const;
  const std::string& error_message() const;
  Location error_location() const;
  // Appends to a list value in place (copy-on-write when shared).
  static void Append(Value* list, Value elem);
  // Returns a copy of this error with a location, unless it already has one.
  Value WithLocation(Location where) const;

  // A human-readable rendering for `accord eval` and test failures (CEL-like
  // literal syntax: "a", 1, 1u, 1.0, b"..", [..], {..}, timestamp("...")).
  std::string DebugString() const;

  // Raw layout (the JIT reads these offsets).
  struct Raw {
    Kind kind;
    uint8_t flags;  // kBorrowed or kHeap (one test tells whether a value owns a reference)
    uint16_t pad;
    uint32_t aux;  // nanos, decimal scale, borrowed length
    union {
      bool b;
      int64_t i;
      uint64_t u;
      double d;
      const char* name;
      const char* chars;
      HeapObject* obj;
    } u;
  };
  static constexpr uint8_t kBorrowed = 1;  // a string/bytes view of bytes it does not own
  static constexpr uint8_t kHeap = 2;      // payload is a reference-counted HeapObject
  const Raw& raw() const { return raw_; }

 private:
  static Value View(Kind k, std::string_view s) {
    if (s.size() > UINT32_MAX) return k == Kind::kString ? String(s) : Bytes(s);
    Value v;
    v.raw_.kind = k;
    v.raw_.flags = kBorrowed;
    v.raw_.aux = static_cast<uint32_t>(s.size());
    v.raw_.u.chars = s.data();
    return v;
  }
  static Value Secs(Kind k, int64_t s, int32_t n) {
    Value v;
    v.raw_.kind = k;
    v.raw_.u.i = s;
    v.raw_.aux = static_cast<uint32_t>(n);
    return v;
  }
  bool heap() const { return raw_.flags & kHeap; }
  void Retain() const {
    if (heap()) ++raw_.u.obj->refs;
  }
  void Release() {
    if (heap() && --raw_.u.obj->refs == 0) Free(raw_.u.obj);
  }
  static void Free(HeapObject* o);

  Raw raw_{};
  friend struct ValueAccess;
};
static_assert(sizeof(Value) == 16, "the JIT relies on a 16-byte Value");

// ---- semantics shared by the interpreter, the JIT's helpers and the stdlib ----

// CEL equality: heterogeneous across int/uint/double (1 == 1u == 1.0), deep
// on lists and maps, false across other kinds. Errors are not handled here.
bool Equal(const Value& a, const Value& b);
// CEL ordering for <, <=, >, >=: -1/0/1, or 2 when the pair is unordered
// (different non-numeric kinds, NaN).
int Compare(const Value& a, const Value& b);
// Hash consistent with Equal (used for map keys and CSE of constants).
size_t Hash(const Value& v);
// Map lookup with CEL key semantics (numeric keys compare by value). Null when absent.
const Value* MapFind(const Value& map, const Value& key);
// isBlank: null, "" or white space only, an empty list or map.
bool IsBlank(const Value& v);

// Time helpers.
bool ParseTimestamp(std::string_view text, int64_t* seconds, int32_t* nanos);  // RFC 3339, +0000 offsets
std::string FormatTimestamp(int64_t seconds, int32_t nanos);                   // RFC 3339 UTC
bool ParseDuration(std::string_view text, int64_t* seconds, int32_t* nanos);   // 1h30m, 1.5s, -2m
std::string FormatDuration(int64_t seconds, int32_t nanos);                    // "90s", "1.5s"
bool ParseDate(std::string_view text, int64_t* days);
std::string FormatDate(int64_t days);
using base::CivilFromDays;  // civil dates <-> days since the epoch (base/time.h)
using base::DaysFromCivil;
// CEL's valid timestamp range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
// CEL's duration range: +-10000 years in seconds.
constexpr int64_t kMaxDurationSeconds = 315576000000;

// Decimal helpers (exact; error on overflow of the 64-bit coefficient).
bool ParseDecimal(std::string_view text, int64_t* coefficient, uint32_t* scale);
std::string FormatDecimal(int64_t coefficient, uint32_t scale);
// Doubles as CEL prints them in string(double): shortest round-trip text.
std::string FormatDouble(double d);

}  // namespace accord::rt
