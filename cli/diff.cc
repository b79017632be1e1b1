// accord diff OLD NEW | accord diff REV1..REV2 [PATH]  [--format text|markdown|json] [--fail-on low|medium|high]
//
// The semantic change between two versions of a rule set: what each change
// means for data, with a risk level. Comments and layout never show up:
// rules are compared as checked ASTs (expressions by their canonical form).
// Risk rules (docs/diff.md):
//   high   a side gains the power to overwrite, erase or create data it could not
//          before, a record can now fail a write, or the matching/lifecycle order changes
//   medium data flows change in a way a reviewer must confirm (a table entry, a
//          transform, a policy, a scope, a rule removed)
//   low    additions that only add a one-way flow into a field nothing wrote before
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
#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"
#include "compiler/fmt/formatter.h"

namespace accord::cli {

namespace {

enum class Risk { kLow, kMedium, kHigh };
const char* RiskName(Risk r) { return r == Risk::kHigh ? "high" : r == Risk::kMedium ? "medium" : "low"; }

struct Change {
  Risk risk;
  std::string subject;  // "sync people", "values Industry", "lifecycle hubspot.contacts.lifecyclestage"
  std::string message;
  std::string where;    // file:line in the new version (or the old one for removals)
};

struct Side {
  driver::RuleSet set;
  std::map<std::string, const ast::SyncDecl*> syncs;
  std::map<std::string, const ast::ValuesDecl*> values;
  std::map<std::string, const ast::LifecycleDecl*> lifecycles;
  std::map<const void*, const SourceFile*> file_of;  // decl -> file
};

std::string Where(const Side& s, const void* decl, Range r) {
  auto it = s.file_of.find(decl);
  if (it == s.file_of.end() || !it->second) return "";
  LineCol lc = it->second->Locate(r.begin);
  return std::filesystem::path(it->second->path()).filename().string() + ":" + std::to_string(lc.line);
}

bool Load(const std::string& path, Side& side, std::string* error) {
  DiagSink sink(100);
  if (!driver::LoadAndCheck({path}, driver::Options{}, side.set, sink, error)) return false;
  if (!side.set.all_parsed) {
    *error = path + " has syntax errors; run accord check";
    return false;
  }
  for (const auto& p : side.set.parsed) {
    for (const auto& d : p.file->decls) {
      if (auto* s = std::get_if<ast::SyncDecl>(&d)) {
        side.syncs[s->name.text] = s;
        side.file_of[s] = p.file->source;
      } else if (auto* v = std::get_if<ast::ValuesDecl>(&d)) {
        side.values[v->name.text] = v;
        side.file_of[v] = p.file->source;
      } else if (auto* l = std::get_if<ast::LifecycleDecl>(&d)) {
        side.lifecycles[ast::FieldPathText(l->property)] = l;
        side.file_of[l] = p.file->source;
      }
    }
  }
  return true;
}

std::string Expr(const ast::ExprPtr& e) { return e ? fmt::FormatExpr(*e) : ""; }
std::string Dir(ast::Direction d) { return std::string(ast::DirectionToken(d)); }

std::string Policy(const std::optional<ast::ConflictPolicy>& p) { return p ? ast::ConflictPolicyText(*p) : "(none)"; }
std::string Blank(const ast::BlankPolicy* b) {
  if (!b) return "(default)";
  switch (b->kind) {
    case ast::BlankKind::kIgnore: return "ignore";
    case ast::BlankKind::kClear: return "clear";
    case ast::BlankKind::kDefault: return "default " + Expr(b->default_value);
  }
  return "";
}

// A field rule's identity: its two sides as written (canonical form).
std::string RuleKey(const ast::FieldRule& r) { return Expr(r.salesforce) + " | " + Expr(r.hubspot); }
std::string RuleName(const ast::FieldRule& r) {
  std::string sf = Expr(r.salesforce), hs = Expr(r.hubspot);
  bool sf_plain = r.salesforce && r.salesforce->kind == ast::ExprKind::kIdent;
  bool hs_plain = r.hubspot && r.hubspot->kind == ast::ExprKind::kIdent;
  if (sf_plain && !hs_plain) return sf;
  if (hs_plain && !sf_plain) return hs;
  return sf;
}
std::string Transforms(const ast::FieldRule& r) {
  std::string t = r.with ? "with " + Expr(r.with) : "";
  for (const auto& d : r.transforms) t += (t.empty() ? "" : "; ") + ("to " + std::string(ast::SideName(d.to)) + ": " + Expr(d.expr));
  return t.empty() ? "(none)" : t;
}

struct SyncItems {
  std::vector<const ast::FieldRule*> rules;
  const ast::MatchRule* match = nullptr;
  std::map<ast::Side, std::string> scopes;
  std::map<ast::Side, const ast::CreateRule*> creates;
  std::optional<ast::ConflictPolicy> conflict;
  const ast::BlankPolicy* blank = nullptr;
  std::map<ast::Side, std::map<std::string, std::string>> on_create;  // side -> field -> expr
  std::vector<std::string> deletes, associations;
};

SyncItems Collect(const ast::SyncDecl& s) {
  SyncItems it;
  for (const auto& item : s.items) {
    if (auto* r = std::get_if<ast::FieldRule>(&item)) it.rules.push_back(r);
    else if (auto* m = std::get_if<ast::MatchRule>(&item)) it.match = m;
    else if (auto* sc = std::get_if<ast::ScopeRule>(&item)) it.scopes[sc->side] = Expr(sc->condition);
    else if (auto* c = std::get_if<ast::CreateRule>(&item)) it.creates[c->side] = c;
    else if (auto* cd = std::get_if<ast::ConflictDefault>(&item)) it.conflict = cd->policy;
    else if (auto* bd = std::get_if<ast::BlankDefault>(&item)) it.blank = &bd->policy;
    else if (auto* oc = std::get_if<ast::OnCreate>(&item)) {
      for (const auto& a : oc->assignments) it.on_create[oc->side][a.field.text] = Expr(a.value);
    } else if (auto* d = std::get_if<ast::DeleteRule>(&item)) {
      const char* k = d->kind == ast::DeleteKind::kKeep ? "keep" : d->kind == ast::DeleteKind::kPropagate ? "propagate" : "unlink";
      it.deletes.push_back(std::string(k) + (d->from ? " from " + std::string(ast::SideName(*d->from)) : ""));
    } else if (auto* a = std::get_if<ast::Associate>(&item)) {
      it.associations.push_back(a->sf_field.text + " " + Dir(a->dir) + " " + a->hs_object.text);
    }
  }
  return it;
}

std::string MatchText(const ast::MatchRule* m) {
  if (!m) return "(none)";
  if (m->explicit_fields) return m->sf_field.text + " = " + m->hs_field.text;
  return m->key.text;
}

class Differ {
 public:
  Differ(const Side& a, const Side& b) : a_(a), b_(b) {}
  std::vector<Change> changes;

