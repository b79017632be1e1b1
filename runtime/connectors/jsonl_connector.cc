#include "runtime/connectors/jsonl_connector.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "runtime/connectors/wire_values.h"

namespace accord::sync {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool IsSalesforce(schema::System s) { return s == schema::System::kSalesforce; }

const char* KeyPrefix(const std::string& object) {
  static const std::map<std::string, const char*> k = {
      {"Account", "001"}, {"Contact", "003"}, {"Lead", "00Q"}, {"Opportunity", "006"}, {"Task", "00T"}};
  auto it = k.find(object);
  return it == k.end() ? "a0X" : it->second;
}

// Characters, not bytes: Salesforce lengths count UTF-16 units; counting code
// points is the same for everything outside the astral planes.
size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string IsoMillis(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

JsonlConnector::JsonlConnector(schema::System system, std::string dir, bool dry_run)
    : system_(system), dir_(std::move(dir)), dry_run_(dry_run) {}

json JsonlConnector::JsonValue(schema::System system, const schema::Field& f, const Text& t) {
  return WireJson(system, f, t);
}

Text JsonlConnector::TextOf(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return std::nullopt;
    case json::value_t::string:
      return v.get<std::string>();
    case json::value_t::boolean:
      return std::string(v.get<bool>() ? "true" : "false");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return v.dump();
    case json::value_t::array: {
      std::string s;  // a multi-select as the APIs write it: a;b;c
      for (const auto& e : v) {
        if (!s.empty()) s += ';';
        if (e.is_string())
          s += e.get<std::string>();
        else
          s += e.dump();
      }
      return s;
    }
    default:
      return std::nullopt;
  }
}

std::string JsonlConnector::Path(const std::string& object) const { return dir_ + "/" + object + ".jsonl"; }

JsonlConnector::Table& JsonlConnector::Open(const schema::Object& object, std::string* error, bool* ok) {
  *ok = true;
  Table& t = tables_[object.name];
  if (t.loaded) return t;
  t.loaded = true;
  if (dir_.empty()) return t;
  std::string path = Path(object.name);
  std::error_code ec;
  if (!fs::exists(path, ec)) return t;  // no records yet
  std::string data;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
    std::fclose(f);
  } else {
    *error = "cannot read " + path;
    *ok = false;
    return t;
  }
  // A line without its newline was never completely stored (the writer died
  // mid-append): the system never acknowledged it, so it is dropped.
  size_t end = data.rfind('\n');
  size_t keep = end == std::string::npos ? 0 : end + 1;
  if (keep < data.size() && !dry_run_) {
    fs::resize_file(path, keep, ec);
    if (ec) {
      *error = "cannot truncate the unfinished last line of " + path + ": " + ec.message();
      *ok = false;
      return t;
    }
  }
  data.resize(keep);
  const char* id_key = IsSalesforce(system_) ? "Id" : "id";
  size_t line_no = 0, pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    std::string line = data.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = path + ":" + std::to_string(line_no);
    // only the id here; the whole record is read (and checked) by Load
    std::string id;
    {
      simdjson::padded_string padded(line);
      simdjson::ondemand::document doc;
      simdjson::ondemand::object obj;
      std::string_view sv;
      if (parser_.iterate(padded).get(doc) || doc.get_object().get(obj)) {
        t.problems.push_back({"", where, where + ": malformed JSON record"});
        continue;
      }
      auto field = obj.find_field_unordered(id_key);
      if (field.error() == simdjson::NO_SUCH_FIELD || field.get_string().get(sv) || sv.empty()) {
        t.problems.push_back({"", where, where + ": record without a string \"" + id_key + "\""});
        continue;
      }
      id = std::string(sv);
    }
    NoteId(t, id);
    if (JsonDepth(line) > kMaxRecordDepth) {
      // Never kept: reading, copying or writing it back would recurse that deep. Its
      // earlier lines are not its current state, so the record is unknown, not old.
      t.problems.push_back(
          {id, where,
           where + ": record " + id + " is nested deeper than " + std::to_string(kMaxRecordDepth) + " levels"});
      if (t.records.erase(id)) t.order.erase(std::find(t.order.begin(), t.order.end(), id));
      t.lines.erase(id);
      continue;
    }
    if (!t.records.count(id)) t.order.push_back(id);
    t.lines[id] = line_no;
    t.records[id] = std::move(line);
  }
  return t;
}

