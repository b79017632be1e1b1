// accord functions [NAME] [--format text|markdown]
//
// The standard library as the checker sees it (sema::StdlibOverloads(), built
// from stdlib/functions.def): one entry per function name with each overload's
// signature, doc and example, grouped by the section comments of functions.def.
// The markdown output IS docs/stdlib.md (tests/CMakeLists.txt: stdlib_doc_test).
#include <cctype>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "cli/commands.h"
#include "compiler/schema/schema.h"
#include "compiler/sema/stdlib_decls.h"
#include "runtime/stdlib.h"

// ---- the text of functions.def, for its comments ----
//
// The section comments ("// ---- CEL standard ----") and the header comment
// (types, built-in operators and macros) are invisible to the preprocessor, so
// the file's bytes are embedded with the assembler's .incbin. Its path comes
// from __FILE__ expanded inside functions.def itself (ACCORD_FN is invoked
// there), so it is exactly the file the overload table was built from; .ifndef
// keeps only the first of the 100+ expansions. Because this file #includes
// functions.def, the build tracks it as a dependency; ccache never caches an
// object whose source uses .incbin, so a comment-only edit cannot be served stale.
#define ACCORD_FN(id, sig, doc, example)    \
  asm(".ifndef accord_functions_def_text\n" \
      ".pushsection .rodata\n"              \
      "accord_functions_def_text:\n"        \
      ".incbin \"" __FILE__                 \
      "\"\n"                                \
      ".byte 0\n"                           \
      ".popsection\n"                       \
      ".endif\n");
#include "stdlib/functions.def"
#undef ACCORD_FN
extern "C" const char accord_functions_def_text[] __attribute__((visibility("hidden")));

