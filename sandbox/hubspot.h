// The HubSpot CRM API emulator (docs/sandbox.md lists every endpoint).
//
// State: per object type of the seed, its properties definition and its
// records (every property value a string, as on the wire, with its history for
// propertiesWithHistory); associations (v4, both directions); the rate-limit
// windows. Writes validate property names and values against the definitions
// (enumeration options, numbers, dates at midnight UTC, emails), keep
// lifecyclestage from moving backwards, keep contact emails unique, and move
// createdate / lastmodifieddate (contacts) or hs_lastmodifieddate (other types).
// The implementation is one file per endpoint family; hubspot_internal.h lists them.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "sandbox/seed.h"
#include "sandbox/server.h"
#include "sandbox/webhooks.h"

namespace accord::sandbox {

struct HubSpotSettings {
  int64_t portal_id = 12345678;
  int rate_limit_max = 190;  // requests per interval (Professional; Free/Starter: 100)
  int rate_limit_interval_ms = 10000;
  int64_t daily_limit = 500000;
  int search_per_second = 4;
  int batch_max = 100;
  int batch_history_max = 50;  // batch/read with propertiesWithHistory
  int list_page_max = 100;
  int search_page_max = 200;
  int search_result_cap = 10000;
  int max_filter_groups = 5;
  int max_filters_per_group = 10;
  int max_filters = 25;
  std::string lifecycle_backward = "ignore";  // ignore | allow | reject
};

class HubSpotEmulator : public Emulator {
 public:
  HubSpotEmulator(const Seed& seed, std::string token, Clock clock, Status* status);
  ~HubSpotEmulator() override;

  Status Configure(const Json& j);
  // Webhook delivery (sandbox/webhooks.h; also POST /__sandbox/webhooks).
  Status ConfigureWebhooks(const Json& j);
  WebhookSender& webhooks() { return *webhooks_; }

  struct HistoryEntry {
    std::string value;
    int64_t ms;
  };
  struct Record {
    std::string id;
    std::map<std::string, std::string> props;
    std::map<std::string, std::vector<HistoryEntry>> history;  // oldest first
    int64_t created_ms = 0, updated_ms = 0, archived_ms = 0;
    bool archived = false;
  };
  struct Object {
    schema::Object schema;
    Json properties;      // GET /crm/v3/properties/<type>
    std::string type_id;  // "0-1"
    std::string created_prop, modified_prop;
    std::vector<Record> records;
    std::unordered_map<std::string, size_t> by_id;
    // Unique properties (contact email, hasUniqueValue) of live records: property -> value -> id.
    std::unordered_map<std::string, std::unordered_map<std::string, std::string>> unique;
    bool IsUnique(const std::string& prop) const { return unique.count(prop) > 0; }
  };
  struct PropError {
    std::string name, error, message;
  };

 protected:
  bool Authorize(Call& c) override;
  bool Admit(Call& c) override;
  void WriteNotFound(Call& c) override;
  void WriteMethodNotAllowed(Call& c, const std::string& allowed) override;
  void WriteStorm(Call& c) override;
  void WriteServerError(Call& c, int status) override;
  Json DumpLocked() override;
  Status ResetLocked() override;
  Json SettingsLocked() override;
  Status ConfigureLocked(const Json& j) override;
  const char* ContentType() const override { return "application/json;charset=utf-8"; }
  std::vector<StateFile::Row> AllRowsLocked() override;
  std::vector<StateFile::Row> DirtyRowsLocked() override;
  Json MetaLocked() override;
  Status LoadStateLocked(const std::vector<StateFile::Row>& rows, const Json& meta) override;

 private:
  struct AssocKey {
    std::string type, id;
    bool operator<(const AssocKey& o) const { return type != o.type ? type < o.type : id < o.id; }
  };

  void RegisterRoutes();
  Status LoadRecords(const Seed& seed);
  Status ApplySettings(const Json& j, HubSpotSettings* s);

  Object* FindObject(std::string_view type);
  Object* TypeArg(Call& c, size_t index);
  Record* FindRecord(Object& obj, const std::string& id, bool include_archived = false);
  Record* FindByProperty(Object& obj, const std::string& prop, const std::string& value);
  std::string NewId();
  static std::string UniqueKey(const std::string& prop, const std::string& value);
  static void IndexUnique(Object& obj, const Record& r, bool add);
  static void RebuildUnique(Object& obj);
  std::string CorrelationId();

