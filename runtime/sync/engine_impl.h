// The sync engine's inside, shared by the files that implement it (private to
// runtime/sync/engine*.cc and the files below; users include engine.h):
//   engine.cc      set-up, the pass, loading, the error log, intents
//   pairs.cc       linked pairs: recovery, waiting errors, reconcile, associations, deletes
//   matching.cc    unlinked records: external ids, match keys, quarantines, creates
//   writing.cc     batched writes, acknowledgements, shadows, the refused-field retry
//   lifecycle.cc   lifecycle triggers
//   conversion.cc  Lead conversion
//   ops.cc         what operators see: drift (`accord drift`), the write history (`accord why`)
// The decision for one field is the pure function in reconcile.h.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/sync/engine.h"
#include "runtime/sync/explain.h"
#include "runtime/sync/reconcile.h"

namespace accord::sync {
namespace detail {

// A side of a sync is the system it reads or writes.
using Side = schema::System;
using schema::System;

int SideIndex(Side s);
System SystemOf(Side s);
bool Same(const Text& a, const Text& b);
int64_t NowMs();
// The text a value has once written to `f` of `system` (what the system
// would store and give back); an error when it cannot be written there.
base::Result<Text> ValueText(System system, const schema::Field& f, const rt::Value& v);
// A field's text in its canonical form (numbers and dates as the engine
// writes them), so that "5000000.0" and "5000000" compare equal.
Text Canon(System system, const schema::Field& f, const Text& t);
std::string Lower(std::string s);
std::string NormalizeDomain(std::string s);

// The records of one object in this pass: every record (Load), or, in a targeted pass, those
// changed since the cursor and those asked for by id (Find reads a record not yet here).
struct Table {
  const schema::Object* object = nullptr;
  System system = System::kSalesforce;
  int64_t since_ms = -1;  // the previous pass's cursor minus the overlap; -1: every record is new
  // A targeted pass (PassOptions::only): the records that changed are these ids, not the recent ones.
  bool targeted = false;
  const std::unordered_set<std::string>* only = nullptr;
  bool Named(const std::string& id) const { return only && only->count(id) > 0; }
  store::Cursor newest;        // the newest record as read (before this pass writes), the next cursor
  std::string feed;            // the connector's FeedPosition after this pass's read (kept with the cursor)
  std::deque<Record> records;  // (a deque: a record read later never moves those before it)
  std::unordered_map<std::string, size_t> by_id;
  // HubSpot merges: a merged-away record's id -> the surviving record's (hs_merged_object_ids)
  std::unordered_map<std::string, std::string> merged_into;
  // Targeted: reads the records of these ids into the table (connectors::Connector::ReadByIds);
  // an id the system does not have goes to `absent`. Null: the table holds every record.
  std::function<void(Table&, const std::vector<std::string>&)> fetch;
  std::unordered_set<std::string> absent;
  Record* Find(const std::string& id) {
    auto it = by_id.find(id);
    if (it != by_id.end()) return &records[it->second];
    if (!fetch || absent.count(id)) return nullptr;
    fetch(*this, {id});
    it = by_id.find(id);
    return it == by_id.end() ? nullptr : &records[it->second];
  }
  // A record already here (never read for the asking).
  Record* Loaded(const std::string& id) {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &records[it->second];
  }
  // Targeted: forgets the records read so far (memory follows a window of pairs, not the
  // change); the cursor, the merges seen and the ids known absent stay.
  void Clear() {
    records.clear();
    by_id.clear();
  }
  // Reads those of `ids` not here yet in batches (targeted; nothing for a whole table).
  void Prefetch(const std::vector<std::string>& ids) {
    if (!fetch) return;
    std::vector<std::string> want;
    for (const std::string& id : ids)
      if (!by_id.count(id) && !absent.count(id)) want.push_back(id);
    if (!want.empty()) fetch(*this, want);
  }
};

// A column of the state store's record key index (store::StateStore::RecordsByKey): the match
// key (or the external id a rule writes) of every record of one object.
struct KeyKind {
  std::string name;  // "key|side|object|match|slot" or "ext|side|object|slot"
  const struct SyncPlan* plan = nullptr;
  int side = 0;
  bool ext = false;
};

struct ShadowEntry {
  Text base_sf, base_hs;
};

using ShadowMap = std::map<std::string, ShadowEntry>;

// A field rule as the reconcile sees it, and an association (compiler/ir/rules.h).
using RulePair = ir::FieldRulePlan;
using Assoc = ir::AssociationPlan;

struct SyncPlan {
  const ir::CompiledSync* cs = nullptr;
  std::string name;
  std::vector<RulePair> pairs;
  std::vector<Assoc> assocs;
  std::string match;  // email | domain | link | fields
  int match_slot[2] = {-1, -1};
  int extid_slot[2] = {-1, -1};  // target field holding the other side's record id, per side
  ir::CreatePlan create[2];      // create in side
  // the delete policy when side i's record is deleted (`delete K` sets both, `delete K from S` one)
  ir::DeleteKind del[2] = {ir::DeleteKind::kKeep, ir::DeleteKind::kKeep};
  std::string converts_to;
  int handle_map[2] = {-1, -1};     // mapping toward side
  int handle_create[2] = {-1, -1};  // on create defaults for side
  int handle_scope[2] = {-1, -1};
  int handle_when[2] = {-1, -1};
  const ir::Mapping* mapping[2] = {nullptr, nullptr};
  const ir::Mapping* on_create[2] = {nullptr, nullptr};
};

struct Lifecycle {
  const ir::LifecyclePlan* plan = nullptr;
  const schema::Object* object = nullptr;  // HubSpot object
  int slot = -1;
  std::vector<std::string> order;
  bool forward_only = false;
  int Rank(const Text& t) const {
    if (!t) return -1;
    for (size_t i = 0; i < order.size(); ++i)
      if (order[i] == *t) return static_cast<int>(i);
    return -1;
  }
};

// One write the pass will send, with what moves in the store once it is acknowledged.
struct PendingWrite {
  WriteOp op;
  std::string stamp;  // the pair's newest modstamp when the write was planned
  size_t plan_index = 0;
  std::string sf_id, hs_id;  // the pair (the new side is empty for a create)
  Side source = Side::kSalesforce;
  ShadowMap shadows_on_ack;                                         // for creates: the shadows of the new pair
  std::vector<std::pair<std::string, ShadowEntry>> shadow_updates;  // for updates
  std::vector<FieldChange> changes;
  std::string lifecycle_field;  // lifecycle trigger bookkeeping (shadow key)
  std::string lifecycle_record;
  Text lifecycle_value;
};

}  // namespace detail

using namespace detail;  // NOLINT(google-build-using-namespace): a private header

struct Engine::Impl {
  RuleSetView rs;
  jit::Runner jit;
  store::StateStore& store;
  Connector* conn[2];
  std::vector<SyncPlan> plans;
  std::vector<Lifecycle> lifecycles;
  // The record key index's columns, per side and object (Build).
  std::map<std::string, std::vector<KeyKind>> key_kinds[2];
  std::vector<std::string> warnings;

