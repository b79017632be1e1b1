// The parse layer's inside: parse trees -> the AST (ast_builder.cc), and the
// map from token positions to source bytes both it and the parser driver use.
// Included only by compiler/syntax; it is where ANTLR's generated parser types
// meet the AST.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "AccordParser.h"
#include "antlr4-runtime.h"
#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/syntax/lexer.h"
#include "compiler/syntax/parser.h"

namespace accord::syntax {

// Maps token positions to byte offsets in the source. Tokens carry byte
// offsets into the text the lexer saw; `base` is the number of bytes before it
// (a UTF-8 byte order mark). Tokens ANTLR conjures up in error recovery have
// no position: they sit at the end.
class OffsetMap {
 public:
  OffsetMap(std::string_view text, uint32_t base) : base_(base), size_(static_cast<uint32_t>(text.size())) {}
  uint32_t Begin(const antlr4::Token* t) const {
    if (!t) return 0;
    auto s = t->getStartIndex();
    if (s == INVALID_INDEX || s > size_) return base_ + size_;
    return base_ + static_cast<uint32_t>(s);
  }
  uint32_t End(const antlr4::Token* t) const {
    if (!t) return 0;
    auto s = t->getStopIndex();
    if (s == INVALID_INDEX || s + 1 > size_) return Begin(t);
    return base_ + static_cast<uint32_t>(s + 1);
  }
  uint32_t Begin(const Lexeme& l) const { return base_ + l.begin; }
  uint32_t End(const Lexeme& l) const { return base_ + l.end; }

 private:
  uint32_t base_;
  uint32_t size_;
};

// Builds AST declarations and expressions from parse trees, decoding every
// literal and reporting what the grammar lets through but the language does
// not (bad literals, duplicate options, nesting beyond --max-nesting) to `sink`.
class AstBuilder {
 public:
  AstBuilder(const SourceFile& src, const OffsetMap& map, DiagSink& sink, const ParseOptions& opt, ast::File& file);
  ~AstBuilder();
  AstBuilder(const AstBuilder&) = delete;
  AstBuilder& operator=(const AstBuilder&) = delete;

  // The errors it reported (a too-deep expression counts once).
  size_t errors() const;
  // Appends the file's declarations to `file`.
  void BuildFile(AccordParser::FileContext* ctx);
  ast::ExprPtr BuildExpr(AccordParser::ExprContext* ctx);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accord::syntax
