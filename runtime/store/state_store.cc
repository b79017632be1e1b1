// The state store over either backend (sql.h). Every statement is written once, here,
// in SQL that SQLite and PostgreSQL both run:
//
// - Add a statement: a string literal passed to Stmt (`Stmt s(*db_, "SELECT ... WHERE a = ?1");`),
//   parameters `?1`, `?2` ... bound with Text/OptText/Int; it is prepared once per connection.
//   Read rows with Row() (or Step() to tell the end from a failure), Col/OptCol/ColInt.
// - Portable spellings only: `INSERT ... ON CONFLICT (...) DO UPDATE SET x = excluded.x` or
//   `DO NOTHING` (never INSERT OR REPLACE/IGNORE, UPDATE OR REPLACE, REPLACE INTO); CASE, not
//   two-argument min()/max(); `INSERT ... RETURNING id`, not last_insert_rowid(); Stmt::Changes(),
//   not changes(); a list of keys as one JSON array parameter through `json_each(?N) AS k`
//   (then `k.value`; PostgreSQL gets json_array_elements_text); an integer operand of `<<`
//   or of a function cast to INTEGER. Integers bind as BIGINT, texts as TEXT.
// - Text is compared and ordered bytewise on both (PostgreSQL columns are COLLATE "C").
// - A schema change is a new entry at the end of kMigrations and a bump of kSchemaVersion;
//   never edit a shipped migration. Write types as INTEGER (BIGINT on PostgreSQL), TEXT
//   and `id INTEGER PRIMARY KEY` (an identity column on PostgreSQL); sql.h lists the
//   translation (which also renames the JSON functions of migration 2).
// state_store_test runs every test on both backends: a statement that one of them
// refuses fails there.
#include "runtime/store/state_store.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "runtime/store/sql.h"

namespace accord::store {

namespace {

// The schema, one migration per version; migration N takes a version N-1
// store to version N. Plain SQL for both backends (PostgreSQL runs it translated: sql.h).
const char* const kMigrations[] = {
    // 1: the initial schema
    R"sql(
CREATE TABLE links (
  sync TEXT NOT NULL,
  salesforce_id TEXT NOT NULL,
  hubspot_id TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'active',
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (sync, salesforce_id),
  UNIQUE (sync, hubspot_id)
);
CREATE TABLE shadows (
  sync TEXT NOT NULL,
  salesforce_id TEXT NOT NULL,
  field TEXT NOT NULL,
  base_sf TEXT,
  base_hs TEXT,
  PRIMARY KEY (sync, salesforce_id, field)
);
CREATE TABLE cursors (
  system TEXT NOT NULL,
  object TEXT NOT NULL,
  modstamp TEXT NOT NULL,
  last_id TEXT NOT NULL,
  PRIMARY KEY (system, object)
);
CREATE TABLE create_intents (
  sync TEXT NOT NULL,
  target_system TEXT NOT NULL,
  source_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (sync, target_system, source_id)
);
CREATE TABLE tombstones (
  system TEXT NOT NULL,
  record_id TEXT NOT NULL,
  deleted_at INTEGER NOT NULL,
  PRIMARY KEY (system, record_id)
);
CREATE TABLE sync_errors (
  id INTEGER PRIMARY KEY,
  sync TEXT NOT NULL,
  category TEXT NOT NULL,
  rule TEXT NOT NULL,
  salesforce_id TEXT NOT NULL,
  hubspot_id TEXT NOT NULL,
  message TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  permanent INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  UNIQUE (sync, category, salesforce_id, hubspot_id)
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  command TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  status TEXT,
  stats TEXT
);
)sql",
    // 2: shadows as one row per linked pair (a JSON object field -> [base_sf, base_hs],
    //    or a single value when both sides hold the same text);
    //    a row per field cost ~10x the disk of a pair row at a million pairs.
    //    Error rows remember when they are due again (transient backoff).
    R"sql(
CREATE TABLE pair_shadows (
  sync TEXT NOT NULL,
  salesforce_id TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (sync, salesforce_id)
) WITHOUT ROWID;
INSERT INTO pair_shadows (sync, salesforce_id, data)
  SELECT sync, salesforce_id, json_group_object(field, json_array(base_sf, base_hs)) FROM shadows
  GROUP BY sync, salesforce_id;
DROP TABLE shadows;
ALTER TABLE sync_errors ADD COLUMN retry_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_errors ADD COLUMN record_stamp TEXT NOT NULL DEFAULT '';
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE pending_updates (
  sync TEXT NOT NULL,
  salesforce_id TEXT NOT NULL,
  target_system TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (sync, salesforce_id, target_system)
) WITHOUT ROWID;
)sql",
    // 3: an intent keeps what its create writes and the pair's shadows, so that a
    //    pair re-linked after a lost response starts from them.
    R"sql(
ALTER TABLE create_intents ADD COLUMN data TEXT NOT NULL DEFAULT '';
)sql",
    // 4: notes in the error log (decisions to review; nothing waits on them), and the
    //    changes a pass saw but could not settle, with the record's stamp then: a later
    //    two_way conflict bounds the change's time by it (docs/sync.md "Reconcile").
    R"sql(
ALTER TABLE sync_errors ADD COLUMN note INTEGER NOT NULL DEFAULT 0;
CREATE TABLE changes_seen (
  sync TEXT NOT NULL,
  salesforce_id TEXT NOT NULL,
  field TEXT NOT NULL,
  side INTEGER NOT NULL,
  value TEXT,
  stamp TEXT NOT NULL,
  PRIMARY KEY (sync, salesforce_id, field, side)
) WITHOUT ROWID;
)sql",
    // 5: leases for `accord serve` (one worker per project, a fencing token checked by every
    //    commit), and the token each write-ahead record was written under.
    R"sql(
CREATE TABLE leases (
  project TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  token INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
ALTER TABLE pending_updates ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE create_intents ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
)sql",
    // 6: the write history (`accord why`): a row per field the engine wrote, with the rule
    //    and the policy that decided it; pruned by age and count after every pass (by id: ids
    //    grow with time, so no index on `at`).
    R"sql(
CREATE TABLE write_history (
  id INTEGER PRIMARY KEY,
  run INTEGER NOT NULL,
  at INTEGER NOT NULL,
  sync TEXT NOT NULL,
  salesforce_id TEXT NOT NULL,
  hubspot_id TEXT NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  field TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT,
  rule TEXT NOT NULL,
  policy TEXT NOT NULL
);
CREATE INDEX write_history_salesforce ON write_history (salesforce_id);
CREATE INDEX write_history_hubspot ON write_history (hubspot_id);
)sql",
    // 7: `accord serve` (issue 18): webhook events queued for a project's lease holder by any
    //    worker; API calls counted per project and day across workers; when a project's next
    //    reconciliation pass is due (with its lease: a takeover keeps the pace); the fencing
    //    token of every write in the history (which worker's lease wrote it).
    R"sql(
