#include "compiler/sema/stdlib_decls.h"

#include <cassert>
#include <cstdio>
#include <set>

namespace accord::sema {
namespace {

struct Raw {
  const char* id;
  const char* sig;
  const char* doc;
  const char* example;
};

const Raw kRaw[] = {
#define ACCORD_FN(id, sig, doc, example) {#id, sig, doc, example},
#include "stdlib/functions.def"
#undef ACCORD_FN
};

// A namespace prefix of a global function ("math" in math.greatest): a
// lower-case word that is not a type name.
bool IsNamespace(const std::string& prefix) {
  if (prefix.empty() || !(prefix[0] >= 'a' && prefix[0] <= 'z')) return false;
  for (char c : prefix)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  Type t;
  return !ParseType(prefix, &t);
}

// "[Recv.]name(A, B) -> R" or "ns.name(A, B) -> R"; types never contain '.',
// so the last top-level '.' before '(' splits receiver and name, unless the
// part before it is a namespace (math.greatest), which belongs to the name.
bool ParseSignature(const Raw& r, Overload* o) {
  std::string s = r.sig;
  size_t arrow = s.find("->");
  size_t open = s.find('(');
  if (arrow == std::string::npos || open == std::string::npos) return false;
  size_t close = s.rfind(')', arrow);
  if (close == std::string::npos || close < open) return false;
  // The call's '(' is the one whose matching ')' is followed by "->"; the
  // receiver (which may contain parentheses, as in list(string)) ends at the
  // last top-level '.' before it.
  open = std::string::npos;
  for (size_t i = 0; i < arrow && open == std::string::npos; ++i) {
    if (s[i] != '(') continue;
    int d = 0;
    size_t j = i;
    for (; j < arrow; ++j) {
      if (s[j] == '(') ++d;
      if (s[j] == ')' && --d == 0) break;
    }
    size_t k = j + 1;
    while (k < s.size() && s[k] == ' ') ++k;
    if (k < s.size() && s.compare(k, 2, "->") == 0) open = i;
  }
  if (open == std::string::npos) return false;
  size_t dot = std::string::npos;
  int depth = 0;
  for (size_t i = 0; i < open; ++i) {
    if (s[i] == '(')
      ++depth;
    else if (s[i] == ')')
      --depth;
    else if (s[i] == '.' && depth == 0)
      dot = i;
  }
  if (dot != std::string::npos && dot < open && IsNamespace(s.substr(0, dot))) {
    o->name = s.substr(0, open);
  } else if (dot != std::string::npos && dot < open) {
    Type recv;
    if (!ParseType(s.substr(0, dot), &recv)) return false;
    o->receiver = true;
    o->args.push_back(recv);
    o->name = s.substr(dot + 1, open - dot - 1);
  } else {
    o->name = s.substr(0, open);
  }
  std::string args = s.substr(open + 1, close - open - 1);
  depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= args.size(); ++i) {
    if (i == args.size() || (args[i] == ',' && depth == 0)) {
      std::string a = args.substr(start, i - start);
      bool blank = a.find_first_not_of(' ') == std::string::npos;
      if (!blank) {
        Type t;
        if (!ParseType(a, &t)) return false;
        o->args.push_back(t);
      }
      start = i + 1;
    } else if (args[i] == '(') {
      ++depth;
    } else if (args[i] == ')') {
      --depth;
    }
  }
  return ParseType(s.substr(arrow + 2), &o->result);
}

std::vector<Overload> Build() {
  std::vector<Overload> out;
  for (const Raw& r : kRaw) {
    Overload o;
    o.id = r.id;
    o.signature = r.sig;
    o.doc = r.doc;
    o.example = r.example;
    if (!ParseSignature(r, &o)) {
      std::fprintf(stderr, "accord: bad signature in stdlib/functions.def: %s\n", r.sig);
      assert(false && "bad stdlib signature");
      continue;
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

const std::vector<Overload>& StdlibOverloads() {
  static const std::vector<Overload> kAll = Build();
  return kAll;
}

std::vector<const Overload*> FindOverloads(std::string_view name, bool receiver) {
  std::vector<const Overload*> out;
  for (const auto& o : StdlibOverloads())
    if (o.name == name && o.receiver == receiver) out.push_back(&o);
  return out;
}

namespace {
constexpr std::string_view kMacros[] = {"has",      "all",       "exists",        "exists_one",   "existsOne",
                                        "map",      "filter",    "transformList", "transformMap", "transformMapEntry",
                                        "cel.bind", "cel.block", "cel.index",     "cel.iterVar"};
}  // namespace

std::vector<std::string> StdlibFunctionNames() {
  std::set<std::string> names;
  for (const auto& o : StdlibOverloads()) names.insert(o.name);
  for (std::string_view m : kMacros) names.insert(std::string(m));
  return {names.begin(), names.end()};
}

bool IsMacroName(std::string_view n) {
  for (std::string_view m : kMacros)
    if (n == m) return true;
  return false;
}

std::string NamespacedName(const ast::Expr& call) {
  if (call.kind != ast::ExprKind::kCall || !call.operand || call.operand->kind != ast::ExprKind::kIdent ||
      call.operand->parens > 0)
    return "";
  static const std::set<std::string, std::less<>> kKnown = [] {
    std::set<std::string, std::less<>> k;
    for (const auto& o : StdlibOverloads())
      if (!o.receiver && o.name.find('.') != std::string::npos) k.insert(o.name);
    for (std::string_view m : kMacros)
      if (m.find('.') != std::string_view::npos) k.insert(std::string(m));
    return k;
  }();
  std::string q = call.operand->name + "." + call.name;
  return kKnown.count(q) ? q : "";
}

bool MacroVarName(const ast::Expr& e, std::string* out) {
  if (e.kind == ast::ExprKind::kIdent && !e.leading_dot) {
    *out = e.name;
    return true;
  }
  if (e.kind != ast::ExprKind::kCall || !e.operand || e.operand->kind != ast::ExprKind::kIdent ||
      e.operand->name != "cel")
    return false;
  auto small_int = [](const ast::Expr& a) {
    return a.kind == ast::ExprKind::kLiteral && a.lit == ast::LiteralKind::kInt && a.int_value >= 0 &&
           a.int_value < 1000000;
  };
  if (e.name == "index" && e.args.size() == 1 && small_int(*e.args[0])) {
    *out = "@index:" + std::to_string(e.args[0]->int_value);
    return true;
  }
  if (e.name == "iterVar" && e.args.size() == 2 && small_int(*e.args[0]) && small_int(*e.args[1])) {
    *out = "@it:" + std::to_string(e.args[0]->int_value) + ":" + std::to_string(e.args[1]->int_value);
    return true;
  }
  return false;
}

bool ComprehensionShape(std::string_view name, size_t nargs, int* vars, bool* filter) {
  *filter = false;
  if (name == "all" || name == "exists" || name == "exists_one" || name == "existsOne") {
    *vars = static_cast<int>(nargs) - 1;
    return nargs == 2 || nargs == 3;
  }
  if (name == "map") {
    *vars = 1;
    *filter = nargs == 3;
    return nargs == 2 || nargs == 3;
  }
  if (name == "filter") {
    *vars = 1;
    *filter = true;
    return nargs == 2;
  }
  if (name == "transformList" || name == "transformMap" || name == "transformMapEntry") {
    *vars = 2;
    *filter = nargs == 4;
    return nargs == 3 || nargs == 4;
  }
  return false;
}

}  // namespace accord::sema
