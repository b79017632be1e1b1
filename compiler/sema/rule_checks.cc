#include "compiler/sema/rule_checks.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace accord::sema {

bool HubSpotIdIntoSalesforceId(const schema::Field& hs, const schema::Field& sf) {
  if (sf.native_type != "reference" && sf.native_type != "id") return false;
  if (!hs.reference_to.empty()) return true;  // hubspot_owner_id (OWNER) and other references
  if (hs.name == "hs_object_id") return true;
  // associatedcompanyid, hs_associated_deal_id, ...: HubSpot ids are numbers
  return hs.type == schema::FieldType::kDecimal && hs.name.size() > 2 &&
         hs.name.compare(hs.name.size() - 2, 2, "id") == 0;
}

const std::vector<std::string>& HubSpotRequiredOnCreate(const std::string& object) {
  static const std::vector<std::string> kDeals = {"pipeline", "dealstage"}, kNone;
  return object == "deals" ? kDeals : kNone;
}

namespace {

using ast::Side;
using schema::Field;
using schema::Object;

std::string Q(const std::string& s) { return "\"" + s + "\""; }
std::string SideStr(Side s) { return std::string(ast::SideName(s)); }
std::string FieldName(const Object* o, const Field* f) {
  return std::string(schema::SystemName(o->system)) + "." + o->name + "." + f->name;
}

const ast::Expr* AsField(const ast::Expr* e) {
  if (e && e->kind == ast::ExprKind::kIdent && !e->leading_dot && e->parens == 0) return e;
  return nullptr;
}

bool IsText(const Field* f) { return f->type == schema::FieldType::kString && !f->is_picklist; }

// One field rule with its plain-field sides resolved (null for an expression or an
// unknown field, which the checker reported).
struct RuleSides {
  const ast::FieldRule* rule = nullptr;
  const Field* field[2] = {nullptr, nullptr};  // [kSalesforce], [kHubSpot]
  const ast::Expr* expr[2] = {nullptr, nullptr};
  const Field* Of(Side s) const { return field[s == Side::kSalesforce ? 0 : 1]; }
  const ast::Expr* ExprOf(Side s) const { return expr[s == Side::kSalesforce ? 0 : 1]; }
  // A transform changes the value on its way to `to`.
  bool Transformed(Side to) const {
    if (rule->with) return true;
    for (const auto& t : rule->transforms)
      if (t.to == to) return true;
    return false;
  }
};

// What `scope` says about the values of one field: the conjuncts of its top-level `&&`.
struct ScopeFacts {
  // a value the scope excludes, per field name; "true"/"false" for bools
  std::map<std::string, std::set<std::string>> excluded;
  // the only values it admits, per field name (F == v, F in [...])
  std::map<std::string, std::set<std::string>> only;
};

const ast::Expr* FieldOf(const ast::Expr& e) {
  if (e.kind == ast::ExprKind::kIdent && !e.leading_dot && e.parens == 0) return &e;
  if (e.kind == ast::ExprKind::kSelect && e.operand && e.operand->kind == ast::ExprKind::kIdent &&
      e.operand->name == "salesforce")
    return &e;
  return nullptr;
}

std::optional<std::string> LiteralText(const ast::Expr& e) {
  if (e.kind != ast::ExprKind::kLiteral) return std::nullopt;
  if (e.lit == ast::LiteralKind::kString) return e.string_value;
  if (e.lit == ast::LiteralKind::kBool) return std::string(e.bool_value ? "true" : "false");
  return std::nullopt;
}

void CollectConjunct(const ast::Expr& e, ScopeFacts& out);

// The conjuncts of `a && b && ...`, walked with an explicit stack (a long chain is a deep tree).
void CollectScope(const ast::Expr& root, ScopeFacts& out) {
  std::vector<const ast::Expr*> stack = {&root};
  while (!stack.empty()) {
    const ast::Expr* e = stack.back();
    stack.pop_back();
    if (e->kind == ast::ExprKind::kBinary && e->binary_op == ast::BinaryOp::And) {
      stack.push_back(e->args[1].get());
      stack.push_back(e->args[0].get());
    } else {
      CollectConjunct(*e, out);
    }
  }
}

void CollectConjunct(const ast::Expr& e, ScopeFacts& out) {
  if (const ast::Expr* f = FieldOf(e)) {  // `IsActive`: false is out
    out.excluded[f->name].insert("false");
    return;
  }
  if (e.kind == ast::ExprKind::kUnary && e.unary_op == ast::UnaryOp::kNot && e.operand) {
    if (const ast::Expr* f = FieldOf(*e.operand)) out.excluded[f->name].insert("true");
    return;
  }
  if (e.kind != ast::ExprKind::kBinary) return;
  if (e.binary_op == ast::BinaryOp::Eq || e.binary_op == ast::BinaryOp::Ne) {
    for (int i = 0; i < 2; ++i) {
      const ast::Expr* f = FieldOf(*e.args[i]);
      auto v = LiteralText(*e.args[1 - i]);
      if (!f || !v) continue;
      if (e.binary_op == ast::BinaryOp::Ne)
        out.excluded[f->name].insert(*v);
      else
        out.only[f->name].insert(*v);
    }
  } else if (e.binary_op == ast::BinaryOp::In) {
    const ast::Expr* f = FieldOf(*e.args[0]);
    if (!f || e.args[1]->kind != ast::ExprKind::kList) return;
    std::set<std::string> vals;
    for (const auto& a : e.args[1]->args) {
      auto v = LiteralText(*a);
      if (!v) return;  // not a plain list of literals: nothing is known
      vals.insert(*v);
    }
    out.only[f->name] = vals;
  }
}

bool Excludes(const ScopeFacts& s, const std::string& field, const std::string& value) {
  if (auto it = s.excluded.find(field); it != s.excluded.end() && it->second.count(value)) return true;
  if (auto it = s.only.find(field); it != s.only.end() && !it->second.count(value)) return true;
  return false;
}

class RuleChecks {
 public:
  RuleChecks(const CheckInput& in, const Model& m, DiagSink& sink) : in_(in), m_(m), sink_(sink) {}

