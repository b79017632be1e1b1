#include "tests/postgres/cluster.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace accord::testing {
namespace {

namespace fs = std::filesystem;

// A port nobody listens on now (the server binds it a moment later; Start retries).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

std::string Tail(const std::string& path, size_t max = 1500) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  return s.size() > max ? "..." + s.substr(s.size() - max) : s;
}

// Runs argv (as `postgres` when root), its output appended to `log`; its exit status.
int Run(std::vector<std::string> argv, bool as_postgres, const std::string& log) {
  if (as_postgres) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A watchdog that stops the cluster and removes its folder when `stop_fd`'s pipe closes:
// when the cluster is destroyed, or when the process that owns it dies (a crashed test
// leaves no server behind). In its own session, so that killing the test's process
// group does not take it along.
pid_t StartWatchdog(int read_fd, int write_fd, const std::string& dir, std::vector<std::string> stop) {
  std::vector<std::string> argv = {
      "/bin/sh", "-c", "cat >/dev/null; dir=$1; shift; \"$@\" >/dev/null 2>&1; rm -rf \"$dir\"", "watchdog", dir};
  argv.insert(argv.end(), stop.begin(), stop.end());
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, read_fd, 0);
  posix_spawn_file_actions_addclose(&fa, write_fd);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}

}  // namespace

static std::string BinDir() {
  const char* bin = std::getenv("ACCORD_PG_BIN");
  return bin && *bin ? bin : "/usr/lib/postgresql/15/bin";
}

bool PostgresRequired() {
  const char* ci = std::getenv("CI");
  std::error_code ec;
  return (ci && *ci) || fs::exists(BinDir() + "/initdb", ec);
}

std::unique_ptr<PostgresCluster> PostgresCluster::Start(const Options& options, std::string* why) {
  std::unique_ptr<PostgresCluster> c(new PostgresCluster());
  c->bin_ = BinDir();
  std::error_code ec;
  if (!fs::exists(c->bin_ + "/initdb", ec) || !fs::exists(c->bin_ + "/pg_ctl", ec)) {
    *why = "PostgreSQL 15 is not installed (no " + c->bin_ + "/initdb; scripts/install-deps installs postgresql-15)";
    return nullptr;
  }
  c->as_postgres_ = geteuid() == 0;
  uid_t uid = 0;
  gid_t gid = 0;
  if (c->as_postgres_) {
    passwd* pw = getpwnam("postgres");
    if (!pw) {
      *why = "running as root, and there is no `postgres` user to run PostgreSQL as (it refuses root)";
      return nullptr;
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  // under /tmp as root: the postgres user must be able to reach the folder
  std::string tmpl =
      (c->as_postgres_ || !std::getenv("TMPDIR") ? std::string("/tmp") : std::getenv("TMPDIR")) + "/accord-pg-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    *why = "cannot create a temporary folder " + tmpl;
    return nullptr;
  }
  c->dir_ = tmpl;
  std::vector<std::string> stop = {c->bin_ + "/pg_ctl", "-D", c->dir_ + "/data", "-m", "immediate", "-w", "stop"};
  if (c->as_postgres_) stop.insert(stop.begin(), {"runuser", "-u", "postgres", "--"});
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0 || (c->watchdog_ = StartWatchdog(fds[0], fds[1], c->dir_, stop)) < 0) {
    *why = "cannot start the watchdog process";
    return nullptr;
  }
  close(fds[0]);
  c->stop_fd_ = fds[1];
  if (c->as_postgres_ && chown(c->dir_.c_str(), uid, gid) != 0) {
    *why = "cannot give " + c->dir_ + " to the postgres user";
    return nullptr;
  }
  std::string log = c->dir_ + "/commands.log";
  std::string data = c->dir_ + "/data";
  if (Run({c->bin_ + "/initdb", "-D", data, "-U", "accord", "-A", "trust", "-E", "UTF8", "--locale=C", "-N"},
          c->as_postgres_, log) != 0) {
    *why = "initdb failed:\n" + Tail(log);
    return nullptr;
  }
  std::string settings = options.durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
  for (int attempt = 0; attempt < 5; ++attempt) {
    int port = FreePort();
    if (port == 0) continue;
    std::string o = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port) + " -k " + c->dir_ + settings;
    if (Run({c->bin_ + "/pg_ctl", "-D", data, "-l", c->dir_ + "/server.log", "-w", "-t", "60", "-o", o, "start"},
            c->as_postgres_, log) == 0) {
      c->port_ = port;
      c->url_ = "postgresql://accord@127.0.0.1:" + std::to_string(port) + "/postgres";
      return c;
    }
  }
  *why = "the server did not start:\n" + Tail(c->dir_ + "/server.log") + Tail(log);
  return nullptr;
}

PostgresCluster::~PostgresCluster() {
  if (stop_fd_ < 0) return;
  close(stop_fd_);  // the watchdog stops the server and removes the folder
  int status = 0;
  waitpid(watchdog_, &status, 0);
}

base::Status PostgresCluster::Restart() {
  std::string log = dir_ + "/commands.log";
  if (Run({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-m", "fast", "-w", "-t", "60",
           "restart"},
          as_postgres_, log) != 0)
    return base::Status::Error("pg_ctl restart failed:\n" + Tail(log));
  return base::Status::Ok();
}

base::Status PostgresCluster::Exec(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string m = PQerrorMessage(conn);
    PQfinish(conn);
    return base::Status::Error("cannot connect: " + m);
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(conn, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  base::Status out = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? base::Status::Ok()
                                                                     : base::Status::Error(PQresultErrorMessage(r));
  PQclear(r);
  PQfinish(conn);
  return out;
}

base::Result<std::string> PostgresCluster::FreshSchema(const std::string& mixed) {
  std::string name;  // unquoted in the search_path: lower case
  for (char c : mixed) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (base::Status st = Exec(url_, "DROP SCHEMA IF EXISTS \"" + name + "\" CASCADE; CREATE SCHEMA \"" + name + "\"");
      !st)
    return st;
  return url_ + "?options=-csearch_path%3D" + name;
}

}  // namespace accord::testing
