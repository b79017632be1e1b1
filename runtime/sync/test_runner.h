// `accord test`: runs the `test` blocks of rule files through the real sync
// engine, over in-memory jsonl connectors and an in-memory SQLite store.
//
// A test is two passes:
//   1. the past: every `given linked` record (its first appearance) and its
//      counterpart on the other side of the sync (the given record with the
//      same key, or an empty one) are linked and synced, so the pair agrees
//      and the shadows are set;
//   2. the change: every other `given` either adds a record or, with the key
//      of an existing one, changes the fields it lists; then one pass runs
//      and the expectations are checked against what it did:
//        expect side.Object { f: v }  records of that object were written,
//                                     and every one now has these values
//        expect nothing               nothing was written to either system
//        expect error Category        an error of that category was logged
//      Any error a test does not expect fails it.
#pragma once

#include <string>
#include <vector>

#include "compiler/driver/driver.h"
#include "compiler/ir/lower.h"
#include "jit/runner.h"
#include "runtime/sync/engine.h"

namespace accord::sync {

struct TestResult {
  std::string name;
  std::string location;  // file:line:col of the test
  bool passed = false;
  std::vector<std::string> failures;
};

struct TestOptions {
  jit::EngineKind engine = jit::EngineKind::kInterp;
  std::string filter;  // run only tests whose name contains this
};

// The engine's view of a checked rule set (lifecycles, schemas, a hash of the
// rule files' text).
struct RuleSetView;
RuleSetView ViewOf(const driver::RuleSet& set, const ir::CompiledRules& rules);

std::vector<TestResult> RunTests(const driver::RuleSet& set, const ir::CompiledRules& rules,
                                 const TestOptions& options);

}  // namespace accord::sync
