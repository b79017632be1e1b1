// Where a sync pass reads its data, shared by `accord plan`, `accord run` and
// `accord diff --data` (which plans two versions of the rules over the same data).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "base/status.h"
#include "cli/connect.h"
#include "compiler/driver/driver.h"
#include "compiler/sema/checker.h"
#include "runtime/connectors/connector.h"
#include "runtime/store/state_store.h"
#include "runtime/sync/engine.h"

namespace accord::cli {

struct DataArgs {
  std::string data;   // a jsonl data folder
  std::string state;  // the state file ("" = DIR/accord-state.db, or ./accord-state.db with URLs)
  RemoteArgs remote;  // --salesforce URL --hubspot URL
  // `accord serve`: the writers are ordered by the lease's fencing token (StateStore::Fence),
  // not the advisory writer's lock, which a worker paused or cut off would keep holding
  bool fenced = false;
};

// --data DIR, --salesforce URL --hubspot URL (and their TLS and credential options), --state FILE.
void AddDataOptions(CLI::App* cmd, DataArgs& a);

// --data DIR, or --salesforce URL and --hubspot URL; an error (prefixed "accord VERB: ")
// when neither, both, or only one URL is given, or DIR is not a folder.
base::Status CheckDataArgs(const DataArgs& a, const char* verb);

struct PassSetup {
  std::string state;  // the state file opened (":memory:" for a plan without one)
  std::unique_ptr<store::StateStore> store;
  std::unique_ptr<connectors::Connector> salesforce, hubspot;
};

// Opens the state store and both connectors for one pass. A dry run never
// creates a state file and writes nothing; a real run locks the store (unless `fenced`).
base::Status OpenPass(const DataArgs& a, bool dry_run, const sema::Model& model, PassSetup* out);

// Opens an existing state (a file or a postgresql:// URL) for the verbs that read it (`errors`,
// `retry`, `why`, `status`): null after printing "accord VERB: ..." when `state` is empty,
// missing or cannot be opened. Nothing is created.
std::unique_ptr<store::StateStore> OpenExistingState(const std::string& state, const char* verb);

// Plans one pass of a checked rule set (no errors) over the data, writing
// nothing, with every event kept (`accord diff --data`). An error when the data
// cannot be opened or the pass fails.
base::Result<sync::PassReport> PlanOver(const driver::RuleSet& set, const DataArgs& data);

}  // namespace accord::cli
