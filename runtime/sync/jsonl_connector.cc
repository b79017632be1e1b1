#include "runtime/sync/jsonl_connector.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

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

json ToJsonValue(schema::System system, const schema::Field& f, const Text& t) {
  if (!IsSalesforce(system)) return t ? json(*t) : json("");
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
  return ToJsonValue(system, f, t);
}

Text JsonlConnector::TextOf(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return std::nullopt;
    case json::value_t::string: return v.get<std::string>();
    case json::value_t::boolean: return std::string(v.get<bool>() ? "true" : "false");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return v.dump();
    case json::value_t::array: {
      std::string s;  // a multi-select as the APIs write it: a;b;c
      for (const auto& e : v) {
        if (!s.empty()) s += ';';
        if (e.is_string()) s += e.get<std::string>();
        else s += e.dump();
      }
      return s;
    }
    default: return std::nullopt;
  }
}

std::string JsonlConnector::Path(const std::string& object) const { return dir_ + "/" + object + ".jsonl"; }

JsonlConnector::Table& JsonlConnector::Open(const schema::Object& object, std::vector<ReadProblem>* problems,
                                            std::string* error, bool* ok) {
  *ok = true;
  Table& t = tables_[object.name];
  if (t.loaded) return t;
  t.loaded = true;
  if (dir_.empty()) return t;
  std::string path = Path(object.name);
  std::error_code ec;
  if (!fs::exists(path, ec)) return t;  // no records yet
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path;
    *ok = false;
    return t;
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
    std::string_view line(data.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    json j = json::parse(line, nullptr, false);
    std::string where = path + ":" + std::to_string(line_no);
    if (j.is_discarded() || !j.is_object()) {
      problems->push_back({"", where, where + ": malformed JSON record"});
      continue;
    }
    auto id = j.find(id_key);
    if (id == j.end() || !id->is_string() || id->get<std::string>().empty()) {
      problems->push_back({"", where, where + ": record without a string \"" + id_key + "\""});
      continue;
    }
    if (!IsSalesforce(system_)) {
      auto props = j.find("properties");
      if (props != j.end() && !props->is_object()) {
        problems->push_back({id->get<std::string>(), where, where + ": \"properties\" is not an object"});
        continue;
      }
    }
    std::string rid = id->get<std::string>();
    if (!t.records.count(rid)) t.order.push_back(rid);
    t.records[rid] = std::move(j);
    // new ids continue after the highest number seen
    size_t digits = rid.find_first_of("0123456789");
    if (!IsSalesforce(system_) && digits == 0 && rid.size() < 18) {
      int64_t n = std::atoll(rid.c_str());
      if (n >= t.next_number) t.next_number = n + 1;
    } else if (IsSalesforce(system_) && rid.size() >= 15) {
      int64_t n = std::atoll(rid.substr(5, 10).c_str());
      if (n >= t.next_number) t.next_number = n + 1;
    }
  }
  return t;
}