  void Run() {
    for (const auto& [name, v] : b_.values)
      if (!a_.values.count(name)) Add(Risk::kLow, "values " + name, "new values table", b_, v, v->range);
    for (const auto& [name, v] : a_.values) {
      auto it = b_.values.find(name);
      if (it == b_.values.end()) Add(Risk::kMedium, "values " + name, "values table removed", a_, v, v->range);
      else Values(*v, *it->second);
    }
    for (const auto& [name, s] : b_.syncs)
      if (!a_.syncs.count(name))
        Add(Risk::kHigh, "sync " + name,
            "new sync " + Dir(s->dir) + " between salesforce." + s->left.object.text + " and hubspot." +
                s->right.object.text + ": records start flowing",
            b_, s, s->range);
    for (const auto& [name, s] : a_.syncs) {
      auto it = b_.syncs.find(name);
      if (it == b_.syncs.end())
        Add(Risk::kHigh, "sync " + name, "sync removed: its records stop syncing (links stay in the state store)", a_, s,
            s->range);
      else Sync(*s, *it->second);
    }
    for (const auto& [name, l] : b_.lifecycles)
      if (!a_.lifecycles.count(name)) Add(Risk::kHigh, "lifecycle " + name, "new lifecycle rules", b_, l, l->range);
    for (const auto& [name, l] : a_.lifecycles) {
      auto it = b_.lifecycles.find(name);
      if (it == b_.lifecycles.end()) Add(Risk::kHigh, "lifecycle " + name, "lifecycle rules removed", a_, l, l->range);
      else Lifecycle(name, *l, *it->second);
    }
  }