void JsonlConnector::NoteId(Table& t, const std::string& rid) const {
  // new ids continue after the highest number seen
  if (!IsSalesforce(system_) && !rid.empty() && rid.find_first_not_of("0123456789") == std::string::npos &&
      rid.size() < 18) {
    int64_t n = std::atoll(rid.c_str()) - 99;
    if (n >= t.next_number) t.next_number = n + 1;
  } else if (IsSalesforce(system_) && rid.size() >= 15) {
    int64_t n = std::atoll(rid.substr(5, 10).c_str());
    if (n >= t.next_number) t.next_number = n + 1;
  }
}

bool JsonlConnector::ToRecord(const schema::Object& object, const std::string& text, Record* r,
                              std::string* problem) const {
  namespace od = simdjson::ondemand;
  r->id.clear();
  r->modstamp.clear();
  r->deleted = false;
  r->values.assign(object.fields.size(), std::nullopt);
  r->associations.clear();
  r->master_id.clear();
  r->merged_ids.clear();
  simdjson::padded_string padded(text);
  od::document doc;
  od::object obj;
  if (parser_.iterate(padded).get(doc) || doc.get_object().get(obj)) return *problem = "malformed JSON", false;
  const bool sf = IsSalesforce(system_);
  std::string updated_at;
  for (auto member : obj) {
    std::string_view key;
    od::value v;
    if (member.unescaped_key().get(key) || member.value().get(v)) return *problem = "malformed JSON", false;
    Text t;
    if (sf) {
      if (!ReadSalesforceMember(object, key, v, r, problem)) return false;
      continue;
    }
    if (key == "id" || key == "updatedAt" || key == "archived") {
      if (!ShapeText(system_, key, key == "archived" ? schema::FieldType::kBool : schema::FieldType::kString, v, &t,
                     problem))
        return false;
      if (key == "id")
        r->id = t ? *t : "";
      else if (key == "updatedAt" && t)
        updated_at = *t;
      else
        r->deleted = t == Text("true");
    } else if (key == "properties") {
      od::object props;
      if (v.get_object().get(props)) return *problem = "properties is not an object", false;
      for (auto p : props) {
        std::string_view name;
        od::value pv;
        if (p.unescaped_key().get(name) || p.value().get(pv)) return *problem = "malformed JSON", false;
        bool special = name == "lastmodifieddate" || name == "hs_lastmodifieddate" || name == "hs_merged_object_ids";
        if (const schema::Field* f = object.FindField(name)) {
          if (!FieldText(system_, *f, pv, &t, problem)) return false;
          r->values.set(static_cast<size_t>(f - object.fields.data()), t);
        } else if (special ? !ShapeText(system_, name, schema::FieldType::kString, pv, &t, problem)
                           : !SkipValue(name, pv, problem)) {
          return false;
        }
        if ((name == "lastmodifieddate" || name == "hs_lastmodifieddate") && t) r->modstamp = *t;
        if (name == "hs_merged_object_ids" && t) {
          std::stringstream ss(*t);
          for (std::string part; std::getline(ss, part, ';');)
            if (!part.empty()) r->merged_ids.push_back(part);
        }
      }
    } else if (key == "associations") {
      // {"companies": ["201", ...]}
      od::object assoc;
      if (v.get_object().get(assoc)) return *problem = "associations is not an object", false;
      for (auto a : assoc) {
        std::string_view type;
        od::value ids;
        if (a.unescaped_key().get(type) || a.value().get(ids)) return *problem = "malformed JSON", false;
        if (!ShapeText(system_, "associations." + std::string(type), schema::FieldType::kStringList, ids, &t, problem))
          return false;
        std::vector<std::string>& out = r->associations[std::string(type)];
        std::stringstream ss(t.value_or(""));
        for (std::string id; std::getline(ss, id, ';');)
          if (!id.empty()) out.push_back(id);
      }
    } else if (!SkipValue(key, v, problem)) {
      return false;
    }
  }
  if (!sf && r->modstamp.empty()) r->modstamp = updated_at;
  if (sf) {
    // Salesforce checkboxes are never null: an absent one reads as its default
    for (size_t i = 0; i < object.fields.size(); ++i) {
      const schema::Field& f = object.fields[i];
      if (!r->values[i] && f.type == schema::FieldType::kBool && !f.nillable)
        r->values.set(i, std::string(f.default_value == "true" ? "true" : "false"));
    }
  }
  return true;
}

