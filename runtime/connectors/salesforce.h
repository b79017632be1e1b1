// The Salesforce REST connector: reads objects with SOQL queryAll (a full read
// the first time, then an incremental one on the (SystemModstamp, Id) cursor
// with overlap, merged into an in-memory mirror) and writes through sObject
// Collections (/composite/sobjects, 200 records per call). Authenticates with
// a given access token, the refresh-token flow or the JWT bearer flow (RS256),
// re-authenticating once on 401 INVALID_SESSION_ID.
//
// Retries: the HTTP layer retries transport failures, 5xx (idempotent
// requests only) and the ConcurrentPerOrgLongTxn 403 storm. Creates are never
// re-sent once they may have reached the server: an ambiguous failure is a
// transient result and the engine re-matches on its next pass. Per-record
// UNABLE_TO_LOCK_ROW failures are re-sent (only those records) up to twice.
// The daily limit (403 TotalRequests, or Sforce-Limit-Info past
// daily_limit_stop) makes every remaining op transient.
//
// Every error message passes through Secrets::Redact; no token is ever put in
// a URL; bodies are never logged.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/http.h"
#include "runtime/connectors/salesforce_cdc.h"

namespace accord::connectors {

struct SalesforceCredentials {
  std::string access_token;                             // used as is when set
  std::string refresh_token, client_id, client_secret;  // refresh-token flow
  std::string username, private_key_file;               // JWT bearer flow (RS256 with OpenSSL), with client_id
  std::string login_url;                                // token endpoint host; empty = instance_url
};

struct SalesforceOptions {
  std::string instance_url;           // e.g. http://127.0.0.1:PORT or https://acme.my.salesforce.com
  std::string api_version = "v59.0";  // the sandbox accepts v20.0 .. v62.0
  SalesforceCredentials credentials;
  HttpOptions http;                // timeouts, cacert, verbose hook, retry settings
  bool dry_run = false;            // Write answers ok with fake ids, sends nothing, still counts calls
  int64_t overlap_ms = 60000;      // incremental re-read overlap (SystemModstamp has second precision)
  double daily_limit_stop = 0.98;  // stop writing (transient error) when api-usage passes this share
  int history_batch_size = 200;    // record ids per field-history query (keeps the GET URL under 16 KB)
};

class SalesforceConnector : public Connector {
 public:
  // Authenticates (unless access_token is given). nullptr + *error (secrets redacted) on failure.
  static base::Result<std::unique_ptr<SalesforceConnector>> Open(SalesforceOptions options);
  ~SalesforceConnector() override;

  schema::System system() const override { return schema::System::kSalesforce; }
  base::Status Load(const schema::Object& object, std::vector<Record>* out,
                    std::vector<ReadProblem>* problems) override;
  std::vector<WriteResult> Write(const schema::Object& object, const std::vector<WriteOp>& ops) override;
  // reads = GET exchanges, writes = write exchanges (retries included; the
  // token endpoint is not counted).
  CallCounts calls() const override { return calls_; }
  void SetReadScope(std::optional<ReadScope> scope) override { scope_ = std::move(scope); }
  ApiLimits limits() const override {
    ApiLimits l;
    l.daily_max = api_max_;
    l.daily_used = api_used_;
    return l;
  }
  // Two_way conflicts: when fields last changed, from the object's field history (the
  // <Object>History records its describe names as the "Histories" child relationship:
  // ContactHistory, OpportunityFieldHistory, Foo__History), one query per
  // history_batch_size records. Empty where the object has no history, the field is not
  // tracked or has not changed since tracking began: the record time decides.
  void PrefetchFieldChanges(const schema::Object& object, const std::vector<std::string>& record_ids,
                            const std::vector<size_t>& slots) override;
  std::string FieldChangedAt(const schema::Object& object, const Record& record, size_t slot) override;
  // Push (--cdc): the change events' commit time per changed field. FieldChangedAt answers
  // with it where the field history has no time, if the record has not changed since the
  // newest event seen for it (its SystemModstamp is no later, in whole seconds) and the
  // field still holds the value that event carried; otherwise the record time decides as
  // before. Kept in memory for the newest kMaxEventRecords records.
  void NoteChangeEvents(const std::vector<ChangeEvent>& events);
  static constexpr size_t kMaxEventRecords = 100000;

