// A throwaway PostgreSQL 15 cluster for tests and benchmarks: initdb in a
// temporary folder, a server on a free 127.0.0.1 port (its unix socket in the
// same folder), stopped and removed when the object goes. PostgreSQL refuses to
// run as root: as root the folder belongs to the `postgres` user and every
// command runs through `runuser -u postgres --`. A watchdog process stops the
// server when the owner goes, even when it crashes.
//
// ACCORD_PG_BIN overrides the binaries' folder (/usr/lib/postgresql/15/bin).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"

namespace accord::testing {

class PostgresCluster {
 public:
  struct Options {
    // false (tests): fsync and synchronous commit off. true: PostgreSQL's defaults (benchmarks).
    bool durable = false;
  };
  // A running cluster, or null with the reason in *why.
  static std::unique_ptr<PostgresCluster> Start(const Options& options, std::string* why);
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // postgresql://accord@127.0.0.1:PORT/postgres (trust authentication, no password).
  const std::string& url() const { return url_; }
  int port() const { return port_; }
  // The cluster's data folder (its postmaster.pid names the server process).
  std::string data_dir() const { return dir_ + "/data"; }
  // A new empty schema of the cluster's database and the URL whose search_path is it:
  // a clean state store per test without creating a database.
  base::Result<std::string> FreshSchema(const std::string& name);
  // Restarts the server (pg_ctl restart -m fast): every session is cut.
  base::Status Restart();
  // Runs SQL (no parameters) against `url`.
  static base::Status Exec(const std::string& url, const std::string& sql);

 private:
  PostgresCluster() = default;
  std::string dir_, bin_, url_;
  int port_ = 0;
  bool as_postgres_ = false;
  int stop_fd_ = -1;  // closing it tells the watchdog to stop the cluster
  int watchdog_ = -1;
};

// Where PostgreSQL is installed (scripts/install-deps installs it) or in CI (the CI
// environment variable set), a cluster that cannot start fails the test; elsewhere
// the test is skipped with the reason.
bool PostgresRequired();

}  // namespace accord::testing
