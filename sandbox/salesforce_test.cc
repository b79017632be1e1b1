// The Salesforce emulator over real HTTP on loopback: every endpoint's happy
// path and its errors, in Salesforce's wire shapes.
#include <set>

#include "sandbox/test_util.h"

namespace accord::sandbox::testing {
namespace {

const std::string kV = "/services/data/v59.0";

std::string B64Url(const std::string& in) {
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (unsigned char ch : in) {
    buf = (buf << 8) | ch;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kChars[(buf >> bits) & 63];
    }
  }
  if (bits > 0) out += kChars[(buf << (6 - bits)) & 63];
  return out;
}

std::string Jwt(const std::string& sub, int64_t exp_s) {
  Json header{{"alg", "RS256"}};
  Json payload{{"iss", "3MVG9consumerkey"}, {"sub", sub}, {"aud", "https://login.salesforce.com"}, {"exp", exp_s}};
  return B64Url(DumpJson(header)) + "." + B64Url(DumpJson(payload)) + "." + B64Url("signature");
}

std::string Form(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string out;
  for (const auto& [k, v] : kv) out += (out.empty() ? "" : "&") + k + "=" + PercentEncode(v);
  return out;
}

std::string Q(const std::string& soql) { return kV + "/query?q=" + PercentEncode(soql); }

class Salesforce : public SandboxFixture {
 protected:
  Resp Token(const std::vector<std::pair<std::string, std::string>>& kv) {
    return sf->Do("POST", "/services/oauth2/token", Form(kv), {}, "application/x-www-form-urlencoded");
  }
  Resp Create(const Json& records, bool all_or_none = false) {
    return sf->Post(kV + "/composite/sobjects", Json{{"allOrNone", all_or_none}, {"records", records}});
  }
  static Json Contact(const std::string& last, Json extra = Json::object()) {
    Json r{{"attributes", {{"type", "Contact"}}}, {"LastName", last}};
    for (auto& [k, v] : extra.items()) r[k] = v;
    return r;
  }
  Json Config(const Json& j) {
    Resp r = sf->Post("/__sandbox/config", j);
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body;
  }
  size_t CountContacts(bool all = false) {
    Resp r = sf->Get((all ? kV + "/queryAll?q=" : kV + "/query?q=") + PercentEncode("SELECT COUNT() FROM Contact"));
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body.value("totalSize", size_t{0});
  }
};

// ---------------------------------------------------------------- the built-in example

TEST_F(Salesforce, TheExampleSeedLoadsBothSystems) {
  auto count = [&](const std::string& object) {
    return sf->Get(Q("SELECT COUNT() FROM " + object)).body.value("totalSize", -1);
  };
  EXPECT_EQ(count("Contact"), 4);  // the fifth is deleted
  EXPECT_EQ(count("Account"), 3);
  EXPECT_EQ(count("Lead"), 2);
  EXPECT_EQ(count("Opportunity"), 2);
  Resp opp = sf->Get(Q("SELECT Name, AccountId, StageName, CloseDate, Amount FROM Opportunity ORDER BY Name"));
  EXPECT_EQ(opp.body["records"][0]["StageName"], "Proposal/Price Quote");
  EXPECT_EQ(opp.body["records"][0]["Amount"], 90000.0);
  Resp acc = sf->Get(kV + "/sobjects/Account/" + opp.body["records"][1]["AccountId"].get<std::string>());
  EXPECT_EQ(acc.body["Name"], "Analytical Engines Ltd");
  Resp hc = hs->Get("/crm/v3/objects/contacts/51?properties=email,lifecyclestage");
  ASSERT_EQ(hc.status, 200) << hc.raw;
  EXPECT_EQ(hc.body["properties"]["lifecyclestage"], "lead");
  EXPECT_EQ(hc.body["properties"]["email"], "grace@navy.example.mil");
}

// ---------------------------------------------------------------- auth

TEST_F(Salesforce, MissingOrWrongTokenIs401InvalidSessionId) {
  for (const std::string& token : {std::string(), std::string("nope")}) {
    sf->set_token(token);
    Resp r = sf->Get(kV + "/sobjects");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.body, Json::parse(R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])"));
  }
}

TEST_F(Salesforce, JwtBearerIssuesATokenThatExpires) {
  Resp r = Token({{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
                  {"assertion", Jwt("integration@example.com", Now() / 1000 + 180)}});
  ASSERT_EQ(r.status, 200) << r.raw;
  std::string token = r.body["access_token"];
  EXPECT_EQ(r.body["instance_url"], sb->salesforce_url());
  EXPECT_EQ(r.body["token_type"], "Bearer");
  EXPECT_TRUE(r.body["issued_at"].is_string());
  EXPECT_EQ(r.body["issued_at"], std::to_string(Now()));
  EXPECT_FALSE(r.body.contains("refresh_token"));
  sf->set_token(token);
  EXPECT_EQ(sf->Get(kV + "/sobjects").status, 200);
  Advance(7200 * 1000 + 1);  // sessions last session_seconds (2 h)
  Resp expired = sf->Get(kV + "/sobjects");
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.body[0]["errorCode"], "INVALID_SESSION_ID");
}

