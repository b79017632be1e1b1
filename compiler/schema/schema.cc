#include "compiler/schema/schema.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

namespace accord::schema {

namespace {

namespace dom = simdjson::dom;

// ---------------------------------------------------------------------------------------------
// The type tables. Keep docs/types.md in sync with these.

struct SalesforceTypeRow {
  std::string_view native;
  FieldType type;
};

constexpr SalesforceTypeRow kSalesforceTypes[] = {
    {"string", FieldType::kString},
    {"textarea", FieldType::kString},
    {"email", FieldType::kString},
    {"phone", FieldType::kString},
    {"url", FieldType::kString},
    {"picklist", FieldType::kString},
    {"combobox", FieldType::kString},
    {"encryptedstring", FieldType::kString},
    {"id", FieldType::kString},
    {"reference", FieldType::kString},
    {"time", FieldType::kString},
    {"multipicklist", FieldType::kStringList},
    {"boolean", FieldType::kBool},
    {"int", FieldType::kInt},
    {"long", FieldType::kInt},
    {"double", FieldType::kDouble},
    {"percent", FieldType::kDouble},
    {"currency", FieldType::kDecimal},
    {"date", FieldType::kDate},
    {"datetime", FieldType::kTimestamp},
    {"base64", FieldType::kBytes},
    {"address", FieldType::kUnsupported},
    {"location", FieldType::kUnsupported},
    {"anyType", FieldType::kUnsupported},
    {"complexvalue", FieldType::kUnsupported},
};

struct HubSpotTypeRow {
  std::string_view type;
  std::string_view field_type;  // empty: any fieldType
  FieldType cel;
};

// First match wins, so a row with a specific fieldType must precede the generic row.
constexpr HubSpotTypeRow kHubSpotTypes[] = {
    {"enumeration", "checkbox", FieldType::kStringList},
    {"enumeration", "", FieldType::kString},
    {"string", "", FieldType::kString},
    {"number", "", FieldType::kDecimal},
    {"bool", "", FieldType::kBool},
    {"date", "", FieldType::kDate},
    {"datetime", "", FieldType::kTimestamp},
    {"phone_number", "", FieldType::kString},
    {"object_coordinates", "", FieldType::kString},
    {"json", "", FieldType::kString},
};

// ---------------------------------------------------------------------------------------------

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// Where the loader is: the file, its errors, and the shape errors whose place
// in the file is found afterwards from their JSON pointer (RFC 6901).
struct Ctx {
  std::string_view path;
  std::vector<SchemaError>& errors;
  std::vector<std::pair<size_t, std::string>> pointers;  // errors index -> "/fields/3/length"
};

std::string Pointer(std::string_view base, std::string_view key) {
  std::string out(base);
  out += '/';
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}
std::string Pointer(std::string_view base, size_t index) { return std::string(base) + "/" + std::to_string(index); }

// A JSON value as the message shows it: compact, at most 40 characters.
std::string Shown(dom::element e) {
  std::string t = simdjson::minify(e);
  return t.size() > 40 ? t.substr(0, 37) + "..." : t;
}

void ShapeError(Ctx& c, std::string pointer, std::string message) {
  c.errors.push_back(SchemaError{std::string(c.path), std::move(message)});
  c.errors.back().shape = true;
  c.pointers.emplace_back(c.errors.size() - 1, std::move(pointer));
}

// Small accessors over a simdjson object: a missing key or a null give the
// fallback; a value of another JSON type is a shape error (then the fallback).
// `who` names the entry in messages ("field Amount"), `at` is its pointer.
struct Entry {
  Ctx& c;
  dom::object obj;
  std::string who, at;

