#include "compiler/ir/ir.h"

#include <algorithm>
#include <functional>
#include <set>

#include "compiler/ir/interp.h"

namespace accord::ir {

std::string_view OpName(Op op) {
  switch (op) {
#define X(name, doc) \
  case Op::k##name:  \
    return #name;
    ACCORD_IR_OPS(X)
#undef X
  }
  return "?";
}

// ---- value tables: perfect hash over string keys ----

namespace {
uint64_t Mix(std::string_view s, uint64_t seed) {
  uint64_t h = seed ^ 0x9E3779B97F4A7C15ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 32;
  return h;
}
}  // namespace

void ValueTable::Build() {
  size_t nstr = 0;
  for (const auto& k : keys) nstr += k.is(rt::Kind::kString);
  buckets.clear();
  if (nstr == 0) return;
  uint32_t size = 1;
  while (size < nstr * 2) size <<= 1;
  for (;;) {
    for (uint64_t s = 1; s < 4096; ++s) {
      std::vector<int32_t> b(size, -1);
      bool ok = true;
      for (size_t i = 0; i < keys.size() && ok; ++i) {
        if (!keys[i].is(rt::Kind::kString)) continue;
        uint32_t slot = static_cast<uint32_t>(Mix(keys[i].str(), s)) & (size - 1);
        if (b[slot] != -1)
          ok = false;
        else
          b[slot] = static_cast<int32_t>(i);
      }
      if (ok) {
        seed = s;
        mask = size - 1;
        buckets = std::move(b);
        return;
      }
    }
    size <<= 1;  // no seed separated the keys at this size: grow
  }
}

int ValueTable::Find(const rt::Value& key) const {
  if (key.is(rt::Kind::kString)) {
    if (buckets.empty()) return -1;
    int32_t i = buckets[static_cast<uint32_t>(Mix(key.str(), seed)) & mask];
    return i >= 0 && keys[i].str() == key.str() ? i : -1;
  }
  for (size_t i = 0; i < keys.size(); ++i)
    if (!keys[i].is(rt::Kind::kString) && rt::Equal(keys[i], key)) return static_cast<int>(i);
  return -1;
}

// ---- operand access ----

namespace {

// Registers an instruction reads.
void ForEachRead(Instr& i, const std::function<void(uint16_t&)>& f) {
  switch (i.op) {
    case Op::kConst:
    case Op::kLoadField:
    case Op::kJump:
      return;
    case Op::kMove:
    case Op::kJumpIfTrue:
    case Op::kJumpIfFalse:
    case Op::kJumpIfBlank:
    case Op::kCondBr:
    case Op::kAndShort:
    case Op::kOrShort:
    case Op::kNot:
    case Op::kNeg:
    case Op::kSelect:
    case Op::kHas:
    case Op::kIsError:
    case Op::kTable:
    case Op::kStoreOut:
    case Op::kReturn:
      f(i.a);
      return;
    case Op::kCheckBool:
      f(i.a);
      return;
    case Op::kListAppend:
    case Op::kMapMerge:
      f(i.a);
      f(i.dst);
      return;
    case Op::kMapInsert:
      f(i.a);
      f(i.b);
      f(i.dst);
      return;
    case Op::kIterInit:
      f(i.a);
      return;
    case Op::kIterNext:
      f(i.a);
      f(i.b);
      return;
    case Op::kMakeList:
    case Op::kCall:
    case Op::kCallDyn:
      for (uint16_t k = 0; k < i.b; ++k) {
        uint16_t r = static_cast<uint16_t>(i.a + k);
        f(r);
      }
      return;
    case Op::kMakeMap:
      for (uint16_t k = 0; k < 2 * i.b; ++k) {
        uint16_t r = static_cast<uint16_t>(i.a + k);
        f(r);
      }
      return;
    default:  // binary ops and joins
      f(i.a);
      f(i.b);
      return;
  }
}

// Registers an instruction writes (dst, and the extras).
void ForEachWrite(const Instr& i, const std::function<void(uint16_t)>& f) {
  switch (i.op) {
    case Op::kJump:
    case Op::kJumpIfTrue:
    case Op::kJumpIfFalse:
    case Op::kJumpIfBlank:
    case Op::kStoreOut:
    case Op::kReturn:
      return;
    case Op::kCheckBool:
      f(i.a);
      return;
    case Op::kIterInit:
      f(i.dst);
      f(i.b);
      return;
    case Op::kIterNext:
      f(i.dst);
      f(i.b);
      return;
    default:
      f(i.dst);
      return;
  }
}

bool IsPure(Op op) {
  switch (op) {
    case Op::kStoreOut:
    case Op::kReturn:
    case Op::kListAppend:
    case Op::kMapInsert:
    case Op::kMapMerge:
    case Op::kCheckBool:
      return false;
    default:
      return !IsControl(op);
  }
}

// Successor pcs of the instruction at pc.
std::vector<uint32_t> Successors(const Instr& i, uint32_t pc) {
  switch (i.op) {
    case Op::kReturn:
      return {};
    case Op::kJump:
      return {i.c};
    case Op::kCondBr:
      return {pc + 1, i.c, i.b};
    default:
      if (IsControl(i.op)) return {pc + 1, i.c};
      return {pc + 1};
  }
}

// Rebuilds the code keeping `keep`, with `prologue` instructions first.
// Jump targets move to the first kept instruction at or after them.
void Rebuild(Program& p, const std::vector<bool>& keep, const std::vector<Instr>& prologue) {
  size_t n = p.code.size();
  std::vector<uint32_t> new_index(n + 1);
  uint32_t next = static_cast<uint32_t>(prologue.size());
  std::vector<uint32_t> kept_at(n + 1);
  for (size_t i = 0; i < n; ++i) {
    new_index[i] = next;
    if (keep[i]) ++next;
  }
  new_index[n] = next;
  std::vector<Instr> out = prologue;
  for (size_t i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    Instr ins = p.code[i];
    if (IsControl(ins.op) && ins.op != Op::kReturn) ins.c = new_index[std::min<size_t>(ins.c, n)];
    if (ins.op == Op::kCondBr) ins.b = static_cast<uint16_t>(new_index[std::min<size_t>(ins.b, n)]);
    out.push_back(ins);
  }
  p.code = std::move(out);
}

int CseFieldLoads(Program& p) {
  std::map<std::pair<uint16_t, uint16_t>, uint16_t> canon;  // (slot, side) -> register
  std::vector<uint16_t> rename(p.num_regs());
  for (size_t r = 0; r < rename.size(); ++r) rename[r] = static_cast<uint16_t>(r);
  std::vector<bool> keep(p.code.size(), true);
  std::vector<Instr> prologue;
  // Only registers written once can be renamed safely.
  std::vector<int> writes(p.num_regs(), 0);
  for (const Instr& i : p.code) ForEachWrite(i, [&](uint16_t r) { ++writes[r]; });
  int removed = 0;
  for (size_t k = 0; k < p.code.size(); ++k) {
    const Instr& i = p.code[k];
    if (i.op != Op::kLoadField || writes[i.dst] != 1) continue;
    auto [it, fresh] = canon.emplace(std::make_pair(i.a, i.b), i.dst);
    if (fresh)
      prologue.push_back(i);
    else {
      rename[i.dst] = it->second;
      ++removed;
    }
    keep[k] = false;  // loads move to the prologue (they cannot fail and have no effects)
  }
  if (prologue.empty()) return 0;
  for (Instr& i : p.code) ForEachRead(i, [&](uint16_t& r) { r = rename[r]; });
  Rebuild(p, keep, prologue);
  return removed;
}

int FoldConstants(Program& p) {
  int folded = 0;
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<int> writes(p.num_regs(), 0);
    for (const Instr& i : p.code) ForEachWrite(i, [&](uint16_t r) { ++writes[r]; });
    std::vector<int> const_of(p.num_regs(), -1);
    for (const Instr& i : p.code)
      if (i.op == Op::kConst && writes[i.dst] == 1) const_of[i.dst] = i.a;
    std::vector<rt::Value> scratch(p.num_regs());
    for (uint32_t pc = 0; pc < p.code.size(); ++pc) {
      Instr& i = p.code[pc];
      if (i.op == Op::kConst || i.op == Op::kLoadField || i.op == Op::kMove) continue;
      bool all_const = true, any = false;
      Instr copy = i;
      ForEachRead(copy, [&](uint16_t& r) {
        any = true;
        if (const_of[r] < 0) all_const = false;
      });
      if (!any || !all_const) continue;
      Inputs none;
      if (IsPure(i.op)) {
        if (i.op == Op::kCallDyn) continue;  // resolved at run time
        ForEachRead(copy, [&](uint16_t& r) { scratch[r] = p.consts[const_of[r]]; });
        ExecOp(p, i, scratch.data(), none);
        const rt::Value& v = scratch[i.dst];
        if (v.is_error()) continue;  // raise it at run time, with its location
        // Borrowed strings cannot be constants; every constant owns its bytes.
        rt::Value owned = v;
        if (v.is(rt::Kind::kString) && (v.raw().flags & rt::Value::kBorrowed)) owned = rt::Value::String(v.str());
        p.consts.push_back(owned);
        uint16_t dst = i.dst;
        uint32_t loc = i.loc;
        i = Instr{};
        i.op = Op::kConst;
        i.dst = dst;
        i.a = static_cast<uint16_t>(p.consts.size() - 1);
        i.loc = loc;
        ++folded;
        changed = true;
      } else if ((i.op == Op::kAndShort || i.op == Op::kOrShort) && p.consts[const_of[i.a]].is(rt::Kind::kBool)) {
        bool absorbing = p.consts[const_of[i.a]].bool_value() == (i.op == Op::kOrShort);
        if (absorbing) {
          // dst = the constant, then leave: the two instructions go at the end
          Instr move;
          move.op = Op::kMove;
          move.dst = i.dst;
          move.a = i.a;
          Instr leave;
          leave.op = Op::kJump;
          leave.c = i.c;
          uint32_t at = static_cast<uint32_t>(p.code.size());
          p.code.push_back(move);
          p.code.push_back(leave);
          Instr& again = p.code[pc];  // push_back may have moved the code
          again = Instr{};
          again.op = Op::kJump;
          again.c = at;
        } else {
          i = Instr{};
          i.op = Op::kJump;
          i.c = pc + 1;
        }
        ++folded;
        changed = true;
      } else if (i.op == Op::kJumpIfTrue || i.op == Op::kJumpIfFalse || i.op == Op::kJumpIfBlank ||
                 (i.op == Op::kCondBr && p.consts[const_of[i.a]].is(rt::Kind::kBool))) {
        ForEachRead(copy, [&](uint16_t& r) { scratch[r] = p.consts[const_of[r]]; });
        int s = Branch(p, i, scratch.data(), none);
        uint32_t target = s == 0 ? pc + 1 : s == 1 ? i.c : i.b;
        i = Instr{};
        i.op = Op::kJump;
        i.c = target;
        ++folded;
        changed = true;
      }
    }
  }
  return folded;
}

int EliminateDeadCode(Program& p) {
  int removed = 0;
  for (bool changed = true; changed;) {
    changed = false;
    size_t n = p.code.size();
    // reachability
    std::vector<bool> reach(n, false);
    std::vector<uint32_t> work{0};
    while (!work.empty()) {
      uint32_t pc = work.back();
      work.pop_back();
      if (pc >= n || reach[pc]) continue;
      reach[pc] = true;
      for (uint32_t s : Successors(p.code[pc], pc)) work.push_back(s);
    }
    // liveness (flow-insensitive): registers read anywhere reachable
    std::vector<bool> read(p.num_regs(), false);
    for (size_t k = 0; k < n; ++k) {
      if (!reach[k]) continue;
      Instr copy = p.code[k];
      ForEachRead(copy, [&](uint16_t& r) { read[r] = true; });
    }
    std::vector<bool> keep(n, true);
    for (size_t k = 0; k < n; ++k) {
      const Instr& i = p.code[k];
      bool dead = !reach[k] || (IsPure(i.op) && !read[i.dst]) || (i.op == Op::kJump && i.c == k + 1);
      if (dead) {
        keep[k] = false;
        ++removed;
        changed = true;
      }
    }
    if (changed) Rebuild(p, keep, {});
  }
  return removed;
}

}  // namespace