  // per pass
  PassReport* report = nullptr;
  const PassOptions* opts = nullptr;
  base::PhaseClock* clock = nullptr;                      // --timings (opts->timings)
  std::map<std::string, Table> tables[2];                 // per side, by object name
  std::map<std::string, std::vector<store::Link>> links;  // per sync
  // ids linked in any sync, per object: "object\x1fid" -> sync
  std::unordered_map<std::string, std::string> taken[2];
  // ids whose create is in flight (an intent: sent, no acknowledgement), per object: "object\x1fid"
  // -> the sync that sent it. Such a record belongs to that sync until the create is accounted
  // for: another sync neither matches nor creates it (soak seed 110261368).
  std::unordered_map<std::string, std::string> claimed[2];
  // ... and what such a create may have made in its target: the records with the match key or
  // the external id it wrote, per object (soak seed 120261499).
  struct MadeClaim {
    int slot;           // the field of the target object it wrote
    std::string value;  // normalized as the sending sync's match does (as sent: an external id)
    bool domain = false, key = true;
    std::string sync;
  };
  std::map<std::string, std::vector<MadeClaim>> made[2];
  // Whether record `r` of side `s` belongs to another sync than `p`'s create in flight.
  bool ClaimedByOther(const SyncPlan& p, int s, const std::string& object, const Record& r) const;
  void ClaimWhatItMade(const SyncPlan& p, int target, const nlohmann::json& intent);
  void Claim(const SyncPlan& p, Side source, const std::string& id) {
    int s = SideIndex(source);
    claimed[s][Key((s == 0 ? p.cs->salesforce : p.cs->hubspot)->name, id)] = p.name;
  }
  std::map<std::pair<std::string, std::string>, store::SyncError> errors_sf, errors_hs;  // (sync, id)
  std::set<std::pair<std::string, std::string>> clean;  // (sync, pair key) processed without error
  // (sync, pair key) reconciled since the last flush: an entry of such a pair that this pass did
  // not log again is over (its problem would have been logged again), even beside a new one
  std::set<std::pair<std::string, std::string>> reconciled;
  int64_t pass_started_ms = 0;
  int64_t lag_since_ms = 0;  // the previous pass's start: changes stamped since count toward the lag (0: none)
  ir::Frame frame;
  std::vector<rt::Value> slots[2], outs;
  // The newest modstamp of the record(s) being processed: an error logged now
  // waits until it changes.
  std::string cur_stamp;
  std::unordered_set<std::string> recovered;  // pairs with an update in flight at the last crash
  // Records that could not be read this pass, per side and object: one of them may be
  // the record a create would duplicate.
  std::map<std::string, size_t> unreadable[2];
  std::unordered_set<std::string> unreadable_ids[2];  // records this pass could not read (ids known)
  // (sync, "sf|hs") of every error logged in this pass
  std::set<std::pair<std::string, std::string>> logged_now;
  // Create intents left by earlier passes (a lost response, a crash), per sync:
  // (target side, source id) -> what the create wrote and its pair's shadows.
  std::map<std::string, std::map<std::pair<int, std::string>, nlohmann::json>> intents;
  // two_way changes an earlier pass saw but did not settle, for this sync: "sf id\x1ffield\x1fside"
  std::unordered_map<std::string, store::SeenChange> seen;
  // what this pass saw changed on a side of a two_way field (kept if its pair ends the pass
  // with an error), and what it saw unchanged again (dropped)
  struct SeenNow {
    store::SeenChange change;
    std::string hubspot_id;
    bool changed = false;
  };
  std::vector<SeenNow> seen_now;
  // notes for the error log, written once the sync's writes are done: by "sf|hs"
  std::map<std::string, store::SyncError> notes_now;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> note_parts;  // (why, fields) per note
  static std::string SeenKey(const std::string& sf_id, const std::string& field, int side) {
    return sf_id + '\x1f' + field + '\x1f' + std::to_string(side);
  }
  // Keeps the changes its pair could not settle, drops the settled ones, writes the notes: after
  // each flush for the pairs reconciled before it (memory follows the window), and once more when
  // the sync is done (`done`: the changes an earlier pass saw are forgotten too).
  void SaveSeenAndNotes(const SyncPlan& p, bool done = true);
  bool full_pass = false;
  // Tombstones, looked up a batch of records at a time (store::StateStore::Tombstoned): of the
  // ids last prefetched per side, those known and those tombstoned (and every tombstone added
  // since). An id not prefetched is asked of the store alone.
  std::unordered_set<std::string> tomb_known[2], tomb_set[2];
  void PrefetchTombstones(int side, std::vector<std::string> ids);
  // Shadows, read a batch of pairs at a time (store::StateStore::ShadowsOf, the pairs of the
  // batch that are reconciled): by Salesforce id, each taken once; a pair not prefetched is
  // read alone.
  std::unordered_map<std::string, std::vector<store::Shadow>> shadow_batch;
  std::unordered_set<std::string> shadow_known;
  void PrefetchShadows(const SyncPlan& p, const std::vector<std::string>& sf_ids);
  std::vector<store::Shadow> TakeShadows(const SyncPlan& p, const std::string& sf_id);
  bool Tombstoned(int side, const std::string& id);
  void AddTombstone(int side, const std::string& id);
  // ---- Targeted passes (issue 15, docs/sync.md "Targeted passes") ----
  // A pass reads what changed since the cursors and the records it needs by id, finds links
  // by id in the store and unlinked records' matches through the record key index, instead
  // of reading every record and every link. Whole (the other mode) when it cannot decide
  // alone: see Targetable.
  bool targeted = false;
  std::map<std::string, std::vector<std::string>> changed_ids[2];  // per object, this pass's (Targetable)
  std::map<std::string, std::string> feeds[2];                     // per object: FeedPosition after ChangedIds
  // The next cursor and feed position of each object a sync finished with, written once at
  // the end of a pass whose every sync ran: a sync that failed after another moved a cursor
  // they share would miss the changes before it next pass.
  std::map<std::string, std::pair<store::Cursor, std::string>> cursors_due[2];
  // The meta key of an object's feed position (Connector::FeedPosition), kept with its cursor.
  static std::string FeedKey(int s, const std::string& object) {
    return std::string("feed|") + (s == 0 ? "salesforce|" : "hubspot|") + object;
  }
  std::unordered_set<std::string> untaken[2];  // keys known to be linked in no sync
  bool Targetable();
  void LoadTargeted();
  void LoadLinksTargeted();
  // Decodes records read into `t` (canonical values, the id and merge indexes, the next
  // cursor when `feed`, the key index for records changed since the cursor).
  void AddRecords(Table& t, std::vector<Record> recs, bool feed);
  // Reads `ids` into `t` in batches; `feed`: they are the change feed (the next cursor).
  void Fetch(Table& t, const std::vector<std::string>& ids, bool feed);
  // The record key index's column name for sync `p`'s side `s` ("" = none).
  static std::string KindName(const SyncPlan& p, int s, bool ext);
  // The key index's value of record `r` for `k` ("" = none).
  std::string KindValue(const KeyKind& k, const Record& r);
  void IndexRecord(const Table& t, const Record& r);
  void IndexRecords(const Table& t, const std::vector<const Record*>& recs);  // a batch, writing what differs
  // The sync a record of side `s` is linked in (null: none); in a targeted pass asked of the
  // store for an id this pass has not seen linked.
  const std::string* TakenBy(int s, const std::string& object, const std::string& id);
  void Take(int s, const std::string& object, const std::string& id, const std::string& sync) {
    untaken[s].erase(Key(object, id));
    taken[s][Key(object, id)] = sync;
  }
  void PrefetchTaken(int s, const std::string& object, const std::vector<std::string>& ids);
  // Targeted: the links of `ids` (side s) in sync `p` join this pass's links.
  void AddLinksOf(const SyncPlan& p, int s, const std::vector<std::string>& ids);
  // Targeted: reads the records that could answer the matching of `p`'s changed unlinked
  // records (same key, or carrying their id), with their links, before Unlinked decides.
  void PrefetchMatches(const SyncPlan& p, Table* t[2], std::unordered_set<std::string> linked_ids[2]);
  // Unchanged on both sides since the last pass and nothing pending: in agreement already.
  bool Unchanged(const SyncPlan& p, const store::Link& link, Record* rec[2], Table* t[2]);
  void SetStamp(const Record* a, const Record* b) { cur_stamp = PairStamp(a, b); }

