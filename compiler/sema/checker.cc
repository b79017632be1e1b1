// The rule checker (checker.h, checker_impl.h): the pass over the declarations
// — collection, values tables, syncs (sync_checks.cc), associations, lifecycles,
// tests — then the checks across rules (rule_checks.cc).
#include "compiler/sema/checker.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "compiler/sema/checker_impl.h"
#include "compiler/sema/rule_checks.h"
#include "runtime/error_categories.def"

namespace accord::sema {

const std::vector<std::string>& ErrorCategories() {
  static const std::vector<std::string> k = {
#define X(name, doc) #name,
      ACCORD_ERROR_CATEGORY_LIST(X)
#undef X
  };
  return k;
}

namespace detail {

void Checker::Run() {
  Collect();
  for (auto& [decl, file] : values_) CheckValues(*decl, file);
  for (auto& si : m_.syncs) CheckSync(si);
  CheckAssociations();
  for (auto& [decl, file] : lifecycles_) CheckLifecycle(*decl, file);
  for (auto& [decl, file] : tests_) CheckTest(*decl, file);
}

void Checker::Collect() {
  std::map<std::string, std::pair<const ast::File*, Range>> sync_names, value_names;
  for (const ast::File* f : in_.files) {
    for (const auto& d : f->decls) {
      if (auto* v = std::get_if<ast::ValuesDecl>(&d)) {
        auto [it, fresh] = value_names.emplace(v->name.text, std::make_pair(f, v->name.range));
        if (!fresh) {
          auto& diag = Report(DiagCode::kDuplicateName, f, v->name.range,
                              "a values table named " + Q(v->name.text) + " is already declared");
          AddNote(diag, it->second.first, it->second.second, "first declared here");
          continue;
        }
        values_.push_back({v, f});
        m_.values[v->name.text] = v;
        value_file_[v] = f;
      } else if (auto* s = std::get_if<ast::SyncDecl>(&d)) {
        auto [it, fresh] = sync_names.emplace(s->name.text, std::make_pair(f, s->name.range));
        if (!fresh) {
          auto& diag = Report(DiagCode::kDuplicateName, f, s->name.range,
                              "a sync named " + Q(s->name.text) + " is already declared");
          AddNote(diag, it->second.first, it->second.second, "first declared here");
          continue;
        }
        SyncInfo si;
        si.decl = s;
        si.file = f;
        if (CheckSides(s->left.side, s->right.side, f, s->left.range, "sync")) {
          si.salesforce = ResolveObject(s->left, f);
          si.hubspot = ResolveObject(s->right, f);
        }
        m_.syncs.push_back(si);
      } else if (auto* l = std::get_if<ast::LifecycleDecl>(&d)) {
        lifecycles_.push_back({l, f});
      } else if (auto* t = std::get_if<ast::TestDecl>(&d)) {
        tests_.push_back({t, f});
      }
    }
  }
}

bool Checker::CheckSides(Side left, Side right, const ast::File* f, Range r, const char* what) {
  if (left == Side::kSalesforce && right == Side::kHubSpot) return true;
  Report(DiagCode::kSideOrder, f, r,
         std::string("a ") + what +
             " names the Salesforce side first and the HubSpot side second (arrows read left = Salesforce)");
  return false;
}

void Checker::CheckValues(const ast::ValuesDecl& d, const ast::File* f) {
  ValuesInfo info;
  if (!CheckSides(d.left.side, d.right.side, f, d.left.range, "values table")) {
    values_info_[&d] = info;
    return;
  }
  info.sf = ResolvePath(d.left, f, &info.sf_obj);
  info.hs = ResolvePath(d.right, f, &info.hs_obj);
  info.ok = info.sf && info.hs;
  values_info_[&d] = info;
  // Entries: valid values, directions within the table's, a function per direction.
  std::map<std::string, const ast::ValuePair*> to_hs, to_sf;
  std::map<std::string, bool> sf_listed, hs_listed;
  bool else_hs = false, else_sf = false;
  for (const auto& entry : d.entries) {
    if (auto* p = std::get_if<ast::ValuePair>(&entry)) {
      // A value is written only toward its own side: `"Retired" -> "NEW"` keeps translating
      // old Salesforce records without ever writing "Retired".
      if (info.sf && p->salesforce.kind != ast::LiteralKind::kNull)
        CheckPicklistValue(info.sf_obj, info.sf, p->salesforce.value, p->salesforce.range, f,
                           ast::Flows(p->dir, Side::kSalesforce));
      if (info.hs && p->hubspot.kind != ast::LiteralKind::kNull)
        CheckPicklistValue(info.hs_obj, info.hs, p->hubspot.value, p->hubspot.range, f,
                           ast::Flows(p->dir, Side::kHubSpot));
      if (d.dir != ast::Direction::kBoth && p->dir != d.dir) {
        Report(DiagCode::kValueTableDirection, f, p->range,
               "this pair maps " + std::string(ast::DirectionToken(p->dir)) + " but the table " + d.name.text +
                   " is declared " + std::string(ast::DirectionToken(d.dir)));
      }
      if (ast::Flows(p->dir, Side::kHubSpot)) {
        auto [it, fresh] = to_hs.emplace(p->salesforce.value, p);
        if (!fresh && it->second->hubspot.value != p->hubspot.value) {
          auto& diag = Report(DiagCode::kNonInjective, f, p->range,
                              "Salesforce value " + LitDesc(p->salesforce) + " maps to both " +
                                  LitDesc(it->second->hubspot) + " and " + LitDesc(p->hubspot) + " toward HubSpot" +
                                  (p->dir == ast::Direction::kBoth && it->second->dir == ast::Direction::kBoth
                                       ? "; make one of the pairs one-way (<-)"
                                       : ""));
          AddNote(diag, f, it->second->range, "first mapping here");
        }
        sf_listed[p->salesforce.value] = true;
      }
      if (ast::Flows(p->dir, Side::kSalesforce)) {
        auto [it, fresh] = to_sf.emplace(p->hubspot.value, p);
        if (!fresh && it->second->salesforce.value != p->salesforce.value) {
          auto& diag =
              Report(DiagCode::kNonInjective, f, p->range,
                     "HubSpot value " + LitDesc(p->hubspot) + " maps to both " + LitDesc(it->second->salesforce) +
                         " and " + LitDesc(p->salesforce) + " toward Salesforce" +
                         (p->dir == ast::Direction::kBoth && it->second->dir == ast::Direction::kBoth
                              ? "; make one of the pairs one-way (->)"
                              : ""));
          AddNote(diag, f, it->second->range, "first mapping here");
        }
        hs_listed[p->hubspot.value] = true;
      }
    } else {
      const auto& el = std::get<ast::ValueElse>(entry);
      if (el.dir == ast::Direction::kBoth) {
        Report(DiagCode::kValueTableDirection, f, el.range,
               "`else` needs one direction: `else -> ...` for unlisted Salesforce values, `else <- ...` for unlisted "
               "HubSpot values");
        continue;
      }
      bool& seen = el.dir == ast::Direction::kToHubSpot ? else_hs : else_sf;
      if (seen) {
        Report(DiagCode::kDuplicatePolicy, f, el.range, "this direction already has an `else`");
      }
      seen = true;
      // `else -> null` clears the target (docs/language.md §4): null is no picklist value.
      if (el.kind == ast::ElseKind::kValue && el.value.kind != ast::LiteralKind::kNull) {
        if (el.dir == ast::Direction::kToHubSpot && info.hs)
          CheckPicklistValue(info.hs_obj, info.hs, el.value.value, el.value.range, f);
        if (el.dir == ast::Direction::kToSalesforce && info.sf)
          CheckPicklistValue(info.sf_obj, info.sf, el.value.value, el.value.range, f);
      }
    }
  }
  // Coverage: every active source value needs a pair or an else.
  auto coverage = [&](const Object* o, const Field* fl, const std::map<std::string, bool>& listed, bool has_else,
                      ast::Direction dir) {
    if (!fl || !fl->is_picklist || fl->values.empty() || has_else) return;
    if (d.dir != ast::Direction::kBoth && d.dir != dir) return;
    std::vector<std::string> missing;
    for (const auto& v : fl->values)
      if (v.active && !listed.count(v.value)) missing.push_back(v.value);
    if (missing.empty()) return;
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 8; ++i) list += (i ? ", " : "") + Q(missing[i]);
    if (missing.size() > 8) list += ", ... (" + std::to_string(missing.size() - 8) + " more)";
    auto& diag = Report(DiagCode::kPicklistCoverage, f, d.name.range,
                        std::to_string(missing.size()) + " active value" + (missing.size() == 1 ? "" : "s") + " of " +
                            FieldName(o, fl) + " " + (missing.size() == 1 ? "has" : "have") + " no mapping in " +
                            d.name.text + ": " + list);
    diag.notes.push_back(accord::Note{std::string("add pairs or `else ") + std::string(ast::DirectionToken(dir)) +
                                          " reject` / a default value to decide what happens to them",
                                      nullptr,
                                      {}});
  };
  coverage(info.sf_obj, info.sf, sf_listed, else_hs, ast::Direction::kToHubSpot);
  coverage(info.hs_obj, info.hs, hs_listed, else_sf, ast::Direction::kToSalesforce);
}

void Checker::CheckAssociations() {
  for (auto [as, si] : associations_) {
    const ast::File* f = si->file;
    if (!si->salesforce) continue;
    const Field* fl = ResolveField(si->salesforce, as->sf_field, f);
    if (!fl) continue;
    if (fl->reference_to.empty()) {
      Report(DiagCode::kNotAReference, f, as->sf_field.range,
             FieldName(si->salesforce, fl) + " is not a reference (lookup) field, so there is nothing to associate");
      continue;
    }
    const SyncInfo* parent = nullptr;
    for (const auto& other : m_.syncs) {
      if (!other.hubspot || !other.salesforce) continue;
      if (other.hubspot->name != as->hs_object.text) continue;
      if (std::find(fl->reference_to.begin(), fl->reference_to.end(), other.salesforce->name) != fl->reference_to.end())
        parent = &other;
    }
    if (!parent) {
      std::string targets;
      for (size_t i = 0; i < fl->reference_to.size() && i < 4; ++i)
        targets += (i ? " or " : "") + std::string("salesforce.") + fl->reference_to[i];
      auto& diag = Report(DiagCode::kAssociationNotSynced, f, as->hs_object.range,
                          "no sync links " + targets + " with hubspot." + as->hs_object.text +
                              ", so the association has no linked parent to point to");
      diag.notes.push_back(accord::Note{"add a sync such as `sync accounts: salesforce." + fl->reference_to[0] +
                                            " <-> hubspot." + as->hs_object.text + " { ... }`",
                                        nullptr,
                                        {}});
    }
  }
}

// A stage name must be an option of the lifecycle property. Returns false
// (after A0601) when it is not; a suggested correction goes into *suggested.
bool Checker::CheckStage(const Object* o, const Field* prop, const ast::Stage& st, const ast::File* f,
                         std::set<std::string>* suggested) {
  if (prop->FindValue(st.name)) return CheckPicklistValue(o, prop, st.name, st.range, f);  // inactive: A0402
  auto& d = Report(DiagCode::kUnknownStage, f, st.range, Q(st.name) + " is not a stage of " + FieldName(o, prop));
  std::vector<std::string> cands;
  for (const auto& v : prop->values)
    if (v.active) cands.push_back(v.value);
  Suggest(d, st.name, cands, "stages of " + FieldName(o, prop));
  if (d.fixit) {
    suggested->insert(*d.fixit);
    if (st.quoted) d.fixit = Q(*d.fixit);
  }
  return false;
}

void Checker::CheckLifecycle(const ast::LifecycleDecl& d, const ast::File* f) {
  const Object* o = nullptr;
  const Field* prop = ResolvePath(d.property, f, &o);
  if (!prop) return;
  if (o->system != schema::System::kHubSpot) {
    Report(DiagCode::kBadLifecycle, f, d.property.range,
           "a lifecycle is a HubSpot property (such as hubspot.contacts.lifecyclestage) driven by Salesforce "
           "triggers; " +
               FieldName(o, prop) + " is a Salesforce field");
    return;
  }
  if (!prop->is_picklist || prop->type != schema::FieldType::kString) {
    Report(DiagCode::kBadLifecycle, f, d.property.range,
           FieldName(o, prop) + " is not a single-select picklist, so it cannot be a lifecycle");
    return;
  }
  auto option_index = [&](const std::string& v) -> int {
    for (size_t i = 0; i < prop->values.size(); ++i)
      if (prop->values[i].value == v) return static_cast<int>(i);
    return -1;
  };
  std::vector<std::string> order;
  std::map<std::string, int> rank;
  bool forward_only = false;
  const ast::StageOrder* order_decl = nullptr;
  std::set<std::string> suggested;  // corrections offered for misspelled stages
  for (const auto& item : d.items) {
    if (auto* so = std::get_if<ast::StageOrder>(&item)) {
      if (order_decl) {
        Report(DiagCode::kDuplicatePolicy, f, so->range, "this lifecycle already has an order");
        continue;
      }
      order_decl = so;
      int last = -1;
      const ast::Stage* last_stage = nullptr;
      for (const auto& st : so->stages) {
        if (!CheckStage(o, prop, st, f, &suggested)) continue;
        if (rank.count(st.name)) {
          Report(DiagCode::kBadLifecycle, f, st.range, "stage " + Q(st.name) + " appears twice in the order");
          continue;
        }
        rank[st.name] = static_cast<int>(order.size());
        order.push_back(st.name);
        int idx = option_index(st.name);
        if (idx < last && last_stage) {
          auto& diag = Report(DiagCode::kStageOrder, f, st.range,
                              Q(st.name) + " comes before " + Q(last_stage->name) + " in the options of " +
                                  FieldName(o, prop) + ", but after it here");
          diag.notes.push_back(
              accord::Note{"order the stages as the property does, or reorder the property's "
                           "options first",
                           nullptr,
                           {}});
        }
        last = std::max(last, idx);
        last_stage = &st;
      }
    } else if (std::get_if<ast::ForwardOnly>(&item)) {
      forward_only = true;
    }
  }
  if (order_decl) {
    // A stage left out because it was misspelled already has its A0601.
    std::vector<std::string> missing;
    for (const auto& v : prop->values)
      if (v.active && !rank.count(v.value) && !suggested.count(v.value)) missing.push_back(v.value);
    if (!missing.empty()) {
      std::string list;
      for (size_t i = 0; i < missing.size(); ++i) list += (i ? ", " : "") + Q(missing[i]);
      Report(DiagCode::kUnreachableStage, f, order_decl->range,
             (missing.size() == 1 ? "stage " + list + " of " + FieldName(o, prop) + " is"
                                  : "stages " + list + " of " + FieldName(o, prop) + " are") +
                 " not in the order, so no trigger can move a record there");
    }
  } else {
    Report(DiagCode::kBadLifecycle, f, d.property.range, "a lifecycle needs an `order` of its stages, lowest first");
  }
  // Records created through a sync only when they have reached a stage are at
  // least at that stage: a trigger to a lower stage would move them back.
  std::map<std::tuple<std::string, std::string, int, std::string>, const ast::Trigger*> trigger_on;
  for (const auto& item : d.items) {
    auto* t = std::get_if<ast::Trigger>(&item);
    if (!t) continue;
    // One change, one stage: two triggers on the same value that name different stages
    // leave the outcome to an ordering rule, not to the author.
    auto key =
        std::make_tuple(t->field.object.text, t->field.field.text, static_cast<int>(t->value.kind), t->value.value);
    if (auto [prev, fresh] = trigger_on.emplace(key, t); !fresh) {
      auto targets = [](const ast::Trigger& tr) {
        return (tr.for_object ? tr.for_object->text : "") + "/" + (tr.of_field ? tr.of_field->text : "");
      };
      bool same_targets = targets(*t) == targets(*prev->second);
      if (same_targets) {
        auto& diag = prev->second->stage.name == t->stage.name
                         ? Report(DiagCode::kDuplicatePolicy, f, t->range, "this trigger is given twice")
                         : Report(DiagCode::kBadLifecycle, f, t->stage.range,
                                  "salesforce." + t->field.object.text + "." + t->field.field.text + " becoming " +
                                      t->value.text + " already moves records to " + Q(prev->second->stage.name) +
                                      "; a second trigger on the same value contradicts it");
        AddNote(diag, f, prev->second->range, "the other trigger is here");
        continue;
      }
    }
    const Object* src_obj = nullptr;
    const Field* src = ResolvePath(t->field, f, &src_obj);
    if (src) {
      if (t->value.kind == ast::LiteralKind::kString) {
        if (src->is_picklist)
          CheckPicklistValue(src_obj, src, t->value.value, t->value.range, f, /*written=*/false);
        else if (!FromField(src->type).Is(TypeKind::kString))
          Report(DiagCode::kExprTypeMismatch, f, t->value.range,
                 FieldName(src_obj, src) + " is " + FromField(src->type).ToString() + ", not a string");
      } else if (t->value.kind == ast::LiteralKind::kBool && !FromField(src->type).Is(TypeKind::kBool)) {
        Report(DiagCode::kExprTypeMismatch, f, t->value.range,
               FieldName(src_obj, src) + " is " + FromField(src->type).ToString() + ", not a bool");
      }
    }
    bool stage_ok = CheckStage(o, prop, t->stage, f, &suggested);
    if (stage_ok && order_decl && !rank.count(t->stage.name)) {
      Report(DiagCode::kUnknownStage, f, t->stage.range, "stage " + Q(t->stage.name) + " is not in the order");
      continue;
    }
    if (!stage_ok) continue;
    // Where the trigger lands: the linked record, or records of an association.
    if (src_obj) {
      if (t->for_object) {
        if (t->for_object->text != o->name) {
          Report(DiagCode::kBadLifecycle, f, t->for_object->range,
                 "this lifecycle is on hubspot." + o->name + ", so triggers can only target " + o->name);
        }
        const Field* ref = ResolveField(src_obj, *t->of_field, f);
        if (ref && ref->reference_to.empty())
          Report(DiagCode::kNotAReference, f, t->of_field->range,
                 FieldName(src_obj, ref) + " is not a reference field; `of` needs a lookup such as AccountId");
      } else {
        bool linked = false;
        for (const auto& s : m_.syncs) linked |= s.salesforce == src_obj && s.hubspot == o;
        if (!linked && src_obj->system == schema::System::kSalesforce) {
          Report(DiagCode::kBadLifecycle, f, t->field.range,
                 "no sync links salesforce." + src_obj->name + " with hubspot." + o->name +
                     ", so this trigger has no record to update; add `for " + o->name + " of <LookupField>`");
        }
      }
    }
    if (!forward_only || !rank.count(t->stage.name)) continue;
    int target_rank = rank[t->stage.name];
    if (target_rank == 0) {
      Report(DiagCode::kBackwardTrigger, f, t->stage.range,
             Q(t->stage.name) +
                 " is the lowest stage: under `forward only` this trigger can only set records "
                 "that have no stage yet");
      continue;
    }
    for (const auto& s : m_.syncs) {
      if (s.salesforce != src_obj || s.hubspot != o) continue;
      for (const auto& item2 : s.decl->items) {
        auto* c = std::get_if<ast::CreateRule>(&item2);
        if (!c || c->side != Side::kSalesforce || !c->when) continue;
        auto floor = StageFloor(*c->when, prop->name);
        if (!floor || !rank.count(*floor)) continue;
        if (rank[*floor] > target_rank) {
          auto& diag = Report(DiagCode::kBackwardTrigger, f, t->stage.range,
                              "records of sync " + s.decl->name.text + " are created only at " + Q(*floor) +
                                  " or later, so moving them to " + Q(t->stage.name) +
                                  " goes backwards and `forward only` will ignore it");
          AddNote(diag, s.file, c->range, "created here");
        }
      }
    }
  }
}

// From `hubspot.lifecyclestage == "x"` (possibly inside &&), the stage x.
std::optional<std::string> Checker::StageFloor(const ast::Expr& e, const std::string& prop) {
  if (e.kind == ast::ExprKind::kBinary && e.binary_op == ast::BinaryOp::And) {
    if (auto a = StageFloor(*e.args[0], prop)) return a;
    return StageFloor(*e.args[1], prop);
  }
  if (e.kind != ast::ExprKind::kBinary || e.binary_op != ast::BinaryOp::Eq) return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    const ast::Expr& a = *e.args[i];
    const ast::Expr& b = *e.args[1 - i];
    bool is_prop =
        (a.kind == ast::ExprKind::kSelect && a.name == prop) || (a.kind == ast::ExprKind::kIdent && a.name == prop);
    if (is_prop && b.kind == ast::ExprKind::kLiteral && b.lit == ast::LiteralKind::kString) return b.string_value;
  }
  return std::nullopt;
}

