#include "compiler/diff/diff.h"

#include <algorithm>
#include <filesystem>

#include "compiler/fmt/formatter.h"

namespace accord::diff {

const char* RiskName(Risk r) { return r == Risk::kHigh ? "high" : r == Risk::kMedium ? "medium" : "low"; }

namespace {

Touch WholeSync(const std::string& sync) {
  Touch t;
  t.sync = sync;
  return t;
}

std::string Where(const Version& s, const void* decl, Range r) {
  auto it = s.file_of.find(decl);
  if (it == s.file_of.end() || !it->second) return "";
  LineCol lc = it->second->Locate(r.begin);
  return std::filesystem::path(it->second->path()).filename().string() + ":" + std::to_string(lc.line);
}

std::string Expr(const ast::ExprPtr& e) { return e ? fmt::FormatExpr(*e) : ""; }
std::string Dir(ast::Direction d) { return std::string(ast::DirectionToken(d)); }

std::string Policy(const std::optional<ast::ConflictPolicy>& p) { return p ? ast::ConflictPolicyText(*p) : "(none)"; }
std::string Blank(const ast::BlankPolicy* b) {
  if (!b) return "ignore, the default";
  switch (b->kind) {
    case ast::BlankKind::kIgnore:
      return "ignore";
    case ast::BlankKind::kClear:
      return "clear";
    case ast::BlankKind::kDefault:
      return "default " + Expr(b->default_value);
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
  for (const auto& d : r.transforms)
    t += (t.empty() ? "" : "; ") + ("to " + std::string(ast::SideName(d.to)) + ": " + Expr(d.expr));
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
    if (auto* r = std::get_if<ast::FieldRule>(&item))
      it.rules.push_back(r);
    else if (auto* m = std::get_if<ast::MatchRule>(&item))
      it.match = m;
    else if (auto* sc = std::get_if<ast::ScopeRule>(&item))
      it.scopes[sc->side] = Expr(sc->condition);
    else if (auto* c = std::get_if<ast::CreateRule>(&item))
      it.creates[c->side] = c;
    else if (auto* cd = std::get_if<ast::ConflictDefault>(&item))
      it.conflict = cd->policy;
    else if (auto* bd = std::get_if<ast::BlankDefault>(&item))
      it.blank = &bd->policy;
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
  const char* k = d->kind == ast::DeleteKind::kKeep        ? "keep"
                  : d->kind == ast::DeleteKind::kPropagate ? "propagate"
                                                           : "unlink";
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
  Differ(const Version& a, const Version& b) : a_(a), b_(b) {}
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
      if (it == b_.values.end())
        Add(Risk::kMedium, "values " + name, "values table removed", a_, v, v->range);
      else
        Values(*v, *it->second);
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
        Add(Risk::kHigh, "sync " + name, "sync removed: its records stop syncing (links stay in the state store)", a_,
            s, s->range);
      else
        Sync(*s, *it->second);
    }
    for (const auto& [name, l] : b_.lifecycles) {
      if (a_.lifecycles.count(name)) continue;
      touching_ = LifecycleTouches(*l);
      Add(Risk::kHigh, "lifecycle " + name, "new lifecycle rules", b_, l, l->range);
    }
    for (const auto& [name, l] : a_.lifecycles) {
      auto it = b_.lifecycles.find(name);
      touching_ = LifecycleTouches(*l);
      if (it == b_.lifecycles.end())
        Add(Risk::kHigh, "lifecycle " + name, "lifecycle rules removed", a_, l, l->range);
      else
        Lifecycle(name, *l, *it->second);
    }
  }

 private:
  void Add(Risk r, std::string subject, std::string msg, const Version& side, const void* decl, Range range,
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
          Add(Risk::kMedium, subj, k + " now maps to " + v + " " + arrow + " (was " + it->second + ")", b_, &b,
              b.range);
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
    std::string value;     // kValue
    bool written = false;  // an `else` entry, not the default
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
        case ast::ElseKind::kReject:
          return "it falls to else " + arrow + " reject (a PropertyValues sync error)";
        case ast::ElseKind::kKeep:
          return "it falls to else " + arrow + " keep: the value is written unchanged";
        case ast::ElseKind::kValue:
          return "it falls to else " + arrow + " " + value + ": it now becomes " + value;
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

  const schema::Field* FieldIn(const Version& side, const ast::SyncDecl& s, ast::Side which, const std::string& name) {
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
      add(Risk::kHigh,
          "match changed from " + MatchText(ia.match) + " to " + MatchText(ib.match) +
              ": existing unlinked records may link differently (duplicates or merges)",
          b.range);
    for (ast::Side side : {ast::Side::kSalesforce, ast::Side::kHubSpot}) {
      touching_ = whole;  // the on create defaults below touch one field each
      std::string sn(ast::SideName(side));
      std::string sa = ia.scopes.count(side) ? ia.scopes[side] : "(all records)";
      std::string sb = ib.scopes.count(side) ? ib.scopes[side] : "(all records)";
      if (sa != sb)
        add(Risk::kMedium, "scope " + sn + " changed from " + sa + " to " + sb + ": records enter or leave the sync",
            b.range);
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
      return k == ast::DeleteKind::kKeep        ? "the " + obj + " stays"
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
      std::string what = gains_sf   ? ": HubSpot can now overwrite Salesforce " + sf
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
      add(clears ? Risk::kHigh
          : same ? Risk::kLow
                 : Risk::kMedium,
          name + ": blank policy is now " + EffectiveBlank(b, ib) + " (was " + EffectiveBlank(a, ia) + ")" +
              (clears ? ": a blank source now erases the target"
               : same ? ": the same policy"
                      : ""),
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
    if (order(a) != order(b))
      Add(Risk::kHigh, subj, "stage order is now " + order(b) + " (was " + order(a) + ")", b_, &b, b.range);
    if (forward(a) && !forward(b))
      Add(Risk::kHigh, subj, "no longer forward only: stages can move backwards", b_, &b, b.range);
    if (!forward(a) && forward(b)) Add(Risk::kMedium, subj, "now forward only", b_, &b, b.range);
    auto ta = triggers(a), tb = triggers(b);
    for (const auto& t : tb)
      if (std::find(ta.begin(), ta.end(), t) == ta.end())
        Add(Risk::kMedium, subj, "new trigger: when " + t, b_, &b, b.range);
    for (const auto& t : ta)
      if (std::find(tb.begin(), tb.end(), t) == tb.end())
        Add(Risk::kMedium, subj, "trigger removed: when " + t, b_, &b, b.range);
  }

  const Version& a_;
  const Version& b_;
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

}  // namespace

// Loads and checks one version. false only when it cannot be read (I/O); its
// errors are kept in side.errors, and its declarations are indexed only when
// every file parsed.
bool Load(const std::string& path, Version& side, std::string* error) {
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

std::vector<Change> Compare(const Version& old_version, const Version& new_version) {
  Differ d(old_version, new_version);
  d.Run();
  std::vector<Change> changes = std::move(d.changes);
  std::stable_sort(changes.begin(), changes.end(), [](const Change& x, const Change& y) { return x.risk > y.risk; });
  MarkErrors(changes, new_version.errors);
  return changes;
}

}  // namespace accord::diff
