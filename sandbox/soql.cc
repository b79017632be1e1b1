#include "sandbox/soql.h"

#include <cmath>
#include <cstdlib>

namespace accord::sandbox::soql {

namespace {

// ---------------------------------------------------------------- errors

std::string Layout(std::string_view text, int line, int column, std::string_view reason) {
  std::string_view row = text;
  for (int l = 1; l < line; ++l) {
    size_t nl = row.find('\n');
    if (nl == std::string_view::npos) break;
    row = row.substr(nl + 1);
  }
  row = row.substr(0, row.find('\n'));
  std::string out = "\n";
  out += row;
  out += "\n";
  out += std::string(column > 1 ? column - 1 : 0, ' ');
  out += "^\nERROR at Row:" + std::to_string(line) + ":Column:" + std::to_string(column) + "\n";
  out += reason;
  return out;
}

// ---------------------------------------------------------------- lexer

struct Token {
  enum class Kind { kIdent, kString, kNumberLike, kPunct, kEnd, kBad };
  Kind kind = Kind::kEnd;
  std::string text;
  int line = 1, column = 1;
};

bool IsIdentStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::vector<Token> Lex(std::string_view s) {
  std::vector<Token> out;
  int line = 1, col = 1;
  size_t i = 0;
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && i < s.size(); ++k, ++i) {
      if (s[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      advance(1);
      continue;
    }
    Token t;
    t.line = line;
    t.column = col;
    if (IsIdentStart(c)) {
      size_t j = i;
      while (j < s.size() && (IsIdentStart(s[j]) || IsDigit(s[j]) || s[j] == '.' || s[j] == ':')) ++j;
      t.kind = Token::Kind::kIdent;
      t.text = std::string(s.substr(i, j - i));
      advance(j - i);
    } else if (IsDigit(c) || (c == '-' && i + 1 < s.size() && IsDigit(s[i + 1]))) {
      size_t j = i + 1;
      while (j < s.size() &&
             (IsDigit(s[j]) || IsIdentStart(s[j]) || s[j] == '.' || s[j] == ':' || s[j] == '-' || s[j] == '+'))
        ++j;
      t.kind = Token::Kind::kNumberLike;
      t.text = std::string(s.substr(i, j - i));
      advance(j - i);
    } else if (c == '\'') {
      std::string v;
      size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        char d = s[j];
        if (d == '\\' && j + 1 < s.size()) {
          char e = s[j + 1];
          switch (e) {
            case 'n':
              v += '\n';
              break;
            case 't':
              v += '\t';
              break;
            case 'r':
              v += '\r';
              break;
            case 'b':
              v += '\b';
              break;
            case 'f':
              v += '\f';
              break;
            case '%':
              v += "\\%";
              break;  // kept escaped for LIKE
            case '_':
              v += "\\_";
              break;
            default:
              v += e;
          }
          j += 2;
          continue;
        }
        if (d == '\'') {
          closed = true;
          ++j;
          break;
        }
        v += d;
        ++j;
      }
      t.kind = closed ? Token::Kind::kString : Token::Kind::kBad;
      t.text = closed ? v : "'";
      advance(j - i);
    } else {
      static const char* kPuncts[] = {"!=", "<>", "<=", ">=", "(", ")", ",", "=", "<", ">"};
      bool found = false;
      for (const char* p : kPuncts) {
        std::string_view pv(p);
        if (s.substr(i, pv.size()) == pv) {
          t.kind = Token::Kind::kPunct;
          t.text = std::string(pv);
          advance(pv.size());
          found = true;
          break;
        }
      }
      if (!found) {
        t.kind = Token::Kind::kBad;
        t.text = std::string(1, c);
        advance(1);
      }
    }
    out.push_back(std::move(t));
    if (out.back().kind == Token::Kind::kBad) break;
  }
  Token end;
  end.kind = Token::Kind::kEnd;
  end.text = "<EOF>";
  end.line = line;
  end.column = col;
  out.push_back(end);
  return out;
}

// ---------------------------------------------------------------- parser

class Parser {
 public:
  Parser(std::string_view text, Error* error) : text_(text), toks_(Lex(text)), error_(error) {}

