// What the engine tells an operator about one field of one linked pair, read
// off the reconcile's own inputs and decision (reconcile.h), never re-derived
// from the rules:
//   - WritePolicy: the policy that decided a write (the write history behind
//     `accord why`: "two_way: only salesforce changed", "prefer salesforce", ...);
//   - ExplainDrift: why the pair's two values still disagree once the pass has
//     decided (`accord drift`): a one-way rule, `dont_sync`, `blank ignore`, a
//     forward-only lifecycle, an error that waits, or a write the next pass makes.
// docs/operations.md lists the reasons with examples.
#pragma once

#include <string>
#include <string_view>

#include "runtime/sync/reconcile.h"

namespace accord::sync {

// The drift reasons, declared once: enumerator, name (json/csv, `accord drift`), meaning.
// clang-format off
#define ACCORD_DRIFT_REASONS(X)                                                                              \
  X(Pending,     "pending",      "the next pass writes it (a side changed since the last pass)")            \
  X(OneWay,      "one_way",      "the rule flows one way; an edit on the other side does not flow back")    \
  X(DontSync,    "dont_sync",    "conflict dont_sync: once both records exist neither side is written")     \
  X(BlankIgnore, "blank_ignore", "one side is blank and the rule never writes a blank (blank ignore)")      \
  X(ForwardOnly, "forward_only", "a forward-only lifecycle never moves a record back to a lower stage")     \
  X(Error,       "error",        "an error waits in the error log (the value cannot be written, or the pair waits)") \
  X(OutOfScope,  "out_of_scope", "the pair left its sync's scope: the link is kept, updates stop")          \
  X(Unchanged,   "unchanged",    "neither side changed since the pair last settled the field")
// clang-format on

enum class DriftReason {
  kNone,  // the values agree
#define X(id, name, doc) k##id,
  ACCORD_DRIFT_REASONS(X)
#undef X
};
std::string_view DriftReasonName(DriftReason r);

// The two sides agree on the field as the reconcile sees agreement: both blank, or
// what the rule makes of one side's value is the other side's value (so that
// `Email <-> email with lowerAscii(trim(_))` agrees on " Ada@X.com" / "ada@x.com").
bool Agree(const FieldInput& in);

// The policy that decided a write of `d` (d.write_to >= 0): the conflict policy's reason on
// a conflict, else the rule's direction and the side that changed.
std::string WritePolicy(const FieldInput& in, const FieldDecision& d);

struct DriftExplanation {
  DriftReason reason = DriftReason::kNone;
  std::string detail;  // one sentence naming the sides and fields
};

// Why the field of a linked pair disagrees after the decision `d` of input `in`
// (kNone when it agrees). `field` is each side's field name; `refused[i]`: the engine
// held back a write toward side i after the decision (a blank Salesforce refuses);
// `held`: non-empty when the whole pair waits in the error log (its entry's words):
// nothing is written this pass.
DriftExplanation ExplainDrift(const FieldInput& in, const FieldDecision& d, const std::string field[2],
                              const bool refused[2], const std::string& held);

}  // namespace accord::sync