  Impl(RuleSetView r, jit::EngineKind kind, store::StateStore& s, Connector& sf, Connector& hs)
      : rs(std::move(r)), jit(kind), store(s) {
    conn[0] = &sf;
    conn[1] = &hs;
    Build();
  }

  static std::string Key(const std::string& object, const std::string& id) { return object + '\x1f' + id; }

  static const char* SystemName(int side) { return side == 0 ? "salesforce" : "hubspot"; }

  struct Work {
    std::vector<PendingWrite> writes[2];  // toward side
    // The shadows of every reconciled pair (by Salesforce id) as they are
    // once nothing is written; acknowledged writes add their field updates.
    std::unordered_map<std::string, ShadowMap> pair_shadows;
    // Pairs created by this flush: reconciled once more right away, so that
    // rules reading the new record's id (Id -> salesforce_lead_id) are
    // written in the same pass.
    std::vector<std::pair<std::string, std::string>> created_pairs;
    std::vector<ShadowMap> created_shadows;
  };

  struct Mapped {
    bool ran = false;
    std::vector<rt::Value> out;
    rt::Value result;
  };

  // Changed since the previous pass (with an overlap, so that a record
  // stamped while that pass was reading is seen again).
  static bool Fresh(const Table& t, const Record& r) {
    if (t.targeted) return t.Named(r.id);
    return t.since_ms < 0 || StampMs(r.modstamp) >= t.since_ms;
  }

