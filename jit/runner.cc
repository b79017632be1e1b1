// The JIT: IR Program -> LLVM IR -> native code through ORC LLJIT with an O2
// pipeline. Control flow becomes native branches; the common operations on
// unboxed scalars (int/double/bool arithmetic and comparisons, loads and
// moves of scalars, scalar constants, branches on bools) are emitted inline
// behind a kind check, selected by the checker's static register types; every
// other case calls back into the interpreter's one-instruction executor, so
// both engines share one definition of CEL semantics.
//
// Size: about 1,000 lines, the house limit. The code generator (most of the file) and the
// Runner that compiles, caches and runs its output share private LLVM state; the object
// cache's file handling (Sha256Hex .. StandardCacheDir) is the part to move out next.
#include "jit/runner.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Process.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Support/xxhash.h>
#include <llvm/Target/TargetMachine.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace accord::jit {

using ir::Instr;
using ir::Op;
using ir::Program;
using rt::Kind;
using rt::Value;

bool ParseEngineKind(std::string_view text, EngineKind* out) {
  if (text == "interp")
    *out = EngineKind::kInterp;
  else if (text == "jit")
    *out = EngineKind::kJit;
  else if (text == "auto")
    *out = EngineKind::kAuto;
  else
    return false;
  return true;
}

// ---- helpers the generated code calls ----
extern "C" {
void accord_jit_exec(const Program* p, uint32_t pc, Value* regs, const Value* const* records, Value* out) {
  ir::Inputs in{records, out};
  ir::ExecOp(*p, p->code[pc], regs, in);
}
int32_t accord_jit_branch(const Program* p, uint32_t pc, Value* regs, const Value* const* records, Value* out) {
  ir::Inputs in{records, out};
  return ir::Branch(*p, p->code[pc], regs, in);
}
void accord_jit_return(Value* result, const Value* src) { *result = *src; }
// A stdlib call without the executor's dispatch: errors in arguments propagate.
void accord_jit_call(const Program* p, uint32_t pc, Value* regs) {
  const Instr& ins = p->code[pc];
  const Value* args = regs + ins.a;
  // one-argument string functions on a string: no overload check, no family dispatch
  if (ins.b == 1 && rt::CallStringFast(static_cast<rt::Fn>(ins.c), args[0], &regs[ins.dst])) return;
  for (uint16_t i = 0; i < ins.b; ++i)
    if (args[i].is_error()) {
      Value e = args[i];
      regs[ins.dst] = std::move(e);
      return;
    }
  Value v = rt::CallFn(static_cast<rt::Fn>(ins.c), args, ins.b);
  if (v.is_error()) v = v.WithLocation(p->locs[ins.loc]);
  regs[ins.dst] = std::move(v);
}
bool accord_jit_is_blank(const Value* v) { return rt::IsBlank(*v); }
// A non-scalar constant (string, type, list, ...): a reference-counted copy.
void accord_jit_const(const Program* p, uint32_t index, Value* dst) { *dst = p->consts[index]; }
// A values table applied to a string key: found, or the table's `else` value; other cases
// (errors, other kinds, keep, reject) through the executor.
void accord_jit_table(const Program* p, uint32_t pc, Value* regs, const Value* const* records, Value* out) {
  const Instr& ins = p->code[pc];
  const Value& a = regs[ins.a];
  if (a.is(Kind::kString)) {
    const ir::ValueTable& t = *p->tables[ins.c];
    int k = t.Find(a);
    if (k >= 0) {
      regs[ins.dst] = t.values[k];
      return;
    }
    if (t.otherwise == ir::ValueTable::Else::kValue) {
      regs[ins.dst] = t.else_value;
      return;
    }
  }
  ir::Inputs in{records, out};
  ir::ExecOp(*p, ins, regs, in);
}
void accord_jit_release(Value* v) { *v = Value(); }
}