  bool Query(soql::Query* q) {
    q->text = std::string(text_);
    if (!Keyword("SELECT")) return Fail(Peek());
    if (IsKeyword(Peek(), "COUNT") && toks_[pos_ + 1].text == "(") {
      pos_ += 2;
      if (!Punct(")")) return Fail(Peek());
      q->count = true;
    } else {
      for (;;) {
        FieldRef f;
        if (!Name(&f)) return false;
        q->select.push_back(f);
        if (!Punct(",")) break;
      }
    }
    if (!Keyword("FROM")) return Fail(Peek());
    if (!Name(&q->object)) return false;
    if (Keyword("WHERE")) {
      q->where = Or();
      if (!q->where) return false;
    }
    if (IsKeyword(Peek(), "ORDER")) {
      ++pos_;
      if (!Keyword("BY")) return Fail(Peek());
      for (;;) {
        OrderItem item;
        if (!Name(&item.field)) return false;
        if (Keyword("DESC")) {
          item.descending = true;
        } else {
          Keyword("ASC");
        }
        item.nulls_last = item.descending;
        if (Keyword("NULLS")) {
          if (Keyword("LAST")) {
            item.nulls_last = true;
          } else if (Keyword("FIRST")) {
            item.nulls_last = false;
          } else {
            return Fail(Peek());
          }
        }
        q->order_by.push_back(item);
        if (!Punct(",")) break;
      }
    }
    if (IsKeyword(Peek(), "LIMIT")) {
      ++pos_;
      int64_t n = 0;
      if (!Integer(&n)) return false;
      q->limit = n;
    }
    if (IsKeyword(Peek(), "OFFSET")) {
      ++pos_;
      const Token& t = Peek();
      int64_t n = 0;
      if (!Integer(&n)) return false;
      if (n > 2000) {
        *error_ = {"NUMBER_OUTSIDE_VALID_RANGE",
                   Layout(text_, t.line, t.column, "Maximum SOQL offset allowed is 2000")};
        return false;
      }
      q->offset = n;
    }
    if (Peek().kind != Token::Kind::kEnd) return Fail(Peek());
    return true;
  }

  std::unique_ptr<Cond> Condition() {
    auto c = Or();
    if (c && Peek().kind != Token::Kind::kEnd) {
      Fail(Peek());
      return nullptr;
    }
    return c;
  }

 private:
  const Token& Peek() const { return toks_[pos_]; }
  static bool IsKeyword(const Token& t, std::string_view kw) {
    return t.kind == Token::Kind::kIdent && EqualsIgnoreCase(t.text, kw);
  }
  bool Keyword(std::string_view kw) {
    if (!IsKeyword(Peek(), kw)) return false;
    ++pos_;
    return true;
  }
  bool Punct(std::string_view p) {
    if (Peek().kind != Token::Kind::kPunct || Peek().text != p) return false;
    ++pos_;
    return true;
  }
  bool Fail(const Token& t) {
    std::string what = t.kind == Token::Kind::kString ? "'" + t.text + "'" : t.text;
    *error_ = {"MALFORMED_QUERY", Layout(text_, t.line, t.column, "unexpected token: " + what)};
    return false;
  }
  bool Name(FieldRef* f) {
    const Token& t = Peek();
    if (t.kind != Token::Kind::kIdent || IsReserved(t.text)) return Fail(t);
    f->name = t.text;
    f->line = t.line;
    f->column = t.column;
    ++pos_;
    return true;
  }
  static bool IsReserved(std::string_view s) {
    static const char* kReserved[] = {"SELECT", "FROM",   "WHERE", "AND",    "OR",       "NOT",     "ORDER", "BY",
                                      "LIMIT",  "OFFSET", "NULL",  "TRUE",   "FALSE",    "IN",      "LIKE",  "ASC",
                                      "DESC",   "NULLS",  "GROUP", "HAVING", "INCLUDES", "EXCLUDES"};
    for (const char* r : kReserved) {
      if (EqualsIgnoreCase(s, r)) return true;
    }
    return false;
  }
  bool Integer(int64_t* out) {
    const Token& t = Peek();
    if (t.kind != Token::Kind::kNumberLike) return Fail(t);
    for (char c : t.text) {
      if (!IsDigit(c)) return Fail(t);
    }
    if (t.text.size() > 12) return Fail(t);
    *out = std::strtoll(t.text.c_str(), nullptr, 10);
    ++pos_;
    return true;
  }