PassStats Optimize(Program& p) {
  PassStats s;
  s.cse = CseFieldLoads(p);
  s.folded = FoldConstants(p);
  s.dead = EliminateDeadCode(p);
  return s;
}

std::string Verify(const Program& p) {
  size_t n = p.code.size();
  if (n == 0) return "empty program";
  if (p.code.back().op != Op::kReturn && p.code.back().op != Op::kJump)
    return "the last instruction must end the program";
  for (size_t k = 0; k < n; ++k) {
    Instr i = p.code[k];
    std::string where = "instruction " + std::to_string(k) + " (" + std::string(OpName(i.op)) + "): ";
    bool bad_reg = false;
    ForEachRead(i, [&](uint16_t& r) { bad_reg |= r >= p.num_regs(); });
    ForEachWrite(i, [&](uint16_t r) { bad_reg |= r >= p.num_regs(); });
    if (bad_reg) return where + "register out of range";
    if (IsControl(i.op) && i.op != Op::kReturn && i.c >= n) return where + "jump target out of range";
    if (i.op == Op::kCondBr && i.b >= n) return where + "error target out of range";
    if (i.op == Op::kConst && i.a >= p.consts.size()) return where + "constant out of range";
    if ((i.op == Op::kSelect || i.op == Op::kHas || i.op == Op::kCallDyn) && i.c >= p.names.size())
      return where + "name out of range";
    if (i.op == Op::kCall && i.c >= static_cast<uint32_t>(rt::Fn::kCount)) return where + "unknown function";
    if (i.op == Op::kTable && i.c >= p.tables.size()) return where + "table out of range";
    if (i.op == Op::kStoreOut && i.c >= p.out_slots) return where + "output slot out of range";
    if (i.op == Op::kLoadField && i.b > 1) return where + "record side out of range";
    if (i.loc >= p.locs.size()) return where + "location out of range";
  }
  return "";
}