 private:
  void Add(Risk r, std::string subject, std::string msg, const Side& side, const void* decl, Range range) {
    changes.push_back(Change{r, std::move(subject), std::move(msg), Where(side, decl, range)});
  }

  void Values(const ast::ValuesDecl& a, const ast::ValuesDecl& b) {
    std::string subj = "values " + b.name.text;
    for (ast::Side to : {ast::Side::kHubSpot, ast::Side::kSalesforce}) {
      auto ma = Pairs(a, to), mb = Pairs(b, to);
      std::string arrow = to == ast::Side::kHubSpot ? "toward HubSpot" : "toward Salesforce";
      for (const auto& [k, v] : mb) {
        auto it = ma.find(k);
        if (it == ma.end())
          Add(Risk::kLow, subj, k + " now maps to " + v + " " + arrow + " (was unlisted)", b_, &b, b.range);
        else if (it->second != v)
          Add(Risk::kMedium, subj, k + " now maps to " + v + " " + arrow + " (was " + it->second + ")", b_, &b, b.range);
      }
      for (const auto& [k, v] : ma)
        if (!mb.count(k))
          Add(Risk::kMedium, subj, k + " no longer maps " + arrow + " (was " + v + "); it falls to the else rule: " +
                                       Else(b, to),
              b_, &b, b.range);
      std::string ea = Else(a, to), eb = Else(b, to);
      if (ea != eb)
        Add(eb == "reject" || eb == "keep" ? Risk::kHigh : Risk::kMedium, subj,
            "unlisted values " + arrow + " now " + eb + " (was " + ea + ")", b_, &b, b.range);
    }
  }
  static std::map<std::string, std::string> Pairs(const ast::ValuesDecl& v, ast::Side to) {
    std::map<std::string, std::string> m;
    ast::Direction want = to == ast::Side::kHubSpot ? ast::Direction::kToHubSpot : ast::Direction::kToSalesforce;
    for (const auto& e : v.entries)
      if (auto* p = std::get_if<ast::ValuePair>(&e); p && (p->dir == ast::Direction::kBoth || p->dir == want)) {
        const ast::ValueLit& from = to == ast::Side::kHubSpot ? p->salesforce : p->hubspot;
        const ast::ValueLit& into = to == ast::Side::kHubSpot ? p->hubspot : p->salesforce;
        m.emplace(from.text, into.text);
      }
    return m;
  }
  static std::string Else(const ast::ValuesDecl& v, ast::Side to) {
    ast::Direction want = to == ast::Side::kHubSpot ? ast::Direction::kToHubSpot : ast::Direction::kToSalesforce;
    for (const auto& e : v.entries)
      if (auto* el = std::get_if<ast::ValueElse>(&e); el && el->dir == want)
        return el->kind == ast::ElseKind::kReject ? "reject" : el->kind == ast::ElseKind::kKeep ? "keep" : el->value.text;
    return "(no else)";
  }

  const schema::Field* FieldIn(const Side& side, const ast::SyncDecl& s, ast::Side which, const std::string& name) {
    for (const auto& si : side.set.model.syncs)
      if (si.decl == &s) {
        const schema::Object* o = which == ast::Side::kSalesforce ? si.salesforce : si.hubspot;
        return o ? o->FindField(name) : nullptr;
      }
    return nullptr;
  }

