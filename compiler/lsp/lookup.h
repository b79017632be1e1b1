// What the name under the cursor refers to, read from a file's AST: an
// object, a field, a picklist value, a function, a values table, a sync or a
// lifecycle stage. Works on the partial AST of a file with syntax errors. It
// resolves names the way the checker scopes them (a bare name in a field rule
// is a field of that side's object, `hubspot.x` a field of the sync's HubSpot
// object, ...) but does not look anything up: the server finds the names in
// the schemas and the rule set (hover, go to definition).
#pragma once

#include <cstdint>
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/lsp/completion.h"

namespace accord::lsp {

struct Symbol {
  enum Kind { kNone, kObject, kField, kValue, kFunction, kValueTable, kSync, kStage };
  Kind kind = kNone;
  Range range;            // the name (or literal) in the file
  FieldName field;        // kObject: the object (field empty); kField; kValue, kStage: the field the value belongs to
  std::string name;       // kValue, kStage: the value; kFunction, kValueTable, kSync: the name
  bool receiver = false;  // kFunction: called as x.name(...)
  bool declaration = false;         // kValueTable, kSync: the name in its own declaration
  const ast::Expr* expr = nullptr;  // set when the symbol is an expression: the checker's Model knows it best
};

// The symbol whose range contains `offset` (a cursor right after a name
// still counts). kNone when there is none.
Symbol FindSymbol(const ast::File& file, uint32_t offset);

}  // namespace accord::lsp
