// The rule files a verb works on, loaded and checked, with the one way every
// verb stops on them: compile, map, graph, test, plan and run call
// LoadCheckedRules first (`check` prints the diagnostics itself, in its formats).
#pragma once

#include <string>
#include <vector>

#include "compiler/driver/driver.h"

namespace accord::cli {

// Loads and checks the rule files at `paths` (the current folder when empty)
// into `set`. Returns kOk, or the verb's exit code after printing why it stops:
// kUsage when the files cannot be read ("accord <verb>: <reason>"), kFindings
// when the rules have errors (their diagnostics, then, with `fix_first_hint`,
// "accord <verb>: the rules have errors; fix them first (accord check)").
int LoadCheckedRules(const std::vector<std::string>& paths, const char* verb, driver::RuleSet& set,
                     bool fix_first_hint = true);

}  // namespace accord::cli
