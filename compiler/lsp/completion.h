// What completion should offer at a cursor, decided from the text alone.
//
// Code being typed rarely parses, so this does not use the AST: a small
// lexer of its own reads the tokens before the cursor, tracks the blocks they
// open (values, sync, lifecycle, test, `on create`, `{ to hubspot: ... }`,
// record literals, brackets) and looks at the current item of the innermost
// block. The answer names what fits — keywords, objects of a side, fields of
// an object, picklist values of a field, functions, value tables, syncs,
// lifecycle stages — by name only; the server looks the names up in the
// schemas and the rule set (compiler/lsp/server.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"

namespace accord::lsp {

// An object of one side, as written in the rules; `object` may be empty when
// the rules do not name it (yet).
struct ObjectName {
  ast::Side side = ast::Side::kSalesforce;
  std::string object;
  friend bool operator==(const ObjectName&, const ObjectName&) = default;
};
struct FieldName {
  ast::Side side = ast::Side::kSalesforce;
  std::string object, field;
  friend bool operator==(const FieldName&, const FieldName&) = default;
};

struct CompletionContext {
  // The bytes a chosen item replaces: the word under the cursor, or the
  // contents of the string literal the cursor is in (quotes excluded).
  Range replace;
  std::string prefix;                 // the part of `replace` before the cursor
  bool in_string = false;             // inside a string literal: values go in without quotes
  bool close_quote = false;           // ...which is not closed yet: values end with the quote
  std::vector<std::string> keywords;  // words that fit here
  std::optional<ast::Side> objects;   // object names of this side
  std::optional<ObjectName> fields;   // fields of this object
  bool references_only = false;       // ...only reference (lookup) fields
  std::optional<FieldName> values;    // picklist values of this field
  std::optional<FieldName> stages;    // lifecycle stages: values of this property
  bool functions = false;             // global stdlib functions: an expression can start here
  bool methods = false;               // receiver functions: after `expr.`
  bool underscore = false;            // `_` (the field value) is in scope
  bool value_tables = false;          // names of values tables (`via`)
  bool syncs = false;                 // names of syncs (`converts to`)

  bool empty() const {
    return keywords.empty() && !objects && !fields && !values && !stages && !functions && !methods && !underscore &&
           !value_tables && !syncs;
  }
};

// The context at byte `offset` of `text` (clamped to the text). Inside a
// comment or a number literal the context is empty.
CompletionContext FindCompletionContext(std::string_view text, uint32_t offset);

}  // namespace accord::lsp
