// The Salesforce REST API emulator (docs/sandbox.md lists every endpoint).
//
// State: per object of the seed, its describe, its records (fields keyed by
// their describe names, sparse: a missing field is null) and soft-deleted
// records (the recycle bin, for queryAll and getDeleted); OAuth sessions; the
// daily API usage; open query cursors. Writes validate like an org does
// (writability, types, lengths, restricted picklists, required fields, the
// seed's validation and duplicate rules, unique fields) and run the seed's
// field updates ("triggers") in the same transaction; every write moves
// LastModifiedDate and SystemModstamp (second precision, as in Salesforce).
// The implementation is one file per endpoint family; salesforce_internal.h lists them.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "sandbox/seed.h"
#include "sandbox/server.h"
#include "sandbox/soql.h"

namespace accord::sandbox {

struct SalesforceSettings {
  int64_t daily_api_limit = 100000;
  int64_t api_usage = 0;       // used so far today
  int query_page_size = 2000;  // records per query page (Sforce-Query-Options batchSize: 200..2000)
  int max_collection_size = 200;
  int64_t session_seconds = 7200;
  std::vector<std::string> users;  // JWT `sub` values accepted; empty = any
  std::string refresh_token;       // the refresh token the token endpoint accepts
  std::vector<std::string> converted_statuses{"Closed - Converted"};
  int64_t cdc_retention_ms = int64_t{72} * 3600 * 1000;  // change events kept for replay (72 hours)
  bool cdc_hold = false;  // /meta/connect delivers nothing until it is false again (tests)
};

class SalesforceEmulator : public Emulator {
 public:
  // `token` is always accepted as an access token. Seed errors (bad rules,
  // records with unknown fields) go to *status.
  SalesforceEmulator(const Seed& seed, std::string token, Clock clock, Status* status);
  ~SalesforceEmulator() override;

  // Applies a "salesforce" settings object (sandbox.json / POST /__sandbox/config).
  Status Configure(const Json& j);

 protected:
  bool Authorize(Call& c) override;
  bool Admit(Call& c) override;
  void Decorate(Call& c) override;
  void WriteNotFound(Call& c) override;
  void WriteMethodNotAllowed(Call& c, const std::string& allowed) override;
  void WriteStorm(Call& c) override;
  void WriteServerError(Call& c, int status) override;
  Json DumpLocked() override;
  Status ResetLocked() override;
  Json SettingsLocked() override;
  Status ConfigureLocked(const Json& j) override;
  const char* ContentType() const override { return "application/json;charset=UTF-8"; }
  std::vector<StateFile::Row> AllRowsLocked() override;
  std::vector<StateFile::Row> DirtyRowsLocked() override;
  Json MetaLocked() override;
  Status LoadStateLocked(const std::vector<StateFile::Row>& rows, const Json& meta) override;

 public:
  struct Record {
    std::string id;
    Json fields = Json::object();
    bool deleted = false;
    int64_t deleted_ms = 0;
    int64_t modstamp_ms = 0;
  };
  struct ValidationRule {
    std::string name, message, field;
    std::string condition_text;
    std::unique_ptr<soql::Cond> condition;
  };
  struct DuplicateRule {
    std::string name;
    std::vector<std::string> fields;
  };
  struct FieldUpdate {
    std::string name, condition_text;
    std::unique_ptr<soql::Cond> condition;
    Json set;
  };
  struct Object {
    schema::Object schema;
    Json describe;
    std::string key_prefix;
    std::vector<Record> records;
    std::unordered_map<std::string, size_t> by_id15;
    std::vector<ValidationRule> validation_rules;
    std::vector<DuplicateRule> duplicate_rules;
    std::vector<FieldUpdate> field_updates;
    // Field history: the <Object>History object its describe names (the "Histories" child
    // relationship, or added by the setting field_history), the field there that points
    // back here, and the fields tracked (field_history). nullptr: no history.
    Object* history = nullptr;
    std::string history_parent;
    std::set<std::string> tracked;
    // Lower-cased values of the key fields (idLookup, externalId, unique, duplicate-rule fields)
    // of live records -> record indexes. Kept by Index/Unindex at every write.
    std::unordered_map<std::string, std::unordered_map<std::string, std::vector<size_t>>> keys;
  };
  struct Error {
    std::string status_code, message;
    std::vector<std::string> fields;
  };