  void Run() {
    for (const ast::File* f : in_.files)
      for (const auto& d : f->decls) {
        if (auto* l = std::get_if<ast::LifecycleDecl>(&d)) lifecycles_.push_back({l, f});
        if (auto* v = std::get_if<ast::ValuesDecl>(&d)) ElseKeep(*v, f);
      }
    for (const SyncInfo& si : m_.syncs)
      if (si.salesforce && si.hubspot) Sync(si);
    CrossSyncWrites();
    Triggers();
  }

 private:
  struct Write {  // a field a rule of some sync writes
    const SyncInfo* sync;
    Side to;
    const Object* object;
    const Field* field;
    const ast::Expr* at;
  };

  Diagnostic& Report(DiagCode c, const ast::File* f, Range r, std::string msg) {
    return sink_.Report(c, f ? f->source : nullptr, r, std::move(msg));
  }
  void AddNote(Diagnostic& d, const ast::File* f, Range r, std::string msg) {
    d.notes.push_back(accord::Note{std::move(msg), f ? f->source : nullptr, r});
  }
  static void Help(Diagnostic& d, std::string msg) { d.notes.push_back(accord::Note{std::move(msg), nullptr, {}}); }

  const Object* ObjectOf(const SyncInfo& si, Side s) const {
    return s == Side::kSalesforce ? si.salesforce : si.hubspot;
  }

