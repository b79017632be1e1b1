#include "runtime/sync/wire_values.h"

#include <string>
#include <string_view>

namespace accord::sync {

bool WireText(simdjson::ondemand::value v, Text* out) {
  simdjson::ondemand::json_type type;
  if (v.type().get(type)) return false;
  switch (type) {
    case simdjson::ondemand::json_type::null: *out = std::nullopt; return true;
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s)) return false;
      *out = std::string(s);
      return true;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b;
      if (v.get_bool().get(b)) return false;
      *out = std::string(b ? "true" : "false");
      return true;
    }
    case simdjson::ondemand::json_type::number: {
      std::string_view raw = v.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
        raw.remove_suffix(1);
      *out = std::string(raw);
      return true;
    }
    case simdjson::ondemand::json_type::array: {
      simdjson::ondemand::array arr;
      if (v.get_array().get(arr)) return false;
      std::string joined;
      bool first = true;
      for (auto item : arr) {
        simdjson::ondemand::value e;
        if (item.get(e)) return false;
        Text t;
        if (!WireText(e, &t)) return false;
        if (!first) joined += ';';
        first = false;
        if (t) joined += *t;
      }
      *out = joined;
      return true;
    }
    case simdjson::ondemand::json_type::object: {
      simdjson::ondemand::object o;
      if (v.get_object().get(o)) return false;
      for (auto m : o) {  // read through, so a malformed nested value is seen
        simdjson::ondemand::value inner;
        if (m.value().get(inner)) return false;
        Text ignored;
        if (!WireText(inner, &ignored)) return false;
      }
      *out = std::nullopt;
      return true;
    }
  }
  return false;
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
    default: return *t;
  }
}

}  // namespace accord::sync
