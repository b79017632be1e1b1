// The SQLite connection (sql.h): one file in WAL mode, or ":memory:"; the
// exclusive lock of a writer is a flock on PATH.lock.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>

#include "runtime/store/sql.h"

namespace accord::store::sql {
namespace {

class SqliteStatement : public Statement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~SqliteStatement() override { sqlite3_finalize(s_); }
  void BindText(int i, std::string_view v) override {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindInt(int i, int64_t v) override { sqlite3_bind_int64(s_, i, v); }
  void BindNull(int i) override { sqlite3_bind_null(s_, i); }
  StepResult Step() override {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return StepResult::kRow;
    if (rc == SQLITE_DONE) return StepResult::kDone;
    return StepResult::kError;
  }
  std::string Text(int col) override {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s_, col)) : "";
  }
  bool IsNull(int col) override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int64_t Int(int col) override { return sqlite3_column_int64(s_, col); }
  int64_t Changes() override { return sqlite3_changes(db_); }
  void Reset() override {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string Error() override { return sqlite3_errmsg(db_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

class SqliteConnection : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override {
    cache_.clear();  // statements before the database
    sqlite3_close(db_);
    if (lock_fd_ >= 0) close(lock_fd_);
  }

  Statement* Prepare(const char* sql, std::string* error) override {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second.get();
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
      *error = sqlite3_errmsg(db_);
      sqlite3_finalize(s);
      return nullptr;
    }
    return cache_.emplace(sql, std::make_unique<SqliteStatement>(db_, s)).first->second.get();
  }

  Status Exec(const std::string& sql, bool /*ddl*/) override {
    base::ScopedPhase phase(clock, "state");
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "unknown SQLite error";
      sqlite3_free(err);
      return Status::Error(m);
    }
    return Status::Ok();
  }

  Status Begin(bool /*exclusive*/) override { return Exec("BEGIN IMMEDIATE", false); }
  Status Commit() override { return Exec("COMMIT", false); }
  Status Rollback() override { return Exec("ROLLBACK", false); }

  Status LockExclusive() override {
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

  base::Result<bool> HasState() override {
    std::string error;
    Statement* s = Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'accord_meta'", &error);
    if (!s) return Status::Error(error);
    StepResult r = s->Step();
    s->Reset();
    if (r == StepResult::kError) return Status::Error(sqlite3_errmsg(db_));
    return r == StepResult::kRow;
  }

  bool postgresql() const override { return false; }

 private:
  sqlite3* db_;
  std::string path_;
  int lock_fd_ = -1;
  std::unordered_map<const char*, std::unique_ptr<SqliteStatement>> cache_;
};

}  // namespace

std::unique_ptr<Connection> OpenSqlite(const std::string& path, Status* status) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    *status = Status::Error("cannot open state store " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  auto c = std::make_unique<SqliteConnection>(db, path);
  if (path != ":memory:") {
    // Processes opening a new file together race to switch it to WAL; SQLite answers the loser
    // "database is locked" at once (the busy timeout does not cover the switch): it tries
    // again for as long as the busy timeout would have waited.
    Status st = c->Exec("PRAGMA journal_mode=WAL", false);
    for (int waited = 0; !st && st.message.find("locked") != std::string::npos && waited < 5000; waited += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      st = c->Exec("PRAGMA journal_mode=WAL", false);
    }
    if (!st) {
      *status = Status::Error("state store " + path + " is not usable: " + st.message);
      return nullptr;
    }
  }
  // Unchecked: no table declares a foreign key (the pragma only guards future ones), and
  // SQLite does not fail it outside a transaction.
  (void)c->Exec("PRAGMA foreign_keys=ON", false);
  *status = Status::Ok();
  return c;
}

}  // namespace accord::store::sql
