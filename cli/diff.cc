// accord diff OLD NEW | accord diff REV1..REV2 [PATH]  [--format text|markdown|json] [--fail-on low|medium|high]
//             [--data DIR | --salesforce URL --hubspot URL] [--state FILE]
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
// Both versions are checked first: their errors lead every format, and exit 3
// says the new version cannot deploy. With --data DIR (or the two URLs) both
// versions are planned over the same data and each change gets its impact
// (cli/impact.h).
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
#include "compiler/fmt/formatter.h"

namespace accord::cli {

namespace {

enum class Risk { kLow, kMedium, kHigh };
const char* RiskName(Risk r) { return r == Risk::kHigh ? "high" : r == Risk::kMedium ? "medium" : "low"; }

// What a change can alter when the rules run: the target fields of one sync
// (an empty field: all of the sync, its creates, links and errors too); an
// empty sync: the field in every sync (a lifecycle property).
struct Touch {
  std::string sync;
  schema::System system = schema::System::kHubSpot;
  std::string object, field;
  bool Covers(const FieldImpact& f) const {
    return (sync.empty() || sync == f.sync) &&
           (field.empty() || (system == f.system && object == f.object && field == f.field));
  }
  bool Covers(const OutcomeImpact& o) const { return field.empty() && sync == o.sync; }
};
Touch WholeSync(const std::string& sync) {
  Touch t;
  t.sync = sync;
  return t;
}

struct Change {
  Risk risk = Risk::kLow;
  std::string subject;  // "sync people", "values Industry", "lifecycle hubspot.contacts.lifecyclestage"
  std::string message;
  std::string where;    // file:line in the new version (or the old one for removals)
  // A change to one field rule of the new version: its file and range, so that the
  // checker's errors inside it can be named on the change.
  const SourceFile* rule_file = nullptr;
  Range rule_range;
  std::vector<std::string> does_not_check;  // codes of the new version's errors in that rule
  std::vector<Touch> touches;
  Impact impact;  // with --data: the part of the plans' differences this change touches
};

struct Side {
  driver::RuleSet set;
  std::vector<Diagnostic> errors;  // the checker's (and parser's) errors, in order
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

// Loads and checks one version. false only when it cannot be read (I/O); its
// errors are kept in side.errors, and its declarations are indexed only when
// every file parsed.
bool Load(const std::string& path, Side& side, std::string* error) {
  DiagSink sink(100);
  if (!driver::LoadAndCheck({path}, driver::Options{}, side.set, sink, error)) return false;
  for (const Diagnostic& d : sink.diagnostics())
    if (d.severity == Severity::kError) side.errors.push_back(d);
  if (!side.set.all_parsed) return true;
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
  if (!b) return "ignore, the default";
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
  std::vector<const ast::DeleteRule*> deletes;
  std::vector<std::string> associations;
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
      it.deletes.push_back(d);
    } else if (auto* a = std::get_if<ast::Associate>(&item)) {
      it.associations.push_back(a->sf_field.text + " " + Dir(a->dir) + " " + a->hs_object.text);
    }
  }
  return it;
}

// The policy that decides what a deletion on `side` does: a `delete ... from side`
// rule, else a `delete` rule without `from`, else keep (docs/language.md §5.9).
const ast::DeleteRule* DeleteFor(const SyncItems& it, ast::Side side) {
  const ast::DeleteRule* both = nullptr;
  for (const ast::DeleteRule* d : it.deletes) {
    if (d->from && *d->from == side) return d;
    if (!d->from) both = d;
  }
  return both;
}
ast::DeleteKind DeleteKindOf(const ast::DeleteRule* d) { return d ? d->kind : ast::DeleteKind::kKeep; }
std::string DeleteRuleText(const ast::DeleteRule* d) {
  if (!d) return "keep, the default";
  const char* k = d->kind == ast::DeleteKind::kKeep ? "keep" : d->kind == ast::DeleteKind::kPropagate ? "propagate" : "unlink";
  return std::string("delete ") + k + (d->from ? " from " + std::string(ast::SideName(*d->from)) : "");
}

// "Salesforce" / "HubSpot".
std::string SystemTitle(ast::Side s) { return s == ast::Side::kSalesforce ? "Salesforce" : "HubSpot"; }
std::string ObjectOf(const ast::SyncDecl& s, ast::Side side) {
  return side == ast::Side::kSalesforce ? s.left.object.text : s.right.object.text;
}

// A field rule of `it` that writes field `field` of `side` (its `side` expression is
// that plain field and the rule flows toward `side`), or nullptr.
const ast::FieldRule* RuleWriting(const SyncItems& it, ast::Side side, const std::string& field) {
  for (const ast::FieldRule* r : it.rules) {
    const ast::ExprPtr& e = side == ast::Side::kSalesforce ? r->salesforce : r->hubspot;
    if (e && e->kind == ast::ExprKind::kIdent && Expr(e) == field && ast::Flows(r->dir, side)) return r;
  }
  return nullptr;
}

// A field rule's conflict policy as it applies: its own, or the sync's default
// ("" = none). EffectivePolicy says which.
std::string AppliedPolicy(const ast::FieldRule& r, const SyncItems& it) {
  return r.conflict ? ast::ConflictPolicyText(*r.conflict) : it.conflict ? ast::ConflictPolicyText(*it.conflict) : "";
}
std::string EffectivePolicy(const ast::FieldRule& r, const SyncItems& it) {
  std::string p = AppliedPolicy(r, it);
  return p.empty() ? "none" : r.conflict ? p : p + ", the sync's default";
}
// The same for the blank policy (the sync's default, else ignore).
std::string AppliedBlank(const ast::FieldRule& r, const SyncItems& it) {
  return r.blank ? Blank(&*r.blank) : Blank(it.blank);
}
std::string EffectiveBlank(const ast::FieldRule& r, const SyncItems& it) {
  return r.blank || !it.blank ? AppliedBlank(r, it) : AppliedBlank(r, it) + ", the sync's default";
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
    for (const auto& [name, v] : b_.values) {
      if (a_.values.count(name)) continue;
      touching_ = ViaTouches(name);
      Add(Risk::kLow, "values " + name, "new values table", b_, v, v->range);
    }
    for (const auto& [name, v] : a_.values) {
      auto it = b_.values.find(name);
      touching_ = ViaTouches(name);
      if (it == b_.values.end()) Add(Risk::kMedium, "values " + name, "values table removed", a_, v, v->range);
      else Values(*v, *it->second);
    }
    for (const auto& [name, s] : b_.syncs) {
      if (a_.syncs.count(name)) continue;
      touching_ = {WholeSync(name)};
      Add(Risk::kHigh, "sync " + name,
          "new sync " + Dir(s->dir) + " between salesforce." + s->left.object.text + " and hubspot." +
              s->right.object.text + ": records start flowing",
          b_, s, s->range);
    }
    for (const auto& [name, s] : a_.syncs) {
      auto it = b_.syncs.find(name);
      touching_ = {WholeSync(name)};
      if (it == b_.syncs.end())
        Add(Risk::kHigh, "sync " + name, "sync removed: its records stop syncing (links stay in the state store)", a_, s,
            s->range);
      else Sync(*s, *it->second);
    }
    for (const auto& [name, l] : b_.lifecycles) {
      if (a_.lifecycles.count(name)) continue;
      touching_ = LifecycleTouches(*l);
      Add(Risk::kHigh, "lifecycle " + name, "new lifecycle rules", b_, l, l->range);
    }
    for (const auto& [name, l] : a_.lifecycles) {
      auto it = b_.lifecycles.find(name);
      touching_ = LifecycleTouches(*l);
      if (it == b_.lifecycles.end()) Add(Risk::kHigh, "lifecycle " + name, "lifecycle rules removed", a_, l, l->range);
      else Lifecycle(name, *l, *it->second);
    }
  }

