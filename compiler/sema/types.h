// CEL types as the checker sees them, plus Accord's extension types
// `date` and `decimal`. Schema fields are present-but-nullable: a field of
// type T may hold null, so `Field == null` type-checks for every field.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/schema/schema.h"

namespace accord::sema {

// An X-macro list keeps its hand layout.
// clang-format off
#define ACCORD_TYPE_KINDS(X)                                                                          \
  X(Dyn, "dyn") X(Null, "null") X(Bool, "bool") X(Int, "int") X(Uint, "uint") X(Double, "double")    \
  X(String, "string") X(Bytes, "bytes") X(List, "list") X(Map, "map") X(Timestamp, "timestamp")      \
  X(Duration, "duration") X(Date, "date") X(Decimal, "decimal") X(TypeType, "type") X(Param, "param") \
  X(Error, "error")
// clang-format on

enum class TypeKind {
#define X(name, text) k##name,
  ACCORD_TYPE_KINDS(X)
#undef X
};

struct Type {
  TypeKind kind = TypeKind::kDyn;
  std::vector<Type> params;  // list: [elem]; map: [key, value]
  std::string name;          // type parameter name

  static Type Of(TypeKind k) { return Type{k, {}, {}}; }
  static Type List(Type e) { return Type{TypeKind::kList, {std::move(e)}, {}}; }
  static Type Map(Type k, Type v) { return Type{TypeKind::kMap, {std::move(k), std::move(v)}, {}}; }
  static Type Param(std::string n) { return Type{TypeKind::kParam, {}, std::move(n)}; }

  bool Is(TypeKind k) const { return kind == k; }
  bool IsNumeric() const {
    return kind == TypeKind::kInt || kind == TypeKind::kUint || kind == TypeKind::kDouble || kind == TypeKind::kDecimal;
  }
  bool operator==(const Type& o) const { return kind == o.kind && params == o.params && name == o.name; }
  bool operator!=(const Type& o) const { return !(*this == o); }
  std::string ToString() const;
};

Type FromField(schema::FieldType t);

using Substitution = std::map<std::string, Type>;

// CEL assignability for overload resolution: dyn matches anything, null
// matches anything (fields are nullable), type parameters bind consistently.
bool Unify(const Type& param, const Type& arg, Substitution& subst);
Type Apply(const Type& t, const Substitution& subst);

// Parses the mini type syntax of stdlib/functions.def: "list(string)".
bool ParseType(std::string_view text, Type* out);

}  // namespace accord::sema
