#include "runtime/connectors/salesforce_cdc.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

namespace accord::connectors {

namespace {

using json = nlohmann::json;

}  // namespace

std::string ChangeEventChannel(const std::string& object) {
  std::string name = object;
  if (name.size() > 3 && name.compare(name.size() - 3, 3, "__c") == 0) name.pop_back();
  return "/data/" + name + "ChangeEvent";
}

ChangeEventStream::ChangeEventStream(ChangeStreamOptions options) : options_(std::move(options)) {
  HttpOptions h = options_.http;
  h.max_attempts = 1;  // the loop below retries, with the server's advice
  http_ = std::make_unique<HttpClient>(h);
  for (const std::string& o : options_.objects) {
    std::string ch = ChangeEventChannel(o);
    auto it = options_.replay.find(ch);
    position_[ch] = it == options_.replay.end() ? -1 : it->second;
  }
}

ChangeEventStream::~ChangeEventStream() { Stop(); }

void ChangeEventStream::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void ChangeEventStream::Stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<ChangeEvent> ChangeEventStream::Wait(int64_t ms) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, std::chrono::milliseconds(std::max<int64_t>(0, ms)), [&] { return !queue_.empty() || stop_; });
  std::vector<ChangeEvent> out;
  out.swap(queue_);
  return out;
}

std::vector<std::string> ChangeEventStream::TakeGaps() {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<std::string> out;
  out.swap(gaps_);
  return out;
}

std::string ChangeEventStream::TakeProblem() {
  std::lock_guard<std::mutex> g(mu_);
  std::string out;
  out.swap(problem_);
  return out;
}

bool ChangeEventStream::Exchange(const std::string& body, std::string* out) {
  HttpClient::Request r;
  r.method = "POST";
  r.url = options_.instance_url + "/cometd/" + options_.api_version;
  r.headers = {"Authorization: Bearer " + (options_.token ? options_.token() : std::string()),
               "Content-Type: application/json"};
  r.body = body;
  HttpResponse resp = http_->Send(r);
  if (resp.status != 200) {
    std::lock_guard<std::mutex> g(mu_);
    problem_ = resp.status == 0 ? "Salesforce change events: the connection failed (" + resp.transport_error + ")"
                                : "Salesforce change events: HTTP " + std::to_string(resp.status);
    return false;
  }
  *out = std::move(resp.body);
  return true;
}

bool ChangeEventStream::Handshake() {
  json m = json::array({{{"channel", "/meta/handshake"},
                         {"version", "1.0"},
                         {"minimumVersion", "1.0"},
                         {"supportedConnectionTypes", {"long-polling"}}}});
  std::string body;
  if (!Exchange(m.dump(), &body)) return false;
  json r = json::parse(body, nullptr, false);
  if (!r.is_array() || r.empty() || !r[0].is_object() || !r[0].value("successful", false)) return false;
  client_id_ = r[0].value("clientId", std::string());
  return !client_id_.empty();
}

bool ChangeEventStream::Subscribe() {
  for (auto& [channel, pos] : position_) {
    json m = json::array({{{"channel", "/meta/subscribe"},
                           {"clientId", client_id_},
                           {"subscription", channel},
                           {"ext", {{"replay", {{channel, pos}}}}}}});
    std::string body;
    if (!Exchange(m.dump(), &body)) return false;
    json r = json::parse(body, nullptr, false);
    if (!r.is_array() || r.empty() || !r[0].is_object()) return false;
    if (r[0].value("successful", false)) continue;
    std::string error = r[0].value("error", std::string());
    if (error.find("replayId") != std::string::npos && pos != -1) {
      // past the retention window: new events from now on; the caller reads the object
      {
        std::lock_guard<std::mutex> g(mu_);
        gaps_.push_back(channel);
      }
      pos = -1;
      json again = m;
      again[0]["ext"]["replay"][channel] = -1;
      if (!Exchange(again.dump(), &body)) return false;
      r = json::parse(body, nullptr, false);
      if (r.is_array() && !r.empty() && r[0].is_object() && r[0].value("successful", false)) continue;
    }
    std::lock_guard<std::mutex> g(mu_);
    problem_ = "Salesforce change events: subscribing to " + channel + " failed: " + error;
    return false;
  }
  return true;
}

