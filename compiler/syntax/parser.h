// The parse layer: source text -> AST. The only code that sees antlr4:: types.
// Parse() never throws: every problem becomes a diagnostic.
#pragma once

#include <memory>
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"

namespace accord::syntax {

// The largest --max-nesting accepted. Every pass after the parser recurses
// over expressions; at this depth all of them fit an 8 MB stack with room to
// spare (about 10,000 levels crashed `accord check`).
inline constexpr int kMaxNestingLimit = 1000;

struct ParseOptions {
  size_t max_source_bytes = 16u << 20;  // larger files get A0002
  int max_nesting = 256;                // AST depth: brackets, ternaries, operators; 1..kMaxNestingLimit
  size_t max_syntax_errors = 20;        // per file; later ones are dropped
  // The rules before issue 13: a line break never ends a statement, so a line
  // that starts with '-', '(' or '[' continues the previous expression.
  // `accord fmt --legacy-lines` reads old files this way and writes them in
  // the current rules (each rule on one line) with the same meaning.
  bool legacy_line_breaks = false;
};

struct ParseResult {
  std::unique_ptr<ast::File> file;  // always non-null; may be partial
  size_t syntax_errors = 0;         // 0 = the AST is complete
  ast::ExprPtr expr;                // ParseExpression only: the expression (null on errors)
};

ParseResult Parse(const SourceFile& source, const ParseOptions& options, DiagSink& sink) noexcept;

// Parses a lone CEL expression (`accord eval`, conformance tests). The
// result's file holds the source and comments; `expr` the expression, whose
// ids are numbered in that file. Never throws.
ParseResult ParseExpression(const SourceFile& source, const ParseOptions& options, DiagSink& sink) noexcept;

// Decodes a CEL string or bytes literal as written (with prefix and quotes).
// Returns false and sets *error on a bad escape.
bool DecodeCelString(std::string_view text, bool* is_bytes, std::string* out, std::string* error);

}  // namespace accord::syntax
