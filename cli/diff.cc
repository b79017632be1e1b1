// accord diff OLD NEW | accord diff REV1..REV2 [PATH]  [--format text|markdown|json] [--fail-on low|medium|high]
//             [--data DIR | --salesforce URL --hubspot URL] [--state FILE]
//
// The semantic change between two versions of a rule set (compiler/diff/diff.h
// computes it; risk levels in docs/diff.md), rendered as text, markdown or json.
// Both versions are checked first: their errors lead every format, and exit 3
// says the new version cannot deploy. With --data DIR (or the two URLs) both
// versions are planned over the same data and each change gets its impact
// (cli/impact.h).
#include "compiler/diff/diff.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/impact.h"
#include "cli/pass.h"
#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"

namespace accord::cli {

namespace {

using diff::Change;
using diff::Risk;
using diff::RiskName;
using diff::Touch;

// A change and, with --data, the part of the two plans' differences it touches.
struct Reviewed : Change {
  Impact impact;
};

bool Covers(const Touch& t, const FieldImpact& f) {
  return (t.sync.empty() || t.sync == f.sync) &&
         (t.field.empty() || (t.system == f.system && t.object == f.object && t.field == f.field));
}
bool Covers(const Touch& t, const OutcomeImpact& o) { return t.field.empty() && t.sync == o.sync; }

// Runs a program found on PATH with exactly these arguments (no shell in
// between, so nothing in them is interpreted), stdout to /dev/null and stderr
// to `err_file` ("" = /dev/null). The exit status, or -1 when it could not run.
int Spawn(const std::vector<std::string>& args, const std::string& err_file) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.empty() ? "/dev/null" : err_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A revision as the user wrote it in REV1..REV2 goes to git as one argument
// after --end-of-options; text that git could take for an option anywhere else
// (`--output=FILE` makes `git archive` write FILE) is refused first.
base::Status ValidRevision(const std::string& rev) {
  if (rev.empty())
    return base::Status::Error(
        "the old revision is missing in REV1..REV2 (e.g. main..HEAD; only REV2 may be empty, for HEAD)");
  if (rev[0] == '-')
    return base::Status::Error("'" + rev + "' is not a git revision: a revision cannot start with '-'");
  for (unsigned char c : rev) {
    if (c <= ' ' || c == 0x7f) {
      return base::Status::Error("'" + rev + "' is not a git revision: it contains a space or a control character");
    }
  }
  return base::Status::Ok();
}

// Materializes PATH at a git revision into a temporary folder.
// *dir is set once the folder exists, also on failure: the caller removes it.
base::Status GitExport(const std::string& rev, const std::string& path, std::string* dir) {
  if (base::Status s = ValidRevision(rev); !s) return s;
  char tmpl[] = "/tmp/accord-diff-XXXXXX";
  if (!mkdtemp(tmpl)) return base::Status::Error("cannot create a temporary folder");
  *dir = tmpl;
  const std::string tar = *dir + "/.accord-archive.tar", err = *dir + "/.accord-git-error";
  // After --end-of-options every argument is a revision or a path, even one that
  // starts with '-' (git archive would take a "--" after it for a path).
  int rc = Spawn({"git", "archive", "--format=tar", "--output=" + tar, "--end-of-options", rev, path}, err);
  if (rc == 0) rc = Spawn({"tar", "-x", "-f", tar, "-C", *dir}, "");
  std::string why;
  if (rc != 0) {
    std::ifstream in(err);
    std::getline(in, why);
  }
  std::filesystem::remove(tar);
  std::filesystem::remove(err);
  if (rc != 0)
    return base::Status::Error(
        "cannot read " + path + " at revision " + rev + " from git" +
        (why.empty() ? " (is this a git repository, and does the path exist there?)" : ": " + why));
  return base::Status::Ok();
}

struct DiffArgs {
  std::vector<std::string> args;
  std::string format = "text";
  std::string fail_on;
  DataArgs data;  // --data DIR or --salesforce/--hubspot URLs: the impact on those records
  bool impact() const { return !data.data.empty() || !data.state.empty() || data.remote.remote(); }
};

// The exit status when the new version has errors (it cannot deploy): above 1,
// which --fail-on uses for risky but deployable changes.
constexpr int kCannotDeploy = 3;

// One side of the comparison as loaded, with its errors named as the user
// knows the files (a git revision's temporary folder becomes REV:PATH).
struct Version {
  std::string name;           // "old" / "new"
  std::string path;           // what was loaded
  std::string root;           // the folder paths in tables are relative to (PATH, or a file's folder)
  std::string tmp_root, rev;  // from git: the temporary folder and the revision
  diff::Version loaded;       // the rules, checked
  std::vector<std::unique_ptr<SourceFile>> renamed;
  std::vector<Diagnostic> errors;
  std::vector<std::string> where;  // per error: PATH:LINE:COL below the version's root