  std::optional<dom::element> Get(std::string_view key) const {
    dom::element e;
    if (obj[key].get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
    return e;
  }
  void Wrong(std::string_view key, dom::element e, std::string_view expected) const {
    ShapeError(c, Pointer(at, key),
               who + ": \"" + std::string(key) + "\" is " + Shown(e) + ", not " + std::string(expected));
  }
  std::string_view String(std::string_view key, std::string_view fallback = {}) const {
    auto e = Get(key);
    std::string_view s;
    if (!e) return fallback;
    if (e->get(s) != simdjson::SUCCESS) {
      Wrong(key, *e, "a string");
      return fallback;
    }
    return s;
  }
  bool Bool(std::string_view key, bool fallback) const {
    auto e = Get(key);
    bool b;
    if (!e) return fallback;
    if (e->get(b) != simdjson::SUCCESS) {
      Wrong(key, *e, "true or false");
      return fallback;
    }
    return b;
  }
  // A whole number in [0, INT32_MAX].
  int Count(std::string_view key, int fallback) const {
    auto e = Get(key);
    if (!e) return fallback;
    int64_t i;
    double d;
    if (e->get(i) == simdjson::SUCCESS && i >= 0 && i <= INT32_MAX) return static_cast<int>(i);
    if (e->get(i) != simdjson::SUCCESS && e->get(d) == simdjson::SUCCESS && d >= 0 && d <= INT32_MAX &&
        d == static_cast<double>(static_cast<int64_t>(d)))
      return static_cast<int>(d);
    Wrong(key, *e, "a whole number from 0 up");
    return fallback;
  }
  std::optional<dom::array> Array(std::string_view key) const {
    auto e = Get(key);
    dom::array a;
    if (!e) return std::nullopt;
    if (e->get(a) != simdjson::SUCCESS) {
      Wrong(key, *e, "a list");
      return std::nullopt;
    }
    return a;
  }
  std::optional<dom::object> Object(std::string_view key) const {
    auto e = Get(key);
    dom::object o;
    if (!e) return std::nullopt;
    if (e->get(o) != simdjson::SUCCESS) {
      Wrong(key, *e, "an object");
      return std::nullopt;
    }
    return o;
  }
};

// Without shape checks, for the object-level keys whose absence is its own error.
std::optional<dom::element> Get(dom::object obj, std::string_view key) {
  dom::element e;
  if (obj[key].get(e) != simdjson::SUCCESS) return std::nullopt;
  return e;
}

std::string_view GetString(dom::object obj, std::string_view key, std::string_view fallback = {}) {
  auto e = Get(obj, key);
  std::string_view s;
  if (!e || e->get(s) != simdjson::SUCCESS) return fallback;
  return s;
}

// A scalar JSON value as text; empty for null, arrays and objects.
std::string ScalarToString(dom::element e) {
  switch (e.type()) {
    case dom::element_type::STRING:
      return std::string(e.get_string().value_unsafe());
    case dom::element_type::BOOL:
      return e.get_bool().value_unsafe() ? "true" : "false";
    case dom::element_type::INT64:
      return std::to_string(e.get_int64().value_unsafe());
    case dom::element_type::UINT64:
      return std::to_string(e.get_uint64().value_unsafe());
    case dom::element_type::DOUBLE: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, e.get_double().value_unsafe());
      return r.ec == std::errc() ? std::string(buf, r.ptr) : std::string();
    }
    default:
      return {};
  }
}

std::string Describe(simdjson::error_code code) { return simdjson::error_message(code); }

void AddError(std::vector<SchemaError>& errors, std::string_view path, std::string message) {
  errors.push_back(SchemaError{std::string(path), std::move(message)});
}

// Reports malformed JSON at the byte where it goes wrong. simdjson says only
// what is wrong; nlohmann's SAX parser, run on this rare path, says where.
void MalformedJson(std::string_view json, std::string_view path, simdjson::error_code err,
                   std::vector<SchemaError>& errors) {
  struct Where : nlohmann::json_sax<nlohmann::json> {
    size_t position = 0;
    std::string message;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) override {
      position = pos;
      message = ex.what();
      return false;
    }
  } where;
  nlohmann::json::sax_parse(json.begin(), json.end(), &where, nlohmann::json::input_format_t::json, true);
  SchemaError e{std::string(path), "malformed JSON: " + Describe(err)};
  if (!where.message.empty()) {
    // "[json.exception.parse_error.101] parse error at line 3, column 7: syntax error ..." -> from "syntax error"
    std::string m = where.message;
    size_t colon = m.find(": ");
    if (colon != std::string::npos) m = m.substr(colon + 2);
    e.message = "malformed JSON: " + m;
    // nlohmann counts the characters read, the bad one included.
    uint32_t at = static_cast<uint32_t>(std::min(where.position > 0 ? where.position - 1 : 0, json.size()));
    e.begin = at;
    e.end = std::min<uint32_t>(at + 1, static_cast<uint32_t>(json.size()));
  }
  errors.push_back(std::move(e));
}