base::Status JsonlConnector::Load(const schema::Object& object, std::vector<Record>* out,
                                  std::vector<ReadProblem>* problems) {
  bool ok;
  std::string error;
  Table& t = Open(object, &error, &ok);
  if (!ok) return base::Status::Error(error);
  ++calls_.reads;  // a listing (paging is the HTTP connectors' concern)
  problems->insert(problems->end(), t.problems.begin(), t.problems.end());  // lines without a record, every pass
  out->clear();
  out->resize(t.order.size());
  size_t n = 0;
  for (const std::string& id : t.order) {
    std::string problem;
    if (ToRecord(object, t.records[id], &(*out)[n], &problem)) {
      ++n;
      continue;
    }
    auto line = t.lines.find(id);
    std::string where = Path(object.name) + (line == t.lines.end() ? "" : ":" + std::to_string(line->second));
    problems->push_back({id, where, where + ": record " + id + ": " + problem});
  }
  out->resize(n);
  return base::Status::Ok();
}

std::string JsonlConnector::NewId(const schema::Object& object, Table& t) {
  // never an id the system has (a line dropped as unfinished never existed, so its id may come back)
  for (;;) {
    int64_t n = t.next_number++;
    std::string id;
    if (!IsSalesforce(system_)) {
      id = std::to_string(n + 100);
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%sAC%010lld", KeyPrefix(object.name), static_cast<long long>(n));
      id = buf;
    }
    if (!t.records.count(id)) return id;
  }
}

std::string JsonlConnector::NextStamp() {
  auto now = std::chrono::system_clock::now();
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  // strictly increasing, so that a cursor never misses a write made in the same millisecond
  last_ms_ = std::max(ms, last_ms_ + 1);
  return IsoMillis(last_ms_);
}

