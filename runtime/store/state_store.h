// The sync engine's persistent state (DESIGN §5): links between records of
// both systems, per-side shadows of every linked field, change cursors,
// write-ahead create intents, tombstones, the sync error log and the run
// history. SQLite is the embedded default (one file, WAL, every pass in a
// transaction); PostgreSQL (a postgresql:// URL) holds the same schema for several
// machines. The SQL is written once for both (state_store.cc, sql.h).
//
// Environment failures (I/O, a corrupt or newer file) are Status values.
// A store belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "base/timings.h"

namespace accord::store {

using base::Status;  // base/status.h

namespace sql {
class Connection;  // sql.h: one per backend
}

// A state location: a SQLite file (or ":memory:"), or a PostgreSQL URL
// (postgresql://USER@HOST:PORT/DB or postgres://...).
bool IsPostgresLocation(std::string_view location);
// The location as it may be printed: a PostgreSQL URL without its password.
std::string RedactLocation(const std::string& location);

// The schema version this build writes. Opening a file with a higher version
// is an error (a newer Accord wrote it); lower versions are migrated.
constexpr int kSchemaVersion = 8;

enum class LinkState { kActive, kOutOfScope, kDeleted };
std::string_view LinkStateName(LinkState s);

// A create sent (or about to be) whose acknowledgement has not been stored.
struct Intent {
  std::string target_system, source_id, data;
  int64_t fence = 0;  // the fencing token of the lease it was written under (0: none)
};

struct Link {
  std::string sync, salesforce_id, hubspot_id;
  LinkState state = LinkState::kActive;
};

// The last value seen on each side when the pair last agreed; nullopt = null.
struct Shadow {
  std::string field;
  std::optional<std::string> base_sf, base_hs;
};

struct Cursor {
  std::string modstamp;  // SystemModstamp / hs_lastmodifieddate of the last record read
  std::string last_id;   // tie-breaker: the id of that record
};

// The `sync` of an entry for a record that could not be read (no sync owns the read).
inline constexpr char kReadErrorsSync[] = "(read)";

struct SyncError {
  int64_t id = 0;
  std::string sync, category, rule, salesforce_id, hubspot_id, message;
  int attempts = 0;
  bool permanent = false;
  int64_t retry_at = 0;      // ms since the epoch: a transient error is due again then (0: requeued)
  int64_t last_seen = 0;     // ms since the epoch
  std::string record_stamp;  // the record's modstamp when logged: a permanent error waits until it moves
  // A note: a decision to review (a two_way conflict the record's time decided), not an
  // error; nothing waits on it and `accord run`'s exit status ignores it.
  bool note = false;
};

// A change of one field on one side of a pair that a pass saw but did not settle (its
// pair had an error): the record's stamp when the engine first saw the value bounds when
// the field changed, for a later two_way conflict where the system keeps no field history.
struct SeenChange {
  std::string sync, salesforce_id, field;
  int side = 0;  // 0 Salesforce, 1 HubSpot
  std::optional<std::string> value;
  std::string stamp;
};

// An update sent but not yet known to be acknowledged: what it wrote and the
// shadows that move if it landed (checked on the next pass after a crash).
struct PendingUpdate {
  std::string salesforce_id, target_system, data;
  int64_t fence = 0;  // the fencing token of the lease it was written under (0: none)
};

// A project's lease (`accord serve`: one worker at a time per project). `token` grows by
// one whenever the lease changes holder: the fencing token.
struct Lease {
  std::string holder;
  int64_t token = 0;
  int64_t expires_at = 0;  // ms since the epoch, by the clock of the worker that took it
};

class StateStore {
 public:
  // Opens (creating if needed) and migrates a SQLite file or a PostgreSQL database
  // (IsPostgresLocation). ":memory:" works for tests. Errors never carry a password.
  static std::unique_ptr<StateStore> Open(const std::string& location, Status* status);
  // Does `location` hold an Accord state already? (A SQLite file that exists; a PostgreSQL
  // database with its tables.) An error when PostgreSQL cannot be reached.
  static base::Result<bool> Exists(const std::string& location);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  int schema_version() const { return version_; }
  bool postgresql() const;

  // One writer at a time: an exclusive lock on PATH.lock (PostgreSQL: an advisory lock)
  // held until the store closes. Fails (with who to blame) when another process holds it.
  Status LockExclusive();

  // Transactions: every pass runs inside one; shadows move only in the
  // transaction that records the target's acknowledgement.
  Status Begin();
  Status Commit();
  Status Rollback();