 private:
  struct Tx;
  struct RequestError {
    int status = 400;
    Json body;
  };
  struct Cursor {
    std::vector<Json> rows;
    int64_t created_ms = 0;
    size_t page_size = 2000;
    std::string version;
  };

  void RegisterRoutes();
  Status LoadRecords(const Seed& seed);
  Status ApplySettings(const Json& j, SalesforceSettings* settings);

  // lookups
  Object* FindObject(std::string_view name);
  Object* ObjectForId(std::string_view id);
  Record* FindRecord(Object& obj, std::string_view id);
  bool CheckVersion(Call& c, std::string* version);
  // The version ({} 0) and the object ({} 1) of a /services/data/vNN.N/sobjects/{O} path; nullptr: 404 sent.
  Object* VersionedObject(Call& c, std::string* version);
  bool ObjectBody(Call& c, Json* body);  // a JSON object body; false: 400 sent

  // the write path
  bool Coerce(Object& obj, const schema::Field& f, const Json& in, Json* out, Error* err);
  bool PrepareFields(Object& obj, const Json& input, bool insert, Json* changes, std::vector<Error>* errors,
                     std::optional<RequestError>* request_error);
  // The record a write to `id` changes (in *obj, or the object of the id's prefix when *obj is
  // null), or nullptr with MALFORMED_ID, INVALID_CROSS_REFERENCE_KEY, ENTITY_IS_DELETED or the lock fault.
  Record* WriteTarget(Object** obj, const std::string& id, Call& c, size_t index, std::vector<Error>* errors);
  bool Insert(Object& obj, const Json& input, Tx& tx, Call& c, size_t index, std::string* id,
              std::vector<Error>* errors, std::optional<RequestError>* request_error);
  bool Update(Object& obj, const std::string& id, const Json& input, Tx& tx, Call& c, size_t index,
              std::vector<Error>* errors, std::optional<RequestError>* request_error);
  bool Delete(const std::string& id, Tx& tx, Call& c, size_t index, std::vector<Error>* errors);
  bool CheckRecord(Object& obj, const Json& candidate, const Json& changes, bool insert, const std::string& self_id,
                   std::vector<Error>* errors);
  void Commit(Object& obj, size_t index, const Json& candidate, bool insert, Tx& tx, int64_t now);
  void RunFieldUpdates(Object& obj, size_t index, int64_t now);
  // Creates the <Object>History objects the seed's describes name.
  void AddHistoryObjects();
  // Field history for an object whose describe names none (setting field_history).
  void EnableHistory(Object& parent);
  Object* AddHistory(Object& parent, const std::string& name, const std::string& parent_field);
  // A history row per tracked field of records[index] that differs from `before`.
  void WriteHistory(Object& obj, size_t index, const Json& before, Tx& tx, int64_t now);
  void Rollback(Tx& tx);
  // allOrNone: when a record failed, undo the whole request and turn the
  // successes into ALL_OR_NONE_OPERATION_ROLLED_BACK (ids kept for updates and deletes).
  void AllOrNone(bool all_or_none, const std::vector<bool>& ok, Tx& tx, Json* results, bool keep_id);
  std::string NewId(const Object& obj);
  static void Index(Object& obj, size_t i);
  static void Unindex(Object& obj, size_t i);
  static void RebuildIndex(Object& obj);
  // Live records whose `field` equals `value` (ASCII case-insensitively).
  static std::vector<const Record*> Lookup(const Object& obj, const std::string& field, const Json& value);

  // responses
  Json RecordJson(const Object& obj, const Record& r, const std::string& version,
                  const std::vector<soql::FieldRef>* fields);
  static Json ErrorArray(const std::string& code, const std::string& message,
                         const std::vector<std::string>& fields = {}, bool with_fields = false);
  static Json SaveResult(const std::string* id, bool success, const std::vector<Error>& errors);

