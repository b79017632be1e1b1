// libFuzzer target: parse + check arbitrary bytes as a rule file against the
// example schemas, then format what parses and re-parse the result, lower
// what checks cleanly, and look up names the way the language server does.
// Invariants: no crash, no hang, no sanitizer report; the hand-written lexer
// gives the lexemes ANTLR's generated lexer gives; no expression (even of a
// partial AST) is deeper than --max-nesting, which bounds every later
// recursive pass; formatted output of a clean parse parses again to the same
// AST; lowered programs verify.
//
// Build (clang):  CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DACCORD_FUZZ=ON -DACCORD_TESTS=OFF && ninja -C
// build-fuzz parse_check_fuzzer Run:            ./build-fuzz/fuzz/parse_check_fuzzer fuzz/corpus/parse_check
// -max_total_time=60 Every crash found is kept in fuzz/corpus/parse_check; CTest replays the corpus (fuzz_replay).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/fmt/formatter.h"
#include "compiler/ir/lower.h"
#include "compiler/lsp/lookup.h"
#include "compiler/schema/schema.h"
#include "compiler/sema/checker.h"
#include "compiler/syntax/lexer_oracle.h"
#include "compiler/syntax/parser.h"

namespace {

const accord::schema::SchemaSet& Schemas() {
  static const accord::schema::SchemaSet* set = [] {
    auto* s = new accord::schema::SchemaSet();
    std::vector<accord::schema::SchemaError> errs;
    std::string root = ACCORD_SOURCE_DIR "/examples/salesforce-hubspot/schemas/";
    accord::schema::LoadSchemaDir(accord::schema::System::kSalesforce, root + "salesforce", *s, errs);
    accord::schema::LoadSchemaDir(accord::schema::System::kHubSpot, root + "hubspot", *s, errs);
    return s;
  }();
  return *set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  accord::SourceFile src("fuzz.accord", std::string(reinterpret_cast<const char*>(data), size));
  if (!accord::syntax::CompareWithAntlr(src.text()).empty()) std::abort();
  accord::DiagSink sink(50);
  accord::syntax::ParseOptions opt;
  {  // the same bytes as a lone expression (`accord eval`)
    accord::DiagSink esink(50);
    auto e = accord::syntax::ParseExpression(src, opt, esink);
    if (e.expr && accord::ast::ExprDepth(*e.expr) > opt.max_nesting) std::abort();
  }
  auto parsed = accord::syntax::Parse(src, opt, sink);
  if (accord::ast::MaxExprDepth(*parsed.file) > opt.max_nesting) std::abort();
  for (uint32_t at : {uint32_t{0}, static_cast<uint32_t>(size / 2), static_cast<uint32_t>(size)})
    (void)accord::lsp::FindSymbol(*parsed.file, at);
  if (parsed.syntax_errors != 0) return 0;
  accord::sema::CheckInput in;
  in.files = {parsed.file.get()};
  in.schemas = &Schemas();
  in.have_salesforce_schema = in.have_hubspot_schema = true;
  accord::sema::Model model = accord::sema::Check(in, sink);
  if (sink.error_count() == 0) {
    accord::ir::CompiledRules rules = accord::ir::LowerRules(model);
    for (const auto& s : rules.syncs)
      for (const accord::ir::Mapping* m :
           {s.to_hubspot.get(), s.to_salesforce.get(), s.create_hubspot.get(), s.create_salesforce.get()})
        if (m && !accord::ir::Verify(m->program).empty()) std::abort();
  }
  // The formatter must produce text that parses to the same AST.
  std::string formatted = accord::fmt::Format(*parsed.file);
  accord::SourceFile again("fuzz-fmt.accord", formatted);
  accord::DiagSink sink2(50);
  auto reparsed = accord::syntax::Parse(again, opt, sink2);
  if (reparsed.syntax_errors != 0 || !accord::ast::SameAst(*parsed.file, *reparsed.file)) std::abort();
  return 0;
}