  void Sync(const ast::SyncDecl& a, const ast::SyncDecl& b) {
    std::string subj = "sync " + b.name.text;
    auto add = [&](Risk r, const std::string& m, Range range) { Add(r, subj, m, b_, &b, range); };
    if (a.dir != b.dir) {
      bool widened = b.dir == ast::Direction::kBoth;
      add(widened ? Risk::kHigh : Risk::kMedium,
          "direction " + std::string(widened ? "widened" : "changed") + " from " + Dir(a.dir) + " to " + Dir(b.dir) +
              (widened ? ": the other side can now overwrite this sync's fields" : ""),
          b.range);
    }
    SyncItems ia = Collect(a), ib = Collect(b);
    if (MatchText(ia.match) != MatchText(ib.match))
      add(Risk::kHigh, "match changed from " + MatchText(ia.match) + " to " + MatchText(ib.match) +
                           ": existing unlinked records may link differently (duplicates or merges)",
          b.range);
    for (ast::Side side : {ast::Side::kSalesforce, ast::Side::kHubSpot}) {
      std::string sn(ast::SideName(side));
      std::string sa = ia.scopes.count(side) ? ia.scopes[side] : "(all records)";
      std::string sb = ib.scopes.count(side) ? ib.scopes[side] : "(all records)";
      if (sa != sb) add(Risk::kMedium, "scope " + sn + " changed from " + sa + " to " + sb + ": records enter or leave the sync", b.range);
      auto ca = ia.creates.count(side) ? ia.creates[side] : nullptr;
      auto cb = ib.creates.count(side) ? ib.creates[side] : nullptr;
      auto ctext = [](const ast::CreateRule* c) {
        if (!c) return std::string("(no creates)");
        return std::string("create in ") + std::string(ast::SideName(c->side)) + (c->only ? " only" : "") +
               (c->when ? " when " + Expr(c->when) : "");
      };
      if (ctext(ca) != ctext(cb)) {
        Risk r = !ca && cb ? Risk::kHigh : Risk::kMedium;
        add(r, ctext(cb) + " (was " + ctext(ca) + ")" + (!ca && cb ? ": new " + sn + " records will be created" : ""),
            b.range);
      }
      // on create defaults
      auto& oa = ia.on_create[side];
      auto& ob = ib.on_create[side];
      std::string obj = side == ast::Side::kSalesforce ? b.left.object.text : b.right.object.text;
      for (const auto& [f, e] : oa) {
        auto it = ob.find(f);
        if (it == ob.end()) {
          const schema::Field* fd = FieldIn(b_, b, side, f);
          bool required = fd && fd->required_on_create();
          std::string other = side == ast::Side::kSalesforce ? "HubSpot" : "Salesforce";
          add(required ? Risk::kHigh : Risk::kMedium,
              obj + "." + f + " lost its create default" +
                  (required ? ": " + other + "-created " + obj + "s will fail REQUIRED_FIELD_MISSING" : ""),
              b.range);
        } else if (it->second != e) {
          add(Risk::kMedium, obj + "." + f + " create default is now " + it->second + " (was " + e + ")", b.range);
        }
      }
      for (const auto& [f, e] : ob)
        if (!oa.count(f)) add(Risk::kLow, obj + "." + f + " gets a create default: " + e, b.range);
    }
    if (Policy(ia.conflict) != Policy(ib.conflict))
      add(Risk::kMedium, "conflict default is now " + Policy(ib.conflict) + " (was " + Policy(ia.conflict) + ")", b.range);
    if (Blank(ia.blank) != Blank(ib.blank))
      add(ib.blank && ib.blank->kind == ast::BlankKind::kClear ? Risk::kHigh : Risk::kMedium,
          "blank default is now " + Blank(ib.blank) + " (was " + Blank(ia.blank) + ")" +
              (ib.blank && ib.blank->kind == ast::BlankKind::kClear ? ": a blank source now erases the target" : ""),
          b.range);
    if (ia.deletes != ib.deletes) add(Risk::kHigh, "delete policy changed", b.range);
    if (ia.associations != ib.associations) add(Risk::kMedium, "associations changed", b.range);

    // field rules, matched by their two sides
    std::map<std::string, const ast::FieldRule*> ra, rb;
    for (auto* r : ia.rules) ra[RuleKey(*r)] = r;
    for (auto* r : ib.rules) rb[RuleKey(*r)] = r;
    for (auto* r : ib.rules) {
      auto it = ra.find(RuleKey(*r));
      if (it == ra.end()) {
        bool into_sf = ast::Flows(r->dir, ast::Side::kSalesforce);
        add(into_sf ? Risk::kHigh : Risk::kLow,
            RuleName(*r) + ": new rule " + Expr(r->salesforce) + " " + Dir(r->dir) + " " + Expr(r->hubspot) +
                (into_sf ? ": HubSpot can now write Salesforce " + Expr(r->salesforce) : ""),
            r->range);
        continue;
      }
      Rule(*it->second, *r, add);
    }
    for (auto* r : ia.rules)
      if (!rb.count(RuleKey(*r)))
        Add(Risk::kMedium, subj,
            RuleName(*r) + ": rule removed (" + Expr(r->salesforce) + " " + Dir(r->dir) + " " + Expr(r->hubspot) +
                "): the field stops syncing",
            a_, &a, r->range);
  }