CREATE TABLE event_queue (
  id INTEGER PRIMARY KEY,
  project TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  event TEXT NOT NULL
);
CREATE INDEX event_queue_by_project ON event_queue (project, id);
CREATE TABLE api_calls (
  project TEXT NOT NULL,
  system TEXT NOT NULL,
  day INTEGER NOT NULL,
  calls INTEGER NOT NULL,
  PRIMARY KEY (project, system, day)
) WITHOUT ROWID;
ALTER TABLE leases ADD COLUMN next_pass_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE write_history ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
)sql",
    // 8: shadow layouts: the field keys of a pair's shadows (a JSON array of names) stored
    //    once; a pair_shadows row is then [layout id, value, ...] in that order instead of an
    //    object naming every field (the names were ~230 of a pair's ~540 bytes). Rows
    //    written before stay objects and are read as before.
    R"sql(
CREATE TABLE shadow_layouts (
  id INTEGER PRIMARY KEY,
  fields TEXT NOT NULL UNIQUE
);
)sql",
};
constexpr int kMigrationCount = sizeof(kMigrations) / sizeof(kMigrations[0]);
static_assert(kMigrationCount == kSchemaVersion, "one migration per schema version");

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A statement of the connection's cache (see the top of this file), bound and run; reset
// for its next use when it goes out of scope.
class Stmt {
 public:
  Stmt(sql::Connection& db, const char* text) : phase_(db.clock, "state") { s_ = db.Prepare(text, &error_); }
  ~Stmt() {
    if (s_) s_->Reset();
  }
  Stmt& Text(int i, const std::string& v) {
    if (s_) s_->BindText(i, v);
    return *this;
  }
  Stmt& OptText(int i, const std::optional<std::string>& v) {
    if (v) return Text(i, *v);
    if (s_) s_->BindNull(i);
    return *this;
  }
  Stmt& Int(int i, int64_t v) {
    if (s_) s_->BindInt(i, v);
    return *this;
  }
  bool Row() { return Step() == sql::StepResult::kRow; }
  // kRow, kDone or kError: a loop that must tell the end of the rows from a failure.
  sql::StepResult Step() {
    if (!s_) return sql::StepResult::kError;
    sql::StepResult r = s_->Step();
    if (r == sql::StepResult::kError) error_ = s_->Error();
    return r;
  }
  Status Run() {
    if (Step() == sql::StepResult::kError) return Status::Error(error_);
    return Status::Ok();
  }
  std::string Col(int i) { return s_->Text(i); }
  std::optional<std::string> OptCol(int i) {
    if (s_->IsNull(i)) return std::nullopt;
    return Col(i);
  }
  int64_t ColInt(int i) { return s_->Int(i); }
  int64_t Changes() { return s_ ? s_->Changes() : 0; }
  const std::string& error() const { return error_; }

 private:
  base::ScopedPhase phase_;  // --timings: from before the statement is prepared to after it is reset
  sql::Statement* s_ = nullptr;
  std::string error_;
};

LinkState StateFromName(const std::string& s) {
  if (s == "out_of_scope") return LinkState::kOutOfScope;
  if (s == "deleted") return LinkState::kDeleted;
  return LinkState::kActive;
}

}  // namespace

std::string_view LinkStateName(LinkState s) {
  switch (s) {
    case LinkState::kActive:
      return "active";
    case LinkState::kOutOfScope:
      return "out_of_scope";
    case LinkState::kDeleted:
      return "deleted";
  }
  return "active";
}