  // errors in HubSpot's shape
  Json ErrorBody(const std::string& category, const std::string& message, Json errors = Json(), Json context = Json());
  void SendError(Call& c, int status, const std::string& category, const std::string& message, Json errors = Json(),
                 Json context = Json());
  void SendValidation(Call& c, const std::vector<PropError>& errors);
  Json ValidationBody(const std::vector<PropError>& errors);

  // the write path
  bool ValidateProperties(Object& obj, const Json& props, const Record* existing,
                          std::map<std::string, std::string>* out, std::vector<PropError>* errors);
  std::optional<std::string> UniqueConflict(Object& obj, const std::map<std::string, std::string>& values,
                                            const std::string& self_id, std::string* message);
  Record& Create(Object& obj, const std::map<std::string, std::string>& values, int64_t now);
  void Apply(Object& obj, Record& r, const std::map<std::string, std::string>& values, int64_t now);
  bool ParseBody(Call& c, Json* out);
  // The type argument and a body with an "inputs" array of at most batch_max; false: an error was sent.
  bool BatchInputs(Call& c, Object** obj, Json* body, bool non_empty);
  bool ParseAssociationInputs(Call& c, Object& obj, const Json& list,
                              std::vector<std::tuple<std::string, std::string, int>>* out);

  // responses
  Json ObjectJson(const Object& obj, const Record& r, const std::vector<std::string>* props,
                  const std::vector<std::string>* history, const std::vector<std::string>* associations);
  std::vector<std::string> PropList(const Call& c, const std::string& key);

  // associations
  bool Associate(const std::string& from_type, const std::string& from_id, const std::string& to_type,
                 const std::string& to_id, int type_id);
  Json AssociationTypes(const std::set<int>& ids, const std::string& from, const std::string& to);
  std::vector<std::pair<std::string, std::set<int>>> AssociationsOf(const std::string& from_type,
                                                                    const std::string& from_id,
                                                                    const std::string& to_type);

  // handlers
  void List(Call& c);
  void GetOne(Call& c);
  void CreateOne(Call& c);
  void UpdateOne(Call& c);
  void ArchiveOne(Call& c);
  void MergeRecords(Call& c);
  void BatchRead(Call& c);
  void BatchCreate(Call& c);
  void BatchUpdate(Call& c);
  void BatchUpsert(Call& c);
  void BatchArchive(Call& c);
  void Search(Call& c);
  void Properties(Call& c, bool one);
  void PropertiesBatchRead(Call& c);
  void AssocPut(Call& c, bool labelled);
  void AssocDelete(Call& c);
  void AssocGet(Call& c);
  void AssocLabels(Call& c);
  void AssocBatch(Call& c, const std::string& op);

  const Seed seed_;
  std::string token_;
  HubSpotSettings settings_;
  Json seed_config_;
  std::vector<std::unique_ptr<Object>> objects_;
  std::map<AssocKey, std::map<AssocKey, std::set<int>>> assoc_;
  std::deque<int64_t> window_, search_window_;
  int64_t daily_used_ = 0, day_ = 0;
  uint64_t id_counter_ = 0, correlation_counter_ = 0;
  std::set<std::pair<std::string, std::string>> dirty_;  // (type, id) written since the state file was
  void Touch(const Object& obj, const Record& r) {
    if (persistent()) dirty_.emplace(obj.schema.name, r.id);
  }
  void Archive(Object& obj, Record& r, int64_t now, bool event = true) {
    IndexUnique(obj, r, false);
    r.archived = true;
    r.archived_ms = now;
    Touch(obj, r);
    if (event) Emit(obj, "deletion", r.id, now);
  }
  // A webhook event (hubspot_webhooks.cc): `kind` is the subscription type's suffix
  // (creation, propertyChange, deletion, merge, associationChange); `extra` its own fields.
  void Emit(const Object& obj, const std::string& kind, const std::string& id, int64_t now, Json extra = Json());
  void EmitAssociation(const std::string& from_type, const std::string& from_id, const std::string& to_type,
                       const std::string& to_id, bool removed);
  std::unique_ptr<WebhookSender> webhooks_;
};

}  // namespace accord::sandbox
