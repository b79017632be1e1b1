#include "runtime/sync/explain.h"

namespace accord::sync {
namespace {

const char* const kSide[2] = {"salesforce", "hubspot"};

bool Same(const Text& a, const Text& b) {
  if (IsBlank(a) || IsBlank(b)) return IsBlank(a) && IsBlank(b);
  return *a == *b;
}

std::string Quoted(const Text& t) { return t ? "\"" + *t + "\"" : "null"; }

std::string PolicyName(const ir::ConflictPolicy& p) {
  int preferred = p.side == schema::System::kSalesforce ? 0 : 1;
  switch (p.kind) {
    case ir::ConflictKind::kTwoWay:
      return "two_way";
    case ir::ConflictKind::kPrefer:
      return std::string("prefer ") + kSide[preferred];
    case ir::ConflictKind::kPreferUnlessBlank:
      return std::string("prefer ") + kSide[preferred] + " unless blank";
    case ir::ConflictKind::kDontSync:
      return "dont_sync";
  }
  return "two_way";
}

// A usable proposal toward side i: the rule flows there and made a value.
bool Proposes(const FieldInput& in, int i) { return in.flows[i] && !in.toward[i].skip && !in.toward[i].error; }

}  // namespace

std::string_view DriftReasonName(DriftReason r) {
  switch (r) {
    case DriftReason::kNone:
      return "none";
#define X(id, name, doc)   \
  case DriftReason::k##id: \
    return name;
      ACCORD_DRIFT_REASONS(X)
#undef X
  }
  return "none";
}

bool Agree(const FieldInput& in) {
  if (IsBlank(in.cur[0]) && IsBlank(in.cur[1])) return true;
  bool proposed = false;
  for (int i = 0; i < 2; ++i) {
    if (!Proposes(in, i)) continue;
    proposed = true;
    if (Same(in.toward[i].text, in.cur[i])) return true;
  }
  // no value made either way (a blank under `blank ignore`, a value that cannot be made):
  // the values as read
  return !proposed && Same(in.cur[0], in.cur[1]);
}

std::string WritePolicy(const FieldInput& in, const FieldDecision& d) {
  if (d.conflict) return d.why;
  if (d.write_to < 0) return "";
  int to = d.write_to, from = 1 - to;
  std::string rule =
      in.flows[0] && in.flows[1] ? PolicyName(in.policy) : std::string("one_way ") + kSide[from] + " -> " + kSide[to];
  std::string what = in.has_base ? std::string("only ") + kSide[from] + " changed"
                                 : std::string("a new link: only ") + kSide[from] + " has a value";
  if (to == 1 && in.forward_only_rank) what += "; lifecycle forward only: the stage moves up, never back";
  return rule + ": " + what;
}

DriftExplanation ExplainDrift(const FieldInput& in, const FieldDecision& d, const std::string field[2],
                              const bool refused[2], const std::string& held) {
  DriftExplanation x;
  if (Agree(in)) return x;
  auto named = [&](int i) { return std::string(kSide[i]) + " " + field[i]; };
  // 1. a value that cannot be written: its entry waits in the error log
  for (int i = 0; i < 2; ++i)
    if (refused[i] || d.error_to == i || (in.flows[i] && in.toward[i].error)) {
      x.reason = DriftReason::kError;
      x.detail = "the value toward " + named(i) +
                 " cannot be written; it waits in the error log until the value or the rules change (accord errors)";
      return x;
    }
  // 2. the decision writes: the next pass does, unless the pair waits on an error
  if (d.write_to >= 0) {
    if (!held.empty()) {
      x.reason = DriftReason::kError;
      x.detail =
          "the pair waits in the error log (" + held + "); then " + named(d.write_to) + " gets " + Quoted(d.value);
      return x;
    }
    x.reason = DriftReason::kPending;
    x.detail = "the next pass writes " + named(d.write_to) + " = " + Quoted(d.value) + " (" + WritePolicy(in, d) + ")";
    return x;
  }
  // 3. the rule itself keeps the values apart
  if (in.policy.kind == ir::ConflictKind::kDontSync && in.flows[0] && in.flows[1]) {
    x.reason = DriftReason::kDontSync;
    x.detail = "conflict dont_sync: once both records exist no value passes either way; each side keeps its own";
    return x;
  }
  for (int i = 0; i < 2; ++i)
    if (in.flows[i] && in.toward[i].skip && !IsBlank(in.cur[i])) {
      x.reason = DriftReason::kBlankIgnore;
      x.detail = named(1 - i) + " is blank and the rule never writes a blank (blank ignore): " + named(i) + " keeps " +
                 Quoted(in.cur[i]);
      return x;
    }
  if (in.flows[1] && in.forward_only_rank && Proposes(in, 1) &&
      in.forward_only_rank(in.toward[1].text) < in.forward_only_rank(in.cur[1])) {
    x.reason = DriftReason::kForwardOnly;
    x.detail = named(1) + " is a forward-only lifecycle: " + Quoted(in.toward[1].text) + " is a lower stage than " +
               Quoted(in.cur[1]) + " and is never written";
    return x;
  }
  if (in.flows[0] != in.flows[1]) {
    int to = in.flows[0] ? 0 : 1, from = 1 - to;
    x.reason = DriftReason::kOneWay;
    x.detail = "the rule flows " + std::string(kSide[from]) + " -> " + kSide[to] + " only: " + named(to) +
               " was changed in " + kSide[to] + " and keeps " + Quoted(in.cur[to]) + " until " +
               (field[from] == "(computed)" ? "what the rule computes from " + std::string(kSide[from]) : named(from)) +
               " changes";
    return x;
  }
  x.reason = DriftReason::kUnchanged;
  x.detail = "neither side changed since the pair last settled this field; the next change on either side is carried";
  return x;
}

}  // namespace accord::sync
