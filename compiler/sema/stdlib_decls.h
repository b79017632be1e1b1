// The checker's view of the standard library, built once from
// stdlib/functions.def.
#pragma once

#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/sema/types.h"

namespace accord::sema {

struct Overload {
  std::string id;          // e.g. "lower_ascii"
  std::string name;        // "lowerAscii"; namespaced functions keep their namespace: "math.greatest"
  bool receiver = false;   // called as x.name(...)
  std::vector<Type> args;  // receiver first when receiver == true
  Type result;
  std::string signature, doc, example;
};

const std::vector<Overload>& StdlibOverloads();
// All overloads with this name and call style.
std::vector<const Overload*> FindOverloads(std::string_view name, bool receiver);
// All distinct function names (for "did you mean").
std::vector<std::string> StdlibFunctionNames();
// Macro names: has, all, exists, exists_one/existsOne, map, filter, the
// two-variable transformList/transformMap/transformMapEntry, and the
// namespaced cel.bind, cel.block, cel.index, cel.iterVar.
bool IsMacroName(std::string_view name);

// `ns.fn(args)` parses as a receiver call on the identifier `ns`. When
// "ns.fn" is a namespaced stdlib function or macro (math.greatest,
// strings.quote, cel.bind, ...), its qualified name; else "". Syntactic only:
// the caller checks that `ns` is not a variable or field in scope.
std::string NamespacedName(const ast::Expr& call);

// The variable a macro binds or reads: a plain identifier, or the names that
// cel.block's optimized form uses, cel.iterVar(i, j) ("@it:i:j") and
// cel.index(n) ("@index:n").
bool MacroVarName(const ast::Expr& e, std::string* out);

// Is `name` with `nargs` arguments (after the receiver) a comprehension
// macro? Then *vars is its number of iteration variables (1 or 2: index or
// key, then element or value) and *filter whether the argument before the
// last is a filter predicate (map's 3-argument form, transformList(i, v, f, t),
// and filter itself, whose only expression is the predicate).
bool ComprehensionShape(std::string_view name, size_t nargs, int* vars, bool* filter);

}  // namespace accord::sema