// Parses `json` into `doc` (owned by `parser`); reports malformed JSON.
bool ParseJson(dom::parser& parser, std::string_view json, std::string_view path, dom::element& doc,
               std::vector<SchemaError>& errors) {
  auto err = parser.parse(json.data(), json.size()).get(doc);
  if (err != simdjson::SUCCESS) {
    MalformedJson(json, path, err, errors);
    return false;
  }
  return true;
}

// The bytes of the value at a JSON pointer in valid JSON text: a small
// iterative scanner (the DOM does not keep offsets). {npos, npos} if absent.
std::pair<size_t, size_t> FindPointer(std::string_view j, std::string_view pointer) {
  constexpr size_t npos = std::string_view::npos;
  size_t i = 0;
  auto ws = [&] {
    while (i < j.size() && (j[i] == ' ' || j[i] == '\n' || j[i] == '\r' || j[i] == '\t')) ++i;
  };
  auto skip_string = [&] {  // at '"'
    for (++i; i < j.size() && j[i] != '"'; ++i)
      if (j[i] == '\\') ++i;
    ++i;
  };
  auto skip_value = [&] {
    ws();
    if (i >= j.size()) return;
    if (j[i] == '"') return skip_string();
    if (j[i] != '{' && j[i] != '[') {
      while (i < j.size() && j[i] != ',' && j[i] != '}' && j[i] != ']' && j[i] != ' ' && j[i] != '\n' && j[i] != '\r' &&
             j[i] != '\t')
        ++i;
      return;
    }
    int depth = 0;
    do {
      if (j[i] == '"') {
        skip_string();
        continue;
      }
      if (j[i] == '{' || j[i] == '[') ++depth;
      if (j[i] == '}' || j[i] == ']') --depth;
      ++i;
    } while (i < j.size() && depth > 0);
  };
  ws();
  size_t p = 0;
  while (p < pointer.size()) {  // each step: "/token"
    size_t next = pointer.find('/', p + 1);
    std::string token(pointer.substr(p + 1, next == npos ? npos : next - p - 1));
    for (size_t k = 0; (k = token.find('~', k)) != std::string::npos; ++k)
      token.replace(k, 2, k + 1 < token.size() && token[k + 1] == '1' ? "/" : "~");
    p = next == npos ? pointer.size() : next;
    if (i >= j.size()) return {npos, npos};
    if (j[i] == '{') {
      ++i;
      bool found = false;
      while (!found) {
        ws();
        if (i >= j.size() || j[i] != '"') return {npos, npos};
        size_t k0 = i + 1;
        skip_string();
        std::string_view key = j.substr(k0, i - 1 - k0);
        ws();
        if (i >= j.size() || j[i] != ':') return {npos, npos};
        ++i;
        ws();
        if (key == token) {
          found = true;
        } else {
          skip_value();
          ws();
          if (i >= j.size() || j[i] != ',') return {npos, npos};
          ++i;
        }
      }
    } else if (j[i] == '[') {
      ++i;
      size_t index = static_cast<size_t>(std::strtoull(token.c_str(), nullptr, 10));
      for (size_t n = 0; n < index; ++n) {
        skip_value();
        ws();
        if (i >= j.size() || j[i] != ',') return {npos, npos};
        ++i;
      }
      ws();
    } else {
      return {npos, npos};
    }
  }
  size_t b = i;
  skip_value();
  return {b, std::min(i, j.size())};
}

// Gives the shape errors found while loading `json` their bytes in it.
void Place(Ctx& c, std::string_view json) {
  for (const auto& [index, pointer] : c.pointers) {
    auto [b, e] = FindPointer(json, pointer);
    if (b == std::string_view::npos) continue;
    c.errors[index].begin = static_cast<uint32_t>(b);
    c.errors[index].end = static_cast<uint32_t>(e);
  }
  c.pointers.clear();
}

// ---------------------------------------------------------------------------------------------
// Salesforce

// A field named twice: the first is used (FindField keeps it); the second is reported.
void CheckDuplicates(Ctx& c, const std::vector<Field>& fields, const std::vector<size_t>& index_of,
                     std::string_view list, std::string_view what) {
  std::unordered_map<std::string_view, size_t> first;
  for (size_t k = 0; k < fields.size(); ++k) {
    auto [it, inserted] = first.emplace(fields[k].name, k);
    if (inserted) continue;
    ShapeError(c, Pointer(Pointer("", list), index_of[k]) + "/name",
               std::string(what) + " " + fields[k].name + " appears twice (" + std::string(list) + "[" +
                   std::to_string(index_of[it->second]) + "] and [" + std::to_string(index_of[k]) +
                   "]); the first is used");
  }
}

