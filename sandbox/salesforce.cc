// The Salesforce REST API emulator's core: set-up from the seed, reset and dump, the state
// file, the pipeline hooks (sessions, the daily API limit, Salesforce's error shapes), lookups
// and the key index, the response shapes, and the route table. The endpoint families live in
// the files salesforce_internal.h lists.
#include <httplib.h>

#include <algorithm>
#include <cstdlib>

#include "sandbox/salesforce_internal.h"

namespace accord::sandbox {

namespace {

constexpr int kMinVersion = 20, kMaxVersion = 62;

bool IsTextType(const std::string& t) {
  return t == "string" || t == "textarea" || t == "email" || t == "phone" || t == "url" || t == "picklist" ||
         t == "multipicklist" || t == "combobox" || t == "encryptedstring" || t == "time";
}

}  // namespace

namespace salesforce_internal {

std::string TextOf(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return NumberText(v.get<double>());
  return DumpJson(v);
}

std::string JoinComma(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

int64_t TruncateToSecond(int64_t ms) { return ms - ((ms % 1000) + 1000) % 1000; }

SalesforceEmulator::Error LockError() {
  return {"UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records", {}};
}

Json ErrorsToArray(const std::vector<Error>& errors) {
  Json a = Json::array();
  for (const Error& e : errors) {
    Json j;
    j["message"] = e.message;
    j["errorCode"] = e.status_code;
    j["fields"] = e.fields;
    a.push_back(j);
  }
  return a;
}

}  // namespace salesforce_internal

// ---------------------------------------------------------------- setup

SalesforceEmulator::SalesforceEmulator(const Seed& seed, std::string token, Clock clock, Status* status)
    : Emulator("salesforce", token, std::move(clock)), seed_(seed), token_(std::move(token)) {
  org_id_ = MakeSalesforceId("00D", 1);
  user_id_ = MakeSalesforceId("005", 1);
  started_ms_ = Now();
  usage_day_ = StartOfDayMs(started_ms_);
  for (const SeedObject& so : seed.salesforce) {
    auto obj = std::make_unique<Object>();
    obj->schema = so.schema;
    obj->schema.Finalize();
    obj->describe = so.raw;
    if (auto it = so.raw.find("keyPrefix"); it != so.raw.end() && it->is_string()) obj->key_prefix = *it;
    if (obj->key_prefix.size() != 3) obj->key_prefix = "a0" + std::to_string(objects_.size() % 10);
    by_name_[AsciiLower(obj->schema.name)] = obj.get();
    by_prefix_[obj->key_prefix] = obj.get();
    objects_.push_back(std::move(obj));
  }
  AddHistoryObjects();
  settings_.refresh_token = token_;
  Status s = Status::Ok();
  seed_config_ = seed.config.contains("salesforce") ? seed.config["salesforce"] : Json::object();
  s = ApplySettings(seed_config_, &settings_);
  if (s) s = LoadRecords(seed);
  if (status) *status = s;
  RegisterRoutes();
}

SalesforceEmulator::~SalesforceEmulator() { Stop(); }

Status SalesforceEmulator::LoadRecords(const Seed& seed) {
  int64_t now = TruncateToSecond(Now());
  std::string ts = FormatSalesforceDateTime(now);
  for (const SeedObject& so : seed.salesforce) {
    Object* obj = FindObject(so.schema.name);
    size_t line = 0;
    for (const Json& in : so.records) {
      ++line;
      std::string where = "data/salesforce/" + so.schema.name + ".jsonl:" + std::to_string(line) + ": ";
      Record r;
      bool deleted = false;
      for (const auto& [key, v] : in.items()) {
        if (key == "attributes") continue;
        const schema::Field* f = obj->schema.FindFieldIgnoreCase(key);
        if (!f) return Status::Error(where + "no field '" + key + "' on " + obj->schema.name);
        if (f->name == "Id") {
          if (!v.is_string() || !LooksLikeSalesforceId(v.get<std::string>()))
            return Status::Error(where + "Id must be a 15- or 18-character Salesforce id");
          std::string id = v.get<std::string>();
          r.id = id.size() == 15 ? id + SalesforceIdSuffix(id) : id;
          continue;
        }
        if (f->name == "IsDeleted") {
          deleted = v.is_boolean() && v.get<bool>();
          continue;
        }
        Json val;
        Error e;
        if (f->native_type == "email" || f->is_picklist || IsTextType(f->native_type)) {
          // Seed data is taken as the org holds it: types are checked, rules are not.
          if (!v.is_null() && !v.is_string() && !v.is_number() && !v.is_boolean())
            return Status::Error(where + f->name + ": not a scalar");
          if (!v.is_null() && !(v.is_string() && v.get<std::string>().empty()))
            val = v.is_string() ? v : Json(TextOf(v));
        } else if (!Coerce(*obj, *f, v, &val, &e)) {
          return Status::Error(where + e.message);
        }
        if (!val.is_null()) r.fields[f->name] = val;
      }
      if (r.id.empty()) r.id = NewId(*obj);
      if (obj->by_id15.count(r.id.substr(0, 15))) return Status::Error(where + "duplicate Id " + r.id);
      Json full = Json::object();
      full["Id"] = r.id;
      for (const schema::Field& f : obj->schema.fields) {
        if (f.native_type == "boolean" && !r.fields.contains(f.name) && f.name != "IsDeleted")
          r.fields[f.name] = f.default_value == "true";
      }
      for (const char* tf : {"CreatedDate", "LastModifiedDate", "SystemModstamp"}) {
        if (obj->schema.FindField(tf) && !r.fields.contains(tf)) r.fields[tf] = ts;
      }
      for (const char* uf : {"CreatedById", "LastModifiedById", "OwnerId"}) {
        if (obj->schema.FindField(uf) && !r.fields.contains(uf)) r.fields[uf] = user_id_;
      }
      if (obj->schema.FindField("IsDeleted")) r.fields["IsDeleted"] = deleted;
      for (const auto& [k, v] : r.fields.items()) full[k] = v;
      r.fields = std::move(full);
      r.modstamp_ms = now;
      if (auto it = r.fields.find("SystemModstamp"); it != r.fields.end() && it->is_string()) {
        if (auto ms = ParseDateTime(it->get<std::string>(), false)) r.modstamp_ms = *ms;
      }
      r.deleted = deleted;
      r.deleted_ms = deleted ? now : 0;
      obj->by_id15[r.id.substr(0, 15)] = obj->records.size();
      obj->records.push_back(std::move(r));
    }
  }
  for (auto& o : objects_) RebuildIndex(*o);
  return Status::Ok();
}

Status SalesforceEmulator::ResetLocked() {
  for (auto& o : objects_) {
    o->records.clear();
    o->by_id15.clear();
    o->tracked.clear();
  }
  cursors_.clear();
  sessions_.clear();
  cdc_log_.clear();  // replay ids go on counting: a position from before the reset is a gap
  comet_clients_.clear();
  SalesforceSettings fresh;
  fresh.refresh_token = token_;
  settings_ = fresh;
  // The seed loaded when the sandbox started, but not every seed loads twice (generated
  // ids go on counting: one may be the Id a later seed record gives).
  Status s = ApplySettings(seed_config_, &settings_);
  if (s) s = LoadRecords(seed_);
  return s;
}

Json SalesforceEmulator::DumpLocked() {
  Json j;
  j["system"] = "salesforce";
  j["now"] = FormatSalesforceDateTime(Now());
  j["api_usage"] = settings_.api_usage;
  j["daily_api_limit"] = settings_.daily_api_limit;
  Json objects = Json::object();
  for (const auto& o : objects_) {
    Json records = Json::array();
    for (const Record& r : o->records) records.push_back(r.fields);
    Json deleted = Json::array();
    for (const Record& r : o->records) {
      if (r.deleted) deleted.push_back({{"id", r.id}, {"deletedDate", FormatSalesforceDateTime(r.deleted_ms)}});
    }
    objects[o->schema.name] = {{"records", records}, {"deleted", deleted}};
  }
  j["objects"] = objects;
  return j;
}

// ---------------------------------------------------------------- state file

namespace {

Json RecordState(const Record& r, size_t seq) {
  return Json{{"seq", seq},
              {"fields", r.fields},
              {"deleted", r.deleted},
              {"deleted_ms", r.deleted_ms},
              {"modstamp_ms", r.modstamp_ms}};
}

}  // namespace

std::vector<StateFile::Row> SalesforceEmulator::AllRowsLocked() {
  std::vector<StateFile::Row> rows;
  for (const auto& o : objects_) {
    for (size_t i = 0; i < o->records.size(); ++i)
      rows.push_back({o->schema.name, o->records[i].id, RecordState(o->records[i], i)});
  }
  dirty_.clear();
  return rows;
}

std::vector<StateFile::Row> SalesforceEmulator::DirtyRowsLocked() {
  std::vector<StateFile::Row> rows;
  for (const auto& [name, id] : dirty_) {
    Object* o = FindObject(name);
    auto it = o ? o->by_id15.find(id.substr(0, 15)) : decltype(o->by_id15)::iterator{};
    if (o && it != o->by_id15.end()) {
      rows.push_back({name, id, RecordState(o->records[it->second], it->second)});
    } else {
      rows.push_back({name, id, std::nullopt});  // created, then rolled back
    }
  }
  dirty_.clear();
  return rows;
}

Json SalesforceEmulator::MetaLocked() {
  return Json{{"id_counter", id_counter_},         {"token_counter", token_counter_},
              {"cursor_counter", cursor_counter_}, {"api_usage", settings_.api_usage},
              {"usage_day", usage_day_},           {"sessions", sessions_}};
}

Status SalesforceEmulator::LoadStateLocked(const std::vector<StateFile::Row>& rows, const Json& meta) {
  for (auto& o : objects_) {
    o->records.clear();
    o->by_id15.clear();
  }
  std::map<Object*, std::vector<std::pair<size_t, Record>>> loaded;
  for (const StateFile::Row& row : rows) {
    Object* o = FindObject(row.object);
    if (!o) return Status::Error("state file: object " + row.object + " is not in the seed's schemas");
    const Json& b = *row.body;
    if (!b.is_object() || !b.contains("fields") || !b["fields"].is_object())
      return Status::Error("state file: record " + row.object + "/" + row.id + " has no fields");
    Record r;
    r.id = row.id;
    r.fields = b["fields"];
    r.deleted = b.value("deleted", false);
    r.deleted_ms = b.value("deleted_ms", int64_t{0});
    r.modstamp_ms = b.value("modstamp_ms", int64_t{0});
    loaded[o].emplace_back(b.value("seq", size_t{0}), std::move(r));
  }
  for (auto& [o, list] : loaded) {
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [seq, r] : list) {
      o->by_id15[r.id.substr(0, 15)] = o->records.size();
      o->records.push_back(std::move(r));
    }
  }
  if (meta.is_object()) {
    id_counter_ = meta.value("id_counter", id_counter_);
    token_counter_ = meta.value("token_counter", token_counter_);
    cursor_counter_ = meta.value("cursor_counter", cursor_counter_);
    settings_.api_usage = meta.value("api_usage", settings_.api_usage);
    usage_day_ = meta.value("usage_day", usage_day_);
    if (meta.contains("sessions") && meta["sessions"].is_object()) {
      for (const auto& [token, expiry] : meta["sessions"].items()) {
        if (expiry.is_number_integer()) sessions_[token] = expiry.get<int64_t>();
      }
    }
  }
  for (auto& o : objects_) RebuildIndex(*o);
  return Status::Ok();
}

// ---------------------------------------------------------------- pipeline hooks

bool SalesforceEmulator::Authorize(Call& c) {
  // the change events of this request's writes name its client (Sforce-Call-Options: client=X)
  change_origin_ = "com/salesforce/api/rest/59.0";
  std::string options = c.Header("Sforce-Call-Options");
  if (size_t p = options.find("client="); p != std::string::npos)
    change_origin_ += ";client=" + options.substr(p + 7, options.find_first_of(", ;", p + 7) - (p + 7));
  std::string auth = c.Header("Authorization");
  std::string token;
  for (const char* scheme : {"Bearer ", "OAuth "}) {
    if (auth.size() > std::string_view(scheme).size() &&
        EqualsIgnoreCase(auth.substr(0, std::string_view(scheme).size()), scheme))
      token = auth.substr(std::string_view(scheme).size());
  }
  if (!token.empty()) {
    if (token == token_) return true;
    auto it = sessions_.find(token);
    if (it != sessions_.end() && it->second > c.now_ms) return true;
  }
  c.Send(401, ErrorArray("INVALID_SESSION_ID", "Session expired or invalid"));
  c.SetHeader("WWW-Authenticate", "Token");
  return false;
}

bool SalesforceEmulator::Admit(Call& c) {
  int64_t day = StartOfDayMs(c.now_ms);
  if (day != usage_day_) {  // the 24-hour window, simplified to the UTC day
    usage_day_ = day;
    settings_.api_usage = 0;
  }
  if (settings_.api_usage >= settings_.daily_api_limit) {
    c.Send(403, ErrorArray("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."));
    return false;
  }
  ++settings_.api_usage;
  return true;
}

void SalesforceEmulator::Decorate(Call& c) {
  const std::string& p = c.req.path;
  if (p.rfind("/services/data/v", 0) == 0 || p.rfind("/services/apexrest/", 0) == 0) {
    c.SetHeader("Sforce-Limit-Info",
                "api-usage=" + std::to_string(settings_.api_usage) + "/" + std::to_string(settings_.daily_api_limit));
  }
}

void SalesforceEmulator::WriteNotFound(Call& c) {
  c.Send(404, ErrorArray("NOT_FOUND", "The requested resource does not exist"));
}

void SalesforceEmulator::WriteMethodNotAllowed(Call& c, const std::string& allowed) {
  std::string list = allowed;
  if (list.find("GET") != std::string::npos) list += ",HEAD";
  c.Send(405, ErrorArray("METHOD_NOT_ALLOWED", "HTTP Method '" + c.req.method + "' not allowed. Allowed are " + list));
}

void SalesforceEmulator::WriteStorm(Call& c) {
  // Salesforce answers concurrency spikes with 403 REQUEST_LIMIT_EXCEEDED (not 429).
  c.Send(403, ErrorArray("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."));
}

void SalesforceEmulator::WriteServerError(Call& c, int status) {
  if (status == 500) {
    uint64_t h = Hash3(c.faults.seed, c.seq, 77);
    c.Send(500,
           ErrorArray("UNKNOWN_EXCEPTION",
                      "An unexpected error occurred. Please include this ErrorId if you contact support: " +
                          std::to_string(100000000 + h % 900000000) + "-" + std::to_string(10000 + (h >> 32) % 90000) +
                          " (" + std::to_string(-static_cast<int64_t>(h % 2000000000)) + ")"));
  } else {
    c.Send(status, ErrorArray("SERVER_UNAVAILABLE", "Server temporarily unavailable, please try again"));
  }
}

// ---------------------------------------------------------------- lookups

Object* SalesforceEmulator::FindObject(std::string_view name) {
  auto it = by_name_.find(AsciiLower(name));
  return it == by_name_.end() ? nullptr : it->second;
}

Object* SalesforceEmulator::ObjectForId(std::string_view id) {
  if (id.size() < 3) return nullptr;
  auto it = by_prefix_.find(std::string(id.substr(0, 3)));
  return it == by_prefix_.end() ? nullptr : it->second;
}

Record* SalesforceEmulator::FindRecord(Object& obj, std::string_view id) {
  if (!LooksLikeSalesforceId(id)) return nullptr;
  auto it = obj.by_id15.find(std::string(id.substr(0, 15)));
  return it == obj.by_id15.end() ? nullptr : &obj.records[it->second];
}

bool SalesforceEmulator::CheckVersion(Call& c, std::string* version) {
  const std::string& v = c.args[0];
  bool ok = v.size() >= 4 && v[0] == 'v' && v.substr(v.size() - 2) == ".0";
  int major = ok ? std::atoi(v.c_str() + 1) : 0;
  ok = ok && major >= kMinVersion && major <= kMaxVersion && v == "v" + std::to_string(major) + ".0";
  if (!ok) {
    WriteNotFound(c);
    return false;
  }
  *version = v;
  return true;
}

Object* SalesforceEmulator::VersionedObject(Call& c, std::string* version) {
  if (!CheckVersion(c, version)) return nullptr;
  Object* obj = FindObject(c.args[1]);
  if (!obj) WriteNotFound(c);
  return obj;
}

bool SalesforceEmulator::ObjectBody(Call& c, Json* body) {
  if (!ParseBody(c, body, false)) return false;
  if (body->is_object()) return true;
  c.Send(400, ErrorArray("JSON_PARSER_ERROR", "Expected a JSON object"));
  return false;
}

void SalesforceEmulator::Index(Object& obj, size_t i) {
  const Record& r = obj.records[i];
  if (r.deleted) return;
  for (auto& [field, values] : obj.keys) {
    auto it = r.fields.find(field);
    if (it != r.fields.end() && !it->is_null()) values[AsciiLower(TextOf(*it))].push_back(i);
  }
}

void SalesforceEmulator::Unindex(Object& obj, size_t i) {
  const Record& r = obj.records[i];
  if (r.deleted) return;
  for (auto& [field, values] : obj.keys) {
    auto it = r.fields.find(field);
    if (it == r.fields.end() || it->is_null()) continue;
    auto bucket = values.find(AsciiLower(TextOf(*it)));
    if (bucket == values.end()) continue;
    auto& v = bucket->second;
    v.erase(std::remove(v.begin(), v.end(), i), v.end());
    if (v.empty()) values.erase(bucket);
  }
}

void SalesforceEmulator::RebuildIndex(Object& obj) {
  obj.keys.clear();
  for (const schema::Field& f : obj.schema.fields) {
    if (f.name != "Id" && (f.id_lookup || f.external_id || f.unique)) obj.keys[f.name];
  }
  for (const DuplicateRule& r : obj.duplicate_rules) {
    for (const std::string& f : r.fields) obj.keys[f];
  }
  for (size_t i = 0; i < obj.records.size(); ++i) Index(obj, i);
}

std::vector<const Record*> SalesforceEmulator::Lookup(const Object& obj, const std::string& field, const Json& value) {
  std::vector<const Record*> out;
  auto keys = obj.keys.find(field);
  if (keys != obj.keys.end()) {
    auto bucket = keys->second.find(AsciiLower(TextOf(value)));
    if (bucket != keys->second.end()) {
      for (size_t i : bucket->second) out.push_back(&obj.records[i]);
    }
    return out;
  }
  for (const Record& r : obj.records) {  // not a key field: a scan
    auto it = r.fields.find(field);
    if (!r.deleted && it != r.fields.end() && EqualsIgnoreCase(TextOf(*it), TextOf(value))) out.push_back(&r);
  }
  return out;
}

std::string SalesforceEmulator::NewId(const Object& obj) {
  for (;;) {
    std::string id = MakeSalesforceId(obj.key_prefix, ++id_counter_);
    if (!obj.by_id15.count(id.substr(0, 15))) return id;
  }
}

// ---------------------------------------------------------------- responses

Json SalesforceEmulator::ErrorArray(const std::string& code, const std::string& message,
                                    const std::vector<std::string>& fields, bool with_fields) {
  Json e;
  e["message"] = message;
  e["errorCode"] = code;
  if (with_fields) e["fields"] = fields;
  return Json::array({e});
}

Json SalesforceEmulator::SaveResult(const std::string* id, bool success, const std::vector<Error>& errors) {
  Json r;
  r["id"] = id && !id->empty() ? Json(*id) : Json();
  r["success"] = success;
  Json errs = Json::array();
  for (const Error& e : errors) {
    Json ej;
    ej["statusCode"] = e.status_code;
    ej["message"] = e.message;
    ej["fields"] = e.fields;
    errs.push_back(ej);
  }
  r["errors"] = errs;
  return r;
}

Json SalesforceEmulator::RecordJson(const Object& obj, const Record& r, const std::string& version,
                                    const std::vector<soql::FieldRef>* fields) {
  Json j;
  j["attributes"] = {{"type", obj.schema.name},
                     {"url", "/services/data/" + version + "/sobjects/" + obj.schema.name + "/" + r.id}};
  auto put = [&](const std::string& name) {
    auto it = r.fields.find(name);
    j[name] = it == r.fields.end() ? Json() : *it;
  };
  if (fields) {
    for (const soql::FieldRef& f : *fields) put(f.name);
  } else {
    for (const schema::Field& f : obj.schema.fields) put(f.name);
  }
  return j;
}

bool SalesforceEmulator::ParseBody(Call& c, Json* out, bool bare_object_error) {
  int line = 1, col = 1;
  if (ParseJson(c.Body(), out, &line, &col)) return true;
  // The offending character (or end of input), as Jackson names it in Salesforce's messages.
  std::string_view body = c.Body();
  size_t pos = 0;
  for (int l = 1; l < line && pos < body.size(); ++pos) {
    if (body[pos] == '\n') ++l;
  }
  pos += static_cast<size_t>(col - 1);
  std::string where = " at [line:" + std::to_string(line) + ", column:" + std::to_string(col) + "]";
  if (bare_object_error) {
    std::string tok = pos < body.size() ? std::string(1, body[pos]) : "null";
    Json e;
    e["message"] = "Json Deserialization failed on token '" + tok +
                   "' and has left off in the middle of parsing a row. Will go to end of row to begin parsing the "
                   "next row";
    e["errorCode"] = "INVALID_FIELD";
    c.Send(400, e);
  } else if (pos < body.size()) {
    unsigned char ch = static_cast<unsigned char>(body[pos]);
    c.Send(400, ErrorArray("JSON_PARSER_ERROR", "Unexpected character ('" + std::string(1, static_cast<char>(ch)) +
                                                    "' (code " + std::to_string(ch) + "))" + where));
  } else {
    c.Send(400, ErrorArray("JSON_PARSER_ERROR", "Unexpected end-of-input" + where));
  }
  return false;
}

// ---------------------------------------------------------------- routes

void SalesforceEmulator::RegisterRoutes() {
  RouteOptions open;
  open.authenticated = false;
  // Streaming (CometD): authorized in the handler, not counted against the daily REST limit
  Route(
      "POST", "/cometd/{}", [this](Call& c) { CometD(c); }, open);
  RouteOptions write;
  write.mutates = true;
  const std::string d = "/services/data/{}";

  RouteOptions token_route = open;
  token_route.mutates = true;  // issued sessions go into the state file
  Route(
      "POST", "/services/oauth2/token", [this](Call& c) { Token(c); }, token_route);
  // Token revocation (jsforce's logout() with an OAuth2 session calls it).
  Route(
      "POST", "/services/oauth2/revoke", [this](Call& c) { Revoke(c); }, token_route);
  Route(
      "GET", "/services/oauth2/revoke", [this](Call& c) { Revoke(c); }, token_route);
  // The identity URL the token response's "id" points to; not counted against
  // the API limit, so it authenticates in the handler.
  Route(
      "GET", "/id/{}/{}", [this](Call& c) { Identity(c); }, open);
  Route(
      "GET", "/services/data", [](Call& c) { Versions(c); }, open);
  Route("GET", d, [this](Call& c) { Resources(c); });
  Route("GET", d + "/limits", [this](Call& c) { Limits(c); });
  Route("GET", d + "/limits/recordCount", [this](Call& c) { RecordCount(c); });
  Route("GET", d + "/sobjects", [this](Call& c) { SObjects(c); });
  Route("GET", d + "/sobjects/{}", [this](Call& c) { SObjectBasics(c); });
  Route("GET", d + "/sobjects/{}/describe", [this](Call& c) { Describe(c); });
  Route(
      "POST", d + "/sobjects/{}", [this](Call& c) { CreateOne(c); }, write);
  Route("GET", d + "/sobjects/{}/updated", [this](Call& c) { Updated(c, false); });
  Route("GET", d + "/sobjects/{}/deleted", [this](Call& c) { Updated(c, true); });
  Route("GET", d + "/sobjects/{}/{}", [this](Call& c) { GetOne(c); });
  Route(
      "PATCH", d + "/sobjects/{}/{}", [this](Call& c) { UpdateOne(c); }, write);
  Route(
      "DELETE", d + "/sobjects/{}/{}", [this](Call& c) { DeleteOne(c); }, write);
  Route("GET", d + "/sobjects/{}/{}/{}", [this](Call& c) { GetByExternalId(c); });
  Route(
      "PATCH", d + "/sobjects/{}/{}/{}", [this](Call& c) { UpsertOne(c); }, write);
  Route("GET", d + "/query", [this](Call& c) { Query(c, false); });
  Route("GET", d + "/queryAll", [this](Call& c) { Query(c, true); });
  Route("GET", d + "/query/{}", [this](Call& c) { QueryMore(c); });
  Route("GET", d + "/queryAll/{}", [this](Call& c) { QueryMore(c); });
  Route(
      "POST", d + "/composite/sobjects", [this](Call& c) { CollectionsWrite(c, true); }, write);
  Route(
      "PATCH", d + "/composite/sobjects", [this](Call& c) { CollectionsWrite(c, false); }, write);
  Route(
      "DELETE", d + "/composite/sobjects", [this](Call& c) { CollectionsDelete(c); }, write);
  Route("GET", d + "/composite/sobjects/{}", [this](Call& c) { CollectionsRetrieve(c); });
  Route("POST", d + "/composite/sobjects/{}", [this](Call& c) { CollectionsRetrieve(c); });
  Route(
      "PATCH", d + "/composite/sobjects/{}/{}", [this](Call& c) { CollectionsUpsert(c); }, write);
  Route(
      "POST", "/services/apexrest/accord/convertLead", [this](Call& c) { ConvertLead(c); }, write);
  Route(
      "POST", "/services/apexrest/accord/merge", [this](Call& c) { MergeRecords(c); }, write);
  Route(
      "POST", "/__sandbox/expire-sessions",
      [this](Call& c) {
        size_t n = sessions_.size();
        sessions_.clear();
        c.Send(200, Json{{"expired", n}});
      },
      RouteOptions{false, true, false});
  Route(
      "GET", "/__sandbox/cdc", [this](Call& c) { c.Send(200, CdcStatusLocked(c.now_ms)); },
      RouteOptions{false, true, false});
}

}  // namespace accord::sandbox
