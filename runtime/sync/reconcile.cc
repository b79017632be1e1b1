#include "runtime/sync/reconcile.h"

#include <algorithm>
#include <optional>

#include "base/time.h"

namespace accord::sync {
namespace {

bool Same(const Text& a, const Text& b) {
  if (IsBlank(a) || IsBlank(b)) return IsBlank(a) && IsBlank(b);
  return *a == *b;
}

}  // namespace

int64_t StampMs(const std::string& s, int* precision_ms) {
  std::optional<base::Instant> t = base::ParseTime(s, base::kModstamp);
  // whole seconds unless the text gives a millisecond that is not 0
  if (precision_ms) *precision_ms = t && t->nanos / 1000000 != 0 ? 1 : 1000;
  return t ? t->ms() : 0;
}

FieldDecision DecideField(const FieldInput& in) {
  FieldDecision d;
  const bool has = in.has_base;
  Text basev[2] = {has ? in.base[0] : std::nullopt, has ? in.base[1] : std::nullopt};
  bool ch[2];
  for (int i = 0; i < 2; ++i) ch[i] = has ? !Same(in.cur[i], basev[i]) : !IsBlank(in.cur[i]);
  // a side's edits only matter if the rule flows from it
  if (!in.flows[1]) ch[0] = false;
  if (!in.flows[0]) ch[1] = false;
  auto accept = [&](int i) { basev[i] = in.cur[i]; };  // this side's current value becomes its shadow
  auto write = [&](int to, int from) {                 // `from` changed: carry it to `to`
    const Proposal& x = in.toward[to];
    if (x.skip) {
      accept(from);
      if (!has) accept(to);
      return;
    }
    if (x.error) {
      d.error_to = to;  // nothing moves: the field is carried once the value or the rules change
      return;
    }
    if (Same(x.text, in.cur[to])) {
      accept(from);
      accept(to);
      return;
    }
    if (to == 1 && in.forward_only_rank && in.forward_only_rank(x.text) < in.forward_only_rank(in.cur[1])) {
      accept(from);  // forward only: a lower stage is never written
      accept(to);
      return;
    }
    d.write_to = to;
    d.value = x.text;
    d.base[0] = from == 0 ? in.cur[0] : x.text;
    d.base[1] = from == 0 ? x.text : in.cur[1];
    d.base_moves = true;
  };
  if (in.policy.kind == ir::ConflictKind::kDontSync && in.flows[0] && in.flows[1]) {
    // HubSpot's "Don't sync": once both records exist no data passes either way (a
    // create still carries the value); each side's value is its own
    accept(0), accept(1);
  } else if (!ch[0] && !ch[1]) {
    if (!has) accept(0), accept(1);
  } else if (ch[0] && !ch[1]) {
    write(1, 0);
  } else if (!ch[0] && ch[1]) {
    write(0, 1);
  } else {
    const Proposal* w = in.toward;
    bool agree = (IsBlank(in.cur[0]) && IsBlank(in.cur[1])) ||
                 (!w[1].skip && !w[1].error && Same(w[1].text, in.cur[1])) ||
                 (!w[0].skip && !w[0].error && Same(w[0].text, in.cur[0]));
    if (agree) {
      accept(0), accept(1);
    } else {
      d.conflict = true;
      const char* side_name[2] = {"salesforce", "hubspot"};
      switch (in.policy.kind) {
        case ir::ConflictKind::kPrefer:
          d.winner = in.policy.side == schema::System::kSalesforce ? 0 : 1;
          d.why = std::string("prefer ") + side_name[d.winner];
          break;
        case ir::ConflictKind::kPreferUnlessBlank: {
          int preferred = in.policy.side == schema::System::kSalesforce ? 0 : 1;
          d.winner = IsBlank(in.cur[preferred]) ? 1 - preferred : preferred;
          d.why = std::string("prefer ") + side_name[preferred] + " unless blank";
          break;
        }
        case ir::ConflictKind::kTwoWay: {
          // the field's own change time where the system tells it, else the record's: an edit of
          // another field must not make this one "recent"; times of different precision never
          // decide as if exact: within the coarser one it is a tie, and a tie goes to Salesforce
          ChangeTime t[2] = {in.changed_at ? in.changed_at(0) : ChangeTime{},
                             in.changed_at ? in.changed_at(1) : ChangeTime{}};
          int prec[2];
          int64_t ms[2] = {StampMs(t[0].at, &prec[0]), StampMs(t[1].at, &prec[1])};
          for (int s = 0; s < 2; ++s) prec[s] = t[s].precision_ms > 0 ? t[s].precision_ms : prec[s];
          int64_t grain = std::max(prec[0], prec[1]);
          bool tie = ms[0] / grain == ms[1] / grain;
          d.winner = !tie && ms[1] > ms[0] ? 1 : 0;
          // "its record's time 2026-…" (a record without a stamp reads as the epoch: say so)
          auto source = [&](int s) {
            return std::string(t[s].field        ? "its field's change time"
                               : t[s].first_seen ? "its record's time when a pass first saw the change"
                                                 : "its record's time") +
                   (t[s].at.empty() ? " (none known)" : " " + t[s].at);
          };
          d.by_record_time = !t[0].field || !t[1].field;
          d.why = tie ? "two_way: a tie within " + std::to_string(grain) + " ms (salesforce " + source(0) +
                            ", hubspot " + source(1) + "); a tie goes to salesforce"
                      : "two_way: the more recent change (" + std::string(side_name[d.winner]) + ", by " +
                            source(d.winner) + " against " + source(1 - d.winner) + ")";
          break;
        }
        case ir::ConflictKind::kDontSync:  // a one-way rule: the policy never applies
          d.why = "dont_sync: neither side is written";
          break;
      }
      if (d.winner >= 0) {
        int w = d.winner, l = 1 - w;
        // the winner's new value is a blank the rules do not write (`blank ignore`): a blank never
        // erases, so the loser's value fills it in this same pass (not one pass later)
        if (in.toward[l].skip && !in.toward[w].skip)
          write(w, l);
        else
          write(l, w);
      }
    }
  }
  if (d.write_to < 0) {
    d.base[0] = basev[0];
    d.base[1] = basev[1];
    d.base_moves = !has || basev[0] != in.base[0] || basev[1] != in.base[1];
  }
  return d;
}

}  // namespace accord::sync
