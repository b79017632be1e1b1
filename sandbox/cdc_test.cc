// Change Data Capture over CometD: change events of committed writes with their
// header (API reference A.12), replay by id, the retention gap, rolled-back writes
// leaving no event, and the Bayeux session rules.
#include "sandbox/test_util.h"

namespace accord::sandbox::testing {
namespace {

const std::string kV = "/services/data/v59.0";
const std::string kChannel = "/data/ContactChangeEvent";

class Cdc : public SandboxFixture {
 protected:
  Json Bayeux(const Json& messages) {
    Resp r = sf->Post("/cometd/59.0", messages);
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body;
  }
  std::string Handshake() {
    Json r = Bayeux(Json::array({{{"channel", "/meta/handshake"}, {"version", "1.0"}, {"id", "1"}}}));
    EXPECT_TRUE(r[0]["successful"].get<bool>()) << DumpJson(r);
    return r[0]["clientId"].get<std::string>();
  }
  Json Subscribe(const std::string& client, int64_t replay) {
    return Bayeux(Json::array({{{"channel", "/meta/subscribe"},
                                {"clientId", client},
                                {"subscription", kChannel},
                                {"ext", {{"replay", {{kChannel, replay}}}}}}}))[0];
  }
  // The data messages of one /meta/connect.
  std::vector<Json> Connect(const std::string& client) {
    Json r =
        Bayeux(Json::array({{{"channel", "/meta/connect"}, {"clientId", client}, {"connectionType", "long-polling"}}}));
    std::vector<Json> events;
    for (const Json& m : r)
      if (m["channel"] == kChannel) events.push_back(m["data"]);
    EXPECT_EQ(r.back()["channel"], "/meta/connect");
    return events;
  }
  std::string AnyContact() {
    Resp r = sf->Get(kV + "/query?q=" + PercentEncode("SELECT Id FROM Contact LIMIT 1"));
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body["records"][0]["Id"].get<std::string>();
  }
};

TEST_F(Cdc, AnUpdateIsAChangeEventWithItsHeader) {
  std::string client = Handshake();
  ASSERT_TRUE(Subscribe(client, -1)["successful"].get<bool>());
  EXPECT_TRUE(Connect(client).empty());  // -1: only new events
  std::string id = AnyContact();
  ASSERT_EQ(sf->Patch(kV + "/sobjects/Contact/" + id, Json{{"Title", "Streamed"}}).status, 204);
  std::vector<Json> events = Connect(client);
  ASSERT_EQ(events.size(), 1u);
  const Json& p = events[0]["payload"];
  const Json& h = p["ChangeEventHeader"];
  EXPECT_EQ(h["entityName"], "Contact");
  EXPECT_EQ(h["changeType"], "UPDATE");
  EXPECT_EQ(h["recordIds"], Json::array({id}));
  EXPECT_EQ(h["commitTimestamp"], Now());
  bool title = false;
  for (const Json& f : h["changedFields"]) title |= f == "Title";
  EXPECT_TRUE(title);
  EXPECT_EQ(p["Title"], "Streamed");
  EXPECT_FALSE(p.contains("LastName"));  // an update carries the changed fields only
  int64_t replay = events[0]["event"]["replayId"].get<int64_t>();
  EXPECT_TRUE(Connect(client).empty());  // delivered once

  // a new session replays from an id
  std::string again = Handshake();
  ASSERT_TRUE(Subscribe(again, replay - 1)["successful"].get<bool>());
  events = Connect(again);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["event"]["replayId"], replay);

  // a write naming its client (Sforce-Call-Options) says so in changeOrigin
  ASSERT_EQ(sf->Do("PATCH", kV + "/sobjects/Contact/" + id, DumpJson(Json{{"Title", "Mine"}}),
                   {{"Sforce-Call-Options", "client=accord"}})
                .status,
            204);
  events = Connect(client);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["payload"]["ChangeEventHeader"]["changeOrigin"], "com/salesforce/api/rest/59.0;client=accord");