  bool parsed() const { return loaded.set.all_parsed; }
  std::string Shown(const std::string& file) const {
    if (!tmp_root.empty() && file.rfind(tmp_root + "/", 0) == 0) return rev + ":" + file.substr(tmp_root.size() + 1);
    return file;
  }
  void SetPath(std::string p) {
    std::error_code ec;
    path = std::move(p);
    root = std::filesystem::is_directory(path, ec) ? path : std::filesystem::path(path).parent_path().string();
  }
  // The path below the version's root, for tables.
  std::string Relative(const std::string& file) const {
    std::string rel = std::filesystem::path(file).lexically_relative(root).string();
    return rel.empty() || rel.rfind("..", 0) == 0 ? std::filesystem::path(file).filename().string() : rel;
  }
  void NameErrors() {
    std::map<const SourceFile*, const SourceFile*> as;
    auto rename = [&](const SourceFile* f) -> const SourceFile* {
      if (!f || tmp_root.empty()) return f;
      auto [it, fresh] = as.emplace(f, nullptr);
      if (fresh) {
        renamed.push_back(std::make_unique<SourceFile>(Shown(f->path()), f->text()));
        it->second = renamed.back().get();
      }
      return it->second;
    };
    for (Diagnostic d : loaded.errors) {
      std::string at;
      if (d.file) {
        LineCol lc = d.file->Locate(d.range.begin);
        at = Relative(d.file->path()) + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
      }
      where.push_back(at);
      d.file = rename(d.file);
      for (Note& n : d.notes) n.file = rename(n.file);
      errors.push_back(std::move(d));
    }
  }
  std::string Headline(bool is_new, bool compared) const {
    size_t n = errors.size();
    std::string h = "the " + name + " version does not " + (parsed() ? "check" : "parse") + " (" + std::to_string(n) +
                    (n == 1 ? " error)" : " errors)");
    if (is_new) return h + ": it cannot deploy";
    return h + (compared ? ": the changes compare with rules that could never run as written" : "");
  }
};

std::string Message(const Change& c) {
  std::string m = c.subject + ": " + c.message;
  if (c.does_not_check.empty()) return m;
  m += " (does not check:";
  for (const auto& id : c.does_not_check) m += " " + id;
  return m + ")";
}

struct Report {
  const Version* old_v = nullptr;
  const Version* new_v = nullptr;
  std::vector<const Version*> broken;  // versions with errors, the new one first
  bool compared = false;
  std::vector<Reviewed> changes;
  // --data
  bool impact_asked = false;
  std::string impact_over;     // the data folder or the two URLs
  std::string impact_skipped;  // why there is no impact, when asked
  Impact impact;
};

// The impact lines of one change ("sync accounts: " when its subject names another).
std::vector<std::string> ImpactLines(const Reviewed& c) {
  std::vector<std::string> out;
  auto prefix = [&](const std::string& sync) { return c.subject == SyncLabel(sync) ? "" : SyncLabel(sync) + ": "; };
  for (const FieldImpact& f : c.impact.fields) out.push_back(prefix(f.sync) + f.Text());
  for (const OutcomeImpact& o : c.impact.outcomes)
    out.push_back((o.outcome.rfind(SyncLabel(o.sync), 0) == 0 ? "" : prefix(o.sync)) + o.Text());
  if (out.empty()) out.push_back("no record written differently");
  return out;
}
std::vector<std::string> ImpactLines(const Impact& im) {
  std::vector<std::string> out;
  for (const FieldImpact& f : im.fields) out.push_back(SyncLabel(f.sync) + ": " + f.Text());
  for (const OutcomeImpact& o : im.outcomes)  // "lifecycle hubspot.contacts: ..." names itself
    out.push_back(o.outcome.rfind(SyncLabel(o.sync), 0) == 0 ? o.Text() : SyncLabel(o.sync) + ": " + o.Text());
  return out;
}
std::string ImpactHeadline(const Report& r) {
  if (!r.impact_skipped.empty()) return "impact over " + r.impact_over + " not computed: " + r.impact_skipped;
  return "impact over " + r.impact_over + " (both versions planned, nothing written): " + Count(r.impact.records) +
         (r.impact.records == 1 ? " record treated differently" : " records treated differently");
}

void PrintText(const Report& r) {
  for (const Version* v : r.broken)
    std::cout << v->Headline(v == r.new_v, r.compared) << "\n" << RenderText(v->errors, RenderOptions{});
  if (!r.compared) {
    std::cout << "no comparison: a version that does not parse has no rules to compare\n";
    return;
  }
  if (!r.broken.empty()) std::cout << "\nchanges:\n";
  if (r.changes.empty()) std::cout << "no semantic change\n";
  bool impact = r.impact_asked && r.impact_skipped.empty();
  for (const auto& c : r.changes) {
    std::cout << RiskName(c.risk)
              << (c.risk == Risk::kLow    ? "    "
                  : c.risk == Risk::kHigh ? "   "
                                          : " ")
              << Message(c) << (c.where.empty() ? "" : "  (" + c.where + ")") << "\n";
    if (impact)
      for (const std::string& line : ImpactLines(c)) std::cout << "       impact: " << line << "\n";
  }
  if (!r.impact_asked) return;
  std::cout << "\n" << ImpactHeadline(r) << "\n";
  for (const std::string& line : ImpactLines(r.impact)) std::cout << "  " << line << "\n";
}

std::string MarkdownCell(const std::string& text) {
  std::string esc;
  for (char ch : text) esc += ch == '|' ? std::string("\\|") : ch == '\n' ? std::string(" ") : std::string(1, ch);
  return esc;
}

void PrintMarkdown(const Report& r) {
  std::cout << "### accord diff\n\n";
  for (const Version* v : r.broken) {
    std::string h = v->Headline(v == r.new_v, r.compared);
    h[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(h[0])));
    std::cout << "**" << h << ".**\n\n";
  }
  if (!r.broken.empty()) {
    std::cout << "| version | where | code | error |\n|---|---|---|---|\n";
    for (const Version* v : r.broken)
      for (size_t i = 0; i < v->errors.size(); ++i)
        std::cout << "| " << v->name << " | `" << v->where[i] << "` | " << Info(v->errors[i].code).id << " | "
                  << MarkdownCell(v->errors[i].message) << " |\n";
    std::cout << "\n";
  }
  if (!r.compared) {
    std::cout << "No comparison: a version that does not parse has no rules to compare.\n";
    return;
  }
  if (r.changes.empty()) {
    std::cout << "No semantic change.\n";
  } else {
    int counts[3] = {0, 0, 0};
    for (const auto& c : r.changes) ++counts[static_cast<int>(c.risk)];
    std::cout << counts[2] << " high, " << counts[1] << " medium, " << counts[0] << " low risk\n\n";
    std::cout << "| risk | where | change |\n|---|---|---|\n";
    bool impact = r.impact_asked && r.impact_skipped.empty();
    for (const auto& c : r.changes) {
      std::string cell = MarkdownCell(Message(c));
      if (impact)
        for (const std::string& line : ImpactLines(c)) cell += "<br>impact: " + MarkdownCell(line);
      std::cout << "| " << (c.risk == Risk::kHigh ? "**high**" : RiskName(c.risk)) << " | `" << c.where << "` | "
                << cell << " |\n";
    }
  }
  if (!r.impact_asked) return;
  std::string h = ImpactHeadline(r);
  h[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(h[0])));
  std::cout << "\n" << h << "\n\n";
  for (const std::string& line : ImpactLines(r.impact)) std::cout << "- " << MarkdownCell(line) << "\n";
}

