// Salesforce Change Data Capture for `accord run --watch --cdc` (docs/connectors.md
// "Push: Salesforce Change Data Capture"): a CometD (Bayeux) long-polling client
// over libcurl on a thread of its own — handshake, subscribe to
// /data/<Object>ChangeEvent with a replay id, connect loop honouring the server's
// advice (interval, reconnect: retry | handshake) — that queues "these records
// changed" for the watch loop. The replay id of each channel is what the caller
// keeps (in the state store) once the records are synced; a stored one the server
// no longer retains (a gap past the retention window) is reported, the channel
// starts again from new events, and the caller reads the object the usual way.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/connectors/http.h"

namespace accord::connectors {

struct ChangeEvent {
  std::string object;            // entityName: Contact
  std::string change_type;       // CREATE, UPDATE, DELETE, UNDELETE, GAP_*
  std::vector<std::string> ids;  // recordIds
  std::string channel;
  int64_t replay_id = 0;
  int64_t commit_ms = 0;
  std::vector<std::string> changed_fields;
  // The new values of the changed fields the payload carries at its top level, as JSON text
  // (a compound field's parts, Name.FirstName, are not among them).
  std::map<std::string, std::string> values;
  std::string origin;  // changeOrigin: com/salesforce/api/rest/59.0;client=accord
};

struct ChangeStreamOptions {
  std::string instance_url;               // https://acme.my.salesforce.com
  std::string api_version = "59.0";       // the CometD path: /cometd/59.0
  std::function<std::string()> token;     // the current access token (the connector's)
  HttpOptions http;                       // its timeout must exceed the server's long poll (110 s)
  std::vector<std::string> objects;       // Contact, Lead, ... -> /data/ContactChangeEvent
  std::map<std::string, int64_t> replay;  // channel -> the replay id to resume after; absent: -1 (new only)
  // Events whose changeOrigin names this client (Sforce-Call-Options: client=...) are accord's own
  // writes: nothing to sync, they are skipped (their replay ids still count). Empty: none skipped.
  std::string own_client = "accord";
};

// "/data/ContactChangeEvent" for Contact, "/data/Foo__ChangeEvent" for Foo__c.
std::string ChangeEventChannel(const std::string& object);

class ChangeEventStream {
 public:
  explicit ChangeEventStream(ChangeStreamOptions options);
  ~ChangeEventStream();
  ChangeEventStream(const ChangeEventStream&) = delete;
  ChangeEventStream& operator=(const ChangeEventStream&) = delete;

  void Start();
  void Stop();
  // Waits until events are queued or `ms` pass, then takes them.
  std::vector<ChangeEvent> Wait(int64_t ms);
  // Channels whose stored replay id was refused (past retention) since the last call.
  std::vector<std::string> TakeGaps();
  // The last problem talking to the server ("" when none), for the watch loop's output.
  std::string TakeProblem();

 private:
  void Run();
  bool Exchange(const std::string& body, std::string* out);  // false: transport/HTTP failure
  bool Handshake();
  bool Subscribe();

  ChangeStreamOptions options_;
  std::unique_ptr<HttpClient> http_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<ChangeEvent> queue_;
  std::vector<std::string> gaps_;
  std::string problem_;
  std::string client_id_;
  std::map<std::string, int64_t> position_;  // channel -> the last replay id received
};

}  // namespace accord::connectors