  std::unique_ptr<Cond> Or() {
    auto first = Unary();
    if (!first) return nullptr;
    Cond::Kind kind;
    const char* other;
    if (IsKeyword(Peek(), "AND")) {
      kind = Cond::Kind::kAnd;
      other = "OR";
    } else if (IsKeyword(Peek(), "OR")) {
      kind = Cond::Kind::kOr;
      other = "AND";
    } else {
      return first;
    }
    auto node = std::make_unique<Cond>();
    node->kind = kind;
    node->line = first->line;
    node->column = first->column;
    node->children.push_back(std::move(first));
    while (Keyword(kind == Cond::Kind::kAnd ? "AND" : "OR")) {
      auto next = Unary();
      if (!next) return nullptr;
      node->children.push_back(std::move(next));
    }
    if (IsKeyword(Peek(), other)) {  // SOQL needs parentheses to mix AND and OR
      Fail(Peek());
      return nullptr;
    }
    return node;
  }

  std::unique_ptr<Cond> Unary() {
    const Token& t = Peek();
    if (++depth_ > kMaxDepth) {
      *error_ = {"MALFORMED_QUERY", Layout(text_, t.line, t.column, "the condition is nested too deeply")};
      return nullptr;
    }
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    if (Keyword("NOT")) {
      auto inner = Unary();
      if (!inner) return nullptr;
      auto node = std::make_unique<Cond>();
      node->kind = Cond::Kind::kNot;
      node->line = t.line;
      node->column = t.column;
      node->children.push_back(std::move(inner));
      return node;
    }
    if (Punct("(")) {
      auto inner = Or();
      if (!inner) return nullptr;
      if (!Punct(")")) {
        Fail(Peek());
        return nullptr;
      }
      return inner;
    }
    return Comparison();
  }

  std::unique_ptr<Cond> Comparison() {
    auto c = std::make_unique<Cond>();
    FieldRef f;
    if (!Name(&f)) return nullptr;
    c->field = f.name;
    c->line = f.line;
    c->column = f.column;
    const Token& t = Peek();
    bool list = false;
    if (t.kind == Token::Kind::kPunct && t.text != "(" && t.text != ")" && t.text != ",") {
      static const std::pair<const char*, Op> kOps[] = {{"=", Op::kEq}, {"!=", Op::kNe}, {"<>", Op::kNe},
                                                        {"<", Op::kLt}, {"<=", Op::kLe}, {">", Op::kGt},
                                                        {">=", Op::kGe}};
      for (const auto& [text, op] : kOps) {
        if (t.text == text) c->op = op;
      }
      ++pos_;
    } else if (Keyword("LIKE")) {
      c->op = Op::kLike;
    } else if (Keyword("IN")) {
      c->op = Op::kIn;
      list = true;
    } else if (IsKeyword(t, "NOT") && IsKeyword(toks_[pos_ + 1], "IN")) {
      pos_ += 2;
      c->op = Op::kNotIn;
      list = true;
    } else if (Keyword("INCLUDES")) {
      c->op = Op::kIncludes;
      list = true;
    } else if (Keyword("EXCLUDES")) {
      c->op = Op::kExcludes;
      list = true;
    } else {
      Fail(t);
      return nullptr;
    }
    if (!list) {
      Literal v;
      if (!Value(&v)) return nullptr;
      c->values.push_back(std::move(v));
      return c;
    }
    if (!Punct("(")) {
      Fail(Peek());
      return nullptr;
    }
    for (;;) {
      Literal v;
      if (!Value(&v)) return nullptr;
      c->values.push_back(std::move(v));
      if (Punct(")")) break;
      if (!Punct(",")) {
        Fail(Peek());
        return nullptr;
      }
    }
    return c;
  }