nlohmann::ordered_json ImpactJson(const Impact& im) {
  nlohmann::ordered_json j;
  j["fields"] = nlohmann::ordered_json::array();
  for (const FieldImpact& f : im.fields)
    j["fields"].push_back({{"sync", f.sync},
                           {"system", schema::SystemName(f.system)},
                           {"object", f.object},
                           {"field", f.field},
                           {"records", f.records()},
                           {"added", f.added},
                           {"changed", f.changed},
                           {"removed", f.removed},
                           {"text", f.Text()}});
  j["outcomes"] = nlohmann::ordered_json::array();
  for (const OutcomeImpact& o : im.outcomes)
    j["outcomes"].push_back(
        {{"sync", o.sync}, {"outcome", o.outcome}, {"added", o.added}, {"removed", o.removed}, {"text", o.Text()}});
  return j;
}

void PrintJson(const Report& r) {
  nlohmann::ordered_json j;
  j["errors"] = nlohmann::ordered_json::array();
  for (const Version* v : {r.new_v, r.old_v})
    for (auto e : nlohmann::ordered_json::parse(RenderJson(v->errors))) {
      nlohmann::ordered_json x = {{"version", v->name}};
      for (auto& [k, val] : e.items()) x[k] = val;
      j["errors"].push_back(x);
    }
  j["deployable"] = r.new_v->errors.empty();
  j["compared"] = r.compared;
  bool impact = r.impact_asked && r.impact_skipped.empty();
  j["changes"] = nlohmann::ordered_json::array();
  for (const auto& c : r.changes) {
    nlohmann::ordered_json x = {
        {"risk", RiskName(c.risk)}, {"subject", c.subject}, {"message", c.message}, {"where", c.where}};
    if (!c.does_not_check.empty()) x["does_not_check"] = c.does_not_check;
    if (impact) x["impact"] = ImpactJson(c.impact);
    j["changes"].push_back(x);
  }
  if (r.impact_asked) {
    nlohmann::ordered_json im = {{"over", r.impact_over}};
    if (!r.impact_skipped.empty())
      im["skipped"] = r.impact_skipped;
    else {
      im["records"] = r.impact.records;
      nlohmann::ordered_json parts = ImpactJson(r.impact);
      for (auto& [k, v] : parts.items()) im[k] = v;
    }
    j["impact"] = im;
  }
  std::cout << j.dump(2) << "\n";
}

