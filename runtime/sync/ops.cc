// What operators see of a pass (issue 19): the fields of linked pairs whose
// values still disagree, with the reason the engine does not write them
// (`accord drift`, read off the reconcile's own decision through explain.h),
// and the write history (`accord why`), recorded as the targets acknowledge
// writes and pruned by age and count after every pass; the propagation lag of
// those writes (`accord status`, /metrics).

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "runtime/sync/engine_impl.h"

namespace accord::sync {

void Engine::Impl::NoteDrift(const SyncPlan& p, const RulePair& rp, const std::string& sf_id, const std::string& hs_id,
                             const FieldInput& in, const FieldDecision& d, const bool refused[2]) {
  const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
  DriftItem item;
  for (int i = 0; i < 2; ++i) item.field[i] = rp.slot[i] >= 0 ? obj[i]->fields[rp.slot[i]].name : "(computed)";
  DriftExplanation x = ExplainDrift(in, d, item.field, refused, drift_held);
  if (x.reason == DriftReason::kNone) return;
  item.sync = p.name;
  item.salesforce_id = sf_id;
  item.hubspot_id = hs_id;
  item.value[0] = in.cur[0];
  item.value[1] = in.cur[1];
  item.reason = std::string(DriftReasonName(x.reason));
  item.detail = std::move(x.detail);
  item.rule = rp.loc;
  opts->drift->push_back(std::move(item));
}

// A pair waiting on its error-log entry: decided as if it were not (into a scratch batch that
// is never sent), so that each field that disagrees gets its own reason or the entry's.
void Engine::Impl::DriftHeld(const SyncPlan& p, const store::Link& link, Record* rec[2]) {
  const store::SyncError* e = nullptr;
  if (auto it = errors_sf.find({p.name, link.salesforce_id}); it != errors_sf.end())
    e = &it->second;
  else if (auto it2 = errors_hs.find({p.name, link.hubspot_id}); it2 != errors_hs.end())
    e = &it2->second;
  drift_held = e ? e->category + ": " + e->message : "an entry of the error log";
  ShadowMap sm;
  std::vector<store::Shadow> list = store.Shadows(p.name, link.salesforce_id);
  for (const auto& sh : list) sm[sh.field] = ShadowEntry{sh.base_sf, sh.base_hs};
  Work scratch;
  drift_pair = true;
  Reconcile(p, link.salesforce_id, link.hubspot_id, rec, sm, !list.empty(), scratch);
  drift_pair = false;
  drift_held.clear();
}

// A pair out of scope: a mapping program stops at its source side's scope, so only the
// direction whose source is in scope has values; the fields are compared through it (as
// read where neither has).
void Engine::Impl::DriftOutOfScope(const SyncPlan& p, const store::Link& link, Record* rec[2], const bool in_scope[2]) {
  const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
  Mapped m[2] = {Map(p, 0, rec[0], rec[1]), Map(p, 1, rec[0], rec[1])};
  bool made[2];
  for (int i = 0; i < 2; ++i) made[i] = m[i].ran && m[i].result.is(rt::Kind::kBool) && m[i].result.bool_value();
  std::string which = !in_scope[0] && !in_scope[1] ? "both sides' scopes exclude it"
                      : !in_scope[0]               ? "salesforce's scope excludes it"
                                                   : "hubspot's scope excludes it";
  for (const RulePair& rp : p.pairs) {
    if (rp.slot[0] < 0 || rp.slot[1] < 0) continue;  // a computed side has no value of its own
    FieldInput in;
    for (int i = 0; i < 2; ++i) {
      in.cur[i] = rec[i]->values[rp.slot[i]];
      in.flows[i] = rp.out[i] >= 0 && made[i];
      if (!in.flows[i]) continue;
      const rt::Value& v = m[i].out[rp.out[i]];
      if (ir::IsSkip(v) || v.is_error()) continue;
      base::Result<Text> text =
          ValueText(i == 0 ? System::kSalesforce : System::kHubSpot, obj[i]->fields[rp.slot[i]], v);
      if (!text) continue;
      in.toward[i].skip = false;
      in.toward[i].text = *text;
    }
    if (Agree(in)) continue;
    DriftItem item;
    item.sync = p.name;
    item.salesforce_id = link.salesforce_id;
    item.hubspot_id = link.hubspot_id;
    for (int i = 0; i < 2; ++i) item.field[i] = obj[i]->fields[rp.slot[i]].name, item.value[i] = in.cur[i];
    item.reason = std::string(DriftReasonName(DriftReason::kOutOfScope));
    item.detail = "the pair is out of the sync's scope (" + which + "): the link is kept and no update passes";
    item.rule = rp.loc;
    opts->drift->push_back(std::move(item));
  }
}

nlohmann::json Engine::Impl::LagStats(std::vector<int64_t>& lags) {
  std::sort(lags.begin(), lags.end());
  const size_t n = lags.size();
  auto rank = [&](double q) { return lags[std::max<size_t>(1, static_cast<size_t>(std::ceil(q * n))) - 1]; };
  std::vector<int64_t> buckets(std::size(kLagBucketsMs) + 1, 0);
  int64_t sum = 0;
  for (int64_t v : lags) {
    sum += v;
    ++buckets[std::lower_bound(std::begin(kLagBucketsMs), std::end(kLagBucketsMs), v) - std::begin(kLagBucketsMs)];
  }
  nlohmann::json j = {{"n", n}, {"sum_ms", sum}, {"buckets", buckets}};
  if (n) j["p50_ms"] = rank(0.50), j["p99_ms"] = rank(0.99), j["min_ms"] = lags.front(), j["max_ms"] = lags.back();
  return j;
}

// An acknowledged write's propagation lag: from its source record's stamp (the pair's stamp
// as planned, "sf|hs") to now, when the change was made since the previous pass began.
void Engine::Impl::NoteLag(const std::string& sync, int to, const PendingWrite& pw) {
  if (opts->dry_run || lag_since_ms <= 0) return;
  size_t bar = pw.stamp.find('|');
  if (bar == std::string::npos) return;
  std::string source = to == 0 ? pw.stamp.substr(bar + 1) : pw.stamp.substr(0, bar);
  if (source.empty()) return;
  int precision = 1;
  int64_t at = StampMs(source, &precision);  // (Salesforce: whole seconds, floored)
  if (at <= 0 || at + precision - 1 < lag_since_ms) return;
  report->lag_ms[sync].push_back(std::max<int64_t>(0, NowMs() - at));  // (a source clock ahead of ours: 0)
}

void Engine::Impl::RecordHistory(const std::string& sync, int to, const std::string& object, const PendingWrite& pw,
                                 std::string_view kind, const std::string& sf_id, const std::string& hs_id) {
  NoteLag(sync, to, pw);  // every acknowledged write passes here
  if (opts->dry_run || opts->history_days <= 0 || opts->history_rows <= 0) return;
  store::StateStore::HistoryEntry h;
  h.run = run_id;
  h.at = NowMs();
  h.sync = sync;
  h.salesforce_id = sf_id;
  h.hubspot_id = hs_id;
  h.target = std::string(SystemName(to)) + "." + object;
  h.kind = std::string(kind);
  if (kind == "create" || kind == "delete") {  // the record itself, then (for a create) its fields
    h.field = "(record)";
    if (kind == "create") {
      h.new_value = to == 0 ? sf_id : hs_id;
      h.policy = "create in " + std::string(SystemName(to));
    } else {
      h.old_value = pw.op.id;
      h.policy = "delete propagate: the other side's record was deleted";
    }
    Check(store.AddHistory(h));
  }
  for (const FieldChange& c : pw.changes) {
    h.field = c.field;
    h.old_value = c.before;
    h.new_value = c.after;
    h.rule = c.rule;
    h.policy = c.policy;
    Check(store.AddHistory(h));
  }
}

void Engine::Impl::PruneHistory() {
  bool off = opts->history_days <= 0 || opts->history_rows <= 0;
  int64_t min_at = off ? std::numeric_limits<int64_t>::max() : NowMs() - opts->history_days * 86400000;
  base::Result<int64_t> gone = store.PruneHistory(min_at, off ? 0 : opts->history_rows);
  if (!gone) Fail("state store: pruning the write history: " + gone.status().message);
}

}  // namespace accord::sync
