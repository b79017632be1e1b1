#include "sandbox/webhooks.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>

#include "sandbox/server.h"

namespace accord::sandbox {

namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// base64(HMAC-SHA256(secret, data)), HubSpot's v3 signature of data = method + uri + body + timestamp.
// (accord's receiver has its own, runtime/connectors/webhooks.cc: the emulators include nothing of
// the connectors, and the two sides of a signature are better written twice than shared.)
std::string SignV3(const std::string& secret, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len))
    return "";
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(len));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

// http://host:port/path -> ("http://host:port", "/path"); false when not an http URL.
bool SplitUrl(const std::string& url, std::string* origin, std::string* path) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  size_t slash = url.find('/', scheme.size());
  *origin = url.substr(0, slash);
  *path = slash == std::string::npos ? "/" : url.substr(slash);
  return origin->size() > scheme.size();
}

}  // namespace

Json WebhookSettings::ToJson() const {
  Json j;
  j["url"] = url;
  j["secret_set"] = !secret.empty();
  j["app_id"] = app_id;
  j["batch_ms"] = batch_ms;
  j["max_batch"] = max_batch;
  j["retry_ms"] = retry_ms;
  j["max_attempts"] = max_attempts;
  j["timeout_ms"] = timeout_ms;
  j["subscriptions"] = subscriptions;
  j["hold"] = hold;
  return j;
}

Status WebhookSettings::FromJson(const Json& j, WebhookSettings* out) {
  if (!j.is_object()) return Status::Error("webhooks must be a JSON object");
  WebhookSettings s = *out;
  for (const auto& [key, v] : j.items()) {
    auto count = [&](int* field, int min, int max) -> Status {
      if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
        return Status::Error("webhooks." + key + " must be an integer from " + std::to_string(min) + " to " +
                             std::to_string(max));
      *field = static_cast<int>(v.get<int64_t>());
      return Status::Ok();
    };
    Status st;
    if (key == "url") {
      std::string origin, path;
      if (!v.is_string() || (!v.get<std::string>().empty() && !SplitUrl(v.get<std::string>(), &origin, &path)))
        return Status::Error("webhooks.url must be an http:// URL (or \"\" to stop delivery)");
      s.url = v.get<std::string>();
    } else if (key == "secret") {
      if (!v.is_string()) return Status::Error("webhooks.secret must be a string");
      s.secret = v.get<std::string>();
    } else if (key == "app_id") {
      if (!v.is_number_integer()) return Status::Error("webhooks.app_id must be an integer");
      s.app_id = v.get<int64_t>();
    } else if (key == "batch_ms") {
      st = count(&s.batch_ms, 0, 60000);
    } else if (key == "max_batch") {
      st = count(&s.max_batch, 1, 1000);
    } else if (key == "retry_ms") {
      st = count(&s.retry_ms, 1, 3600000);
    } else if (key == "max_attempts") {
      st = count(&s.max_attempts, 1, 100);
    } else if (key == "timeout_ms") {
      st = count(&s.timeout_ms, 1, 60000);
    } else if (key == "hold") {
      if (!v.is_boolean()) return Status::Error("webhooks.hold must be true or false");
      s.hold = v.get<bool>();
    } else if (key == "subscriptions") {
      if (!v.is_array()) return Status::Error("webhooks.subscriptions must be an array of event types");
      s.subscriptions.clear();
      for (const Json& t : v) {
        if (!t.is_string() || t.get<std::string>().find('.') == std::string::npos)
          return Status::Error("webhooks.subscriptions: each entry is an event type such as contact.propertyChange");
        s.subscriptions.push_back(t.get<std::string>());
      }
    } else {
      return Status::Error("unknown webhook setting '" + key +
                           "' (known: url, secret, app_id, batch_ms, max_batch, retry_ms, max_attempts, timeout_ms, "
                           "subscriptions, hold)");
    }
    if (!st) return st;
  }
  if (!s.url.empty() && s.secret.empty()) return Status::Error("webhooks: a url needs the app secret (secret)");
  *out = s;
  return Status::Ok();
}

Json WebhookStatsJson(const WebhookStats& s) {
  return Json{{"made", s.made},
              {"requests", s.requests},
              {"delivered", s.delivered},
              {"failed_attempts", s.failed_attempts},
              {"given_up", s.given_up},
              {"dropped", s.dropped},
              {"duplicated", s.duplicated},
              {"reordered", s.reordered},
              {"delayed", s.delayed},
              {"queued", s.queued}};
}

WebhookSender::WebhookSender(Clock clock, std::function<FaultConfig()> faults)
    : clock_(std::move(clock)), faults_(std::move(faults)) {
  thread_ = std::thread([this] { Run(); });
}

WebhookSender::~WebhookSender() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WebhookSender::Configure(const WebhookSettings& s) {
  std::lock_guard<std::mutex> g(mu_);
  settings_ = s;
  if (s.url.empty()) pending_.clear(), retries_.clear();
  cv_.notify_all();
}

WebhookSettings WebhookSender::settings() {
  std::lock_guard<std::mutex> g(mu_);
  return settings_;
}

WebhookStats WebhookSender::stats() {
  std::lock_guard<std::mutex> g(mu_);
  WebhookStats s = stats_;
  s.queued = static_cast<int64_t>(pending_.size());
  for (const Batch& b : retries_) s.queued += static_cast<int64_t>(b.events.size());
  if (in_flight_) ++s.queued;
  return s;
}