Record JsonlConnector::ToRecord(const schema::Object& object, const json& j) const {
  Record r;
  r.values.resize(object.fields.size());
  auto fill = [&](const json& obj) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const schema::Field* f = object.FindField(it.key());
      if (!f) continue;
      r.values[static_cast<size_t>(f - object.fields.data())] = TextOf(it.value());
    }
  };
  if (IsSalesforce(system_)) {
    r.id = j.value("Id", "");
    fill(j);
    // Salesforce checkboxes are never null: an absent one reads as its default
    for (size_t i = 0; i < object.fields.size(); ++i) {
      const schema::Field& f = object.fields[i];
      if (!r.values[i] && f.type == schema::FieldType::kBool && !f.nillable)
        r.values[i] = std::string(f.default_value == "true" ? "true" : "false");
    }
    auto stamp = j.find("SystemModstamp");
    if (stamp != j.end() && stamp->is_string()) r.modstamp = stamp->get<std::string>();
    auto del = j.find("IsDeleted");
    r.deleted = del != j.end() && del->is_boolean() && del->get<bool>();
    auto master = j.find("MasterRecordId");
    if (master != j.end() && master->is_string()) r.master_id = master->get<std::string>();
  } else {
    r.id = j.value("id", "");
    auto props = j.find("properties");
    if (props != j.end() && props->is_object()) {
      fill(*props);
      for (const char* k : {"lastmodifieddate", "hs_lastmodifieddate"}) {
        auto s = props->find(k);
        if (s != props->end() && s->is_string()) r.modstamp = s->get<std::string>();
      }
      auto merged = props->find("hs_merged_object_ids");
      if (merged != props->end() && merged->is_string()) {
        std::stringstream ss(merged->get<std::string>());
        for (std::string part; std::getline(ss, part, ';');)
          if (!part.empty()) r.merged_ids.push_back(part);
      }
    }
    if (r.modstamp.empty()) r.modstamp = j.value("updatedAt", "");
    auto arch = j.find("archived");
    r.deleted = arch != j.end() && arch->is_boolean() && arch->get<bool>();
    auto assoc = j.find("associations");
    if (assoc != j.end() && assoc->is_object()) {
      for (auto it = assoc->begin(); it != assoc->end(); ++it) {
        if (!it.value().is_array()) continue;
        for (const auto& id : it.value())
          if (id.is_string()) r.associations[it.key()].push_back(id.get<std::string>());
      }
    }
  }
  return r;
}

bool JsonlConnector::Load(const schema::Object& object, std::vector<Record>* out, std::vector<ReadProblem>* problems,
                          std::string* error) {
  bool ok;
  Table& t = Open(object, problems, error, &ok);
  if (!ok) return false;
  ++calls_.reads;  // a listing (paging is the HTTP connectors' concern)
  out->clear();
  out->reserve(t.order.size());
  for (const std::string& id : t.order) out->push_back(ToRecord(object, t.records[id]));
  return true;
}

