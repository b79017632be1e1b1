#include "runtime/record.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "base/strings.h"

namespace accord::rec {

using rt::Value;
using schema::FieldType;

Decoder::Decoder(const schema::Object& object) : object_(object) {}

const Decoder::KeyInfo& Decoder::Lookup(std::string_view key, size_t position, bool nested) {
  KeyInfo info;
  info.key = std::string(key);
  if (!nested && (key == "id" || key == "Id")) info.special = 1;
  if (!nested && key == "properties" && object_.system == schema::System::kHubSpot) info.special = 2;
  if (key.size() < 16) {
    char bytes[16] = {}, ones[16] = {};
    std::memcpy(bytes, key.data(), key.size());
    bytes[key.size()] = '"';
    std::memset(ones, 0xff, key.size() + 1);
    std::memcpy(info.word, bytes, 16);
    std::memcpy(info.mask, ones, 16);
  }
  const schema::Field* f = object_.FindField(key);
  info.slot = f ? static_cast<int>(f - object_.fields.data()) : -1;
  if (position < order_.size()) {
    order_[position] = std::move(info);
    return order_[position];
  }
  if (position == order_.size() && order_.size() < 512) {
    order_.push_back(std::move(info));
    return order_.back();
  }
  scratch_ = std::move(info);
  return scratch_;
}

namespace {

Value ConvError(const schema::Field& f, std::string_view text, std::string_view as) {
  std::string shown(text.substr(0, 60));
  return Value::Error(rt::ErrorCode::kConversion,
                      "field " + f.name + ": cannot read \"" + shown + "\" as " + std::string(as));
}

bool ParseInt(std::string_view s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}
bool ParseDouble(std::string_view s, double* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

}  // namespace

Value FromText(const schema::Field& f, std::string_view text) {
  switch (f.type) {
    case FieldType::kString:
    case FieldType::kUnsupported:
      return Value::StringView(text);
    case FieldType::kBytes:
      return Value::BytesView(text);
    case FieldType::kInt: {
      int64_t i;
      if (text.empty()) return Value::Null();
      if (ParseInt(text, &i)) return Value::Int(i);
      double d;  // HubSpot sends "12.0" for number properties
      if (ParseDouble(text, &d) && std::trunc(d) == d && std::abs(d) < 9e18) return Value::Int(static_cast<int64_t>(d));
      return ConvError(f, text, "int");
    }
    case FieldType::kDouble: {
      double d;
      if (text.empty()) return Value::Null();
      if (ParseDouble(text, &d)) return Value::Double(d);
      return ConvError(f, text, "double");
    }
    case FieldType::kDecimal: {
      int64_t c;
      uint32_t s;
      if (text.empty()) return Value::Null();
      if (rt::ParseDecimal(text, &c, &s)) return Value::Decimal(c, s);
      return ConvError(f, text, "decimal");
    }
    case FieldType::kBool:
      if (text == "true") return Value::Bool(true);
      if (text == "false") return Value::Bool(false);
      if (text.empty()) return Value::Null();
      return ConvError(f, text, "bool");
    case FieldType::kDate: {
      int64_t days;
      if (text.empty()) return Value::Null();
      if (rt::ParseDate(text, &days)) return Value::Date(days);
      int64_t ms;  // HubSpot: midnight UTC in epoch milliseconds
      if (ParseInt(text, &ms) && ms % 86400000 == 0) return Value::Date(ms / 86400000);
      return ConvError(f, text, "date");
    }
    case FieldType::kTimestamp: {
      int64_t s;
      int32_t n;
      if (text.empty()) return Value::Null();
      if (rt::ParseTimestamp(text, &s, &n)) return Value::Timestamp(s, n);
      int64_t ms;
      if (ParseInt(text, &ms)) {
        int64_t sec = ms / 1000, rem = ms % 1000;
        if (rem < 0) {
          rem += 1000;
          --sec;
        }
        if (sec >= rt::kMinTimestampSeconds && sec <= rt::kMaxTimestampSeconds)
          return Value::Timestamp(sec, static_cast<int32_t>(rem * 1000000));
      }
      return ConvError(f, text, "timestamp");
    }
    case FieldType::kStringList: {
      std::vector<Value> parts;
      size_t start = 0;
      while (start <= text.size()) {
        size_t end = text.find(';', start);
        if (end == std::string_view::npos) end = text.size();
        if (end > start) parts.push_back(Value::String(text.substr(start, end - start)));
        start = end + 1;
      }
      return Value::List(std::move(parts));
    }
  }
  return Value::Null();
}

Value Decoder::Convert(const schema::Field& f, simdjson::ondemand::value v) {
  simdjson::ondemand::json_type t;
  if (v.type().get(t)) return Value::Error(rt::ErrorCode::kConversion, "field " + f.name + ": malformed JSON value");
  switch (t) {
    case simdjson::ondemand::json_type::null:
      return Value::Null();
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s))
        return Value::Error(rt::ErrorCode::kConversion, "field " + f.name + ": malformed string");
      return FromText(f, s);
    }
    case simdjson::ondemand::json_type::number: {
      std::string_view raw = base::TrimEnd(v.raw_json_token(), " \n\r\t,");
      switch (f.type) {
        case FieldType::kString:
          return Value::StringView(raw);
        case FieldType::kDecimal:
        case FieldType::kInt:
        case FieldType::kDouble:
        case FieldType::kTimestamp:
        case FieldType::kDate:
          return FromText(f, raw);
        default:
          return ConvError(f, raw, schema::FieldTypeName(f.type));
      }
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b = false;
      if (v.get_bool().get(b)) return Value::Error(rt::ErrorCode::kConversion, "field " + f.name + ": malformed bool");
      if (f.type == FieldType::kBool) return Value::Bool(b);
      if (f.type == FieldType::kString) return Value::StringView(b ? "true" : "false");
      return ConvError(f, b ? "true" : "false", schema::FieldTypeName(f.type));
    }
    case simdjson::ondemand::json_type::array: {
      simdjson::ondemand::array arr;
      if (v.get_array().get(arr))
        return Value::Error(rt::ErrorCode::kConversion, "field " + f.name + ": malformed array");
      std::vector<Value> items;
      for (auto item : arr) {
        std::string_view s;
        if (item.get_string().get(s)) return ConvError(f, "[...]", schema::FieldTypeName(f.type));
        items.push_back(Value::String(s));
      }
      if (f.type == FieldType::kStringList) return Value::List(std::move(items));
      return ConvError(f, "[...]", schema::FieldTypeName(f.type));
    }
    case simdjson::ondemand::json_type::object:
      return ConvError(f, "{...}", schema::FieldTypeName(f.type));
  }
  return Value::Null();
}

