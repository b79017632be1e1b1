// Lowering: checked AST -> IR Programs. A lone expression becomes one
// program; every sync becomes one mapping program per direction it flows
// (scope filter, then for each field rule: read, blank policy, `with`,
// `to <side>:`, `via` table, store to the target slot) plus an `on create`
// program per side that has create defaults, and its sync-level rules as the
// plain structs of rules.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/ir/ir.h"
#include "compiler/ir/rules.h"
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

struct LowerOptions {
  bool optimize = true;
};

// Lowers every sync of the model that resolved both objects, with its sync-level rules.
CompiledRules LowerRules(const sema::Model& model, const LowerOptions& options = {});

// The lifecycles whose property resolves to a field of `schemas`, in order.
std::vector<LifecyclePlan> LowerLifecycles(const std::vector<const ast::LifecycleDecl*>& lifecycles,
                                           const schema::SchemaSet& schemas);

}  // namespace accord::ir