 private:
  void Add(Risk r, std::string subject, std::string msg, const Side& side, const void* decl, Range range,
           bool rule_level = false) {
    Change c;
    c.risk = r, c.subject = std::move(subject), c.message = std::move(msg), c.where = Where(side, decl, range);
    if (rule_level && &side == &b_) {
      auto it = side.file_of.find(decl);
      if (it != side.file_of.end()) c.rule_file = it->second, c.rule_range = range;
    }
    c.touches = touching_;
    changes.push_back(std::move(c));
  }
  // The touches of the changes Add records next.
  std::vector<Touch> touching_;
  static schema::System System(ast::Side s) {
    return s == ast::Side::kSalesforce ? schema::System::kSalesforce : schema::System::kHubSpot;
  }
  // The fields a field rule writes.
  static std::vector<Touch> RuleTouches(const ast::SyncDecl& s, const ast::FieldRule& r) {
    std::vector<Touch> t;
    for (ast::Side side : {ast::Side::kSalesforce, ast::Side::kHubSpot}) {
      const ast::ExprPtr& e = side == ast::Side::kSalesforce ? r.salesforce : r.hubspot;
      if (e && e->kind == ast::ExprKind::kIdent && ast::Flows(r.dir, side))
        t.push_back(Touch{s.name.text, System(side), ObjectOf(s, side), Expr(e)});
    }
    return t;
  }
  static std::vector<Touch> LifecycleTouches(const ast::LifecycleDecl& l) {
    return {Touch{"", System(l.property.side), l.property.object.text, l.property.field.text}};
  }
  // The fields written through a values table, in the new version.
  std::vector<Touch> ViaTouches(const std::string& table) const {
    std::vector<Touch> t;
    for (const auto& [name, s] : b_.syncs)
      for (const ast::FieldRule* r : Collect(*s).rules)
        if (r->via && r->via->text == table)
          for (const Touch& x : RuleTouches(*s, *r)) t.push_back(x);
    return t;
  }