  // ---- one sync ----
  void Sync(const SyncInfo& si) {
    const ast::SyncDecl& d = *si.decl;
    const ast::File* f = si.file;
    std::vector<RuleSides> rules;
    const ast::MatchRule* match = nullptr;
    std::vector<const ast::CreateRule*> creates;
    std::vector<const ast::OnCreate*> on_creates;
    std::vector<const ast::DeleteRule*> deletes;
    for (const auto& item : d.items) {
      if (auto* fr = std::get_if<ast::FieldRule>(&item)) {
        RuleSides rs;
        rs.rule = fr;
        for (Side s : {Side::kSalesforce, Side::kHubSpot}) {
          size_t i = s == Side::kSalesforce ? 0 : 1;
          rs.expr[i] = AsField(s == Side::kSalesforce ? fr->salesforce.get() : fr->hubspot.get());
          if (rs.expr[i]) rs.field[i] = ObjectOf(si, s)->FindField(rs.expr[i]->name);
        }
        rules.push_back(rs);
      } else if (auto* m = std::get_if<ast::MatchRule>(&item)) {
        if (!match) match = m;
      } else if (auto* c = std::get_if<ast::CreateRule>(&item)) {
        bool dup = std::any_of(creates.begin(), creates.end(), [&](auto* p) { return p->side == c->side; });
        if (!dup && ast::Flows(d.dir, c->side)) creates.push_back(c);
      } else if (auto* oc = std::get_if<ast::OnCreate>(&item)) {
        on_creates.push_back(oc);
      } else if (auto* del = std::get_if<ast::DeleteRule>(&item)) {
        deletes.push_back(del);
      }
    }
    bool sync_two_way = d.dir == ast::Direction::kBoth;
    for (const RuleSides& rs : rules) {
      for (Side to : {Side::kHubSpot, Side::kSalesforce}) {
        if (!ast::Flows(rs.rule->dir, to) || !ast::Flows(d.dir, to)) continue;
        const Field* dst = rs.Of(to);
        if (!dst) continue;
        writes_.push_back(Write{&si, to, ObjectOf(si, to), dst, rs.ExprOf(to)});
        const Field* src = rs.Of(ast::Other(to));
        if (src) FieldToField(si, rs, to, src, dst);
      }
      if (sync_two_way && rs.rule->dir == ast::Direction::kBoth && rs.rule->blank &&
          rs.rule->blank->kind == ast::BlankKind::kDefault) {
        auto& diag = Report(DiagCode::kBlankDefaultTwoWay, f, rs.rule->blank->range,
                            "`blank default` on a two-way field: the default is written as a real value, so it "
                            "flows back to the side that was blank and both sides end up holding it");
        Help(diag,
             "make the rule one-way toward the side that needs the default, or set new records with "
             "`on create`");
      }
    }
    if (match) Match(si, *match, rules, creates, on_creates);
    for (const ast::CreateRule* c : creates) RequiredHubSpot(si, *c, rules, on_creates);
    PropagateBothWays(si, deletes);
  }

  // A field written from a field: free text into a picklist, HubSpot ids.
  void FieldToField(const SyncInfo& si, const RuleSides& rs, Side to, const Field* src, const Field* dst) {
    const ast::File* f = si.file;
    const Object* src_obj = ObjectOf(si, ast::Other(to));
    const Object* dst_obj = ObjectOf(si, to);
    const ast::Expr* src_at = rs.ExprOf(ast::Other(to));
    const ast::FieldRule& r = *rs.rule;
    if (to == Side::kSalesforce && !r.via && HubSpotIdIntoSalesforceId(*src, *dst)) {
      auto& diag =
          Report(DiagCode::kHubSpotIdToSalesforceId, f, src_at->range,
                 FieldName(src_obj, src) + " holds HubSpot " +
                     (src->reference_to.empty()              ? std::string("record ids")
                      : src->reference_to.front() == "OWNER" ? std::string("owner ids")
                                                             : "ids of " + src->reference_to.front() + " records") +
                     ", never a Salesforce id, but " + FieldName(dst_obj, dst) + " is a Salesforce " +
                     (dst->native_type == "id" ? "record id" : "lookup") +
                     (dst->reference_to.empty() ? "" : " to " + dst->reference_to.front()));
      Help(diag,
           "translate with a `values` table (`via`), e.g. HubSpot owner ids to Salesforce User ids, or "
           "keep the lookup in Salesforce (`associate` fills lookups from HubSpot associations)");
      return;
    }
    if (r.via || rs.Transformed(to)) return;
    // Free text into a picklist: every value that is not an option fails (HubSpot, restricted
    // Salesforce picklists) or adds an unlisted value (other Salesforce picklists).
    if (IsText(src) && dst->is_picklist && dst->type == schema::FieldType::kString && !dst->values.empty()) {
      bool restricted = dst->restricted_picklist || dst_obj->system == schema::System::kHubSpot;
      auto& diag =
          Report(DiagCode::kFreeTextToPicklist, f, src_at->range,
                 FieldName(src_obj, src) + " is free text but " + FieldName(dst_obj, dst) + " is a picklist: " +
                     (restricted ? "every value that is not one of its options is rejected"
                                 : "every value that is not one of its options is stored as a new, "
                                   "unlisted value"));
      Help(diag, "translate with a `values` table (`via`) that lists the texts and ends with `else " +
                     std::string(ast::DirectionToken(to == Side::kHubSpot ? ast::Direction::kToHubSpot
                                                                          : ast::Direction::kToSalesforce)) +
                     " reject` or a default, or make the rule flow only toward the text field");
    }
  }