  bool Value(Literal* v) {
    const Token& t = Peek();
    v->line = t.line;
    v->column = t.column;
    v->text = t.text;
    if (t.kind == Token::Kind::kString) {
      v->kind = Literal::Kind::kString;
      ++pos_;
      return true;
    }
    if (t.kind == Token::Kind::kNumberLike) {
      if (auto ms = ParseDate(t.text)) {
        v->kind = Literal::Kind::kDate;
        v->ms = *ms;
      } else if (auto dt = ParseDateTime(t.text, /*require_zone=*/true)) {
        v->kind = Literal::Kind::kDateTime;
        v->ms = *dt;
      } else {
        char* end = nullptr;
        double d = std::strtod(t.text.c_str(), &end);
        if (end != t.text.c_str() + t.text.size() || !std::isfinite(d)) return Fail(t);
        v->kind = Literal::Kind::kNumber;
        v->number = d;
      }
      ++pos_;
      return true;
    }
    if (t.kind == Token::Kind::kIdent) {
      std::string up = t.text;
      for (char& ch : up) {
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
      }
      auto relative = [&](int from, int to) {
        v->kind = Literal::Kind::kRelativeDate;
        v->relative_from = from;
        v->relative_to = to;
      };
      int n = 0;
      auto suffix_n = [&](std::string_view prefix) {
        if (up.rfind(prefix, 0) != 0 || up.size() == prefix.size() || up.size() - prefix.size() > 5) return false;
        for (size_t k = prefix.size(); k < up.size(); ++k) {
          if (!IsDigit(up[k])) return false;
        }
        n = std::atoi(up.c_str() + prefix.size());
        return true;
      };
      if (up == "NULL") {
        v->kind = Literal::Kind::kNull;
      } else if (up == "TRUE" || up == "FALSE") {
        v->kind = Literal::Kind::kBool;
        v->boolean = up == "TRUE";
      } else if (up == "TODAY") {
        relative(0, 1);
      } else if (up == "YESTERDAY") {
        relative(-1, 0);
      } else if (up == "TOMORROW") {
        relative(1, 2);
      } else if (suffix_n("LAST_N_DAYS:")) {
        relative(1 - n, 1);
      } else if (suffix_n("NEXT_N_DAYS:")) {
        relative(1, n + 1);
      } else {
        return Fail(t);
      }
      ++pos_;
      return true;
    }
    return Fail(t);
  }