// Whether the raw key at `raw` (just after its opening quote) is k.key, compared as simdjson's
// raw_json_string::unsafe_is_equal does (the bytes, then the closing quote). Reading 16 bytes
// from `raw` is safe: a short key is followed by its quote, `:` and a value, and the document
// by simdjson's padding.
bool Decoder::SameRawKey(const char* raw, const KeyInfo& k) {
  if (k.mask[0] == 0)
    return !k.key.empty() &&
           simdjson::ondemand::raw_json_string(reinterpret_cast<const uint8_t*>(raw)).unsafe_is_equal(k.key);
  uint64_t a[2];
  std::memcpy(a, raw, 16);
  return ((a[0] ^ k.word[0]) & k.mask[0]) == 0 && ((a[1] ^ k.word[1]) & k.mask[1]) == 0;
}

base::Status Decoder::Fields(simdjson::ondemand::object obj, std::vector<Value>& slots, std::string* id, bool nested) {
  size_t position = nested ? 256 : 0;
  if (nested && order_.size() < 256) order_.resize(256);
  for (auto field_result : obj) {
    // Used in place, by reference: copying the field or its value (GCC copies them with 16-byte
    // loads of what was just stored in narrower pieces) stalled store-to-load forwarding and was
    // the hottest part of decoding.
    if (field_result.error()) return base::Status::Error("malformed JSON object");
    simdjson::ondemand::field& field = field_result.value_unsafe();
    // The usual case: the same key as at this position in the previous
    // record, compared raw (no unescaping, no hashing).
    const KeyInfo* info = nullptr;
    if (position < order_.size() && SameRawKey(field.key().raw(), order_[position])) info = &order_[position];
    if (!info) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return base::Status::Error("malformed JSON: bad key");
      info = &Lookup(key, position, nested);
    }
    ++position;
    simdjson::ondemand::value& v = field.value();
    if (info->special == 1 && id) {
      std::string_view s;
      int slot = info->slot;
      if (!v.get_string().get(s)) {
        id->assign(s);
        if (slot >= 0) slots[slot] = Value::StringView(s);
      } else {
        int64_t n;
        if (!v.get_int64().get(n)) *id = std::to_string(n);
        if (slot >= 0 && !id->empty()) slots[slot] = Value::String(*id);
      }
      continue;
    }
    if (info->special == 2) {
      simdjson::ondemand::object props;
      if (v.get_object().get(props)) return base::Status::Error("\"properties\" is not an object");
      if (base::Status s = Fields(props, slots, id, true); !s) return s;
      continue;
    }
    int slot = info->slot;
    if (slot < 0) continue;                            // not in the schema (attributes, unknown properties): skipped
    if (!wanted_.empty() && !wanted_[slot]) continue;  // no rule reads it
    const schema::Field& f = object_.fields[slot];
    if (f.type == FieldType::kString) {  // the common case first
      std::string_view s;
      if (!v.get_string().get(s)) {
        slots[slot].SetStringView(s);  // in place, no temporary (see above)
        continue;
      }
    }
    slots[slot] = Convert(f, v);
  }
  return base::Status::Ok();
}

