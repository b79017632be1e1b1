// The HubSpot CRM connector: the sync engine's Connector over the CRM v3/v4
// HTTP API (docs: ../../../shared/reference/crm-apis.md part B, the sandbox's
// emulator in sandbox/hubspot.h).
//
// Reads keep an in-memory mirror per object: the first Load of a process reads
// every record through search (sorted by the modstamp property, paged with
// `after`, re-queried from the last modstamp past the 10,000-result cap); later
// Loads search `modstamp GTE newest - overlap_ms` and merge. Archived records
// come from the list endpoint with `archived=true`. Writes use the batch
// endpoints (100 inputs), find the bad inputs of a batch HubSpot refused as a
// whole, retry INTERNAL_ERROR entries, and never re-send a create that may
// have reached the server.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/http.h"

namespace accord::connectors {

struct HubSpotOptions {
  std::string base_url;        // e.g. http://127.0.0.1:PORT or https://api.hubapi.com
  std::string token;           // private-app token (bearer)
  HttpOptions http;            // timeouts, cacert, verbose hook, retry settings (its `budget` is the connector's own)
  bool dry_run = false;        // Write answers ok with fake ids, sends nothing, still counts calls
  int64_t overlap_ms = 60000;  // incremental re-read overlap
  // Association types to read per object ("contacts" -> {"companies"}); the CLI fills it from the rules.
  std::map<std::string, std::vector<std::string>> associations;

  // The portal's limits (defaults: Professional). The connector paces itself
  // under them and slows further on the X-HubSpot-RateLimit-* headers.
  int rate_limit_max = 190;  // requests per interval
  int64_t rate_limit_interval_ms = 10000;
  double search_per_second = 4;   // search has its own per-second limit
  int search_page_size = 200;     // search `limit` (HubSpot's maximum)
  int search_result_cap = 10000;  // results one search query can page through
  int write_retries = 2;          // extra tries of 207 INTERNAL_ERROR inputs
  int history_batch_size = 50;    // batch/read inputs with propertiesWithHistory (HubSpot's limit)
};

class HubSpotConnector : public Connector {
 public:
  // Checks the token with one cheap call (GET contacts, limit 1).
  static base::Result<std::unique_ptr<HubSpotConnector>> Open(HubSpotOptions options);
  ~HubSpotConnector() override;

  schema::System system() const override { return schema::System::kHubSpot; }
  base::Status Load(const schema::Object& object, std::vector<Record>* out,
                    std::vector<ReadProblem>* problems) override;
  std::vector<WriteResult> Write(const schema::Object& object, const std::vector<WriteOp>& ops) override;
  CallCounts calls() const override { return calls_; }
  void SetReadScope(std::optional<ReadScope> scope) override { scope_ = std::move(scope); }
  ApiLimits limits() const override { return limits_; }

  // Two_way conflicts: when the properties last changed, from propertiesWithHistory, read
  // by POST batch/read (history_batch_size records a request); empty when HubSpot does not say.
  void PrefetchFieldChanges(const schema::Object& object, const std::vector<std::string>& record_ids,
                            const std::vector<size_t>& slots) override;
  std::string FieldChangedAt(const schema::Object& object, const Record& record, size_t slot) override;

  // `accord schema pull`: the properties JSON of an object as the API returns it ({"results":[...]}).
  base::Result<std::string> Properties(const std::string& object);

  // The modstamp property of an object type: lastmodifieddate (contacts), hs_lastmodifieddate (others).
  static std::string ModstampProperty(const std::string& object);
  // A property value as the API sent it -> the engine's text, by the property's type
  // (date epoch-ms -> YYYY-MM-DD, datetime epoch-ms -> ISO-8601 ms Z, bools, numbers).
  static Text DecodeValue(const schema::Field& field, const nlohmann::json& value);

 private:
  explicit HubSpotConnector(HubSpotOptions options);

  enum class Kind { kRead, kSearch, kWrite };
  HttpResponse Send(const std::string& method, const std::string& path, const std::string& body, Kind kind,
                    bool idempotent = true);
  std::string ErrorText(const HttpResponse& r) const;  // redacted

  struct Mirror {
    bool loaded = false;
    std::vector<std::string> order;  // ids in order of first appearance
    std::unordered_map<std::string, Record> records;
    int64_t newest_ms = -1;  // the newest modstamp seen (ms)
    // Records a read could not parse, by id: unknown is not absent. An incremental read
    // returns a record again only when it changes, so each Load reports these until a read
    // gets the record whole (or archived).
    std::map<std::string, ReadProblem> unreadable;
  };
  // A record of a page that could not be read: kept in the mirror's unreadable set when
  // it has an id (Load reports them all), else reported now.
  static void Unreadable(Mirror& m, ReadProblem p, std::vector<ReadProblem>* problems);
  bool ParseRecord(const schema::Object& object, const nlohmann::json& j, Record* r, std::string* problem) const;
  void Merge(Mirror& m, Record r);
  base::Status Search(const schema::Object& object, int64_t since_ms, Mirror& m, std::vector<std::string>* read_ids,
                      std::vector<ReadProblem>* problems);
  base::Status ListPages(const schema::Object& object, const std::string& query, const std::string& what,
                         const std::function<void(const nlohmann::json&)>& each);
  // The first read of an object whose associations the rules read: the list
  // endpoint with the associations inline (one call per 100 records, where
  // search + the v4 batch read take 1.5).
  base::Status List(const schema::Object& object, const std::vector<std::string>& assoc_types, Mirror& m,
                    std::vector<ReadProblem>* problems);
  base::Status ReadByIds(const schema::Object& object, const std::vector<std::string>& ids, Mirror& m,
                         std::vector<std::string>* read_ids, std::vector<ReadProblem>* problems);
  base::Status ReadArchived(const schema::Object& object, Mirror& m, std::vector<ReadProblem>* problems);
  base::Status ReadAssociations(const schema::Object& object, const std::string& to,
                                const std::vector<std::string>& ids, Mirror& m);

  // Writes one batch (≤ 100 ops) of creates or updates into `out`.
  void WriteBatch(const schema::Object& object, const std::vector<WriteOp>& ops, std::vector<size_t> idx, bool create,
                  int retries_left, std::vector<WriteResult>& out);
  void ArchiveBatch(const schema::Object& object, const std::vector<WriteOp>& ops, const std::vector<size_t>& idx,
                    std::vector<WriteResult>& out);
  void Associate(const schema::Object& object, const std::vector<WriteOp>& ops, std::vector<WriteResult>& out);
  // Sets a result to a failure from an error response (or transport failure).
  void Fail(WriteResult& r, const HttpResponse& resp, bool create) const;

  HubSpotOptions options_;
  Secrets secrets_;
  RateBudget budget_, search_budget_;
  std::unique_ptr<HttpClient> http_, search_http_;
  std::map<std::string, Mirror> mirrors_;
  std::optional<ReadScope> scope_;  // push: what the next Loads read (nullopt: the usual read)
  FieldTimeCache field_times_;
  CallCounts calls_;
  ApiLimits limits_;              // as the X-HubSpot-RateLimit-* headers last said
  int64_t daily_remaining_ = -1;  // from X-HubSpot-RateLimit-Daily-Remaining; 0 = stop calling
  int64_t dry_counter_ = 0;
};

}  // namespace accord::connectors