// Picklist entries: {"value": string, "label": string, "active"/"defaultValue": bool} (Salesforce
// picklistValues) or {"value", "label", "hidden"} (HubSpot options).
void ParseValues(const Entry& f, std::string_view key, bool hubspot, Field& field) {
  auto arr = f.Array(key);
  if (!arr) return;
  field.values.reserve(field.values.size() + arr->size());  // exact: big schemas hold many lists
  size_t j = 0;
  for (dom::element pv : *arr) {
    std::string at = Pointer(Pointer(f.at, key), j);
    dom::object pvo;
    std::string_view value;
    if (pv.get(pvo) != simdjson::SUCCESS || pvo["value"].get(value) != simdjson::SUCCESS) {
      ShapeError(f.c, at, f.who + ": " + std::string(key) + "[" + std::to_string(j) + "] has no string \"value\"");
    } else {
      Entry e{f.c, pvo, f.who + ": " + std::string(key) + "[" + std::to_string(j) + "]", at};
      PicklistValue v;
      v.value = std::string(value);
      v.label = std::string(e.String("label", value));
      v.active = hubspot ? !e.Bool("hidden", false) : e.Bool("active", true);
      v.is_default = hubspot ? false : e.Bool("defaultValue", false);
      field.values.push_back(std::move(v));
    }
    ++j;
  }
}

std::optional<Field> ParseSalesforceField(Ctx& c, dom::element elem, size_t index) {
  std::string at = Pointer("/fields", index);
  dom::object obj;
  if (elem.get(obj) != simdjson::SUCCESS) {
    ShapeError(c, at, "fields[" + std::to_string(index) + "]: expected an object");
    return std::nullopt;
  }
  Field f;
  Entry e{c, obj, "fields[" + std::to_string(index) + "]", at};
  f.name = std::string(e.String("name"));
  if (f.name.empty()) {
    ShapeError(c, at, "fields[" + std::to_string(index) + "]: field without \"name\"");
    return std::nullopt;
  }
  e.who = "field " + f.name;
  f.label = std::string(e.String("label", f.name));
  f.native_type = std::string(e.String("type"));
  f.type = SalesforceFieldType(f.native_type);
  f.is_picklist = f.native_type == "picklist" || f.native_type == "multipicklist";
  f.restricted_picklist = e.Bool("restrictedPicklist", false);
  f.length = e.Count("length", 0);
  f.nillable = e.Bool("nillable", true);
  f.createable = e.Bool("createable", true);
  f.updateable = e.Bool("updateable", true);
  bool calculated = e.Bool("calculated", false), auto_number = e.Bool("autoNumber", false);
  f.calculated = calculated || auto_number;
  f.defaulted_on_create = e.Bool("defaultedOnCreate", false);
  f.unique = e.Bool("unique", false);
  f.external_id = e.Bool("externalId", false);
  f.id_lookup = e.Bool("idLookup", false);
  f.relationship_name = std::string(e.String("relationshipName"));
  if (auto dv = Get(obj, "defaultValue")) f.default_value = ScalarToString(*dv);

  if (auto refs = e.Array("referenceTo")) {
    size_t j = 0;
    for (dom::element r : *refs) {
      std::string_view s;
      if (r.get(s) == simdjson::SUCCESS)
        f.reference_to.emplace_back(s);
      else
        ShapeError(c, Pointer(Pointer(at, "referenceTo"), j),
                   e.who + ": referenceTo[" + std::to_string(j) + "] is " + Shown(r) + ", not an object name");
      ++j;
    }
  }
  ParseValues(e, "picklistValues", false, f);
  return f;
}