  template <typename AddFn>
  void Rule(const ast::FieldRule& a, const ast::FieldRule& b, AddFn& add) {
    std::string name = RuleName(b);
    std::string sf = Expr(b.salesforce), hs = Expr(b.hubspot);
    if (a.dir != b.dir) {
      bool gains_sf = ast::Flows(b.dir, ast::Side::kSalesforce) && !ast::Flows(a.dir, ast::Side::kSalesforce);
      bool gains_hs = ast::Flows(b.dir, ast::Side::kHubSpot) && !ast::Flows(a.dir, ast::Side::kHubSpot);
      std::string what = gains_sf ? ": HubSpot can now overwrite Salesforce " + sf
                         : gains_hs ? ": Salesforce can now overwrite HubSpot " + hs
                                    : "";
      add(gains_sf || gains_hs ? Risk::kHigh : Risk::kMedium,
          name + ": direction " + std::string(b.dir == ast::Direction::kBoth ? "widened" : "changed") + " from " +
              Dir(a.dir) + " to " + Dir(b.dir) + what,
          b.range);
    }
    if (Transforms(a) != Transforms(b))
      add(Risk::kMedium, name + ": transform is now " + Transforms(b) + " (was " + Transforms(a) + ")", b.range);
    std::string va = a.via ? a.via->text : "(none)", vb = b.via ? b.via->text : "(none)";
    if (va != vb) add(Risk::kMedium, name + ": values table is now " + vb + " (was " + va + ")", b.range);
    if (Policy(a.conflict) != Policy(b.conflict))
      add(Risk::kMedium, name + ": conflict policy is now " + Policy(b.conflict) + " (was " + Policy(a.conflict) + ")",
          b.range);
    if (Blank(a.blank ? &*a.blank : nullptr) != Blank(b.blank ? &*b.blank : nullptr)) {
      bool clears = b.blank && b.blank->kind == ast::BlankKind::kClear;
      add(clears ? Risk::kHigh : Risk::kMedium,
          name + ": blank policy is now " + Blank(b.blank ? &*b.blank : nullptr) + " (was " +
              Blank(a.blank ? &*a.blank : nullptr) + ")" +
              (clears ? ": a blank source now erases the target" : ""),
          b.range);
    }
  }