  // a delete
  ASSERT_EQ(sf->Delete(kV + "/sobjects/Contact/" + id).status, 204);
  events = Connect(client);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["payload"]["ChangeEventHeader"]["changeType"], "DELETE");
}

TEST_F(Cdc, ARolledBackWriteMakesNoEvent) {
  std::string client = Handshake();
  ASSERT_TRUE(Subscribe(client, -1)["successful"].get<bool>());
  Json records = Json::array({{{"attributes", {{"type", "Contact"}}}, {"LastName", "Kept?"}},
                              {{"attributes", {{"type", "Contact"}}}}});  // no LastName: fails
  Resp r = sf->Post(kV + "/composite/sobjects", Json{{"allOrNone", true}, {"records", records}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_TRUE(Connect(client).empty());
  records.erase(1);
  ASSERT_EQ(sf->Post(kV + "/composite/sobjects", Json{{"allOrNone", true}, {"records", records}}).status, 200);
  std::vector<Json> events = Connect(client);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["payload"]["ChangeEventHeader"]["changeType"], "CREATE");
  EXPECT_EQ(events[0]["payload"]["LastName"], "Kept?");
}

TEST_F(Cdc, AReplayIdPastRetentionIsRefused) {
  std::string client = Handshake();
  ASSERT_TRUE(Subscribe(client, -1)["successful"].get<bool>());
  ASSERT_EQ(sf->Patch(kV + "/sobjects/Contact/" + AnyContact(), Json{{"Title", "Old news"}}).status, 204);
  int64_t replay = Connect(client)[0]["event"]["replayId"].get<int64_t>();
  Advance(int64_t{73} * 3600 * 1000);  // past the 72-hour retention
  Json refused = Subscribe(Handshake(), replay - 1);
  EXPECT_FALSE(refused["successful"].get<bool>());
  EXPECT_NE(refused["error"].get<std::string>().find("400::The replayId {" + std::to_string(replay - 1) + "}"),
            std::string::npos)
      << DumpJson(refused);
  // -2 (every retained event) and the last id are still fine
  EXPECT_TRUE(Subscribe(Handshake(), -2)["successful"].get<bool>());
  EXPECT_TRUE(Subscribe(Handshake(), replay)["successful"].get<bool>());
}

TEST_F(Cdc, AnUnknownClientIsToldToHandshake) {
  Json r = Bayeux(Json::array({{{"channel", "/meta/connect"}, {"clientId", "nobody"}}}));
  EXPECT_FALSE(r[0]["successful"].get<bool>());
  EXPECT_EQ(r[0]["advice"]["reconnect"], "handshake");
  Json bad = Subscribe(Handshake(), -1);
  EXPECT_TRUE(bad["successful"].get<bool>());
  Json nochannel = Bayeux(Json::array(
      {{{"channel", "/meta/subscribe"}, {"clientId", Handshake()}, {"subscription", "/data/NoSuchChangeEvent"}}}))[0];
  EXPECT_FALSE(nochannel["successful"].get<bool>());
  // without the token: 401
  Http anonymous(sb->salesforce_url(), "");
  EXPECT_EQ(anonymous.Post("/cometd/59.0", Json::array({{{"channel", "/meta/handshake"}}})).status, 401);
}

// The push faults of change events (cdc_*: each decided by the event's replay id and the
// seed), the hold switch and GET /__sandbox/cdc, which says what a connected client has
// not received yet.
class CdcFaults : public Cdc {
 protected:
  // Three updates of one contact; their replay ids.
  std::vector<int64_t> ThreeEdits(const std::string& id) {
    std::vector<int64_t> ids;
    for (const char* t : {"One", "Two", "Three"})
      EXPECT_EQ(sf->Patch(kV + "/sobjects/Contact/" + id, Json{{"Title", t}}).status, 204);
    int64_t last = sf->Get("/__sandbox/cdc").body["last_replay_id"].get<int64_t>();
    return {last - 2, last - 1, last};
  }
  static std::vector<int64_t> Ids(const std::vector<Json>& events) {
    std::vector<int64_t> out;
    for (const Json& e : events) out.push_back(e["event"]["replayId"].get<int64_t>());
    return out;
  }
  void Faults(const Json& f) { ASSERT_EQ(sf->Post("/__sandbox/faults", f).status, 200); }
};

TEST_F(CdcFaults, DroppedEventsAreNeverDelivered) {
  std::string client = Handshake();
  ASSERT_TRUE(Subscribe(client, -1)["successful"].get<bool>());
  Faults({{"cdc_drop_rate", 1.0}});
  ThreeEdits(AnyContact());
  EXPECT_TRUE(Connect(client).empty());
  Faults(Json::object());
  EXPECT_TRUE(Connect(client).empty());  // passed over for good
  EXPECT_EQ(sf->Get("/__sandbox/cdc").body["stats"]["dropped"], 3);
}

TEST_F(CdcFaults, DuplicatesComeAgainAtTheNextConnect) {
  std::string client = Handshake();
  ASSERT_TRUE(Subscribe(client, -1)["successful"].get<bool>());
  Faults({{"cdc_duplicate_rate", 1.0}});
  std::vector<int64_t> ids = ThreeEdits(AnyContact());
  EXPECT_EQ(Ids(Connect(client)), ids);
  EXPECT_EQ(sf->Get("/__sandbox/cdc").body["pending"], 3);  // the copies wait for the next connect
  EXPECT_EQ(Ids(Connect(client)), ids);
  EXPECT_EQ(sf->Get("/__sandbox/cdc").body["pending"], 0);
  EXPECT_TRUE(Connect(client).empty());
}

TEST_F(CdcFaults, ReorderedEventsComeAfterTheLaterOnes) {
  std::string client = Handshake();
  ASSERT_TRUE(Subscribe(client, -1)["successful"].get<bool>());
  std::string id = AnyContact();
  Faults({{"cdc_reorder_rate", 1.0}});
  std::vector<int64_t> early = ThreeEdits(id);
  EXPECT_TRUE(Connect(client).empty());
  Faults(Json::object());
  std::vector<int64_t> later = ThreeEdits(id);
  std::vector<int64_t> expected = later;  // the later events first, then the reordered ones
  expected.insert(expected.end(), early.begin(), early.end());
  EXPECT_EQ(Ids(Connect(client)), expected);
  EXPECT_EQ(sf->Get("/__sandbox/cdc").body["stats"]["reordered"], 3);
}

TEST_F(CdcFaults, DelayedEventsWaitAndTheHoldHoldsEverything) {
  std::string client = Handshake();
  ASSERT_TRUE(Subscribe(client, -1)["successful"].get<bool>());
  Faults({{"cdc_delay_ms", 5000}});
  std::vector<int64_t> ids = ThreeEdits(AnyContact());
  EXPECT_TRUE(Connect(client).empty());
  EXPECT_EQ(sf->Get("/__sandbox/cdc").body["pending"], 3);
  Advance(5000);
  EXPECT_EQ(Ids(Connect(client)), ids);
  Faults(Json::object());

  ASSERT_EQ(sf->Post("/__sandbox/config", Json{{"cdc_hold", true}}).status, 200);
  ids = ThreeEdits(AnyContact());
  EXPECT_TRUE(Connect(client).empty());
  EXPECT_EQ(sf->Get("/__sandbox/cdc").body["pending"], 3);
  ASSERT_EQ(sf->Post("/__sandbox/config", Json{{"cdc_hold", false}}).status, 200);
  EXPECT_EQ(Ids(Connect(client)), ids);
  EXPECT_EQ(sf->Get("/__sandbox/cdc").body["pending"], 0);
}

}  // namespace
}  // namespace accord::sandbox::testing