  void Values(const ast::ValuesDecl& a, const ast::ValuesDecl& b) {
    std::string subj = "values " + b.name.text;
    for (ast::Side to : {ast::Side::kHubSpot, ast::Side::kSalesforce}) {
      touching_.clear();  // the fields the table writes in this direction
      for (const Touch& t : ViaTouches(b.name.text))
        if (t.system == System(to)) touching_.push_back(t);
      auto ma = Pairs(a, to), mb = Pairs(b, to);
      std::string arrow = to == ast::Side::kHubSpot ? "toward HubSpot" : "toward Salesforce";
      for (const auto& [k, v] : mb) {
        auto it = ma.find(k);
        if (it == ma.end())
          Add(Risk::kLow, subj, k + " now maps to " + v + " " + arrow + " (was unlisted)", b_, &b, b.range);
        else if (it->second != v)
          Add(Risk::kMedium, subj, k + " now maps to " + v + " " + arrow + " (was " + it->second + ")", b_, &b, b.range);
      }
      ElseRule eb = Else(b, to);
      for (const auto& [k, v] : ma)
        if (!mb.count(k))
          Add(eb.kind == ast::ElseKind::kValue ? Risk::kMedium : Risk::kHigh, subj,
              k + " no longer maps " + arrow + " (was " + v + "): " + eb.Fate(to), b_, &b, b.range);
      ElseRule ea = Else(a, to);
      if (ea.Effect() != eb.Effect())
        Add(eb.kind == ast::ElseKind::kValue ? Risk::kMedium : Risk::kHigh, subj,
            "unlisted values " + arrow + " now " + eb.Text() + " (was " + ea.Text() + ")", b_, &b, b.range);
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
  // What a values table does with a value it does not list, toward one side.
  // Without an `else` it rejects it, as `else reject` does (compiler/ir/lower.cc).
  struct ElseRule {
    ast::ElseKind kind = ast::ElseKind::kReject;
    std::string value;      // kValue
    bool written = false;   // an `else` entry, not the default
    std::string Effect() const {
      return kind == ast::ElseKind::kReject ? "reject" : kind == ast::ElseKind::kKeep ? "keep" : value;
    }
    std::string Text() const { return written ? Effect() : Effect() + ", no else rule"; }
    // What becomes of a value that falls to this rule.
    std::string Fate(ast::Side to) const {
      std::string arrow = to == ast::Side::kHubSpot ? "->" : "<-";
      if (!written)
        return "no else rule toward " + SystemTitle(to) + ", so it is rejected (a PropertyValues sync error)";
      switch (kind) {
        case ast::ElseKind::kReject: return "it falls to else " + arrow + " reject (a PropertyValues sync error)";
        case ast::ElseKind::kKeep: return "it falls to else " + arrow + " keep: the value is written unchanged";
        case ast::ElseKind::kValue: return "it falls to else " + arrow + " " + value + ": it now becomes " + value;
      }
      return "";
    }
  };
  static ElseRule Else(const ast::ValuesDecl& v, ast::Side to) {
    ast::Direction want = to == ast::Side::kHubSpot ? ast::Direction::kToHubSpot : ast::Direction::kToSalesforce;
    for (const auto& e : v.entries)
      if (auto* el = std::get_if<ast::ValueElse>(&e); el && el->dir == want)
        return ElseRule{el->kind, el->value.text, true};
    return ElseRule{};
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
    const std::vector<Touch> whole = {WholeSync(b.name.text)};
    touching_ = whole;
    auto add = [&](Risk r, const std::string& m, Range range, bool rule_level = false) {
      Add(r, subj, m, b_, &b, range, rule_level);
    };
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
      touching_ = whole;  // the on create defaults below touch one field each
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
      if (ca && !cb) {
        std::string from = SystemTitle(ast::Other(side)) + " " + ObjectOf(b, ast::Other(side));
        add(Risk::kMedium,
            ctext(ca) + " removed: " + from + " records without a match are no longer created in " + SystemTitle(side),
            b.range);
      } else if (ctext(ca) != ctext(cb)) {
        Risk r = !ca && cb ? Risk::kHigh : Risk::kMedium;
        add(r, ctext(cb) + " (was " + ctext(ca) + ")" + (!ca && cb ? ": new " + sn + " records will be created" : ""),
            b.range);
      }
      // on create defaults
      auto& oa = ia.on_create[side];
      auto& ob = ib.on_create[side];
      std::string obj = side == ast::Side::kSalesforce ? b.left.object.text : b.right.object.text;
      for (const auto& [f, e] : oa) {
        touching_ = {Touch{b.name.text, System(side), obj, f}};
        auto it = ob.find(f);
        if (it == ob.end()) {
          add(cb ? LostDefaultRisk(b, side, f) : Risk::kLow, LostDefault(b, ib, side, f, cb != nullptr), b.range);
        } else if (it->second != e) {
          add(Risk::kMedium, obj + "." + f + " create default is now " + it->second + " (was " + e + ")", b.range);
        }
      }
      for (const auto& [f, e] : ob) {
        if (oa.count(f)) continue;
        touching_ = {Touch{b.name.text, System(side), obj, f}};
        add(Risk::kLow, obj + "." + f + " gets a create default: " + e, b.range);
      }
    }
    touching_ = whole;
    if (Policy(ia.conflict) != Policy(ib.conflict))
      add(Risk::kMedium,
          ib.conflict ? "conflict default is now " + Policy(ib.conflict) + " (was " + Policy(ia.conflict) + ")"
                      : "conflict default removed (was " + Policy(ia.conflict) + ")",
          b.range);
    if (Blank(ia.blank) != Blank(ib.blank))
      add(ib.blank && ib.blank->kind == ast::BlankKind::kClear ? Risk::kHigh : Risk::kMedium,
          "blank default is now " + Blank(ib.blank) + " (was " + Blank(ia.blank) + ")" +
              (ib.blank && ib.blank->kind == ast::BlankKind::kClear ? ": a blank source now erases the target" : ""),
          b.range);
    for (ast::Side side : {ast::Side::kSalesforce, ast::Side::kHubSpot}) Deletes(b, ia, ib, side, add);
    if (ia.associations != ib.associations) add(Risk::kMedium, "associations changed", b.range);

    // field rules, matched by their two sides
    std::map<std::string, const ast::FieldRule*> ra, rb;
    for (auto* r : ia.rules) ra[RuleKey(*r)] = r;
    for (auto* r : ib.rules) rb[RuleKey(*r)] = r;
    for (auto* r : ib.rules) {
      auto it = ra.find(RuleKey(*r));
      touching_ = RuleTouches(b, *r);
      if (it == ra.end()) {
        bool into_sf = ast::Flows(r->dir, ast::Side::kSalesforce);
        add(into_sf ? Risk::kHigh : Risk::kLow,
            RuleName(*r) + ": new rule " + Expr(r->salesforce) + " " + Dir(r->dir) + " " + Expr(r->hubspot) +
                (into_sf ? ": HubSpot can now write Salesforce " + Expr(r->salesforce) : ""),
            r->range, true);
        continue;
      }
      for (const Touch& t : RuleTouches(a, *it->second)) touching_.push_back(t);
      Rule(*it->second, *r, ia, ib, add);
    }
    for (auto* r : ia.rules) {
      if (rb.count(RuleKey(*r))) continue;
      touching_ = RuleTouches(b, *r);
      Add(Risk::kMedium, subj,
          RuleName(*r) + ": rule removed (" + Expr(r->salesforce) + " " + Dir(r->dir) + " " + Expr(r->hubspot) +
              "): the field stops syncing",
          a_, &a, r->range);
    }
  }

  // What a deletion on `side` does, when that changed.
  template <typename AddFn>
  void Deletes(const ast::SyncDecl& b, const SyncItems& ia, const SyncItems& ib, ast::Side side, AddFn& add) {
    const ast::DeleteRule *da = DeleteFor(ia, side), *db = DeleteFor(ib, side);
    ast::DeleteKind ka = DeleteKindOf(da), kb = DeleteKindOf(db);
    if (ka == kb) return;
    // "Account", "companies record"
    std::string other = SystemTitle(ast::Other(side)),
                obj = ObjectOf(b, ast::Other(side)) + (side == ast::Side::kSalesforce ? " record" : "");
    auto effect = [&](ast::DeleteKind k) {
      return k == ast::DeleteKind::kKeep ? "the " + obj + " stays"
             : k == ast::DeleteKind::kPropagate ? "the " + obj + " is deleted too"
                                                : "the " + obj + " stays, unlinked";
    };
    std::string now = kb == ast::DeleteKind::kPropagate ? "now deletes the linked " + other + " " + obj
                      : kb == ast::DeleteKind::kUnlink
                          ? "now unlinks the " + other + " " + obj + ": it stays and may be matched or created again"
                          : "now leaves the linked " + other + " " + obj + " in place (the link stays as a tombstone)";
    add(kb == ast::DeleteKind::kKeep ? Risk::kMedium : Risk::kHigh,
        "a " + SystemTitle(side) + " deletion " + now + " (" + DeleteRuleText(db) + "; was " + DeleteRuleText(da) +
            ": " + effect(ka) + ")",
        b.range);
  }

  // A create default removed from field `f` of `side`, while this sync creates
  // records there: does the create now fail?
  Risk LostDefaultRisk(const ast::SyncDecl& s, ast::Side side, const std::string& f) {
    const schema::Field* fd = FieldIn(b_, s, side, f);
    return fd && fd->required_on_create() ? Risk::kHigh : Risk::kMedium;
  }
  std::string LostDefault(const ast::SyncDecl& s, const SyncItems& it, ast::Side side, const std::string& f,
                          bool creates) {
    std::string obj = ObjectOf(s, side), other = SystemTitle(ast::Other(side));
    std::string head = obj + "." + f + " lost its create default";
    if (!creates) return head + " (no effect: this sync creates no " + SystemTitle(side) + " records)";
    if (LostDefaultRisk(s, side, f) != Risk::kHigh) return head;
    if (const ast::FieldRule* r = RuleWriting(it, side, f)) {
      std::string source = Expr(side == ast::Side::kSalesforce ? r->hubspot : r->salesforce);
      return head + ": a " + obj + " created from " + other + " with a blank " + source +
             " will fail REQUIRED_FIELD_MISSING (" + Expr(r->salesforce) + " " + Dir(r->dir) + " " + Expr(r->hubspot) +
             " fills it otherwise)";
    }
    return head + ": " + other + "-created " + obj + "s will fail REQUIRED_FIELD_MISSING";
  }

  template <typename AddFn>
  void Rule(const ast::FieldRule& a, const ast::FieldRule& b, const SyncItems& ia, const SyncItems& ib, AddFn& add) {
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
          b.range, true);
    }
    if (Transforms(a) != Transforms(b))
      add(Risk::kMedium, name + ": transform is now " + Transforms(b) + " (was " + Transforms(a) + ")", b.range, true);
    std::string va = a.via ? a.via->text : "(none)", vb = b.via ? b.via->text : "(none)";
    if (va != vb) add(Risk::kMedium, name + ": values table is now " + vb + " (was " + va + ")", b.range, true);
    // a rule's own policy written or removed; the one that applies may be the sync's
    if (Policy(a.conflict) != Policy(b.conflict)) {
      bool same = AppliedPolicy(a, ia) == AppliedPolicy(b, ib);
      add(same ? Risk::kLow : Risk::kMedium,
          name + ": conflict policy is now " + EffectivePolicy(b, ib) + " (was " + EffectivePolicy(a, ia) + ")" +
              (same ? ": the same policy" : ""),
          b.range, true);
    }
    if (Blank(a.blank ? &*a.blank : nullptr) != Blank(b.blank ? &*b.blank : nullptr)) {
      bool same = AppliedBlank(a, ia) == AppliedBlank(b, ib);
      bool clears = !same && AppliedBlank(b, ib) == "clear";
      add(clears ? Risk::kHigh : same ? Risk::kLow : Risk::kMedium,
          name + ": blank policy is now " + EffectiveBlank(b, ib) + " (was " + EffectiveBlank(a, ia) + ")" +
              (clears ? ": a blank source now erases the target" : same ? ": the same policy" : ""),
          b.range, true);
    }
  }

  void Lifecycle(const std::string& name, const ast::LifecycleDecl& a, const ast::LifecycleDecl& b) {
    std::string subj = "lifecycle " + name;
    touching_ = LifecycleTouches(b);
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
  DataArgs data;  // --data DIR or --salesforce/--hubspot URLs: the impact on those records
  bool impact() const { return !data.data.empty() || !data.state.empty() || data.remote.remote(); }
};