namespace {

std::once_flag g_llvm_init;
void InitLLVM() {
  std::call_once(g_llvm_init, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

static_assert(offsetof(rt::HeapObject, refs) == 0 && sizeof(rt::HeapObject::refs) == 4,
              "CopyValue raises a heap object's reference count at offset 0");

bool IsScalarKind(Kind k) {
  switch (k) {
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kList:
    case Kind::kMap:
    case Kind::kError:
      return false;
    default:
      return true;
  }
}

class Codegen {
 public:
  Codegen(llvm::LLVMContext& ctx, llvm::Module& m) : ctx_(ctx), m_(m), b_(ctx) {
    i8_ = b_.getInt8Ty();
    i32_ = b_.getInt32Ty();
    i64_ = b_.getInt64Ty();
    f64_ = b_.getDoubleTy();
    ptr_ = b_.getInt8PtrTy();
    auto* void_ty = b_.getVoidTy();
    exec_ = llvm::Function::Create(llvm::FunctionType::get(void_ty, {ptr_, i32_, ptr_, ptr_, ptr_}, false),
                                   llvm::Function::ExternalLinkage, "accord_jit_exec", m_);
    branch_ = llvm::Function::Create(llvm::FunctionType::get(i32_, {ptr_, i32_, ptr_, ptr_, ptr_}, false),
                                     llvm::Function::ExternalLinkage, "accord_jit_branch", m_);
    ret_ = llvm::Function::Create(llvm::FunctionType::get(void_ty, {ptr_, ptr_}, false),
                                  llvm::Function::ExternalLinkage, "accord_jit_return", m_);
    release_ = llvm::Function::Create(llvm::FunctionType::get(void_ty, {ptr_}, false), llvm::Function::ExternalLinkage,
                                      "accord_jit_release", m_);
    call_ = llvm::Function::Create(llvm::FunctionType::get(void_ty, {ptr_, i32_, ptr_}, false),
                                   llvm::Function::ExternalLinkage, "accord_jit_call", m_);
    blank_ = llvm::Function::Create(llvm::FunctionType::get(b_.getInt1Ty(), {ptr_}, false),
                                    llvm::Function::ExternalLinkage, "accord_jit_is_blank", m_);
    const_ = llvm::Function::Create(llvm::FunctionType::get(void_ty, {ptr_, i32_, ptr_}, false),
                                    llvm::Function::ExternalLinkage, "accord_jit_const", m_);
    table_ = llvm::Function::Create(llvm::FunctionType::get(void_ty, {ptr_, i32_, ptr_, ptr_, ptr_}, false),
                                    llvm::Function::ExternalLinkage, "accord_jit_table", m_);
    for (llvm::Function* f : {exec_, branch_, ret_, release_, call_, blank_, const_, table_})
      f->addFnAttr(llvm::Attribute::NoUnwind);
  }

  llvm::Function* Build(const Program& p, const std::string& name) {
    p_ = &p;
    auto* fty = llvm::FunctionType::get(b_.getVoidTy(), {ptr_, ptr_, ptr_, ptr_, ptr_}, false);
    fn_ = llvm::Function::Create(fty, llvm::Function::ExternalLinkage, name, m_);
    fn_->addFnAttr(llvm::Attribute::NoUnwind);
    auto args = fn_->arg_begin();
    regs_ = &*args++;
    records_ = &*args++;
    out_ = &*args++;
    result_ = &*args++;
    prog_ = &*args++;  // an argument, not a constant: the object code is position-independent of the program

    auto* entry = llvm::BasicBlock::Create(ctx_, "entry", fn_);
    size_t n = p.code.size();
    blocks_.assign(n + 1, nullptr);
    for (size_t i = 0; i <= n; ++i) blocks_[i] = llvm::BasicBlock::Create(ctx_, "pc" + std::to_string(i), fn_);
    b_.SetInsertPoint(entry);
    b_.CreateBr(blocks_[0]);
    for (size_t pc = 0; pc < n; ++pc) {
      b_.SetInsertPoint(blocks_[pc]);
      Emit(static_cast<uint32_t>(pc), p.code[pc]);
    }
    // falling off the end cannot happen in a verified program; return null
    b_.SetInsertPoint(blocks_[n]);
    b_.CreateRetVoid();
    return fn_;
  }

 private:
  // ---- value layout access ----
  llvm::Value* Reg(uint16_t r) { return b_.CreateGEP(i8_, regs_, b_.getInt64(16ull * r)); }
  llvm::Value* KindOf(llvm::Value* v) { return b_.CreateLoad(i8_, v); }
  llvm::Value* Field(llvm::Value* v, unsigned offset, llvm::Type* t) {
    llvm::Value* p = b_.CreateGEP(i8_, v, b_.getInt64(offset));
    return b_.CreateLoad(t, b_.CreateBitCast(p, t->getPointerTo()));
  }
  llvm::Value* IsKind(llvm::Value* v, Kind k) {
    return b_.CreateICmpEQ(KindOf(v), b_.getInt8(static_cast<uint8_t>(k)));
  }
  llvm::Value* Payload(llvm::Value* v) { return Field(v, 8, i64_); }

  // Does the register hold a reference-counted object?
  llvm::Value* IsHeap(llvm::Value* v) {
    return b_.CreateICmpNE(b_.CreateAnd(Field(v, 1, i8_), b_.getInt8(Value::kHeap)), b_.getInt8(0));
  }
  // Releases what dst holds if needed, then stores a scalar given as its
  // 32-bit head (kind, flags, pad), aux and payload words.
  void ReleaseThenStore(llvm::Value* dst, llvm::Value* head, llvm::Value* aux, llvm::Value* payload) {
    auto* rel = llvm::BasicBlock::Create(ctx_, "release", fn_);
    auto* store = llvm::BasicBlock::Create(ctx_, "store", fn_);
    b_.CreateCondBr(IsHeap(dst), rel, store, Unlikely());
    b_.SetInsertPoint(rel);
    b_.CreateCall(release_, {dst});
    b_.CreateBr(store);
    b_.SetInsertPoint(store);
    StoreWhole(dst, head, aux, payload);
  }
  // One 16-byte store, so that a later 16-byte copy of the value can be
  // forwarded from the store buffer.
  void StoreWhole(llvm::Value* dst, llvm::Value* head, llvm::Value* aux, llvm::Value* payload) {
    llvm::Value* lo = b_.CreateOr(b_.CreateZExt(head, i64_), b_.CreateShl(b_.CreateZExt(aux, i64_), 32));
    auto* v2 = llvm::FixedVectorType::get(i64_, 2);
    llvm::Value* vec = b_.CreateInsertElement(llvm::UndefValue::get(v2), lo, uint64_t{0});
    vec = b_.CreateInsertElement(vec, payload, uint64_t{1});
    b_.CreateAlignedStore(vec, b_.CreateBitCast(dst, v2->getPointerTo()), llvm::MaybeAlign(8));
  }
  void StoreScalar(llvm::Value* dst, llvm::Value* kind, llvm::Value* aux, llvm::Value* payload) {
    ReleaseThenStore(dst, b_.CreateZExt(kind, i32_), aux, payload);  // flags = 0
  }
  llvm::MDNode* Unlikely() { return llvm::MDBuilder(ctx_).createBranchWeights(1, 2000); }
  llvm::MDNode* Likely() { return llvm::MDBuilder(ctx_).createBranchWeights(2000, 1); }

  void CallExec(uint32_t pc) { b_.CreateCall(exec_, {prog_, b_.getInt32(pc), regs_, records_, out_}); }
  sema::TypeKind TypeOf(uint16_t r) const { return r < p_->reg_types.size() ? p_->reg_types[r] : sema::TypeKind::kDyn; }

  // Emits `fast` guarded by `guard`; otherwise the interpreter's executor.
  // `fast` must leave the builder in a block that falls through to `next`.
  template <typename Fast>
  void Guarded(uint32_t pc, llvm::Value* guard, Fast fast) {
    auto* fast_bb = llvm::BasicBlock::Create(ctx_, "fast", fn_);
    auto* slow_bb = llvm::BasicBlock::Create(ctx_, "slow", fn_);
    b_.CreateCondBr(guard, fast_bb, slow_bb, Likely());
    b_.SetInsertPoint(slow_bb);
    CallExec(pc);
    b_.CreateBr(blocks_[pc + 1]);
    b_.SetInsertPoint(fast_bb);
    fast();
    b_.CreateBr(blocks_[pc + 1]);
  }

  void CopyValue(uint32_t pc, llvm::Value* src, llvm::Value* dst) {
    // A scalar or borrowed string is copied as it is; a heap value (a string a function or
    // a values table made) gets its reference count (HeapObject::refs, offset 0) raised
    // first, so a copy onto itself stays valid when ReleaseThenStore releases dst.
    llvm::Value* head = b_.CreateLoad(i32_, b_.CreateBitCast(src, i32_->getPointerTo()));
    llvm::Value* aux = Field(src, 4, i32_);
    llvm::Value* payload = Payload(src);
    auto* retain = llvm::BasicBlock::Create(ctx_, "retain", fn_);
    auto* copy = llvm::BasicBlock::Create(ctx_, "copy", fn_);
    b_.CreateCondBr(IsHeap(src), retain, copy);
    b_.SetInsertPoint(retain);
    llvm::Value* refs_ptr = b_.CreateIntToPtr(payload, i32_->getPointerTo());
    b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i32_, refs_ptr), b_.getInt32(1)), refs_ptr);
    b_.CreateBr(copy);
    b_.SetInsertPoint(copy);
    ReleaseThenStore(dst, head, aux, payload);
    b_.CreateBr(blocks_[pc + 1]);
  }