  // ---- match rules ----
  void Match(const SyncInfo& si, const ast::MatchRule& m, const std::vector<RuleSides>& rules,
             const std::vector<const ast::CreateRule*>& creates, const std::vector<const ast::OnCreate*>& on_creates) {
    const ast::File* f = si.file;
    if (m.explicit_fields) {
      const Field* a = si.salesforce->FindField(m.sf_field.text);
      const Field* b = si.hubspot->FindField(m.hs_field.text);
      if (!a || !b) return;
      // The rule that maps the key and transforms it: the match compares raw values.
      const RuleSides* transformer = nullptr;
      for (const RuleSides& rs : rules)
        if (rs.Of(Side::kSalesforce) == a && rs.Of(Side::kHubSpot) == b &&
            (rs.Transformed(Side::kHubSpot) || rs.Transformed(Side::kSalesforce)))
          transformer = &rs;
      bool email = a->native_type == "email";
      if (transformer || email) {
        auto& diag = Report(DiagCode::kMatchKeyTransformed, f, m.range,
                            transformer ? "this match compares " + FieldName(si.salesforce, a) + " and " +
                                              FieldName(si.hubspot, b) +
                                              " as they are, but the rule that syncs them transforms the value: "
                                              "records that differ only by that transform are never matched"
                                        : "this match compares emails as they are: \"Ada@Example.com \" and "
                                          "\"ada@example.com\" are different keys, so the same person is not "
                                          "matched and gets a duplicate");
        if (transformer) AddNote(diag, f, transformer->rule->range, "the rule that transforms it");
        Help(diag, email || a->name == "Email" ? "use `match email`: it compares normalized emails"
                                               : "compare what the rule writes, or drop the transform");
        return;
      }
      bool sf_unique = a->unique || a->external_id || a->native_type == "id";
      bool hs_unique = b->unique || b->name == "hs_object_id";
      if (!sf_unique && !hs_unique) {
        auto& diag = Report(DiagCode::kMatchKeyNotUnique, f, m.range,
                            "neither " + FieldName(si.salesforce, a) + " nor " + FieldName(si.hubspot, b) +
                                " is unique: records that share a value (two accounts named \"Acme\") match "
                                "several records and wait as Duplicates errors instead of linking");
        Help(diag,
             "match on an id or a unique external-id field (`match Id <-> salesforce_account_id`), or on "
             "`email`/`domain`");
      }
      return;
    }
    // `match email` / `match domain`: records this sync creates need the key, or nothing
    // (a later match after an unlink, HubSpot's own deduplication) can find them by it.
    std::string hs_key, sf_key;
    if (m.key.text == "email")
      hs_key = "email", sf_key = "Email";
    else if (m.key.text == "domain")
      hs_key = "domain", sf_key = "Website";
    else
      return;
    for (const ast::CreateRule* c : creates) {
      const std::string& key = c->side == Side::kHubSpot ? hs_key : sf_key;
      const Object* target = ObjectOf(si, c->side);
      const Field* kf = target->FindField(key);
      if (!kf) continue;  // A0505
      bool written = false;
      for (const RuleSides& rs : rules) written |= ast::Flows(rs.rule->dir, c->side) && rs.Of(c->side) == kf;
      for (const ast::OnCreate* oc : on_creates)
        if (oc->side == c->side)
          for (const auto& a : oc->assignments) written |= a.field.text == key;
      if (written) continue;
      auto& diag = Report(DiagCode::kMatchKeyNotWritten, f, m.key.range,
                          "sync " + si.decl->name.text + " matches by " + m.key.text + " and creates " +
                              SideStr(c->side) + " records, but no rule writes " + FieldName(target, kf) +
                              ": the records it creates have no " + m.key.text + " to be matched by");
      AddNote(diag, f, c->range, "records are created here");
      Help(diag, c->side == Side::kHubSpot && m.key.text == "domain" ? "add `Website -> domain with domainOf(_)`"
                                                                     : "map the key field toward " + SideStr(c->side));
    }
  }

