// One record at a time (/services/data/vNN.N/sobjects/{Object}/...): create, read, update,
// delete, read and upsert by external id; and the replication API, getUpdated / getDeleted.
#include <algorithm>

#include "sandbox/salesforce_internal.h"

namespace accord::sandbox {

namespace {

int64_t TruncateToMinute(int64_t ms) { return ms - ((ms % 60000) + 60000) % 60000; }

}  // namespace

// ---------------------------------------------------------------- single records

void SalesforceEmulator::CreateOne(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  Json body;
  if (!ObjectBody(c, &body)) return;
  Tx tx;
  std::vector<Error> errors;
  std::optional<RequestError> request_error;
  std::string id;
  if (!Insert(*obj, body, tx, c, 0, &id, &errors, &request_error)) {
    Rollback(tx);
    if (request_error) return c.Send(request_error->status, request_error->body);
    return c.Send(400, ErrorsToArray(errors));
  }
  c.Send(201, SaveResult(&id, true, {}));
}

void SalesforceEmulator::GetOne(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  const std::string& id = c.args[2];
  if (!LooksLikeSalesforceId(id))
    return c.Send(404,
                  ErrorArray("NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + id));
  Record* r = FindRecord(*obj, id);
  if (!r) return WriteNotFound(c);
  if (r->deleted) return c.Send(404, ErrorArray("ENTITY_IS_DELETED", "entity is deleted"));
  std::vector<soql::FieldRef> refs;
  if (c.HasParam("fields")) {
    std::string list = c.Param("fields");
    size_t i = 0;
    while (i <= list.size()) {
      size_t j = list.find(',', i);
      if (j == std::string::npos) j = list.size();
      std::string name = list.substr(i, j - i);
      const schema::Field* f = obj->schema.FindFieldIgnoreCase(name);
      if (!f)
        return c.Send(
            400, ErrorArray("INVALID_FIELD", "No such column '" + name + "' on sobject of type " + obj->schema.name));
      refs.push_back({f->name, f, 1, 1});
      i = j + 1;
    }
  }
  c.Send(200, RecordJson(*obj, *r, v, refs.empty() ? nullptr : &refs));
}

void SalesforceEmulator::UpdateOne(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  const std::string& id = c.args[2];
  Record* r = FindRecord(*obj, id);
  if (!r) {
    if (!LooksLikeSalesforceId(id))
      return c.Send(404,
                    ErrorArray("NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + id));
    return WriteNotFound(c);
  }
  if (r->deleted) return c.Send(404, ErrorArray("ENTITY_IS_DELETED", "entity is deleted"));
  Json body;
  if (!ObjectBody(c, &body)) return;
  Tx tx;
  std::vector<Error> errors;
  std::optional<RequestError> request_error;
  if (!Update(*obj, id, body, tx, c, 0, &errors, &request_error)) {
    Rollback(tx);
    if (request_error) return c.Send(request_error->status, request_error->body);
    return c.Send(400, ErrorsToArray(errors));
  }
  c.SendEmpty(204);
}

void SalesforceEmulator::DeleteOne(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  Record* r = FindRecord(*obj, c.args[2]);
  if (!r) return WriteNotFound(c);
  if (r->deleted) return c.Send(404, ErrorArray("ENTITY_IS_DELETED", "entity is deleted"));
  Tx tx;
  std::vector<Error> errors;
  if (!Delete(r->id, tx, c, 0, &errors)) {
    Rollback(tx);
    return c.Send(400, ErrorsToArray(errors));
  }
  c.SendEmpty(204);
}

void SalesforceEmulator::GetByExternalId(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  const schema::Field* key = ExternalKey(c, *obj, c.args[2]);
  if (!key) return;
  std::vector<const Record*> matches = MatchKey(*obj, *key, c.args[3]);
  if (matches.empty()) return WriteNotFound(c);
  if (matches.size() > 1) return SendMultipleChoices(c, *obj, v, matches);
  c.Send(200, RecordJson(*obj, *matches[0], v, nullptr));
}

void SalesforceEmulator::UpsertOne(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  const schema::Field* key = ExternalKey(c, *obj, c.args[2]);
  if (!key) return;
  Json body;
  if (!ObjectBody(c, &body)) return;
  std::vector<const Record*> matches = MatchKey(*obj, *key, c.args[3]);
  if (matches.size() > 1) return SendMultipleChoices(c, *obj, v, matches);
  Tx tx;
  std::vector<Error> errors;
  std::optional<RequestError> request_error;
  std::string id;
  bool created = matches.empty();
  bool ok;
  if (created) {
    Json input = body;
    input[key->name] = c.args[3];
    ok = Insert(*obj, input, tx, c, 0, &id, &errors, &request_error);
  } else {
    id = matches[0]->id;
    ok = Update(*obj, id, body, tx, c, 0, &errors, &request_error);
  }
  if (!ok) {
    Rollback(tx);
    if (request_error) return c.Send(request_error->status, request_error->body);
    return c.Send(400, ErrorsToArray(errors));
  }
  Json r = SaveResult(&id, true, {});
  r["created"] = created;
  c.Send(created ? 201 : 200, r);
}

// ---------------------------------------------------------------- getUpdated / getDeleted

void SalesforceEmulator::Updated(Call& c, bool deleted) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  for (const char* p : {"start", "end"}) {
    if (!c.HasParam(p) || c.Param(p).empty())
      return c.Send(400, ErrorArray("MISSING_ARGUMENT", std::string("Missing required parameter: ") + p));
  }
  auto start = ParseDateTime(c.Param("start"), false), end = ParseDateTime(c.Param("end"), false);
  if (!start || !end)
    return c.Send(400, ErrorArray("INVALID_REPLICATION_DATE", "start and end must be ISO 8601 date-times"));
  // Seconds are ignored; the window ends no later than now.
  int64_t s = TruncateToMinute(*start), e = TruncateToMinute(std::min(*end, c.now_ms));
  int64_t window_days = deleted ? 15 : 30;
  if (s < c.now_ms - window_days * 86400000)
    return c.Send(400, ErrorArray("INVALID_REPLICATION_DATE",
                                  "start date cannot be more than " + std::to_string(window_days) + " days ago"));
  if (e < s)
    return c.Send(400, ErrorArray("INVALID_REPLICATION_DATE", "start date must chronologically precede end date"));
  Json j;
  if (!deleted) {
    Json ids = Json::array();
    for (const Record& r : obj->records) {
      if (!r.deleted && r.modstamp_ms >= s && r.modstamp_ms <= e) ids.push_back(r.id);
    }
    j["ids"] = ids;
    j["latestDateCovered"] = FormatSalesforceDateTime(e);
  } else {
    std::vector<const Record*> rows;
    for (const Record& r : obj->records) {
      if (r.deleted && r.deleted_ms >= s && r.deleted_ms <= e) rows.push_back(&r);
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Record* a, const Record* b) { return a->deleted_ms < b->deleted_ms; });
    Json list = Json::array();
    for (const Record* r : rows)
      list.push_back({{"id", r->id}, {"deletedDate", FormatSalesforceDateTime(r->deleted_ms)}});
    j["deletedRecords"] = list;
    j["earliestDateAvailable"] =
        FormatSalesforceDateTime(TruncateToMinute(std::max<int64_t>(started_ms_, c.now_ms - int64_t{15} * 86400000)));
    j["latestDateCovered"] = FormatSalesforceDateTime(e);
  }
  c.Send(200, j);
}

}  // namespace accord::sandbox
