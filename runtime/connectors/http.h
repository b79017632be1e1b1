// The one HTTP layer of the connectors (libcurl): a reused easy handle (keep-
// alive connection reuse for idempotent requests; a non-idempotent one goes
// once, on a connection of its own), timeouts, TLS verification on by default
// with a custom CA bundle option, gzip, and retries with exponential backoff +
// full jitter that honour Retry-After. A RateBudget (token bucket) paces requests
// under a system's limit; the connectors feed it the limit headers they read.
//
// Nothing here logs a header or a body: the verbose hook gets one line per
// exchange (method, path without the query, status, time), and every message
// that leaves a connector goes through Secrets::Redact.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace accord::connectors {

struct HttpResponse {
  long status = 0;  // 0: no HTTP response (transport failure)
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased; the last value of a repeated header
  std::string transport_error;                 // curl's message when status == 0
  bool sent = false;                           // false: the request certainly did not reach the server (connect failed)
  int attempts = 0;                            // exchanges made for this request, retries included
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A token bucket: `rate` requests per second on average, bursts up to
// `burst`. Slow() pauses the bucket until a moment (a limit window's reset).
class RateBudget {
 public:
  RateBudget(double rate_per_second, double burst);
  // Blocks (through `sleep`) until a request may go.
  void Take(const std::function<void(int64_t)>& sleep);
  // The server said how much is left: below `floor` remaining requests in the
  // window, pause until the window ends.
  void Observe(int64_t remaining, int64_t window_ms, int64_t floor);
  void PauseFor(int64_t ms);
  double rate() const { return rate_; }

 private:
  using Clock = std::chrono::steady_clock;
  double rate_, burst_, tokens_;
  Clock::time_point last_, paused_until_;
};

// Secrets a connector holds (tokens, refresh tokens, client secrets, key
// material): every outgoing message is scrubbed of them.
class Secrets {
 public:
  void Add(const std::string& secret);
  std::string Redact(std::string text) const;

 private:
  std::vector<std::string> secrets_;
};

struct HttpOptions {
  long connect_timeout_ms = 10000;
  long timeout_ms = 120000;
  bool verify_tls = true;
  std::string cacert;    // a CA bundle file (--cacert)
  int max_attempts = 6;  // per request, the first included
  int64_t backoff_base_ms = 200;
  int64_t backoff_max_ms = 30000;
  // A Retry-After longer than this is not waited for: the response is returned
  // (a daily limit's Retry-After runs to midnight).
  int64_t max_retry_after_ms = 600000;
  uint64_t jitter_seed = 0;  // 0: from the clock
  // One line per exchange: "POST /crm/v3/objects/contacts/batch/create -> 207 (12 ms)".
  std::function<void(const std::string&)> verbose;
  // How to wait (tests pass a fake); default: std::this_thread::sleep_for.
  std::function<void(int64_t)> sleep;
  RateBudget* budget = nullptr;  // taken before every exchange, retries included
};

// Whether a response may be retried beyond the defaults: every request is
// retried on 429 and when the connection could not be made; an idempotent one
// also on 500, 502, 503, 504 and any transport failure.
using RetryPredicate = std::function<bool(const HttpResponse&)>;

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;
    // A request that must not be repeated once it may have reached the server
    // (a create): sent on a fresh connection, closed after it, so libcurl never
    // re-sends it by itself; only retried here when it certainly did not reach
    // the server (connect failure) or the server refused it before processing
    // (429, rate-limit 403s via `retryable`). Everything else, a lost response
    // included (status 0, sent = true), is returned for the caller to decide.
    bool idempotent = true;
    RetryPredicate retryable;  // added to the defaults
  };
  // Sends with retries; the response of the last attempt.
  HttpResponse Send(const Request& request);

  int64_t exchanges() const { return exchanges_; }  // HTTP exchanges made, retries included
  int64_t retries() const { return retries_; }
  const HttpOptions& options() const { return options_; }

  // The wait before attempt `attempt` (1 = the first retry): Retry-After when
  // the response has one, else base * 2^(attempt-1) with full jitter, capped.
  int64_t BackoffMs(int attempt, const HttpResponse& last);

 private:
  HttpResponse Once(const Request& request);
  HttpOptions options_;
  void* curl_ = nullptr;  // CURL*
  std::mt19937_64 rng_;
  int64_t exchanges_ = 0, retries_ = 0;
};

// URL pieces.
std::string UrlEncode(const std::string& s);
std::string PathOf(const std::string& url);  // "/a/b" of "http://h:1/a/b?q" (no query: it may hold data)
// "application/x-www-form-urlencoded" body of name/value pairs.
std::string FormBody(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace accord::connectors
