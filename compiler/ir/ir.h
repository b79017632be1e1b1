// Accord's typed IR: a register machine per program. Every rule expression
// and every sync direction lowers to a Program; the interpreter
// (runtime/interp) runs it and the JIT (jit/) compiles it to native code.
//
// Registers hold rt::Values. Parameters occupy registers 0..params-1. Field
// reads are explicit loads from record slots (a schema field resolved to its
// index at compile time); mapping programs write target slots with StoreOut.
// CEL's error rules live in the instructions: every operation propagates an
// error operand, && / || absorb errors as CEL defines, and a fresh error is
// stamped with the location of the instruction that raised it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "compiler/sema/types.h"
#include "runtime/stdlib.h"
#include "runtime/value.h"

namespace accord::ir {

// X(name, operands) — the one list of opcodes. Fields: dst, a, b, c (see Instr).
// An X-macro list keeps its hand layout.
// clang-format off
#define ACCORD_IR_OPS(X)                                                                             \
  X(Const, "dst = consts[a]")                                                                       \
  X(LoadField, "dst = record[b].slot[a]")                                                           \
  X(Move, "dst = a")                                                                                \
  X(Jump, "goto c")                                                                                 \
  X(JumpIfTrue, "if a is true goto c")                                                             \
  X(JumpIfFalse, "if a is false goto c")                                                           \
  X(JumpIfBlank, "if isBlank(a) goto c")                                                           \
  X(CondBr, "a true: goto b; false: goto c; else dst = error, goto end (loc aux)")                \
  X(AndShort, "if a is false: dst = false, goto c")                                               \
  X(OrShort, "if a is true: dst = true, goto c")                                                  \
  X(AndJoin, "dst = a && b (CEL error absorption)")                                              \
  X(OrJoin, "dst = a || b (CEL error absorption)")                                               \
  X(Not, "dst = !a")                                                                                \
  X(Neg, "dst = -a")                                                                                \
  X(Add, "dst = a + b") X(Sub, "dst = a - b") X(Mul, "dst = a * b") X(Div, "dst = a / b")          \
  X(Mod, "dst = a % b") X(Eq, "dst = a == b") X(Ne, "dst = a != b") X(Lt, "dst = a < b")         \
  X(Le, "dst = a <= b") X(Gt, "dst = a > b") X(Ge, "dst = a >= b") X(In, "dst = a in b")         \
  X(Index, "dst = a[b]")                                                                            \
  X(Select, "dst = a.names[c] (map key)")                                                           \
  X(Has, "dst = has(a.names[c])")                                                                   \
  X(MakeList, "dst = [a .. a+b)")                                                                   \
  X(MakeMap, "dst = {a: a+1, ...} b pairs")                                                         \
  X(Call, "dst = fn c (args a .. a+b)")                                                             \
  X(CallDyn, "dst = function names[c] chosen by argument kinds (args a .. a+b, receiver if aux)")  \
  X(IterInit, "b = index 0; a must be a list or map (else dst = error, goto c)")      \
  X(IterNext, "if index b < size(a): dst = element, ++b; else goto c")                            \
  X(ListAppend, "dst.append(a)")                                                                    \
  X(IterVar, "dst = entry b-1 of list/map a: aux 0 its index or key, aux 1 its element or value")   \
  X(MapInsert, "dst[a] = b (dst a map; a key already there: dst = error)")                          \
  X(MapMerge, "dst = dst + the entries of map a (a key already there: dst = error)")               \
  X(IsError, "if a is an error: dst = a, goto c")                                                   \
  X(CheckBool, "if a is not a bool or error: a = no_matching_overload error")                     \
  X(Table, "dst = tables[c][a] (else/keep/reject)")                                                 \
  X(StoreOut, "out[c] = a")                                                                         \
  X(Return, "return a")
// clang-format on

enum class Op : uint8_t {
#define X(name, doc) k##name,
  ACCORD_IR_OPS(X)
#undef X
};
std::string_view OpName(Op op);

struct Instr {
  Op op = Op::kReturn;
  uint8_t aux = 0;  // CallDyn: receiver call; IterVar: which variable; CondBr: unused
  uint16_t dst = 0;
  uint16_t a = 0;
  uint16_t b = 0;
  uint32_t c = 0;    // jump target, constant/name/table/fn index, out slot
  uint32_t loc = 0;  // index into Program::locs (0 = none)
};

// A values table lowered for dispatch: string keys through a perfect hash
// (a seed found at compile time so that every key gets its own bucket), other
// keys by a linear scan.
struct ValueTable {
  std::string name;
  std::vector<rt::Value> keys, values;
  enum class Else : uint8_t { kReject, kKeep, kValue } otherwise = Else::kReject;
  rt::Value else_value;
  // perfect hash over string keys: bucket = Mix(key, seed) & mask -> key index or -1
  uint64_t seed = 0;
  uint32_t mask = 0;
  std::vector<int32_t> buckets;
  void Build();  // computes seed/mask/buckets
  // The key's index, or -1.
  int Find(const rt::Value& key) const;
};

struct Program {
  std::string name;
  std::vector<Instr> code;
  std::vector<rt::Value> consts;
  std::vector<std::string> names;  // Select/Has keys, CallDyn function names
  std::vector<rt::Location> locs{rt::Location{}};
  std::vector<sema::TypeKind> reg_types;  // static type per register (kDyn when unknown)
  uint16_t params = 0;
  std::vector<std::string> param_names;
  std::vector<std::shared_ptr<ValueTable>> tables;
  std::shared_ptr<std::deque<std::string>> strings;  // owns file names used by locs
  uint32_t out_slots = 0;                            // mapping programs: size of the output record

  uint16_t num_regs() const { return static_cast<uint16_t>(reg_types.size()); }
};

// Checks structural invariants; returns "" when valid, else the first problem.
std::string Verify(const Program& p);
// A readable listing (accord compile --emit ir, golden tests).
std::string Print(const Program& p);

// ---- passes ----
struct PassStats {
  int folded = 0, cse = 0, dead = 0;
};
// Constant folding (operations on constants evaluated at compile time, branches
// on constants resolved), common-subexpression elimination of repeated field
// loads, dead-code elimination. Keeps the program valid.
PassStats Optimize(Program& p);

}  // namespace accord::ir