std::optional<Object> ParseSalesforceElement(Ctx& c, dom::element doc) {
  dom::object root;
  if (doc.get(root) != simdjson::SUCCESS) {
    AddError(c.errors, c.path, "expected a JSON object (a Salesforce sObject describe)");
    return std::nullopt;
  }
  Object obj;
  obj.system = System::kSalesforce;
  obj.source_path = std::string(c.path);
  obj.name = std::string(GetString(root, "name"));
  if (obj.name.empty()) {
    AddError(c.errors, c.path, "describe without a string \"name\"");
    return std::nullopt;
  }
  obj.label = std::string(Entry{c, root, "describe of " + obj.name, ""}.String("label", obj.name));
  auto fields = Get(root, "fields");
  dom::array arr;
  if (!fields) {
    AddError(c.errors, c.path, "describe of " + obj.name + " has no \"fields\"");
    return std::nullopt;
  }
  if (fields->get(arr) != simdjson::SUCCESS) {
    AddError(c.errors, c.path, "describe of " + obj.name + ": \"fields\" is not an array");
    c.pointers.emplace_back(c.errors.size() - 1, "/fields");
    return std::nullopt;
  }
  obj.fields.reserve(arr.size());
  std::vector<size_t> index_of;
  size_t i = 0;
  for (dom::element fe : arr) {
    if (auto f = ParseSalesforceField(c, fe, i)) {
      obj.fields.push_back(std::move(*f));
      index_of.push_back(i);
    }
    ++i;
  }
  CheckDuplicates(c, obj.fields, index_of, "fields", "field");
  obj.Finalize();
  return obj;
}

// ---------------------------------------------------------------------------------------------
// HubSpot

std::optional<Field> ParseHubSpotProperty(Ctx& c, dom::element elem, size_t index) {
  std::string at = Pointer("/results", index);
  dom::object obj;
  if (elem.get(obj) != simdjson::SUCCESS) {
    ShapeError(c, at, "results[" + std::to_string(index) + "]: expected an object");
    return std::nullopt;
  }
  Field f;
  Entry e{c, obj, "results[" + std::to_string(index) + "]", at};
  f.name = std::string(e.String("name"));
  if (f.name.empty()) {
    ShapeError(c, at, "results[" + std::to_string(index) + "]: property without \"name\"");
    return std::nullopt;
  }
  e.who = "property " + f.name;
  f.label = std::string(e.String("label", f.name));
  f.native_type = std::string(e.String("type"));
  f.field_type_hint = std::string(e.String("fieldType"));
  f.type = HubSpotFieldType(f.native_type, f.field_type_hint);
  f.is_picklist = f.native_type == "enumeration";
  f.restricted_picklist = f.is_picklist;
  f.external_options = e.Bool("externalOptions", false);
  f.unique = e.Bool("hasUniqueValue", false);
  f.nillable = true;
  f.defaulted_on_create = false;
  bool read_only_value = false;
  if (auto mm = e.Object("modificationMetadata"))
    read_only_value = Entry{c, *mm, e.who + ": modificationMetadata", Pointer(at, "modificationMetadata")}.Bool(
        "readOnlyValue", false);
  f.calculated = e.Bool("calculated", false) || read_only_value;
  f.createable = f.updateable = !f.calculated;
  std::string_view ref = e.String("referencedObjectType");
  if (!ref.empty()) f.reference_to.emplace_back(ref);
  if (f.is_picklist)
    ParseValues(e, "options", true, f);
  else
    (void)e.Array("options");  // checked for its shape only
  return f;
}

std::optional<Object> ParseHubSpotElement(Ctx& c, dom::element doc, std::string_view object_name) {
  dom::object root;
  if (doc.get(root) != simdjson::SUCCESS) {
    AddError(c.errors, c.path, "expected a JSON object {\"results\":[...]} (a HubSpot properties response)");
    return std::nullopt;
  }
  auto results = Get(root, "results");
  if (!results) {
    AddError(c.errors, c.path, "HubSpot properties response has no \"results\"");
    return std::nullopt;
  }
  dom::array arr;
  if (results->get(arr) != simdjson::SUCCESS) {
    AddError(c.errors, c.path, "HubSpot properties response: \"results\" is not an array");
    c.pointers.emplace_back(c.errors.size() - 1, "/results");
    return std::nullopt;
  }
  Object obj;
  obj.system = System::kHubSpot;
  obj.name = std::string(object_name);
  obj.label = obj.name;
  obj.source_path = std::string(c.path);
  obj.fields.reserve(arr.size());
  std::vector<size_t> index_of;
  size_t i = 0;
  for (dom::element pe : arr) {
    if (auto f = ParseHubSpotProperty(c, pe, i)) {
      obj.fields.push_back(std::move(*f));
      index_of.push_back(i);
    }
    ++i;
  }
  CheckDuplicates(c, obj.fields, index_of, "results", "property");
  obj.Finalize();
  return obj;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string_view SystemName(System system) {
  switch (system) {
    case System::kSalesforce:
      return "salesforce";
    case System::kHubSpot:
      return "hubspot";
  }
  return "unknown";
}

std::optional<System> SystemFromName(std::string_view name) {
  if (name == "salesforce") return System::kSalesforce;
  if (name == "hubspot") return System::kHubSpot;
  return std::nullopt;
}

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kInt:
      return "int";
    case FieldType::kDouble:
      return "double";
    case FieldType::kDecimal:
      return "decimal";
    case FieldType::kBool:
      return "bool";
    case FieldType::kDate:
      return "date";
    case FieldType::kTimestamp:
      return "timestamp";
    case FieldType::kStringList:
      return "list(string)";
    case FieldType::kBytes:
      return "bytes";
    case FieldType::kUnsupported:
      return "unsupported";
  }
  return "unsupported";
}

