// The rule checker's inside: the checks of each declaration against the
// schemas (DESIGN §4), on top of the expression checker. Private to the files
// that implement it (users include checker.h):
//   expr_checker.cc  names, picklist values, CEL types of expressions, type fit
//   checker.cc       the pass: collection, values tables, associations, lifecycles, tests
//   sync_checks.cc   one sync: its policies, match, creates, `on create`, field rules
// The checks that weigh rules against each other run after it (rule_checks.h).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compiler/sema/expr_checker.h"

namespace accord::sema {
namespace detail {

class Checker : public ExprChecker {
 public:
  using ExprChecker::ExprChecker;

  void Run();

 private:
  // ---- collection ----
  void Collect();
  bool CheckSides(Side left, Side right, const ast::File* f, Range r, const char* what);

  // ---- values tables ----
  struct ValuesInfo {
    const Object* sf_obj = nullptr;
    const Field* sf = nullptr;
    const Object* hs_obj = nullptr;
    const Field* hs = nullptr;
    bool ok = false;
  };
  std::map<const ast::ValuesDecl*, ValuesInfo> values_info_;
  std::map<const ast::ValuesDecl*, const ast::File*> value_file_;
  static std::string LitDesc(const ast::ValueLit& v) {
    return v.kind == ast::LiteralKind::kString ? Q(v.value) : v.value;
  }
  void CheckValues(const ast::ValuesDecl& d, const ast::File* f);

  // ---- associations ----
  std::vector<std::pair<const ast::Associate*, const SyncInfo*>> associations_;
  void CheckAssociations();

  // ---- lifecycle ----
  bool CheckStage(const Object* o, const Field* prop, const ast::Stage& st, const ast::File* f,
                  std::set<std::string>* suggested);
  void CheckLifecycle(const ast::LifecycleDecl& d, const ast::File* f);
  static std::optional<std::string> StageFloor(const ast::Expr& e, const std::string& prop);

  // ---- tests ----
  void CheckTest(const ast::TestDecl& d, const ast::File* f);
  void CheckRecord(const ast::ObjectRef& ref, const ast::RecordLit& rec, const ast::File* f, bool written);

  // ---- syncs ----
  struct Target {
    const ast::File* file;
    Range range;
  };
  static const ast::Expr* AsField(const ast::Expr* e);
  void CheckSync(const SyncInfo& si);
  Scope MakeScope(Side bare, const Object* sf, const Object* hs);
  void CheckMatch(const ast::MatchRule& m, const Object* sf, const Object* hs, const ast::File* f);
  void CheckConverts(const ast::ConvertsTo& cv, const SyncInfo& si, const ast::File* f);
  void CheckWritable(const Object* o, const Field* fl, bool on_create_only, Range r, const ast::File* f);
  void CheckOnCreate(const ast::OnCreate& oc, const Object* sf, const Object* hs, const ast::File* f);
  void CheckLiteralForField(const ast::Expr& e, const Object* o, const Field* fl, const ast::File* f);
  void CheckFieldRule(const ast::FieldRule& r, const ast::SyncDecl& d, const Object* sf, const Object* hs,
                      const ast::File* f, std::map<std::pair<Side, std::string>, Target>& written,
                      const ast::ConflictPolicy* conflict_default);
  using Direction_ = ast::Direction;
  void CheckRequired(const ast::CreateRule& c, const ast::SyncDecl& d, const Object* target,
                     const std::vector<const ast::OnCreate*>& on_creates, const ast::File* f);

  std::vector<std::pair<const ast::ValuesDecl*, const ast::File*>> values_;
  std::vector<std::pair<const ast::LifecycleDecl*, const ast::File*>> lifecycles_;
  std::vector<std::pair<const ast::TestDecl*, const ast::File*>> tests_;
};

}  // namespace detail
}  // namespace accord::sema