  // Both records' stamps ("sf|hs"): an error waits until either record changes. (The
  // newest of the two would hide a change of the record whose system's clock is behind.)
  static std::string PairStamp(const Record* sf, const Record* hs);
  void Build();
  Table* Load(Side side, const schema::Object* object);
  void Fail(const std::string& why);
  void Emit(Event e);
  void Error(const std::string& sync, Category cat, const std::string& rule, const std::string& sf_id,
             const std::string& hs_id, const std::string& message, bool permanent, System target,
             const std::string& object);
  std::string ErrorRule(const rt::Value& v, const std::string& fallback);
  Category CategoryOfValue(const rt::Value& v);
  void FillSlots(const schema::Object& o, const Record* r, std::vector<rt::Value>& s);
  // Runs a program over (sf, hs) records; returns its result.
  rt::Value Run(int handle, const SyncPlan& p, const Record* sf, const Record* hs, size_t n_outs);
  // nullopt: in scope; otherwise the reason it is not (or an error).
  bool InScope(const SyncPlan& p, Side side, const Record* sf, const Record* hs, rt::Value* error);
  // The intent an earlier pass left for creating `source_id` in side `target`, if any.
  const nlohmann::json* IntentOf(const SyncPlan& p, int target, const std::string& source_id);
  void DropIntent(const SyncPlan& p, int target, const std::string& source_id);
  // The shadows an intent gave the pair it was creating.
  static ShadowMap IntentShadows(const nlohmann::json& in);
  static std::string IntentJson(const schema::Object& target, const PendingWrite& pw);
  PassReport RunPass(const PassOptions& o);
  void LoadLinks();
  // A record just linked: its error-log entries logged with one id become the pair's
  // (a store write only when it has any: this runs for every new pair).
  void LinkErrors(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id);
  // Lead conversion: a linked Lead now converted moves its link and shadows
  // to the Contact it became; the HubSpot record stays the same one.
  void Conversions();
  void Check(const store::Status& st);
  Text SideValue(const SyncPlan& p, const RulePair& rp, int side, const Record* r, const rt::Value* mapped_out);
  // The lifecycle of a HubSpot field, if it has one.
  const Lifecycle* LifecycleOf(const schema::Object* o, int slot);
  Mapped Map(const SyncPlan& p, int toward, const Record* sf, const Record* hs);
  void RunSync(SyncPlan& p);
  void PrefetchFieldTimes(const SyncPlan& p, Table* t[2], const std::vector<store::Link>& own);
  // Updates in flight when a previous pass died: one that landed (the target
  // holds exactly what it wrote) was ours, so its shadows move now; one that
  // did not is forgotten and the fields reconcile as usual.
  void Recover(const SyncPlan& p, Table* t[2]);
  bool HasError(const SyncPlan& p, const store::Link& l);
  // A record with a permanent error waits for a change of its data; a
  // transient one for its backoff.
  bool Waiting(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id, Record* rec[2]);
  void Reconcile(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id, Record* rec[2], ShadowMap& sm,
                 bool has_shadows, Work& w);
  // Associations of a linked pair: the HubSpot record is associated with the
  // HubSpot twin of the Salesforce parent; a parent not synced yet waits.
  void Associations(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id, Record* rec[2], Work& w);
  // Two writes to the same record in one pass become one.
  void Merge(std::vector<PendingWrite>& list, PendingWrite pw);
  const SyncPlan* ParentPlan(const Assoc& a);
  std::string ParentHubSpot(const Assoc& a, const std::string& sf_parent);
  std::string ParentSalesforce(const Assoc& a, const std::string& hs_parent);
  // True when a merge moved the link (the pair reconciles now).
  bool HandleDelete(const SyncPlan& p, store::Link& link, Record* rec[2], Work& w);
  // A record merged away on side `gone` into `survivor`: the link moves there (true), or, when
  // the survivor has a link of its own, ends without deleting anything, with a Duplicates entry.
  bool MergedAway(const SyncPlan& p, store::Link& link, int gone, const std::string& survivor);
  std::string MatchKey(const SyncPlan& p, int side, const Record& r);
  static bool IntentWrote(const nlohmann::json& sent, const std::vector<schema::Field>& fields, int slot);
  std::vector<size_t> SentBy(const nlohmann::json& sent, const schema::Object& obj, const Table& t,
                             const std::unordered_set<std::string>& linked_ids,
                             const std::unordered_map<std::string, std::string>& taken,
                             const std::unordered_set<size_t>& used);
  void Unlinked(SyncPlan& p, Table* t[2], std::unordered_set<std::string> linked_ids[2], Work& w, size_t& done);
  bool WouldCreate(const SyncPlan& p, int from, const Record& r);
  // An unlinked record of side `s` with nothing to do this pass (see matching.cc).
  bool Stale(const SyncPlan& p, int s, const Record& r, const Table& t);
  void Create(const SyncPlan& p, int from, const Record& r, Work& w);
  void Flush(const SyncPlan& p, Work& w);
  // A record the system refused for one field it named is sent once more without
  // that field: the other fields land, the refused one waits with its error (its
  // shadow does not move, so it is carried once the value or the rules change).
  void WithoutRefusedFields(const SyncPlan& p, int to, std::vector<PendingWrite>& writes,
                            std::vector<WriteResult>& results);
  void PutShadowMap(const std::string& sync, const std::string& sf_id, const ShadowMap& sm);
  void Acknowledged(const SyncPlan& p, int to, PendingWrite& pw, const WriteResult& res, Table* table, Work& w);
  void Triggers();
  // ---- operations (ops.cc): `accord drift` and the write history ----
  bool drift_pair = false;  // the pair reconciled now was linked before the pass (drift reports it)
  std::string drift_held;   // its error-log entry when it waits (nothing is written)
  int64_t run_id = -1;      // this pass in the store's run history (-1: a dry run)
  // A field decided for a linked pair: into opts->drift when its values disagree.
  void NoteDrift(const SyncPlan& p, const RulePair& rp, const std::string& sf_id, const std::string& hs_id,
                 const FieldInput& in, const FieldDecision& d, const bool refused[2]);
  // A pair the pass does not reconcile: waiting on its error-log entry, or out of scope.
  void DriftHeld(const SyncPlan& p, const store::Link& link, Record* rec[2]);
  void DriftOutOfScope(const SyncPlan& p, const store::Link& link, Record* rec[2], const bool in[2]);
  // A write acknowledged by `to`'s system: its propagation lag into report->lag_ms, then a
  // history row per field (neither in a dry run).
  void NoteLag(const std::string& sync, int to, const PendingWrite& pw);
  // A sync's lags of a pass (sorted here) as the run history keeps them: n, sum_ms, buckets
  // (kLagBucketsMs), p50_ms, p99_ms, min_ms, max_ms.
  static nlohmann::json LagStats(std::vector<int64_t>& lags);
  void RecordHistory(const std::string& sync, int to, const std::string& object, const PendingWrite& pw,
                     std::string_view kind, const std::string& sf_id, const std::string& hs_id);
  void PruneHistory();
  // The HubSpot records a trigger on Salesforce record `r` sets.
  // `pending`: set when a target is still to come - a Salesforce record the trigger would reach,
  // not linked yet, whose create or link this pass could not finish (an error this pass, or an
  // open create intent)
  std::vector<std::string> TriggerTargets(const Lifecycle& lc, const ir::TriggerPlan& tr, const schema::Object* src,
                                          const Record& r, bool* pending);
};

}  // namespace accord::sync