FieldType SalesforceFieldType(std::string_view native_type) {
  for (const auto& row : kSalesforceTypes) {
    if (row.native == native_type) return row.type;
  }
  return FieldType::kUnsupported;
}

FieldType HubSpotFieldType(std::string_view type, std::string_view field_type) {
  for (const auto& row : kHubSpotTypes) {
    if (row.type == type && (row.field_type.empty() || row.field_type == field_type)) return row.cel;
  }
  return FieldType::kUnsupported;
}

bool Field::required_on_create() const { return !nillable && createable && !defaulted_on_create; }

bool Field::read_only() const { return calculated || (!createable && !updateable); }

const PicklistValue* Field::FindValue(std::string_view value) const {
  for (const auto& v : values) {
    if (v.value == value) return &v;
  }
  return nullptr;
}

void Object::Finalize() {
  by_name_.clear();
  by_lower_name_.clear();
  by_name_.reserve(fields.size());
  by_lower_name_.reserve(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    by_name_.emplace(fields[i].name, i);  // emplace keeps the first on duplicates
    by_lower_name_.emplace(Lower(fields[i].name), i);
  }
  indexed_fields_ = fields.size();
  indexed_ = true;
}

const Field* Object::FindField(std::string_view name) const {
  if (indexed_ && indexed_fields_ == fields.size()) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return nullptr;
    if (fields[it->second].name == name) return &fields[it->second];
    // A field was renamed in place after Finalize(): fall through to a scan.
  }
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const Field* Object::FindFieldIgnoreCase(std::string_view name) const {
  if (indexed_ && indexed_fields_ == fields.size()) {
    auto it = by_lower_name_.find(Lower(name));
    if (it == by_lower_name_.end()) return nullptr;
    if (EqualsIgnoreCase(fields[it->second].name, name)) return &fields[it->second];
  }
  for (const auto& f : fields) {
    if (EqualsIgnoreCase(f.name, name)) return &f;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------

void SchemaSet::Add(Object obj) {
  auto& objects = objects_[static_cast<int>(obj.system)];
  auto it = objects.find(obj.name);
  if (it != objects.end()) {
    it->second = std::move(obj);
  } else {
    std::string key = obj.name;
    objects.emplace(std::move(key), std::move(obj));
  }
}

const Object* SchemaSet::Find(System system, std::string_view name) const {
  const auto& objects = objects_[static_cast<int>(system)];
  auto it = objects.find(name);
  return it == objects.end() ? nullptr : &it->second;
}

const Object* SchemaSet::FindIgnoreCase(System system, std::string_view name) const {
  if (const Object* exact = Find(system, name)) return exact;
  for (const auto& [key, obj] : objects_[static_cast<int>(system)]) {
    if (EqualsIgnoreCase(key, name)) return &obj;
  }
  return nullptr;
}

std::vector<const Object*> SchemaSet::Objects(System system) const {
  std::vector<const Object*> out;
  for (const auto& [key, obj] : objects_[static_cast<int>(system)]) out.push_back(&obj);
  return out;
}

// ---------------------------------------------------------------------------------------------

std::optional<Object> ParseSalesforceDescribe(std::string_view json, std::string_view path,
                                              std::vector<SchemaError>& errors) {
  try {
    dom::parser parser;
    dom::element doc;
    if (!ParseJson(parser, json, path, doc, errors)) return std::nullopt;
    Ctx c{path, errors, {}};
    auto obj = ParseSalesforceElement(c, doc);
    Place(c, json);
    return obj;
  } catch (const std::exception& e) {  // allocation failure; simdjson itself is used without exceptions
    AddError(errors, path, std::string("cannot load: ") + e.what());
    return std::nullopt;
  }
}

std::optional<Object> ParseHubSpotProperties(std::string_view json, std::string_view object_name, std::string_view path,
                                             std::vector<SchemaError>& errors) {
  try {
    dom::parser parser;
    dom::element doc;
    if (!ParseJson(parser, json, path, doc, errors)) return std::nullopt;
    Ctx c{path, errors, {}};
    auto obj = ParseHubSpotElement(c, doc, object_name);
    Place(c, json);
    return obj;
  } catch (const std::exception& e) {
    AddError(errors, path, std::string("cannot load: ") + e.what());
    return std::nullopt;
  }
}

void LoadSchemaDir(System system, const std::string& dir, SchemaSet& out, std::vector<SchemaError>& errors) {
  namespace fs = std::filesystem;
  try {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      AddError(errors, dir, "not a directory (schema folder for " + std::string(SystemName(system)) + ")");
      return;
    }
    std::vector<fs::path> files;
    fs::directory_iterator it(dir, ec), end;
    if (ec) {
      AddError(errors, dir, "cannot read directory: " + ec.message());
      return;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) {
        AddError(errors, dir, "cannot read directory: " + ec.message());
        break;
      }
      const fs::path& p = it->path();
      if (p.extension() != ".json") continue;
      std::error_code fec;
      if (!it->is_regular_file(fec)) continue;
      if (system == System::kSalesforce && p.filename() == "sobjects-global.json") continue;
      files.push_back(p);
    }
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });

    dom::parser parser;  // reused across files
    for (const fs::path& p : files) {
      const std::string path = p.string();
      simdjson::padded_string text;
      auto err = simdjson::padded_string::load(path).get(text);
      if (err != simdjson::SUCCESS) {
        AddError(errors, path, "cannot read file: " + Describe(err));
        continue;
      }
      dom::element doc;
      err = parser.parse(text).get(doc);
      if (err != simdjson::SUCCESS) {
        MalformedJson(std::string_view(text.data(), text.size()), path, err, errors);
        continue;
      }
      std::optional<Object> obj;
      Ctx c{path, errors, {}};
      if (system == System::kSalesforce) {
        dom::object root;
        dom::element unused;
        if (doc.get(root) == simdjson::SUCCESS && root["fields"].get(unused) != simdjson::SUCCESS &&
            root["sobjects"].get(unused) == simdjson::SUCCESS) {
          continue;  // a global describe (the list of objects) under another name: skipped by design
        }
        obj = ParseSalesforceElement(c, doc);
      } else {
        obj = ParseHubSpotElement(c, doc, p.stem().string());
      }
      Place(c, std::string_view(text.data(), text.size()));
      if (obj) out.Add(std::move(*obj));
    }
  } catch (const std::exception& e) {
    AddError(errors, dir, std::string("cannot load schemas: ") + e.what());
  }
}

