// The reference interpreter: a flat, enum-dispatched loop over a Program's
// instructions. Registers live in a caller-owned Frame that is reused from
// record to record, so the common case allocates nothing.
#pragma once

#include <vector>

#include "compiler/ir/ir.h"

namespace accord::ir {

struct Inputs {
  const rt::Value* const* records = nullptr;  // records[side][slot]
  rt::Value* out = nullptr;                   // mapping programs: out[slot]
};

struct Frame {
  std::vector<rt::Value> regs;
  void Reset(const Program& p) {
    if (regs.size() < p.num_regs()) regs.resize(p.num_regs());
  }
};

// Runs `p`; parameters must already be in frame.regs[0..params).
rt::Value Interpret(const Program& p, Frame& frame, const Inputs& in);

// One straight-line instruction (no control flow): the interpreter's body,
// the JIT's slow path and the constant folder share it.
void ExecOp(const Program& p, const Instr& ins, rt::Value* regs, const Inputs& in);

// One control instruction: which successor to take. 0 = the next
// instruction, 1 = ins.c, 2 = ins.b (CondBr's error exit). May write dst.
int Branch(const Program& p, const Instr& ins, rt::Value* regs, const Inputs& in);

bool IsControl(Op op);

// Runtime overload selection for CallDyn (arguments whose types only the
// run time knows). Exposed for tests.
rt::Value CallByName(std::string_view name, bool receiver, const rt::Value* args, size_t n);

}  // namespace accord::ir
