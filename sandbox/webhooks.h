// Webhook delivery of the HubSpot emulator (docs/sandbox.md "Webhooks"): the
// events the emulator's writes make (creation, propertyChange, deletion, merge,
// associationChange) go to a configured target URL in batches, signed as
// HubSpot signs them (X-HubSpot-Signature-v3: base64 HMAC-SHA256 of method +
// URI + body + timestamp with the app secret; X-HubSpot-Request-Timestamp), and
// are retried with a doubling delay while the target fails (connection refused,
// a timeout, any non-2xx answer). The fault settings drop, duplicate, reorder and
// delay events, deterministically from the fault seed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/common.h"

namespace accord::sandbox {

struct FaultConfig;

struct WebhookSettings {
  std::string url;     // the target (http://host:port/path); empty: no delivery
  std::string secret;  // the app's client secret, which signs every request
  int64_t app_id = 987654;
  int batch_ms = 50;                       // events made within this long go out in one request
  int max_batch = 100;                     // events per request (HubSpot's batch)
  int retry_ms = 1000;                     // the first retry's delay, doubled per attempt
  int max_attempts = 10;                   // then the batch is given up (counted as failed)
  int timeout_ms = 5000;                   // HubSpot's: a slower answer is a failure
  std::vector<std::string> subscriptions;  // "contact.propertyChange", ...; empty: every event type
  bool hold = false;                       // events queue up and nothing is sent until it is false again (tests)

  Json ToJson() const;  // the secret shows as set or not, never its value
  // Replaces the fields present in j; unknown keys and bad values are errors.
  static Status FromJson(const Json& j, WebhookSettings* out);
};

struct WebhookStats {
  int64_t made = 0, requests = 0, delivered = 0, failed_attempts = 0, given_up = 0;
  int64_t dropped = 0, duplicated = 0, reordered = 0, delayed = 0;  // by fault injection
  int64_t queued = 0;  // events not yet sent, waiting for a retry or in flight (when read)
};

Json WebhookStatsJson(const WebhookStats& s);

class WebhookSender {
 public:
  // `clock`: the emulator's (timestamps and occurredAt); `faults`: its current fault settings.
  WebhookSender(Clock clock, std::function<FaultConfig()> faults);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  void Configure(const WebhookSettings& s);
  WebhookSettings settings();
  WebhookStats stats();
  // Queues one event (eventId, subscriptionId, portalId, appId and attemptNumber are
  // filled in here) unless its type is not subscribed or no target is set.
  void Add(Json event);
  // Waits until nothing is queued or in flight (tests), at most `ms`; false on timeout.
  bool Drain(int64_t ms);

 private:
  struct Batch {
    std::vector<Json> events;
    int attempt = 0;
    int64_t due_ms = 0;
  };
  void Run();
  bool Deliver(const WebhookSettings& s, Batch& b);

  Clock clock_;
  std::function<FaultConfig()> faults_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  WebhookSettings settings_;
  WebhookStats stats_;
  std::deque<Json> pending_;  // not yet batched
  int64_t first_pending_ms_ = 0;
  std::deque<Batch> retries_;  // batched, waiting for their due time
  bool in_flight_ = false;
  uint64_t event_seq_ = 0, batch_seq_ = 0;
  std::thread thread_;
};

}  // namespace accord::sandbox