  // ---- HubSpot's required deal properties ----
  void RequiredHubSpot(const SyncInfo& si, const ast::CreateRule& c, const std::vector<RuleSides>& rules,
                       const std::vector<const ast::OnCreate*>& on_creates) {
    if (c.side != Side::kHubSpot) return;
    for (const std::string& name : HubSpotRequiredOnCreate(si.hubspot->name)) {
      const Field* fl = si.hubspot->FindField(name);
      if (!fl) continue;
      bool covered = false;
      for (const RuleSides& rs : rules)
        covered |= ast::Flows(rs.rule->dir, Side::kHubSpot) && rs.Of(Side::kHubSpot) == fl;
      for (const ast::OnCreate* oc : on_creates)
        if (oc->side == Side::kHubSpot)
          for (const auto& a : oc->assignments) covered |= a.field.text == name;
      if (covered) continue;
      auto& diag = Report(DiagCode::kRequiredMissing, si.file, c.range,
                          FieldName(si.hubspot, fl) + " is required when HubSpot creates a deal, but sync " +
                              si.decl->name.text + " neither maps it nor sets it on create");
      std::string example = "...";
      for (const auto& v : fl->values)
        if (v.active) {
          example = Q(v.value);
          break;
        }
      Help(diag, "add `on create hubspot { " + name + " = " + example + " }`");
    }
  }

  void PropagateBothWays(const SyncInfo& si, const std::vector<const ast::DeleteRule*>& deletes) {
    if (si.decl->dir != ast::Direction::kBoth) return;
    bool from[2] = {false, false};
    const ast::DeleteRule* last = nullptr;
    for (const ast::DeleteRule* del : deletes) {
      if (del->kind != ast::DeleteKind::kPropagate) continue;
      if (!del->from || *del->from == Side::kSalesforce) from[0] = true;
      if (!del->from || *del->from == Side::kHubSpot) from[1] = true;
      last = del;
    }
    if (!from[0] || !from[1]) return;
    auto& diag = Report(DiagCode::kPropagateBothWays, si.file, last->range,
                        "deletions propagate in both directions: a record deleted on either side (by a merge, a "
                        "cleanup job, a mistake) deletes its partner, so one slip empties both systems");
    Help(diag,
         "propagate from the system of record only (`delete propagate from salesforce`) and keep or unlink "
         "on the other side");
  }