// ---------------------------------------------------------------------------------------------

size_t EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  if (n == 0) return m;
  if (m == 0) return n;
  // Three rows: i-2, i-1, i (optimal string alignment needs the row before the previous one).
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    const char ai = AsciiLower(a[i - 1]);
    for (size_t j = 1; j <= m; ++j) {
      const char bj = AsciiLower(b[j - 1]);
      const size_t cost = ai == bj ? 0 : 1;
      size_t best = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && ai == AsciiLower(b[j - 2]) && AsciiLower(a[i - 2]) == bj) {
        best = std::min(best, prev2[j - 2] + 1);
      }
      cur[j] = best;
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::optional<std::string> Suggest(std::string_view wrong, const std::vector<std::string>& candidates) {
  for (const auto& c : candidates) {
    if (EqualsIgnoreCase(c, wrong)) return c;
  }
  const size_t limit = std::max<size_t>(2, wrong.size() / 3);
  const std::string* best = nullptr;
  size_t best_distance = 0;
  for (const auto& c : candidates) {
    // Cheap lower bound: the length difference.
    const size_t diff = c.size() > wrong.size() ? c.size() - wrong.size() : wrong.size() - c.size();
    if (diff > limit) continue;
    const size_t d = EditDistance(wrong, c);
    if (d > limit || d >= std::max(wrong.size(), c.size())) continue;
    if (best == nullptr || d < best_distance) {
      best = &c;
      best_distance = d;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

}  // namespace accord::schema