bool IsPostgresLocation(std::string_view location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::string RedactLocation(const std::string& location) {
  if (!IsPostgresLocation(location)) return location;
  std::string out = location;
  // postgresql://USER:PASSWORD@HOST...: the user info ends at the last '@' before the query
  size_t start = out.find("://") + 3;
  size_t end = std::min(out.find('/', start), out.find('?', start));
  size_t at = out.rfind('@', end == std::string::npos ? std::string::npos : end);
  if (at != std::string::npos && at >= start && (end == std::string::npos || at < end)) {
    size_t colon = out.find(':', start);
    if (colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  // ...?password=SECRET&...
  for (size_t p = out.find('?'); p != std::string::npos && p < out.size(); p = out.find('&', p + 1)) {
    if (out.compare(p + 1, 9, "password=") != 0) continue;
    size_t v = p + 10, e = out.find('&', v);
    out.replace(v, (e == std::string::npos ? out.size() : e) - v, "***");
  }
  return out;
}

StateStore::StateStore(std::unique_ptr<sql::Connection> db) : db_(std::move(db)) {}
StateStore::~StateStore() = default;

bool StateStore::postgresql() const { return db_->postgresql(); }
void StateStore::SetPhaseClock(base::PhaseClock* clock) { db_->clock = clock; }

std::unique_ptr<StateStore> StateStore::Open(const std::string& location, Status* status) {
  bool pg = IsPostgresLocation(location);
  std::unique_ptr<sql::Connection> db = pg ? sql::OpenPostgres(location, status) : sql::OpenSqlite(location, status);
  if (!db) return nullptr;
  std::unique_ptr<StateStore> s(new StateStore(std::move(db)));
  if (Status st = s->Migrate(); !st) {
    *status = Status::Error("state store " + RedactLocation(location) + ": " + st.message);
    return nullptr;
  }
  *status = Status::Ok();
  return s;
}

base::Result<bool> StateStore::Exists(const std::string& location) {
  if (!IsPostgresLocation(location)) {
    std::error_code ec;
    return location != ":memory:" && std::filesystem::exists(location, ec);
  }
  Status st;
  std::unique_ptr<sql::Connection> db = sql::OpenPostgres(location, &st);
  if (!db) return st;
  base::Result<bool> has = db->HasState();
  if (!has) return Status::Error("state store " + RedactLocation(location) + ": " + has.status().message);
  return has;
}

Status StateStore::LockExclusive() { return db_->LockExclusive(); }

// Every migration a store lacks in one transaction that excludes any other process
// migrating the same store (PostgreSQL: an advisory lock; workers may start together).
Status StateStore::Migrate() {
  if (Status st = db_->Begin(/*exclusive=*/true); !st)
    return Status::Error("not an Accord state store or unreadable (" + st.message + ")");
  Status st = [&]() -> Status {
    if (Status c = db_->Exec("CREATE TABLE IF NOT EXISTS accord_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                             /*ddl=*/true);
        !c)
      return Status::Error("not an Accord state store or unreadable (" + c.message + ")");
    int version = 0;
    {
      Stmt q(*db_, "SELECT value FROM accord_meta WHERE key = 'schema_version'");
      if (q.Step() == sql::StepResult::kRow) version = std::atoi(q.Col(0).c_str());
      if (!q.error().empty()) return Status::Error("reading the schema version: " + q.error());
    }
    if (version > kSchemaVersion)
      return Status::Error("written by a newer Accord (schema version " + std::to_string(version) +
                           "; this build knows up to " + std::to_string(kSchemaVersion) +
                           "): upgrade accord, or restore a backup made by this version");
    for (int v = version; v < kSchemaVersion; ++v) {
      Status mt = db_->Exec(kMigrations[v], /*ddl=*/true);
      if (mt) {
        Stmt up(*db_,
                "INSERT INTO accord_meta (key, value) VALUES ('schema_version', ?1) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
        mt = up.Text(1, std::to_string(v + 1)).Run();
      }
      if (!mt) return Status::Error("migration to schema version " + std::to_string(v + 1) + " failed: " + mt.message);
    }
    return Status::Ok();
  }();
  if (!st) {
    (void)db_->Rollback();  // best effort: the migration's failure is the one to report
    return st;
  }
  if (Status c = db_->Commit(); !c) return c;
  version_ = kSchemaVersion;
  return Status::Ok();
}

Status StateStore::Begin() { return db_->Begin(/*exclusive=*/false); }
Status StateStore::Commit() {
  if (!fence_project_.empty()) {
    // the lease row stays locked (PostgreSQL) until the commit: a takeover waits for it, and
    // one that committed first leaves another token here
    Stmt s(*db_, fence_sql_.c_str());
    Status st = s.Text(1, fence_project_).Int(2, fence_token_).Run();
    if (st && s.Changes() == 0)
      st = Status::Error("lost the lease of " + fence_project_ + " (fencing token " + std::to_string(fence_token_) +
                         "): another worker holds it now; this transaction is rolled back");
    if (!st) {
      ForgetLayouts();
      (void)db_->Rollback();  // the lost lease is the failure to report
      return st;
    }
  }
  Status st = db_->Commit();
  if (!st) ForgetLayouts();
  return st;
}
Status StateStore::Rollback() {
  ForgetLayouts();  // a layout added in the transaction is gone with it
  return db_->Rollback();
}

Status StateStore::PutLink(const Link& l) {
  Stmt s(*db_,
         "INSERT INTO links (sync, salesforce_id, hubspot_id, state, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
         "ON CONFLICT(sync, salesforce_id) DO UPDATE SET hubspot_id = excluded.hubspot_id, "
         "state = excluded.state, updated_at = excluded.updated_at");
  return s.Text(1, l.sync)
      .Text(2, l.salesforce_id)
      .Text(3, l.hubspot_id)
      .Text(4, std::string(LinkStateName(l.state)))
      .Int(5, Now())
      .Run();
}

std::optional<Link> StateStore::FindBySalesforce(const std::string& sync, const std::string& sf_id) {
  Stmt s(*db_, "SELECT hubspot_id, state FROM links WHERE sync = ?1 AND salesforce_id = ?2");
  s.Text(1, sync).Text(2, sf_id);
  if (!s.Row()) return std::nullopt;
  return Link{sync, sf_id, s.Col(0), StateFromName(s.Col(1))};
}

std::optional<Link> StateStore::FindByHubSpot(const std::string& sync, const std::string& hs_id) {
  Stmt s(*db_, "SELECT salesforce_id, state FROM links WHERE sync = ?1 AND hubspot_id = ?2");
  s.Text(1, sync).Text(2, hs_id);
  if (!s.Row()) return std::nullopt;
  return Link{sync, s.Col(0), hs_id, StateFromName(s.Col(1))};
}

Status StateStore::SetLinkState(const std::string& sync, const std::string& sf_id, LinkState state) {
  Stmt s(*db_, "UPDATE links SET state = ?3, updated_at = ?4 WHERE sync = ?1 AND salesforce_id = ?2");
  return s.Text(1, sync).Text(2, sf_id).Text(3, std::string(LinkStateName(state))).Int(4, Now()).Run();
}

Status StateStore::RemoveLink(const std::string& sync, const std::string& sf_id) {
  Stmt a(*db_, "DELETE FROM pair_shadows WHERE sync = ?1 AND salesforce_id = ?2");
  if (Status st = a.Text(1, sync).Text(2, sf_id).Run(); !st) return st;
  Stmt c(*db_, "DELETE FROM changes_seen WHERE sync = ?1 AND salesforce_id = ?2");
  if (Status st = c.Text(1, sync).Text(2, sf_id).Run(); !st) return st;
  Stmt b(*db_, "DELETE FROM links WHERE sync = ?1 AND salesforce_id = ?2");
  return b.Text(1, sync).Text(2, sf_id).Run();
}

Status StateStore::MoveLink(const std::string& from_sync, const std::string& from_sf_id, const std::string& to_sync,
                            const std::string& to_sf_id) {
  Stmt a(*db_,
         "UPDATE links SET sync = ?3, salesforce_id = ?4, updated_at = ?5 WHERE sync = ?1 AND salesforce_id = ?2");
  if (Status st = a.Text(1, from_sync).Text(2, from_sf_id).Text(3, to_sync).Text(4, to_sf_id).Int(5, Now()).Run(); !st)
    return st;
  if (a.Changes() == 0) return Status::Error("no link for " + from_sync + "/" + from_sf_id + " to move");
  Stmt b(*db_, "UPDATE pair_shadows SET sync = ?3, salesforce_id = ?4 WHERE sync = ?1 AND salesforce_id = ?2");
  if (Status st = b.Text(1, from_sync).Text(2, from_sf_id).Text(3, to_sync).Text(4, to_sf_id).Run(); !st) return st;
  // a change seen on the record it was is not a change of the one it became
  Stmt c(*db_, "DELETE FROM changes_seen WHERE sync = ?1 AND salesforce_id = ?2");
  return c.Text(1, from_sync).Text(2, from_sf_id).Run();
}

namespace {

// A shadow's value: one text (or null) when both sides agree, else [base_sf, base_hs].
nlohmann::json ShadowValue(const Shadow& sh) {
  auto one = [](const std::optional<std::string>& t) { return t ? nlohmann::json(*t) : nlohmann::json(nullptr); };
  if (sh.base_sf == sh.base_hs) return one(sh.base_sf);  // the usual case, stored once
  return nlohmann::json::array({one(sh.base_sf), one(sh.base_hs)});
}

// Reads a shadow's value (ShadowValue) into `sh`; false when it is neither form.
bool FromShadowValue(const nlohmann::json& v, Shadow& sh) {
  if (v.is_string() || v.is_null()) {  // one text for both sides
    if (v.is_string()) sh.base_sf = sh.base_hs = v.get<std::string>();
    return true;
  }
  if (!v.is_array() || v.size() != 2) return false;
  if (v[0].is_string()) sh.base_sf = v[0].get<std::string>();
  if (v[1].is_string()) sh.base_hs = v[1].get<std::string>();
  return true;
}

}  // namespace

// [layout id, value, ...] with the values in the layout's order (migration 7).
std::string StateStore::EncodeShadows(std::vector<Shadow> shadows, Status* status) {
  std::sort(shadows.begin(), shadows.end(), [](const Shadow& a, const Shadow& b) { return a.field < b.field; });
  nlohmann::json names = nlohmann::json::array();
  for (const Shadow& sh : shadows) names.push_back(sh.field);
  std::string key = names.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto it = layout_ids_.find(key);
  if (it == layout_ids_.end()) {
    // known to the store already (another process, an earlier one), or added now
    Stmt add(*db_, "INSERT INTO shadow_layouts (fields) VALUES (?1) ON CONFLICT (fields) DO NOTHING");
    Stmt get(*db_, "SELECT id FROM shadow_layouts WHERE fields = ?1");
    if (Status st = add.Text(1, key).Run(); !st) *status = st;
    if (!get.Text(1, key).Row()) {
      if (*status) *status = Status::Error("recording a shadow layout: " + get.error());
      return "";
    }
    it = layout_ids_.emplace(key, get.ColInt(0)).first;
  }
  nlohmann::json row = nlohmann::json::array({it->second});
  for (const Shadow& sh : shadows) row.push_back(ShadowValue(sh));
  return row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<Shadow> StateStore::DecodeShadows(const std::string& text) {
  std::vector<Shadow> out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object()) {  // a row written before migration 7: {field: value}
    for (auto& [field, v] : j.items()) {
      Shadow sh;
      sh.field = field;
      if (FromShadowValue(v, sh)) out.push_back(std::move(sh));
    }
  } else if (j.is_array() && !j.empty() && j[0].is_number_integer()) {
    int64_t id = j[0].get<int64_t>();
    auto it = layouts_.find(id);
    if (it == layouts_.end()) {
      Stmt get(*db_, "SELECT fields FROM shadow_layouts WHERE id = ?1");
      if (!get.Int(1, id).Row()) return out;
      nlohmann::json names = nlohmann::json::parse(get.Col(0), nullptr, false);
      std::vector<std::string> fields;
      for (const auto& n : names)
        if (n.is_string()) fields.push_back(n.get<std::string>());
      it = layouts_.emplace(id, std::move(fields)).first;
    }
    for (size_t k = 0; k < it->second.size() && k + 1 < j.size(); ++k) {
      Shadow sh;
      sh.field = it->second[k];
      if (FromShadowValue(j[k + 1], sh)) out.push_back(std::move(sh));
    }
  }
  std::sort(out.begin(), out.end(), [](const Shadow& a, const Shadow& b) { return a.field < b.field; });
  return out;
}

void StateStore::ForgetLayouts() {
  layout_ids_.clear();
  layouts_.clear();
}

Status StateStore::PutShadows(const std::string& sync, const std::string& sf_id, const std::vector<Shadow>& shadows) {
  Stmt s(*db_,
         "INSERT INTO pair_shadows (sync, salesforce_id, data) VALUES (?1, ?2, ?3) "
         "ON CONFLICT(sync, salesforce_id) DO UPDATE SET data = excluded.data");
  Status st = Status::Ok();
  std::string data = EncodeShadows(shadows, &st);
  if (!st) return st;
  return s.Text(1, sync).Text(2, sf_id).Text(3, data).Run();
}

Status StateStore::PutShadow(const std::string& sync, const std::string& sf_id, const Shadow& sh) {
  std::vector<Shadow> all = Shadows(sync, sf_id);
  bool found = false;
  for (Shadow& s : all)
    if (s.field == sh.field) s = sh, found = true;
  if (!found) all.push_back(sh);
  return PutShadows(sync, sf_id, all);
}

std::vector<Shadow> StateStore::Shadows(const std::string& sync, const std::string& sf_id) {
  Stmt s(*db_, "SELECT data FROM pair_shadows WHERE sync = ?1 AND salesforce_id = ?2");
  s.Text(1, sync).Text(2, sf_id);
  return s.Row() ? DecodeShadows(s.Col(0)) : std::vector<Shadow>();
}

std::vector<Link> StateStore::AllLinks(const std::string& sync) {
  Stmt s(*db_, "SELECT salesforce_id, hubspot_id, state FROM links WHERE sync = ?1");
  s.Text(1, sync);
  std::vector<Link> out;
  while (s.Row()) out.push_back(Link{sync, s.Col(0), s.Col(1), StateFromName(s.Col(2))});
  return out;
}

std::unordered_map<std::string, std::vector<Shadow>> StateStore::AllShadows(const std::string& sync) {
  Stmt s(*db_, "SELECT salesforce_id, data FROM pair_shadows WHERE sync = ?1");
  s.Text(1, sync);
  std::unordered_map<std::string, std::vector<Shadow>> out;
  while (s.Row()) out.emplace(s.Col(0), DecodeShadows(s.Col(1)));
  return out;
}

Status StateStore::PutPending(const std::string& sync, const std::string& sf_id, const std::string& target,
                              const std::string& data) {
  Stmt s(*db_,
         "INSERT INTO pending_updates (sync, salesforce_id, target_system, data, fence) VALUES (?1, ?2, ?3, ?4, ?5) "
         "ON CONFLICT(sync, salesforce_id, target_system) DO UPDATE SET data = excluded.data, fence = excluded.fence");
  return s.Text(1, sync).Text(2, sf_id).Text(3, target).Text(4, data).Int(5, fence_token_).Run();
}

Status StateStore::ClearPending(const std::string& sync, const std::string& sf_id, const std::string& target) {
  Stmt s(*db_, "DELETE FROM pending_updates WHERE sync = ?1 AND salesforce_id = ?2 AND target_system = ?3");
  return s.Text(1, sync).Text(2, sf_id).Text(3, target).Run();
}

std::vector<PendingUpdate> StateStore::Pending(const std::string& sync) {
  Stmt s(*db_, "SELECT salesforce_id, target_system, data, fence FROM pending_updates WHERE sync = ?1");
  s.Text(1, sync);
  std::vector<PendingUpdate> out;
  while (s.Row()) out.push_back(PendingUpdate{s.Col(0), s.Col(1), s.Col(2), s.ColInt(3)});
  return out;
}

std::optional<std::string> StateStore::GetMeta(const std::string& key) {
  Stmt s(*db_, "SELECT value FROM meta WHERE key = ?1");
  s.Text(1, key);
  if (!s.Row()) return std::nullopt;
  return s.Col(0);
}

Status StateStore::PutMeta(const std::string& key, const std::string& value) {
  Stmt s(*db_, "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  return s.Text(1, key).Text(2, value).Run();
}

Status StateStore::PutCursor(const std::string& system, const std::string& object, const Cursor& c) {
  Stmt s(*db_,
         "INSERT INTO cursors (system, object, modstamp, last_id) VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT(system, object) DO UPDATE SET modstamp = excluded.modstamp, last_id = excluded.last_id");
  return s.Text(1, system).Text(2, object).Text(3, c.modstamp).Text(4, c.last_id).Run();
}

std::optional<Cursor> StateStore::GetCursor(const std::string& system, const std::string& object) {
  Stmt s(*db_, "SELECT modstamp, last_id FROM cursors WHERE system = ?1 AND object = ?2");
  s.Text(1, system).Text(2, object);
  if (!s.Row()) return std::nullopt;
  return Cursor{s.Col(0), s.Col(1)};
}

Status StateStore::AddIntent(const std::string& sync, const std::string& target, const std::string& source_id,
                             const std::string& data) {
  Stmt s(*db_,
         "INSERT INTO create_intents (sync, target_system, source_id, created_at, data, fence) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
         "ON CONFLICT(sync, target_system, source_id) DO UPDATE SET data = excluded.data, fence = excluded.fence");
  return s.Text(1, sync).Text(2, target).Text(3, source_id).Int(4, Now()).Text(5, data).Int(6, fence_token_).Run();
}

std::vector<Intent> StateStore::AllIntents(const std::string& sync) {
  Stmt s(*db_, "SELECT target_system, source_id, data, fence FROM create_intents WHERE sync = ?1");
  s.Text(1, sync);
  std::vector<Intent> out;
  while (s.Row()) out.push_back(Intent{s.Col(0), s.Col(1), s.Col(2), s.ColInt(3)});
  return out;
}

Status StateStore::RemoveIntent(const std::string& sync, const std::string& target, const std::string& source_id) {
  Stmt s(*db_, "DELETE FROM create_intents WHERE sync = ?1 AND target_system = ?2 AND source_id = ?3");
  return s.Text(1, sync).Text(2, target).Text(3, source_id).Run();
}

std::vector<std::string> StateStore::Intents(const std::string& sync, const std::string& target) {
  Stmt s(*db_,
         "SELECT source_id FROM create_intents WHERE sync = ?1 AND target_system = ?2 ORDER BY created_at, source_id");
  s.Text(1, sync).Text(2, target);
  std::vector<std::string> out;
  while (s.Row()) out.push_back(s.Col(0));
  return out;
}

Status StateStore::AddTombstone(const std::string& system, const std::string& record_id) {
  Stmt s(*db_, "INSERT INTO tombstones (system, record_id, deleted_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
  return s.Text(1, system).Text(2, record_id).Int(3, Now()).Run();
}

bool StateStore::IsTombstoned(const std::string& system, const std::string& record_id) {
  Stmt s(*db_, "SELECT 1 FROM tombstones WHERE system = ?1 AND record_id = ?2");
  s.Text(1, system).Text(2, record_id);
  return s.Row();
}

base::Result<std::unordered_set<std::string>> StateStore::Tombstoned(const std::string& system,
                                                                     const std::vector<std::string>& ids) {
  std::unordered_set<std::string> out;
  for (size_t start = 0; start < ids.size(); start += kKeyBatch) {
    // the batch's ids as one JSON array: one prepared statement whatever the batch's size,
    // each id looked up through the primary key
    nlohmann::json keys = nlohmann::json::array();
    for (size_t i = start; i < std::min(ids.size(), start + kKeyBatch); ++i) keys.push_back(ids[i]);
    Stmt s(*db_,
           "SELECT t.record_id FROM json_each(?2) AS k JOIN tombstones AS t "
           "ON t.system = ?1 AND t.record_id = k.value");
    s.Text(1, system).Text(2, keys.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    for (;;) {
      sql::StepResult rc = s.Step();
      if (rc == sql::StepResult::kDone) break;
      if (rc == sql::StepResult::kError) return Status::Error("reading tombstones: " + s.error());
      out.insert(s.Col(0));
    }
  }
  return out;
}

Status StateStore::RecordError(const SyncError& e) {
  int64_t now = Now();
  // Transient errors are due again after a backoff that doubles per attempt
  // (1 s, 2 s, 4 s ... capped at an hour); permanent ones wait for a change.
  Stmt s(*db_,
         "INSERT INTO sync_errors (sync, category, rule, salesforce_id, hubspot_id, message, attempts, permanent, "
         "first_seen, last_seen, retry_at, record_stamp, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?8, ?8 + "
         "1000, ?9, ?10) "
         "ON CONFLICT(sync, category, salesforce_id, hubspot_id) DO UPDATE SET rule = excluded.rule, "
         "message = excluded.message, attempts = sync_errors.attempts + 1, permanent = excluded.permanent, "
         "last_seen = excluded.last_seen, record_stamp = excluded.record_stamp, "
         "retry_at = excluded.last_seen + CASE WHEN sync_errors.attempts >= 12 THEN 3600000 "
         "ELSE 1000 * (1 << CAST(sync_errors.attempts AS INTEGER)) END");
  return s.Text(1, e.sync)
      .Text(2, e.category)
      .Text(3, e.rule)
      .Text(4, e.salesforce_id)
      .Text(5, e.hubspot_id)
      .Text(6, e.message)
      .Int(7, e.permanent ? 1 : 0)
      .Int(8, now)
      .Text(9, e.record_stamp)
      .Int(10, e.note ? 1 : 0)
      .Run();
}

std::vector<SyncError> StateStore::Errors(const std::string& sync) { return Entries(sync, false); }
std::vector<SyncError> StateStore::Notes(const std::string& sync) { return Entries(sync, true); }

std::vector<SyncError> StateStore::Entries(const std::string& sync, bool notes) {
  Stmt s(*db_,
         "SELECT id, category, rule, salesforce_id, hubspot_id, message, attempts, permanent, retry_at, "
         "sync, last_seen, record_stamp FROM sync_errors WHERE (?1 = '' OR sync = ?1) AND note = ?2 ORDER BY id");
  s.Text(1, sync).Int(2, notes ? 1 : 0);
  std::vector<SyncError> out;
  while (s.Row()) {
    SyncError e;
    e.id = s.ColInt(0);
    e.sync = sync;
    e.category = s.Col(1);
    e.rule = s.Col(2);
    e.salesforce_id = s.Col(3);
    e.hubspot_id = s.Col(4);
    e.message = s.Col(5);
    e.attempts = static_cast<int>(s.ColInt(6));
    e.permanent = s.ColInt(7) != 0;
    e.retry_at = s.ColInt(8);
    e.sync = s.Col(9);
    e.last_seen = s.ColInt(10);
    e.record_stamp = s.Col(11);
    e.note = notes;
    out.push_back(e);
  }
  return out;
}

Status StateStore::ClearErrors(const std::string& sync, const std::string& sf_id, const std::string& hs_id) {
  Stmt s(*db_, "DELETE FROM sync_errors WHERE sync = ?1 AND salesforce_id = ?2 AND hubspot_id = ?3 AND note = 0");
  return s.Text(1, sync).Text(2, sf_id).Text(3, hs_id).Run();
}

Status StateStore::ClearErrorsBefore(const std::string& sync, const std::string& sf_id, const std::string& hs_id,
                                     int64_t since_ms) {
  Stmt s(*db_,
         "DELETE FROM sync_errors WHERE sync = ?1 AND salesforce_id = ?2 AND hubspot_id = ?3 AND note = 0 "
         "AND last_seen < ?4");
  return s.Text(1, sync).Text(2, sf_id).Text(3, hs_id).Int(4, since_ms).Run();
}

Status StateStore::ClearReadErrors(const std::string& source) {
  Stmt s(*db_, "DELETE FROM sync_errors WHERE sync = ?1 AND rule = ?2");
  return s.Text(1, kReadErrorsSync).Text(2, source).Run();
}

int StateStore::ClearNotes() {
  Stmt s(*db_, "DELETE FROM sync_errors WHERE note = 1");
  if (!s.Run()) return -1;
  return static_cast<int>(s.Changes());
}

// An entry logged with one id takes the pair's other id; where the pair already has an
// entry of that category, the one logged first stays (it holds the attempts so far).
Status StateStore::LinkErrors(const std::string& sync, const std::string& sf_id, const std::string& hs_id) {
  if (!hs_id.empty()) {
    Stmt a(*db_,
           "DELETE FROM sync_errors WHERE sync = ?1 AND salesforce_id = ?2 AND hubspot_id = ?3 AND category IN "
           "(SELECT category FROM sync_errors WHERE sync = ?1 AND salesforce_id = ?2 AND hubspot_id = '')");
    if (Status st = a.Text(1, sync).Text(2, sf_id).Text(3, hs_id).Run(); !st) return st;
    Stmt b(*db_, "UPDATE sync_errors SET hubspot_id = ?3 WHERE sync = ?1 AND salesforce_id = ?2 AND hubspot_id = ''");
    if (Status st = b.Text(1, sync).Text(2, sf_id).Text(3, hs_id).Run(); !st) return st;
  }
  if (sf_id.empty()) return Status::Ok();
  Stmt c(*db_,
         "DELETE FROM sync_errors WHERE sync = ?1 AND hubspot_id = ?3 AND salesforce_id = ?2 AND category IN "
         "(SELECT category FROM sync_errors WHERE sync = ?1 AND hubspot_id = ?3 AND salesforce_id = '')");
  if (Status st = c.Text(1, sync).Text(2, sf_id).Text(3, hs_id).Run(); !st) return st;
  Stmt d(*db_, "UPDATE sync_errors SET salesforce_id = ?2 WHERE sync = ?1 AND hubspot_id = ?3 AND salesforce_id = ''");
  return d.Text(1, sync).Text(2, sf_id).Text(3, hs_id).Run();
}

Status StateStore::ClearError(int64_t id) {
  Stmt s(*db_, "DELETE FROM sync_errors WHERE id = ?1");
  return s.Int(1, id).Run();
}

base::Result<int> StateStore::Requeue(const std::string& category) {
  Stmt s(*db_, "UPDATE sync_errors SET permanent = 0, retry_at = 0 WHERE (?1 = '' OR category = ?1) AND note = 0");
  if (Status st = s.Text(1, category).Run(); !st) return st;
  return static_cast<int>(s.Changes());
}

Status StateStore::PutSeen(const SeenChange& c) {
  Stmt s(*db_,
         "INSERT INTO changes_seen (sync, salesforce_id, field, side, value, stamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
         "ON CONFLICT(sync, salesforce_id, field, side) DO UPDATE SET value = excluded.value, stamp = excluded.stamp");
  return s.Text(1, c.sync)
      .Text(2, c.salesforce_id)
      .Text(3, c.field)
      .Int(4, c.side)
      .OptText(5, c.value)
      .Text(6, c.stamp)
      .Run();
}

Status StateStore::DropSeen(const std::string& sync, const std::string& sf_id, const std::string& field, int side) {
  Stmt s(*db_, "DELETE FROM changes_seen WHERE sync = ?1 AND salesforce_id = ?2 AND field = ?3 AND side = ?4");
  return s.Text(1, sync).Text(2, sf_id).Text(3, field).Int(4, side).Run();
}

std::vector<SeenChange> StateStore::AllSeen(const std::string& sync) {
  Stmt s(*db_, "SELECT salesforce_id, field, side, value, stamp FROM changes_seen WHERE sync = ?1");
  s.Text(1, sync);
  std::vector<SeenChange> out;
  while (s.Row())
    out.push_back(SeenChange{sync, s.Col(0), s.Col(1), static_cast<int>(s.ColInt(2)), s.OptCol(3), s.Col(4)});
  return out;
}

base::Result<int64_t> StateStore::AcquireLease(const std::string& project, const std::string& holder, int64_t ttl_ms) {
  int64_t now = Now();
  {
    Stmt s(*db_,
           "INSERT INTO leases (project, holder, token, expires_at) VALUES (?1, ?2, 1, ?3) "
           "ON CONFLICT(project) DO UPDATE SET "
           "token = CASE WHEN leases.holder = excluded.holder THEN leases.token ELSE leases.token + 1 END, "
           "holder = excluded.holder, expires_at = excluded.expires_at "
           "WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4 "
           "RETURNING token");
    s.Text(1, project).Text(2, holder).Int(3, now + ttl_ms).Int(4, now);
    sql::StepResult r = s.Step();
    if (r == sql::StepResult::kError) return Status::Error("taking the lease of " + project + ": " + s.error());
    if (r == sql::StepResult::kRow) return s.ColInt(0);
  }
  std::optional<Lease> held = GetLease(project);
  if (!held) return Status::Error("the lease of " + project + " is held by another worker");
  return Status::Error("the lease of " + project + " is held by " + held->holder + " for another " +
                       std::to_string(std::max<int64_t>(0, held->expires_at - now)) + " ms");
}

Status StateStore::ReleaseLease(const std::string& project, const std::string& holder) {
  Stmt s(*db_, "UPDATE leases SET expires_at = 0 WHERE project = ?1 AND holder = ?2");
  return s.Text(1, project).Text(2, holder).Run();
}

std::optional<Lease> StateStore::GetLease(const std::string& project) {
  Stmt s(*db_, "SELECT holder, token, expires_at FROM leases WHERE project = ?1");
  s.Text(1, project);
  if (!s.Row()) return std::nullopt;
  return Lease{s.Col(0), s.ColInt(1), s.ColInt(2)};
}

void StateStore::Fence(const std::string& project, int64_t token, const std::string& leases_table) {
  fence_project_ = project;
  fence_token_ = token;
  if (fence_sql_.empty())
    fence_sql_ = "UPDATE " + leases_table + " SET token = token WHERE project = ?1 AND token = ?2";
}

std::vector<std::pair<std::string, Lease>> StateStore::Leases() {
  Stmt s(*db_, "SELECT project, holder, token, expires_at FROM leases ORDER BY project");
  std::vector<std::pair<std::string, Lease>> out;
  while (s.Row()) out.emplace_back(s.Col(0), Lease{s.Col(1), s.ColInt(2), s.ColInt(3)});
  return out;
}

Status StateStore::Enqueue(const std::string& project, const std::string& event_json) {
  Stmt s(*db_, "INSERT INTO event_queue (project, received_at, event) VALUES (?1, ?2, ?3)");
  return s.Text(1, project).Int(2, Now()).Text(3, event_json).Run();
}

base::Result<std::vector<StateStore::QueuedEvent>> StateStore::ClaimEvents(const std::string& project, int64_t limit) {
  // SQLite has one writer at a time: its transaction is the lock
  const char* pg = "SELECT id, event FROM event_queue WHERE project = ?1 ORDER BY id LIMIT ?2 FOR UPDATE SKIP LOCKED";
  const char* lite = "SELECT id, event FROM event_queue WHERE project = ?1 ORDER BY id LIMIT ?2";
  Stmt s(*db_, postgresql() ? pg : lite);
  s.Text(1, project).Int(2, limit);
  std::vector<QueuedEvent> out;
  for (;;) {
    sql::StepResult r = s.Step();
    if (r == sql::StepResult::kDone) break;
    if (r != sql::StepResult::kRow) return Status::Error("reading the event queue: " + s.error());
    out.push_back(QueuedEvent{s.ColInt(0), s.Col(1)});
  }
  return out;
}

Status StateStore::DropEvents(const std::vector<int64_t>& ids) {
  if (ids.empty()) return Status::Ok();
  nlohmann::json list = ids;
  Stmt s(*db_, "DELETE FROM event_queue WHERE id IN (SELECT CAST(k.value AS INTEGER) FROM json_each(?1) AS k)");
  return s.Text(1, list.dump()).Run();
}

int64_t StateStore::QueuedEvents(const std::string& project) {
  Stmt s(*db_, "SELECT count(*) FROM event_queue WHERE project = ?1");
  return s.Text(1, project).Row() ? s.ColInt(0) : 0;
}

Status StateStore::AddCalls(const std::string& project, const std::string& system, int64_t day, int64_t calls) {
  Stmt s(*db_,
         "INSERT INTO api_calls (project, system, day, calls) VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT (project, system, day) DO UPDATE SET calls = api_calls.calls + excluded.calls");
  return s.Text(1, project).Text(2, system).Int(3, day).Int(4, calls).Run();
}

int64_t StateStore::Calls(const std::string& project, const std::string& system, int64_t day) {
  Stmt s(*db_, "SELECT calls FROM api_calls WHERE project = ?1 AND system = ?2 AND day = ?3");
  return s.Text(1, project).Text(2, system).Int(3, day).Row() ? s.ColInt(0) : 0;
}

Status StateStore::SetNextPass(const std::string& project, int64_t at_ms) {
  Stmt s(*db_, "UPDATE leases SET next_pass_at = ?2 WHERE project = ?1");
  return s.Text(1, project).Int(2, at_ms).Run();
}

int64_t StateStore::NextPass(const std::string& project) {
  Stmt s(*db_, "SELECT next_pass_at FROM leases WHERE project = ?1");
  return s.Text(1, project).Row() ? s.ColInt(0) : 0;
}

Status StateStore::CreateSchema(const std::string& url, const std::string& schema) {
  Status st;
  std::unique_ptr<sql::Connection> db = sql::OpenPostgres(url, &st);
  if (!db) return st;
  // the migrations' lock: two workers creating it at once would otherwise race on the catalog
  if (st = db->Begin(/*exclusive=*/true); !st) return st;
  if (st = db->Exec("CREATE SCHEMA IF NOT EXISTS " + schema); !st) {
    (void)db->Rollback();  // the creation's failure is the one to report
    return Status::Error("creating the schema " + schema + ": " + st.message);
  }
  return db->Commit();
}

std::string StateStore::InSchema(const std::string& url, const std::string& schema) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

int64_t StateStore::StartRun(const std::string& command) {
  Stmt s(*db_, "INSERT INTO runs (command, started_at) VALUES (?1, ?2) RETURNING id");
  if (!s.Text(1, command).Int(2, Now()).Row()) return -1;
  return s.ColInt(0);
}

Status StateStore::FinishRun(int64_t run, const std::string& status, const std::string& stats_json) {
  Stmt s(*db_, "UPDATE runs SET finished_at = ?2, status = ?3, stats = ?4 WHERE id = ?1");
  return s.Int(1, run).Int(2, Now()).Text(3, status).Text(4, stats_json).Run();
}

// ---- operations (issue 19): write history, runs, links by id ----

Status StateStore::AddHistory(const HistoryEntry& h) {
  Stmt s(*db_,
         "INSERT INTO write_history (run, at, sync, salesforce_id, hubspot_id, target, kind, field, old_value, "
         "new_value, rule, policy, fence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  return s.Int(1, h.run)
      .Int(2, h.at)
      .Text(3, h.sync)
      .Text(4, h.salesforce_id)
      .Text(5, h.hubspot_id)
      .Text(6, h.target)
      .Text(7, h.kind)
      .Text(8, h.field)
      .OptText(9, h.old_value)
      .OptText(10, h.new_value)
      .Text(11, h.rule)
      .Text(12, h.policy)
      .Int(13, fence_token_)
      .Run();
}

std::vector<StateStore::HistoryEntry> StateStore::History(const std::string& system, const std::string& id,
                                                          size_t limit) {
  // (two statements: each is answered by its own index)
  const char* by_sf =
      "SELECT id, run, at, sync, salesforce_id, hubspot_id, target, kind, field, old_value, new_value, rule, policy, "
      "fence "
      "FROM write_history WHERE salesforce_id = ?1 ORDER BY id DESC LIMIT ?2";
  const char* by_hs =
      "SELECT id, run, at, sync, salesforce_id, hubspot_id, target, kind, field, old_value, new_value, rule, policy, "
      "fence "
      "FROM write_history WHERE hubspot_id = ?1 ORDER BY id DESC LIMIT ?2";
  Stmt s(*db_, system == "salesforce" ? by_sf : by_hs);
  s.Text(1, id).Int(2, static_cast<int64_t>(limit));
  std::vector<HistoryEntry> out;
  while (s.Row()) {
    HistoryEntry h;
    h.id = s.ColInt(0);
    h.run = s.ColInt(1);
    h.at = s.ColInt(2);
    h.sync = s.Col(3);
    h.salesforce_id = s.Col(4);
    h.hubspot_id = s.Col(5);
    h.target = s.Col(6);
    h.kind = s.Col(7);
    h.field = s.Col(8);
    h.old_value = s.OptCol(9);
    h.new_value = s.OptCol(10);
    h.rule = s.Col(11);
    h.policy = s.Col(12);
    h.fence = s.ColInt(13);
    out.push_back(std::move(h));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

base::Result<int64_t> StateStore::PruneHistory(int64_t min_at_ms, int64_t keep_rows) {
  int64_t gone = 0;
  // by age without an index on `at`: ids grow with time, so the oldest row still young enough
  // is found by reading from the oldest, no further than the rows that go
  Stmt old(*db_,
           "DELETE FROM write_history WHERE id < coalesce((SELECT id FROM write_history WHERE at >= ?1 ORDER BY id "
           "LIMIT 1), (SELECT max(id) + 1 FROM write_history))");
  if (Status st = old.Int(1, min_at_ms).Run(); !st) return st;
  gone += old.Changes();
  // at most the newest keep_rows: ids grow by one with every insert (a gap only drops more)
  Stmt many(*db_, "DELETE FROM write_history WHERE id <= (SELECT max(id) FROM write_history) - ?1");
  if (Status st = many.Int(1, keep_rows).Run(); !st) return st;
  gone += many.Changes();
  return gone;
}

int64_t StateStore::HistoryRows() {
  Stmt s(*db_, "SELECT count(*) FROM write_history");
  return s.Row() ? s.ColInt(0) : 0;
}

namespace {

// A row of `SELECT id, command, started_at, finished_at, status, stats FROM runs`.
StateStore::RunRecord RunOf(Stmt& s) {
  StateStore::RunRecord r;
  r.id = s.ColInt(0);
  r.command = s.Col(1);
  r.started_at = s.ColInt(2);
  r.finished_at = s.ColInt(3);
  r.status = s.Col(4);
  r.stats = s.Col(5);
  return r;
}

}  // namespace

std::vector<StateStore::RunRecord> StateStore::Runs(size_t limit, int64_t started_since) {
  Stmt s(*db_,
         "SELECT id, command, started_at, finished_at, status, stats FROM runs WHERE started_at >= ?2 ORDER BY id DESC "
         "LIMIT ?1");
  s.Int(1, static_cast<int64_t>(limit));
  s.Int(2, started_since);
  std::vector<RunRecord> out;
  while (s.Row()) out.push_back(RunOf(s));
  return out;
}

void StateStore::ForEachRun(int64_t after_id, const std::function<bool(const RunRecord&)>& f) {
  Stmt s(*db_, "SELECT id, command, started_at, finished_at, status, stats FROM runs WHERE id > ?1 ORDER BY id");
  s.Int(1, after_id);
  while (s.Row())
    if (!f(RunOf(s))) break;
}

std::vector<Link> StateStore::LinksOf(const std::string& system, const std::string& id) {
  const char* by_sf = "SELECT sync, salesforce_id, hubspot_id, state FROM links WHERE salesforce_id = ?1 ORDER BY sync";
  const char* by_hs = "SELECT sync, salesforce_id, hubspot_id, state FROM links WHERE hubspot_id = ?1 ORDER BY sync";
  Stmt s(*db_, system == "salesforce" ? by_sf : by_hs);
  s.Text(1, id);
  std::vector<Link> out;
  while (s.Row()) out.push_back(Link{s.Col(0), s.Col(1), s.Col(2), StateFromName(s.Col(3))});
  return out;
}

std::vector<std::tuple<std::string, LinkState, int64_t>> StateStore::LinkCounts() {
  Stmt s(*db_, "SELECT sync, state, count(*) FROM links GROUP BY sync, state ORDER BY sync, state");
  std::vector<std::tuple<std::string, LinkState, int64_t>> out;
  while (s.Row()) out.emplace_back(s.Col(0), StateFromName(s.Col(1)), s.ColInt(2));
  return out;
}

Status StateStore::RequeueEntry(int64_t id) {
  Stmt s(*db_, "UPDATE sync_errors SET permanent = 0, retry_at = 0 WHERE id = ?1 AND note = 0");
  return s.Int(1, id).Run();
}

// ---- Targeted passes (issue 15) ----

namespace {

// "<head> IN (?2, ?3, ...)" with kInList placeholders after the one fixed parameter ?1: one
// prepared statement whatever the batch's size (a short batch repeats its first value).
std::string InList(const std::string& head) {
  std::string sql = head + " IN (";
  for (size_t i = 0; i < StateStore::kInList; ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 2);
  return sql + ")";
}

// Runs `s` (its list bound from `first`) for each batch of `values`; `row` reads each row.
template <typename Row>
Status EachBatch(sql::Connection& db, const std::string& sql, const std::vector<std::string>& fixed,
                 const std::vector<std::string>& values, Row row) {
  for (size_t start = 0; start < values.size(); start += StateStore::kInList) {
    Stmt s(db, sql.c_str());
    int at = 1;
    for (const std::string& f : fixed) s.Text(at++, f);
    for (size_t i = 0; i < StateStore::kInList; ++i) {
      size_t k = start + i < values.size() ? start + i : start;
      s.Text(at++, values[k]);
    }
    for (;;) {
      sql::StepResult rc = s.Step();
      if (rc == sql::StepResult::kDone) break;
      if (rc != sql::StepResult::kRow) return Status::Error(s.error());
      row(s);
    }
  }
  return Status::Ok();
}

}  // namespace

base::Result<std::vector<Link>> StateStore::LinksOf(const std::string& sync, int side,
                                                    const std::vector<std::string>& ids) {
  static const std::string by_sf =
      InList("SELECT salesforce_id, hubspot_id, state FROM links WHERE sync = ?1 AND salesforce_id");
  static const std::string by_hs =
      InList("SELECT salesforce_id, hubspot_id, state FROM links WHERE sync = ?1 AND hubspot_id");
  std::vector<Link> out;
  std::unordered_set<std::string> seen;  // a padded batch answers its first id twice
  Status st = EachBatch(*db_, side == 0 ? by_sf : by_hs, {sync}, ids, [&](Stmt& s) {
    if (seen.insert(s.Col(0)).second) out.push_back(Link{sync, s.Col(0), s.Col(1), StateFromName(s.Col(2))});
  });
  if (!st) return Status::Error("reading links: " + st.message);
  return out;
}

base::Result<std::unordered_map<std::string, std::vector<Shadow>>> StateStore::ShadowsOf(
    const std::string& sync, const std::vector<std::string>& sf_ids) {
  static const std::string sql =
      InList("SELECT salesforce_id, data FROM pair_shadows WHERE sync = ?1 AND salesforce_id");
  std::unordered_map<std::string, std::vector<Shadow>> out;
  Status st = EachBatch(*db_, sql, {sync}, sf_ids, [&](Stmt& s) {
    if (out.count(s.Col(0))) return;  // (a padded batch answers its first id twice)
    out.emplace(s.Col(0), DecodeShadows(s.Col(1)));
  });
  if (!st) return Status::Error("reading shadows: " + st.message);
  return out;
}

base::Result<std::pair<int64_t, int64_t>> StateStore::LinkCounts(const std::string& sync) {
  Stmt s(*db_,
         "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'deleted' THEN 1 ELSE 0 END), 0) FROM links WHERE sync = ?1");
  s.Text(1, sync);
  if (s.Step() != sql::StepResult::kRow) return Status::Error("counting links: " + s.error());
  return std::pair<int64_t, int64_t>{s.ColInt(0), s.ColInt(1)};
}

Status StateStore::PrepareRecordKeys() {
  return db_->Exec(
      "CREATE TABLE IF NOT EXISTS record_keys (kind TEXT NOT NULL, record_id TEXT NOT NULL, key TEXT NOT NULL, "
      "PRIMARY KEY (kind, record_id)) WITHOUT ROWID; "
      "CREATE INDEX IF NOT EXISTS record_keys_by_key ON record_keys (kind, key)",
      /*ddl=*/true);
}

Status StateStore::PutRecordKey(const std::string& kind, const std::string& record_id, const std::string& key) {
  Stmt s(*db_,
         "INSERT INTO record_keys (kind, record_id, key) VALUES (?1, ?2, ?3) "
         "ON CONFLICT (kind, record_id) DO UPDATE SET key = excluded.key");
  return s.Text(1, kind).Text(2, record_id).Text(3, key).Run();
}

Status StateStore::DropRecordKey(const std::string& kind, const std::string& record_id) {
  Stmt s(*db_, "DELETE FROM record_keys WHERE kind = ?1 AND record_id = ?2");
  return s.Text(1, kind).Text(2, record_id).Run();
}

base::Result<std::unordered_map<std::string, std::string>> StateStore::KeysOf(const std::string& kind,
                                                                              const std::vector<std::string>& ids) {
  static const std::string sql = InList("SELECT record_id, key FROM record_keys WHERE kind = ?1 AND record_id");
  std::unordered_map<std::string, std::string> out;
  Status st = EachBatch(*db_, sql, {kind}, ids, [&](Stmt& s) { out.emplace(s.Col(0), s.Col(1)); });
  if (!st) return Status::Error("reading record keys: " + st.message);
  return out;
}

base::Result<std::vector<std::pair<std::string, std::string>>> StateStore::RecordsByKey(
    const std::string& kind, const std::vector<std::string>& keys) {
  static const std::string sql = InList("SELECT DISTINCT key, record_id FROM record_keys WHERE kind = ?1 AND key");
  std::vector<std::pair<std::string, std::string>> out;
  Status st = EachBatch(*db_, sql, {kind}, keys, [&](Stmt& s) { out.emplace_back(s.Col(0), s.Col(1)); });
  if (!st) return Status::Error("reading record keys: " + st.message);
  return out;
}

}  // namespace accord::store
