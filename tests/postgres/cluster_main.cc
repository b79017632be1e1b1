// pg_cluster [--durable]: starts a throwaway PostgreSQL cluster (cluster.h), prints its
// URL on one line and its data folder on the next, and stops and removes it when its standard input closes (or on
// SIGINT/SIGTERM). For scripts: tests/e2e/postgres_test.py, bench/sync/run.sh.
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>

#include "tests/postgres/cluster.h"

namespace {
void Ignore(int) {}
}  // namespace

int main(int argc, char** argv) {
  accord::testing::PostgresCluster::Options o;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--durable") == 0) {
      o.durable = true;
    } else {
      std::cerr << "usage: pg_cluster [--durable]\n";
      return 2;
    }
  }
  std::string why;
  auto c = accord::testing::PostgresCluster::Start(o, &why);
  if (!c) {
    std::cerr << "pg_cluster: " << why << "\n";
    return 1;
  }
  std::cout << c->url() << "\n" << c->data_dir() << std::endl;
  // a signal interrupts the read below (no SA_RESTART) and the cluster is stopped
  struct sigaction sa = {};
  sa.sa_handler = Ignore;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  char buf[256];
  while (read(0, buf, sizeof(buf)) > 0) {
  }
  return 0;
}
