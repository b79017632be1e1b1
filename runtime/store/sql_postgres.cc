// The PostgreSQL connection (sql.h) through libpq: one session; statements are
// translated (ToPostgres), prepared on their first run with the types of their first
// bindings, and run with text parameters. A writer's exclusive lock is a session-level
// advisory lock; migrations take a transaction-level one.
#include <libpq-fe.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/store/sql.h"
#include "runtime/store/state_store.h"

namespace accord::store::sql {
namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

// Advisory lock keys (two int4s: Accord's, then one per schema, so that projects kept in
// separate schemas of one database do not exclude each other).
constexpr char kWriterLock[] = "SELECT pg_try_advisory_lock(1633903460, hashtext(coalesce(current_schema(), '')))";
constexpr char kMigrationLock[] = "SELECT pg_advisory_xact_lock(1633903461, hashtext(coalesce(current_schema(), '')))";

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// libpq's messages end with a newline and may run over several lines: the first, trimmed.
std::string FirstLine(const char* m) {
  if (m && std::strncmp(m, "ERROR:  ", 8) == 0) m += 8;
  std::string s = m ? m : "";
  if (size_t nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s.empty() ? "unknown PostgreSQL error" : s;
}

// The largest $N of a translated statement: how many parameters it takes.
int ParamCount(const std::string& sql) {
  int n = 0;
  for (size_t i = 0; i < sql.size(); ++i)
    if (sql[i] == '$' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1])))
      n = std::max(n, std::atoi(sql.c_str() + i + 1));
  return n;
}

class PgConnection;

class PgStatement : public Statement {
 public:
  PgStatement(PGconn* conn, std::string name, std::string sql)
      : conn_(conn), name_(std::move(name)), sql_(std::move(sql)) {
    int n = ParamCount(sql_);
    values_.resize(n);
    types_.assign(n, 0);
  }
  ~PgStatement() override { PQclear(res_); }

  void BindText(int i, std::string_view v) override {
    if (!Slot(i)) return;
    // libpq passes text parameters as C strings, and PostgreSQL text holds no NUL
    if (v.find('\0') != std::string_view::npos) bad_ = "a text with a NUL byte cannot be stored in PostgreSQL";
    values_[i - 1] = std::string(v);
    if (!prepared_) types_[i - 1] = kTextOid;
  }
  void BindInt(int i, int64_t v) override {
    if (!Slot(i)) return;
    values_[i - 1] = std::to_string(v);
    if (!prepared_) types_[i - 1] = kInt8Oid;
  }
  void BindNull(int i) override {
    if (Slot(i)) values_[i - 1].reset();
  }

  StepResult Step() override {
    if (!res_ && !failed_) Run();
    if (failed_) return StepResult::kError;
    ++row_;
    return row_ < PQntuples(res_) ? StepResult::kRow : StepResult::kDone;
  }
  std::string Text(int col) override {
    if (!res_ || PQgetisnull(res_, row_, col)) return "";
    return std::string(PQgetvalue(res_, row_, col), PQgetlength(res_, row_, col));
  }
  bool IsNull(int col) override { return !res_ || PQgetisnull(res_, row_, col); }
  int64_t Int(int col) override {
    if (!res_ || PQgetisnull(res_, row_, col)) return 0;
    return std::strtoll(PQgetvalue(res_, row_, col), nullptr, 10);
  }
  int64_t Changes() override { return res_ ? std::strtoll(PQcmdTuples(res_), nullptr, 10) : 0; }
  void Reset() override {
    PQclear(res_);
    res_ = nullptr;
    failed_ = false;
    row_ = -1;
    bad_.clear();
    for (auto& v : values_) v.reset();
  }
  std::string Error() override { return error_; }
  // The session was replaced (a reconnect): prepare again on the next run.
  void Forget() { prepared_ = false; }

 private:
  bool Slot(int i) {
    if (i >= 1 && i <= static_cast<int>(values_.size())) return true;
    bad_ = "parameter " + std::to_string(i) + " is not in the statement";
    return false;
  }

  void Run() {
    failed_ = true;
    row_ = -1;
    if (!bad_.empty()) {
      error_ = bad_;
      return;
    }
    if (!prepared_) {
      PGresult* p = PQprepare(conn_, name_.c_str(), sql_.c_str(), static_cast<int>(types_.size()), types_.data());
      bool ok = PQresultStatus(p) == PGRES_COMMAND_OK;
      if (!ok) error_ = FirstLine(PQresultErrorMessage(p));
      PQclear(p);
      if (!ok) return;
      prepared_ = true;
    }
    std::vector<const char*> params(values_.size());
    for (size_t i = 0; i < values_.size(); ++i) params[i] = values_[i] ? values_[i]->c_str() : nullptr;
    res_ = PQexecPrepared(conn_, name_.c_str(), static_cast<int>(params.size()), params.data(), nullptr, nullptr, 0);
    ExecStatusType st = PQresultStatus(res_);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      error_ = FirstLine(res_ ? PQresultErrorMessage(res_) : PQerrorMessage(conn_));
      return;
    }
    failed_ = false;
  }

  PGconn* conn_;
  std::string name_, sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<Oid> types_;
  bool prepared_ = false;
  PGresult* res_ = nullptr;
  int row_ = -1;
  bool failed_ = false;
  std::string bad_, error_;
};