  static constexpr int kMaxDepth = 1000;
  std::string_view text_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  Error* error_;
};

// ---------------------------------------------------------------- types

enum class Cat { kText, kNumber, kBool, kDate, kDateTime, kUnfilterable };

Cat Category(const schema::Field& f) {
  const std::string& t = f.native_type;
  if (t == "boolean") return Cat::kBool;
  if (t == "int" || t == "double" || t == "currency" || t == "percent" || t == "long") return Cat::kNumber;
  if (t == "date") return Cat::kDate;
  if (t == "datetime") return Cat::kDateTime;
  if (t == "address" || t == "location" || t == "base64" || t == "anyType" || t == "complexvalue")
    return Cat::kUnfilterable;
  if (t == "textarea" && f.length > 255) return Cat::kUnfilterable;
  return Cat::kText;
}

std::string ColumnError(const schema::Object& object, std::string_view name) {
  if (name.find('.') != std::string_view::npos) {
    std::string rel(name.substr(0, name.find('.')));
    return "Didn't understand relationship '" + rel +
           "' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after "
           "the custom relationship name. Please reference your WSDL or the describe call for the appropriate names. "
           "(The Accord sandbox does not emulate relationship queries.)";
  }
  return "No such column '" + std::string(name) + "' on entity '" + object.name +
         "'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. "
         "Please reference your WSDL or the describe call for the appropriate names.";
}

bool BindField(const schema::Object& object, std::string_view text, FieldRef* f, Error* error) {
  const schema::Field* field = f->name.find('.') == std::string::npos ? object.FindFieldIgnoreCase(f->name) : nullptr;
  if (!field) {
    *error = {"INVALID_FIELD", Layout(text, f->line, f->column, ColumnError(object, f->name))};
    return false;
  }
  f->name = field->name;
  f->bound = field;
  return true;
}

bool CheckLiteral(const schema::Field& field, Cat cat, const Literal& v, std::string_view text, Error* error) {
  using K = Literal::Kind;
  if (v.kind == K::kNull) return true;
  const char* type = nullptr;
  bool quoted = false;
  switch (cat) {
    case Cat::kText:
      if (v.kind == K::kString) return true;
      type = "string";
      quoted = true;
      break;
    case Cat::kNumber:
      if (v.kind == K::kNumber) return true;
      type = field.native_type == "int" ? "integer" : "double";
      break;
    case Cat::kBool:
      if (v.kind == K::kBool) return true;
      type = "boolean";
      break;
    case Cat::kDate:
      if (v.kind == K::kDate || v.kind == K::kRelativeDate) return true;
      type = "date";
      break;
    case Cat::kDateTime:
      if (v.kind == K::kDateTime || v.kind == K::kRelativeDate) return true;
      type = "dateTime";
      break;
    case Cat::kUnfilterable:
      break;
  }
  std::string msg = "value of filter criterion for field '" + field.name + "' must be of type " + type +
                    (quoted ? " and should be enclosed in quotes" : " and should not be enclosed in quotes");
  *error = {"INVALID_FIELD", Layout(text, v.line, v.column, msg)};
  return false;
}

bool BindCond(const schema::Object& object, std::string_view text, int64_t now_ms, Cond* c, Error* error) {
  if (c->kind != Cond::Kind::kCompare) {
    for (auto& child : c->children) {
      if (!BindCond(object, text, now_ms, child.get(), error)) return false;
    }
    return true;
  }
  FieldRef f{c->field, nullptr, c->line, c->column};
  if (!BindField(object, text, &f, error)) return false;
  c->field = f.name;
  c->bound = f.bound;
  Cat cat = Category(*c->bound);
  if (cat == Cat::kUnfilterable) {
    *error = {"INVALID_FIELD",
              Layout(text, c->line, c->column, "field '" + c->field + "' can not be filtered in a query call")};
    return false;
  }
  if (c->op == Op::kLike && cat != Cat::kText) {
    *error = {"INVALID_FIELD", Layout(text, c->line, c->column,
                                      "invalid operator on field '" + c->field + "' (LIKE needs a text field)")};
    return false;
  }
  if ((c->op == Op::kIncludes || c->op == Op::kExcludes) && c->bound->native_type != "multipicklist") {
    *error = {"INVALID_FIELD",
              Layout(text, c->line, c->column, "includes or excludes operator only valid on multipicklist field")};
    return false;
  }
  int64_t today = StartOfDayMs(now_ms);
  for (Literal& v : c->values) {
    if (!CheckLiteral(*c->bound, cat, v, text, error)) return false;
    if (v.kind == Literal::Kind::kRelativeDate) {
      v.ms = today + int64_t{v.relative_from} * 86400000;
      v.range_end_ms = today + int64_t{v.relative_to} * 86400000;
    }
  }
  return true;
}

// ---------------------------------------------------------------- evaluation

std::string TextOf(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return NumberText(v.get<double>());
  return DumpJson(v);
}

std::optional<double> NumberOf(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return d;
  }
  return std::nullopt;
}

