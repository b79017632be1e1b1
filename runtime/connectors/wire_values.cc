#include "runtime/connectors/wire_values.h"

#include <string>
#include <string_view>

namespace accord::sync {

namespace od = simdjson::ondemand;
using schema::FieldType;

int JsonDepth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

JsonKind KindOf(const nlohmann::json& v) {
  if (v.is_string()) return JsonKind::kString;
  if (v.is_number()) return JsonKind::kNumber;
  if (v.is_boolean()) return JsonKind::kBool;
  if (v.is_array()) return JsonKind::kArray;
  if (v.is_object()) return JsonKind::kObject;
  return JsonKind::kNull;
}

namespace {

bool Numeric(FieldType t) { return t == FieldType::kInt || t == FieldType::kDouble || t == FieldType::kDecimal; }

const char* KindName(JsonKind k) {
  switch (k) {
    case JsonKind::kNull:
      return "null";
    case JsonKind::kString:
      return "a string";
    case JsonKind::kNumber:
      return "a number";
    case JsonKind::kBool:
      return "true or false";
    case JsonKind::kArray:
      return "an array of strings";
    case JsonKind::kObject:
      return "an object";
  }
  return "?";
}

// The scalar text of a string, number or boolean (false: malformed).
bool ScalarText(od::value v, JsonKind kind, Text* out) {
  switch (kind) {
    case JsonKind::kString: {
      std::string_view s;
      if (v.get_string().get(s)) return false;
      *out = std::string(s);
      return true;
    }
    case JsonKind::kBool: {
      bool b;
      if (v.get_bool().get(b)) return false;
      *out = std::string(b ? "true" : "false");
      return true;
    }
    case JsonKind::kNumber: {
      double ignored;  // checks that it is a number; the text is kept as written
      if (v.get_double().get(ignored)) return false;
      std::string_view raw = v.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
        raw.remove_suffix(1);
      *out = std::string(raw);
      return true;
    }
    default:
      return false;
  }
}

bool Kind(od::value v, JsonKind* kind) {
  od::json_type type;
  if (v.type().get(type)) return false;
  switch (type) {
    case od::json_type::null:
      *kind = JsonKind::kNull;
      break;
    case od::json_type::string:
      *kind = JsonKind::kString;
      break;
    case od::json_type::number:
      *kind = JsonKind::kNumber;
      break;
    case od::json_type::boolean:
      *kind = JsonKind::kBool;
      break;
    case od::json_type::array:
      *kind = JsonKind::kArray;
      break;
    case od::json_type::object:
      *kind = JsonKind::kObject;
      break;
  }
  return true;
}

bool Skip(od::value v, int depth, std::string* problem) {
  JsonKind kind;
  if (!Kind(v, &kind)) return *problem = "malformed JSON", false;
  if (kind != JsonKind::kArray && kind != JsonKind::kObject) {
    Text ignored;
    if (kind != JsonKind::kNull && !ScalarText(v, kind, &ignored)) return *problem = "malformed JSON", false;
    return true;
  }
  if (depth >= kMaxRecordDepth)
    return *problem = "nested deeper than " + std::to_string(kMaxRecordDepth) + " levels", false;
  if (kind == JsonKind::kArray) {
    od::array arr;
    if (v.get_array().get(arr)) return *problem = "malformed JSON", false;
    for (auto item : arr) {
      od::value e;
      if (item.get(e)) return *problem = "malformed JSON", false;
      if (!Skip(e, depth + 1, problem)) return false;
    }
    return true;
  }
  od::object o;
  if (v.get_object().get(o)) return *problem = "malformed JSON", false;
  for (auto m : o) {
    od::value inner;
    if (m.value().get(inner)) return *problem = "malformed JSON", false;
    if (!Skip(inner, depth + 1, problem)) return false;
  }
  return true;
}

}  // namespace

bool Fits(schema::System system, const schema::Field& f, JsonKind kind) {
  const bool hubspot = system == schema::System::kHubSpot;
  const bool any = f.type == FieldType::kUnsupported;
  switch (kind) {
    case JsonKind::kNull:
      return true;
    case JsonKind::kString:
      return hubspot || !(Numeric(f.type) || f.type == FieldType::kBool);
    case JsonKind::kNumber:
      return Numeric(f.type) || any || (hubspot && (f.type == FieldType::kDate || f.type == FieldType::kTimestamp));
    case JsonKind::kBool:
      return f.type == FieldType::kBool || any;
    case JsonKind::kArray:
      return f.type == FieldType::kStringList;
    case JsonKind::kObject:
      return !hubspot && any;
  }
  return false;
}

std::string WrongType(schema::System system, const schema::Field& f, JsonKind kind, std::string_view raw) {
  std::string expected;
  for (JsonKind k : {JsonKind::kString, JsonKind::kNumber, JsonKind::kBool, JsonKind::kArray, JsonKind::kObject})
    if (Fits(system, f, k)) expected += std::string(expected.empty() ? "" : " or ") + KindName(k);
  std::string shown(raw.substr(0, 40));
  if (raw.size() > 40) shown += "...";
  return f.name + " is " + (kind == JsonKind::kArray ? "an array" : KindName(kind)) +
         (kind == JsonKind::kObject || kind == JsonKind::kArray ? "" : " (" + shown + ")") + " where " +
         (system == schema::System::kSalesforce ? "Salesforce" : "HubSpot") + " sends " + expected;
}

bool FieldText(schema::System system, const schema::Field& f, od::value v, Text* out, std::string* problem) {
  JsonKind kind;
  if (!Kind(v, &kind)) return *problem = f.name + ": malformed JSON", false;
  if (!Fits(system, f, kind)) {
    std::string_view raw = kind == JsonKind::kArray || kind == JsonKind::kObject ? "" : v.raw_json_token();
    *problem = WrongType(system, f, kind, raw);
    return false;
  }
  switch (kind) {
    case JsonKind::kNull:
      *out = std::nullopt;
      return true;
    case JsonKind::kObject: {  // a compound field (address, location): read through, not compared
      if (!Skip(v, 1, problem)) return *problem = f.name + ": " + *problem, false;
      *out = std::nullopt;
      return true;
    }
    case JsonKind::kArray: {  // a multi-select: strings only, ;-joined
      od::array arr;
      if (v.get_array().get(arr)) return *problem = f.name + ": malformed JSON", false;
      std::string joined;
      bool first = true;
      for (auto item : arr) {
        od::value e;
        JsonKind ek;
        Text t;
        if (item.get(e) || !Kind(e, &ek)) return *problem = f.name + ": malformed JSON", false;
        if (ek != JsonKind::kString)
          return *problem = f.name + " is an array holding " + KindName(ek) + " where it holds strings only", false;
        if (!ScalarText(e, ek, &t)) return *problem = f.name + ": malformed JSON", false;
        if (!first) joined += ';';
        first = false;
        joined += *t;
      }
      *out = joined;
      return true;
    }
    default:
      if (!ScalarText(v, kind, out)) return *problem = f.name + ": malformed JSON", false;
      return true;
  }
}

bool ShapeText(schema::System system, std::string_view key, FieldType type, od::value v, Text* out,
               std::string* problem) {
  schema::Field f;
  f.name = std::string(key);
  f.type = type;
  return FieldText(system, f, v, out, problem);
}

bool SkipValue(std::string_view key, od::value v, std::string* problem) {
  if (Skip(v, 0, problem)) return true;
  *problem = std::string(key) + ": " + *problem;
  return false;
}

bool ReadSalesforceMember(const schema::Object& object, std::string_view key, od::value v, Record* r,
                          std::string* problem) {
  const schema::Field* f = object.FindField(key);
  const bool is_bool = key == "IsDeleted";
  if (!f && !is_bool && key != "Id" && key != "SystemModstamp" && key != "MasterRecordId")
    return SkipValue(key, v, problem);
  Text t;
  if (f ? !FieldText(schema::System::kSalesforce, *f, v, &t, problem)
        : !ShapeText(schema::System::kSalesforce, key, is_bool ? FieldType::kBool : FieldType::kString, v, &t, problem))
    return false;
  if (key == "Id")
    r->id = t.value_or("");
  else if (key == "SystemModstamp")
    r->modstamp = t.value_or("");
  else if (key == "IsDeleted")
    r->deleted = t == Text("true");
  else if (key == "MasterRecordId")
    r->master_id = t.value_or("");
  if (f) r->values.set(static_cast<size_t>(f - object.fields.data()), std::move(t));
  return true;
}

nlohmann::json WireJson(schema::System system, const schema::Field& f, const Text& t) {
  using nlohmann::json;
  if (system != schema::System::kSalesforce) return t ? json(*t) : json("");
  if (!t) return nullptr;
  switch (f.type) {
    case schema::FieldType::kBool:
      if (*t == "true") return true;
      if (*t == "false") return false;
      return *t;
    case schema::FieldType::kInt:
    case schema::FieldType::kDouble:
    case schema::FieldType::kDecimal: {
      json n = json::parse(*t, nullptr, false);
      return n.is_number() ? n : json(*t);
    }
    default:
      return *t;
  }
}

}  // namespace accord::sync