  llvm::Value* KindConst(Kind k) { return b_.getInt8(static_cast<uint8_t>(k)); }

  void Emit(uint32_t pc, const Instr& ins) {
    llvm::BasicBlock* next = blocks_[pc + 1];
    switch (ins.op) {
      case Op::kConst: {
        const Value& c = p_->consts[ins.a];
        // a type's payload is a pointer to its name: loaded from the program
        // at run time, so that the object code holds no address of this process
        if (IsScalarKind(c.kind()) && c.kind() != Kind::kType) {
          const auto& raw = c.raw();
          StoreScalar(Reg(ins.dst), KindConst(c.kind()), b_.getInt32(raw.aux), b_.getInt64(raw.u.u));
          b_.CreateBr(next);
        } else {
          b_.CreateCall(const_, {prog_, b_.getInt32(ins.a), Reg(ins.dst)});
          b_.CreateBr(next);
        }
        return;
      }
      case Op::kTable:
        b_.CreateCall(table_, {prog_, b_.getInt32(pc), regs_, records_, out_});
        b_.CreateBr(next);
        return;
      case Op::kLoadField: {
        llvm::Value* recs = b_.CreateBitCast(records_, ptr_->getPointerTo());
        llvm::Value* rec = b_.CreateLoad(ptr_, b_.CreateGEP(ptr_, recs, b_.getInt64(ins.b)));
        llvm::Value* src = b_.CreateGEP(i8_, rec, b_.getInt64(16ull * ins.a));
        CopyValue(pc, src, Reg(ins.dst));
        return;
      }
      case Op::kMove:
        CopyValue(pc, Reg(ins.a), Reg(ins.dst));
        return;
      case Op::kJump:
        b_.CreateBr(blocks_[ins.c]);
        return;
      case Op::kJumpIfTrue:
      case Op::kJumpIfFalse: {
        llvm::Value* a = Reg(ins.a);
        llvm::Value* is_bool = IsKind(a, Kind::kBool);
        llvm::Value* bit = b_.CreateICmpNE(b_.CreateTrunc(Payload(a), i8_), b_.getInt8(0));
        llvm::Value* want = ins.op == Op::kJumpIfTrue ? bit : b_.CreateNot(bit);
        b_.CreateCondBr(b_.CreateAnd(is_bool, want), blocks_[ins.c], next);
        return;
      }
      case Op::kCondBr: {
        llvm::Value* a = Reg(ins.a);
        auto* fast = llvm::BasicBlock::Create(ctx_, "bool", fn_);
        auto* slow = llvm::BasicBlock::Create(ctx_, "notbool", fn_);
        b_.CreateCondBr(IsKind(a, Kind::kBool), fast, slow, Likely());
        b_.SetInsertPoint(fast);
        llvm::Value* bit = b_.CreateICmpNE(b_.CreateTrunc(Payload(a), i8_), b_.getInt8(0));
        b_.CreateCondBr(bit, next, blocks_[ins.c]);
        b_.SetInsertPoint(slow);
        SlowBranch(pc, ins);
        return;
      }
      case Op::kAndShort:
      case Op::kOrShort: {
        llvm::Value* a = Reg(ins.a);
        bool is_and = ins.op == Op::kAndShort;
        llvm::Value* bit = b_.CreateICmpNE(b_.CreateTrunc(Payload(a), i8_), b_.getInt8(0));
        llvm::Value* absorbing = b_.CreateAnd(IsKind(a, Kind::kBool), is_and ? b_.CreateNot(bit) : bit);
        auto* take = llvm::BasicBlock::Create(ctx_, "short", fn_);
        b_.CreateCondBr(absorbing, take, next);
        b_.SetInsertPoint(take);
        StoreScalar(Reg(ins.dst), KindConst(Kind::kBool), b_.getInt32(0), b_.getInt64(is_and ? 0 : 1));
        b_.CreateBr(blocks_[ins.c]);
        return;
      }
      case Op::kJumpIfBlank: {
        llvm::Value* k = KindOf(Reg(ins.a));
        auto eq = [&](Kind kk) { return b_.CreateICmpEQ(k, KindConst(kk)); };
        llvm::Value* is_null = eq(Kind::kNull);
        llvm::Value* needs_look = b_.CreateOr(eq(Kind::kString), b_.CreateOr(eq(Kind::kList), eq(Kind::kMap)));
        auto* look = llvm::BasicBlock::Create(ctx_, "blankcheck", fn_);
        auto* decided = llvm::BasicBlock::Create(ctx_, "decided", fn_);
        b_.CreateCondBr(needs_look, look, decided);
        b_.SetInsertPoint(decided);
        b_.CreateCondBr(is_null, blocks_[ins.c], next);
        // a borrowed string (a decoded field) is decided inline when it is empty or starts
        // with a printable ASCII character other than a space (then it is not blank)
        b_.SetInsertPoint(look);
        llvm::Value* a = Reg(ins.a);
        auto* borrowed = llvm::BasicBlock::Create(ctx_, "borrowed", fn_);
        auto* nonempty = llvm::BasicBlock::Create(ctx_, "nonempty", fn_);
        auto* call = llvm::BasicBlock::Create(ctx_, "blankcall", fn_);
        llvm::Value* is_borrowed_str =
            b_.CreateAnd(eq(Kind::kString),
                         b_.CreateICmpNE(b_.CreateAnd(Field(a, 1, i8_), b_.getInt8(Value::kBorrowed)), b_.getInt8(0)));
        b_.CreateCondBr(is_borrowed_str, borrowed, call, Likely());
        b_.SetInsertPoint(borrowed);
        b_.CreateCondBr(b_.CreateICmpEQ(Field(a, 4, i32_), b_.getInt32(0)), blocks_[ins.c], nonempty);
        b_.SetInsertPoint(nonempty);
        llvm::Value* first = b_.CreateLoad(i8_, b_.CreateIntToPtr(Payload(a), ptr_));
        llvm::Value* printable =
            b_.CreateAnd(b_.CreateICmpUGT(first, b_.getInt8(0x20)), b_.CreateICmpULT(first, b_.getInt8(0x7f)));
        b_.CreateCondBr(printable, next, call, Likely());
        b_.SetInsertPoint(call);
        b_.CreateCondBr(b_.CreateCall(blank_, {a}), blocks_[ins.c], next);
        return;
      }
      case Op::kCall:
        b_.CreateCall(call_, {prog_, b_.getInt32(pc), regs_});
        b_.CreateBr(next);
        return;
      case Op::kStoreOut: {
        llvm::Value* dst = b_.CreateGEP(i8_, out_, b_.getInt64(16ull * ins.c));
        CopyValue(pc, Reg(ins.a), dst);
        return;
      }
      case Op::kIterInit:
      case Op::kIterNext:
      case Op::kIsError:
        SlowBranch(pc, ins);
        return;
      case Op::kReturn: {
        // *result is a fresh null Value: a scalar is stored directly, only a
        // heap value needs the reference-counting copy
        llvm::Value* src = Reg(ins.a);
        auto* heap = llvm::BasicBlock::Create(ctx_, "retheap", fn_);
        auto* scalar = llvm::BasicBlock::Create(ctx_, "retscalar", fn_);
        b_.CreateCondBr(IsHeap(src), heap, scalar, Unlikely());
        b_.SetInsertPoint(heap);
        b_.CreateCall(ret_, {result_, src});
        b_.CreateRetVoid();
        b_.SetInsertPoint(scalar);
        llvm::Value* head = b_.CreateLoad(i32_, b_.CreateBitCast(src, i32_->getPointerTo()));
        StoreWhole(result_, head, Field(src, 4, i32_), Payload(src));
        b_.CreateRetVoid();
        return;
      }
      case Op::kNot: {
        llvm::Value* a = Reg(ins.a);
        Guarded(pc, IsKind(a, Kind::kBool), [&] {
          llvm::Value* v = b_.CreateXor(b_.CreateAnd(Payload(a), b_.getInt64(1)), b_.getInt64(1));
          StoreScalar(Reg(ins.dst), KindConst(Kind::kBool), b_.getInt32(0), v);
        });
        return;
      }
      case Op::kAndJoin:
      case Op::kOrJoin: {
        llvm::Value* a = Reg(ins.a);
        llvm::Value* bb = Reg(ins.b);
        Guarded(pc, b_.CreateAnd(IsKind(a, Kind::kBool), IsKind(bb, Kind::kBool)), [&] {
          llvm::Value* x = b_.CreateAnd(Payload(a), b_.getInt64(1));
          llvm::Value* y = b_.CreateAnd(Payload(bb), b_.getInt64(1));
          llvm::Value* v = ins.op == Op::kAndJoin ? b_.CreateAnd(x, y) : b_.CreateOr(x, y);
          StoreScalar(Reg(ins.dst), KindConst(Kind::kBool), b_.getInt32(0), v);
        });
        return;
      }
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul:
      case Op::kDiv:
      case Op::kMod:
        Arith(pc, ins);
        return;
      case Op::kEq:
      case Op::kNe:
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
        Compare(pc, ins);
        return;
      default:
        CallExec(pc);
        b_.CreateBr(next);
        return;
    }
  }

