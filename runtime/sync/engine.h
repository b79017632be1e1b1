// The sync engine: one pass applies the compiled rules to the current records
// of both systems, with the state store as memory (DESIGN §5):
//
//   1. lead conversions move links (and their shadows) to the Contact;
//   2. syncs run parents first (an `associate` target's sync, and a
//      `converts to` target, before the sync that names it);
//   3. per sync: linked pairs reconcile field by field against the per-side
//      shadows (changed = differs from that side's shadow; both changed and
//      not agreeing after mapping = the field's conflict policy), deletes
//      follow the delete policy with tombstones, scope changes park links;
//      unlinked records are matched (email/domain/fields, or the external id
//      a rule maps the record id into), quarantined when ambiguous or blank,
//      or created per `create in` with its `when` condition and `on create`
//      defaults, after a write-ahead intent;
//   4. lifecycle triggers fire on the old/new values of their field.
//
// Writes go out in batches; shadows and links move in the store transaction
// that follows the target's acknowledgement, so a crash anywhere loses and
// duplicates nothing. Every problem is a per-record entry of the error log.
//
// A pass is targeted (docs/sync.md "Targeted passes") when both connectors answer
// Connector::ChangedIds and Connector::ReadByIds: it reads only the records changed
// since the cursors and those it needs by id, links and match candidates come from the
// state store by id and by key, so its cost follows the change, not the orgs. A push
// path (webhooks, CDC) that knows which records changed serves the engine through the
// same two calls: a connector whose ChangedIds answers "the ids the events named" (plus
// whatever its periodic cursor read finds) drives a targeted pass over exactly those.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/timings.h"
#include "compiler/ir/rules.h"
#include "jit/runner.h"
#include "runtime/connectors/connector.h"
#include "runtime/store/state_store.h"