namespace accord::cli {
namespace {

// Blanks around a line of functions.def.
std::string_view Trim(std::string_view s) { return base::Trim(s, " \t\r"); }

// What the comments of functions.def say.
struct DefComments {
  std::string header;                          // the leading comment block, lines joined by spaces
  std::map<std::string, std::string> section;  // overload id -> title of the "// ---- title ----" above it
  std::map<std::string, std::string> intro;    // title -> the comment lines right below the title line
};

std::string Capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

DefComments ReadDefComments() {
  DefComments out;
  std::istringstream in{std::string(accord_functions_def_text)};
  std::string raw, current;
  bool in_header = true, in_intro = false;
  while (std::getline(in, raw)) {
    std::string_view line = Trim(raw);
    if (in_header) {
      if (line.starts_with("//")) {
        std::string_view text = Trim(line.substr(2));
        if (!text.empty()) out.header += (out.header.empty() ? "" : " ") + std::string(text);
        continue;
      }
      in_header = false;
    }
    if (line.starts_with("// ----")) {
      current = Capitalized(std::string(Trim(base::Trim(Trim(line.substr(2)), "-"))));
      in_intro = true;
    } else if (in_intro && line.starts_with("//")) {
      std::string& intro = out.intro[current];
      std::string_view text = Trim(line.substr(2));
      if (!text.empty()) intro += (intro.empty() ? "" : " ") + std::string(text);
    } else {
      in_intro = false;
    }
    if (line.starts_with("ACCORD_FN(")) {
      std::string_view rest = line.substr(10);
      std::string id(Trim(rest.substr(0, rest.find(','))));
      if (!current.empty()) out.section[id] = current;
    }
  }
  return out;
}

// A piece of the header comment: from `start` up to `stop` (exclusive), or "".
std::string HeaderPart(const std::string& header, std::string_view start, std::string_view stop) {
  size_t b = header.find(start);
  if (b == std::string::npos) return "";
  b += start.size();
  size_t e = header.find(stop, b);
  if (e == std::string::npos) return "";
  return std::string(Trim(std::string_view(header).substr(b, e - b)));
}

// Splits at any of `seps` outside parentheses ("list(T) map(K, V)" is two words).
std::vector<std::string> SplitWords(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && seps.find(c) != std::string_view::npos) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// ---- the library, grouped ----

struct Entry {
  const sema::Overload* overload;
  std::string null_result;  // what the runtime returns for all-null arguments: "error" or a value
};
struct Function {
  std::string name, section;
  std::vector<Entry> entries;
};
struct Section {
  std::string title, intro;
  std::vector<Function*> functions;
};
struct Library {
  std::string header;
  std::vector<std::string> macros;                   // the checker's names that are not library functions
  std::vector<std::unique_ptr<Function>> functions;  // in order of first appearance
  std::vector<Section> sections;
};

// The runtime's answer to a call with every argument null: this documents the
// null contract of runtime/stdlib.h per overload, from the implementation itself.
std::string NullResult(const sema::Overload& o) {
  rt::Fn fn = rt::FnFromId(o.id);
  if (fn == rt::Fn::kCount) return "?";
  std::vector<rt::Value> args(o.args.size(), rt::Value::Null());
  rt::Value v = rt::CallFn(fn, args.data(), args.size());
  return v.is_error() ? "error" : v.DebugString();
}

Library Build() {
  Library lib;
  DefComments comments = ReadDefComments();
  lib.header = comments.header;
  std::map<std::string, Function*> by_name;
  for (const sema::Overload& o : sema::StdlibOverloads()) {
    Function*& f = by_name[o.name];
    if (!f) {
      // A name lives in the section of its first overload, with all its overloads.
      auto it = comments.section.find(o.id);
      std::string title = it == comments.section.end() ? "Functions" : it->second;
      lib.functions.push_back(std::make_unique<Function>());
      f = lib.functions.back().get();
      f->name = o.name;
      f->section = title;
      Section* s = nullptr;
      for (auto& sec : lib.sections)
        if (sec.title == title) s = &sec;
      if (!s) s = &lib.sections.emplace_back(Section{title, comments.intro[title], {}});
      s->functions.push_back(f);
    }
    f->entries.push_back(Entry{&o, NullResult(o)});
  }
  for (const std::string& n : sema::StdlibFunctionNames())
    if (!by_name.count(n) && sema::IsMacroName(n)) lib.macros.push_back(n);
  return lib;
}

// Names that accept null arguments (all-null call is not an error), in library order.
std::vector<std::string> NullTolerant(const Library& lib) {
  std::vector<std::string> out;
  for (const auto& f : lib.functions)
    for (const Entry& e : f->entries)
      if (e.null_result != "error") {
        out.push_back(f->name);
        break;
      }
  return out;
}

// ---- markdown ----

// GitHub's heading anchor: lower case, punctuation dropped, spaces to '-'.
std::string Anchor(std::string_view heading) {
  std::string a;
  for (char c : heading) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_')
      a += static_cast<char>(std::tolower(u));
    else if (c == ' ')
      a += '-';
  }
  return a;
}

std::string Code(std::string_view s) {
  std::string fence = s.find('`') == std::string_view::npos ? "`" : "``";
  std::string pad = fence.size() > 1 ? " " : "";
  return fence + pad + std::string(s) + pad + fence;
}

// Text for a table cell: '|' would end the cell, even inside code spans.
std::string Cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

// Prose from functions.def for a table cell: outside code spans, characters
// markdown would read as markup are escaped.
std::string Prose(std::string_view s) {
  std::string out;
  bool code = false;
  for (char c : s) {
    if (c == '`') code = !code;
    if (!code && (c == '<' || c == '*' || c == '_' || c == '[' || c == ']' || c == '\\')) out += '\\';
    out += c;
  }
  return Cell(out);
}

std::string NullCell(const std::string& r) { return r == "error" ? "error" : Cell(Code(r)); }

void MarkdownFunction(std::ostream& os, const Function& f) {
  os << "### " << Code(f.name) << "\n\n";
  os << "| Signature | Description | Example | Null arguments |\n|---|---|---|---|\n";
  for (const Entry& e : f.entries) {
    const sema::Overload& o = *e.overload;
    os << "| " << Cell(Code(o.signature)) << " | " << Prose(o.doc) << " | " << Cell(Code(o.example)) << " | "
       << NullCell(e.null_result) << " |\n";
  }
  os << "\n";
}

void MarkdownLibrary(std::ostream& os, const Library& lib) {
  os << "# Standard library\n\n"
        "<!-- Generated from stdlib/functions.def by `accord functions --format markdown`: do not edit.\n"
        "     Regenerate: ./build/accord functions --format markdown > docs/stdlib.md -->\n\n"
        "Every function an Accord expression can call. This page is generated from "
        "`stdlib/functions.def`, the one spec of the library: the checker's declarations and the "
        "runtime's implementations are selected from the same entries, and every example on this page "
        "is type-checked and evaluated by both the interpreter and the JIT in "
        "`tests/stdlib_examples_test.cc` (a boolean example must be `true`). In a terminal, "
        "`accord functions NAME` shows one function.\n\n";

  os << "## Reading the tables\n\n"
        "- A signature is `[Receiver.]name(Arg, ...) -> Result`. With a receiver the function is a "
        "method, called as `x.name(...)`; without one it is a global function, `name(x, ...)`. Writing "
        "one as the other is error A0203.\n";
  std::vector<std::string> types = SplitWords(HeaderPart(lib.header, "Types:", ";"), " ");
  if (!types.empty()) {
    os << "- Types:";
    for (const auto& t : types) os << " " << Code(t);
    os << ". ";
  } else {
    os << "- ";
  }
  os << "Single capital letters (`A`, `K`, `V`) are type parameters: every occurrence in one "
        "signature stands for the same type.\n"
        "- *Null arguments* is what the overload returns when every argument is `null` (measured on "
        "the runtime when this page is generated).\n\n";

  os << "## Null handling\n\n"
        "CRM fields are present but nullable: a field that has no value reads as `null` (see "
        "[language.md §8.3](language.md#83-types)). The library treats `null` in two ways:\n\n"
        "- **CEL functions are strict**, as in CEL: a `null` where the signature wants a value is an "
        "error (`no_matching_overload`), and the record gets a sync error naming the rule. Guard a "
        "nullable field with `isBlank`/`coalesce`, a `== null` test or `?:` first.\n"
        "- **Accord's CRM functions keep a missing value missing**: `null` in gives `null` out, so an "
        "empty field stays empty instead of failing the record; `isBlank` and `coalesce` handle "
        "`null` by definition.\n\n"
        "The functions that accept `null` arguments are:";
  std::vector<std::string> tolerant = NullTolerant(lib);
  for (size_t i = 0; i < tolerant.size(); ++i)
    os << (i ? ", " : " ") << "[" << Code(tolerant[i]) << "](#" << Anchor(tolerant[i]) << ")";
  os << (tolerant.empty() ? " none" : "")
     << "; every other function is strict.\n\n"
        "Whatever the function, an argument that is an error is never evaluated further: the call's "
        "result is that error (`&&` and `||` absorb an error when their other operand decides the "
        "result). A malformed input (`int(\"x\")`, `timestamp(\"yesterday\")`, an unknown time zone) is "
        "an error value, never a crash.\n\n";

  os << "## Built into the language\n\n";
  std::vector<std::string> ops = SplitWords(HeaderPart(lib.header, "Operators (", ")"), " ");
  const std::vector<std::string>& macros = lib.macros;
  os << "These are not library functions and are not listed below; [language.md](language.md) "
        "defines them.\n\n";
  if (!ops.empty()) {
    os << "- Operators:";
    for (const auto& op : ops) os << " " << Code(op);
    os << ".\n";
  }
  if (!macros.empty()) {
    os << "- Macros (expanded by the checker, e.g. `has(x.f)`, `xs.all(x, x > 0)`):";
    for (size_t i = 0; i < macros.size(); ++i) os << (i ? ", " : " ") << Code(macros[i]);
    os << ".\n";
  }
  os << "\n";

  os << "## Contents\n\n";
  for (const Section& s : lib.sections) {
    os << "- [" << s.title << "](#" << Anchor(s.title) << "):";
    for (size_t i = 0; i < s.functions.size(); ++i)
      os << (i ? ", " : " ") << "[" << Code(s.functions[i]->name) << "](#" << Anchor(s.functions[i]->name) << ")";
    os << "\n";
  }
  os << "\n";
  for (const Section& s : lib.sections) {
    os << "## " << s.title << "\n\n";
    if (!s.intro.empty()) os << Prose(s.intro) << "\n\n";
    for (const Function* f : s.functions) MarkdownFunction(os, *f);
  }
}

// ---- text ----

// Greedy word wrap, one "\n" per line.
std::string Wrap(std::string_view text, size_t width) {
  std::string out, line;
  std::istringstream words{std::string(text)};
  for (std::string w; words >> w;) {
    if (!line.empty() && line.size() + 1 + w.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty()) out += line + "\n";
  return out;
}

void TextFunction(std::ostream& os, const Function& f) {
  os << f.name << "\n";
  for (const Entry& e : f.entries) {
    const sema::Overload& o = *e.overload;
    os << "  " << o.signature << "\n"
       << "      " << o.doc << "\n"
       << "      example: " << o.example << "\n"
       << "      null arguments: " << e.null_result << "\n";
  }
}

void TextLibrary(std::ostream& os, const Library& lib) {
  os << "Accord standard library, from stdlib/functions.def. `accord functions NAME` shows one\n"
        "function; `--format markdown` gives docs/stdlib.md.\n"
        "Null: CEL functions are strict (a null argument is an error); CRM functions map null to\n"
        "null. Accepting null:";
  for (const auto& n : NullTolerant(lib)) os << " " << n;
  os << ".\n";
  std::vector<std::string> ops = SplitWords(HeaderPart(lib.header, "Operators (", ")"), " ");
  if (!ops.empty()) {
    os << "Built-in operators (not listed):";
    for (const auto& op : ops) os << " " << op;
    os << ".\n";
  }
  if (!lib.macros.empty()) {
    os << "Built-in macros (not listed):";
    for (size_t i = 0; i < lib.macros.size(); ++i) os << (i ? ", " : " ") << lib.macros[i];
    os << ".\n";
  }
  for (const Section& s : lib.sections) {
    os << "\n== " << s.title << " ==\n\n";
    if (!s.intro.empty()) os << Wrap(s.intro, 88) << "\n";
    for (const Function* f : s.functions) TextFunction(os, *f);
  }
}

struct FunctionsArgs {
  std::string name;
  std::string format = "text";
};

int RunFunctions(const FunctionsArgs& a) {
  Library lib = Build();
  if (a.name.empty()) {
    if (a.format == "markdown")
      MarkdownLibrary(std::cout, lib);
    else
      TextLibrary(std::cout, lib);
    return kOk;
  }
  for (const auto& f : lib.functions) {
    if (f->name != a.name) continue;
    if (a.format == "markdown") {
      MarkdownFunction(std::cout, *f);
    } else {
      std::ostringstream body;
      TextFunction(body, *f);
      std::string text = body.str();
      // "name  (section)" on the first line
      std::cout << text.substr(0, text.find('\n')) << "  (" << f->section << ")" << text.substr(text.find('\n'));
    }
    return kOk;
  }
  if (sema::IsMacroName(a.name)) {
    std::cerr << "accord functions: \"" << a.name
              << "\" is a macro built into the language, not a library function; see docs/language.md\n";
    return kFindings;
  }
  std::vector<std::string> names;
  for (const auto& f : lib.functions) names.push_back(f->name);
  std::cerr << "accord functions: no function named \"" << a.name << "\"";
  if (auto s = schema::Suggest(a.name, names)) std::cerr << "; did you mean \"" << *s << "\"?";
  std::cerr << "\n";
  return kFindings;
}

}  // namespace

void RegisterFunctions(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<FunctionsArgs>();
  auto* cmd = app.add_subcommand("functions", "List the standard library: signatures, docs and examples");
  cmd->footer(
      "Examples:\n"
      "  accord functions                 every function, grouped by section\n"
      "  accord functions coalesce        one function, all its overloads\n"
      "  accord functions --format markdown > docs/stdlib.md\n"
      "Exit status: 0 listed, 1 no such function, 2 usage.");
  cmd->add_option("NAME", args->name, "only this function, e.g. lowerAscii");
  cmd->add_option("--format", args->format, "text or markdown")->check(CLI::IsMember({"text", "markdown"}));
  cmd->callback([args, &exit_code] { exit_code = RunFunctions(*args); });
}

}  // namespace accord::cli
