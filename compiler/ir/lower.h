// Lowering: checked AST -> IR Programs. A lone expression becomes one
// program; every sync becomes one mapping program per direction it flows
// (scope filter, then for each field rule: read, blank policy, `with`,
// `to <side>:`, `via` table, store to the target slot) plus an `on create`
// program per side that has create defaults.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/ir/ir.h"
#include "compiler/schema/schema.h"
#include "compiler/sema/checker.h"

namespace accord::ir {

// A lone expression: `params` are the variables it may name (in register
// order); `object` (optional) puts that object's fields in scope as record 0.
struct ExprEnv {
  std::vector<std::string> params;
  const schema::Object* object = nullptr;
};
Program LowerExpression(const ast::Expr& expr, const ast::File& file, const sema::Model& model, const ExprEnv& env);

// The marker a mapping program stores for "write nothing" (blank ignore).
extern const char* const kSkipMarker;
inline bool IsSkip(const rt::Value& v) { return v.is(rt::Kind::kType) && v.type_name() == kSkipMarker; }

// One field a mapping program writes.
struct OutField {
  const schema::Field* field = nullptr;  // target field
  uint32_t target_slot = 0;              // index in the target object's fields
  std::string rule;                      // "file:line:col" of the field rule
  const ast::FieldRule* decl = nullptr;  // the field rule (null for `on create` defaults)
};

// Records are passed as records[0] = Salesforce slots, records[1] = HubSpot
// slots (index = schema field order). A mapping program returns true when the
// source record is in scope, false when a scope excludes it, or an error; it
// writes out[k] for every OutField k: a value, null (clear), the skip marker
// (nothing to write) or an error value for that field's rule.
struct Mapping {
  ast::Side from = ast::Side::kSalesforce, to = ast::Side::kHubSpot;
  const schema::Object* source = nullptr;
  const schema::Object* target = nullptr;
  Program program;
  std::vector<OutField> outs;
};

struct CompiledSync {
  std::string name;
  const ast::SyncDecl* decl = nullptr;
  const schema::Object* salesforce = nullptr;
  const schema::Object* hubspot = nullptr;
  std::unique_ptr<Mapping> to_hubspot, to_salesforce;        // null when the sync does not flow that way
  std::unique_ptr<Mapping> create_hubspot, create_salesforce;  // `on create` defaults
  // The scope filter of each side, on that side's record (records[0] = Salesforce,
  // records[1] = HubSpot); null when the side has none. Returns a bool or an error.
  std::unique_ptr<Program> scope_salesforce, scope_hubspot;
  // `create in X when COND`: COND over the source record; null = no condition.
  std::unique_ptr<Program> create_when_salesforce, create_when_hubspot;
  const Program* Scope(ast::Side s) const {
    return s == ast::Side::kHubSpot ? scope_hubspot.get() : scope_salesforce.get();
  }
  const Program* CreateWhen(ast::Side in) const {
    return in == ast::Side::kHubSpot ? create_when_hubspot.get() : create_when_salesforce.get();
  }
  const Mapping* Toward(ast::Side to) const { return to == ast::Side::kHubSpot ? to_hubspot.get() : to_salesforce.get(); }
};

struct CompiledRules {
  std::vector<CompiledSync> syncs;
  const CompiledSync* Find(std::string_view name) const;
};

struct LowerOptions {
  bool optimize = true;
};

// Lowers every sync of the model that resolved both objects.
CompiledRules LowerRules(const sema::Model& model, const LowerOptions& options = {});

}  // namespace accord::ir