  // Links: one-to-one per sync.
  Status PutLink(const Link& link);
  std::optional<Link> FindBySalesforce(const std::string& sync, const std::string& sf_id);
  std::optional<Link> FindByHubSpot(const std::string& sync, const std::string& hs_id);
  Status SetLinkState(const std::string& sync, const std::string& sf_id, LinkState state);
  Status RemoveLink(const std::string& sync, const std::string& sf_id);  // drops its shadows too
  // Lead conversion and merges: the link and its shadows move to another
  // Salesforce record, possibly in another sync.
  Status MoveLink(const std::string& from_sync, const std::string& from_sf_id, const std::string& to_sync,
                  const std::string& to_sf_id);

  std::vector<Link> AllLinks(const std::string& sync);

  // Shadows: stored as one row per linked pair.
  Status PutShadow(const std::string& sync, const std::string& sf_id, const Shadow& shadow);
  Status PutShadows(const std::string& sync, const std::string& sf_id, const std::vector<Shadow>& shadows);
  std::vector<Shadow> Shadows(const std::string& sync, const std::string& sf_id);            // sorted by field
  std::unordered_map<std::string, std::vector<Shadow>> AllShadows(const std::string& sync);  // by salesforce id

  // Write-ahead record of updates in flight (see PendingUpdate).
  Status PutPending(const std::string& sync, const std::string& sf_id, const std::string& target,
                    const std::string& data);
  Status ClearPending(const std::string& sync, const std::string& sf_id, const std::string& target);
  std::vector<PendingUpdate> Pending(const std::string& sync);

  // Small key/value facts (e.g. the hash of the rules of the last pass).
  std::optional<std::string> GetMeta(const std::string& key);
  Status PutMeta(const std::string& key, const std::string& value);

  // Cursors per system and object.
  Status PutCursor(const std::string& system, const std::string& object, const Cursor& c);
  std::optional<Cursor> GetCursor(const std::string& system, const std::string& object);

  // Write-ahead create intents: recorded before a create is sent, removed
  // when the created record is linked; left-over intents are looked up
  // before creating again.
  // `data` is what the create writes and the shadows its pair gets (JSON, the
  // engine's): a pair re-linked after a lost response starts from them.
  Status AddIntent(const std::string& sync, const std::string& target_system, const std::string& source_id,
                   const std::string& data = "");
  Status RemoveIntent(const std::string& sync, const std::string& target_system, const std::string& source_id);
  std::vector<std::string> Intents(const std::string& sync, const std::string& target_system);
  // Every intent of a sync, with its data.
  std::vector<Intent> AllIntents(const std::string& sync);

  // Tombstones: a deleted record never comes back through a late update.
  Status AddTombstone(const std::string& system, const std::string& record_id);
  bool IsTombstoned(const std::string& system, const std::string& record_id);
  // Those of `ids` that have a tombstone: one statement per kKeyBatch ids (a pass asks
  // for a batch of records at a time, not one query per record).
  base::Result<std::unordered_set<std::string>> Tombstoned(const std::string& system,
                                                           const std::vector<std::string>& ids);
  static constexpr size_t kKeyBatch = 1000;

  // The sync error log: one row per record and category; a repeat increments attempts.
  Status RecordError(const SyncError& e);
  std::vector<SyncError> Errors(const std::string& sync);  // "" = every sync; not the notes
  std::vector<SyncError> Notes(const std::string& sync);   // the notes (RecordError with note set)
  Status ClearErrors(const std::string& sync, const std::string& sf_id, const std::string& hs_id);  // not the notes
  // Notes stay until a later note of the same pair replaces them or the reviewer clears
  // them (`accord errors --clear-notes`). Returns how many, -1 on failure.
  int ClearNotes();
  // A record now linked: its entries logged with one id (before the pair existed) become
  // the pair's, so one problem is one entry.
  Status LinkErrors(const std::string& sync, const std::string& sf_id, const std::string& hs_id);
  Status ClearError(int64_t id);
  // The pair's entries not logged again since `since_ms` (their problems are over).
  Status ClearErrorsBefore(const std::string& sync, const std::string& sf_id, const std::string& hs_id,
                           int64_t since_ms);
  // The entries of records that could not be read from `source` ("hubspot.contacts"):
  // replaced by each read's.
  Status ClearReadErrors(const std::string& source);
  // `accord retry`: every error (of one category, "" = all) is due now and
  // no longer permanent. Returns how many.
  base::Result<int> Requeue(const std::string& category);