// The exit status when the new version has errors (it cannot deploy): above 1,
// which --fail-on uses for risky but deployable changes.
constexpr int kCannotDeploy = 3;

// One side of the comparison as loaded, with its errors named as the user
// knows the files (a git revision's temporary folder becomes REV:PATH).
struct Version {
  std::string name;  // "old" / "new"
  std::string path;  // what was loaded
  std::string root;  // the folder paths in tables are relative to (PATH, or a file's folder)
  std::string tmp_root, rev;  // from git: the temporary folder and the revision
  Side side;
  std::vector<std::unique_ptr<SourceFile>> renamed;
  std::vector<Diagnostic> errors;
  std::vector<std::string> where;  // per error: PATH:LINE:COL below the version's root

  bool parsed() const { return side.set.all_parsed; }
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
    for (Diagnostic d : side.errors) {
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

// Marks each change to a field rule of the new version with the codes of the
// new version's errors inside that rule.
void MarkErrors(std::vector<Change>& changes, const std::vector<Diagnostic>& errors) {
  for (Change& c : changes) {
    if (!c.rule_file) continue;
    for (const Diagnostic& d : errors) {
      std::string id(Info(d.code).id);
      if (d.file == c.rule_file && d.range.begin >= c.rule_range.begin && d.range.end <= c.rule_range.end &&
          std::find(c.does_not_check.begin(), c.does_not_check.end(), id) == c.does_not_check.end())
        c.does_not_check.push_back(id);
    }
  }
}

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
  std::vector<Change> changes;
  // --data
  bool impact_asked = false;
  std::string impact_over;     // the data folder or the two URLs
  std::string impact_skipped;  // why there is no impact, when asked
  Impact impact;
};

// The impact lines of one change ("sync accounts: " when its subject names another).
std::vector<std::string> ImpactLines(const Change& c) {
  std::vector<std::string> out;
  auto prefix = [&](const std::string& sync) { return c.subject == SyncLabel(sync) ? "" : SyncLabel(sync) + ": "; };
  for (const FieldImpact& f : c.impact.fields) out.push_back(prefix(f.sync) + f.Text());
  for (const OutcomeImpact& o : c.impact.outcomes) out.push_back(prefix(o.sync) + o.Text());
  if (out.empty()) out.push_back("no record written differently");
  return out;
}
std::vector<std::string> ImpactLines(const Impact& im) {
  std::vector<std::string> out;
  for (const FieldImpact& f : im.fields) out.push_back(SyncLabel(f.sync) + ": " + f.Text());
  for (const OutcomeImpact& o : im.outcomes) out.push_back(SyncLabel(o.sync) + ": " + o.Text());
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
    std::cout << RiskName(c.risk) << (c.risk == Risk::kLow ? "    " : c.risk == Risk::kHigh ? "   " : " ") << Message(c)
              << (c.where.empty() ? "" : "  (" + c.where + ")") << "\n";
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
      std::cout << "| " << (c.risk == Risk::kHigh ? "**high**" : RiskName(c.risk)) << " | `" << c.where << "` | " << cell
                << " |\n";
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
    j["fields"].push_back({{"sync", f.sync}, {"system", schema::SystemName(f.system)}, {"object", f.object},
                           {"field", f.field}, {"records", f.records()}, {"added", f.added}, {"changed", f.changed},
                           {"removed", f.removed}, {"text", f.Text()}});
  j["outcomes"] = nlohmann::ordered_json::array();
  for (const OutcomeImpact& o : im.outcomes)
    j["outcomes"].push_back({{"sync", o.sync}, {"outcome", o.outcome}, {"added", o.added}, {"removed", o.removed},
                             {"text", o.Text()}});
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
    nlohmann::ordered_json x = {{"risk", RiskName(c.risk)}, {"subject", c.subject}, {"message", c.message}, {"where", c.where}};
    if (!c.does_not_check.empty()) x["does_not_check"] = c.does_not_check;
    if (impact) x["impact"] = ImpactJson(c.impact);
    j["changes"].push_back(x);
  }
  if (r.impact_asked) {
    nlohmann::ordered_json im = {{"over", r.impact_over}};
    if (!r.impact_skipped.empty()) im["skipped"] = r.impact_skipped;
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
    return std::any_of(touches.begin(), touches.end(), [&](const Touch& t) { return t.Covers(x); });
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
    bool ok = GitExport(r1, path, &d1, &error) && GitExport(r2, path, &d2, &error);
    cleanup = {d1, d2};
    if (!ok) {
      remove_all();
      std::cerr << "accord diff: " << error << "\n";
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
  if (a.impact() && !CheckDataArgs(a.data, "diff", &error)) {
    remove_all();
    std::cerr << error << "\n";
    return kUsage;
  }
  bool ok = Load(old_v.path, old_v.side, &error) && Load(new_v.path, new_v.side, &error);
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
  std::vector<Change> changes;
  if (compared) {
    Differ d(old_v.side, new_v.side);
    d.Run();
    changes = std::move(d.changes);
    std::stable_sort(changes.begin(), changes.end(), [](const Change& x, const Change& y) { return x.risk > y.risk; });
    MarkErrors(changes, new_v.side.errors);
  }
  Report report;
  report.old_v = &old_v, report.new_v = &new_v, report.broken = broken, report.compared = compared;
  if (a.impact()) {
    report.impact_asked = true;
    const RemoteArgs& rm = a.data.remote;
    report.impact_over = rm.remote() ? rm.salesforce_url + " and " + rm.hubspot_url : a.data.data;
    if (!compared || !new_v.errors.empty() || !old_v.errors.empty()) {
      report.impact_skipped = "a version with errors cannot be planned";
    } else {
      sync::PassReport plan_old, plan_new;
      if (!PlanOver(old_v.side.set, a.data, &plan_old, &error) || !PlanOver(new_v.side.set, a.data, &plan_new, &error)) {
        std::cerr << "accord diff: " << error << "\n";
        return kUsage;
      }
      report.impact = ComparePlans(plan_old, plan_new);
      for (Change& c : changes) c.impact = Touched(report.impact, c.touches);
    }
  }
  report.changes = std::move(changes);
  if (a.format == "json") PrintJson(report);
  else if (a.format == "markdown") PrintMarkdown(report);
  else PrintText(report);
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
  cmd->add_option("--format", args->format, "text, markdown or json")->check(CLI::IsMember({"text", "markdown", "json"}));
  cmd->add_option("--fail-on", args->fail_on, "exit 1 when a change of this risk or higher exists")
      ->check(CLI::IsMember({"low", "medium", "high"}));
  AddDataOptions(cmd, args->data);
  cmd->callback([args, &exit_code] { exit_code = RunDiff(*args); });
}

}  // namespace accord::cli
