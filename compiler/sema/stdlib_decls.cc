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

// "[Recv.]name(A, B) -> R"; the receiver type may itself contain dots? No:
// types never contain '.', so the last '.' before '(' splits receiver and name.
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
    if (s[i] == '(') ++depth;
    else if (s[i] == ')') --depth;
    else if (s[i] == '.' && depth == 0) dot = i;
  }
  if (dot != std::string::npos && dot < open) {
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

std::vector<std::string> StdlibFunctionNames() {
  std::set<std::string> names;
  for (const auto& o : StdlibOverloads()) names.insert(o.name);
  for (const char* m : {"has", "all", "exists", "exists_one", "map", "filter"}) names.insert(m);
  return {names.begin(), names.end()};
}

bool IsMacroName(std::string_view n) {
  return n == "has" || n == "all" || n == "exists" || n == "exists_one" || n == "map" || n == "filter";
}

}  // namespace accord::sema