  void SlowBranch(uint32_t pc, const Instr& ins) {
    llvm::Value* s = b_.CreateCall(branch_, {prog_, b_.getInt32(pc), regs_, records_, out_});
    auto* sw = b_.CreateSwitch(s, blocks_[pc + 1], 2);
    sw->addCase(b_.getInt32(1), blocks_[ins.c]);
    if (ins.op == Op::kCondBr) sw->addCase(b_.getInt32(2), blocks_[ins.b]);
  }

  void Arith(uint32_t pc, const Instr& ins) {
    sema::TypeKind ta = TypeOf(ins.a), tb = TypeOf(ins.b);
    llvm::Value* a = Reg(ins.a);
    llvm::Value* bb = Reg(ins.b);
    if (ta == sema::TypeKind::kInt && tb == sema::TypeKind::kInt && ins.op != Op::kDiv && ins.op != Op::kMod) {
      llvm::Intrinsic::ID id = ins.op == Op::kAdd   ? llvm::Intrinsic::sadd_with_overflow
                               : ins.op == Op::kSub ? llvm::Intrinsic::ssub_with_overflow
                                                    : llvm::Intrinsic::smul_with_overflow;
      llvm::Value* both = b_.CreateAnd(IsKind(a, Kind::kInt), IsKind(bb, Kind::kInt));
      auto* fast_bb = llvm::BasicBlock::Create(ctx_, "int", fn_);
      auto* ok_bb = llvm::BasicBlock::Create(ctx_, "noovf", fn_);
      auto* slow_bb = llvm::BasicBlock::Create(ctx_, "slow", fn_);
      b_.CreateCondBr(both, fast_bb, slow_bb, Likely());
      b_.SetInsertPoint(fast_bb);
      llvm::Value* r = b_.CreateBinaryIntrinsic(id, Payload(a), Payload(bb));
      llvm::Value* ovf = b_.CreateExtractValue(r, 1);
      b_.CreateCondBr(ovf, slow_bb, ok_bb, Unlikely());
      b_.SetInsertPoint(ok_bb);
      StoreScalar(Reg(ins.dst), KindConst(Kind::kInt), b_.getInt32(0), b_.CreateExtractValue(r, 0));
      b_.CreateBr(blocks_[pc + 1]);
      b_.SetInsertPoint(slow_bb);
      CallExec(pc);
      b_.CreateBr(blocks_[pc + 1]);
      return;
    }
    if (ta == sema::TypeKind::kInt && tb == sema::TypeKind::kInt) {  // / and %
      // fast when both are ints, the divisor is not 0 and it is not INT64_MIN / -1
      llvm::Value* x = Payload(a);
      llvm::Value* y = Payload(bb);
      llvm::Value* ok =
          b_.CreateAnd(b_.CreateAnd(IsKind(a, Kind::kInt), IsKind(bb, Kind::kInt)), b_.CreateICmpNE(y, b_.getInt64(0)));
      llvm::Value* min_neg1 =
          b_.CreateAnd(b_.CreateICmpEQ(x, b_.getInt64(INT64_MIN)), b_.CreateICmpEQ(y, b_.getInt64(-1)));
      Guarded(pc, b_.CreateAnd(ok, b_.CreateNot(min_neg1)), [&] {
        llvm::Value* r = ins.op == Op::kDiv ? b_.CreateSDiv(x, y) : b_.CreateSRem(x, y);
        StoreScalar(Reg(ins.dst), KindConst(Kind::kInt), b_.getInt32(0), r);
      });
      return;
    }
    if (ta == sema::TypeKind::kDouble && tb == sema::TypeKind::kDouble && ins.op != Op::kMod) {
      Guarded(pc, b_.CreateAnd(IsKind(a, Kind::kDouble), IsKind(bb, Kind::kDouble)), [&] {
        llvm::Value* x = b_.CreateBitCast(Payload(a), f64_);
        llvm::Value* y = b_.CreateBitCast(Payload(bb), f64_);
        llvm::Value* r = ins.op == Op::kAdd   ? b_.CreateFAdd(x, y)
                         : ins.op == Op::kSub ? b_.CreateFSub(x, y)
                         : ins.op == Op::kMul ? b_.CreateFMul(x, y)
                                              : b_.CreateFDiv(x, y);
        StoreScalar(Reg(ins.dst), KindConst(Kind::kDouble), b_.getInt32(0), b_.CreateBitCast(r, i64_));
      });
      return;
    }
    CallExec(pc);
    b_.CreateBr(blocks_[pc + 1]);
  }