WriteResult JsonlConnector::Validate(const schema::Object& object, const WriteOp& op, const json* existing) const {
  WriteResult r;
  r.id = op.id;
  auto fail = [&](std::string code, std::string message, std::string field = "") {
    r.ok = false;
    r.status_code = std::move(code);
    r.message = std::move(message);
    r.field = std::move(field);
    return r;
  };
  if (op.kind != WriteOp::Kind::kCreate) {
    if (!existing)
      return fail(IsSalesforce(system_) ? "INVALID_CROSS_REFERENCE_KEY" : "OBJECT_NOT_FOUND",
                  "no " + object.name + " with id " + op.id);
    bool deleted = IsSalesforce(system_) ? existing->value("IsDeleted", false) : existing->value("archived", false);
    if (deleted) return fail("ENTITY_IS_DELETED", "entity is deleted");
    if (op.kind == WriteOp::Kind::kDelete) {
      r.ok = true;
      return r;
    }
  }
  for (const auto& [slot, text] : op.fields) {
    const schema::Field& f = object.fields[slot];
    if (IsSalesforce(system_)) {
      if (op.kind == WriteOp::Kind::kCreate ? !f.createable : !f.updateable)
        return fail("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: " + f.name, f.name);
      if (text && f.length > 0 && f.type == schema::FieldType::kString &&
          CodePoints(*text) > static_cast<size_t>(f.length))
        return fail("STRING_TOO_LONG",
                    f.label + ": data value too large: " + text->substr(0, 40) +
                        " (max length=" + std::to_string(f.length) + ")",
                    f.name);
      if (text && !text->empty() && f.is_picklist && f.restricted_picklist && !f.values.empty()) {
        // a multi-select is checked value by value
        std::stringstream ss(*text);
        for (std::string part; std::getline(ss, part, ';');)
          if (!f.FindValue(part))
            return fail("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        f.label + ": bad value for restricted picklist field: " + part, f.name);
      }
    } else if (text && !text->empty() && f.is_picklist && !f.values.empty()) {
      std::stringstream ss(*text);
      for (std::string part; std::getline(ss, part, ';');)
        if (!f.FindValue(part))
          return fail("INVALID_OPTION", part + " was not one of the allowed options for " + f.name, f.name);
    }
  }
  if (IsSalesforce(system_) && op.kind == WriteOp::Kind::kCreate) {
    for (size_t i = 0; i < object.fields.size(); ++i) {
      const schema::Field& f = object.fields[i];
      if (!f.required_on_create() || f.type == schema::FieldType::kBool) continue;
      bool given = false;
      for (const auto& [slot, text] : op.fields) given |= slot == i && !IsBlank(text);
      if (!given) return fail("REQUIRED_FIELD_MISSING", "Required fields are missing: [" + f.name + "]");
    }
  }
  r.ok = true;
  return r;
}

void JsonlConnector::Apply(const schema::Object& object, const WriteOp& op, json& j) {
  std::string stamp = NextStamp();
  if (IsSalesforce(system_)) {
    if (op.kind == WriteOp::Kind::kDelete) j["IsDeleted"] = true;
    for (const auto& [slot, text] : op.fields)
      j[object.fields[slot].name] = WireJson(system_, object.fields[slot], text);
    j["SystemModstamp"] = stamp;
    j["LastModifiedDate"] = stamp;
    return;
  }
  if (op.kind == WriteOp::Kind::kDelete) j["archived"] = true;
  json& props = j["properties"];
  if (!props.is_object()) props = json::object();
  for (const auto& [slot, text] : op.fields)
    props[object.fields[slot].name] = WireJson(system_, object.fields[slot], text);
  props[object.name == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate"] = stamp;
  j["updatedAt"] = stamp;
  for (const auto& [type, ids] : op.add_associations) {
    json& list = j["associations"][type];
    if (!list.is_array()) list = json::array();
    for (const std::string& id : ids)
      if (std::find(list.begin(), list.end(), json(id)) == list.end()) list.push_back(id);
  }
}

bool JsonlConnector::Append(const std::string& object, const std::vector<const std::string*>& records,
                            std::string* error) {
  if (dir_.empty() || dry_run_ || records.empty()) return true;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  std::string buf;
  for (const std::string* line : records) {
    buf += *line;
    buf += '\n';
  }
  FILE* f = std::fopen(Path(object).c_str(), "ab");
  if (!f) {
    *error = "cannot write " + Path(object);
    return false;
  }
  bool ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  ok &= std::fflush(f) == 0;
  ok &= std::fclose(f) == 0;
  if (!ok) *error = "cannot write " + Path(object);
  return ok;
}

std::vector<WriteResult> JsonlConnector::Write(const schema::Object& object, const std::vector<WriteOp>& ops) {
  std::vector<WriteResult> results;
  results.reserve(ops.size());
  std::string error;
  bool ok;
  Table& t = Open(object, &error, &ok);
  size_t batch = static_cast<size_t>(batch_size());
  // creates that upsert: the live records by their value of the upsert field (built at the first)
  std::string upsert_field;
  std::unordered_map<std::string, std::string> by_upsert_value;
  for (size_t start = 0; start < ops.size(); start += batch) {
    size_t end = std::min(ops.size(), start + batch);
    // one call per kind of operation in the batch, as the APIs' batch endpoints
    bool kinds[3] = {false, false, false};
    for (size_t i = start; i < end; ++i) kinds[static_cast<int>(ops[i].kind)] = true;
    calls_.writes += kinds[0] + kinds[1] + kinds[2];
    std::vector<const std::string*> stored;
    for (size_t i = start; i < end; ++i) {
      const WriteOp& op = ops[i];
      auto it = op.kind == WriteOp::Kind::kCreate ? t.records.end() : t.records.find(op.id);
      // a create that upserts updates the live record that already has its value, as the APIs do
      const Text* key = UpsertValue(object, op);
      if (key && upsert_field != op.upsert_field) {
        upsert_field = op.upsert_field;
        by_upsert_value.clear();
        const schema::Field* f = object.FindField(upsert_field);
        size_t slot = static_cast<size_t>(f - object.fields.data());
        Record rec;
        std::string problem;
        for (const std::string& id : t.order)
          if (ToRecord(object, t.records[id], &rec, &problem) && !rec.deleted && !IsBlank(rec.values[slot]))
            by_upsert_value.emplace(*rec.values[slot], id);
      }
      if (key)
        if (auto u = by_upsert_value.find(**key); u != by_upsert_value.end()) it = t.records.find(u->second);
      std::optional<json> existing;
      if (it != t.records.end()) {
        json j = json::parse(it->second, nullptr, false);
        if (j.is_object()) existing = std::move(j);
      }
      WriteResult r = Validate(object, op, existing ? &*existing : nullptr);
      if (!ok) r = WriteResult{false, op.id, "UNKNOWN", error, true, std::nullopt};
      // a dry run keeps its writes in memory (later reads in the pass see them) and never appends
      if (r.ok) {
        json j;
        if (op.kind == WriteOp::Kind::kCreate && !existing) {
          r.id = NewId(object, t);
          if (key) by_upsert_value.emplace(**key, r.id);
          j = json::object();
          if (IsSalesforce(system_)) {
            j["Id"] = r.id;
            j["IsDeleted"] = false;
          } else {
            j["id"] = r.id;
            j["properties"] = json::object();
            j["archived"] = false;
          }
          Apply(object, op, j);
          if (!IsSalesforce(system_)) j["properties"]["hs_object_id"] = r.id;
          t.order.push_back(r.id);
          it = t.records.emplace(r.id, std::string()).first;
        } else {
          if (op.kind == WriteOp::Kind::kCreate) r.id = it->first;  // upserted into this record
          j = std::move(*existing);
          Apply(object, op, j);
        }
        it->second = j.dump(-1, ' ', false, json::error_handler_t::replace);
        stored.push_back(&it->second);
        if (op.kind != WriteOp::Kind::kDelete) {
          Record rec;
          std::string problem;
          if (ToRecord(object, it->second, &rec, &problem)) r.stored = std::move(rec);
        }
      }
      results.push_back(std::move(r));
    }
    if (!Append(object.name, stored, &error)) {
      // the batch was not stored: nothing of it is acknowledged
      for (size_t i = start; i < end; ++i)
        results[i] = WriteResult{false, ops[i].id, "UNKNOWN", error, true, std::nullopt};
    }
  }
  return results;
}

std::string JsonlConnector::Put(const schema::Object& object, json j) {
  std::string error;
  bool ok;
  Table& t = Open(object, &error, &ok);
  const char* id_key = IsSalesforce(system_) ? "Id" : "id";
  std::string id = j.contains(id_key) && j[id_key].is_string() ? j[id_key].get<std::string>() : NewId(object, t);
  j[id_key] = id;
  if (!t.records.count(id)) t.order.push_back(id);
  NoteId(t, id);
  t.records[id] = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return id;
}

std::optional<json> JsonlConnector::Get(const std::string& object, const std::string& id) const {
  auto t = tables_.find(object);
  if (t == tables_.end()) return std::nullopt;
  auto r = t->second.records.find(id);
  if (r == t->second.records.end()) return std::nullopt;
  return json::parse(r->second, nullptr, false);
}

std::vector<json> JsonlConnector::All(const std::string& object) const {
  std::vector<json> out;
  auto t = tables_.find(object);
  if (t == tables_.end()) return out;
  for (const std::string& id : t->second.order) out.push_back(json::parse(t->second.records.at(id), nullptr, false));
  return out;
}

}  // namespace accord::sync