namespace accord::sync {

// The error log's categories (DESIGN §5), declared once in error_categories.def
// (the checker reads the same list for `expect error`).
#include "runtime/error_categories.def"
#define ACCORD_ERROR_CATEGORIES(X) ACCORD_ERROR_CATEGORY_LIST(X)

enum class Category {
#define X(name, doc) k##name,
  ACCORD_ERROR_CATEGORIES(X)
#undef X
};
std::string_view CategoryName(Category c);
// The category of a system's write status code (STRING_TOO_LONG, INVALID_OPTION, ...).
Category CategoryOfStatus(const std::string& status_code);

struct FieldChange {
  std::string field;
  Text before, after;
  std::string rule;    // file:line:col
  std::string policy;  // what decided it (explain.h WritePolicy; "create in hubspot", ...): the write history's
};

// One thing a pass did (or, for a plan, would do).
struct Event {
  enum class Kind { kCreate, kUpdate, kLink, kConflict, kSkip, kError, kDelete, kConvert, kLifecycle, kUnlink };
  Kind kind = Kind::kUpdate;
  std::string sync;
  schema::System target = schema::System::kHubSpot;  // the system written (or concerned)
  std::string object;                                // the target object
  std::string salesforce_id, hubspot_id;
  std::vector<FieldChange> changes;
  std::string category;  // errors
  std::string message;
  std::string rule;
};
std::string_view EventKindName(Event::Kind k);

struct SyncStats {
  int64_t pairs = 0, unchanged = 0, created = 0, updated = 0, linked = 0, conflicts = 0, skipped = 0, deleted = 0,
          errors = 0;
};

// Propagation lag (issue 19, `accord status`, /metrics): the upper bounds, in ms, of the
// histogram buckets a pass records per sync (a last, unbounded bucket follows them).
inline constexpr int64_t kLagBucketsMs[] = {250,   500,    1000,   2500,   5000,    10000,   30000,
                                            60000, 120000, 300000, 600000, 1800000, 3600000, 86400000};

struct PassReport {
  std::vector<Event> events;  // in order
  std::map<std::string, SyncStats> per_sync;
  std::map<std::string, int64_t> errors_by_category;
  CallCounts salesforce_calls, hubspot_calls;
  int64_t records_read = 0;
  int64_t read_errors = 0;     // records that could not be read (malformed lines, wrong shapes)
  int64_t errors_waiting = 0;  // entries in the error log once the pass is done (this pass's and earlier ones)
  // Per sync, each acknowledged write's propagation lag in ms: from its source record's stamp
  // (the change's time in the source system) to the target's acknowledgement. Only changes
  // stamped since the previous pass began count (older ones are a backfill, e.g. a first pass).
  std::map<std::string, std::vector<int64_t>> lag_ms;
  bool ok = true;  // false: the pass stopped (store or connector failure)
  std::string failure;
  SyncStats Total() const;  // (unchanged pairs were not reconciled: both records unchanged since the last pass)
};

// A field of a linked pair whose two values disagree, and why (explain.h DriftReason).
struct DriftItem {
  std::string sync, salesforce_id, hubspot_id;
  std::string field[2];  // each side's field ("(computed)" where the rule computes that side)
  Text value[2];         // each side's value as read
  std::string reason;    // DriftReasonName: pending, one_way, dont_sync, blank_ignore, ...
  std::string detail;
  std::string rule;  // the field rule, file:line:col
};

// Push: the records events said changed, by object, per system.
struct ChangedRecords {
  std::map<std::string, std::unordered_set<std::string>> salesforce, hubspot;  // object -> record ids
};

struct PassOptions {
  bool dry_run = false;     // plan: compute everything, write nothing, roll the store back
  bool keep_events = true;  // `run` over large data keeps counts only
  bool full = false;        // reconcile every pair, not only those changed since the last pass
  // A record stamped up to this long before the previous pass's newest record
  // counts as changed again (clock granularity; writes landing while that pass read).
  int64_t cursor_overlap_ms = 60000;
  size_t chunk = 1000;  // pairs per write batch + store transaction
  // Targeted passes (docs/sync.md): read what changed since the cursors and what the pass
  // needs by id, when the connectors can and nothing needs every record; false: always
  // every record (the reference a targeted pass is compared with in tests).
  bool targeted = true;
  // Progress: (sync, done, total) after every chunk.
  std::function<void(const std::string&, size_t, size_t)> progress;
  // --timings: where the pass's time goes (read, match, reconcile, write, state, other); null: not measured.
  base::PhaseClock* timings = nullptr;
  // The write history (`accord why`): a row per field written, kept while younger than
  // `history_days` and among the newest `history_rows`; either 0: no history is kept.
  int64_t history_days = 90;
  int64_t history_rows = 1000000;
  // `accord drift`: where a dry, full pass puts every field of a linked pair whose values
  // disagree once the pass has decided, with the reason (null: not collected).
  std::vector<DriftItem>* drift = nullptr;
  // Push (a targeted pass): set, the pass reconciles, matches and creates only the records
  // named here, whatever else the connectors return, and moves no cursor: the next pass
  // without it still sees every change since the last such pass (docs/sync.md "Push").
  const ChangedRecords* only = nullptr;
  // `--watch` with budget pacing: the declared share of each system's daily API limit
  // (Salesforce, HubSpot; 0: none declared), recorded in the run history for `accord status`.
  double budget_share[2] = {0, 0};
};

// The compiled rules as the engine reads them (compiler/ir/rules.h: no AST).
struct RuleSetView {
  const ir::CompiledRules* rules = nullptr;
  std::vector<ir::LifecyclePlan> lifecycles;
  const schema::SchemaSet* schemas = nullptr;
  std::string rules_hash;  // changes when the rules change: waiting errors are retried
};

class Engine {
 public:
  Engine(RuleSetView rules, jit::EngineKind kind, store::StateStore& store, Connector& salesforce, Connector& hubspot);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  PassReport RunPass(const PassOptions& options);
  std::vector<std::string> TakeWarnings();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accord::sync
