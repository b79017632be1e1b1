#include "compiler/sema/types.h"

#include <cctype>

namespace accord::sema {

std::string Type::ToString() const {
  if (kind == TypeKind::kList) return "list(" + (params.empty() ? "dyn" : params[0].ToString()) + ")";
  if (kind == TypeKind::kMap)
    return "map(" + (params.size() < 2 ? "dyn, dyn" : params[0].ToString() + ", " + params[1].ToString()) + ")";
  if (kind == TypeKind::kParam) return name;
  switch (kind) {
#define X(name, text)     \
  case TypeKind::k##name: \
    return text;
    ACCORD_TYPE_KINDS(X)
#undef X
  }
  return "?";
}

Type FromField(schema::FieldType t) {
  using F = schema::FieldType;
  switch (t) {
    case F::kString:
      return Type::Of(TypeKind::kString);
    case F::kInt:
      return Type::Of(TypeKind::kInt);
    case F::kDouble:
      return Type::Of(TypeKind::kDouble);
    case F::kDecimal:
      return Type::Of(TypeKind::kDecimal);
    case F::kBool:
      return Type::Of(TypeKind::kBool);
    case F::kDate:
      return Type::Of(TypeKind::kDate);
    case F::kTimestamp:
      return Type::Of(TypeKind::kTimestamp);
    case F::kStringList:
      return Type::List(Type::Of(TypeKind::kString));
    case F::kBytes:
      return Type::Of(TypeKind::kBytes);
    case F::kUnsupported:
      return Type::Of(TypeKind::kDyn);
  }
  return Type::Of(TypeKind::kDyn);
}

bool Unify(const Type& param, const Type& arg, Substitution& subst) {
  if (arg.kind == TypeKind::kError) return true;
  if (param.kind == TypeKind::kParam) {
    auto it = subst.find(param.name);
    if (it == subst.end()) {
      if (arg.kind != TypeKind::kNull) subst[param.name] = arg;
      return true;
    }
    if (it->second.kind == TypeKind::kDyn) return true;
    if (arg.kind == TypeKind::kDyn || arg.kind == TypeKind::kNull) return true;
    if (it->second == arg) return true;
    // Widen a parameter bound to dyn-containing types.
    Substitution tmp = subst;
    if (Unify(it->second, arg, tmp)) return true;
    return false;
  }
  if (param.kind == TypeKind::kDyn || arg.kind == TypeKind::kDyn || arg.kind == TypeKind::kNull) return true;
  if (param.kind != arg.kind) return false;
  if (param.params.size() != arg.params.size()) return param.params.empty() || arg.params.empty();
  for (size_t i = 0; i < param.params.size(); ++i)
    if (!Unify(param.params[i], arg.params[i], subst)) return false;
  return true;
}

Type Apply(const Type& t, const Substitution& subst) {
  if (t.kind == TypeKind::kParam) {
    auto it = subst.find(t.name);
    return it == subst.end() ? Type::Of(TypeKind::kDyn) : it->second;
  }
  Type out = t;
  for (auto& p : out.params) p = Apply(p, subst);
  return out;
}

namespace {

struct TypeParser {
  std::string_view s;
  size_t i = 0;
  void Ws() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  bool Parse(Type* out) {
    Ws();
    size_t b = i;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
    std::string_view word = s.substr(b, i - b);
    if (word.empty()) return false;
    if (word == "list" || word == "map") {
      Ws();
      if (i >= s.size() || s[i] != '(') return false;
      ++i;
      Type a, c;
      if (!Parse(&a)) return false;
      Ws();
      if (word == "map") {
        if (i >= s.size() || s[i] != ',') return false;
        ++i;
        if (!Parse(&c)) return false;
        Ws();
      }
      if (i >= s.size() || s[i] != ')') return false;
      ++i;
      *out = word == "list" ? Type::List(a) : Type::Map(a, c);
      return true;
    }
    if (word.size() == 1 && std::isupper(static_cast<unsigned char>(word[0]))) {
      *out = Type::Param(std::string(word));
      return true;
    }
#define X(name, text)                   \
  if (word == text) {                   \
    *out = Type::Of(TypeKind::k##name); \
    return true;                        \
  }
    ACCORD_TYPE_KINDS(X)
#undef X
    return false;
  }
};

}  // namespace

bool ParseType(std::string_view text, Type* out) {
  TypeParser p{text};
  if (!p.Parse(out)) return false;
  p.Ws();
  return p.i == text.size();
}

}  // namespace accord::sema
