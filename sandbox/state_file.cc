#include "sandbox/state_file.h"

#include <sqlite3.h>

namespace accord::sandbox {

namespace {

constexpr const char* kFormat = "accord-sandbox-1";

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

}  // namespace

std::unique_ptr<StateFile> StateFile::Open(const std::string& path, Status* status) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    *status = Status::Error("cannot open the state file " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return nullptr;
  }
  std::unique_ptr<StateFile> f(new StateFile(db));
  Status s = f->Exec("PRAGMA journal_mode=WAL");
  if (s) s = f->Exec("PRAGMA synchronous=NORMAL");
  if (s) s = f->Exec("CREATE TABLE IF NOT EXISTS sandbox_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  if (s)
    s = f->Exec(
        "CREATE TABLE IF NOT EXISTS sandbox_records(system TEXT NOT NULL, object TEXT NOT NULL, id TEXT NOT NULL, "
        "body TEXT NOT NULL, PRIMARY KEY(system, object, id))");
  if (s) {
    // A file some other program (or a future format) wrote is refused, not overwritten.
    Stmt st;
    if (sqlite3_prepare_v2(db, "SELECT value FROM sandbox_meta WHERE key='format'", -1, &st.s, nullptr) == SQLITE_OK &&
        sqlite3_step(st.s) == SQLITE_ROW) {
      std::string format = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
      if (format != kFormat)
        s = Status::Error("the state file " + path + " has format '" + format + "', not " + kFormat);
    }
  }
  if (!s) {
    *status = Status::Error(path + ": " + s.message);
    return nullptr;
  }
  *status = Status::Ok();
  return f;
}

StateFile::~StateFile() { sqlite3_close(db_); }

Status StateFile::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return Status::Error(m);
  }
  return Status::Ok();
}

bool StateFile::HasState() {
  std::lock_guard<std::mutex> g(mu_);
  Stmt st;
  return sqlite3_prepare_v2(db_, "SELECT 1 FROM sandbox_meta WHERE key='format'", -1, &st.s, nullptr) == SQLITE_OK &&
         sqlite3_step(st.s) == SQLITE_ROW;
}

Status StateFile::Load(const std::string& system, std::vector<Row>* rows, Json* meta) {
  std::lock_guard<std::mutex> g(mu_);
  Stmt st;
  if (sqlite3_prepare_v2(db_, "SELECT object, id, body FROM sandbox_records WHERE system=? ORDER BY rowid", -1, &st.s,
                         nullptr) != SQLITE_OK)
    return Status::Error(sqlite3_errmsg(db_));
  sqlite3_bind_text(st.s, 1, system.c_str(), -1, SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    Row r;
    r.object = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
    r.id = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1));
    Json body;
    if (Status parsed = ParseJson(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 2)), &body); !parsed)
      return Status::Error("state file: record " + system + "/" + r.object + "/" + r.id +
                           " is not JSON: " + parsed.message);
    r.body = std::move(body);
    rows->push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return Status::Error(sqlite3_errmsg(db_));
  Stmt m;
  *meta = Json();
  if (sqlite3_prepare_v2(db_, "SELECT value FROM sandbox_meta WHERE key=?", -1, &m.s, nullptr) != SQLITE_OK)
    return Status::Error(sqlite3_errmsg(db_));
  sqlite3_bind_text(m.s, 1, system.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(m.s) == SQLITE_ROW) {
    if (Status parsed = ParseJson(reinterpret_cast<const char*>(sqlite3_column_text(m.s, 0)), meta); !parsed)
      return Status::Error("state file: the " + system + " state is not JSON: " + parsed.message);
  }
  return Status::Ok();
}

Status StateFile::Save(const std::string& system, const std::vector<Row>& rows, const Json& meta, bool replace_all) {
  std::lock_guard<std::mutex> g(mu_);
  Status s = Exec("BEGIN IMMEDIATE");
  if (!s) return s;
  auto fail = [&](const std::string& m) {
    (void)Exec("ROLLBACK");  // best effort: `m` is the failure to report
    return Status::Error("state file: " + m);
  };
  if (replace_all) {
    Stmt del;
    sqlite3_prepare_v2(db_, "DELETE FROM sandbox_records WHERE system=?", -1, &del.s, nullptr);
    sqlite3_bind_text(del.s, 1, system.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(del.s) != SQLITE_DONE) return fail(sqlite3_errmsg(db_));
  }
  Stmt put, drop;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO sandbox_records(system, object, id, body) VALUES(?,?,?,?)", -1,
                         &put.s, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "DELETE FROM sandbox_records WHERE system=? AND object=? AND id=?", -1, &drop.s,
                         nullptr) != SQLITE_OK)
    return fail(sqlite3_errmsg(db_));
  for (const Row& r : rows) {
    sqlite3_stmt* st = r.body ? put.s : drop.s;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, system.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, r.object.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r.id.c_str(), -1, SQLITE_TRANSIENT);
    std::string body = r.body ? DumpJson(*r.body) : "";
    if (r.body) sqlite3_bind_text(st, 4, body.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(sqlite3_errmsg(db_));
  }
  Stmt m;
  std::string meta_text = DumpJson(meta);
  sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO sandbox_meta(key, value) VALUES(?, ?)", -1, &m.s, nullptr);
  for (const auto& [key, value] : {std::pair<std::string, std::string>{system, meta_text}, {"format", kFormat}}) {
    sqlite3_reset(m.s);
    sqlite3_bind_text(m.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(m.s, 2, value.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(m.s) != SQLITE_DONE) return fail(sqlite3_errmsg(db_));
  }
  return Exec("COMMIT");
}

}  // namespace accord::sandbox
