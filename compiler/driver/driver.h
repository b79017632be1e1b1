// The front-end pipeline in one place: find the rule files, read and parse
// them, load the schemas they name, check. Reads like a table of contents.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/timings.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/schema/schema.h"
#include "compiler/sema/checker.h"
#include "compiler/syntax/parser.h"

namespace accord::driver {

struct Options {
  syntax::ParseOptions parse;
  size_t max_errors = 100;
  // Text to use instead of a file's contents, keyed by path as CollectRuleFiles
  // spells it (lexically normal): an editor's unsaved buffers (`accord lsp`).
  // A PATH argument found here but not on disk is checked as if it were saved.
  std::map<std::string, std::string> overlay;
};

// Everything one run loaded. Diagnostics point into `sources`.
struct RuleSet {
  std::vector<std::unique_ptr<SourceFile>> sources;       // rule files, in path order
  std::vector<syntax::ParseResult> parsed;                // parallel to sources
  std::vector<std::unique_ptr<SourceFile>> schema_files;  // for schema diagnostics
  std::vector<std::string> schema_dirs[2];                // loaded, per system
  schema::SchemaSet schemas;
  sema::Model model;
  bool all_parsed = true;
  // Each phase, in pipeline order (--timings; base/timings.h).
  std::vector<base::Timing> timings;
};

// Expands PATH arguments: a file is itself; a folder is every *.accord below
// it (sorted; build/, node_modules/ and hidden folders are skipped).
// Returns false and sets *error when a path does not exist or cannot be read.
bool CollectRuleFiles(const std::vector<std::string>& paths, std::vector<std::string>* files, std::string* error);

// Reads a whole file; false on I/O error.
bool ReadFile(const std::string& path, std::string* out, std::string* error);

// Reads and parses the files (no schemas, no checking).
bool ParseFiles(const std::vector<std::string>& paths, const Options& options, RuleSet& set, DiagSink& sink,
                std::string* io_error);

// The whole front end: collect, parse, load schemas, check.
bool LoadAndCheck(const std::vector<std::string>& paths, const Options& options, RuleSet& set, DiagSink& sink,
                  std::string* io_error);

}  // namespace accord::driver
