// Name resolution, CEL type checking against both schemas, and the rule
// checks of DESIGN §4. Input: parsed files + schemas. Output: diagnostics and
// a Model (types and field references per expression) for later phases.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/schema/schema.h"
#include "compiler/sema/types.h"

namespace accord::sema {

struct FieldRef {
  ast::Side side = ast::Side::kSalesforce;
  const schema::Object* object = nullptr;
  const schema::Field* field = nullptr;
};

struct SyncInfo {
  const ast::SyncDecl* decl = nullptr;
  const ast::File* file = nullptr;
  const schema::Object* salesforce = nullptr;  // null when unresolved
  const schema::Object* hubspot = nullptr;
};

struct Overload;

struct Model {
  std::unordered_map<const ast::Expr*, Type> types;
  // The stdlib overload a call resolved to; absent when only the run time can
  // tell (dyn arguments), then the evaluator dispatches on the values.
  std::unordered_map<const ast::Expr*, const Overload*> overloads;
  std::unordered_map<const ast::Expr*, FieldRef> fields;
  std::vector<SyncInfo> syncs;
  std::map<std::string, const ast::ValuesDecl*> values;
};

struct CheckInput {
  std::vector<const ast::File*> files;  // only files that parsed without errors
  const schema::SchemaSet* schemas = nullptr;
  bool have_salesforce_schema = false;
  bool have_hubspot_schema = false;
};

Model Check(const CheckInput& input, DiagSink& sink);

// The environment of a lone expression (`accord eval`, conformance tests):
// declared variables, and optionally an object whose fields are in scope as
// bare names (`accord eval --object salesforce.Contact`).
struct ExprEnv {
  std::vector<std::pair<std::string, Type>> vars;
  const schema::Object* object = nullptr;
  ast::Side side = ast::Side::kSalesforce;
};
// Type-checks `expr` (which belongs to `file`), filling `model`. Returns its
// type; errors are reported to `sink` and give TypeKind::kError.
Type CheckExpression(const ast::Expr& expr, const ast::File& file, const ExprEnv& env, Model& model, DiagSink& sink);

// The sync error categories of DESIGN §5, as written in `expect error X`.
const std::vector<std::string>& ErrorCategories();

}  // namespace accord::sema