  void Compare(uint32_t pc, const Instr& ins) {
    sema::TypeKind ta = TypeOf(ins.a), tb = TypeOf(ins.b);
    llvm::Value* a = Reg(ins.a);
    llvm::Value* bb = Reg(ins.b);
    auto store_bool = [&](llvm::Value* bit) {
      StoreScalar(Reg(ins.dst), KindConst(Kind::kBool), b_.getInt32(0), b_.CreateZExt(bit, i64_));
    };
    if ((ta == sema::TypeKind::kInt && tb == sema::TypeKind::kInt) ||
        (ta == sema::TypeKind::kBool && tb == sema::TypeKind::kBool)) {
      Kind k = ta == sema::TypeKind::kInt ? Kind::kInt : Kind::kBool;
      Guarded(pc, b_.CreateAnd(IsKind(a, k), IsKind(bb, k)), [&] {
        llvm::Value* x = Payload(a);
        llvm::Value* y = Payload(bb);
        if (k == Kind::kBool) {
          x = b_.CreateAnd(x, b_.getInt64(1));
          y = b_.CreateAnd(y, b_.getInt64(1));
        }
        llvm::CmpInst::Predicate pred;
        switch (ins.op) {
          case Op::kEq:
            pred = llvm::CmpInst::ICMP_EQ;
            break;
          case Op::kNe:
            pred = llvm::CmpInst::ICMP_NE;
            break;
          case Op::kLt:
            pred = k == Kind::kInt ? llvm::CmpInst::ICMP_SLT : llvm::CmpInst::ICMP_ULT;
            break;
          case Op::kLe:
            pred = k == Kind::kInt ? llvm::CmpInst::ICMP_SLE : llvm::CmpInst::ICMP_ULE;
            break;
          case Op::kGt:
            pred = k == Kind::kInt ? llvm::CmpInst::ICMP_SGT : llvm::CmpInst::ICMP_UGT;
            break;
          default:
            pred = k == Kind::kInt ? llvm::CmpInst::ICMP_SGE : llvm::CmpInst::ICMP_UGE;
            break;
        }
        store_bool(b_.CreateICmp(pred, x, y));
      });
      return;
    }
    if (ta == sema::TypeKind::kDouble && tb == sema::TypeKind::kDouble) {
      Guarded(pc, b_.CreateAnd(IsKind(a, Kind::kDouble), IsKind(bb, Kind::kDouble)), [&] {
        llvm::Value* x = b_.CreateBitCast(Payload(a), f64_);
        llvm::Value* y = b_.CreateBitCast(Payload(bb), f64_);
        llvm::CmpInst::Predicate pred;
        switch (ins.op) {
          case Op::kEq:
            pred = llvm::CmpInst::FCMP_OEQ;
            break;
          case Op::kNe:
            pred = llvm::CmpInst::FCMP_UNE;
            break;
          case Op::kLt:
            pred = llvm::CmpInst::FCMP_OLT;
            break;
          case Op::kLe:
            pred = llvm::CmpInst::FCMP_OLE;
            break;
          case Op::kGt:
            pred = llvm::CmpInst::FCMP_OGT;
            break;
          default:
            pred = llvm::CmpInst::FCMP_OGE;
            break;
        }
        store_bool(b_.CreateFCmp(pred, x, y));
      });
      return;
    }
    CallExec(pc);
    b_.CreateBr(blocks_[pc + 1]);
  }