  void Lifecycle(const std::string& name, const ast::LifecycleDecl& a, const ast::LifecycleDecl& b) {
    std::string subj = "lifecycle " + name;
    auto order = [](const ast::LifecycleDecl& l) {
      std::string s;
      for (const auto& i : l.items)
        if (auto* o = std::get_if<ast::StageOrder>(&i))
          for (const auto& st : o->stages) s += (s.empty() ? "" : " < ") + st.name;
      return s;
    };
    auto forward = [](const ast::LifecycleDecl& l) {
      for (const auto& i : l.items)
        if (std::holds_alternative<ast::ForwardOnly>(i)) return true;
      return false;
    };
    auto triggers = [](const ast::LifecycleDecl& l) {
      std::vector<std::string> t;
      for (const auto& i : l.items)
        if (auto* tr = std::get_if<ast::Trigger>(&i))
          t.push_back(ast::FieldPathText(tr->field) + " becomes " + tr->value.text + " then " + tr->stage.name +
                      (tr->for_object ? " for " + tr->for_object->text : ""));
      return t;
    };
    if (order(a) != order(b)) Add(Risk::kHigh, subj, "stage order is now " + order(b) + " (was " + order(a) + ")", b_, &b, b.range);
    if (forward(a) && !forward(b)) Add(Risk::kHigh, subj, "no longer forward only: stages can move backwards", b_, &b, b.range);
    if (!forward(a) && forward(b)) Add(Risk::kMedium, subj, "now forward only", b_, &b, b.range);
    auto ta = triggers(a), tb = triggers(b);
    for (const auto& t : tb)
      if (std::find(ta.begin(), ta.end(), t) == ta.end()) Add(Risk::kMedium, subj, "new trigger: when " + t, b_, &b, b.range);
    for (const auto& t : ta)
      if (std::find(tb.begin(), tb.end(), t) == tb.end()) Add(Risk::kMedium, subj, "trigger removed: when " + t, b_, &b, b.range);
  }