void ChangeEventStream::Run() {
  int64_t backoff_ms = 500;
  bool session = false;
  auto pause = [&](int64_t ms) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::milliseconds(ms), [&] { return stop_; });
    return !stop_;
  };
  for (;;) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stop_) return;
    }
    if (!session) {
      session = Handshake() && Subscribe();
      if (!session) {
        if (!pause(backoff_ms)) return;
        backoff_ms = std::min<int64_t>(backoff_ms * 2, 30000);
        continue;
      }
      backoff_ms = 500;
    }
    json m =
        json::array({{{"channel", "/meta/connect"}, {"clientId", client_id_}, {"connectionType", "long-polling"}}});
    std::string body;
    if (!Exchange(m.dump(), &body)) {
      session = false;
      if (!pause(backoff_ms)) return;
      backoff_ms = std::min<int64_t>(backoff_ms * 2, 30000);
      continue;
    }
    json r = json::parse(body, nullptr, false);
    int64_t interval = 0;
    std::vector<ChangeEvent> events;
    for (const json& msg : r.is_array() ? r : json::array()) {
      if (!msg.is_object()) continue;
      std::string channel = msg.value("channel", std::string());
      if (channel == "/meta/connect") {
        json advice = msg.value("advice", json::object());
        if (!msg.value("successful", false) || advice.value("reconnect", std::string()) == "handshake")
          session = false;  // the server forgot us: handshake again, resume from the positions
        if (advice.contains("interval") && advice["interval"].is_number_integer())
          interval = advice["interval"].get<int64_t>();
        continue;
      }
      auto pos = position_.find(channel);
      if (pos == position_.end() || !msg.contains("data") || !msg["data"].is_object()) continue;
      const json& data = msg["data"];
      json payload = data.value("payload", json::object());
      json header = payload.is_object() ? payload.value("ChangeEventHeader", json::object()) : json::object();
      ChangeEvent e;
      e.channel = channel;
      e.object = header.value("entityName", std::string());
      e.change_type = header.value("changeType", std::string());
      if (header.contains("commitTimestamp") && header["commitTimestamp"].is_number_integer())
        e.commit_ms = header["commitTimestamp"].get<int64_t>();
      if (header.contains("recordIds") && header["recordIds"].is_array())
        for (const json& id : header["recordIds"])  // Salesforce ids are strings
          if (id.is_string() && !id.get<std::string>().empty()) e.ids.push_back(id.get<std::string>());
      if (header.contains("changedFields") && header["changedFields"].is_array())
        for (const json& f : header["changedFields"]) {
          if (!f.is_string()) continue;
          const std::string& name = f.get_ref<const std::string&>();
          e.changed_fields.push_back(name);
          if (auto v = payload.find(name); v != payload.end() && name != "ChangeEventHeader" && !v->is_object())
            e.values[name] = v->dump();
        }
      if (e.change_type == "CREATE" && payload.is_object())  // a create lists no changedFields: all it set
        for (const auto& [name, v] : payload.items())
          if (name != "ChangeEventHeader" && !v.is_object()) e.values[name] = v.dump();
      if (data.contains("event") && data["event"].is_object() && data["event"].contains("replayId") &&
          data["event"]["replayId"].is_number_integer())
        e.replay_id = data["event"]["replayId"].get<int64_t>();
      e.origin = header.value("changeOrigin", std::string());
      if (e.replay_id > pos->second) pos->second = e.replay_id;
      if (!options_.own_client.empty() && e.origin.find(";client=" + options_.own_client) != std::string::npos &&
          e.change_type.rfind("GAP_", 0) != 0)
        continue;  // accord's own write
      if (!e.object.empty() && (!e.ids.empty() || e.change_type == "GAP_OVERFLOW")) events.push_back(std::move(e));
    }
    if (!events.empty()) {
      std::lock_guard<std::mutex> g(mu_);
      for (ChangeEvent& e : events) queue_.push_back(std::move(e));
      cv_.notify_all();
    }
    if (interval > 0 && !pause(interval)) return;
  }
}

}  // namespace accord::connectors