  llvm::LLVMContext& ctx_;
  llvm::Module& m_;
  llvm::IRBuilder<> b_;
  llvm::Type *i8_, *i32_, *i64_, *f64_;
  llvm::PointerType* ptr_;
  llvm::Function *exec_, *branch_, *ret_, *release_, *call_, *blank_, *const_, *table_;
  const Program* p_ = nullptr;
  llvm::Function* fn_ = nullptr;
  llvm::Value *regs_ = nullptr, *records_ = nullptr, *out_ = nullptr, *result_ = nullptr, *prog_ = nullptr;
  std::vector<llvm::BasicBlock*> blocks_;
};

void OptimizeModule(llvm::Module& m) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb;
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  mpm.run(m, mam);
}

std::string ErrText(llvm::Error e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return os.str();
}

// ---- the object-code cache ----
// File layout: kMagic, the 64 hex digits of the key, the payload's length and
// its xxHash64 (8 bytes each, little-endian), then the object file.
constexpr char kMagic[] = "ACCORD-JIT-OBJ-1\n";
constexpr size_t kMagicLen = sizeof(kMagic) - 1;
constexpr size_t kKeyLen = 64;
constexpr size_t kHeaderLen = kMagicLen + kKeyLen + 16;
constexpr char kKeyPrefix[] = "accord-jit-";

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string Sha256Hex(llvm::StringRef text) {
  llvm::SHA256 h;
  h.update(text);
  llvm::StringRef digest = h.final();
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : digest) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

// Reads and checks one cache file: nullptr if absent or not valid for `key`
// (*rejected tells which).
std::unique_ptr<llvm::MemoryBuffer> LoadCached(const std::string& dir, const std::string& key, bool* rejected) {
  *rejected = false;
  auto file = llvm::MemoryBuffer::getFile(dir + "/" + key + ".obj", /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!file) return nullptr;
  llvm::StringRef data = (*file)->getBuffer();
  *rejected = true;
  if (data.size() < kHeaderLen || data.substr(0, kMagicLen) != kMagic || data.substr(kMagicLen, kKeyLen) != key)
    return nullptr;
  uint64_t len = GetU64(data.data() + kMagicLen + kKeyLen);
  uint64_t sum = GetU64(data.data() + kMagicLen + kKeyLen + 8);
  llvm::StringRef payload = data.substr(kHeaderLen);
  if (payload.size() != len || llvm::xxHash64(payload) != sum) return nullptr;
  *rejected = false;
  return llvm::MemoryBuffer::getMemBufferCopy(payload, key);
}

// Writes one cache file atomically: a temporary file in the same folder,
// renamed over the final name. "" on success, else why not.
std::string StoreCached(const std::string& dir, const std::string& key, llvm::StringRef object) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) return "cannot create " + dir + ": " + ec.message();
  std::string data(kMagic);
  data += key;
  PutU64(data, object.size());
  PutU64(data, llvm::xxHash64(object));
  data.append(object.data(), object.size());
  static std::atomic<unsigned> counter{0};
  std::string final_path = dir + "/" + key + ".obj";
  std::string tmp = final_path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return "cannot write " + tmp + ": " + std::strerror(errno);
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), final_path.c_str()) != 0) {
    std::string why = "cannot write " + final_path + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    return why;
  }
  return "";
}

// The llvm::ObjectCache on the JIT's compiler: modules whose identifier is
// kKeyPrefix + key are looked up and stored in the folder.
class DiskObjectCache : public llvm::ObjectCache {
 public:
  std::string dir;
  CacheStats* stats = nullptr;
  std::string last_error;

  static std::string KeyOf(const llvm::Module* m) {
    llvm::StringRef id = m->getModuleIdentifier();
    if (!id.startswith(kKeyPrefix)) return "";
    return id.drop_front(sizeof(kKeyPrefix) - 1).str();
  }
  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module* m) override {
    std::string key = KeyOf(m);
    if (dir.empty() || key.empty()) return nullptr;
    bool rejected = false;
    return LoadCached(dir, key, &rejected);  // Runner looked before optimizing: found only if written since
  }
  void notifyObjectCompiled(const llvm::Module* m, llvm::MemoryBufferRef obj) override {
    std::string key = KeyOf(m);
    if (dir.empty() || key.empty()) return;
    std::string why = StoreCached(dir, key, obj.getBuffer());
    if (why.empty())
      ++stats->writes;
    else
      last_error = why;
  }
};

}  // namespace

namespace {
std::mutex g_cache_dir_mu;
std::string g_cache_dir;
}  // namespace

void SetDefaultCacheDir(std::string dir) {
  std::lock_guard<std::mutex> lock(g_cache_dir_mu);
  g_cache_dir = std::move(dir);
}