TEST_F(Salesforce, JwtErrors) {
  auto grant = [&](const std::string& assertion) {
    return Token({{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", assertion}});
  };
  Resp r = grant("not-a-jwt");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"], "invalid_grant");
  r = grant(Jwt("a@b.c", Now() / 1000 - 10));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error_description"], "expired assertion");
  r = grant("");
  EXPECT_EQ(r.body["error"], "invalid_request");
  Config({{"users", {"integration@example.com"}}});
  r = grant(Jwt("someone-else@example.com", Now() / 1000 + 60));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error_description"], "user hasn't approved this consumer");
  EXPECT_EQ(grant(Jwt("integration@example.com", Now() / 1000 + 60)).status, 200);
  r = Token({{"grant_type", "password"}});
  EXPECT_EQ(r.body["error"], "unsupported_grant_type");
}

TEST_F(Salesforce, RefreshTokenGrant) {
  Resp r = Token(
      {{"grant_type", "refresh_token"}, {"client_id", "x"}, {"client_secret", "y"}, {"refresh_token", sb->token()}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_FALSE(r.body["access_token"].get<std::string>().empty());
  r = Token({{"grant_type", "refresh_token"}, {"refresh_token", "stale"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, Json::parse(R"({"error":"invalid_grant","error_description":"expired access/refresh token"})"));
}

TEST_F(Salesforce, ExpireSessionsAdminEndpoint) {
  Resp r = Token({{"grant_type", "refresh_token"}, {"refresh_token", sb->token()}});
  sf->set_token(r.body["access_token"]);
  EXPECT_EQ(sf->Get(kV + "/sobjects").status, 200);
  Http admin(sb->salesforce_url(), sb->token());  // the admin endpoints take the sandbox token, not a session
  EXPECT_EQ(sf->Post("/__sandbox/expire-sessions", Json::object()).status, 401);
  EXPECT_EQ(admin.Post("/__sandbox/expire-sessions", Json::object()).body["expired"], 1);
  EXPECT_EQ(sf->Get(kV + "/sobjects").status, 401);
}

// The token response's "id" is the identity URL; jsforce's identity() follows
// the versioned resource map's "identity" to it (tests/clients/).
TEST_F(Salesforce, IdentityUrlServesTheSandboxUser) {
  Resp t = Token({{"grant_type", "refresh_token"}, {"refresh_token", sb->token()}});
  ASSERT_EQ(t.status, 200) << t.raw;
  std::string id_url = t.body["id"];
  ASSERT_EQ(id_url.rfind(sb->salesforce_url() + "/id/00D", 0), 0u) << id_url;
  std::string path = id_url.substr(sb->salesforce_url().size());
  Resp map = sf->Get(kV);
  ASSERT_EQ(map.status, 200) << map.raw;
  EXPECT_EQ(map.body["identity"], id_url);
  Json before = sf->Get("/__sandbox/dump").body["api_usage"];
  Resp r = sf->Get(path + "?format=json");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["id"], id_url);
  std::string user = r.body["user_id"], org = r.body["organization_id"];
  EXPECT_EQ(user.substr(0, 3), "005");
  EXPECT_EQ(org.substr(0, 3), "00D");
  EXPECT_EQ(path, "/id/" + org + "/" + user);
  EXPECT_EQ(r.body["active"], true);
  EXPECT_EQ(r.body["urls"]["rest"], sb->salesforce_url() + "/services/data/v{version}/");
  EXPECT_EQ(sf->Get("/__sandbox/dump").body["api_usage"], before);  // identity calls are not API calls
  // An issued token as ?oauth_token= works without the header.
  sf->set_token("");
  EXPECT_EQ(sf->Get(path + "?format=json&oauth_token=" + t.body["access_token"].get<std::string>()).status, 200);
  Resp no = sf->Get(path);
  EXPECT_EQ(no.status, 401) << no.raw;
  EXPECT_EQ(no.body[0]["errorCode"], "INVALID_SESSION_ID");
  sf->set_token(sb->token());
  EXPECT_EQ(sf->Get("/id/" + org + "/005000000000000AAA").status, 404);
}

// jsforce's logout() revokes the session at /services/oauth2/revoke (tests/clients/).
TEST_F(Salesforce, RevokeEndsAnIssuedSession) {
  Resp t = Token({{"grant_type", "refresh_token"}, {"refresh_token", sb->token()}});
  ASSERT_EQ(t.status, 200) << t.raw;
  std::string issued = t.body["access_token"];
  sf->set_token(issued);
  EXPECT_EQ(sf->Get(kV + "/limits").status, 200);
  Resp r =
      sf->Do("POST", "/services/oauth2/revoke", Form({{"token", issued}}), {}, "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(sf->Get(kV + "/limits").status, 401);
  r = sf->Do("POST", "/services/oauth2/revoke", Form({{"token", issued}}), {}, "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_EQ(r.body["error"], "unsupported_token_type");
  // The shared sandbox token is accepted and keeps working.
  r = sf->Get("/services/oauth2/revoke?token=" + PercentEncode(sb->token()));
  EXPECT_EQ(r.status, 200) << r.raw;
  sf->set_token(sb->token());
  EXPECT_EQ(sf->Get(kV + "/limits").status, 200);
  r = sf->Do("POST", "/services/oauth2/revoke", "", {}, "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"], "invalid_request");
}

// ---------------------------------------------------------------- limits

TEST_F(Salesforce, LimitInfoHeaderOnEveryResponseAndDailyLimit) {
  Config({{"daily_api_limit", 3}, {"api_usage", 0}});
  Resp r1 = sf->Get(kV + "/sobjects");
  EXPECT_EQ(r1.Header("Sforce-Limit-Info"), "api-usage=1/3");
  Resp r2 = sf->Get(kV + "/sobjects/Nope/describe");  // errors count and carry the header too
  EXPECT_EQ(r2.status, 404);
  EXPECT_EQ(r2.Header("Sforce-Limit-Info"), "api-usage=2/3");
  EXPECT_EQ(sf->Get(Q("SELECT Id FROM Contact")).Header("Sforce-Limit-Info"), "api-usage=3/3");
  Resp over = sf->Get(kV + "/sobjects");
  EXPECT_EQ(over.status, 403);
  EXPECT_EQ(over.body,
            Json::parse(R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])"));
  Resp limits = sf->Get(kV + "/limits");
  EXPECT_EQ(limits.status, 403);
  Advance(24 * 3600 * 1000);  // a new day
  limits = sf->Get(kV + "/limits");
  ASSERT_EQ(limits.status, 200);
  EXPECT_EQ(limits.body["DailyApiRequests"]["Max"], 3);
  EXPECT_EQ(limits.body["DailyApiRequests"]["Remaining"], 2);
  // The versions list carries no limit header.
  EXPECT_EQ(sf->Get("/services/data").Header("Sforce-Limit-Info"), "");
}

// ---------------------------------------------------------------- query

TEST_F(Salesforce, QueryReturnsSelectedFieldsInOrderAfterAttributes) {
  Resp r = sf->Get(Q("SELECT Email, Id, LastName FROM Contact WHERE Email != null ORDER BY LastName"));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["totalSize"], 3);
  EXPECT_EQ(r.body["done"], true);
  EXPECT_FALSE(r.body.contains("nextRecordsUrl"));
  const Json& first = r.body["records"][0];
  std::vector<std::string> keys;
  for (auto& [k, v] : first.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"attributes", "Email", "Id", "LastName"}));
  EXPECT_EQ(first["attributes"]["type"], "Contact");
  EXPECT_EQ(first["attributes"]["url"], kV + "/sobjects/Contact/" + first["Id"].get<std::string>());
  EXPECT_EQ(first["LastName"], "Hopper");
  EXPECT_EQ(r.body["records"][2]["LastName"], "Lovelace");
}

TEST_F(Salesforce, QueryAllIncludesDeletedRecords) {
  EXPECT_EQ(CountContacts(false), 4u);  // the example has one IsDeleted contact
  EXPECT_EQ(CountContacts(true), 5u);
  Resp r = sf->Get(kV + "/queryAll?q=" + PercentEncode("SELECT Id, IsDeleted FROM Contact WHERE IsDeleted = true"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["totalSize"], 1);
  EXPECT_EQ(r.body["records"][0]["IsDeleted"], true);
}

TEST_F(Salesforce, EmptyResult) {
  Resp r = sf->Get(Q("SELECT Id FROM Contact WHERE LastName = 'Nobody'"));
  EXPECT_EQ(r.body, Json::parse(R"({"totalSize":0,"done":true,"records":[]})"));
}

TEST_F(Salesforce, QueryErrors) {
  Resp r = sf->Get(Q("SELECT Id FRM Contact"));
  EXPECT_EQ(r.status, 400);
  ASSERT_TRUE(r.body.is_array());
  EXPECT_EQ(r.body[0]["errorCode"], "MALFORMED_QUERY");
  r = sf->Get(Q("SELECT Id FROM Nope"));
  EXPECT_EQ(r.body[0]["errorCode"], "INVALID_TYPE");
  EXPECT_NE(r.body[0]["message"].get<std::string>().find("sObject type 'Nope' is not supported"), std::string::npos);
  r = sf->Get(Q("SELECT Nope FROM Contact"));
  EXPECT_EQ(r.body[0]["errorCode"], "INVALID_FIELD");
  r = sf->Get(kV + "/query");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body[0]["errorCode"], "MALFORMED_QUERY");
  r = sf->Get(kV + "/query/01gNOPE-2000");
  EXPECT_EQ(r.body[0]["errorCode"], "INVALID_QUERY_LOCATOR");
}

TEST_F(Salesforce, PagingWithNextRecordsUrl) {
  std::set<std::string> created;
  for (int batch = 0; batch < 23; ++batch) {
    Json records = Json::array();
    for (int i = 0; i < 200 && batch * 200 + i < 4500; ++i)
      records.push_back(Contact("Page" + std::to_string(batch * 200 + i)));
    if (records.empty()) break;
    Resp r = Create(records);
    ASSERT_EQ(r.status, 200) << r.raw;
    for (const Json& res : r.body) {
      ASSERT_TRUE(res["success"].get<bool>()) << DumpJson(res);
      created.insert(res["id"]);
    }
  }
  ASSERT_EQ(created.size(), 4500u);
  Resp r = sf->Get(Q("SELECT Id, LastName FROM Contact WHERE LastName LIKE 'Page%'"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["totalSize"], 4500);
  EXPECT_EQ(r.body["done"], false);
  EXPECT_EQ(r.body["records"].size(), 2000u);
  std::set<std::string> seen;
  int pages = 0;
  for (;;) {
    ++pages;
    for (const Json& rec : r.body["records"]) seen.insert(rec["Id"]);
    if (r.body["done"].get<bool>()) {
      EXPECT_FALSE(r.body.contains("nextRecordsUrl"));
      break;
    }
    std::string next = r.body["nextRecordsUrl"];
    EXPECT_EQ(next.rfind(kV + "/query/01g", 0), 0u) << next;
    r = sf->Get(next);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["totalSize"], 4500);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(r.body["records"].size(), 500u);
  EXPECT_EQ(seen, created);
  // Sforce-Query-Options: batchSize=N (200..2000) makes smaller pages.
  r = sf->Get(Q("SELECT Id FROM Contact WHERE LastName LIKE 'Page%'"), {{"Sforce-Query-Options", "batchSize=500"}});
  EXPECT_EQ(r.body["records"].size(), 500u);
}

TEST_F(Salesforce, AtMostTenOpenCursors) {
  Config({{"query_page_size", 1}});
  std::vector<std::string> next;
  for (int i = 0; i < 11; ++i) {
    Resp r = sf->Get(Q("SELECT Id FROM Contact"));
    ASSERT_EQ(r.body["done"], false) << r.raw;
    next.push_back(r.body["nextRecordsUrl"]);
  }
  EXPECT_EQ(sf->Get(next[0]).body[0]["errorCode"], "INVALID_QUERY_LOCATOR");  // the oldest was closed
  Resp last = sf->Get(next[10]);
  ASSERT_EQ(last.status, 200) << last.raw;
  EXPECT_EQ(last.body["records"].size(), 1u);
}

TEST_F(Salesforce, SystemModstampMovesOnEveryWriteAndFiltersQueries) {
  Resp c = Create(Json::array({Contact("Early"), Contact("Late")}));
  ASSERT_EQ(c.status, 200);
  std::string early = c.body[0]["id"], late = c.body[1]["id"];
  std::string t0 = FormatIsoMs(Now());
  Advance(5000);
  Resp u = sf->Patch(kV + "/composite/sobjects",
                     Json{{"records", {{{"attributes", {{"type", "Contact"}}}, {"id", late}, {"Title", "VP"}}}}});
  ASSERT_EQ(u.status, 200) << u.raw;
  ASSERT_TRUE(u.body[0]["success"].get<bool>()) << u.raw;
  Resp r = sf->Get(Q("SELECT Id, SystemModstamp, LastModifiedDate, CreatedDate FROM Contact WHERE SystemModstamp > " +
                     t0 + " ORDER BY SystemModstamp"));
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["totalSize"], 1);
  const Json& rec = r.body["records"][0];
  EXPECT_EQ(rec["Id"], late);
  EXPECT_EQ(rec["SystemModstamp"], FormatSalesforceDateTime(Now()));
  EXPECT_EQ(rec["LastModifiedDate"], FormatSalesforceDateTime(Now()));
  EXPECT_EQ(rec["CreatedDate"], FormatSalesforceDateTime(Now() - 5000));
}

TEST_F(Salesforce, FieldHistoryRecordsEachChangeOfATrackedField) {
  // the example's Contact describe names no field history: tracking a field turns it on, and the
  // describe names ContactHistory from then on, as in an org
  EXPECT_EQ(sf->Get(Q("SELECT ContactId, Field FROM ContactHistory")).status, 400);
  Config({{"field_history", {{"Contact", {"Title", "email"}}}}});
  EXPECT_EQ(sf->Get("/__sandbox/config").body["field_history"], Json({{"Contact", {"Email", "Title"}}}));
  Resp q = sf->Get(Q("SELECT ContactId, Field FROM ContactHistory"));
  ASSERT_EQ(q.status, 200) << q.raw;
  EXPECT_EQ(q.body["totalSize"], 0);
  EXPECT_EQ(sf->Get(kV + "/sobjects/ContactHistory/describe").body["name"], "ContactHistory");
  bool named = false;
  Resp contact = sf->Get(kV + "/sobjects/Contact/describe");
  for (const Json& rel : contact.body["childRelationships"])
    named = named || (rel["childSObject"] == "ContactHistory" && rel["field"] == "ContactId" &&
                      rel["relationshipName"] == "Histories");
  EXPECT_TRUE(named);
  std::set<std::string> objects;
  Resp global = sf->Get(kV + "/sobjects");
  for (const Json& o : global.body["sobjects"]) objects.insert(o["name"].get<std::string>());
  EXPECT_TRUE(objects.count("ContactHistory"));
  EXPECT_FALSE(objects.count("AccountHistory")) << "only where tracking was turned on";
  Resp c = Create(Json::array({Contact("Tracked", {{"Title", "Engineer"}})}));
  ASSERT_EQ(c.status, 200);
  std::string id = c.body[0]["id"];
  auto update = [&](Json fields) {
    fields["attributes"] = {{"type", "Contact"}};
    fields["id"] = id;
    Resp u = sf->Patch(kV + "/composite/sobjects", Json{{"allOrNone", true}, {"records", {fields}}});
    ASSERT_EQ(u.status, 200) << u.raw;
  };
  Advance(5000);
  update({{"Title", "Director"}, {"MailingCity", "Paris"}});  // MailingCity is not tracked
  Advance(5000);
  update({{"Title", "Director"}});  // no change, no row
  update({{"Title", "CTO"}, {"Email", "cto@example.com"}});
  q = sf->Get(Q("SELECT ContactId, Field, OldValue, NewValue, CreatedDate FROM ContactHistory WHERE ContactId IN ('" +
                id + "') AND Field IN ('Title', 'Email', 'MailingCity') ORDER BY CreatedDate"));
  ASSERT_EQ(q.status, 200) << q.raw;
  ASSERT_EQ(q.body["totalSize"], 3) << q.raw;
  const Json& rows = q.body["records"];
  EXPECT_EQ(rows[0]["ContactId"], id);
  EXPECT_EQ(rows[0]["Field"], "Title");
  EXPECT_EQ(rows[0]["OldValue"], "Engineer");
  EXPECT_EQ(rows[0]["NewValue"], "Director");
  EXPECT_EQ(rows[0]["CreatedDate"], FormatSalesforceDateTime(Now() - 5000));
  std::set<std::string> later{rows[1]["Field"].get<std::string>(), rows[2]["Field"].get<std::string>()};
  EXPECT_EQ(later, (std::set<std::string>{"Title", "Email"}));
  EXPECT_EQ(rows[2]["CreatedDate"], FormatSalesforceDateTime(Now()));
  // a rolled-back write leaves no history
  Resp r = sf->Patch(kV + "/composite/sobjects",
                     Json{{"allOrNone", true},
                          {"records",
                           {{{"attributes", {{"type", "Contact"}}}, {"id", id}, {"Title", "Rolled back"}},
                            {{"attributes", {{"type", "Contact"}}}, {"id", id}, {"LastName", nullptr}}}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(sf->Get(Q("SELECT Id FROM ContactHistory")).body["totalSize"], 3);
  // deleting the contact deletes its history (the relationship cascades)
  ASSERT_EQ(sf->Do("DELETE", kV + "/sobjects/Contact/" + id, "", {}, "").status, 204);
  EXPECT_EQ(sf->Get(Q("SELECT Id FROM ContactHistory")).body["totalSize"], 0);
  EXPECT_EQ(sf->Get(kV + "/queryAll?q=" + PercentEncode("SELECT Id FROM ContactHistory")).body["totalSize"], 3);
  // settings that cannot be
  for (const Json& bad :
       {Json{{"field_history", {{"Nope", {"Title"}}}}}, Json{{"field_history", {{"Contact", {"Nope"}}}}},
        Json{{"field_history", {{"ContactHistory", {"Field"}}}}}, Json{{"field_history", "Title"}}})
    EXPECT_EQ(sf->Post("/__sandbox/config", bad).status, 400) << DumpJson(bad);
  // reset: back to no tracking and no rows (the history object stays, empty)
  ASSERT_EQ(sf->Post("/__sandbox/reset", Json::object()).status, 200);
  EXPECT_EQ(sf->Get(Q("SELECT Id FROM ContactHistory")).body["totalSize"], 0);
  EXPECT_EQ(sf->Get("/__sandbox/config").body["field_history"], Json::object());
}

// ---------------------------------------------------------------- describe

TEST_F(Salesforce, Describe) {
  Resp r = sf->Get(kV + "/sobjects/Contact/describe");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["name"], "Contact");
  EXPECT_EQ(r.body["keyPrefix"], "003");
  EXPECT_TRUE(r.body["fields"].is_array());
  EXPECT_EQ(r.body["urls"]["describe"], kV + "/sobjects/Contact/describe");
  r = sf->Get(kV + "/sobjects/Nope/describe");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, Json::parse(R"([{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}])"));
  r = sf->Get(kV + "/sobjects");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["sobjects"].size(), 5u);
  r = sf->Get("/services/data/v19.0/sobjects");
  EXPECT_EQ(r.status, 404);
}

// ---------------------------------------------------------------- writes

TEST_F(Salesforce, CompositeCreateReturnsSaveResultsWithRealIds) {
  Resp r = Create(Json::array({Contact("One"), Contact("Two")}));
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body.size(), 2u);
  for (const Json& res : r.body) {
    std::vector<std::string> keys;
    for (auto& [k, v] : res.items()) keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"id", "success", "errors"}));
    std::string id = res["id"];
    EXPECT_EQ(id.size(), 18u);
    EXPECT_EQ(id.substr(0, 3), "003");
    EXPECT_EQ(id.substr(15), SalesforceIdSuffix(id.substr(0, 15)));
    EXPECT_EQ(res["errors"], Json::array());
  }
  Resp get = sf->Get(kV + "/sobjects/Contact/" + r.body[0]["id"].get<std::string>().substr(0, 15));  // 15-char ids work
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(get.body["LastName"], "One");
  EXPECT_EQ(get.body["IsDeleted"], false);
  EXPECT_EQ(get.body["OwnerId"].get<std::string>().substr(0, 3), "005");
}

