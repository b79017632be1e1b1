// The semantic diff behind `accord diff` (docs/diff.md): two checked versions
// of a rule set compared as ASTs (expressions by their canonical `accord fmt`
// form, so comments and layout never count), as a list of changes, each with
// what it means for data and a risk level:
//   high   a side gains the power to overwrite, erase or create data it could not
//          before, a record can now fail a write, or the matching/lifecycle order changes
//   medium data flows change in a way a reviewer must confirm (a table entry, a
//          transform, a policy, a scope, a rule removed)
//   low    additions that only add a one-way flow into a field nothing wrote before,
//          and changes with the same effect
// Rendering, git revisions and the impact on data live in cli/diff.cc.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/diag/diagnostic.h"
#include "compiler/driver/driver.h"

namespace accord::diff {

enum class Risk { kLow, kMedium, kHigh };
const char* RiskName(Risk r);

// What a change can alter when the rules run: the target fields of one sync
// (an empty field: all of the sync, its creates, links and errors too); an
// empty sync: the field in every sync (a lifecycle property).
struct Touch {
  std::string sync;
  schema::System system = schema::System::kHubSpot;
  std::string object, field;
};

struct Change {
  Risk risk = Risk::kLow;
  std::string subject;  // "sync people", "values Industry", "lifecycle hubspot.contacts.lifecyclestage"
  std::string message;
  std::string where;  // file:line in the new version (or the old one for removals)
  // A change to one field rule of the new version: its file and range, so that the
  // checker's errors inside it can be named on the change.
  const SourceFile* rule_file = nullptr;
  Range rule_range;
  std::vector<std::string> does_not_check;  // codes of the new version's errors in that rule
  std::vector<Touch> touches;
};

// One version, loaded and checked, its declarations indexed by name.
struct Version {
  driver::RuleSet set;
  std::vector<Diagnostic> errors;  // the checker's (and parser's) errors, in order
  std::map<std::string, const ast::SyncDecl*> syncs;
  std::map<std::string, const ast::ValuesDecl*> values;
  std::map<std::string, const ast::LifecycleDecl*> lifecycles;
  std::map<const void*, const SourceFile*> file_of;  // decl -> file
  bool parsed() const { return set.all_parsed; }
};

// Loads and checks one version. false only when it cannot be read (I/O); its
// errors are kept in version.errors, and its declarations are indexed only
// when every file parsed.
bool Load(const std::string& path, Version& version, std::string* error);

// The changes from `old_version` to `new_version` (both parsed), highest risk
// first; changes to field rules with errors in the new version name their codes.
std::vector<Change> Compare(const Version& old_version, const Version& new_version);

}  // namespace accord::diff
