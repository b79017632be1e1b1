#include "runtime/store/state_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

namespace accord::store {

namespace {

using StmtCache = StateStore::Statements;

// The schema, one migration per version; migration N takes a version N-1
// file to version N. Plain SQL shared with a future PostgreSQL store.
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
};
constexpr int kMigrationCount = sizeof(kMigrations) / sizeof(kMigrations[0]);
static_assert(kMigrationCount == kSchemaVersion, "one migration per schema version");

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A prepared statement with positional text binding; finalizes itself.
// Statements are prepared once per store and reused (keyed by the SQL text's
// address: every statement is a string literal).
class Stmt {
 public:
  Stmt(sqlite3* db, StmtCache& cache, const char* sql) : phase_(cache.clock, "state"), db_(db) {
    auto it = cache.find(sql);
    if (it != cache.end()) {
      s_ = it->second;
      rc_ = SQLITE_OK;
      return;
    }
    rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr);
    if (rc_ == SQLITE_OK)
      cache.emplace(sql, s_);
    else
      owned_ = true;
  }
  ~Stmt() {
    if (owned_) {
      sqlite3_finalize(s_);
    } else if (s_) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }
  Stmt& Text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& OptText(int i, const std::optional<std::string>& v) {
    if (v) return Text(i, *v);
    sqlite3_bind_null(s_, i);
    return *this;
  }
  Stmt& Int(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  bool Row() { return rc_ == SQLITE_OK && sqlite3_step(s_) == SQLITE_ROW; }
  // The next step's SQLite code (SQLITE_ROW, SQLITE_DONE or an error): a loop that must
  // tell the end of the rows from a failure.
  int Step() { return rc_ == SQLITE_OK ? sqlite3_step(s_) : rc_; }
  Status Run() {
    if (rc_ != SQLITE_OK) return Status::Error(sqlite3_errmsg(db_));
    int rc = sqlite3_step(s_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Status::Error(sqlite3_errmsg(db_));
    return Status::Ok();
  }
  std::string Col(int i) {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  std::optional<std::string> OptCol(int i) {
    if (sqlite3_column_type(s_, i) == SQLITE_NULL) return std::nullopt;
    return Col(i);
  }
  int64_t ColInt(int i) { return sqlite3_column_int64(s_, i); }

 private:
  base::ScopedPhase phase_;  // --timings: from before the statement is prepared to after it is reset
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  int rc_;
  bool owned_ = false;
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

std::unique_ptr<StateStore> StateStore::Open(const std::string& path, Status* status) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    *status = Status::Error("cannot open state store " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<StateStore> s(new StateStore(db));
  s->path_ = path;
  if (path != ":memory:") {
    if (Status st = s->Exec("PRAGMA journal_mode=WAL"); !st) {
      *status = Status::Error("state store " + path + " is not usable: " + st.message);
      return nullptr;
    }
  }
  // Unchecked: no table declares a foreign key (the pragma only guards future ones), and
  // SQLite does not fail it outside a transaction.
  (void)s->Exec("PRAGMA foreign_keys=ON");
  if (Status st = s->Migrate(); !st) {
    *status = Status::Error("state store " + path + ": " + st.message);
    return nullptr;
  }
  *status = Status::Ok();
  return s;
}

StateStore::~StateStore() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
  if (lock_fd_ >= 0) close(lock_fd_);
}

Status StateStore::LockExclusive() {
  if (path_ == ":memory:" || lock_fd_ >= 0) return Status::Ok();
  std::string lock = path_ + ".lock";
  int fd = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error("cannot open " + lock + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return Status::Error("another accord process is using " + path_ + " (" + lock +
                         " is locked); one run at a time keeps links and shadows consistent");
  }
  lock_fd_ = fd;
  return Status::Ok();
}

Status StateStore::Exec(const std::string& sql) {
  base::ScopedPhase phase(cache_.clock, "state");
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown SQLite error";
    sqlite3_free(err);
    return Status::Error(m);
  }
  return Status::Ok();
}

Status StateStore::Migrate() {
  if (Status st = Exec("CREATE TABLE IF NOT EXISTS accord_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"); !st)
    return Status::Error("not an Accord state store or unreadable (" + st.message + ")");
  int version = 0;
  {
    Stmt q(db_, cache_, "SELECT value FROM accord_meta WHERE key = 'schema_version'");
    if (q.Row()) version = std::atoi(q.Col(0).c_str());
  }
  if (version > kSchemaVersion)
    return Status::Error("written by a newer Accord (schema version " + std::to_string(version) +
                         "; this build knows up to " + std::to_string(kSchemaVersion) +
                         "): upgrade accord, or restore a backup made by this version");
  for (int v = version; v < kSchemaVersion; ++v) {
    if (Status st = Exec("BEGIN IMMEDIATE"); !st) return st;
    Status st = Exec(kMigrations[v]);
    if (st) {
      Stmt up(db_, cache_,
              "INSERT INTO accord_meta (key, value) VALUES ('schema_version', ?1) "
              "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
      st = up.Text(1, std::to_string(v + 1)).Run();
    }
    if (!st) {
      (void)Exec("ROLLBACK");  // best effort: the migration's failure is the one to report
      return Status::Error("migration to schema version " + std::to_string(v + 1) + " failed: " + st.message);
    }
    if (Status c = Exec("COMMIT"); !c) return c;
  }
  version_ = kSchemaVersion;
  return Status::Ok();
}

Status StateStore::Begin() { return Exec("BEGIN IMMEDIATE"); }
Status StateStore::Commit() { return Exec("COMMIT"); }
Status StateStore::Rollback() { return Exec("ROLLBACK"); }

Status StateStore::PutLink(const Link& l) {
  Stmt s(db_, cache_,
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
  Stmt s(db_, cache_, "SELECT hubspot_id, state FROM links WHERE sync = ?1 AND salesforce_id = ?2");
  s.Text(1, sync).Text(2, sf_id);
  if (!s.Row()) return std::nullopt;
  return Link{sync, sf_id, s.Col(0), StateFromName(s.Col(1))};
}

std::optional<Link> StateStore::FindByHubSpot(const std::string& sync, const std::string& hs_id) {
  Stmt s(db_, cache_, "SELECT salesforce_id, state FROM links WHERE sync = ?1 AND hubspot_id = ?2");
  s.Text(1, sync).Text(2, hs_id);
  if (!s.Row()) return std::nullopt;
  return Link{sync, s.Col(0), hs_id, StateFromName(s.Col(1))};
}

Status StateStore::SetLinkState(const std::string& sync, const std::string& sf_id, LinkState state) {
  Stmt s(db_, cache_, "UPDATE links SET state = ?3, updated_at = ?4 WHERE sync = ?1 AND salesforce_id = ?2");
  return s.Text(1, sync).Text(2, sf_id).Text(3, std::string(LinkStateName(state))).Int(4, Now()).Run();
}

Status StateStore::RemoveLink(const std::string& sync, const std::string& sf_id) {
  Stmt a(db_, cache_, "DELETE FROM pair_shadows WHERE sync = ?1 AND salesforce_id = ?2");
  if (Status st = a.Text(1, sync).Text(2, sf_id).Run(); !st) return st;
  Stmt c(db_, cache_, "DELETE FROM changes_seen WHERE sync = ?1 AND salesforce_id = ?2");
  if (Status st = c.Text(1, sync).Text(2, sf_id).Run(); !st) return st;
  Stmt b(db_, cache_, "DELETE FROM links WHERE sync = ?1 AND salesforce_id = ?2");
  return b.Text(1, sync).Text(2, sf_id).Run();
}

Status StateStore::MoveLink(const std::string& from_sync, const std::string& from_sf_id, const std::string& to_sync,
                            const std::string& to_sf_id) {
  Stmt a(db_, cache_,
         "UPDATE links SET sync = ?3, salesforce_id = ?4, updated_at = ?5 WHERE sync = ?1 AND salesforce_id = ?2");
  if (Status st = a.Text(1, from_sync).Text(2, from_sf_id).Text(3, to_sync).Text(4, to_sf_id).Int(5, Now()).Run(); !st)
    return st;
  if (sqlite3_changes(db_) == 0) return Status::Error("no link for " + from_sync + "/" + from_sf_id + " to move");
  Stmt b(db_, cache_, "UPDATE pair_shadows SET sync = ?3, salesforce_id = ?4 WHERE sync = ?1 AND salesforce_id = ?2");
  if (Status st = b.Text(1, from_sync).Text(2, from_sf_id).Text(3, to_sync).Text(4, to_sf_id).Run(); !st) return st;
  // a change seen on the record it was is not a change of the one it became
  Stmt c(db_, cache_, "DELETE FROM changes_seen WHERE sync = ?1 AND salesforce_id = ?2");
  return c.Text(1, from_sync).Text(2, from_sf_id).Run();
}

namespace {

std::string EncodeShadows(const std::vector<Shadow>& shadows) {
  nlohmann::json j = nlohmann::json::object();
  for (const Shadow& sh : shadows) {
    // the usual case, both sides agreeing on the text, is stored once
    if (sh.base_sf == sh.base_hs) {
      j[sh.field] = sh.base_sf ? nlohmann::json(*sh.base_sf) : nlohmann::json(nullptr);
      continue;
    }
    nlohmann::json pair = nlohmann::json::array();
    pair.push_back(sh.base_sf ? nlohmann::json(*sh.base_sf) : nlohmann::json(nullptr));
    pair.push_back(sh.base_hs ? nlohmann::json(*sh.base_hs) : nlohmann::json(nullptr));
    j[sh.field] = std::move(pair);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<Shadow> DecodeShadows(const std::string& text) {
  std::vector<Shadow> out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (auto& [field, pair] : j.items()) {
    Shadow sh;
    sh.field = field;
    if (pair.is_string() || pair.is_null()) {  // one text for both sides
      if (pair.is_string()) sh.base_sf = sh.base_hs = pair.get<std::string>();
      out.push_back(std::move(sh));
      continue;
    }
    if (!pair.is_array() || pair.size() != 2) continue;
    if (pair[0].is_string()) sh.base_sf = pair[0].get<std::string>();
    if (pair[1].is_string()) sh.base_hs = pair[1].get<std::string>();
    out.push_back(std::move(sh));
  }
  return out;
}

}  // namespace

Status StateStore::PutShadows(const std::string& sync, const std::string& sf_id, const std::vector<Shadow>& shadows) {
  Stmt s(db_, cache_,
         "INSERT INTO pair_shadows (sync, salesforce_id, data) VALUES (?1, ?2, ?3) "
         "ON CONFLICT(sync, salesforce_id) DO UPDATE SET data = excluded.data");
  return s.Text(1, sync).Text(2, sf_id).Text(3, EncodeShadows(shadows)).Run();
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
  Stmt s(db_, cache_, "SELECT data FROM pair_shadows WHERE sync = ?1 AND salesforce_id = ?2");
  s.Text(1, sync).Text(2, sf_id);
  std::vector<Shadow> out;
  if (s.Row()) out = DecodeShadows(s.Col(0));
  std::sort(out.begin(), out.end(), [](const Shadow& a, const Shadow& b) { return a.field < b.field; });
  return out;
}

std::vector<Link> StateStore::AllLinks(const std::string& sync) {
  Stmt s(db_, cache_, "SELECT salesforce_id, hubspot_id, state FROM links WHERE sync = ?1");
  s.Text(1, sync);
  std::vector<Link> out;
  while (s.Row()) out.push_back(Link{sync, s.Col(0), s.Col(1), StateFromName(s.Col(2))});
  return out;
}

std::unordered_map<std::string, std::vector<Shadow>> StateStore::AllShadows(const std::string& sync) {
  Stmt s(db_, cache_, "SELECT salesforce_id, data FROM pair_shadows WHERE sync = ?1");
  s.Text(1, sync);
  std::unordered_map<std::string, std::vector<Shadow>> out;
  while (s.Row()) out.emplace(s.Col(0), DecodeShadows(s.Col(1)));
  return out;
}

Status StateStore::PutPending(const std::string& sync, const std::string& sf_id, const std::string& target,
                              const std::string& data) {
  Stmt s(db_, cache_,
         "INSERT INTO pending_updates (sync, salesforce_id, target_system, data) VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT(sync, salesforce_id, target_system) DO UPDATE SET data = excluded.data");
  return s.Text(1, sync).Text(2, sf_id).Text(3, target).Text(4, data).Run();
}

Status StateStore::ClearPending(const std::string& sync, const std::string& sf_id, const std::string& target) {
  Stmt s(db_, cache_, "DELETE FROM pending_updates WHERE sync = ?1 AND salesforce_id = ?2 AND target_system = ?3");
  return s.Text(1, sync).Text(2, sf_id).Text(3, target).Run();
}

std::vector<PendingUpdate> StateStore::Pending(const std::string& sync) {
  Stmt s(db_, cache_, "SELECT salesforce_id, target_system, data FROM pending_updates WHERE sync = ?1");
  s.Text(1, sync);
  std::vector<PendingUpdate> out;
  while (s.Row()) out.push_back(PendingUpdate{s.Col(0), s.Col(1), s.Col(2)});
  return out;
}

std::optional<std::string> StateStore::GetMeta(const std::string& key) {
  Stmt s(db_, cache_, "SELECT value FROM meta WHERE key = ?1");
  s.Text(1, key);
  if (!s.Row()) return std::nullopt;
  return s.Col(0);
}

Status StateStore::PutMeta(const std::string& key, const std::string& value) {
  Stmt s(db_, cache_,
         "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  return s.Text(1, key).Text(2, value).Run();
}

Status StateStore::PutCursor(const std::string& system, const std::string& object, const Cursor& c) {
  Stmt s(db_, cache_,
         "INSERT INTO cursors (system, object, modstamp, last_id) VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT(system, object) DO UPDATE SET modstamp = excluded.modstamp, last_id = excluded.last_id");
  return s.Text(1, system).Text(2, object).Text(3, c.modstamp).Text(4, c.last_id).Run();
}

std::optional<Cursor> StateStore::GetCursor(const std::string& system, const std::string& object) {
  Stmt s(db_, cache_, "SELECT modstamp, last_id FROM cursors WHERE system = ?1 AND object = ?2");
  s.Text(1, system).Text(2, object);
  if (!s.Row()) return std::nullopt;
  return Cursor{s.Col(0), s.Col(1)};
}

Status StateStore::AddIntent(const std::string& sync, const std::string& target, const std::string& source_id,
                             const std::string& data) {
  Stmt s(db_, cache_,
         "INSERT INTO create_intents (sync, target_system, source_id, created_at, data) VALUES (?1, ?2, ?3, ?4, ?5) "
         "ON CONFLICT(sync, target_system, source_id) DO UPDATE SET data = excluded.data");
  return s.Text(1, sync).Text(2, target).Text(3, source_id).Int(4, Now()).Text(5, data).Run();
}

std::vector<Intent> StateStore::AllIntents(const std::string& sync) {
  Stmt s(db_, cache_, "SELECT target_system, source_id, data FROM create_intents WHERE sync = ?1");
  s.Text(1, sync);
  std::vector<Intent> out;
  while (s.Row()) out.push_back(Intent{s.Col(0), s.Col(1), s.Col(2)});
  return out;
}

Status StateStore::RemoveIntent(const std::string& sync, const std::string& target, const std::string& source_id) {
  Stmt s(db_, cache_, "DELETE FROM create_intents WHERE sync = ?1 AND target_system = ?2 AND source_id = ?3");
  return s.Text(1, sync).Text(2, target).Text(3, source_id).Run();
}

std::vector<std::string> StateStore::Intents(const std::string& sync, const std::string& target) {
  Stmt s(db_, cache_,
         "SELECT source_id FROM create_intents WHERE sync = ?1 AND target_system = ?2 ORDER BY created_at, source_id");
  s.Text(1, sync).Text(2, target);
  std::vector<std::string> out;
  while (s.Row()) out.push_back(s.Col(0));
  return out;
}

Status StateStore::AddTombstone(const std::string& system, const std::string& record_id) {
  Stmt s(db_, cache_, "INSERT OR IGNORE INTO tombstones (system, record_id, deleted_at) VALUES (?1, ?2, ?3)");
  return s.Text(1, system).Text(2, record_id).Int(3, Now()).Run();
}

bool StateStore::IsTombstoned(const std::string& system, const std::string& record_id) {
  Stmt s(db_, cache_, "SELECT 1 FROM tombstones WHERE system = ?1 AND record_id = ?2");
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
    Stmt s(db_, cache_,
           "SELECT t.record_id FROM json_each(?2) AS k JOIN tombstones AS t "
           "ON t.system = ?1 AND t.record_id = k.value");
    s.Text(1, system).Text(2, keys.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    for (;;) {
      int rc = s.Step();
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Status::Error(std::string("reading tombstones: ") + sqlite3_errmsg(db_));
      out.insert(s.Col(0));
    }
  }
  return out;
}

Status StateStore::RecordError(const SyncError& e) {
  int64_t now = Now();
  // Transient errors are due again after a backoff that doubles per attempt
  // (1 s, 2 s, 4 s ... capped at an hour); permanent ones wait for a change.
  Stmt s(db_, cache_,
         "INSERT INTO sync_errors (sync, category, rule, salesforce_id, hubspot_id, message, attempts, permanent, "
         "first_seen, last_seen, retry_at, record_stamp, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?8, ?8 + "
         "1000, ?9, ?10) "
         "ON CONFLICT(sync, category, salesforce_id, hubspot_id) DO UPDATE SET rule = excluded.rule, "
         "message = excluded.message, attempts = attempts + 1, permanent = excluded.permanent, "
         "last_seen = excluded.last_seen, record_stamp = excluded.record_stamp, "
         "retry_at = excluded.last_seen + min(3600000, 1000 * (1 << min(attempts, 12)))");
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
  Stmt s(db_, cache_,
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
  Stmt s(db_, cache_,
         "DELETE FROM sync_errors WHERE sync = ?1 AND salesforce_id = ?2 AND hubspot_id = ?3 AND note = 0");
  return s.Text(1, sync).Text(2, sf_id).Text(3, hs_id).Run();
}

Status StateStore::ClearErrorsBefore(const std::string& sync, const std::string& sf_id, const std::string& hs_id,
                                     int64_t since_ms) {
  Stmt s(db_, cache_,
         "DELETE FROM sync_errors WHERE sync = ?1 AND salesforce_id = ?2 AND hubspot_id = ?3 AND note = 0 "
         "AND last_seen < ?4");
  return s.Text(1, sync).Text(2, sf_id).Text(3, hs_id).Int(4, since_ms).Run();
}

Status StateStore::ClearReadErrors(const std::string& source) {
  Stmt s(db_, cache_, "DELETE FROM sync_errors WHERE sync = ?1 AND rule = ?2");
  return s.Text(1, kReadErrorsSync).Text(2, source).Run();
}

int StateStore::ClearNotes() {
  Stmt s(db_, cache_, "DELETE FROM sync_errors WHERE note = 1");
  if (!s.Run()) return -1;
  return sqlite3_changes(db_);
}

Status StateStore::LinkErrors(const std::string& sync, const std::string& sf_id, const std::string& hs_id) {
  Stmt a(
      db_, cache_,
      "UPDATE OR REPLACE sync_errors SET hubspot_id = ?3 WHERE sync = ?1 AND salesforce_id = ?2 AND hubspot_id = ''");
  if (Status st = a.Text(1, sync).Text(2, sf_id).Text(3, hs_id).Run(); !st) return st;
  Stmt b(db_, cache_,
         "UPDATE OR REPLACE sync_errors SET salesforce_id = ?2 WHERE sync = ?1 AND hubspot_id = ?3 AND salesforce_id = "
         "''");
  return b.Text(1, sync).Text(2, sf_id).Text(3, hs_id).Run();
}

Status StateStore::ClearError(int64_t id) {
  Stmt s(db_, cache_, "DELETE FROM sync_errors WHERE id = ?1");
  return s.Int(1, id).Run();
}

base::Result<int> StateStore::Requeue(const std::string& category) {
  Stmt s(db_, cache_,
         "UPDATE sync_errors SET permanent = 0, retry_at = 0 WHERE (?1 = '' OR category = ?1) AND note = 0");
  if (Status st = s.Text(1, category).Run(); !st) return st;
  return sqlite3_changes(db_);
}

Status StateStore::PutSeen(const SeenChange& c) {
  Stmt s(db_, cache_,
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
  Stmt s(db_, cache_, "DELETE FROM changes_seen WHERE sync = ?1 AND salesforce_id = ?2 AND field = ?3 AND side = ?4");
  return s.Text(1, sync).Text(2, sf_id).Text(3, field).Int(4, side).Run();
}

std::vector<SeenChange> StateStore::AllSeen(const std::string& sync) {
  Stmt s(db_, cache_, "SELECT salesforce_id, field, side, value, stamp FROM changes_seen WHERE sync = ?1");
  s.Text(1, sync);
  std::vector<SeenChange> out;
  while (s.Row())
    out.push_back(SeenChange{sync, s.Col(0), s.Col(1), static_cast<int>(s.ColInt(2)), s.OptCol(3), s.Col(4)});
  return out;
}

int64_t StateStore::StartRun(const std::string& command) {
  Stmt s(db_, cache_, "INSERT INTO runs (command, started_at) VALUES (?1, ?2)");
  if (!s.Text(1, command).Int(2, Now()).Run()) return -1;
  return sqlite3_last_insert_rowid(db_);
}

Status StateStore::FinishRun(int64_t run, const std::string& status, const std::string& stats_json) {
  Stmt s(db_, cache_, "UPDATE runs SET finished_at = ?2, status = ?3, stats = ?4 WHERE id = ?1");
  return s.Int(1, run).Int(2, Now()).Text(3, status).Text(4, stats_json).Run();
}

// ---- Targeted passes (issue 15) ----

namespace {

// "<head> IN (?, ?, ...)" with kInList placeholders: one prepared statement whatever the
// batch's size (a short batch repeats its first value). Plain SQL with `?` placeholders.
std::string InList(const std::string& head) {
  std::string sql = head + " IN (";
  for (size_t i = 0; i < StateStore::kInList; ++i) sql += i ? ", ?" : "?";
  return sql + ")";
}

// Runs `s` (its list bound from `first`) for each batch of `values`; `row` reads each row.
template <typename Row>
Status EachBatch(sqlite3* db, StmtCache& cache, const std::string& sql, const std::vector<std::string>& fixed,
                 const std::vector<std::string>& values, Row row) {
  for (size_t start = 0; start < values.size(); start += StateStore::kInList) {
    Stmt s(db, cache, sql.c_str());
    int at = 1;
    for (const std::string& f : fixed) s.Text(at++, f);
    for (size_t i = 0; i < StateStore::kInList; ++i) {
      size_t k = start + i < values.size() ? start + i : start;
      s.Text(at++, values[k]);
    }
    for (;;) {
      int rc = s.Step();
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Status::Error(sqlite3_errmsg(db));
      row(s);
    }
  }
  return Status::Ok();
}

}  // namespace

base::Result<std::vector<Link>> StateStore::LinksOf(const std::string& sync, int side,
                                                    const std::vector<std::string>& ids) {
  static const std::string by_sf =
      InList("SELECT salesforce_id, hubspot_id, state FROM links WHERE sync = ? AND salesforce_id");
  static const std::string by_hs =
      InList("SELECT salesforce_id, hubspot_id, state FROM links WHERE sync = ? AND hubspot_id");
  std::vector<Link> out;
  std::unordered_set<std::string> seen;  // a padded batch answers its first id twice
  Status st = EachBatch(db_, cache_, side == 0 ? by_sf : by_hs, {sync}, ids, [&](Stmt& s) {
    if (seen.insert(s.Col(0)).second) out.push_back(Link{sync, s.Col(0), s.Col(1), StateFromName(s.Col(2))});
  });
  if (!st) return Status::Error("reading links: " + st.message);
  return out;
}

base::Result<std::pair<int64_t, int64_t>> StateStore::LinkCounts(const std::string& sync) {
  Stmt s(db_, cache_,
         "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'deleted' THEN 1 ELSE 0 END), 0) FROM links WHERE sync = ?");
  s.Text(1, sync);
  if (s.Step() != SQLITE_ROW) return Status::Error(std::string("counting links: ") + sqlite3_errmsg(db_));
  return std::pair<int64_t, int64_t>{s.ColInt(0), s.ColInt(1)};
}

Status StateStore::PrepareRecordKeys() {
  return Exec(
      "CREATE TABLE IF NOT EXISTS record_keys (kind TEXT NOT NULL, record_id TEXT NOT NULL, key TEXT NOT NULL, "
      "PRIMARY KEY (kind, record_id)) WITHOUT ROWID; "
      "CREATE INDEX IF NOT EXISTS record_keys_by_key ON record_keys (kind, key)");
}

Status StateStore::PutRecordKey(const std::string& kind, const std::string& record_id, const std::string& key) {
  Stmt s(db_, cache_,
         "INSERT INTO record_keys (kind, record_id, key) VALUES (?, ?, ?) "
         "ON CONFLICT (kind, record_id) DO UPDATE SET key = excluded.key");
  return s.Text(1, kind).Text(2, record_id).Text(3, key).Run();
}

Status StateStore::DropRecordKey(const std::string& kind, const std::string& record_id) {
  Stmt s(db_, cache_, "DELETE FROM record_keys WHERE kind = ? AND record_id = ?");
  return s.Text(1, kind).Text(2, record_id).Run();
}

base::Result<std::unordered_map<std::string, std::string>> StateStore::KeysOf(const std::string& kind,
                                                                              const std::vector<std::string>& ids) {
  static const std::string sql = InList("SELECT record_id, key FROM record_keys WHERE kind = ? AND record_id");
  std::unordered_map<std::string, std::string> out;
  Status st = EachBatch(db_, cache_, sql, {kind}, ids, [&](Stmt& s) { out.emplace(s.Col(0), s.Col(1)); });
  if (!st) return Status::Error("reading record keys: " + st.message);
  return out;
}

base::Result<std::vector<std::pair<std::string, std::string>>> StateStore::RecordsByKey(
    const std::string& kind, const std::vector<std::string>& keys) {
  static const std::string sql = InList("SELECT DISTINCT key, record_id FROM record_keys WHERE kind = ? AND key");
  std::vector<std::pair<std::string, std::string>> out;
  Status st = EachBatch(db_, cache_, sql, {kind}, keys, [&](Stmt& s) { out.emplace_back(s.Col(0), s.Col(1)); });
  if (!st) return Status::Error("reading record keys: " + st.message);
  return out;
}

}  // namespace accord::store
