// The SOQL subset the Salesforce emulator answers, and the same condition
// language for the seed's validation rules, duplicate rules and field updates.
//
//   SELECT COUNT() | field [, field...] FROM Object
//     [WHERE cond] [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]
//   cond: comparison | NOT cond | (cond) | cond AND cond ... | cond OR cond ...
//         (AND and OR never mix without parentheses, as in SOQL)
//   comparison: field = != <> < <= > >= LIKE value | field [NOT] IN (values)
//               | field INCLUDES|EXCLUDES (values)
//   value: 'string' | number | true | false | null | 2024-01-31 | 2024-01-31T10:00:00Z
//          | TODAY | YESTERDAY | TOMORROW | LAST_N_DAYS:n | NEXT_N_DAYS:n
//
// Keywords and field names are case-insensitive; string comparisons too, as in
// Salesforce. Errors carry Salesforce's error code and its message layout (the
// query, a caret line, "ERROR at Row:r:Column:c", the reason).
// Not supported: relationship paths (Account.Name), sub-queries, aggregates
// other than COUNT(), GROUP BY, FOR UPDATE, bind variables.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/schema/schema.h"
#include "sandbox/common.h"

namespace accord::sandbox::soql {

struct Error {
  std::string code;  // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, NUMBER_OUTSIDE_VALID_RANGE
  std::string message;
};

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kIn, kNotIn, kIncludes, kExcludes };

struct Literal {
  enum class Kind { kNull, kString, kNumber, kBool, kDate, kDateTime, kRelativeDate };
  Kind kind = Kind::kNull;
  std::string text;  // the decoded string, or the literal as written
  double number = 0;
  bool boolean = false;
  int64_t ms = 0;                          // kDate / kDateTime; kRelativeDate after Bind: range start
  int64_t range_end_ms = 0;                // kRelativeDate after Bind: range end (exclusive)
  int relative_from = 0, relative_to = 0;  // kRelativeDate: day offsets from today, [from, to)
  int line = 1, column = 1;
};

struct Cond {
  enum class Kind { kAnd, kOr, kNot, kCompare };
  Kind kind = Kind::kCompare;
  std::vector<std::unique_ptr<Cond>> children;
  // kCompare
  std::string field;  // as written; the canonical name after Bind
  const schema::Field* bound = nullptr;
  Op op = Op::kEq;
  std::vector<Literal> values;  // one, or the list of IN / INCLUDES
  int line = 1, column = 1;
};

struct FieldRef {
  std::string name;  // as written; canonical after Bind
  const schema::Field* bound = nullptr;
  int line = 1, column = 1;
};

struct OrderItem {
  FieldRef field;
  bool descending = false;
  bool nulls_last = false;
};

struct Query {
  std::string text;
  bool count = false;  // SELECT COUNT()
  std::vector<FieldRef> select;
  FieldRef object;
  std::unique_ptr<Cond> where;
  std::vector<OrderItem> order_by;
  std::optional<int64_t> limit, offset;
};

// Parses a query. Never throws; false with *error set on failure.
bool ParseQuery(std::string_view text, Query* query, Error* error);
// Parses a bare condition (validation rules, duplicate rules, field updates).
std::unique_ptr<Cond> ParseCondition(std::string_view text, Error* error);
// Resolves field names against the object (case-insensitive, canonical names
// afterwards), checks each value against its field's type and fixes relative
// dates against now_ms. `query_text` is used for the error layout.
bool BindCondition(const schema::Object& object, std::string_view query_text, int64_t now_ms, Cond* cond, Error* error);
bool BindQuery(const schema::Object& object, int64_t now_ms, Query* query, Error* error);

// Evaluates a bound condition on a record: a JSON object keyed by canonical
// field names, a missing key being null.
bool Matches(const Cond& cond, const Json& record);
// ORDER BY comparison of two records (<0, 0, >0).
int CompareRecords(const std::vector<OrderItem>& order, const Json& a, const Json& b);

}  // namespace accord::sandbox::soql