std::string JsonlConnector::NewId(const schema::Object& object, Table& t) {
  int64_t n = t.next_number++;
  if (!IsSalesforce(system_)) return std::to_string(n + 100);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%sAC%010lld", KeyPrefix(object.name), static_cast<long long>(n));
  return buf;
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
  auto fail = [&](std::string code, std::string message) {
    r.ok = false;
    r.status_code = std::move(code);
    r.message = std::move(message);
    return r;
  };
  if (op.kind != WriteOp::Kind::kCreate) {
    if (!existing) return fail(IsSalesforce(system_) ? "INVALID_CROSS_REFERENCE_KEY" : "OBJECT_NOT_FOUND",
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
        return fail("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: " + f.name);
      if (text && f.length > 0 && f.type == schema::FieldType::kString && CodePoints(*text) > static_cast<size_t>(f.length))
        return fail("STRING_TOO_LONG", f.label + ": data value too large: " + text->substr(0, 40) +
                                           " (max length=" + std::to_string(f.length) + ")");
      if (text && !text->empty() && f.is_picklist && f.restricted_picklist && !f.values.empty()) {
        // a multi-select is checked value by value
        std::stringstream ss(*text);
        for (std::string part; std::getline(ss, part, ';');)
          if (!f.FindValue(part))
            return fail("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f.label + ": bad value for restricted picklist field: " + part);
      }
    } else if (text && !text->empty() && f.is_picklist && !f.values.empty()) {
      std::stringstream ss(*text);
      for (std::string part; std::getline(ss, part, ';');)
        if (!f.FindValue(part))
          return fail("INVALID_OPTION", part + " was not one of the allowed options for " + f.name);
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
    for (const auto& [slot, text] : op.fields) j[object.fields[slot].name] = ToJsonValue(system_, object.fields[slot], text);
    j["SystemModstamp"] = stamp;
    j["LastModifiedDate"] = stamp;
    return;
  }
  if (op.kind == WriteOp::Kind::kDelete) j["archived"] = true;
  json& props = j["properties"];
  if (!props.is_object()) props = json::object();
  for (const auto& [slot, text] : op.fields) props[object.fields[slot].name] = ToJsonValue(system_, object.fields[slot], text);
  props[object.name == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate"] = stamp;
  j["updatedAt"] = stamp;
  for (const auto& [type, ids] : op.add_associations) {
    json& list = j["associations"][type];
    if (!list.is_array()) list = json::array();
    for (const std::string& id : ids)
      if (std::find(list.begin(), list.end(), json(id)) == list.end()) list.push_back(id);
  }
}

bool JsonlConnector::Append(const std::string& object, const std::vector<const json*>& records, std::string* error) {
  if (dir_.empty() || dry_run_ || records.empty()) return true;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  std::string buf;
  for (const json* j : records) {
    buf += j->dump(-1, ' ', false, json::error_handler_t::replace);
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
  std::vector<ReadProblem> ignored;
  std::string error;
  bool ok;
  Table& t = Open(object, &ignored, &error, &ok);
  size_t batch = static_cast<size_t>(batch_size());
  for (size_t start = 0; start < ops.size(); start += batch) {
    size_t end = std::min(ops.size(), start + batch);
    // one call per kind of operation in the batch, as the APIs' batch endpoints
    bool kinds[3] = {false, false, false};
    for (size_t i = start; i < end; ++i) kinds[static_cast<int>(ops[i].kind)] = true;
    calls_.writes += kinds[0] + kinds[1] + kinds[2];
    std::vector<const json*> stored;
    for (size_t i = start; i < end; ++i) {
      const WriteOp& op = ops[i];
      auto it = op.kind == WriteOp::Kind::kCreate ? t.records.end() : t.records.find(op.id);
      WriteResult r = Validate(object, op, it == t.records.end() ? nullptr : &it->second);
      if (!ok) r = WriteResult{false, op.id, "UNKNOWN", error, true, std::nullopt};
      // a dry run keeps its writes in memory (later reads in the pass see them) and never appends
      if (r.ok) {
        if (op.kind == WriteOp::Kind::kCreate) {
          r.id = NewId(object, t);
          json j = json::object();
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
          it = t.records.emplace(r.id, std::move(j)).first;
        } else {
          Apply(object, op, it->second);
        }
        stored.push_back(&it->second);
        if (op.kind != WriteOp::Kind::kDelete) r.stored = ToRecord(object, it->second);
      }
      results.push_back(std::move(r));
    }
    if (!Append(object.name, stored, &error)) {
      // the batch was not stored: nothing of it is acknowledged
      for (size_t i = start; i < end; ++i) results[i] = WriteResult{false, ops[i].id, "UNKNOWN", error, true, std::nullopt};
    }
  }
  return results;
}

std::string JsonlConnector::Put(const schema::Object& object, json j) {
  std::vector<ReadProblem> ignored;
  std::string error;
  bool ok;
  Table& t = Open(object, &ignored, &error, &ok);
  const char* id_key = IsSalesforce(system_) ? "Id" : "id";
  std::string id = j.contains(id_key) && j[id_key].is_string() ? j[id_key].get<std::string>() : NewId(object, t);
  j[id_key] = id;
  if (!t.records.count(id)) t.order.push_back(id);
  t.records[id] = std::move(j);
  return id;
}

const json* JsonlConnector::Get(const std::string& object, const std::string& id) const {
  auto t = tables_.find(object);
  if (t == tables_.end()) return nullptr;
  auto r = t->second.records.find(id);
  return r == t->second.records.end() ? nullptr : &r->second;
}

std::vector<const json*> JsonlConnector::All(const std::string& object) const {
  std::vector<const json*> out;
  auto t = tables_.find(object);
  if (t == tables_.end()) return out;
  for (const std::string& id : t->second.order) out.push_back(&t->second.records.at(id));
  return out;
}

}  // namespace accord::sync