// The part of the plans' differences that a change touches.
Impact Touched(const Impact& all, const std::vector<Touch>& touches) {
  Impact out;
  auto covered = [&](const auto& x) {
    return std::any_of(touches.begin(), touches.end(), [&](const Touch& t) { return Covers(t, x); });
  };
  for (const FieldImpact& f : all.fields)
    if (covered(f)) out.fields.push_back(f);
  for (const OutcomeImpact& o : all.outcomes)
    if (covered(o)) out.outcomes.push_back(o);
  return out;
}

int RunDiff(const DiffArgs& a) {
  Version old_v, new_v;
  old_v.name = "old", new_v.name = "new";
  std::string error;
  std::vector<std::string> cleanup;
  auto remove_all = [&] {
    for (const auto& c : cleanup)
      if (!c.empty()) std::filesystem::remove_all(c);
  };
  if (a.args.size() >= 1 && a.args[0].find("..") != std::string::npos && !std::filesystem::exists(a.args[0])) {
    std::string r1 = a.args[0].substr(0, a.args[0].find("..")), r2 = a.args[0].substr(a.args[0].find("..") + 2);
    if (r2.empty()) r2 = "HEAD";
    std::string path = a.args.size() > 1 ? a.args[1] : ".";
    std::string d1, d2;
    base::Status exported = GitExport(r1, path, &d1);
    if (exported) exported = GitExport(r2, path, &d2);
    cleanup = {d1, d2};
    if (!exported) {
      remove_all();
      std::cerr << "accord diff: " << exported.message << "\n";
      return kUsage;
    }
    old_v.SetPath(d1 + "/" + path), old_v.tmp_root = d1, old_v.rev = r1;
    new_v.SetPath(d2 + "/" + path), new_v.tmp_root = d2, new_v.rev = r2;
  } else if (a.args.size() == 2) {
    old_v.SetPath(a.args[0]);
    new_v.SetPath(a.args[1]);
  } else {
    std::cerr << "accord diff: give OLD NEW (files or folders) or REV1..REV2 [PATH]\n";
    return kUsage;
  }
  if (a.impact()) {
    if (base::Status s = CheckDataArgs(a.data, "diff"); !s) {
      remove_all();
      std::cerr << s.message << "\n";
      return kUsage;
    }
  }
  bool ok = diff::Load(old_v.path, old_v.loaded, &error) && diff::Load(new_v.path, new_v.loaded, &error);
  remove_all();  // the sources are in memory
  if (!ok) {
    std::cerr << "accord diff: " << error << "\n";
    return kUsage;
  }
  // Errors first: the new version's (it cannot deploy), then the old one's.
  std::vector<const Version*> broken;
  for (Version* v : {&new_v, &old_v}) {
    v->NameErrors();
    if (!v->errors.empty()) broken.push_back(v);
  }
  bool compared = old_v.parsed() && new_v.parsed();
  std::vector<Reviewed> changes;
  if (compared)
    for (Change& c : diff::Compare(old_v.loaded, new_v.loaded)) changes.push_back(Reviewed{std::move(c), {}});
  Report report;
  report.old_v = &old_v, report.new_v = &new_v, report.broken = broken, report.compared = compared;
  if (a.impact()) {
    report.impact_asked = true;
    const RemoteArgs& rm = a.data.remote;
    report.impact_over = rm.remote() ? rm.salesforce_url + " and " + rm.hubspot_url : a.data.data;
    if (!compared || !new_v.errors.empty() || !old_v.errors.empty()) {
      report.impact_skipped = "a version with errors cannot be planned";
    } else {
      base::Result<sync::PassReport> plan_old = PlanOver(old_v.loaded.set, a.data);
      base::Result<sync::PassReport> plan_new =
          plan_old ? PlanOver(new_v.loaded.set, a.data) : base::Result<sync::PassReport>(plan_old.status());
      if (!plan_new) {
        std::cerr << "accord diff: " << plan_new.status().message << "\n";
        return kUsage;
      }
      report.impact = ComparePlans(*plan_old, *plan_new);
      for (Reviewed& c : changes) c.impact = Touched(report.impact, c.touches);
    }
  }
  report.changes = std::move(changes);
  if (a.format == "json")
    PrintJson(report);
  else if (a.format == "markdown")
    PrintMarkdown(report);
  else
    PrintText(report);
  if (!new_v.errors.empty()) return kCannotDeploy;
  if (!compared) return kUsage;
  if (!a.fail_on.empty()) {
    Risk limit = a.fail_on == "high" ? Risk::kHigh : a.fail_on == "medium" ? Risk::kMedium : Risk::kLow;
    for (const auto& c : report.changes)
      if (c.risk >= limit) return kFindings;
  }
  return kOk;
}

}  // namespace