void WebhookSender::Add(Json event) {
  std::lock_guard<std::mutex> g(mu_);
  if (settings_.url.empty()) return;
  const std::string type = event.value("subscriptionType", std::string());
  const auto& subs = settings_.subscriptions;
  if (!subs.empty() && std::find(subs.begin(), subs.end(), type) == subs.end()) return;
  ++stats_.made;
  uint64_t n = ++event_seq_;
  Json e;
  e["eventId"] = static_cast<int64_t>(1000000 + n);
  e["subscriptionId"] = static_cast<int64_t>(Hash3(settings_.app_id, std::hash<std::string>()(type), 9) % 1000000);
  e["portalId"] = event.value("portalId", int64_t{0});
  e["appId"] = settings_.app_id;
  for (const auto& [k, v] : event.items())
    if (k != "portalId") e[k] = v;
  e["attemptNumber"] = 0;
  if (pending_.empty()) first_pending_ms_ = SteadyMs();
  pending_.push_back(std::move(e));
  cv_.notify_all();
}

bool WebhookSender::Drain(int64_t ms) {
  int64_t until = SteadyMs() + ms;
  for (;;) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (pending_.empty() && retries_.empty() && !in_flight_) return true;
    }
    if (SteadyMs() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void WebhookSender::Run() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    const int64_t now = SteadyMs();
    if (settings_.hold) {  // nothing goes out; a batch's wait starts again on release
      first_pending_ms_ = now;
      cv_.wait_for(l, std::chrono::milliseconds(50));
      continue;
    }
    // batch what waited long enough, applying the event faults
    if (!pending_.empty() && (now - first_pending_ms_ >= settings_.batch_ms ||
                              pending_.size() >= static_cast<size_t>(settings_.max_batch))) {
      FaultConfig f = faults_();
      Batch b, dup;
      b.due_ms = now;
      while (!pending_.empty() && b.events.size() < static_cast<size_t>(settings_.max_batch)) {
        Json e = std::move(pending_.front());
        pending_.pop_front();
        uint64_t id = e["eventId"].get<uint64_t>();
        if (f.webhook_drop_rate > 0 && UnitInterval(Hash3(f.seed, id, 0x5701)) < f.webhook_drop_rate) {
          ++stats_.dropped;
          continue;
        }
        if (f.webhook_duplicate_rate > 0 && UnitInterval(Hash3(f.seed, id, 0x5702)) < f.webhook_duplicate_rate) {
          ++stats_.duplicated;
          dup.events.push_back(e);
        }
        b.events.push_back(std::move(e));
      }
      first_pending_ms_ = now;
      uint64_t bn = ++batch_seq_;
      if (f.webhook_delay_ms > 0) {
        ++stats_.delayed;
        b.due_ms += f.webhook_delay_ms;
      }
      if (f.webhook_reorder_rate > 0 && UnitInterval(Hash3(f.seed, bn, 0x5703)) < f.webhook_reorder_rate) {
        // out of order: reversed within the batch, and sent after the batches made next
        ++stats_.reordered;
        std::reverse(b.events.begin(), b.events.end());
        b.due_ms += 3 * std::max(settings_.batch_ms, 10);
      }
      if (!b.events.empty()) retries_.push_back(std::move(b));
      if (!dup.events.empty()) {
        dup.due_ms = now + 2 * std::max(settings_.batch_ms, 10);  // the same events again, a little later
        retries_.push_back(std::move(dup));
      }
      continue;
    }
    auto due = std::min_element(retries_.begin(), retries_.end(),
                                [](const Batch& a, const Batch& b) { return a.due_ms < b.due_ms; });
    if (due != retries_.end() && due->due_ms <= now) {
      Batch b = std::move(*due);
      retries_.erase(due);
      WebhookSettings s = settings_;
      in_flight_ = true;
      l.unlock();
      bool ok = Deliver(s, b);
      l.lock();
      in_flight_ = false;
      ++stats_.requests;
      if (ok) {
        stats_.delivered += static_cast<int64_t>(b.events.size());
      } else if (++b.attempt >= s.max_attempts) {
        ++stats_.failed_attempts;
        ++stats_.given_up;
      } else {
        ++stats_.failed_attempts;
        b.due_ms = SteadyMs() + (static_cast<int64_t>(s.retry_ms) << std::min(b.attempt - 1, 20));
        if (!settings_.url.empty()) retries_.push_back(std::move(b));
      }
      continue;
    }
    int64_t wait = 50;
    if (!pending_.empty()) wait = std::min<int64_t>(wait, settings_.batch_ms - (now - first_pending_ms_));
    if (due != retries_.end()) wait = std::min<int64_t>(wait, due->due_ms - now);
    cv_.wait_for(l, std::chrono::milliseconds(std::max<int64_t>(1, wait)));
  }
}

bool WebhookSender::Deliver(const WebhookSettings& s, Batch& b) {
  std::string origin, path;
  if (!SplitUrl(s.url, &origin, &path)) return false;
  Json body = Json::array();
  for (Json& e : b.events) {
    e["attemptNumber"] = b.attempt;
    body.push_back(e);
  }
  std::string text = DumpJson(body);
  std::string timestamp = std::to_string(clock_());
  httplib::Client client(origin);
  client.set_connection_timeout(std::chrono::milliseconds(s.timeout_ms));
  client.set_read_timeout(std::chrono::milliseconds(s.timeout_ms));
  client.set_write_timeout(std::chrono::milliseconds(s.timeout_ms));
  httplib::Headers headers = {{"X-HubSpot-Signature-v3", SignV3(s.secret, "POST" + s.url + text + timestamp)},
                              {"X-HubSpot-Signature-Version", "v3"},
                              {"X-HubSpot-Request-Timestamp", timestamp},
                              {"User-Agent", "HubSpot Webhooks (accord sandbox)"}};
  auto res = client.Post(path, headers, text, "application/json");
  return res && res->status >= 200 && res->status < 300;
}

}  // namespace accord::sandbox
