// The Accord AST: what the parser produces and every later phase reads.
// It owns no ANTLR types. Every node carries a byte Range into its file.
// Expressions are CEL; macros (has, all, exists, exists_one, map, filter)
// stay calls here and are recognised by the checker.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "compiler/diag/diagnostic.h"

namespace accord::ast {

enum class Side { kSalesforce, kHubSpot };
std::string_view SideName(Side s);  // "salesforce" / "hubspot"
inline Side Other(Side s) { return s == Side::kSalesforce ? Side::kHubSpot : Side::kSalesforce; }

// Field-rule and sync direction, always read with Salesforce on the left.
enum class Direction { kBoth, kToHubSpot, kToSalesforce };
std::string_view DirectionToken(Direction d);  // "<->", "->", "<-"
inline bool Flows(Direction d, Side to) {
  return d == Direction::kBoth || (to == Side::kHubSpot ? d == Direction::kToHubSpot : d == Direction::kToSalesforce);
}

struct Name {
  std::string text;
  Range range;
};

// ---- expressions -------------------------------------------------------------

// An X-macro list keeps its hand layout.
// clang-format off
#define ACCORD_EXPR_KINDS(X) \
  X(Literal) X(Ident) X(Select) X(Call) X(Index) X(List) X(Map) X(Unary) X(Binary) X(Conditional)
// clang-format on

enum class ExprKind {
#define X(name) k##name,
  ACCORD_EXPR_KINDS(X)
#undef X
};
std::string_view ExprKindName(ExprKind k);

enum class LiteralKind { kInt, kUint, kDouble, kString, kBytes, kBool, kNull };

// An X-macro list keeps its hand layout.
// clang-format off
#define ACCORD_BINARY_OPS(X)                                                  \
  X(Or, "||", 1) X(And, "&&", 2) X(Lt, "<", 3) X(Le, "<=", 3) X(Gt, ">", 3) \
  X(Ge, ">=", 3) X(Eq, "==", 3) X(Ne, "!=", 3) X(In, "in", 3) X(Add, "+", 4) \
  X(Sub, "-", 4) X(Mul, "*", 5) X(Div, "/", 5) X(Mod, "%", 5)
// clang-format on

enum class BinaryOp {
#define X(name, tok, prec) name,
  ACCORD_BINARY_OPS(X)
#undef X
};
std::string_view BinaryOpToken(BinaryOp op);
int BinaryOpPrecedence(BinaryOp op);  // higher binds tighter; ?: is 0

enum class UnaryOp { kNot, kNeg };

struct Expr;
struct File;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  Range range;
  uint32_t id = 0;  // unique within a file; checker side tables key on it
  int parens = 0;   // how many parentheses the author wrapped it in

  // Literal
  LiteralKind lit = LiteralKind::kNull;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double double_value = 0;
  bool bool_value = false;
  std::string string_value;  // decoded string / bytes contents
  std::string text;          // the literal exactly as written (formatter keeps it)

  // Ident (name), Select (operand + name), Call (name, optional operand = receiver, args)
  std::string name;
  Range name_range;
  bool leading_dot = false;
  bool call_has_parens = false;

  // Unary / Binary
  UnaryOp unary_op = UnaryOp::kNot;
  BinaryOp binary_op = BinaryOp::Add;

  // Children. Select/Index/Unary/receiver call: operand.
  // Call args; List elements; Map: key0, value0, key1, value1...;
  // Binary: lhs, rhs; Index: index; Conditional: cond, then, else.
  ExprPtr operand;
  std::vector<ExprPtr> args;

  Expr() = default;
  Expr(Expr&&) = default;
  Expr& operator=(Expr&&) = default;
  // Frees the subtree with a loop, not recursion: no input can make
  // destroying an AST overflow the stack.
  ~Expr();
};

ExprPtr MakeExpr(ExprKind kind, Range range);
// Nodes on the longest root-to-leaf path (a leaf is 1). Iterative. The parser
// keeps every expression within ParseOptions::max_nesting of this measure.
int ExprDepth(const Expr& e);
// The largest ExprDepth of any expression in the file.
int MaxExprDepth(const File& f);

// ---- declarations ------------------------------------------------------------

struct ObjectRef {
  Side side = Side::kSalesforce;
  Name object;
  Range range;
};

struct FieldPath {
  Side side = Side::kSalesforce;
  Name object;
  Name field;
  Range range;
};

struct SchemaDecl {
  Side side = Side::kSalesforce;
  std::string path;
  Range path_range;
  Range range;
};

// A literal used as a picklist value or trigger value.
struct ValueLit {
  LiteralKind kind = LiteralKind::kString;
  std::string value;  // decoded string, or the number/bool text
  std::string text;   // as written
  Range range;
};

struct ValuePair {
  ValueLit salesforce;
  ValueLit hubspot;
  Direction dir = Direction::kBoth;
  Range range;
};

enum class ElseKind { kValue, kReject, kKeep };
struct ValueElse {
  Direction dir = Direction::kToHubSpot;  // kToHubSpot: unlisted Salesforce values
  ElseKind kind = ElseKind::kReject;
  ValueLit value;  // for kValue
  Range range;
};

using ValueEntry = std::variant<ValuePair, ValueElse>;

