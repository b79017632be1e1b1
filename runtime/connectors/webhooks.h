// HubSpot webhooks: the receiver behind `accord run --watch --listen ADDR:PORT`
// (docs/connectors.md "Push"). HubSpot POSTs JSON arrays of events (batched)
// to the app's target URL, signed with the app's client secret:
//
//   X-HubSpot-Signature-v3     base64(HMAC-SHA256(secret, method + uri + body + timestamp))
//   X-HubSpot-Request-Timestamp   ms since the epoch, when HubSpot signed the request
//
// A request is accepted only with a valid v3 signature, a timestamp within five
// minutes of now, and a signature not seen before (a replay): the others are
// refused (401) and counted by reason. Accepted events are deduplicated by
// eventId (HubSpot retries and duplicates deliveries) and queued as "these
// records changed" for the watch loop, which reads just those records. Nothing
// here logs or returns the secret.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "base/status.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace accord::connectors {

// base64(HMAC-SHA256(secret, method + uri + body + timestamp)) — HubSpot's v3 signature
// (OpenSSL's HMAC). `uri` is the full URL HubSpot called, as registered for the app.
std::string HubSpotSignatureV3(const std::string& secret, const std::string& method, const std::string& uri,
                               const std::string& body, const std::string& timestamp);

// One webhook event, as much of it as a sync needs.
struct WebhookEvent {
  std::string event_id;
  std::string object;  // the CRM object type in the API's plural: contacts, companies, deals, ...
  std::string kind;    // creation, propertyChange, deletion, merge, restore, associationChange, privacyDeletion
  std::string object_id;
  std::vector<std::string> ids;  // every record the event names (merge: primary, merged, new; associations: both ends)
  std::string to_object;         // associationChange: the other end's object type
  std::string to_id;
  int64_t occurred_at = 0;  // ms
  // propertyChange: the property and the value it was given ("" when cleared)
  std::string property, value;
  bool has_value = false;
};

// Parses one delivery's body (a JSON array of events). Events that are not
// objects or lack an id or a subscriptionType are skipped and counted in *bad.
std::vector<WebhookEvent> ParseWebhookBatch(const std::string& body, int64_t* bad);

struct WebhookOptions {
  std::string secret;      // the app's client secret (never logged)
  std::string public_url;  // the URL HubSpot calls, e.g. https://sync.example.com/hubspot; empty: http://Host + path
  int64_t max_age_ms = 5 * 60 * 1000;  // refuse requests signed longer ago than this (or as far ahead)
  size_t max_body = 4 << 20;           // bytes
  std::function<int64_t()> clock;      // ms since the epoch; default the system clock
};

struct WebhookCounters {
  int64_t requests = 0, accepted = 0, events = 0, duplicates = 0, malformed_events = 0;
  // refused requests, by reason
  int64_t unsigned_ = 0, bad_signature = 0, stale = 0, replayed = 0, malformed = 0;
  int64_t refused() const { return unsigned_ + bad_signature + stale + replayed + malformed; }
};

class WebhookReceiver {
 public:
  // Checks one request: 204 accepted, 401 refused (counted), 400 malformed body.
  // `uri` is the URL the signature covers. Thread-safe; the HTTP server calls it.
  int Handle(const std::string& method, const std::string& uri, const std::string& body, const std::string& signature,
             const std::string& timestamp, const std::string& version);

  explicit WebhookReceiver(WebhookOptions options);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  // Serves POST on every path at addr:port (port 0: a free one) on a thread.
  base::Status Listen(const std::string& addr, int port);
  void Stop();
  int port() const { return port_; }

  // Waits until events are queued or `ms` pass; then takes every queued event.
  std::vector<WebhookEvent> Wait(int64_t ms);
  // Wakes a Wait now (shutdown).
  void Wake();
  WebhookCounters counters();

 private:
  void Serve(const httplib::Request& req, httplib::Response& res);
  int64_t Now() const;

  WebhookOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::vector<WebhookEvent> queue_;
  WebhookCounters counters_;
  // Event ids and signatures already accepted, with when, kept for twice the max age
  // (a signature older than that is refused as stale anyway).
  std::unordered_set<std::string> seen_events_, seen_signatures_;
  std::deque<std::pair<int64_t, std::string>> event_order_, signature_order_;
  void Forget(int64_t now);
};

}  // namespace accord::connectors
