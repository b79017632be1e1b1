#include "compiler/schema/schema.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
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

// Small accessors over a simdjson object: a missing key, a null or a value of another type
// all give the fallback.
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

bool GetBool(dom::object obj, std::string_view key, bool fallback) {
  auto e = Get(obj, key);
  bool b;
  if (!e || e->get(b) != simdjson::SUCCESS) return fallback;
  return b;
}

int GetInt(dom::object obj, std::string_view key, int fallback) {
  auto e = Get(obj, key);
  if (!e) return fallback;
  int64_t i;
  if (e->get(i) == simdjson::SUCCESS) {
    if (i < 0 || i > INT32_MAX) return fallback;
    return static_cast<int>(i);
  }
  double d;
  if (e->get(d) == simdjson::SUCCESS && d >= 0 && d <= INT32_MAX) return static_cast<int>(d);
  return fallback;
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

// Parses `json` into `doc` (owned by `parser`); reports malformed JSON.
bool ParseJson(dom::parser& parser, std::string_view json, std::string_view path, dom::element& doc,
               std::vector<SchemaError>& errors) {
  auto err = parser.parse(json.data(), json.size()).get(doc);
  if (err != simdjson::SUCCESS) {
    AddError(errors, path, "malformed JSON: " + Describe(err));
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Salesforce

std::optional<Field> ParseSalesforceField(dom::element elem, size_t index, std::string_view path,
                                          std::vector<SchemaError>& errors) {
  dom::object obj;
  if (elem.get(obj) != simdjson::SUCCESS) {
    AddError(errors, path, "fields[" + std::to_string(index) + "]: expected an object");
    return std::nullopt;
  }
  Field f;
  f.name = std::string(GetString(obj, "name"));
  if (f.name.empty()) {
    AddError(errors, path, "fields[" + std::to_string(index) + "]: field without \"name\"");
    return std::nullopt;
  }
  f.label = std::string(GetString(obj, "label", f.name));
  f.native_type = std::string(GetString(obj, "type"));
  f.type = SalesforceFieldType(f.native_type);
  f.is_picklist = f.native_type == "picklist" || f.native_type == "multipicklist";
  f.restricted_picklist = GetBool(obj, "restrictedPicklist", false);
  f.length = GetInt(obj, "length", 0);
  f.nillable = GetBool(obj, "nillable", true);
  f.createable = GetBool(obj, "createable", true);
  f.updateable = GetBool(obj, "updateable", true);
  f.calculated = GetBool(obj, "calculated", false) || GetBool(obj, "autoNumber", false);
  f.defaulted_on_create = GetBool(obj, "defaultedOnCreate", false);
  f.unique = GetBool(obj, "unique", false);
  f.external_id = GetBool(obj, "externalId", false);
  f.id_lookup = GetBool(obj, "idLookup", false);
  f.relationship_name = std::string(GetString(obj, "relationshipName"));
  if (auto dv = Get(obj, "defaultValue")) f.default_value = ScalarToString(*dv);

  if (auto refs = Get(obj, "referenceTo")) {
    dom::array arr;
    if (refs->get(arr) == simdjson::SUCCESS) {
      for (dom::element r : arr) {
        std::string_view s;
        if (r.get(s) == simdjson::SUCCESS) f.reference_to.emplace_back(s);
      }
    }
  }

  if (auto pvs = Get(obj, "picklistValues")) {
    dom::array arr;
    if (pvs->get(arr) == simdjson::SUCCESS) {
      size_t j = 0;
      for (dom::element pv : arr) {
        dom::object pvo;
        std::string_view value;
        if (pv.get(pvo) != simdjson::SUCCESS || pvo["value"].get(value) != simdjson::SUCCESS) {
          AddError(errors, path,
                   "field " + f.name + ": picklistValues[" + std::to_string(j) + "] has no string \"value\"");
        } else {
          PicklistValue v;
          v.value = std::string(value);
          v.label = std::string(GetString(pvo, "label", value));
          v.active = GetBool(pvo, "active", true);
          v.is_default = GetBool(pvo, "defaultValue", false);
          f.values.push_back(std::move(v));
        }
        ++j;
      }
    }
  }
  return f;
}

std::optional<Object> ParseSalesforceElement(dom::element doc, std::string_view path,
                                             std::vector<SchemaError>& errors) {
  dom::object root;
  if (doc.get(root) != simdjson::SUCCESS) {
    AddError(errors, path, "expected a JSON object (a Salesforce sObject describe)");
    return std::nullopt;
  }
  Object obj;
  obj.system = System::kSalesforce;
  obj.source_path = std::string(path);
  obj.name = std::string(GetString(root, "name"));
  if (obj.name.empty()) {
    AddError(errors, path, "describe without a string \"name\"");
    return std::nullopt;
  }
  obj.label = std::string(GetString(root, "label", obj.name));
  auto fields = Get(root, "fields");
  dom::array arr;
  if (!fields) {
    AddError(errors, path, "describe of " + obj.name + " has no \"fields\"");
    return std::nullopt;
  }
  if (fields->get(arr) != simdjson::SUCCESS) {
    AddError(errors, path, "describe of " + obj.name + ": \"fields\" is not an array");
    return std::nullopt;
  }
  obj.fields.reserve(arr.size());
  size_t i = 0;
  for (dom::element fe : arr) {
    if (auto f = ParseSalesforceField(fe, i, path, errors)) obj.fields.push_back(std::move(*f));
    ++i;
  }
  obj.Finalize();
  return obj;
}

// ---------------------------------------------------------------------------------------------
// HubSpot

std::optional<Field> ParseHubSpotProperty(dom::element elem, size_t index, std::string_view path,
                                          std::vector<SchemaError>& errors) {
  dom::object obj;
  if (elem.get(obj) != simdjson::SUCCESS) {
    AddError(errors, path, "results[" + std::to_string(index) + "]: expected an object");
    return std::nullopt;
  }
  Field f;
  f.name = std::string(GetString(obj, "name"));
  if (f.name.empty()) {
    AddError(errors, path, "results[" + std::to_string(index) + "]: property without \"name\"");
    return std::nullopt;
  }
  f.label = std::string(GetString(obj, "label", f.name));
  f.native_type = std::string(GetString(obj, "type"));
  f.field_type_hint = std::string(GetString(obj, "fieldType"));
  f.type = HubSpotFieldType(f.native_type, f.field_type_hint);
  f.is_picklist = f.native_type == "enumeration";
  f.restricted_picklist = f.is_picklist;
  f.external_options = GetBool(obj, "externalOptions", false);
  f.unique = GetBool(obj, "hasUniqueValue", false);
  f.nillable = true;
  f.defaulted_on_create = false;
  bool read_only_value = false;
  if (auto mm = Get(obj, "modificationMetadata")) {
    dom::object mmo;
    if (mm->get(mmo) == simdjson::SUCCESS) read_only_value = GetBool(mmo, "readOnlyValue", false);
  }
  f.calculated = GetBool(obj, "calculated", false) || read_only_value;
  f.createable = f.updateable = !f.calculated;
  std::string_view ref = GetString(obj, "referencedObjectType");
  if (!ref.empty()) f.reference_to.emplace_back(ref);

  if (f.is_picklist) {
    if (auto opts = Get(obj, "options")) {
      dom::array arr;
      if (opts->get(arr) == simdjson::SUCCESS) {
        size_t j = 0;
        for (dom::element oe : arr) {
          dom::object oo;
          std::string_view value;
          if (oe.get(oo) != simdjson::SUCCESS || oo["value"].get(value) != simdjson::SUCCESS) {
            AddError(errors, path,
                     "property " + f.name + ": options[" + std::to_string(j) + "] has no string \"value\"");
          } else {
            PicklistValue v;
            v.value = std::string(value);
            v.label = std::string(GetString(oo, "label", value));
            v.active = !GetBool(oo, "hidden", false);
            f.values.push_back(std::move(v));
          }
          ++j;
        }
      }
    }
  }
  return f;
}

std::optional<Object> ParseHubSpotElement(dom::element doc, std::string_view object_name, std::string_view path,
                                          std::vector<SchemaError>& errors) {
  dom::object root;
  if (doc.get(root) != simdjson::SUCCESS) {
    AddError(errors, path, "expected a JSON object {\"results\":[...]} (a HubSpot properties response)");
    return std::nullopt;
  }
  auto results = Get(root, "results");
  if (!results) {
    AddError(errors, path, "HubSpot properties response has no \"results\"");
    return std::nullopt;
  }
  dom::array arr;
  if (results->get(arr) != simdjson::SUCCESS) {
    AddError(errors, path, "HubSpot properties response: \"results\" is not an array");
    return std::nullopt;
  }
  Object obj;
  obj.system = System::kHubSpot;
  obj.name = std::string(object_name);
  obj.label = obj.name;
  obj.source_path = std::string(path);
  obj.fields.reserve(arr.size());
  size_t i = 0;
  for (dom::element pe : arr) {
    if (auto f = ParseHubSpotProperty(pe, i, path, errors)) obj.fields.push_back(std::move(*f));
    ++i;
  }
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
    return ParseSalesforceElement(doc, path, errors);
  } catch (const std::exception& e) {  // allocation failure; simdjson itself is used without exceptions
    AddError(errors, path, std::string("cannot load: ") + e.what());
    return std::nullopt;
  }
}

std::optional<Object> ParseHubSpotProperties(std::string_view json, std::string_view object_name,
                                             std::string_view path, std::vector<SchemaError>& errors) {
  try {
    dom::parser parser;
    dom::element doc;
    if (!ParseJson(parser, json, path, doc, errors)) return std::nullopt;
    return ParseHubSpotElement(doc, object_name, path, errors);
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
        AddError(errors, path, "malformed JSON: " + Describe(err));
        continue;
      }
      std::optional<Object> obj;
      if (system == System::kSalesforce) {
        dom::object root;
        dom::element fields;
        if (doc.get(root) == simdjson::SUCCESS && root["fields"].get(fields) != simdjson::SUCCESS) {
          continue;  // not an sObject describe (e.g. a listing): skipped by design
        }
        obj = ParseSalesforceElement(doc, path, errors);
      } else {
        obj = ParseHubSpotElement(doc, p.stem().string(), path, errors);
      }
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
