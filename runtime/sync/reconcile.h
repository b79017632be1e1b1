// The reconcile decision for one field rule of one linked pair, as a pure
// function: the shadows, both current values, what the rule would write
// toward each side, the conflict policy and (on a two_way conflict) the
// change times with their precision in; what is written and what the
// shadows become out. `accord plan` and `accord run` decide through it, and
// reconcile_test checks it against the reference model (tests/model).
// docs/sync.md "Reconcile" is its specification.
#pragma once

#include <functional>
#include <string>

#include "compiler/ir/rules.h"
#include "runtime/connectors/connector.h"

namespace accord::sync {

// When a side's value changed, as its system tells it: the field's own
// change time where known, else the record's; `precision_ms` is the
// granularity of that clock (Salesforce SystemModstamp: 1000).
struct ChangeTime {
  std::string at;        // ISO-8601
  int precision_ms = 0;  // 0: unknown, then read off the text (no fraction: whole seconds)
  bool field = false;    // the field's own change time (not the record's)
  // Not the field's time: the record's stamp in the pass that first saw this value, which
  // bounds when the field changed (an edit of another field since then moved the record's
  // time, not this field's).
  bool first_seen = false;
};

// What the rule would write toward one side (already mapped: `with`, `via`, blank policy).
struct Proposal {
  bool skip = true;    // nothing (a blank under `blank ignore`, a rule not flowing this way)
  bool error = false;  // the value could not be made (a rejected table value, a failed expression)
  Text text;
};

// Index 0 is Salesforce, 1 HubSpot.
struct FieldInput {
  bool has_base = false;  // the pair agreed on this field before (a new link has no shadows)
  Text base[2];
  Text cur[2];
  bool flows[2] = {false, false};  // the rule writes toward side i
  Proposal toward[2];
  ir::ConflictPolicy policy;
  // The rank of a stage when the HubSpot side is a `forward only` lifecycle property
  // (never written to a lower stage); null otherwise.
  std::function<int(const Text&)> forward_only_rank;
  // Asked only on a two_way conflict.
  std::function<ChangeTime(int side)> changed_at;
};

struct FieldDecision {
  int write_to = -1;  // the side written, or -1
  Text value;         // what is written there
  int error_to = -1;  // the proposal toward this side is an error: nothing is written there
  // The shadows once the pass is done: with a write, once it is acknowledged.
  Text base[2];
  bool base_moves = false;  // base differs from the input's (or there was none)
  bool conflict = false;    // both sides changed and disagree
  int winner = -1;          // the conflict's winner (-1: dont_sync, none)
  std::string why;          // the policy's reason, for plan and the events
  // A two_way conflict decided without both fields' own change times: the record's time
  // (or the bound a pass saw) stood for a field's; the engine puts a note in the error log.
  bool by_record_time = false;
};

FieldDecision DecideField(const FieldInput& in);

// ISO-8601 text -> ms since the epoch (0 when unreadable), read as
// base::kModstamp says: a fraction of any length (".5" is 500 ms), and Z,
// +hh:mm or +hhmm offsets (Salesforce writes "+0000"). *precision_ms, when given, is 1000 for a time without a non-zero
// fraction, else 1.
int64_t StampMs(const std::string& s, int* precision_ms = nullptr);

}  // namespace accord::sync