std::optional<int64_t> TimeOf(const Json& v, Cat cat) {
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (cat == Cat::kDate) return ParseDate(s.substr(0, 10));
  return ParseDateTime(s, false);
}

// <0, 0, >0; nullopt when the two cannot be compared.
std::optional<int> CompareValue(const Json& v, Cat cat, const Literal& lit) {
  switch (cat) {
    case Cat::kText: {
      std::string a = AsciiLower(TextOf(v)), b = AsciiLower(lit.text);
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case Cat::kNumber: {
      auto a = NumberOf(v);
      if (!a) return std::nullopt;
      return *a < lit.number ? -1 : *a > lit.number ? 1 : 0;
    }
    case Cat::kBool: {
      bool a = v.is_boolean() ? v.get<bool>() : TextOf(v) == "true";
      return a == lit.boolean ? 0 : (a ? 1 : -1);
    }
    case Cat::kDate:
    case Cat::kDateTime: {
      auto a = TimeOf(v, cat);
      if (!a) return std::nullopt;
      int64_t b = lit.ms;
      if (cat == Cat::kDateTime && lit.kind == Literal::Kind::kDate) b = lit.ms;
      return *a < b ? -1 : *a > b ? 1 : 0;
    }
    case Cat::kUnfilterable:
      break;
  }
  return std::nullopt;
}

bool LikeMatch(std::string_view s, std::string_view p) {
  // % = any run, _ = one character, \% \_ literal; case-insensitive.
  size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '%') {
      star_p = ++pi;
      star_s = si;
      continue;
    }
    if (pi < p.size()) {
      bool escaped = p[pi] == '\\' && pi + 1 < p.size();
      char pc = escaped ? p[pi + 1] : p[pi];
      if ((!escaped && pc == '_') || lower(pc) == lower(s[si])) {
        pi += escaped ? 2 : 1;
        ++si;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

std::vector<std::string> SplitSemicolons(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(';', i);
    if (j == std::string::npos) j = s.size();
    std::string part = AsciiLower(s.substr(i, j - i));
    if (!part.empty()) out.push_back(part);
    i = j + 1;
  }
  return out;
}

bool CompareMatches(const Cond& c, const Json& record) {
  Cat cat = Category(*c.bound);
  auto it = record.find(c.field);
  const Json& v = it == record.end() ? Json() : *it;
  const bool is_null = v.is_null();
  auto eq = [&](const Literal& lit) -> bool {
    if (lit.kind == Literal::Kind::kNull) return is_null;
    if (is_null) return false;
    if (lit.kind == Literal::Kind::kRelativeDate) {
      auto t = TimeOf(v, cat);
      return t && *t >= lit.ms && *t < lit.range_end_ms;
    }
    auto r = CompareValue(v, cat, lit);
    return r && *r == 0;
  };
  switch (c.op) {
    case Op::kEq:
      return eq(c.values[0]);
    case Op::kNe:
      return !eq(c.values[0]);
    case Op::kIn:
      for (const Literal& lit : c.values) {
        if (eq(lit)) return true;
      }
      return false;
    case Op::kNotIn:
      for (const Literal& lit : c.values) {
        if (eq(lit)) return false;
      }
      return true;
    case Op::kLike:
      return !is_null && c.values[0].kind == Literal::Kind::kString && LikeMatch(TextOf(v), c.values[0].text);
    case Op::kIncludes:
    case Op::kExcludes: {
      bool any = false;
      if (!is_null) {
        std::vector<std::string> have = SplitSemicolons(TextOf(v));
        for (const Literal& lit : c.values) {
          if (lit.kind != Literal::Kind::kString) continue;
          bool all = true;
          for (const std::string& want : SplitSemicolons(lit.text)) {
            bool found = false;
            for (const std::string& h : have) found = found || h == want;
            all = all && found;
          }
          any = any || all;
        }
      }
      return c.op == Op::kIncludes ? any : !any;
    }
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      const Literal& lit = c.values[0];
      if (is_null || lit.kind == Literal::Kind::kNull) return false;
      if (lit.kind == Literal::Kind::kRelativeDate) {
        auto t = TimeOf(v, cat);
        if (!t) return false;
        switch (c.op) {
          case Op::kLt:
            return *t < lit.ms;
          case Op::kLe:
            return *t < lit.range_end_ms;
          case Op::kGt:
            return *t >= lit.range_end_ms;
          default:
            return *t >= lit.ms;
        }
      }
      auto r = CompareValue(v, cat, lit);
      if (!r) return false;
      switch (c.op) {
        case Op::kLt:
          return *r < 0;
        case Op::kLe:
          return *r <= 0;
        case Op::kGt:
          return *r > 0;
        default:
          return *r >= 0;
      }
    }
  }
  return false;
}

int CompareJson(const Json& a, const Json& b, Cat cat) {
  switch (cat) {
    case Cat::kNumber: {
      auto x = NumberOf(a), y = NumberOf(b);
      if (x && y) return *x < *y ? -1 : *x > *y ? 1 : 0;
      break;
    }
    case Cat::kBool: {
      bool x = a.is_boolean() && a.get<bool>(), y = b.is_boolean() && b.get<bool>();
      return x == y ? 0 : (x ? 1 : -1);
    }
    case Cat::kDate:
    case Cat::kDateTime: {
      auto x = TimeOf(a, cat), y = TimeOf(b, cat);
      if (x && y) return *x < *y ? -1 : *x > *y ? 1 : 0;
      break;
    }
    default:
      break;
  }
  std::string x = AsciiLower(TextOf(a)), y = AsciiLower(TextOf(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

}  // namespace

bool ParseQuery(std::string_view text, Query* query, Error* error) {
  Parser p(text, error);
  return p.Query(query);
}

std::unique_ptr<Cond> ParseCondition(std::string_view text, Error* error) {
  Parser p(text, error);
  return p.Condition();
}

bool BindCondition(const schema::Object& object, std::string_view query_text, int64_t now_ms, Cond* cond,
                   Error* error) {
  return BindCond(object, query_text, now_ms, cond, error);
}

bool BindQuery(const schema::Object& object, int64_t now_ms, Query* q, Error* error) {
  for (FieldRef& f : q->select) {
    if (!BindField(object, q->text, &f, error)) return false;
  }
  if (q->where && !BindCond(object, q->text, now_ms, q->where.get(), error)) return false;
  for (OrderItem& item : q->order_by) {
    if (!BindField(object, q->text, &item.field, error)) return false;
    if (Category(*item.field.bound) == Cat::kUnfilterable) {
      *error = {"INVALID_FIELD", Layout(q->text, item.field.line, item.field.column,
                                        "field '" + item.field.name + "' can not be sorted in a query call")};
      return false;
    }
  }
  return true;
}

bool Matches(const Cond& c, const Json& record) {
  switch (c.kind) {
    case Cond::Kind::kAnd:
      for (const auto& child : c.children) {
        if (!Matches(*child, record)) return false;
      }
      return true;
    case Cond::Kind::kOr:
      for (const auto& child : c.children) {
        if (Matches(*child, record)) return true;
      }
      return false;
    case Cond::Kind::kNot:
      return !Matches(*c.children[0], record);
    case Cond::Kind::kCompare:
      return c.bound && CompareMatches(c, record);
  }
  return false;
}

int CompareRecords(const std::vector<OrderItem>& order, const Json& a, const Json& b) {
  for (const OrderItem& item : order) {
    auto ia = a.find(item.field.name), ib = b.find(item.field.name);
    bool na = ia == a.end() || ia->is_null(), nb = ib == b.end() || ib->is_null();
    if (na && nb) continue;
    if (na != nb) return (na ? -1 : 1) * (item.nulls_last ? -1 : 1);
    int r = CompareJson(*ia, *ib, Category(*item.field.bound));
    if (r != 0) return item.descending ? -r : r;
  }
  return 0;
}

}  // namespace accord::sandbox::soql