  // ---- values tables: `else keep` ----
  void ElseKeep(const ast::ValuesDecl& d, const ast::File* f) {
    if (d.left.side != Side::kSalesforce || d.right.side != Side::kHubSpot) return;  // A0106
    const Object* so = in_.schemas ? in_.schemas->Find(schema::System::kSalesforce, d.left.object.text) : nullptr;
    const Object* ho = in_.schemas ? in_.schemas->Find(schema::System::kHubSpot, d.right.object.text) : nullptr;
    const Field* sf = so ? so->FindField(d.left.field.text) : nullptr;
    const Field* hs = ho ? ho->FindField(d.right.field.text) : nullptr;
    if (!sf || !hs) return;
    for (const auto& entry : d.entries) {
      auto* el = std::get_if<ast::ValueElse>(&entry);
      if (!el || el->kind != ast::ElseKind::kKeep || el->dir == ast::Direction::kBoth) continue;
      bool to_hs = el->dir == ast::Direction::kToHubSpot;
      const Object* src_obj = to_hs ? so : ho;
      const Object* dst_obj = to_hs ? ho : so;
      const Field* src = to_hs ? sf : hs;
      const Field* dst = to_hs ? hs : sf;
      if (!dst->is_picklist || dst->values.empty()) continue;
      std::set<std::string> listed;
      for (const auto& e2 : d.entries)
        if (auto* p = std::get_if<ast::ValuePair>(&e2);
            p && ast::Flows(p->dir, to_hs ? Side::kHubSpot : Side::kSalesforce))
          listed.insert(to_hs ? p->salesforce.value : p->hubspot.value);
      if (!src->is_picklist) {
        Report(DiagCode::kElseKeepUnknown, f, el->range,
               "`else keep` writes any unlisted text of " + FieldName(src_obj, src) + " unchanged into the picklist " +
                   FieldName(dst_obj, dst) + ", which has fixed options");
        continue;
      }
      std::vector<std::string> missing;
      for (const auto& v : src->values) {
        if (!v.active || listed.count(v.value)) continue;
        const schema::PicklistValue* w = dst->FindValue(v.value);
        if (!w || !w->active) missing.push_back(v.value);
      }
      if (missing.empty()) continue;
      std::string list;
      for (size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + Q(missing[i]);
      if (missing.size() > 5) list += ", ... (" + std::to_string(missing.size() - 5) + " more)";
      auto& diag = Report(DiagCode::kElseKeepUnknown, f, el->range,
                          "`else keep` writes unlisted values of " + FieldName(src_obj, src) + " unchanged, but " +
                              std::to_string(missing.size()) + " of them " +
                              (missing.size() == 1 ? "is not an option" : "are not options") + " of " +
                              FieldName(dst_obj, dst) + ": " + list);
      Help(diag, "add pairs for them, or end with `else " + std::string(ast::DirectionToken(el->dir)) +
                     " reject` or a default value");
    }
  }

  // ---- across syncs ----
  // Syncs joined by `converts to` never write one record at the same time: the link moves.
  // An unknown target (A0104) is taken as the other sync: one mistake, one finding.
  bool Converts(const SyncInfo& a, const SyncInfo& b) const {
    for (const auto& item : a.decl->items) {
      auto* cv = std::get_if<ast::ConvertsTo>(&item);
      if (!cv) continue;
      if (cv->sync.text == b.decl->name.text) return true;
      if (std::none_of(m_.syncs.begin(), m_.syncs.end(),
                       [&](const SyncInfo& s) { return s.decl->name.text == cv->sync.text; }))
        return true;
    }
    return false;
  }

  void CrossSyncWrites() {
    // One finding per pair of syncs and written object, at the later sync's first shared field.
    struct Shared {
      const Write* first_here;
      const Write* first_there;
      std::vector<std::string> fields;
    };
    std::map<std::tuple<const SyncInfo*, const SyncInfo*, const Object*>, Shared> shared;
    std::vector<std::tuple<const SyncInfo*, const SyncInfo*, const Object*>> order;
    // Writes grouped by field (in declaration order): big rule sets have tens of thousands.
    std::map<const Field*, std::vector<const Write*>> by_field;
    for (const Write& w : writes_) by_field[w.field].push_back(&w);
    for (size_t i = 0; i < writes_.size(); ++i) {
      const Write& w = writes_[i];
      for (const Write* pp : by_field[w.field]) {
        if (pp == &w) break;  // only the writes declared before w
        const Write& p = *pp;
        if (p.sync == w.sync || p.object != w.object) continue;
        if (Converts(*p.sync, *w.sync) || Converts(*w.sync, *p.sync)) continue;
        auto key = std::make_tuple(p.sync, w.sync, w.object);
        auto [it, fresh] = shared.emplace(key, Shared{&w, &p, {}});
        if (fresh) order.push_back(key);
        if (std::find(it->second.fields.begin(), it->second.fields.end(), w.field->name) == it->second.fields.end())
          it->second.fields.push_back(w.field->name);
      }
    }
    for (const auto& key : order) {
      const Shared& sh = shared[key];
      const Write& w = *sh.first_here;
      const Write& p = *sh.first_there;
      std::string list;
      for (size_t i = 0; i < sh.fields.size() && i < 6; ++i) list += (i ? ", " : "") + sh.fields[i];
      if (sh.fields.size() > 6) list += ", ... (" + std::to_string(sh.fields.size() - 6) + " more)";
      std::string what = sh.fields.size() == 1 ? FieldName(w.object, w.field) + " is"
                                               : std::to_string(sh.fields.size()) + " fields of " +
                                                     std::string(schema::SystemName(w.object->system)) + "." +
                                                     w.object->name + " (" + list + ") are";
      auto& diag = Report(DiagCode::kCrossSyncWrite, w.sync->file, w.at->range,
                          what + " written by sync " + p.sync->decl->name.text + " and by sync " +
                              w.sync->decl->name.text + ": a record both link is overwritten back and forth");
      AddNote(diag, p.sync->file, p.at->range,
              "sync " + p.sync->decl->name.text + " writes " + p.field->name + " here");
      Help(diag, "let one sync write each field, or make the syncs exclusive (`converts to`)");
    }
    // A rule that writes a property a forward-only lifecycle drives.
    for (auto [lc, lf] : lifecycles_) {
      bool forward_only = std::any_of(lc->items.begin(), lc->items.end(), [](const ast::LifecycleItem& it) {
        return std::holds_alternative<ast::ForwardOnly>(it);
      });
      if (!forward_only || lc->property.side != Side::kHubSpot) continue;
      for (const Write& w : writes_) {
        if (w.to != Side::kHubSpot || w.object->name != lc->property.object.text ||
            w.field->name != lc->property.field.text)
          continue;
        auto& diag = Report(DiagCode::kLifecycleWritten, w.sync->file, w.at->range,
                            FieldName(w.object, w.field) + " is driven by a `forward only` lifecycle, but sync " +
                                w.sync->decl->name.text + " writes it directly and can move records backwards");
        AddNote(diag, lf, lc->property.range, "the lifecycle is declared here");
        Help(diag,
             "drive the stage with `when ... becomes ... then` triggers only, or set it for new records in "
             "`on create hubspot`");
      }
    }
  }

  // A trigger on a value the linking sync's scope excludes: the link is out of scope by the
  // time triggers run (docs/sync.md, "A pass"), so the trigger never reaches a record.
  void Triggers() {
    for (auto [lc, f] : lifecycles_) {
      for (const auto& item : lc->items) {
        auto* t = std::get_if<ast::Trigger>(&item);
        if (!t || t->for_object || t->field.side != Side::kSalesforce) continue;
        std::vector<const SyncInfo*> linking;
        for (const SyncInfo& s : m_.syncs)
          if (s.salesforce && s.hubspot && s.salesforce->name == t->field.object.text &&
              s.hubspot->name == lc->property.object.text)
            linking.push_back(&s);
        if (linking.empty()) continue;  // A0605
        const SyncInfo* excluding = nullptr;
        const ast::ScopeRule* scope = nullptr;
        bool all_exclude = true;
        for (const SyncInfo* s : linking) {
          const ast::ScopeRule* sc = nullptr;
          bool converts = false;
          for (const auto& it : s->decl->items) {
            if (auto* r = std::get_if<ast::ScopeRule>(&it); r && r->side == Side::kSalesforce && !sc) sc = r;
            converts |= std::holds_alternative<ast::ConvertsTo>(it);
          }
          ScopeFacts facts;
          if (sc) CollectScope(*sc->condition, facts);
          // A converted Lead's trigger reaches its Contact through the other sync.
          bool excluded = sc && Excludes(facts, t->field.field.text, t->value.value) &&
                          !(converts && t->field.field.text == "IsConverted");
          if (!excluded)
            all_exclude = false;
          else if (!excluding)
            excluding = s, scope = sc;
        }
        if (!all_exclude || !excluding) continue;
        auto& diag = Report(DiagCode::kTriggerOutOfScope, f, t->value.range,
                            "sync " + excluding->decl->name.text + " keeps only records whose " + t->field.field.text +
                                " is not " + t->value.text + ", so when it becomes " + t->value.text +
                                " the link is out of scope and this trigger reaches no record");
        AddNote(diag, excluding->file, scope->range, "the scope is here");
        Help(diag, "trigger on a value the scope keeps, or widen the scope");
      }
    }
  }

  const CheckInput& in_;
  const Model& m_;
  DiagSink& sink_;
  std::vector<std::pair<const ast::LifecycleDecl*, const ast::File*>> lifecycles_;
  std::vector<Write> writes_;
};

}  // namespace

void CheckRuleMistakes(const CheckInput& in, const Model& m, DiagSink& sink) { RuleChecks(in, m, sink).Run(); }

}  // namespace accord::sema