std::string DefaultCacheDir() {
  std::lock_guard<std::mutex> lock(g_cache_dir_mu);
  return g_cache_dir;
}

std::string StandardCacheDir() {
  if (const char* env = std::getenv("ACCORD_JIT_CACHE"); env && *env) return std::strcmp(env, "off") == 0 ? "" : env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/accord/jit";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/accord/jit";
  return "";
}

struct Runner::Jit {
  std::unique_ptr<llvm::orc::LLJIT> lljit;
  llvm::orc::ResourceTrackerSP tracker;
  int modules = 0;
  DiskObjectCache cache;
  std::string target_id;  // triple, CPU, features, versions, pipeline: part of every key
};

Runner::Runner(EngineKind kind, uint32_t hot_after)
    : kind_(kind), hot_after_(hot_after), cache_dir_(DefaultCacheDir()) {}

Runner::~Runner() {
  JoinBackground();
  if (jit_ && jit_->tracker) {
    if (auto err = jit_->tracker->remove()) llvm::consumeError(std::move(err));
  }
}

void Runner::JoinBackground() const {
  if (bg_.joinable()) bg_.join();
  bg_handle_ = -1;
}

int Runner::Add(const ir::Program* program) {
  JoinBackground();
  entries_.push_back(Entry{program});
  int h = static_cast<int>(entries_.size() - 1);
  if (kind_ == EngineKind::kJit) CompileEntries({h});
  return h;
}

bool Runner::CompileAll(bool only_cached) {
  JoinBackground();
  std::vector<int> todo;
  for (size_t i = 0; i < entries_.size(); ++i)
    if (!entries_[i].native && !entries_[i].failed) todo.push_back(static_cast<int>(i));
  if (!todo.empty() && !CompileEntries(todo, only_cached) && only_cached) return false;
  for (const auto& e : entries_)
    if (e.failed) return false;
  return true;
}

bool Runner::CompileEntries(const std::vector<int>& which, bool only_cached) {
  if (only_cached && cache_dir_.empty()) return false;
  auto start = std::chrono::steady_clock::now();
  auto fail = [&](const std::string& why) {
    for (int h : which) entries_[h].failed = true;
    warnings_.push_back("JIT compilation failed (" + why + "); using the interpreter");
  };
  if (fail_next_) {
    fail_next_ = false;
    fail("simulated failure");
    return false;
  }
  InitLLVM();
  if (!jit_) {
    jit_ = std::make_unique<Jit>();
    // O2 for the IR and the default code-generation level (CodeGenOpt::Less
    // measured no faster on the example: docs/benchmarks.md).
    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) {
      fail(ErrText(jtmb.takeError()));
      jit_.reset();
      return false;
    }
    jtmb->setCodeGenOptLevel(llvm::CodeGenOpt::Default);
    jit_->target_id = jtmb->getTargetTriple().str() + "\n" + jtmb->getCPU() + "\n" + jtmb->getFeatures().getString() +
                      "\nLLVM " LLVM_VERSION_STRING "\nAccord " ACCORD_VERSION "\nIR O2, codegen default\n";
    jit_->cache.stats = &cache_stats_;
    DiskObjectCache* cache = &jit_->cache;
    auto j =
        llvm::orc::LLJITBuilder()
            .setJITTargetMachineBuilder(std::move(*jtmb))
            .setCompileFunctionCreator([cache](llvm::orc::JITTargetMachineBuilder jtmb)
                                           -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
              auto tm = jtmb.createTargetMachine();
              if (!tm) return tm.takeError();
              return std::make_unique<llvm::orc::TMOwningSimpleCompiler>(std::move(*tm), cache);
            })
            .create();
    if (!j) {
      fail(ErrText(j.takeError()));
      jit_.reset();
      return false;
    }
    jit_->lljit = std::move(*j);
    auto& jd = jit_->lljit->getMainJITDylib();
    jit_->tracker = jd.createResourceTracker();
    llvm::orc::MangleAndInterner mangle(jit_->lljit->getExecutionSession(), jit_->lljit->getDataLayout());
    llvm::orc::SymbolMap syms;
    auto add = [&](const char* name, void* addr) {
      syms[mangle(name)] =
          llvm::JITEvaluatedSymbol(llvm::pointerToJITTargetAddress(addr), llvm::JITSymbolFlags::Exported);
    };
    add("accord_jit_exec", reinterpret_cast<void*>(&accord_jit_exec));
    add("accord_jit_branch", reinterpret_cast<void*>(&accord_jit_branch));
    add("accord_jit_return", reinterpret_cast<void*>(&accord_jit_return));
    add("accord_jit_release", reinterpret_cast<void*>(&accord_jit_release));
    add("accord_jit_call", reinterpret_cast<void*>(&accord_jit_call));
    add("accord_jit_is_blank", reinterpret_cast<void*>(&accord_jit_is_blank));
    add("accord_jit_const", reinterpret_cast<void*>(&accord_jit_const));
    add("accord_jit_table", reinterpret_cast<void*>(&accord_jit_table));
    if (auto err = jd.define(llvm::orc::absoluteSymbols(std::move(syms)))) {
      fail(ErrText(std::move(err)));
      jit_.reset();
      return false;
    }
  }
  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto mod = std::make_unique<llvm::Module>("accord_rules_" + std::to_string(jit_->modules++), *ctx);
  mod->setDataLayout(jit_->lljit->getDataLayout());
  Codegen cg(*ctx, *mod);
  std::vector<std::string> names;
  for (int h : which) {
    std::string name = "accord_prog_" + std::to_string(jit_->modules) + "_" + std::to_string(h);
    std::string verr = ir::Verify(*entries_[h].program);
    if (!verr.empty()) {
      fail("invalid IR: " + verr);
      return false;
    }
    cg.Build(*entries_[h].program, name);
    names.push_back(name);
  }
  std::string verify_msg;
  llvm::raw_string_ostream vos(verify_msg);
  if (llvm::verifyModule(*mod, &vos)) {
    fail("invalid LLVM IR: " + vos.str());
    return false;
  }
  jit_->cache.dir = cache_dir_;
  jit_->cache.last_error.clear();
  std::unique_ptr<llvm::MemoryBuffer> cached;
  if (!cache_dir_.empty()) {
    // the key: everything the object code depends on (the unoptimized IR
    // holds the program's code, constants and register types)
    std::string text = jit_->target_id;
    llvm::raw_string_ostream os(text);
    mod->print(os, nullptr);
    std::string key = Sha256Hex(os.str());
    mod->setModuleIdentifier(kKeyPrefix + key);
    bool rejected = false;
    cached = LoadCached(cache_dir_, key, &rejected);
    if (rejected) ++cache_stats_.rejected;
    if (!cached && only_cached) return false;  // the module is dropped; nothing else changed
    if (cached)
      ++cache_stats_.hits;
    else
      ++cache_stats_.misses;
  }
  if (cached) {
    // skips the O2 pipeline and code generation
    if (auto err = jit_->lljit->addObjectFile(jit_->tracker, std::move(cached))) {
      fail(ErrText(std::move(err)));
      return false;
    }
  } else {
    OptimizeModule(*mod);
    if (auto err =
            jit_->lljit->addIRModule(jit_->tracker, llvm::orc::ThreadSafeModule(std::move(mod), std::move(ctx)))) {
      fail(ErrText(std::move(err)));
      return false;
    }
  }
  for (size_t i = 0; i < which.size(); ++i) {
    auto sym = jit_->lljit->lookup(names[i]);
    if (!sym) {
      fail(ErrText(sym.takeError()));
      return false;
    }
    entries_[which[i]].native = reinterpret_cast<NativeFn>(sym->getAddress());
  }
  if (!jit_->cache.last_error.empty() && !cache_warned_) {
    cache_warned_ = true;
    warnings_.push_back("JIT cache not written (" + jit_->cache.last_error + "); compiling without it");
  }
  compile_ms_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return true;
}