base::Status Decoder::Decode(simdjson::ondemand::object obj, std::vector<Value>& slots, std::string* id) {
  slots.assign(object_.fields.size(), Value());
  if (id) id->clear();
  std::string local;
  return Fields(obj, slots, id ? id : &local, false);
}

namespace {
// The text form of a scalar (HubSpot property values; Salesforce strings).
bool ScalarText(const Value& v, std::string* text) {
  switch (v.kind()) {
    case rt::Kind::kString:
      *text = std::string(v.str());
      return true;
    case rt::Kind::kInt:
      *text = std::to_string(v.int_value());
      return true;
    case rt::Kind::kUint:
      *text = std::to_string(v.uint_value());
      return true;
    case rt::Kind::kDouble:
      if (!std::isfinite(v.double_value())) return false;
      *text = rt::FormatDouble(v.double_value());
      return true;
    case rt::Kind::kDecimal:
      *text = rt::FormatDecimal(v.coefficient(), v.scale());
      return true;
    case rt::Kind::kBool:
      *text = v.bool_value() ? "true" : "false";
      return true;
    case rt::Kind::kDate:
      *text = rt::FormatDate(v.days());
      return true;
    case rt::Kind::kTimestamp: {
      // millisecond precision, as both systems store it
      int32_t ms_nanos = v.nanos() / 1000000 * 1000000;
      std::string s = rt::FormatTimestamp(v.seconds(), ms_nanos);
      if (ms_nanos == 0) s.insert(s.size() - 1, ".000");
      *text = s;
      return true;
    }
    case rt::Kind::kList: {
      std::string out;
      for (const Value& e : v.list()) {
        std::string t;
        if (!ScalarText(e, &t)) return false;
        if (!out.empty()) out += ';';
        out += t;
      }
      *text = out;
      return true;
    }
    default:
      return false;
  }
}
}  // namespace

base::Status AppendFieldValue(schema::System system, const schema::Field& f, const Value& v, std::string& out) {
  if (v.is_error()) return base::Status::Error(v.error_message());
  if (system == schema::System::kHubSpot) {
    if (v.is(rt::Kind::kNull)) {
      out += "\"\"";  // HubSpot clears a property with an empty string
      return base::Status::Ok();
    }
    if (v.is(rt::Kind::kString)) {
      AppendJsonString(out, v.str());
      return base::Status::Ok();
    }
    std::string text;
    if (!ScalarText(v, &text))
      return base::Status::Error("a " + std::string(rt::KindTypeName(v.kind())) + " cannot be written to " + f.name);
    AppendJsonString(out, text);
    return base::Status::Ok();
  }
  switch (v.kind()) {
    case rt::Kind::kNull:
      out += "null";
      return base::Status::Ok();
    case rt::Kind::kBool:
      out += v.bool_value() ? "true" : "false";
      return base::Status::Ok();
    case rt::Kind::kInt:
      out += std::to_string(v.int_value());
      return base::Status::Ok();
    case rt::Kind::kUint:
      out += std::to_string(v.uint_value());
      return base::Status::Ok();
    case rt::Kind::kDecimal:
      out += rt::FormatDecimal(v.coefficient(), v.scale());
      return base::Status::Ok();
    case rt::Kind::kDouble:
      if (!std::isfinite(v.double_value()))
        return base::Status::Error("a non-finite number cannot be written to " + f.name);
      out += rt::FormatDouble(v.double_value());
      return base::Status::Ok();
    case rt::Kind::kString:
      AppendJsonString(out, v.str());
      return base::Status::Ok();
    default: {
      std::string text;
      if (!ScalarText(v, &text))
        return base::Status::Error("a " + std::string(rt::KindTypeName(v.kind())) + " cannot be written to " + f.name);
      AppendJsonString(out, text);
      return base::Status::Ok();
    }
  }
}

}  // namespace accord::rec
