// Change Data Capture: the change event of every committed record write, and the
// Streaming API's CometD (Bayeux) endpoint that delivers them (docs/sandbox.md
// "Change Data Capture"; the API reference A.12 lists the header's fields).
//
//   POST /cometd/{version}  [{"channel": "/meta/handshake" | "/meta/subscribe" |
//                             "/meta/connect" | "/meta/disconnect", ...}]
//
// Channels: /data/<Object>ChangeEvent (Foo__c: /data/Foo__ChangeEvent) and
// /data/ChangeEvents. A subscription's ext.replay gives where it starts: -1 new
// events only, -2 every retained event, N the events after replay id N — refused
// ("400::The replayId {N} you provided was invalid...") when events after N are
// no longer retained (cdc_retention_ms). /meta/connect answers at once with the
// events after each subscription's position and {"advice": {"interval": 200}}
// when there are none (the real server holds the request up to 110 s instead;
// the Bayeux client honours either). Streaming calls are not counted against the
// daily REST limit, as in Salesforce.
#include <algorithm>

#include "sandbox/salesforce_internal.h"

namespace accord::sandbox {

namespace {

// /data/ContactChangeEvent -> Contact, /data/Foo__ChangeEvent -> Foo__c; "" otherwise.
std::string EntityOfChannel(const std::string& channel) {
  const std::string prefix = "/data/", suffix = "ChangeEvent";
  if (channel.rfind(prefix, 0) != 0 || channel.size() <= prefix.size() + suffix.size() ||
      channel.compare(channel.size() - suffix.size(), suffix.size(), suffix) != 0)
    return "";
  std::string name = channel.substr(prefix.size(), channel.size() - prefix.size() - suffix.size());
  if (name.size() > 2 && name.compare(name.size() - 2, 2, "__") == 0) name += "c";
  return name;
}

std::string ChannelOf(const std::string& object) {
  std::string name = object;
  if (name.size() > 3 && name.compare(name.size() - 3, 3, "__c") == 0) name.pop_back();
  return "/data/" + name + "ChangeEvent";
}

bool Matches(const std::string& subscription, const std::string& channel) {
  return subscription == channel || subscription == "/data/ChangeEvents";
}

}  // namespace

void SalesforceEmulator::AddChangeEvent(const Object& obj, const Record& r, const Json& before, const char* change_type,
                                        Tx& tx, int64_t now) {
  if (tx.cdc_mark == SIZE_MAX) tx.cdc_mark = cdc_log_.size();
  Json fields = Json::object();
  Json changed = Json::array(), nulled = Json::array();
  if (std::string(change_type) != "DELETE") {
    for (const auto& [k, v] : r.fields.items()) {
      if (k == "Id" || k == "attributes") continue;
      auto old = before.is_object() ? before.find(k) : before.end();
      bool differs = !before.is_object() || old == before.end() || *old != v;
      if (!differs) continue;
      fields[k] = v;
      changed.push_back(k);
      if (v.is_null()) nulled.push_back(k);
    }
    if (before.is_object())
      for (const auto& [k, v] : before.items())
        if (!r.fields.contains(k) && !v.is_null()) {
          fields[k] = nullptr;
          changed.push_back(k);
          nulled.push_back(k);
        }
  }
  ChangeEvent e;
  e.replay_id = cdc_next_replay_++;
  e.commit_ms = now;
  e.channel = ChannelOf(obj.schema.name);
  Json header = {{"entityName", obj.schema.name},
                 {"recordIds", Json::array({r.id})},
                 {"changeType", change_type},
                 {"changeOrigin", change_origin_.empty() ? "com/salesforce/api/rest/59.0" : change_origin_},
                 {"transactionKey", UuidFromHash(Hash3(0xcdc, static_cast<uint64_t>(now), tx.cdc_mark))},
                 {"sequenceNumber", static_cast<int64_t>(cdc_log_.size() - tx.cdc_mark + 1)},
                 {"commitTimestamp", now},
                 {"commitNumber", e.replay_id},
                 {"commitUser", user_id_},
                 {"nulledFields", nulled},
                 {"diffFields", Json::array()},
                 {"changedFields", changed}};
  e.payload = Json::object();
  e.payload["ChangeEventHeader"] = std::move(header);
  for (auto& [k, v] : fields.items()) e.payload[k] = v;
  cdc_log_.push_back(std::move(e));
}

void SalesforceEmulator::CometD(Call& c) {
  if (!Authorize(c)) return;
  Json in;
  if (Status parsed = ParseJson(c.Body(), &in); !parsed || !(in.is_array() || in.is_object()))
    return c.Send(400, Json::array({{{"successful", false}, {"error", "400::the body is not a Bayeux message"}}}));
  if (in.is_object()) in = Json::array({in});
  // events past the retention window are gone
  while (!cdc_log_.empty() && cdc_log_.front().commit_ms < c.now_ms - settings_.cdc_retention_ms) cdc_log_.pop_front();
  const int64_t earliest = cdc_log_.empty() ? cdc_next_replay_ : cdc_log_.front().replay_id;
  Json out = Json::array();
  for (const Json& m : in) {
    std::string channel = m.is_object() ? m.value("channel", std::string()) : "";
    std::string client = m.is_object() ? m.value("clientId", std::string()) : "";
    Json reply = {{"channel", channel}};
    if (m.is_object() && m.contains("id")) reply["id"] = m["id"];
    auto known = comet_clients_.find(client);
    if (channel == "/meta/handshake") {
      std::string id = UuidFromHash(Hash3(0xc0e7, ++comet_counter_, static_cast<uint64_t>(c.now_ms)));
      comet_clients_[id];
      reply.update({{"version", "1.0"},
                    {"successful", true},
                    {"clientId", id},
                    {"supportedConnectionTypes", {"long-polling"}},
                    {"advice", {{"interval", 0}, {"timeout", 110000}, {"reconnect", "retry"}}}});
    } else if (known == comet_clients_.end()) {
      reply.update({{"successful", false},
                    {"error", "403::Unknown client"},
                    {"advice", {{"reconnect", "handshake"}, {"interval", 0}}}});
    } else if (channel == "/meta/subscribe") {
      std::string sub = m.value("subscription", std::string());
      reply["subscription"] = sub;
      std::string entity = EntityOfChannel(sub);
      int64_t replay = -1;
      if (m.contains("ext") && m["ext"].is_object() && m["ext"].contains("replay") && m["ext"]["replay"].is_object() &&
          m["ext"]["replay"].contains(sub) && m["ext"]["replay"][sub].is_number_integer())
        replay = m["ext"]["replay"][sub].get<int64_t>();
      if (sub != "/data/ChangeEvents" && (entity.empty() || !FindObject(entity))) {
        reply.update({{"successful", false},
                      {"error",
                       "400::The channel you requested to subscribe to does not "
                       "exist {" +
                           sub + "}"}});
      } else if (replay < -2 || (replay >= 0 && (replay < earliest - 1 || replay > cdc_next_replay_ - 1))) {
        reply.update({{"successful", false},
                      {"error", "400::The replayId {" + std::to_string(replay) +
                                    "} you provided was invalid.  Please provide a valid ID, -2 to replay all "
                                    "events, or -1 to replay only new events."}});
      } else {
        known->second.channels[sub] = replay == -1 ? cdc_next_replay_ - 1 : replay == -2 ? earliest - 1 : replay;
        reply["successful"] = true;
      }
    } else if (channel == "/meta/connect") {
      // the subscriptions' events after their positions, with the cdc_* faults (each decided by
      // the event's replay id and the fault seed): a dropped event is passed over, a delayed one
      // (and every later one) waits, a reordered one or a duplicate's copy goes out at the next
      // connect, after that connect's events
      CometClient& cl = known->second;
      cl.seen_ms = c.now_ms;
      const FaultConfig& f = c.faults;
      std::vector<Json> later;
      bool any = false;
      for (auto& [sub, pos] : cl.channels) {
        if (settings_.cdc_hold) break;
        for (const ChangeEvent& e : cdc_log_) {
          if (e.replay_id <= pos || !Matches(sub, e.channel)) continue;
          auto fault = [&](double rate, uint64_t salt) {
            return rate > 0 && UnitInterval(Hash3(f.seed, static_cast<uint64_t>(e.replay_id), salt)) < rate;
          };
          if (f.cdc_delay_ms > 0 && c.now_ms < e.commit_ms + f.cdc_delay_ms) {
            ++cdc_stats_.delayed;
            break;
          }
          pos = e.replay_id;
          if (fault(f.cdc_drop_rate, 0xcd01)) {
            ++cdc_stats_.dropped;
            continue;
          }
          Json msg = {{"channel", e.channel},
                      {"data",
                       {{"schema", "accord-sandbox-" + e.channel.substr(6)},
                        {"payload", e.payload},
                        {"event", {{"replayId", e.replay_id}}}}}};
          if (fault(f.cdc_duplicate_rate, 0xcd02)) {
            ++cdc_stats_.duplicated;
            later.push_back(msg);
          }
          if (fault(f.cdc_reorder_rate, 0xcd03)) {
            ++cdc_stats_.reordered;
            later.push_back(std::move(msg));
            continue;
          }
          out.push_back(std::move(msg));
          ++cdc_stats_.delivered;
          any = true;
        }
      }
      if (!settings_.cdc_hold) {
        for (Json& m : cl.late) out.push_back(std::move(m)), ++cdc_stats_.delivered, any = true;
        cl.late = std::move(later);
      }
      reply.update({{"clientId", client},
                    {"successful", true},
                    {"advice", {{"interval", any ? 0 : 200}, {"timeout", 110000}, {"reconnect", "retry"}}}});
    } else if (channel == "/meta/disconnect") {
      comet_clients_.erase(known);
      reply["successful"] = true;
    } else {
      reply.update({{"successful", false}, {"error", "400::unknown channel " + channel}});
    }
    out.push_back(std::move(reply));
  }
  c.Send(200, out);
}

Json SalesforceEmulator::CdcStatusLocked(int64_t now) {
  // pending: events a client seen in the last 2 s has not received yet (held back, delayed, late)
  int64_t pending = 0;
  Json clients = Json::array();
  for (const auto& [id, cl] : comet_clients_) {
    if (now - cl.seen_ms > 2000) continue;
    int64_t n = static_cast<int64_t>(cl.late.size());
    for (const auto& [sub, pos] : cl.channels)
      for (const ChangeEvent& e : cdc_log_) n += e.replay_id > pos && Matches(sub, e.channel);
    pending += n;
    clients.push_back({{"channels", cl.channels}, {"pending", n}});
  }
  return Json{{"last_replay_id", cdc_next_replay_ - 1},
              {"retained", cdc_log_.size()},
              {"clients", clients},
              {"pending", pending},
              {"stats",
               {{"delivered", cdc_stats_.delivered},
                {"dropped", cdc_stats_.dropped},
                {"duplicated", cdc_stats_.duplicated},
                {"reordered", cdc_stats_.reordered},
                {"delayed", cdc_stats_.delayed}}}};
}

}  // namespace accord::sandbox