  // `accord schema pull`: the describe JSON of an object as the API returns it.
  base::Result<std::string> Describe(const std::string& object);

  // The last Sforce-Limit-Info api-usage seen (-1 when none yet).
  int64_t api_used() const { return api_used_; }
  int64_t api_max() const { return api_max_; }
  const std::string& instance_url() const { return instance_url_; }
  // The current session token, for the change-event stream's own connection (another thread).
  std::string SessionToken() const {
    std::lock_guard<std::mutex> g(token_mu_);
    return access_token_;
  }

  // "2026-11-30T08:00:00.000+0000" (or Z, +00:00, another offset, no millis)
  // -> "2026-11-30T08:00:00.000Z"; false when it is not a date-time.
  static bool NormalizeStamp(const std::string& in, std::string* out);

 private:
  explicit SalesforceConnector(SalesforceOptions options);

  // The in-memory mirror of one object.
  struct Mirror {
    bool loaded = false;
    std::string newest;              // the newest SystemModstamp seen (normalized)
    std::vector<std::string> order;  // ids in order of first appearance
    std::unordered_map<std::string, Record> records;
    // Records a read could not parse, by id: unknown is not absent. An incremental read
    // returns a record again only when it changes, so each Load reports these until a read
    // gets the record whole.
    std::map<std::string, ReadProblem> unreadable;
  };

  base::Status Authenticate();
  void SetToken(std::string token) {
    std::lock_guard<std::mutex> g(token_mu_);
    access_token_ = std::move(token);
  }
  bool CanReauthenticate() const;
  // Adds the session, counts the exchange, reads Sforce-Limit-Info, and
  // re-authenticates once on 401.
  HttpResponse Send(HttpClient::Request request);
  std::string DataUrl(const std::string& path) const;
  std::string ErrorText(const std::string& what, const HttpResponse& r) const;
  void NoteLimits(const HttpResponse& r);
  bool LimitReached() const;

  // Runs a query through all its pages (`resource` "query" or "queryAll"); `each`
  // gets every record with where it is ("Contact query page 2 record 7") and
  // returns false with *malformed to fail the read.
  using RecordFn =
      std::function<bool(simdjson::ondemand::value record, const std::string& where, std::string* malformed)>;
  base::Status QueryPages(const std::string& resource, const std::string& object, const std::string& soql,
                          const RecordFn& each);
  // One query (all pages) merged into `mirror`.
  base::Status Query(const schema::Object& object, const std::string& soql, Mirror* mirror,
                     std::vector<ReadProblem>* problems);

  // Sends one chunk (≤ 200) of one kind; fills results[idx] for every op of `idx`.
  void WriteChunk(const schema::Object& object, const std::vector<WriteOp>& ops, WriteOp::Kind kind,
                  const std::vector<size_t>& idx, std::vector<WriteResult>* results);

  SalesforceOptions options_;
  Secrets secrets_;
  std::unique_ptr<HttpClient> http_;
  std::string access_token_, instance_url_;  // access_token_ written under token_mu_
  mutable std::mutex token_mu_;
  CallCounts calls_;
  int64_t api_used_ = -1, api_max_ = -1;
  bool daily_limit_hit_ = false;
  int64_t dry_counter_ = 0;
  std::map<std::string, Mirror> mirrors_;
  std::optional<ReadScope> scope_;  // push: what the next Loads read (nullopt: the usual read)

  // The field history of an object, from its describe (read once per object).
  struct HistorySource {
    std::string object, parent_field;  // ContactHistory, ContactId; empty: none
  };
  const HistorySource& HistoryOf(const schema::Object& object);
  std::map<std::string, HistorySource> history_;
  FieldTimeCache field_times_;
  // The change events' times (NoteChangeEvents), by object + '\n' + id.
  struct EventTimes {
    int64_t newest_ms = 0;                                          // the newest event of the record
    std::map<std::string, std::pair<int64_t, std::string>> fields;  // field -> (commit ms, JSON value)
  };
  std::string EventFieldTime(const schema::Object& object, const Record& record, size_t slot) const;
  std::unordered_map<std::string, EventTimes> event_times_;
  std::deque<std::string> event_order_;  // keys in order of first note (the oldest leave first)
};

}  // namespace accord::connectors