Value Runner::Run(int handle, ir::Frame& frame, const ir::Inputs& in) {
  Entry& e = entries_[handle];
  if (bg_handle_ >= 0) {  // a compile is running on the background thread
    if (bg_done_.load(std::memory_order_acquire))
      JoinBackground();  // its entry's native code (or failure) is visible from here on
    else if (bg_handle_ == handle)
      return ir::Interpret(*e.program, frame, in);
  }
  if (!e.native && kind_ == EngineKind::kAuto && !e.failed && !e.interpret_only && expected_runs_ > 0 && e.runs == 0) {
    // the caller said how many runs come: decide once, at the first
    if (expected_runs_ < kColdBreakEven) {
      e.interpret_only = true;
      if (expected_runs_ >= kWarmBreakEven) CompileEntries({handle}, /*only_cached=*/true);
    } else {
      e.runs = hot_after_ - 1;  // compile now (below)
    }
  }
  if (!e.native && kind_ == EngineKind::kAuto && !e.failed && !e.interpret_only && ++e.runs >= hot_after_) {
    if (!background_) {
      CompileEntries({handle});
    } else if (bg_handle_ < 0) {
      bg_done_.store(false, std::memory_order_relaxed);
      bg_handle_ = handle;
      bg_ = std::thread([this, handle] {
        CompileEntries({handle});
        bg_done_.store(true, std::memory_order_release);
      });
      return ir::Interpret(*e.program, frame, in);
    }
  }
  if (e.native) {
    frame.Reset(*e.program);
    Value result;
    e.native(frame.regs.data(), in.records, in.out, &result, e.program);
    return result;
  }
  return ir::Interpret(*e.program, frame, in);
}

Value Runner::RunOn(int handle, const ir::Program& program, ir::Frame& frame, const ir::Inputs& in) const {
  const Entry& e = entries_[handle];
  if (e.native) {
    frame.Reset(program);
    Value result;
    e.native(frame.regs.data(), in.records, in.out, &result, &program);
    return result;
  }
  return ir::Interpret(program, frame, in);
}

bool Runner::is_native(int handle) const {
  JoinBackground();
  return entries_[handle].native != nullptr;
}

std::vector<std::string> Runner::TakeWarnings() {
  JoinBackground();
  return std::move(warnings_);
}

bool EmitLLVM(const ir::Program& program, bool assembly, std::string* out, std::string* error) {
  InitLLVM();
  llvm::LLVMContext ctx;
  llvm::Module mod("accord", ctx);
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) {
    *error = ErrText(jtmb.takeError());
    return false;
  }
  jtmb->setCodeGenOptLevel(llvm::CodeGenOpt::Default);
  auto tm = jtmb->createTargetMachine();
  if (!tm) {
    *error = ErrText(tm.takeError());
    return false;
  }
  mod.setDataLayout((*tm)->createDataLayout());
  mod.setTargetTriple((*tm)->getTargetTriple().str());
  Codegen cg(ctx, mod);
  std::string verr = ir::Verify(program);
  if (!verr.empty()) {
    *error = "invalid IR: " + verr;
    return false;
  }
  cg.Build(program, "accord_program");
  OptimizeModule(mod);
  llvm::raw_string_ostream os(*out);
  if (!assembly) {
    mod.print(os, nullptr);
    return true;
  }
  llvm::SmallVector<char, 0> buf;
  llvm::raw_svector_ostream asm_os(buf);
  llvm::legacy::PassManager pm;
  if ((*tm)->addPassesToEmitFile(pm, asm_os, nullptr, llvm::CGFT_AssemblyFile)) {
    *error = "the target cannot emit assembly";
    return false;
  }
  pm.run(mod);
  out->assign(buf.begin(), buf.end());
  return true;
}

}  // namespace accord::jit
