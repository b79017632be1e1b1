#include "runtime/connectors/webhooks.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>

namespace accord::connectors {

namespace {

using json = nlohmann::json;

std::string IdOf(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return "";
}

// contact -> contacts, COMPANY -> companies, 0-3 -> deals; "" when unknown.
std::string PluralType(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, const char*> kTypes[] = {
      {"contact", "contacts"}, {"company", "companies"},    {"deal", "deals"},
      {"ticket", "tickets"},   {"line_item", "line_items"}, {"product", "products"},
      {"0-1", "contacts"},     {"0-2", "companies"},        {"0-3", "deals"},
      {"0-5", "tickets"},      {"0-7", "products"},         {"0-8", "line_items"},
      {"task", "tasks"},       {"note", "notes"},           {"meeting", "meetings"},
      {"call", "calls"},       {"email", "emails"},         {"0-27", "tasks"},
      {"0-46", "notes"},       {"0-47", "meetings"},        {"0-48", "calls"},
      {"0-49", "emails"}};
  for (const auto& [from, to] : kTypes)
    if (s == from || s == to) return to;
  return "";
}

}  // namespace

std::string HubSpotSignatureV3(const std::string& secret, const std::string& method, const std::string& uri,
                               const std::string& body, const std::string& timestamp) {
  std::string data = method + uri + body + timestamp;
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

std::vector<WebhookEvent> ParseWebhookBatch(const std::string& body, int64_t* bad) {
  std::vector<WebhookEvent> out;
  json j = json::parse(body, nullptr, false);
  if (!j.is_array()) {
    ++*bad;
    return out;
  }
  for (const json& e : j) {
    WebhookEvent ev;
    std::string type = e.is_object() ? e.value("subscriptionType", std::string()) : "";
    size_t dot = type.find('.');
    if (e.is_object() && e.contains("eventId")) ev.event_id = IdOf(e["eventId"]);
    if (dot != std::string::npos) {
      std::string prefix = type.substr(0, dot);
      ev.kind = type.substr(dot + 1);
      // generic subscriptions (object.propertyChange) name the type by objectTypeId
      ev.object = PluralType(prefix == "object" && e.contains("objectTypeId") ? IdOf(e["objectTypeId"]) : prefix);
    }
    if (e.is_object() && e.contains("objectId")) ev.object_id = IdOf(e["objectId"]);
    // an event of a type accord does not know (conversations, ...) is well-formed: passed over,
    // never a reason to refuse the request into HubSpot's retries
    if (!ev.event_id.empty() && ev.object.empty() && !ev.kind.empty()) continue;
    if (ev.event_id.empty() || ev.object.empty() || ev.kind.empty()) {
      ++*bad;
      continue;
    }
    if (e.contains("occurredAt") && e["occurredAt"].is_number_integer())
      ev.occurred_at = e["occurredAt"].get<int64_t>();
    auto add = [&](const std::string& id) {
      if (!id.empty() && std::find(ev.ids.begin(), ev.ids.end(), id) == ev.ids.end()) ev.ids.push_back(id);
    };
    add(ev.object_id);
    if (ev.kind == "merge") {
      if (e.contains("primaryObjectId")) add(IdOf(e["primaryObjectId"]));
      if (e.contains("newObjectId")) add(IdOf(e["newObjectId"]));
      if (e.contains("mergedObjectIds") && e["mergedObjectIds"].is_array())
        for (const json& id : e["mergedObjectIds"]) add(IdOf(id));
    } else if (ev.kind == "associationChange") {
      if (e.contains("fromObjectId")) add(IdOf(e["fromObjectId"]));
      std::string at = e.value("associationType", std::string());  // CONTACT_TO_COMPANY
      size_t to = at.find("_TO_");
      if (to != std::string::npos) ev.to_object = PluralType(at.substr(to + 4));
      if (e.contains("toObjectId")) ev.to_id = IdOf(e["toObjectId"]);
    }
    if (ev.kind == "propertyChange" && e.contains("propertyName") && e["propertyName"].is_string()) {
      ev.property = e["propertyName"].get<std::string>();
      if (e.contains("propertyValue") && e["propertyValue"].is_string()) {
        ev.value = e["propertyValue"].get<std::string>();
        ev.has_value = true;
      }
    }
    if (ev.ids.empty()) {
      ++*bad;
      continue;
    }
    out.push_back(std::move(ev));
  }
  return out;
}

WebhookReceiver::WebhookReceiver(WebhookOptions options) : options_(std::move(options)) {}

WebhookReceiver::~WebhookReceiver() { Stop(); }

int64_t WebhookReceiver::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void WebhookReceiver::Forget(int64_t now) {
  const int64_t keep = 2 * options_.max_age_ms;
  while (!event_order_.empty() && event_order_.front().first < now - keep) {
    seen_events_.erase(event_order_.front().second);
    event_order_.pop_front();
  }
  while (!signature_order_.empty() && signature_order_.front().first < now - keep) {
    seen_signatures_.erase(signature_order_.front().second);
    signature_order_.pop_front();
  }
}

int WebhookReceiver::Handle(const std::string& method, const std::string& uri, const std::string& body,
                            const std::string& signature, const std::string& timestamp, const std::string& version) {
  const int64_t now = Now();
  std::lock_guard<std::mutex> g(mu_);
  ++counters_.requests;
  Forget(now);
  if (signature.empty() || timestamp.empty() || (!version.empty() && version != "v3")) {
    ++counters_.unsigned_;
    return 401;
  }
  int64_t ts = 0;
  bool digits = !timestamp.empty() && timestamp.size() < 19 &&
                std::all_of(timestamp.begin(), timestamp.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) ts = std::stoll(timestamp);
  if (!digits || ts < now - options_.max_age_ms || ts > now + options_.max_age_ms) {
    ++counters_.stale;
    return 401;
  }
  std::string expected = HubSpotSignatureV3(options_.secret, method, uri, body, timestamp);
  if (expected.empty() || expected.size() != signature.size() ||
      CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) {
    ++counters_.bad_signature;
    return 401;
  }
  if (!seen_signatures_.insert(signature).second) {
    ++counters_.replayed;
    return 401;
  }
  signature_order_.emplace_back(now, signature);
  int64_t bad = 0;
  std::vector<WebhookEvent> events = ParseWebhookBatch(body, &bad);
  if (events.empty() && bad > 0) {
    ++counters_.malformed;
    return 400;
  }
  counters_.malformed_events += bad;
  ++counters_.accepted;
  for (WebhookEvent& e : events) {
    ++counters_.events;
    if (!seen_events_.insert(e.event_id).second) {
      ++counters_.duplicates;
      continue;
    }
    event_order_.emplace_back(now, e.event_id);
    queue_.push_back(std::move(e));
  }
  cv_.notify_all();
  return 204;
}

void WebhookReceiver::Serve(const httplib::Request& req, httplib::Response& res) {
  std::string uri = options_.public_url;
  if (uri.empty()) uri = "http://" + req.get_header_value("Host") + req.target;
  int status =
      Handle(req.method, uri, req.body, req.get_header_value("X-HubSpot-Signature-v3"),
             req.get_header_value("X-HubSpot-Request-Timestamp"), req.get_header_value("X-HubSpot-Signature-Version"));
  res.status = status;
  if (status == 401) res.set_content("{\"message\":\"refused: unsigned, stale or replayed\"}\n", "application/json");
  if (status == 400) res.set_content("{\"message\":\"the body is not a JSON array of events\"}\n", "application/json");
}

base::Status WebhookReceiver::Listen(const std::string& addr, int port) {
  if (server_) return base::Status::Error("the webhook receiver already listens");
  server_ = std::make_unique<httplib::Server>();
  server_->set_payload_max_length(options_.max_body);
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->Post(".*", [this](const httplib::Request& q, httplib::Response& r) { Serve(q, r); });
  int bound = port == 0 ? server_->bind_to_any_port(addr) : (server_->bind_to_port(addr, port) ? port : -1);
  if (bound <= 0) {
    server_.reset();
    return base::Status::Error("cannot listen on " + addr + ":" + std::to_string(port) + " (is the port in use?)");
  }
  port_ = bound;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return base::Status::Ok();
}

void WebhookReceiver::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
  Wake();
}

std::vector<WebhookEvent> WebhookReceiver::Wait(int64_t ms) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, std::chrono::milliseconds(std::max<int64_t>(0, ms)), [&] { return !queue_.empty() || woken_; });
  woken_ = false;
  std::vector<WebhookEvent> out;
  out.swap(queue_);
  return out;
}

void WebhookReceiver::Wake() {
  std::lock_guard<std::mutex> g(mu_);
  woken_ = true;
  cv_.notify_all();
}

WebhookCounters WebhookReceiver::counters() {
  std::lock_guard<std::mutex> g(mu_);
  return counters_;
}

}  // namespace accord::connectors