  // Changes seen but not settled (see SeenChange); RemoveLink and MoveLink drop a pair's.
  Status PutSeen(const SeenChange& c);
  Status DropSeen(const std::string& sync, const std::string& sf_id, const std::string& field, int side);
  std::vector<SeenChange> AllSeen(const std::string& sync);

  // Leases. AcquireLease takes the lease of `project` for `ttl_ms` when it is free, expired
  // or already `holder`'s (a renewal), and returns its fencing token: unchanged on a renewal,
  // one more than any before when the holder changes. Another holder's live lease is an
  // error that names it. `holder` names one process (host, pid, a random part): a restarted
  // worker must not inherit its predecessor's token. Clocks only decide when a lease
  // expires; the token keeps the state safe when they disagree.
  base::Result<int64_t> AcquireLease(const std::string& project, const std::string& holder, int64_t ttl_ms);
  Status ReleaseLease(const std::string& project, const std::string& holder);  // expires it now
  std::optional<Lease> GetLease(const std::string& project);
  // From now on every Commit checks, inside its transaction, that `project`'s lease still
  // has `token` (and holds its row until the commit, so a takeover waits for it); when
  // another worker took the lease over, the transaction is rolled back and Commit fails.
  // Write-ahead records (intents, pending updates) and the write history carry the token.
  // `leases_table`: where the lease is kept ("accord_serve.leases": `accord serve` keeps the
  // leases of every project in one schema of the database and each project's state in its
  // own). Called once per store.
  void Fence(const std::string& project, int64_t token, const std::string& leases_table = "leases");
  int64_t fence_token() const { return fence_token_; }
  // Every lease, by project (`accord serve`: which workers are alive, who holds what).
  std::vector<std::pair<std::string, Lease>> Leases();

  // ---- accord serve (issue 18): the webhook queue and the shared API budget ----
  // An event (JSON, one webhook event) for `project`'s lease holder, from any worker.
  Status Enqueue(const std::string& project, const std::string& event_json);
  struct QueuedEvent {
    int64_t id = 0;
    std::string event;
  };
  // The oldest `limit` queued events of `project`, locked until the transaction (Begin) ends
  // (PostgreSQL: FOR UPDATE SKIP LOCKED, so a claim never waits for nor takes another's rows);
  // DropEvents deletes them once their pass committed, a rollback gives them back.
  base::Result<std::vector<QueuedEvent>> ClaimEvents(const std::string& project, int64_t limit);
  Status DropEvents(const std::vector<int64_t>& ids);
  int64_t QueuedEvents(const std::string& project);
  // The API calls a project made on `day` (days since the epoch, UTC) to `system`, by every
  // worker that held it: AddCalls adds to the shared counter.
  Status AddCalls(const std::string& project, const std::string& system, int64_t day, int64_t calls);
  int64_t Calls(const std::string& project, const std::string& system, int64_t day);
  // When the project's next reconciliation pass is due (ms since the epoch; 0: now), kept with
  // its lease so that a worker taking it over keeps the pace the budget set.
  Status SetNextPass(const std::string& project, int64_t at_ms);
  int64_t NextPass(const std::string& project);
  // PostgreSQL: creates `schema` in the database of `url` (when missing; several workers may
  // race), and the URL whose search_path is it. `schema` is [a-z0-9_]+.
  static Status CreateSchema(const std::string& url, const std::string& schema);
  static std::string InSchema(const std::string& url, const std::string& schema);

  // Run history.
  int64_t StartRun(const std::string& command);
  Status FinishRun(int64_t run, const std::string& status, const std::string& stats_json);

  // --timings: every statement's time is charged to the phase "state" of `clock` (null: not measured).
  void SetPhaseClock(base::PhaseClock* clock);

