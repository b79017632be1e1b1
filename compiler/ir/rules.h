// The lowered rule set, as the sync engine reads it: per sync, the mapping
// programs (lower.h makes them) and the sync-level rules — field rules with
// their conflict policies, match, create, delete, converts, associations —
// and the lifecycles, resolved against the schemas into plain structs
// (field names to slots, policies to enums). Nothing here needs the AST, so
// runtime/sync includes this and not compiler/ast (ARCHITECTURE.md, "Layers").
// Index 0 is Salesforce, 1 HubSpot, wherever a pair holds one per side.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/ir.h"
#include "compiler/schema/schema.h"

namespace accord::ast {
// Declared in compiler/ast/ast.h; here only as the lowering's and the CLI's handle
// (`accord map --to`). The engine uses schema::System.
enum class Side;
}  // namespace accord::ast

namespace accord::ir {

// The marker a mapping program stores for "write nothing" (blank ignore).
extern const char* const kSkipMarker;
inline bool IsSkip(const rt::Value& v) { return v.is(rt::Kind::kType) && v.type_name() == kSkipMarker; }

// One field a mapping program writes.
struct OutField {
  const schema::Field* field = nullptr;  // target field
  uint32_t target_slot = 0;              // index in the target object's fields
  std::string rule;                      // "file:line:col" of the field rule
  int64_t rule_begin = -1;               // its byte offset in the sync's file (-1 for `on create` defaults)
};

// Records are passed as records[0] = Salesforce slots, records[1] = HubSpot
// slots (index = schema field order). A mapping program returns true when the
// source record is in scope, false when a scope excludes it, or an error; it
// writes out[k] for every OutField k: a value, null (clear), the skip marker
// (nothing to write) or an error value for that field's rule.
struct Mapping {
  ast::Side from{}, to{};  // always set by the lowering
  const schema::Object* source = nullptr;
  const schema::Object* target = nullptr;
  Program program;
  std::vector<OutField> outs;
};

// ---- the sync-level rules ----

enum class ConflictKind { kTwoWay, kPrefer, kPreferUnlessBlank, kDontSync };
struct ConflictPolicy {
  ConflictKind kind = ConflictKind::kTwoWay;
  schema::System side = schema::System::kSalesforce;  // the preferred side, for kPrefer*
};

// A field rule that flows at least one way, as the reconcile compares it.
struct FieldRulePlan {
  std::string key;         // the shadow key "<sf>|<hs>": each side's field name, "=<byte offset>" when computed
  int slot[2] = {-1, -1};  // the plain field each side reads (-1: computed)
  int out[2] = {-1, -1};   // its output in the mapping toward side i (-1: it does not flow there)
  ConflictPolicy policy;   // its own `conflict`, else the sync's default
  std::string loc;         // file:line:col
};

enum class DeleteKind { kKeep, kPropagate, kUnlink };
enum class Direction { kBoth, kToHubSpot, kToSalesforce };

// `associate SfField <-> hs_object`.
struct AssociationPlan {
  std::string sf_field;       // as written
  int sf_slot = -1;           // -1: no such field
  std::string parent_object;  // the Salesforce object the reference points to ("": unknown)
  std::string hs_object;      // the HubSpot object type
  Direction dir = Direction::kBoth;
};

// `create in <side> [only] [when ...]` (the condition is CompiledSync::CreateWhen).
struct CreatePlan {
  bool declared = false;
  bool only = false;
};

struct SyncRules {
  std::vector<FieldRulePlan> fields;  // in declaration order
  std::string match;                  // email | domain | link | fields ("": none)
  int match_slot[2] = {-1, -1};       // the match key's field per side
  int extid_slot[2] = {-1, -1};       // the field of side i a rule maps the other side's record id into
  CreatePlan create[2];               // the side that receives new records
  // the delete policy when side i's record is deleted (`delete K` sets both, `delete K from S` one)
  DeleteKind del[2] = {DeleteKind::kKeep, DeleteKind::kKeep};
  std::string converts_to;  // `converts to <sync>`
  std::vector<AssociationPlan> associations;
};

struct CompiledSync {
  std::string name;
  const schema::Object* salesforce = nullptr;
  const schema::Object* hubspot = nullptr;
  std::unique_ptr<Mapping> to_hubspot, to_salesforce;          // null when the sync does not flow that way
  std::unique_ptr<Mapping> create_hubspot, create_salesforce;  // `on create` defaults
  // The scope filter of each side, on that side's record (records[0] = Salesforce,
  // records[1] = HubSpot); null when the side has none. Returns a bool or an error.
  std::unique_ptr<Program> scope_salesforce, scope_hubspot;
  // `create in X when COND`: COND over the source record; null = no condition.
  std::unique_ptr<Program> create_when_salesforce, create_when_hubspot;
  SyncRules rules;
  const Program* Scope(ast::Side s) const;
  const Program* CreateWhen(ast::Side in) const;
  const Mapping* Toward(ast::Side to) const;
};

struct CompiledRules {
  std::vector<CompiledSync> syncs;
  const CompiledSync* Find(std::string_view name) const;
};

// `lifecycle <side>.<object>.<field> { ... }`, resolved.
struct TriggerPlan {
  schema::System side = schema::System::kSalesforce;  // `when <side>.O.F becomes V then stage`
  std::string object, field;
  std::string value;       // V
  std::string value_text;  // V as written
  std::string stage;
  bool for_object = false;              // `for contacts of F`
  std::optional<std::string> of_field;  // F
};
struct LifecyclePlan {
  const schema::Object* object = nullptr;  // the property's object
  int slot = -1;                           // the property
  std::vector<std::string> order;          // the stages, lowest first
  bool forward_only = false;
  std::vector<TriggerPlan> triggers;  // in declaration order
};

}  // namespace accord::ir
