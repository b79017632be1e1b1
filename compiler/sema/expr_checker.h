// The expression checker: name resolution (objects, fields, picklist values)
// and CEL type checking of one expression in a scope, plus whether a type fits
// a field. Private to compiler/sema (users include checker.h): the rule checks
// (checker_impl.h) build on it, and CheckExpression (`accord eval`) uses it alone.
// Every finding goes through Report, which reports a repeated one once.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "compiler/sema/checker.h"

namespace accord::sema {
namespace detail {

using ast::Side;
using schema::Field;
using schema::Object;

schema::System Sys(Side s);
std::string SideStr(Side s);
std::string Q(const std::string& s);
std::string FieldName(const Object* o, const Field* f);

// The scope an expression is checked in.
struct Scope {
  Side bare_side = Side::kSalesforce;
  const Object* bare = nullptr;  // object whose fields are in scope unqualified
  const Object* sf = nullptr;    // for salesforce.X
  const Object* hs = nullptr;    // for hubspot.x
  std::optional<Type> underscore;
  std::vector<std::pair<std::string, Type>> vars;  // macro variables, innermost last
};

class ExprChecker {
 public:
  ExprChecker(const CheckInput& in, DiagSink& sink, Model& model) : in_(in), sink_(sink), m_(model) {}

  Type Standalone(const ast::Expr& e, const ast::File& f, const ExprEnv& env);

 protected:
  // ---- reporting helpers ----
  Diagnostic& Report(DiagCode c, const ast::File* f, Range r, std::string msg);
  static void Suggest(Diagnostic& d, const std::string& wrong, const std::vector<std::string>& cands,
                      const std::string& what = "");
  void AddNote(Diagnostic& d, const ast::File* f, Range r, std::string msg);

  // ---- names ----
  bool HaveSchema(Side s, const ast::File* f, Range r);
  const Object* ResolveObject(Side side, const ast::Name& name, const ast::File* f);
  const Object* ResolveObject(const ast::ObjectRef& r, const ast::File* f) {
    return ResolveObject(r.side, r.object, f);
  }
  static std::vector<std::string> FieldNames(const Object* o);
  const Field* ResolveField(const Object* o, const ast::Name& name, const ast::File* f);
  const Field* ResolvePath(const ast::FieldPath& p, const ast::File* f, const Object** obj);

  // ---- picklist values ----
  bool CheckPicklistValue(const Object* o, const Field* fl, const std::string& value, Range r, const ast::File* f,
                          bool written = true);

  // ---- expressions ----
  void SetType(const ast::Expr& e, const Type& t) { m_.types[&e] = t; }
  Type Err() { return Type::Of(TypeKind::kError); }
  const Object* SideObject(const Scope& s, Side side) { return side == Side::kSalesforce ? s.sf : s.hs; }
  Type FieldType(const ast::Expr& e, Side side, const Object* o, const Field* fl, const ast::File* f);
  Type Expr(const ast::Expr& e, Scope& s, const ast::File* f);
  Type ExprImpl(const ast::Expr& e, Scope& s, const ast::File* f);
  Type Ident(const ast::Expr& e, Scope& s, const ast::File* f);
  static bool Dotted(const ast::Expr& e, std::string* out);
  Type Select(const ast::Expr& e, Scope& s, const ast::File* f);
  std::string Namespaced(const ast::Expr& e, const Scope& s);
  static bool IsBoolish(const Type& t);
  Type Macro(const ast::Expr& e, const std::string& ns, Scope& s, const ast::File* f, bool* handled);
  Type Comprehension(const ast::Expr& e, int nvars, bool has_filter, const std::string& v1, const std::string& v2,
                     Scope& s, const ast::File* f);
  Type Bind(const ast::Expr& e, Scope& s, const ast::File* f);
  Type Block(const ast::Expr& e, Scope& s, const ast::File* f);
  Type BoundRef(const ast::Expr& e, const std::string& ns, Scope& s, const ast::File* f);
  Type Extreme(const ast::Expr& e, const std::string& ns, Scope& s, const ast::File* f);
  bool UnknownNamespaced(const ast::Expr& e, const Scope& s, const ast::File* f);
  Type Call(const ast::Expr& e, Scope& s, const ast::File* f);
  const FieldRef* RefOf(const ast::Expr& e);
  void PicklistCompare(const ast::Expr& field, const ast::Expr& lit, const ast::File* f);
  Type Binary(const ast::Expr& e, Scope& s, const ast::File* f);
  void CheckBool(const ast::Expr& e, Scope& s, const ast::File* f, const char* what);

  // ---- mapping compatibility ----
  // Can a value of `from` be written to a field of type `to` without an explicit conversion?
  enum class Fit { kOk, kDateTime, kMismatch };
  static Fit Fits(const Type& to, const Type& from);
  static std::string ConversionHint(const Type& to, const Type& from);
  void CheckFit(const Type& to, const Type& from, const Object* to_obj, const Field* to_field, Range r,
                const ast::File* f, const std::string& source_desc, std::optional<Side> to_side = std::nullopt,
                const ast::Expr* two_way_with = nullptr);

  const CheckInput& in_;
  DiagSink& sink_;
  Model& m_;
  bool no_sf_reported_ = false, no_hs_reported_ = false;
  std::set<std::tuple<int, const SourceFile*, uint32_t, uint32_t, std::string>> reported_;
  Diagnostic duplicate_;  // handed out for a repeated finding, never rendered
};

}  // namespace detail
}  // namespace accord::sema