void Checker::CheckTest(const ast::TestDecl& d, const ast::File* f) {
  bool has_given = false, has_expect = false;
  for (const auto& item : d.items) {
    if (auto* g = std::get_if<ast::Given>(&item)) {
      has_given = true;
      CheckRecord(g->object, g->record, f, /*written=*/false);
    } else if (auto* e = std::get_if<ast::ExpectRecord>(&item)) {
      has_expect = true;
      CheckRecord(e->object, e->record, f, /*written=*/true);
    } else if (auto* er = std::get_if<ast::ExpectError>(&item)) {
      has_expect = true;
      const auto& cats = ErrorCategories();
      if (std::find(cats.begin(), cats.end(), er->category.text) == cats.end()) {
        auto& diag =
            Report(DiagCode::kBadTest, f, er->category.range, "unknown error category " + Q(er->category.text));
        Suggest(diag, er->category.text, cats, "categories");
      }
    } else if (std::get_if<ast::ExpectNothing>(&item)) {
      has_expect = true;
    }
  }
  if (!has_given || !has_expect)
    Report(DiagCode::kBadTest, f, d.name_range,
           "test " + Q(d.name) + " needs at least one `given` record and one `expect`");
}

// `written`: an expected record (what the sync writes) rather than a given one
// (which may carry values the org has since retired).
void Checker::CheckRecord(const ast::ObjectRef& ref, const ast::RecordLit& rec, const ast::File* f, bool written) {
  const Object* o = ResolveObject(ref, f);
  if (!o) return;
  bool synced = false;
  for (const auto& s : m_.syncs) synced |= s.salesforce == o || s.hubspot == o;
  if (!synced) {
    Report(DiagCode::kBadTest, f, ref.range,
           std::string(schema::SystemName(o->system)) + "." + o->name + " is not synced by any sync in these rules");
  }
  std::set<std::string> seen;
  for (const auto& fld : rec.fields) {
    const Field* fl = ResolveField(o, fld.field, f);
    // No names are in scope in a test record: a field name there is a value the author
    // meant to copy from another field, which a test cannot do.
    if (const ast::Expr* id = AsField(fld.value.get())) {
      // this record's object first, then the objects synced with it
      const Object* owner = o->FindField(id->name) ? o : nullptr;
      for (const auto& s : m_.syncs) {
        if (owner) break;
        const Object* other = s.salesforce == o ? s.hubspot : s.hubspot == o ? s.salesforce : nullptr;
        if (other && other->FindField(id->name)) owner = other;
      }
      if (owner) {
        Report(DiagCode::kBadTest, f, id->range,
               "a test record holds values, not field references: " + Q(id->name) + " is a field of " +
                   std::string(schema::SystemName(owner->system)) + "." + owner->name + "; write the value itself");
        continue;
      }
    }
    Scope sc;
    Type t = Expr(*fld.value, sc, f);
    if (!fl) continue;
    if (!seen.insert(fl->name).second) {
      Report(DiagCode::kBadTest, f, fld.field.range, fl->name + " is given twice in this record");
    }
    CheckFit(FromField(fl->type), t, o, fl, fld.value->range, f, "this value");
    if (fld.value->kind == ast::ExprKind::kLiteral && fld.value->lit == ast::LiteralKind::kString)
      CheckPicklistValue(o, fl, fld.value->string_value, fld.value->range, f, written);
  }
}

}  // namespace detail

Model Check(const CheckInput& input, DiagSink& sink) {
  Model m;
  detail::Checker c(input, sink, m);
  c.Run();
  CheckRuleMistakes(input, m, sink);
  return m;
}

Type CheckExpression(const ast::Expr& expr, const ast::File& file, const ExprEnv& env, Model& model, DiagSink& sink) {
  CheckInput in;
  in.files.push_back(&file);
  detail::ExprChecker c(in, sink, model);
  return c.Standalone(expr, file, env);
}

}  // namespace accord::sema