std::string Print(const Program& p) {
  std::string out =
      "program " + p.name + " (params " + std::to_string(p.params) + ", regs " + std::to_string(p.num_regs()) + ")\n";
  auto reg = [&](uint16_t r) {
    std::string s = "%" + std::to_string(r);
    if (r < p.reg_types.size() && p.reg_types[r] != sema::TypeKind::kDyn) {
      sema::Type t = sema::Type::Of(p.reg_types[r]);
      s += ":" + t.ToString();
    }
    return s;
  };
  for (size_t k = 0; k < p.code.size(); ++k) {
    const Instr& i = p.code[k];
    char num[32];
    std::snprintf(num, sizeof num, "%4zu  ", k);
    std::string line = num;
    std::string name(OpName(i.op));
    switch (i.op) {
      case Op::kConst:
        line += reg(i.dst) + " = const " + p.consts[i.a].DebugString();
        break;
      case Op::kLoadField:
        line += reg(i.dst) + " = load " + (i.b == 0 ? "salesforce" : "hubspot") + "[" + std::to_string(i.a) + "]";
        break;
      case Op::kMove:
        line += reg(i.dst) + " = " + reg(i.a);
        break;
      case Op::kJump:
        line += "jump " + std::to_string(i.c);
        break;
      case Op::kJumpIfTrue:
      case Op::kJumpIfFalse:
      case Op::kJumpIfBlank:
        line += name + " " + reg(i.a) + " -> " + std::to_string(i.c);
        break;
      case Op::kCondBr:
        line += "condbr " + reg(i.a) + " else " + std::to_string(i.c) + " error " + reg(i.dst) + " -> " +
                std::to_string(i.b);
        break;
      case Op::kAndShort:
      case Op::kOrShort:
        line += reg(i.dst) + " = " + name + " " + reg(i.a) + " -> " + std::to_string(i.c);
        break;
      case Op::kSelect:
      case Op::kHas:
        line += reg(i.dst) + " = " + name + " " + reg(i.a) + "." + p.names[i.c];
        break;
      case Op::kMakeList:
      case Op::kMakeMap:
        line += reg(i.dst) + " = " + name + " %" + std::to_string(i.a) + ".." +
                std::to_string(i.a + (i.op == Op::kMakeMap ? 2 : 1) * i.b);
        break;
      case Op::kCall:
        line += reg(i.dst) + " = call " + std::string(rt::FnId(static_cast<rt::Fn>(i.c))) + "(%" + std::to_string(i.a) +
                " x" + std::to_string(i.b) + ")";
        break;
      case Op::kCallDyn:
        line +=
            reg(i.dst) + " = calldyn " + p.names[i.c] + "(%" + std::to_string(i.a) + " x" + std::to_string(i.b) + ")";
        break;
      case Op::kIterInit:
        line +=
            "iterinit " + reg(i.a) + " index " + reg(i.b) + " else error " + reg(i.dst) + " -> " + std::to_string(i.c);
        break;
      case Op::kIterNext:
        line += reg(i.dst) + " = iternext " + reg(i.a) + " index " + reg(i.b) + " done -> " + std::to_string(i.c);
        break;
      case Op::kIsError:
        line += "iserror " + reg(i.a) + " -> " + reg(i.dst) + ", " + std::to_string(i.c);
        break;
      case Op::kCheckBool:
        line += "checkbool " + reg(i.a);
        break;
      case Op::kListAppend:
        line += "append " + reg(i.dst) + ", " + reg(i.a);
        break;
      case Op::kIterVar:
        line += reg(i.dst) + " = itervar " + reg(i.a) + " index " + reg(i.b) + (i.aux == 0 ? " key" : " value");
        break;
      case Op::kMapInsert:
        line += "mapinsert " + reg(i.dst) + "[" + reg(i.a) + "] = " + reg(i.b);
        break;
      case Op::kMapMerge:
        line += "mapmerge " + reg(i.dst) + ", " + reg(i.a);
        break;
      case Op::kTable:
        line += reg(i.dst) + " = table " + p.tables[i.c]->name + "[" + reg(i.a) + "]";
        break;
      case Op::kStoreOut:
        line += "out[" + std::to_string(i.c) + "] = " + reg(i.a);
        break;
      case Op::kReturn:
        line += "return " + reg(i.a);
        break;
      case Op::kNot:
      case Op::kNeg:
        line += reg(i.dst) + " = " + name + " " + reg(i.a);
        break;
      default:
        line += reg(i.dst) + " = " + name + " " + reg(i.a) + ", " + reg(i.b);
        break;
    }
    if (i.loc != 0 && i.loc < p.locs.size() && p.locs[i.loc].file)
      line += "    ; " + std::to_string(p.locs[i.loc].line) + ":" + std::to_string(p.locs[i.loc].col);
    out += line + "\n";
  }
  return out;
}

}  // namespace accord::ir
