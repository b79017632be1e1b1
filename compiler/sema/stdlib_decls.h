// The checker's view of the standard library, built once from
// stdlib/functions.def.
#pragma once

#include <string>
#include <vector>

#include "compiler/sema/types.h"

namespace accord::sema {

struct Overload {
  std::string id;         // e.g. "lower_ascii"
  std::string name;       // "lowerAscii"
  bool receiver = false;  // called as x.name(...)
  std::vector<Type> args; // receiver first when receiver == true
  Type result;
  std::string signature, doc, example;
};

const std::vector<Overload>& StdlibOverloads();
// All overloads with this name and call style.
std::vector<const Overload*> FindOverloads(std::string_view name, bool receiver);
// All distinct function names (for "did you mean").
std::vector<std::string> StdlibFunctionNames();
// Macro names: has, all, exists, exists_one, map, filter.
bool IsMacroName(std::string_view name);

}  // namespace accord::sema