void RegisterDiff(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiffArgs>();
  auto* cmd = app.add_subcommand("diff", "The semantic change between two versions of a rule set, with risk levels");
  cmd->footer(
      "  accord diff OLD NEW                 two files or folders\n"
      "  accord diff REV1..REV2 [PATH]       two git revisions (no checkout; REV2 empty = HEAD)\n"
      "  ... --data DIR | --salesforce URL --hubspot URL [--state FILE]\n"
      "                                      and the impact: both versions planned over that data (nothing\n"
      "                                      written), the records each change would write differently\n"
      "Comments and layout never count. Risk levels are explained in docs/diff.md.\n"
      "Both versions are checked first: their errors lead the output.\n"
      "Exit status: 0, or 1 with --fail-on when a change at or above that risk exists; 2 usage or I/O failure\n"
      "(or the old version does not parse: nothing to compare); 3 the new version has errors: it cannot deploy.");
  cmd->add_option("ARGS", args->args, "OLD NEW, or REV1..REV2 [PATH]")->required();
  cmd->add_option("--format", args->format, "text, markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  cmd->add_option("--fail-on", args->fail_on, "exit 1 when a change of this risk or higher exists")
      ->check(CLI::IsMember({"low", "medium", "high"}));
  AddDataOptions(cmd, args->data);
  cmd->callback([args, &exit_code] { exit_code = RunDiff(*args); });
}

}  // namespace accord::cli
