// The standard library at run time: one C++ implementation per overload of
// stdlib/functions.def, selected by id. The checker resolves a call to an
// overload; the interpreter and the JIT call CallFn with the evaluated
// arguments (receiver first). Operators and macros are not here: they are
// IR instructions.
//
// Contract for every overload:
// - never throws and never crashes on any input (including malformed text);
// - an argument that is an error is never passed in: callers propagate it;
// - CEL functions (standard + strings extension) are strict: a null where a
//   value is required is an error (no_matching_overload), as in CEL;
// - Accord's CRM functions (isBlank, coalesce, normalizeEmail, emailDomain,
//   digits, e164, domainOf, picklistValues, picklistText) map null to null
//   (isBlank/coalesce handle it by definition), because CRM fields are
//   nullable and a missing value should stay missing, not become an error;
// - any argument kind the overload does not take gives no_matching_overload
//   (the interpreter also runs unchecked expressions, e.g. conformance tests
//   with type checking off).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/value.h"

namespace accord::rt {

enum class Fn : uint16_t {
#define ACCORD_FN(id, sig, doc, example) id,
#include "stdlib/functions.def"
#undef ACCORD_FN
  kCount
};

// The overload id as written in functions.def ("lower_ascii"); Fn::kCount for unknown.
Fn FnFromId(std::string_view id);
std::string_view FnId(Fn fn);

Value CallFn(Fn fn, const Value* args, size_t nargs);

// The JIT's shortcut for the one-argument string functions of mapping rules (trim,
// lowerAscii, upperAscii, digits, normalizeEmail, isBlank) applied to a string: sets *out to
// what CallFn would return, without its overload checks and family dispatch, and returns
// true. Returns false (and leaves *out alone) for any other function or argument kind; the
// caller then calls CallFn. `out` may alias `a`.
bool CallStringFast(Fn fn, const Value& a, Value* out);

}  // namespace accord::rt