  // ---- Targeted passes (issue 15): lookups by a batch of ids or keys, not a scan of the org ----
  // Statements over key lists bind kInList values (`IN (?, ...)`, padded by repeating the first).
  static constexpr size_t kInList = 100;
  // The links of `sync` whose Salesforce (side 0) or HubSpot (side 1) id is one of `ids`.
  base::Result<std::vector<Link>> LinksOf(const std::string& sync, int side, const std::vector<std::string>& ids);
  // The shadows (as Shadows) of the pairs of `sync` whose Salesforce id is one of `sf_ids` and
  // that have any, by Salesforce id: a batch of pairs' shadows in one statement per kInList ids.
  base::Result<std::unordered_map<std::string, std::vector<Shadow>>> ShadowsOf(const std::string& sync,
                                                                               const std::vector<std::string>& sf_ids);
  // How many links `sync` has, and how many of them ended (state deleted).
  base::Result<std::pair<int64_t, int64_t>> LinkCounts(const std::string& sync);
  // The record key index: per kind (a system, object, field and normalization the engine
  // names), the key of every record that has one, so that a changed unlinked record finds
  // the records it may match without a read of every record. Created by PrepareRecordKeys
  // (every pass calls it: a dry run's rollback may have undone it); whether a kind covers
  // every record is the engine's to record (meta).
  Status PrepareRecordKeys();
  Status PutRecordKey(const std::string& kind, const std::string& record_id, const std::string& key);
  Status DropRecordKey(const std::string& kind, const std::string& record_id);
  // The keys of `kind` of those of `ids` that have one (record id -> key).
  base::Result<std::unordered_map<std::string, std::string>> KeysOf(const std::string& kind,
                                                                    const std::vector<std::string>& ids);
  // (key, record id) of the records of `kind` whose key is one of `keys`.
  base::Result<std::vector<std::pair<std::string, std::string>>> RecordsByKey(const std::string& kind,
                                                                              const std::vector<std::string>& keys);

 private:
  explicit StateStore(std::unique_ptr<sql::Connection> db);
  Status Migrate();
  std::vector<SyncError> Entries(const std::string& sync, bool notes);
  // A pair_shadows row's text and back: [layout id, value, ...] (migration 7; the layout, the
  // sorted field keys, recorded once in shadow_layouts), or, read, an older row's object.
  std::string EncodeShadows(std::vector<Shadow> shadows, Status* status);
  std::vector<Shadow> DecodeShadows(const std::string& text);  // sorted by field
  void ForgetLayouts();                                  // a rollback may have undone layouts added in its transaction
  std::map<std::string, int64_t> layout_ids_;            // JSON array of field keys -> id
  std::map<int64_t, std::vector<std::string>> layouts_;  // id -> field keys
  std::unique_ptr<sql::Connection> db_;
  int version_ = 0;
  std::string fence_project_;  // Fence: "" = not fenced
  int64_t fence_token_ = 0;
  std::string fence_sql_;  // the commit's check (its address keys the statement cache: set once)

  // ---- operations (issue 19): the write history behind `accord why`, the run history and
  // links read back for `accord status` ----
 public:
  // One field the engine wrote (or a record it created or deleted: field "(record)").
  struct HistoryEntry {
    int64_t id = 0;
    int64_t run = -1;  // the pass (runs.id)
    int64_t at = 0;    // ms since the epoch, when the target acknowledged the write
    std::string sync, salesforce_id, hubspot_id;
    std::string target;  // "hubspot.contacts": the system and object written
    std::string kind;    // create, update, delete, lifecycle
    std::string field;
    std::optional<std::string> old_value, new_value;
    std::string rule;    // file:line:col of the rule ("" where none: an association)
    std::string policy;  // what decided it: "two_way: only salesforce changed", "prefer salesforce", ...
    int64_t fence = 0;   // the fencing token of the lease it was written under (0: none; set by the store)
  };
  Status AddHistory(const HistoryEntry& h);
  // The writes to or from a record (its id on `system`, "salesforce" or "hubspot"), oldest first,
  // at most the newest `limit`.
  std::vector<HistoryEntry> History(const std::string& system, const std::string& id, size_t limit);
  // Keeps the rows younger than `min_at_ms` and among the newest `keep_rows`. Returns how many went.
  base::Result<int64_t> PruneHistory(int64_t min_at_ms, int64_t keep_rows);
  int64_t HistoryRows();

  struct RunRecord {
    int64_t id = 0, started_at = 0, finished_at = 0;  // ms since the epoch (finished 0: not finished)
    std::string command, status, stats;               // stats: the pass's counts as JSON
  };
  // newest first; `started_since` (ms since the epoch): only the runs started then or later
  std::vector<RunRecord> Runs(size_t limit, int64_t started_since = 0);
  // The runs after `after_id`, oldest first, one at a time (`f` returns false to stop): a reader
  // that keeps totals between calls reads only what is new.
  void ForEachRun(int64_t after_id, const std::function<bool(const RunRecord&)>& f);
  // The links of a record in any sync (its id on `system`).
  std::vector<Link> LinksOf(const std::string& system, const std::string& id);
  // `accord status`'s retry: one entry of the error log is due now and no longer permanent.
  Status RequeueEntry(int64_t id);
  // How many links each sync has in each state: (sync, state, count), by sync.
  std::vector<std::tuple<std::string, LinkState, int64_t>> LinkCounts();
};

}  // namespace accord::store