  const Side& a_;
  const Side& b_;
};

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
bool ValidRevision(const std::string& rev, std::string* error) {
  if (rev.empty()) {
    *error = "the old revision is missing in REV1..REV2 (e.g. main..HEAD; only REV2 may be empty, for HEAD)";
    return false;
  }
  if (rev[0] == '-') {
    *error = "'" + rev + "' is not a git revision: a revision cannot start with '-'";
    return false;
  }
  for (unsigned char c : rev) {
    if (c <= ' ' || c == 0x7f) {
      *error = "'" + rev + "' is not a git revision: it contains a space or a control character";
      return false;
    }
  }
  return true;
}

// Materializes PATH at a git revision into a temporary folder.
bool GitExport(const std::string& rev, const std::string& path, std::string* dir, std::string* error) {
  if (!ValidRevision(rev, error)) return false;
  char tmpl[] = "/tmp/accord-diff-XXXXXX";
  if (!mkdtemp(tmpl)) {
    *error = "cannot create a temporary folder";
    return false;
  }
  *dir = tmpl;
  const std::string tar = *dir + "/.accord-archive.tar", err = *dir + "/.accord-git-error";
  // After --end-of-options every argument is a revision or a path, even one that
  // starts with '-' (git archive would take a "--" after it for a path).
  int rc = Spawn({"git", "archive", "--format=tar", "--output=" + tar, "--end-of-options", rev, path}, err);
  if (rc == 0) rc = Spawn({"tar", "-x", "-f", tar, "-C", *dir}, "");
  if (rc != 0) {
    std::string why;
    std::ifstream in(err);
    std::getline(in, why);
    *error = "cannot read " + path + " at revision " + rev + " from git" +
             (why.empty() ? " (is this a git repository, and does the path exist there?)" : ": " + why);
  }
  std::filesystem::remove(tar);
  std::filesystem::remove(err);
  return rc == 0;
}

struct DiffArgs {
  std::vector<std::string> args;
  std::string format = "text";
  std::string fail_on;
};

int RunDiff(const DiffArgs& a) {
  std::string old_path, new_path, error;
  std::vector<std::string> cleanup;
  if (a.args.size() >= 1 && a.args[0].find("..") != std::string::npos && !std::filesystem::exists(a.args[0])) {
    std::string r1 = a.args[0].substr(0, a.args[0].find("..")), r2 = a.args[0].substr(a.args[0].find("..") + 2);
    std::string path = a.args.size() > 1 ? a.args[1] : ".";
    std::string d1, d2;
    if (!GitExport(r1, path, &d1, &error) || !GitExport(r2.empty() ? "HEAD" : r2, path, &d2, &error)) {
      for (const std::string& d : {d1, d2})
        if (!d.empty()) std::filesystem::remove_all(d);
      std::cerr << "accord diff: " << error << "\n";
      return kUsage;
    }
    old_path = d1 + "/" + path;
    new_path = d2 + "/" + path;
    cleanup = {d1, d2};
  } else if (a.args.size() == 2) {
    old_path = a.args[0];
    new_path = a.args[1];
  } else {
    std::cerr << "accord diff: give OLD NEW (files or folders) or REV1..REV2 [PATH]\n";
    return kUsage;
  }
  Side sa, sb;
  bool ok = Load(old_path, sa, &error) && Load(new_path, sb, &error);
  int code = kOk;
  std::vector<Change> changes;
  if (ok) {
    Differ d(sa, sb);
    d.Run();
    changes = std::move(d.changes);
    std::stable_sort(changes.begin(), changes.end(), [](const Change& x, const Change& y) { return x.risk > y.risk; });
  }
  for (const auto& c : cleanup) std::filesystem::remove_all(c);
  if (!ok) {
    std::cerr << "accord diff: " << error << "\n";
    return kUsage;
  }
  if (a.format == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : changes)
      j.push_back({{"risk", RiskName(c.risk)}, {"subject", c.subject}, {"message", c.message}, {"where", c.where}});
    std::cout << j.dump(2) << "\n";
  } else if (a.format == "markdown") {
    std::cout << "### accord diff\n\n";
    if (changes.empty()) std::cout << "No semantic change.\n";
    else {
      int counts[3] = {0, 0, 0};
      for (const auto& c : changes) ++counts[static_cast<int>(c.risk)];
      std::cout << counts[2] << " high, " << counts[1] << " medium, " << counts[0] << " low risk\n\n";
      std::cout << "| risk | where | change |\n|---|---|---|\n";
      for (const auto& c : changes) {
        std::string msg = c.subject + ": " + c.message;
        std::string esc;
        for (char ch : msg) esc += ch == '|' ? std::string("\\|") : std::string(1, ch);
        std::cout << "| " << (c.risk == Risk::kHigh ? "**high**" : RiskName(c.risk)) << " | `" << c.where << "` | "
                  << esc << " |\n";
      }
    }
  } else {
    if (changes.empty()) std::cout << "no semantic change\n";
    for (const auto& c : changes)
      std::cout << RiskName(c.risk) << (c.risk == Risk::kLow ? "    " : c.risk == Risk::kHigh ? "   " : " ") << c.subject
                << ": " << c.message << (c.where.empty() ? "" : "  (" + c.where + ")") << "\n";
  }
  if (!a.fail_on.empty()) {
    Risk limit = a.fail_on == "high" ? Risk::kHigh : a.fail_on == "medium" ? Risk::kMedium : Risk::kLow;
    for (const auto& c : changes)
      if (c.risk >= limit) code = kFindings;
  }
  return code;
}

}  // namespace

void RegisterDiff(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiffArgs>();
  auto* cmd = app.add_subcommand("diff", "The semantic change between two versions of a rule set, with risk levels");
  cmd->footer(
      "  accord diff OLD NEW                 two files or folders\n"
      "  accord diff REV1..REV2 [PATH]       two git revisions (no checkout; REV2 empty = HEAD)\n"
      "Comments and layout never count. Risk levels are explained in docs/diff.md.\n"
      "Exit status: 0, or 1 with --fail-on when a change at or above that risk exists; 2 usage or I/O failure.");
  cmd->add_option("ARGS", args->args, "OLD NEW, or REV1..REV2 [PATH]")->required();
  cmd->add_option("--format", args->format, "text, markdown or json")->check(CLI::IsMember({"text", "markdown", "json"}));
  cmd->add_option("--fail-on", args->fail_on, "exit 1 when a change of this risk or higher exists")
      ->check(CLI::IsMember({"low", "medium", "high"}));
  cmd->callback([args, &exit_code] { exit_code = RunDiff(*args); });
}

}  // namespace accord::cli