class PgConnection : public Connection {
 public:
  PgConnection(PGconn* conn, std::string shown) : conn_(conn), shown_(std::move(shown)) {}
  ~PgConnection() override {
    cache_.clear();
    PQfinish(conn_);
  }

  Statement* Prepare(const char* sql, std::string* /*error*/) override {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second.get();
    std::string name = "accord_" + std::to_string(cache_.size() + 1);
    return cache_.emplace(sql, std::make_unique<PgStatement>(conn_, name, ToPostgres(sql, false))).first->second.get();
  }

  Status Exec(const std::string& sql, bool ddl) override {
    base::ScopedPhase phase(clock, "state");
    PGresult* r = PQexec(conn_, ToPostgres(sql, ddl).c_str());
    ExecStatusType st = PQresultStatus(r);
    Status out = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
                     ? Status::Ok()
                     : Status::Error(FirstLine(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
    PQclear(r);
    return out;
  }

  // A session lost since the last transaction (the server restarted, the network dropped)
  // is opened again here, between transactions, where nothing is in flight.
  Status Begin(bool exclusive) override {
    if (want_lock_ && !locked_) {  // lost with a session, and another process took it meanwhile
      if (Status l = LockExclusive(); !l) return l;
    }
    Status st = Exec("BEGIN", false);
    if (!st && PQstatus(conn_) == CONNECTION_BAD) {
      if (Status r = Reconnect(); !r) return r;
      st = Exec("BEGIN", false);
    }
    if (!st) return st;
    return exclusive ? Exec(kMigrationLock, false) : Status::Ok();
  }

  Status Commit() override {
    base::ScopedPhase phase(clock, "state");
    PGresult* r = PQexec(conn_, "COMMIT");
    Status out = Status::Ok();
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      out = Status::Error(FirstLine(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
    else if (std::string_view(PQcmdStatus(r)) == "ROLLBACK")  // a statement in it failed
      out = Status::Error("the transaction was rolled back after an earlier error");
    PQclear(r);
    return out;
  }

  Status Rollback() override { return Exec("ROLLBACK", false); }

  // A lock whose holder just exited is released when its server process notices, a
  // moment later: tried for up to two seconds.
  Status LockExclusive() override {
    want_lock_ = true;
    for (int attempt = 0; !locked_; ++attempt) {
      PGresult* r = PQexec(conn_, kWriterLock);
      bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
      std::string error = ok ? "" : FirstLine(PQresultErrorMessage(r));
      locked_ = ok && std::string_view(PQgetvalue(r, 0, 0)) == "t";
      PQclear(r);
      if (!ok) return Status::Error("cannot lock the state store " + shown_ + ": " + error);
      if (locked_) break;
      if (attempt == 20)
        return Status::Error("another accord process is using the state store " + shown_ +
                             " (it holds its advisory lock); one run at a time keeps links and shadows consistent");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Status::Ok();
  }

  base::Result<bool> HasState() override {
    PGresult* r = PQexec(conn_, "SELECT to_regclass('accord_meta') IS NOT NULL");
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    std::string error = ok ? "" : FirstLine(PQresultErrorMessage(r));
    bool has = ok && std::string_view(PQgetvalue(r, 0, 0)) == "t";
    PQclear(r);
    if (!ok) return Status::Error(error);
    return has;
  }

  bool postgresql() const override { return true; }

 private:
  // The same server again: statements are prepared again (they belong to a session), and
  // the writer's lock taken again, which fails if another process took it meanwhile.
  Status Reconnect() {
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK)
      return Status::Error("lost the connection to the PostgreSQL state store " + shown_ +
                           " and cannot reconnect: " + FirstLine(PQerrorMessage(conn_)));
    for (auto& [sql, st] : cache_) st->Forget();
    locked_ = false;
    return want_lock_ ? LockExclusive() : Status::Ok();
  }

  PGconn* conn_;
  std::string shown_;
  bool want_lock_ = false;  // LockExclusive was asked for: every transaction needs the lock
  bool locked_ = false;
  std::unordered_map<const char*, std::unique_ptr<PgStatement>> cache_;
};

// The password of a URL or key=value connection string ("" when none), to scrub it from
// libpq's messages as well.
std::string PasswordOf(const std::string& url) {
  std::string shown = RedactLocation(url);
  // the first difference between the two is where the password starts
  size_t i = 0;
  while (i < url.size() && i < shown.size() && url[i] == shown[i]) ++i;
  if (i >= url.size() || shown.compare(i, 3, "***") != 0) return "";
  size_t end = i;
  while (end < url.size() && url[end] != '@' && url[end] != '&' && url[end] != ' ') ++end;
  return url.substr(i, end - i);
}

}  // namespace

std::string ToPostgres(std::string_view sql, bool ddl) {
  std::string out;
  out.reserve(sql.size() + 32);
  size_t i = 0;
  auto skip_space = [&](size_t j) {
    while (j < sql.size() && std::isspace(static_cast<unsigned char>(sql[j]))) ++j;
    return j;
  };
  auto word_at = [&](size_t j) {
    size_t e = j;
    while (e < sql.size() && IsWordChar(sql[e])) ++e;
    return sql.substr(j, e - j);
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {  // a literal or a quoted name: copied as is
      size_t e = sql.find(c, i + 1);
      e = e == std::string_view::npos ? sql.size() : e + 1;
      out.append(sql.substr(i, e - i));
      i = e;
      continue;
    }
    if (c == '?' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out += '$';
      ++i;
      continue;
    }
    if (!IsWordChar(c) || (i > 0 && IsWordChar(sql[i - 1]))) {
      out += c;
      ++i;
      continue;
    }
    std::string_view w = word_at(i);
    size_t after = i + w.size();
    if (w == "json_each") {
      // json_each(?N) AS k -> json_array_elements_text($N::json) AS k(value)
      size_t open = skip_space(after);
      size_t close = open < sql.size() && sql[open] == '(' ? sql.find(')', open) : std::string_view::npos;
      if (close != std::string_view::npos) {
        out += "json_array_elements_text(" + ToPostgres(sql.substr(open + 1, close - open - 1), false) + "::json)";
        i = close + 1;
        size_t as = skip_space(i);
        if (word_at(as) == "AS") {
          size_t name = skip_space(as + 2);
          std::string_view alias = word_at(name);
          out.append(sql.substr(i, name - i)).append(alias).append("(value)");
          i = name + alias.size();
        }
        continue;
      }
    }
    if (ddl && w == "INTEGER") {
      size_t next = skip_space(after);
      out += word_at(next) == "PRIMARY" ? "BIGINT GENERATED BY DEFAULT AS IDENTITY" : "BIGINT";
      i = after;
      continue;
    }
    if (ddl && (w == "json_group_object" || w == "json_array")) {  // migration 2's conversion
      out += w == "json_array" ? "json_build_array" : "json_object_agg";
      i = after;
      continue;
    }
    if (ddl && w == "TEXT") {
      out += "TEXT COLLATE \"C\"";
      i = after;
      continue;
    }
    if (ddl && w == "WITHOUT" && word_at(skip_space(after)) == "ROWID") {
      i = skip_space(after) + 5;
      while (!out.empty() && out.back() == ' ') out.pop_back();
      continue;
    }
    out.append(w);
    i = after;
  }
  return out;
}

std::unique_ptr<Connection> OpenPostgres(const std::string& url, Status* status) {
  std::string shown = RedactLocation(url);
  // connect_timeout and options first: the URL's own settings, if any, override them. Custom
  // plans always: a prepared statement's generic plan is chosen once, often while a pass's
  // tables are still empty, and then scans them whole (record_keys by id IN (...) took ~60 ms
  // a lookup; the 100k initial pass went from over 353 s to 234 s, docs/benchmarks.md).
  const char* keys[] = {"connect_timeout", "fallback_application_name", "options", "dbname", nullptr};
  const char* values[] = {"10", "accord", "-c plan_cache_mode=force_custom_plan", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn || PQstatus(conn) != CONNECTION_OK) {
    std::string why = conn ? FirstLine(PQerrorMessage(conn)) : "out of memory";
    if (std::string pw = PasswordOf(url); !pw.empty())
      for (size_t at; (at = why.find(pw)) != std::string::npos;) why.replace(at, pw.size(), "***");
    *status = Status::Error("cannot connect to the PostgreSQL state store " + shown + ": " + why);
    PQfinish(conn);
    return nullptr;
  }
  // no NOTICE on stderr ("relation ... already exists, skipping")
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  *status = Status::Ok();
  return std::make_unique<PgConnection>(conn, shown);
}

}  // namespace accord::store::sql