TEST_F(Salesforce, WriteRulesGivePerRecordErrors) {
  struct Case {
    Json record;
    const char* code;
    std::vector<std::string> fields;
  };
  std::vector<Case> cases = {
      {Json{{"attributes", {{"type", "Contact"}}}, {"FirstName", "No last name"}},
       "REQUIRED_FIELD_MISSING",
       {"LastName"}},
      {Contact(std::string(81, 'x')), "STRING_TOO_LONG", {"LastName"}},
      {Contact("P", {{"CleanStatus", "Bogus"}}), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", {"CleanStatus"}},
      {Contact("N", {{"Name", "Computed"}}), "INVALID_FIELD_FOR_INSERT_UPDATE", {"Name"}},
      {Contact("E", {{"Email", "not-an-email"}}), "INVALID_EMAIL_ADDRESS", {"Email"}},
      {Contact("B", {{"Birthdate", "yesterday"}}), "INVALID_TYPE_ON_FIELD_IN_RECORD", {"Birthdate"}},
      {Contact("A", {{"AccountId", "not an id"}}), "MALFORMED_ID", {"AccountId"}},
      {Contact("A", {{"AccountId", "001000000000000AAA"}}), "INVALID_CROSS_REFERENCE_KEY", {"AccountId"}},
      {Contact("I", {{"Id", "003000000000000AAA"}}), "INVALID_FIELD", {"Id"}},
  };
  size_t before = CountContacts();
  for (const Case& c : cases) {
    Resp r = Create(Json::array({c.record}));
    ASSERT_EQ(r.status, 200) << r.raw;
    const Json& res = r.body[0];
    EXPECT_EQ(res["success"], false) << c.code;
    EXPECT_TRUE(res["id"].is_null());
    ASSERT_EQ(res["errors"].size(), 1u) << r.raw;
    EXPECT_EQ(res["errors"][0]["statusCode"], c.code) << r.raw;
    EXPECT_EQ(res["errors"][0]["fields"], Json(c.fields)) << r.raw;
  }
  EXPECT_EQ(CountContacts(), before);
  Resp r = Create(Json::array({Json{{"attributes", {{"type", "Contact"}}}}}));
  EXPECT_EQ(r.body[0]["errors"][0]["message"], "Required fields are missing: [LastName]");
}

TEST_F(Salesforce, UnknownFieldFailsTheWholeRequest) {
  Resp r = Create(Json::array({Contact("Ok"), Contact("Bad", {{"Foo__c", 1}})}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      r.body,
      Json::parse(R"([{"message":"No such column 'Foo__c' on sobject of type Contact","errorCode":"INVALID_FIELD"}])"));
  EXPECT_EQ(CountContacts(), 4u);  // "Ok" was rolled back
}

TEST_F(Salesforce, AllOrNoneRollsBackEveryRecord) {
  Resp r = Create(Json::array({Contact("Good"), Json{{"attributes", {{"type", "Contact"}}}}}), true);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body[0]["success"], false);
  EXPECT_EQ(r.body[0]["errors"][0]["statusCode"], "ALL_OR_NONE_OPERATION_ROLLED_BACK");
  EXPECT_EQ(r.body[1]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING");
  EXPECT_EQ(CountContacts(), 4u);
  r = Create(Json::array({Contact("Good"), Json{{"attributes", {{"type", "Contact"}}}}}), false);
  EXPECT_EQ(r.body[0]["success"], true);
  EXPECT_EQ(CountContacts(), 5u);
}

TEST_F(Salesforce, CollectionLimitsAndMalformedBodies) {
  Json many = Json::array();
  for (int i = 0; i < 201; ++i) many.push_back(Contact("x"));
  Resp r = Create(many);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body[0]["errorCode"], "EXCEEDED_ID_LIMIT");
  for (const char* body : {"{", "not json", "{\"records\": [null]}", "[]", "{\"records\": 5}", "\"x\"", ""}) {
    r = sf->Do("POST", kV + "/composite/sobjects", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.raw;
  }
  r = sf->Do("POST", kV + "/composite/sobjects", "{\"records\": [nul");
  EXPECT_TRUE(r.body.is_object());  // Salesforce's bare-object deserialization error
  EXPECT_EQ(r.body["errorCode"], "INVALID_FIELD");
  r = Create(Json::array({Json{{"attributes", {{"type", "Nope"}}}}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body[0]["errorCode"], "INVALID_TYPE");
  r = Create(Json::array({Json{{"LastName", "no attributes"}}}));
  EXPECT_EQ(r.status, 400);
}

TEST_F(Salesforce, CompositeUpdate) {
  Resp c = Create(Json::array({Contact("Upd")}));
  std::string id = c.body[0]["id"];
  auto update = [&](Json rec) {
    rec["attributes"] = {{"type", "Contact"}};
    return sf->Patch(kV + "/composite/sobjects", Json{{"records", Json::array({rec})}});
  };
  Resp r = update({{"id", id}, {"FirstName", "Now"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body[0], Json::parse(R"({"id":")" + id + R"(","success":true,"errors":[]})"));
  r = update({{"FirstName", "No id"}});
  EXPECT_EQ(r.body[0]["errors"][0]["statusCode"], "MISSING_ARGUMENT");
  r = update({{"id", id}, {"LastName", nullptr}});
  EXPECT_EQ(r.body[0]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING");
  r = update({{"id", id}, {"CreatedDate", "2020-01-01T00:00:00Z"}});
  EXPECT_EQ(r.body[0]["errors"][0]["statusCode"], "INVALID_FIELD_FOR_INSERT_UPDATE");
  r = update({{"id", "garbage"}, {"FirstName", "x"}});
  EXPECT_EQ(r.body[0]["errors"][0]["statusCode"], "MALFORMED_ID");
  EXPECT_EQ(sf->Delete(kV + "/sobjects/Contact/" + id).status, 204);
  r = update({{"id", id}, {"FirstName", "x"}});
  EXPECT_EQ(r.body[0]["errors"][0]["statusCode"], "ENTITY_IS_DELETED");
  EXPECT_EQ(r.body[0]["id"], id);
}

TEST_F(Salesforce, UpsertByExternalIdOrIdLookupField) {
  Resp r = sf->Patch(kV + "/composite/sobjects/Contact/Email",
                     Json{{"allOrNone", false},
                          {"records",
                           {Contact("Hopper", {{"Email", "grace@navy.example.mil"}, {"Title", "Admiral"}}),
                            Contact("Curie", {{"Email", "marie@example.org"}})}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body[0]["created"], false);
  EXPECT_EQ(r.body[0]["success"], true);
  EXPECT_EQ(r.body[1]["created"], true);
  Resp g = sf->Get(kV + "/sobjects/Contact/Email/grace@navy.example.mil");
  ASSERT_EQ(g.status, 200) << g.raw;
  EXPECT_EQ(g.body["Title"], "Admiral");
  EXPECT_EQ(g.body["Id"], r.body[0]["id"]);
  // not an external id / idLookup field
  r = sf->Patch(kV + "/composite/sobjects/Contact/FirstName", Json{{"records", {Contact("x")}}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body[0]["message"], "Provided external ID field does not exist or is not accessible: FirstName");
  // the same key twice in one request
  r = sf->Patch(kV + "/composite/sobjects/Contact/Email",
                Json{{"records",
                      {Contact("A", {{"Email", "same@example.com"}}), Contact("B", {{"Email", "SAME@example.com"}})}}});
  EXPECT_EQ(r.body[0]["errors"][0]["statusCode"], "DUPLICATE_EXTERNAL_ID");
  EXPECT_EQ(r.body[1]["errors"][0]["statusCode"], "DUPLICATE_EXTERNAL_ID");
  // single-record upsert: 201 created, 200 updated
  r = sf->Patch(kV + "/sobjects/Contact/Email/new@example.com", Json{{"LastName", "New"}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body["created"], true);
  r = sf->Patch(kV + "/sobjects/Contact/Email/new@example.com", Json{{"Title", "Updated"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["created"], false);
}

TEST_F(Salesforce, ValidationRulesDuplicateRulesAndFieldUpdates) {
  Config({{"validation_rules",
           {{{"object", "Contact"},
             {"name", "Web_needs_email"},
             {"condition", "LeadSource = 'Web' AND Email = null"},
             {"message", "Web contacts need an email address"},
             {"field", "Email"}}}},
          {"duplicate_rules", {{{"object", "Contact"}, {"name", "Same email"}, {"fields", {"Email"}}}}},
          {"field_updates",
           {{{"object", "Contact"},
             {"name", "Web is warm"},
             {"condition", "LeadSource = 'Web'"},
             {"set", {{"Department", "Inbound"}}}}}}});
  Resp r = Create(Json::array({Contact("V", {{"LeadSource", "Web"}})}));
  EXPECT_EQ(
      r.body[0]["errors"][0],
      Json::parse(
          R"({"statusCode":"FIELD_CUSTOM_VALIDATION_EXCEPTION","message":"Web contacts need an email address","fields":["Email"]})"));
  r = Create(Json::array({Contact("D", {{"Email", "GRACE@navy.example.mil"}})}));
  EXPECT_EQ(r.body[0]["success"], false) << r.raw;
  EXPECT_EQ(r.body[0]["errors"][0]["statusCode"], "DUPLICATES_DETECTED") << r.raw;
  r = Create(Json::array({Contact("W", {{"LeadSource", "Web"}, {"Email", "w@example.com"}})}));
  ASSERT_EQ(r.body[0]["success"], true) << r.raw;
  Resp g = sf->Get(kV + "/sobjects/Contact/" + r.body[0]["id"].get<std::string>() + "?fields=Department,LeadSource");
  EXPECT_EQ(g.body["Department"], "Inbound");
  // a bad rule is refused with a message
  Resp bad =
      sf->Post("/__sandbox/config", Json{{"validation_rules", {{{"object", "Contact"}, {"condition", "Nope = 1"}}}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"].get<std::string>().find("INVALID_FIELD"), std::string::npos);
}

TEST_F(Salesforce, SingleRecordCrud) {
  Resp r = sf->Post(kV + "/sobjects/Account", Json{{"Name", "Sitwell-Bluth"}, {"Industry", "Technology"}});
  ASSERT_EQ(r.status, 201) << r.raw;
  std::string id = r.body["id"];
  EXPECT_EQ(r.body, Json::parse(R"({"id":")" + id + R"(","success":true,"errors":[]})"));
  EXPECT_EQ(sf->Patch(kV + "/sobjects/Account/" + id, Json{{"Phone", "555"}}).status, 204);
  Resp g = sf->Get(kV + "/sobjects/Account/" + id + "?fields=Name,Phone");
  EXPECT_EQ(g.body["Phone"], "555");
  EXPECT_EQ(g.body.size(), 3u);  // attributes + the two fields
  r = sf->Patch(kV + "/sobjects/Account/" + id, Json{{"Name", nullptr}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body[0]["errorCode"], "REQUIRED_FIELD_MISSING");
  EXPECT_EQ(r.body[0]["fields"], Json::array({"Name"}));
  r = sf->Get(kV + "/sobjects/Account/001000000000000AAA");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body[0]["errorCode"], "NOT_FOUND");
  r = sf->Get(kV + "/sobjects/Account/23foo");
  EXPECT_EQ(
      r.body,
      Json::parse(
          R"([{"message":"Provided external ID field does not exist or is not accessible: 23foo","errorCode":"NOT_FOUND"}])"));
  EXPECT_EQ(sf->Delete(kV + "/sobjects/Account/" + id).status, 204);
  r = sf->Get(kV + "/sobjects/Account/" + id);
  EXPECT_EQ(r.body, Json::parse(R"([{"message":"entity is deleted","errorCode":"ENTITY_IS_DELETED"}])"));
  EXPECT_EQ(sf->Delete(kV + "/sobjects/Account/" + id).status, 404);
  r = sf->Do("POST", kV + "/sobjects/Account", "{bad json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body[0]["errorCode"], "JSON_PARSER_ERROR");
  r = sf->Do("PUT", kV + "/sobjects/Account", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body[0]["errorCode"], "METHOD_NOT_ALLOWED");
  EXPECT_EQ(sf->Get("/services/data/v59.0/nothing/here").status, 404);
}

TEST_F(Salesforce, DeleteCascadesAlongCascadeDeleteRelationships) {
  Resp a = sf->Post(kV + "/sobjects/Account", Json{{"Name", "Parent"}});
  std::string acc = a.body["id"];
  Resp c = Create(Json::array({Contact("Child", {{"AccountId", acc}})}));
  ASSERT_EQ(c.body[0]["success"], true) << c.raw;
  std::string child = c.body[0]["id"];
  Resp d = sf->Delete(kV + "/composite/sobjects?ids=" + acc + "&allOrNone=false");
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(d.body[0], Json::parse(R"({"id":")" + acc + R"(","success":true,"errors":[]})"));
  EXPECT_EQ(sf->Get(kV + "/sobjects/Contact/" + child).body[0]["errorCode"], "ENTITY_IS_DELETED");
  d = sf->Delete(kV + "/composite/sobjects?ids=");
  EXPECT_EQ(d.body, Json::parse(R"([{"message":"At least 1 Id is required.","errorCode":"REQUIRED_FIELD_MISSING"}])"));
  d = sf->Delete(kV + "/composite/sobjects?ids=" + acc + ",bogus");
  EXPECT_EQ(d.body[0]["errors"][0]["statusCode"], "ENTITY_IS_DELETED");
  EXPECT_EQ(d.body[1]["errors"][0]["statusCode"], "MALFORMED_ID");
}

TEST_F(Salesforce, GetUpdatedAndGetDeleted) {
  Advance(10 * 60 * 1000);
  int64_t start = Now();
  Resp c = Create(Json::array({Contact("U1"), Contact("U2")}));
  std::string u1 = c.body[0]["id"], u2 = c.body[1]["id"];
  Advance(2 * 60 * 1000);
  EXPECT_EQ(sf->Delete(kV + "/sobjects/Contact/" + u2).status, 204);
  Advance(2 * 60 * 1000);
  std::string s = FormatIsoMs(start - 30 * 1000), e = FormatIsoMs(Now() + 3600 * 1000);  // end clamps to now
  Resp up = sf->Get(kV + "/sobjects/Contact/updated/?start=" + PercentEncode(s) + "&end=" + PercentEncode(e));
  ASSERT_EQ(up.status, 200) << up.raw;
  EXPECT_EQ(up.body["ids"], Json::array({u1}));
  EXPECT_EQ(up.body["latestDateCovered"], FormatSalesforceDateTime(Now() - Now() % 60000));
  Resp del = sf->Get(kV + "/sobjects/Contact/deleted/?start=" + PercentEncode(s) + "&end=" + PercentEncode(e));
  ASSERT_EQ(del.status, 200) << del.raw;
  ASSERT_EQ(del.body["deletedRecords"].size(), 1u);
  EXPECT_EQ(del.body["deletedRecords"][0]["id"], u2);
  EXPECT_EQ(del.body["deletedRecords"][0]["deletedDate"], FormatSalesforceDateTime(start + 2 * 60 * 1000));
  EXPECT_TRUE(del.body.contains("earliestDateAvailable"));
  Resp old = sf->Get(kV + "/sobjects/Contact/updated/?start=2000-01-01T00:00:00Z&end=" + PercentEncode(e));
  EXPECT_EQ(old.status, 400);
  EXPECT_EQ(old.body[0]["errorCode"], "INVALID_REPLICATION_DATE");
  EXPECT_EQ(sf->Get(kV + "/sobjects/Contact/updated/?start=" + PercentEncode(s)).status, 400);
}

// The Apex REST stand-in for the SOAP API's merge(): the merged record is deleted with
// MasterRecordId (what queryAll shows a sync), the master keeps its values.
TEST_F(Salesforce, MergeDeletesTheMergedRecordWithMasterRecordId) {
  Resp a = sf->Post(kV + "/sobjects/Contact", Json{{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  Resp b = sf->Post(kV + "/sobjects/Contact", Json{{"LastName", "King"}, {"Email", "ada.k@example.com"}});
  ASSERT_EQ(a.status, 201);
  ASSERT_EQ(b.status, 201);
  std::string master = a.body["id"], merged = b.body["id"];
  Resp r =
      sf->Post("/services/apexrest/accord/merge", Json{{"masterRecordId", master}, {"recordToMergeIds", {merged}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["mergedRecordIds"][0], merged);
  EXPECT_EQ(sf->Get(kV + "/sobjects/Contact/" + master).body["LastName"], "Lovelace");
  Resp q = sf->Get(kV + "/queryAll?q=" +
                   PercentEncode("SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE Id = '" + merged + "'"));
  ASSERT_EQ(q.status, 200) << q.raw;
  ASSERT_EQ(q.body["records"].size(), 1u);
  EXPECT_EQ(q.body["records"][0]["IsDeleted"], true);
  EXPECT_EQ(q.body["records"][0]["MasterRecordId"], master);
  // a record of another object, itself, or one merged already: refused, nothing changes
  EXPECT_EQ(
      sf->Post("/services/apexrest/accord/merge", Json{{"masterRecordId", master}, {"recordToMergeIds", {master}}})
          .status,
      400);
  EXPECT_EQ(
      sf->Post("/services/apexrest/accord/merge", Json{{"masterRecordId", master}, {"recordToMergeIds", {merged}}})
          .status,
      400);
  EXPECT_EQ(sf->Post("/services/apexrest/accord/merge", Json{{"masterRecordId", master}}).status, 400);
}

TEST_F(Salesforce, LeadConversion) {
  Resp l = sf->Post(kV + "/sobjects/Lead", Json{{"LastName", "Bluth"},
                                                {"FirstName", "George"},
                                                {"Company", "Bluth Co"},
                                                {"Email", "george@bluth.example"},
                                                {"LeadSource", "Web"}});
  ASSERT_EQ(l.status, 201) << l.raw;
  EXPECT_EQ(sf->Get(kV + "/sobjects/Lead/" + l.body["id"].get<std::string>()).body["Status"], "Open - Not Contacted");
  std::string lead = l.body["id"];
  Json req{{"leadConverts", {{{"leadId", lead}, {"convertedStatus", "Closed - Converted"}}}}};
  Resp r = sf->Post("/services/apexrest/accord/convertLead", req);
  ASSERT_EQ(r.status, 200) << r.raw;
  const Json res = r.body[0];  // a copy: r is reused below
  ASSERT_EQ(res["success"], true) << r.raw;
  EXPECT_EQ(res["leadId"], lead);
  EXPECT_EQ(res["accountId"].get<std::string>().substr(0, 3), "001");
  EXPECT_EQ(res["contactId"].get<std::string>().substr(0, 3), "003");
  EXPECT_EQ(res["opportunityId"].get<std::string>().substr(0, 3), "006");
  Resp lead_now = sf->Get(kV + "/sobjects/Lead/" + lead);
  EXPECT_EQ(lead_now.body["IsConverted"], true);
  EXPECT_EQ(lead_now.body["ConvertedContactId"], res["contactId"]);
  EXPECT_EQ(lead_now.body["Status"], "Closed - Converted");
  Resp contact = sf->Get(kV + "/sobjects/Contact/" + res["contactId"].get<std::string>());
  EXPECT_EQ(contact.body["Email"], "george@bluth.example");
  EXPECT_EQ(contact.body["AccountId"], res["accountId"]);
  Resp account = sf->Get(kV + "/sobjects/Account/" + res["accountId"].get<std::string>());
  EXPECT_EQ(account.body["Name"], "Bluth Co");
  // converted leads cannot be converted or edited again
  r = sf->Post("/services/apexrest/accord/convertLead", req);
  EXPECT_EQ(r.body[0]["errors"][0]["statusCode"], "CANNOT_UPDATE_CONVERTED_LEAD");
  r = sf->Patch(kV + "/sobjects/Lead/" + lead, Json{{"Title", "x"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body[0]["errorCode"], "CANNOT_UPDATE_CONVERTED_LEAD");
  // a status that is not a converted status; into an existing account and contact, no opportunity
  Resp l2 = sf->Post(kV + "/sobjects/Lead", Json{{"LastName", "Two"}, {"Company", "Other"}, {"Phone", "555-1"}});
  std::string lead2 = l2.body["id"];
  r = sf->Post("/services/apexrest/accord/convertLead",
               Json{{"leadConverts", {{{"leadId", lead2}, {"convertedStatus", "Open - Not Contacted"}}}}});
  EXPECT_EQ(r.body[0]["errors"][0]["statusCode"], "INVALID_STATUS");
  r = sf->Post("/services/apexrest/accord/convertLead", Json{{"leadConverts",
                                                              {{{"leadId", lead2},
                                                                {"convertedStatus", "Closed - Converted"},
                                                                {"accountId", res["accountId"]},
                                                                {"contactId", res["contactId"]},
                                                                {"doNotCreateOpportunity", true}}}}});
  ASSERT_EQ(r.body[0]["success"], true) << r.raw;
  EXPECT_EQ(r.body[0]["contactId"], res["contactId"]);
  EXPECT_TRUE(r.body[0]["opportunityId"].is_null());
  contact = sf->Get(kV + "/sobjects/Contact/" + res["contactId"].get<std::string>());
  EXPECT_EQ(contact.body["Phone"], "555-1");     // an empty field is filled
  EXPECT_EQ(contact.body["LastName"], "Bluth");  // a filled one is kept
}

TEST_F(Salesforce, MalformedInputNeverCrashesTheServer) {
  const std::vector<std::pair<std::string, std::string>> targets = {
      {"POST", kV + "/composite/sobjects"},
      {"PATCH", kV + "/composite/sobjects"},
      {"PATCH", kV + "/composite/sobjects/Contact/Email"},
      {"POST", kV + "/sobjects/Contact"},
      {"PATCH", kV + "/sobjects/Contact/0035g00000AbCdEAA1"},
      {"POST", "/services/apexrest/accord/convertLead"},
      {"POST", kV + "/composite/sobjects/Contact"},
  };
  const std::vector<std::string> bodies = {
      "",
      "null",
      "[]",
      "{}",
      "{\"records\":{}}",
      "{\"records\":[1,2]}",
      "{\"records\":[{\"attributes\":5}]}",
      "{\"records\":[{\"attributes\":{\"type\":[]}}]}",
      "{\"records\":[{\"attributes\":{\"type\":\"Contact\"},\"LastName\":{}}]}",
      "{\"LastName\":[1]}",
      "{\"leadConverts\":[5, null, {\"leadId\":7}]}",
      "\xff\xfe\x00",
      "{\"a\":1e99999}",
      std::string(100000, '['),
      "{\"records\":[{\"attributes\":{\"type\":\"Contact\"},\"id\":5,\"Birthdate\":true}]}",
      "{\"ids\":5,\"fields\":\"x\"}"};
  for (const auto& [method, path] : targets) {
    for (const std::string& body : bodies) {
      Resp r = sf->Do(method, path, body);
      EXPECT_GE(r.status, 200) << method << " " << path << " " << body.substr(0, 40);
      EXPECT_NE(r.status, 500) << method << " " << path << " " << body.substr(0, 40) << " -> " << r.raw;
    }
  }
  for (const std::string& q : {std::string("SELECT"), std::string(5000, '('),
                               std::string("SELECT Id FROM Contact WHERE Id IN ()"), std::string("\x01\x02")}) {
    Resp r = sf->Get(Q(q));
    EXPECT_TRUE(r.status == 400 || r.status == 414) << q.substr(0, 20) << " -> " << r.status;  // 414: URI too long
  }
  EXPECT_EQ(sf->Get(kV + "/sobjects").status, 200);
}

}  // namespace
}  // namespace accord::sandbox::testing