  // shared by the handlers
  void SendTooMany(Call& c);
  bool CollectionBody(Call& c, Json* body);  // {"records": [1..max]}; false: an error was sent
  const schema::Field* ExternalKey(Call& c, Object& obj, const std::string& name);  // nullptr: 404 sent
  static std::vector<const Record*> MatchKey(const Object& obj, const schema::Field& key, const std::string& value);
  static void SendMultipleChoices(Call& c, const Object& obj, const std::string& version,
                                  const std::vector<const Record*>& matches);

  // handlers
  static void Versions(Call& c);
  void Resources(Call& c);
  void Limits(Call& c);
  void RecordCount(Call& c);
  void SObjects(Call& c);
  void SObjectBasics(Call& c);
  void Describe(Call& c);
  void Token(Call& c);
  void Identity(Call& c);
  void Revoke(Call& c);
  void Query(Call& c, bool all);
  void QueryMore(Call& c);
  void SendQueryPage(Call& c, const std::string& locator, Cursor& cursor, size_t offset);
  void CollectionsWrite(Call& c, bool insert);
  void CollectionsUpsert(Call& c);
  void CollectionsDelete(Call& c);
  void CollectionsRetrieve(Call& c);
  void CreateOne(Call& c);
  void GetOne(Call& c);
  void UpdateOne(Call& c);
  void DeleteOne(Call& c);
  void UpsertOne(Call& c);
  void GetByExternalId(Call& c);
  void Updated(Call& c, bool deleted);
  // convertLead, one LeadConvert at a time in named steps (salesforce_apexrest.cc)
  struct LeadConversion;
  void ConvertLead(Call& c);
  void CheckLeadToConvert(Call& c, size_t index, LeadConversion& lc);
  void ConvertToAccount(Call& c, LeadConversion& lc);
  void ConvertToContact(Call& c, LeadConversion& lc);
  void ConvertToOpportunity(Call& c, LeadConversion& lc);
  void MarkLeadConverted(Call& c, LeadConversion& lc);
  void MergeRecords(Call& c);
  bool ParseBody(Call& c, Json* out, bool bare_object_error);

  const Seed seed_;
  std::string token_;
  std::string org_id_, user_id_;
  std::string IdentityUrl() const { return base_url() + "/id/" + org_id_ + "/" + user_id_; }
  SalesforceSettings settings_;
  Json seed_config_;
  std::vector<std::unique_ptr<Object>> objects_;
  std::map<std::string, Object*> by_name_;    // lower-case name
  std::map<std::string, Object*> by_prefix_;  // key prefix
  std::map<std::string, int64_t> sessions_;   // issued access token -> expiry (ms)
  std::map<std::string, Cursor> cursors_;
  uint64_t id_counter_ = 0, token_counter_ = 0, cursor_counter_ = 0;
  int64_t usage_day_ = 0;
  std::set<std::pair<std::string, std::string>> dirty_;  // (object, id) written since the state file was
  int64_t started_ms_ = 0;

  // Change Data Capture over CometD (salesforce_cdc.cc): the change events of committed writes,
  // with their replay ids, kept for cdc_retention_ms; CometD clients and their positions.
  struct ChangeEvent {
    int64_t replay_id = 0, commit_ms = 0;
    std::string channel;  // /data/ContactChangeEvent
    Json payload;         // {"ChangeEventHeader": {...}, changed fields...}
  };
  std::deque<ChangeEvent> cdc_log_;
  int64_t cdc_next_replay_ = 1;
  struct CometClient {
    std::map<std::string, int64_t> channels;  // channel -> the last replay id delivered
    std::vector<Json> late;                   // data messages for the next /meta/connect (faults)
    int64_t seen_ms = 0;                      // its last request
  };
  std::map<std::string, CometClient> comet_clients_;
  struct CdcStats {
    int64_t delivered = 0, dropped = 0, duplicated = 0, reordered = 0, delayed = 0;  // faults: cdc_*
  } cdc_stats_;
  Json CdcStatusLocked(int64_t now);  // GET /__sandbox/cdc
  std::string change_origin_;         // the current request's: its Sforce-Call-Options client, if any
  uint64_t comet_counter_ = 0;
  // Appends the change event of one record write (before: the fields before an update, else null).
  void AddChangeEvent(const Object& obj, const Record& r, const Json& before, const char* change_type, Tx& tx,
                      int64_t now);
  void CometD(Call& c);
};

}  // namespace accord::sandbox
