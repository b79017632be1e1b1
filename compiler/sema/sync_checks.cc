// The checks of one sync (checker_impl.h): its policies and match rule,
// creates and `on create` blocks, associations, and each field rule's
// direction, target, transforms, values table and type fit.
#include <algorithm>

#include "compiler/sema/checker_impl.h"
#include "compiler/sema/rule_checks.h"

namespace accord::sema {
namespace detail {
namespace {

bool IsDealObject(const Object* o) {
  return o && ((o->system == schema::System::kSalesforce && o->name == "Opportunity") ||
               (o->system == schema::System::kHubSpot && o->name == "deals"));
}

}  // namespace

const ast::Expr* Checker::AsField(const ast::Expr* e) {
  if (e && e->kind == ast::ExprKind::kIdent && !e->leading_dot && e->parens == 0) return e;
  return nullptr;
}

void Checker::CheckSync(const SyncInfo& si) {
  const ast::SyncDecl& d = *si.decl;
  const ast::File* f = si.file;
  const Object* sf = si.salesforce;
  const Object* hs = si.hubspot;
  if (d.dir != ast::Direction::kBoth) {
    // A one-way sync is fine; field rules must then agree with it.
  }
  const ast::ConflictPolicy* conflict_default = nullptr;
  const ast::BlankPolicy* blank_default = nullptr;
  const ast::MatchRule* match = nullptr;
  std::vector<const ast::CreateRule*> creates;
  std::vector<const ast::OnCreate*> on_creates;
  const ast::ScopeRule* scope_seen[2] = {nullptr, nullptr};
  std::vector<const ast::DeleteRule*> deletes;
  std::map<std::pair<Side, std::string>, Target> written;
  std::vector<const ast::FieldRule*> two_way_rules;

  for (const auto& item : d.items) {
    if (auto* m = std::get_if<ast::MatchRule>(&item)) {
      if (match) {
        auto& diag = Report(DiagCode::kDuplicatePolicy, f, m->range, "sync " + d.name.text + " has two match rules");
        AddNote(diag, f, match->range, "the first one is here");
        continue;
      }
      match = m;
      CheckMatch(*m, sf, hs, f);
    } else if (auto* s = std::get_if<ast::ScopeRule>(&item)) {
      const ast::ScopeRule*& prev = scope_seen[s->side == Side::kSalesforce ? 0 : 1];
      if (prev) {
        auto& diag = Report(
            DiagCode::kDuplicatePolicy, f, s->range,
            "sync " + d.name.text + " already has a " + SideStr(s->side) + " scope; combine the conditions with &&");
        AddNote(diag, f, prev->range, "the first one is here");
      }
      prev = s;
      Scope sc = MakeScope(s->side, sf, hs);
      if (sc.bare) CheckBool(*s->condition, sc, f, "a scope");
    } else if (auto* c = std::get_if<ast::CreateRule>(&item)) {
      if (c->when) {
        Scope sc = MakeScope(ast::Other(c->side), sf, hs);
        if (sc.bare) CheckBool(*c->when, sc, f, "a create condition");
      }
      if (d.dir != ast::Direction::kBoth && !ast::Flows(d.dir, c->side)) {
        Report(DiagCode::kBadDirection, f, c->range,
               "sync " + d.name.text + " only flows " + std::string(ast::DirectionToken(d.dir)) +
                   ", so it cannot create records in " + SideStr(c->side));
        continue;  // not a create: no required-field or phantom-pipeline follow-ons
      }
      // docs/language.md §5.3: at most one `create in` per side (two `when`s would be ORed
      // or ANDed by nobody's decision).
      auto same_side = std::find_if(creates.begin(), creates.end(),
                                    [&](const ast::CreateRule* prev) { return prev->side == c->side; });
      if (same_side != creates.end()) {
        auto& diag = Report(DiagCode::kDuplicatePolicy, f, c->range,
                            "sync " + d.name.text + " already has a `create in " + SideStr(c->side) +
                                "`; combine the conditions into one `when` with || or &&");
        AddNote(diag, f, (*same_side)->range, "the first one is here");
        continue;
      }
      creates.push_back(c);
    } else if (auto* cd = std::get_if<ast::ConflictDefault>(&item)) {
      if (conflict_default) {
        Report(DiagCode::kDuplicatePolicy, f, cd->range, "sync " + d.name.text + " already has a conflict policy");
        continue;
      }
      conflict_default = &cd->policy;
    } else if (auto* bd = std::get_if<ast::BlankDefault>(&item)) {
      if (blank_default) {
        Report(DiagCode::kDuplicatePolicy, f, bd->range, "sync " + d.name.text + " already has a blank policy");
        continue;
      }
      blank_default = &bd->policy;
      if (bd->policy.kind == ast::BlankKind::kDefault) {
        Report(DiagCode::kBadDirection, f, bd->range,
               "`blank default` needs a field: put it on a field rule (a sync-wide default value would be written "
               "to fields of every type)");
      }
    } else if (auto* cv = std::get_if<ast::ConvertsTo>(&item)) {
      CheckConverts(*cv, si, f);
    } else if (auto* oc = std::get_if<ast::OnCreate>(&item)) {
      if (d.dir != ast::Direction::kBoth && !ast::Flows(d.dir, oc->side)) {
        Report(DiagCode::kBadDirection, f, oc->range,
               "sync " + d.name.text + " only flows " + std::string(ast::DirectionToken(d.dir)) +
                   ", so it never creates records in " + SideStr(oc->side));
      }
      on_creates.push_back(oc);
      CheckOnCreate(*oc, sf, hs, f);
    } else if (auto* as = std::get_if<ast::Associate>(&item)) {
      if (d.dir != ast::Direction::kBoth && as->dir != d.dir) {
        Report(DiagCode::kBadDirection, f, as->range,
               "sync " + d.name.text + " only flows " + std::string(ast::DirectionToken(d.dir)) +
                   "; this association flows " + std::string(ast::DirectionToken(as->dir)));
      }
      associations_.push_back({as, &si});
    } else if (auto* del = std::get_if<ast::DeleteRule>(&item)) {
      // One policy per deleting side (or one for both).
      for (const ast::DeleteRule* prev : deletes) {
        if (!prev->from || !del->from || *prev->from == *del->from) {
          auto& diag = Report(DiagCode::kDuplicatePolicy, f, del->range,
                              "sync " + d.name.text + " already has a delete policy for " +
                                  (del->from ? "deletions in " + SideStr(*del->from) : std::string("deletions")));
          AddNote(diag, f, prev->range, "the first one is here");
          break;
        }
      }
      deletes.push_back(del);
    } else if (auto* fr = std::get_if<ast::FieldRule>(&item)) {
      CheckFieldRule(*fr, d, sf, hs, f, written, conflict_default);
      // In a one-way sync a two-way rule is already an error (A0508).
      if (fr->dir == ast::Direction::kBoth && d.dir == ast::Direction::kBoth) two_way_rules.push_back(fr);
    }
  }

  if (!match) {
    auto& diag = Report(DiagCode::kNoMatchRule, f, d.name.range,
                        "sync " + d.name.text + " has no match rule: unlinked records would be duplicated");
    diag.notes.push_back(
        accord::Note{"add `match email` (people), `match domain` (companies), `match link` "
                     "(records linked by id only) or `match Field <-> field`",
                     nullptr,
                     {}});
  }
  // Conflict policy for two-way fields, blank clear on them.
  for (const ast::FieldRule* fr : two_way_rules) {
    if (!fr->conflict && !conflict_default) {
      auto& diag = Report(DiagCode::kNoConflictPolicy, f, fr->arrow_range,
                          "this two-way field has no conflict policy and sync " + d.name.text + " has no default");
      diag.notes.push_back(
          accord::Note{"add `conflict two_way` to the sync or a per-field `conflict prefer "
                       "salesforce` (or hubspot, `unless blank`, dont_sync)",
                       nullptr,
                       {}});
    }
    const ast::BlankPolicy* bp = fr->blank ? &*fr->blank : blank_default;
    if (bp && bp->kind == ast::BlankKind::kClear) {
      Report(DiagCode::kBlankClearTwoWay, f, fr->blank ? fr->blank->range : fr->arrow_range,
             "`blank clear` on a two-way field: a value blanked on either side erases it on the other");
    }
  }
  // Creates: both directions for deals, only-conflicts, required fields.
  bool create_sf = false, create_hs = false;
  const ast::CreateRule* only = nullptr;
  for (auto* c : creates) {
    (c->side == Side::kSalesforce ? create_sf : create_hs) = true;
    if (c->only) only = c;
  }
  if (only && create_sf && create_hs) {
    Report(DiagCode::kBadDirection, f, only->range,
           "`create in " + SideStr(only->side) + " only` contradicts the other `create in` rule of this sync");
  }
  if (create_sf && create_hs && (IsDealObject(sf) || IsDealObject(hs))) {
    auto& diag = Report(DiagCode::kPhantomPipeline, f, d.name.range,
                        "deals can be created from both sides: a deal made in HubSpot becomes a Salesforce "
                        "Opportunity nobody forecast (phantom pipeline)");
    diag.notes.push_back(
        accord::Note{"deals usually originate in Salesforce: keep only `create in hubspot`", nullptr, {}});
  }
  for (auto* c : creates) CheckRequired(*c, d, c->side == Side::kSalesforce ? sf : hs, on_creates, f);
}

Scope Checker::MakeScope(Side bare, const Object* sf, const Object* hs) {
  Scope s;
  s.bare_side = bare;
  s.bare = bare == Side::kSalesforce ? sf : hs;
  s.sf = sf;
  s.hs = hs;
  return s;
}

void Checker::CheckMatch(const ast::MatchRule& m, const Object* sf, const Object* hs, const ast::File* f) {
  if (m.explicit_fields) {
    // `match salesforce_contact_id <-> Id`: the sides swapped, not two unknown fields.
    if (sf && hs && !sf->FindField(m.sf_field.text) && !hs->FindField(m.hs_field.text) &&
        hs->FindField(m.sf_field.text) && sf->FindField(m.hs_field.text)) {
      auto& d = Report(DiagCode::kSideOrder, f, m.range,
                       "this match names the HubSpot property first; the Salesforce field goes on the left: "
                       "`match " +
                           m.hs_field.text + " <-> " + m.sf_field.text + "`");
      d.fixit = "match " + m.hs_field.text + " <-> " + m.sf_field.text;
      return;
    }
    const Field* a = ResolveField(sf, m.sf_field, f);
    const Field* b = ResolveField(hs, m.hs_field, f);
    if (a && b && Fits(FromField(b->type), FromField(a->type)) != Fit::kOk) {
      Report(DiagCode::kBadMatchKey, f, m.range,
             "match keys have different types: " + FieldName(sf, a) + " is " + FromField(a->type).ToString() + ", " +
                 FieldName(hs, b) + " is " + FromField(b->type).ToString());
    }
    return;
  }
  const std::string& k = m.key.text;
  if (k == "link") return;
  if (k == "email") {
    if (sf && !sf->FindField("Email"))
      Report(DiagCode::kBadMatchKey, f, m.key.range,
             "`match email` needs an Email field, and salesforce." + sf->name + " has none");
    if (hs && !hs->FindField("email"))
      Report(DiagCode::kBadMatchKey, f, m.key.range,
             "`match email` needs an email property, and hubspot." + hs->name + " has none");
    return;
  }
  if (k == "domain") {
    if (sf && !sf->FindField("Website"))
      Report(DiagCode::kBadMatchKey, f, m.key.range,
             "`match domain` needs a Website field, and salesforce." + sf->name + " has none");
    if (hs && !hs->FindField("domain"))
      Report(DiagCode::kBadMatchKey, f, m.key.range,
             "`match domain` needs a domain property, and hubspot." + hs->name + " has none");
    return;
  }
  auto& diag = Report(DiagCode::kBadMatchKey, f, m.key.range, "unknown match key " + Q(k));
  Suggest(diag, k, {"email", "domain", "link"}, "match keys");
  diag.notes.push_back(accord::Note{"or name the fields: `match Email <-> email`", nullptr, {}});
}

void Checker::CheckConverts(const ast::ConvertsTo& cv, const SyncInfo& si, const ast::File* f) {
  const SyncInfo* target = nullptr;
  for (const auto& s : m_.syncs)
    if (s.decl->name.text == cv.sync.text) target = &s;
  if (!target) {
    auto& d = Report(DiagCode::kUnknownSync, f, cv.sync.range, "no sync named " + Q(cv.sync.text));
    std::vector<std::string> names;
    for (const auto& s : m_.syncs) names.push_back(s.decl->name.text);
    Suggest(d, cv.sync.text, names, "syncs in these rules");
    return;
  }
  if (si.salesforce && si.salesforce->name != "Lead") {
    Report(DiagCode::kBadConversion, f, cv.range,
           "`converts to` follows Lead conversion, but sync " + si.decl->name.text + " syncs salesforce." +
               si.salesforce->name);
    return;
  }
  if (target->salesforce && target->salesforce->name != "Contact") {
    Report(DiagCode::kBadConversion, f, cv.sync.range,
           "a converted Lead becomes a Contact, but sync " + target->decl->name.text + " syncs salesforce." +
               target->salesforce->name);
    return;
  }
  if (si.hubspot && target->hubspot && si.hubspot != target->hubspot) {
    Report(DiagCode::kBadConversion, f, cv.sync.range,
           "sync " + target->decl->name.text + " syncs hubspot." + target->hubspot->name + ", not hubspot." +
               si.hubspot->name + ": the HubSpot record could not keep its link");
  }
}

void Checker::CheckWritable(const Object* o, const Field* fl, bool on_create_only, Range r, const ast::File* f) {
  if (fl->calculated || (!fl->createable && !fl->updateable)) {
    Report(DiagCode::kReadOnlyTarget, f, r,
           FieldName(o, fl) + " is " + (fl->calculated ? "calculated" : "read-only") + " and cannot be written");
    return;
  }
  if (on_create_only && !fl->createable) {
    Report(DiagCode::kNotCreateable, f, r, FieldName(o, fl) + " cannot be set when a record is created");
    return;
  }
  if (!on_create_only && !fl->updateable) {
    auto& d = Report(DiagCode::kNotUpdateable, f, r,
                     FieldName(o, fl) +
                         " can be set on create but never updated, so this mapping would fail on "
                         "every update");
    d.notes.push_back(
        accord::Note{"set it in an `on create " +
                         SideStr(o->system == schema::System::kSalesforce ? Side::kSalesforce : Side::kHubSpot) +
                         " { ... }` block instead",
                     nullptr,
                     {}});
  }
}

void Checker::CheckOnCreate(const ast::OnCreate& oc, const Object* sf, const Object* hs, const ast::File* f) {
  const Object* target = oc.side == Side::kSalesforce ? sf : hs;
  std::set<std::string> seen;
  for (const auto& a : oc.assignments) {
    Scope sc = MakeScope(ast::Other(oc.side), sf, hs);
    Type t = sc.bare ? Expr(*a.value, sc, f) : Type::Of(TypeKind::kError);
    if (!target) continue;
    const Field* fl = ResolveField(target, a.field, f);
    if (!fl) continue;
    if (!seen.insert(fl->name).second) {
      Report(DiagCode::kDoubleWrite, f, a.field.range, fl->name + " is assigned twice in this block");
      continue;
    }
    CheckWritable(target, fl, /*on_create_only=*/true, a.field.range, f);
    CheckFit(FromField(fl->type), t, target, fl, a.value->range, f, "this value");
    CheckLiteralForField(*a.value, target, fl, f);
  }
}

// A string literal written to a field: picklist value and length.
void Checker::CheckLiteralForField(const ast::Expr& e, const Object* o, const Field* fl, const ast::File* f) {
  std::vector<const ast::Expr*> lits;
  if (e.kind == ast::ExprKind::kLiteral && e.lit == ast::LiteralKind::kString) lits.push_back(&e);
  if (e.kind == ast::ExprKind::kCall && e.name == "coalesce")
    for (const auto& a : e.args)
      if (a->kind == ast::ExprKind::kLiteral && a->lit == ast::LiteralKind::kString) lits.push_back(a.get());
  if (e.kind == ast::ExprKind::kConditional)
    for (size_t i = 1; i < 3; ++i)
      if (e.args[i]->kind == ast::ExprKind::kLiteral && e.args[i]->lit == ast::LiteralKind::kString)
        lits.push_back(e.args[i].get());
  for (const ast::Expr* l : lits) {
    CheckPicklistValue(o, fl, l->string_value, l->range, f);
    // Field lengths count characters, not UTF-8 bytes.
    size_t chars = 0;
    for (unsigned char c : l->string_value) chars += (c & 0xC0) != 0x80;
    if (fl->length > 0 && chars > static_cast<size_t>(fl->length)) {
      Report(DiagCode::kStringTooLong, f, l->range,
             "this text is " + std::to_string(chars) + " characters but " + FieldName(o, fl) + " holds at most " +
                 std::to_string(fl->length));
    }
  }
}

void Checker::CheckFieldRule(const ast::FieldRule& r, const ast::SyncDecl& d, const Object* sf, const Object* hs,
                             const ast::File* f, std::map<std::pair<Side, std::string>, Target>& written,
                             const ast::ConflictPolicy* conflict_default) {
  // Sides: a plain name is a field, anything else is computed.
  struct SideInfo {
    const ast::Expr* expr;
    const Object* obj;
    const Field* field = nullptr;
    bool computed = false;
    Type type = Type::Of(TypeKind::kError);
    bool ok = false;
  };
  SideInfo s{r.salesforce.get(), sf}, h{r.hubspot.get(), hs};
  for (SideInfo* si : {&s, &h}) {
    Side side = si == &s ? Side::kSalesforce : Side::kHubSpot;
    if (!si->obj) continue;
    Scope sc = MakeScope(side, sf, hs);
    if (const ast::Expr* id = AsField(si->expr)) {
      si->field = ResolveField(si->obj, ast::Name{id->name, id->range}, f);
      if (!si->field) continue;
      si->type = FieldType(*id, side, si->obj, si->field, f);
      SetType(*id, si->type);
      si->ok = !si->type.Is(TypeKind::kError);
    } else {
      si->computed = true;
      si->type = Expr(*si->expr, sc, f);
      si->ok = !si->type.Is(TypeKind::kError);
    }
  }
  if (d.dir != ast::Direction::kBoth && r.dir != d.dir) {
    if (r.dir == ast::Direction::kBoth ||
        !ast::Flows(d.dir, r.dir == ast::Direction::kToHubSpot ? Side::kHubSpot : Side::kSalesforce)) {
      Report(DiagCode::kBadDirection, f, r.arrow_range,
             "sync " + d.name.text + " only flows " + std::string(ast::DirectionToken(d.dir)) +
                 "; this field rule flows " + std::string(ast::DirectionToken(r.dir)));
    }
  }
  if (s.computed && h.computed) {
    Report(DiagCode::kComputedTarget, f, r.range,
           "both sides of this rule are expressions; one side must be a field to write to");
    return;
  }
  for (Side to : {Side::kHubSpot, Side::kSalesforce}) {
    if (!ast::Flows(r.dir, to)) continue;
    SideInfo& src = to == Side::kHubSpot ? s : h;
    SideInfo& dst = to == Side::kHubSpot ? h : s;
    if (dst.computed) {
      Report(DiagCode::kComputedTarget, f, dst.expr->range,
             "this expression is on the receiving side of `" + std::string(ast::DirectionToken(r.dir)) +
                 "`: a computed value can only flow one way, away from the expression");
      continue;
    }
    if (!dst.field) continue;
    auto key = std::make_pair(to, dst.field->name);
    auto [it, fresh] = written.emplace(key, Target{f, dst.expr->range});
    if (!fresh) {
      auto& diag = Report(DiagCode::kDoubleWrite, f, dst.expr->range,
                          FieldName(dst.obj, dst.field) + " is already written by another rule of sync " + d.name.text +
                              "; the two would overwrite each other");
      AddNote(diag, it->second.file, it->second.range, "the other rule writes it here");
    }
    CheckWritable(dst.obj, dst.field, false, dst.expr->range, f);
    if (!src.ok || !dst.ok) continue;
    // A0308 (rule_checks.cc) instead of a type finding: no conversion makes a HubSpot id a
    // Salesforce one.
    bool hubspot_id =
        to == Side::kSalesforce && !r.via && src.field && HubSpotIdIntoSalesforceId(*src.field, *dst.field);
    // Value pipeline: source -> with -> directed transform -> via.
    Type t = src.type;
    bool transformed = false;
    std::string desc = src.field ? FieldName(src.obj, src.field) : "this expression";
    if (r.with) {
      Scope sc = MakeScope(ast::Other(to), sf, hs);
      sc.underscore = t;
      t = Expr(*r.with, sc, f);
      transformed = true;
      desc = "the `with` transform";
    }
    for (const auto& dt : r.transforms) {
      if (dt.to != to) continue;
      Scope sc = MakeScope(ast::Other(to), sf, hs);
      sc.underscore = t;
      t = Expr(*dt.expr, sc, f);
      transformed = true;
      desc = "the `to " + SideStr(to) + ":` transform";
    }
    if (r.via) {
      auto vit = m_.values.find(r.via->text);
      if (vit == m_.values.end()) {
        auto& diag = Report(DiagCode::kUnknownValueTable, f, r.via->range, "no values table named " + Q(r.via->text));
        std::vector<std::string> names;
        for (const auto& [n, _] : m_.values) names.push_back(n);
        Suggest(diag, r.via->text, names);
        continue;
      }
      const ast::ValuesDecl* vd = vit->second;
      const ValuesInfo& vi = values_info_[vd];
      if (vi.ok) {
        const Field* table_dst = to == Side::kHubSpot ? vi.hs : vi.sf;
        const Field* table_src = to == Side::kHubSpot ? vi.sf : vi.hs;
        bool fits = table_dst == dst.field && (!src.field || table_src == src.field);
        if (!fits) {
          auto& diag = Report(DiagCode::kValueTableMismatch, f, r.via->range,
                              "values table " + vd->name.text + " maps " + FieldName(vi.sf_obj, vi.sf) + " and " +
                                  FieldName(vi.hs_obj, vi.hs) + ", not the fields of this rule");
          AddNote(diag, value_file_[vd], vd->name.range, "declared here");
        }
      }
      Direction_ dir = to == Side::kHubSpot ? ast::Direction::kToHubSpot : ast::Direction::kToSalesforce;
      if (vd->dir != ast::Direction::kBoth && vd->dir != dir) {
        auto& diag =
            Report(DiagCode::kValueTableDirection, f, r.via->range,
                   "values table " + vd->name.text + " only maps " + std::string(ast::DirectionToken(vd->dir)) +
                       ", but this rule also flows " + std::string(ast::DirectionToken(dir)));
        AddNote(diag, value_file_[vd], vd->name.range, "declared here");
      }
      t = dst.type;  // the table yields target values
      transformed = true;
    }
    // A two-way rule converts one direction with `{ to side: ... }`: `with` (or a hint to
    // write one) would apply both ways.
    if (!hubspot_id)
      CheckFit(dst.type, t, dst.obj, dst.field, src.expr->range, f, desc,
               r.dir == ast::Direction::kBoth ? std::optional<Side>(to) : std::nullopt, r.with.get());
    if (!transformed && src.field) {
      if (dst.field->length > 0 && src.field->length > dst.field->length && dst.type.Is(TypeKind::kString) &&
          src.type.Is(TypeKind::kString)) {
        Report(DiagCode::kStringTooLong, f, src.expr->range,
               FieldName(src.obj, src.field) + " holds up to " + std::to_string(src.field->length) +
                   " characters but " + FieldName(dst.obj, dst.field) + " only " + std::to_string(dst.field->length) +
                   "; longer values will be rejected");
      }
      if (src.field->is_picklist && dst.field->is_picklist && !dst.field->values.empty()) {
        std::vector<std::string> missing;
        for (const auto& v : src.field->values) {
          if (!v.active) continue;
          bool found = false;
          for (const auto& w : dst.field->values) found |= w.value == v.value;
          if (!found) missing.push_back(v.value);
        }
        if (!missing.empty()) {
          std::string list;
          for (size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + Q(missing[i]);
          if (missing.size() > 5) list += ", ...";
          auto& diag = Report(DiagCode::kPicklistNoTable, f, r.range,
                              std::to_string(missing.size()) + " value" + (missing.size() == 1 ? "" : "s") + " of " +
                                  FieldName(src.obj, src.field) + " do not exist in " + FieldName(dst.obj, dst.field) +
                                  " (" + list + ")");
          diag.notes.push_back(accord::Note{"declare a `values` table and map through it with `via`", nullptr, {}});
        }
      }
    }
    if (r.blank && r.blank->kind == ast::BlankKind::kDefault && r.blank->default_value) {
      Scope sc = MakeScope(ast::Other(to), sf, hs);
      Type bt = Expr(*r.blank->default_value, sc, f);
      CheckFit(dst.type, bt, dst.obj, dst.field, r.blank->default_value->range, f, "the blank default");
      CheckLiteralForField(*r.blank->default_value, dst.obj, dst.field, f);
    }
  }
  if (r.dir != ast::Direction::kBoth && r.conflict) {
    Report(DiagCode::kPolicyOnOneWay, f, r.conflict->range,
           "a conflict policy only matters when both sides can change a field; this rule flows one way");
  }
  (void)conflict_default;
}

void Checker::CheckRequired(const ast::CreateRule& c, const ast::SyncDecl& d, const Object* target,
                            const std::vector<const ast::OnCreate*>& on_creates, const ast::File* f) {
  if (!target) return;
  std::set<std::string> covered;
  std::map<std::string, const ast::FieldRule*> other_way;  // mapped, but only away from c.side
  for (const auto& item : d.items) {
    if (auto* fr = std::get_if<ast::FieldRule>(&item)) {
      const ast::Expr* e = AsField(c.side == Side::kSalesforce ? fr->salesforce.get() : fr->hubspot.get());
      if (!e) continue;
      if (ast::Flows(fr->dir, c.side))
        covered.insert(e->name);
      else
        other_way.emplace(e->name, fr);
    }
  }
  for (auto* oc : on_creates)
    if (oc->side == c.side)
      for (const auto& a : oc->assignments) covered.insert(a.field.text);
  std::vector<const Field*> missing;
  for (const auto& fl : target->fields)
    if (fl.required_on_create() && !covered.count(fl.name)) missing.push_back(&fl);
  for (const Field* fl : missing) {
    auto ow = other_way.find(fl->name);
    if (ow != other_way.end()) {
      auto& diag = Report(DiagCode::kRequiredMissing, f, c.range,
                          FieldName(target, fl) + " is required when a record is created, but sync " + d.name.text +
                              " maps it only toward " + SideStr(ast::Other(c.side)) + " and does not set it on create");
      AddNote(diag, f, ow->second->arrow_range, "this rule flows away from " + SideStr(c.side));
      diag.notes.push_back(accord::Note{
          "make the rule two-way (`<->`) or add `on create " + SideStr(c.side) + " { " + fl->name + " = ... }`",
          nullptr,
          {}});
      continue;
    }
    auto& diag = Report(DiagCode::kRequiredMissing, f, c.range,
                        FieldName(target, fl) + " is required when a record is created, but sync " + d.name.text +
                            " neither maps it nor sets it on create");
    diag.notes.push_back(
        accord::Note{"add `on create " + SideStr(c.side) + " { " + fl->name + " = ... }`", nullptr, {}});
  }
}

}  // namespace detail
}  // namespace accord::sema