struct ValuesDecl {
  Name name;
  FieldPath left, right;
  Direction dir = Direction::kBoth;
  std::vector<ValueEntry> entries;
  Range range;
};

enum class ConflictKind { kTwoWay, kPrefer, kPreferUnlessBlank, kDontSync };
struct ConflictPolicy {
  ConflictKind kind = ConflictKind::kTwoWay;
  Side side = Side::kSalesforce;  // for kPrefer*
  Range range;
};

enum class BlankKind { kIgnore, kClear, kDefault };
struct BlankPolicy {
  BlankKind kind = BlankKind::kIgnore;
  ExprPtr default_value;  // for kDefault
  Range range;
};

struct MatchRule {
  bool explicit_fields = false;
  Name key;                 // email | domain | link (when !explicit_fields)
  Name sf_field, hs_field;  // when explicit_fields
  Range range;
};
struct ScopeRule {
  Side side = Side::kSalesforce;
  ExprPtr condition;
  Range range;
};
struct CreateRule {
  Side side = Side::kHubSpot;  // the side that receives new records
  bool only = false;
  ExprPtr when;  // may be null
  Range range;
};
struct ConflictDefault {
  ConflictPolicy policy;
  Range range;
};
struct BlankDefault {
  BlankPolicy policy;
  Range range;
};
struct ConvertsTo {
  Name sync;
  Range range;
};
struct Assignment {
  Name field;
  ExprPtr value;
  Range range;
};
struct OnCreate {
  Side side = Side::kSalesforce;  // the side whose new records get these values
  std::vector<Assignment> assignments;
  Range range;
};
struct Associate {
  Name sf_field;  // a reference field on the Salesforce object
  Direction dir = Direction::kBoth;
  Name hs_object;  // a HubSpot object type
  Range range;
};
enum class DeleteKind { kKeep, kPropagate, kUnlink };
struct DeleteRule {
  DeleteKind kind = DeleteKind::kKeep;
  std::optional<Side> from;
  Range range;
};
struct DirectedTransform {
  Side to = Side::kHubSpot;
  ExprPtr expr;
  Range range;
};
struct FieldRule {
  ExprPtr salesforce;  // left side: a field name or a computed expression
  ExprPtr hubspot;     // right side
  Direction dir = Direction::kBoth;
  Range arrow_range;
  ExprPtr with;  // `with` transform, `_` is the value
  std::optional<Name> via;
  std::optional<ConflictPolicy> conflict;
  std::optional<BlankPolicy> blank;
  std::vector<DirectedTransform> transforms;  // { to hubspot: ... to salesforce: ... }
  Range range;
};

using SyncItem = std::variant<MatchRule, ScopeRule, CreateRule, ConflictDefault, BlankDefault, ConvertsTo, OnCreate,
                              Associate, DeleteRule, FieldRule>;

struct SyncDecl {
  Name name;
  ObjectRef left, right;
  Direction dir = Direction::kBoth;
  std::vector<SyncItem> items;
  Range range;
};

struct Stage {
  std::string name;
  bool quoted = false;
  Range range;
};
struct StageOrder {
  std::vector<Stage> stages;
  Range range;
};
struct ForwardOnly {
  Range range;
};
struct Trigger {
  FieldPath field;
  ValueLit value;
  Stage stage;
  std::optional<Name> for_object;  // `for contacts of AccountId`
  std::optional<Name> of_field;
  Range range;
};
using LifecycleItem = std::variant<StageOrder, ForwardOnly, Trigger>;

struct LifecycleDecl {
  FieldPath property;
  std::vector<LifecycleItem> items;
  Range range;
};

struct RecordField {
  Name field;
  ExprPtr value;
  Range range;
};
struct RecordLit {
  std::vector<RecordField> fields;
  Range range;
};
struct Given {
  bool linked = false;
  ObjectRef object;
  std::optional<std::string> id;
  Range id_range;
  RecordLit record;
  Range range;
};
struct ExpectRecord {
  ObjectRef object;
  RecordLit record;
  Range range;
};
struct ExpectNothing {
  Range range;
};
struct ExpectError {
  Name category;
  Range range;
};
using TestItem = std::variant<Given, ExpectRecord, ExpectNothing, ExpectError>;

struct TestDecl {
  std::string name;
  Range name_range;
  std::vector<TestItem> items;
  Range range;
};

using Decl = std::variant<SchemaDecl, ValuesDecl, SyncDecl, LifecycleDecl, TestDecl>;

struct Comment {
  Range range;
  std::string text;  // including the // or /* */ markers
};

struct File {
  const SourceFile* source = nullptr;
  std::vector<Decl> decls;
  std::vector<Comment> comments;
  uint32_t expr_count = 0;  // ids are 1..expr_count
};

// Structural equality ignoring ranges, ids and comments: used to test that
// the formatter preserves meaning.
bool SameAst(const File& a, const File& b, std::string* why = nullptr);
// Canonical text: "prefer salesforce unless blank", "hubspot.contacts.email".
std::string ConflictPolicyText(const ConflictPolicy& c);
std::string FieldPathText(const FieldPath& p);
// A stable s-expression dump (tests, `accord compile --emit ast`).
std::string Dump(const File& f);
std::string DumpExpr(const Expr& e);

}  // namespace accord::ast
