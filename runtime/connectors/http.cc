#include "runtime/connectors/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "base/strings.h"

namespace accord::connectors {

namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon == std::string::npos) {
    // a status line starts a new header block (redirects, 100-continue)
    if (line.rfind("HTTP/", 0) == 0) headers->clear();
    return size * n;
  }
  std::string name = line.substr(0, colon);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  (*headers)[name] = std::string(base::Trim(base::TrimEnd(std::string_view(line).substr(colon + 1)), " \t"));
  return size * n;
}

int64_t ParseRetryAfterMs(const std::string& v) {
  if (v.empty()) return -1;
  char* end = nullptr;
  double s = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || s < 0) return -1;  // an HTTP date: fall back to the backoff
  return static_cast<int64_t>(s * 1000);
}

}  // namespace

// ---- RateBudget -------------------------------------------------------------

RateBudget::RateBudget(double rate_per_second, double burst)
    : rate_(rate_per_second > 0 ? rate_per_second : 1),
      burst_(burst >= 1 ? burst : 1),
      tokens_(burst_),
      last_(Clock::now()),
      paused_until_(last_) {}

void RateBudget::Take(const std::function<void(int64_t)>& sleep) {
  for (;;) {
    Clock::time_point now = Clock::now();
    if (now < paused_until_) {
      sleep(std::chrono::duration_cast<std::chrono::milliseconds>(paused_until_ - now).count() + 1);
      continue;
    }
    double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    if (tokens_ >= 1) {
      tokens_ -= 1;
      return;
    }
    sleep(static_cast<int64_t>(std::ceil((1 - tokens_) / rate_ * 1000)));
  }
}

void RateBudget::Observe(int64_t remaining, int64_t window_ms, int64_t floor) {
  if (remaining < 0 || window_ms <= 0) return;
  if (remaining <= floor) PauseFor(window_ms);
}

void RateBudget::PauseFor(int64_t ms) {
  Clock::time_point until = Clock::now() + std::chrono::milliseconds(ms);
  if (until > paused_until_) paused_until_ = until;
  tokens_ = 0;
}

// ---- Secrets ------------------------------------------------------------------

void Secrets::Add(const std::string& secret) {
  // very short strings would redact ordinary text; real secrets are long
  if (secret.size() < 6) return;
  if (std::find(secrets_.begin(), secrets_.end(), secret) == secrets_.end()) secrets_.push_back(secret);
  // URL-encoded forms appear in form bodies echoed back by servers
  std::string enc = UrlEncode(secret);
  if (enc != secret && std::find(secrets_.begin(), secrets_.end(), enc) == secrets_.end()) secrets_.push_back(enc);
}

std::string Secrets::Redact(std::string text) const {
  for (const std::string& s : secrets_) {
    size_t pos = 0;
    while ((pos = text.find(s, pos)) != std::string::npos) {
      text.replace(pos, s.size(), "[redacted]");
      pos += 10;
    }
  }
  return text;
}

// ---- HttpClient ---------------------------------------------------------------

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  GlobalInit();
  curl_ = curl_easy_init();
  uint64_t seed = options_.jitter_seed
                      ? options_.jitter_seed
                      : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  rng_.seed(seed);
  if (!options_.sleep) options_.sleep = [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
}

HttpClient::~HttpClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

int64_t HttpClient::BackoffMs(int attempt, const HttpResponse& last) {
  int64_t retry_after = ParseRetryAfterMs(last.Header("retry-after"));
  if (retry_after >= 0) return std::min(retry_after, std::max<int64_t>(options_.backoff_max_ms, retry_after));
  int64_t cap = options_.backoff_base_ms;
  for (int i = 1; i < attempt && cap < options_.backoff_max_ms; ++i) cap *= 2;
  cap = std::min(cap, options_.backoff_max_ms);
  // full jitter, but never less than half the step, so storms spread out and still back off
  std::uniform_int_distribution<int64_t> d(cap / 2, std::max<int64_t>(cap / 2, cap));
  return d(rng_);
}

HttpResponse HttpClient::Once(const Request& req) {
  HttpResponse resp;
  CURL* c = static_cast<CURL*>(curl_);
  if (!c) {
    resp.transport_error = "libcurl could not be initialized";
    return resp;
  }
  curl_easy_reset(c);  // keeps the connection cache: connections are reused
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl supports (gzip, deflate)
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.cacert.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.cacert.c_str());
  // never follow redirects: a credential must not travel to another host
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!req.idempotent) {
    // libcurl re-sends a request by itself when a reused keep-alive connection
    // closes before the first byte of a response (Curl_retry_request: it takes
    // that for a stale idle connection; CURLOPT_FORBID_RETRY_ON_REUSE only exists
    // from 8.16). A server that processed the request and then lost the
    // connection would get it twice, so a non-idempotent request never rides a
    // reused connection: a new one, closed after its answer, so that the reads'
    // keep-alive connection stays the one they reuse.
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!req.body.empty() || req.method == "POST" || req.method == "PATCH" || req.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_slist* headers = nullptr;
  for (const std::string& h : req.headers) headers = curl_slist_append(headers, h.c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

  auto start = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(c);
  ++exchanges_;
  curl_slist_free_all(headers);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
    resp.sent = true;
  } else {
    resp.status = 0;
    resp.transport_error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    // only a failed connect is certain not to have delivered the request
    resp.sent =
        !(rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
          rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION);
  }
  if (options_.verbose) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    std::string line = req.method + " " + PathOf(req.url) + " -> ";
    line += resp.status ? std::to_string(resp.status) : "no response (" + resp.transport_error + ")";
    line += " (" + std::to_string(ms) + " ms)";
    options_.verbose(line);
  }
  return resp;
}

HttpResponse HttpClient::Send(const Request& req) {
  HttpResponse resp;
  int max = std::max(1, options_.max_attempts);
  for (int attempt = 1;; ++attempt) {
    if (options_.budget) options_.budget->Take(options_.sleep);
    resp = Once(req);
    resp.attempts = attempt;
    bool retry = false;
    if (resp.status == 0) {
      retry = req.idempotent || !resp.sent;
    } else if (resp.status == 429) {
      retry = true;  // refused before processing
    } else if (resp.status == 502 || resp.status == 503 || resp.status == 504 || resp.status == 500) {
      retry = req.idempotent;
    }
    if (!retry && req.retryable && resp.status != 0) retry = req.retryable(resp);
    if (!retry || attempt >= max) return resp;
    int64_t wait = BackoffMs(attempt, resp);
    if (wait > options_.max_retry_after_ms) return resp;
    ++retries_;
    if (options_.budget && resp.status == 429) options_.budget->PauseFor(wait);
    options_.sleep(wait);
  }
}

// ---- URL pieces -----------------------------------------------------------------

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string PathOf(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : url.find('/', scheme + 3);
  if (start == std::string::npos) return "/";
  size_t q = url.find_first_of("?#", start);
  return url.substr(start, q == std::string::npos ? std::string::npos : q - start);
}

std::string FormBody(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += UrlEncode(k) + "=" + UrlEncode(v);
  }
  return out;
}

}  // namespace accord::connectors
