// The HubSpot emulator over real HTTP on loopback: every endpoint's happy path
// and its errors, in HubSpot's wire shapes.
#include <set>

#include "sandbox/test_util.h"

namespace accord::sandbox::testing {
namespace {

const std::string kC = "/crm/v3/objects/contacts";

class HubSpot : public SandboxFixture {
 protected:
  void SetUp() override {
    StartWith(seed_.dir());  // the example's schemas without its sample data: every count is the test's own
    // The test clock stands still: lift the rate limits except where a test sets them.
    Config({{"rate_limit_max", 1000000}, {"search_per_second", 100000}});
  }
  TempSeed seed_;
  Resp CreateContact(const Json& props) { return hs->Post(kC, Json{{"properties", props}}); }
  std::string NewContact(const Json& props) {
    Resp r = CreateContact(props);
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("id", std::string());
  }
  void Config(const Json& j) {
    Resp r = hs->Post("/__sandbox/config", j);
    EXPECT_EQ(r.status, 200) << r.raw;
  }
  static void ExpectError(const Resp& r, int status, const std::string& category) {
    EXPECT_EQ(r.status, status) << r.raw;
    EXPECT_EQ(r.body.value("status", ""), "error") << r.raw;
    EXPECT_EQ(r.body.value("category", ""), category) << r.raw;
    EXPECT_TRUE(r.body.contains("message")) << r.raw;
    std::string cid = r.body.value("correlationId", "");
    EXPECT_EQ(cid.size(), 36u) << r.raw;
  }
};

// POST .../merge (crm-apis.md B.8): the primary keeps its id and values and lists the merged
// id in hs_merged_object_ids; the merged record is archived, its email free again.
TEST_F(HubSpot, MergeArchivesTheMergedRecordAndListsItOnThePrimary) {
  std::string primary = NewContact({{"email", "ada@example.com"}, {"lastname", "Lovelace"}});
  std::string merged = NewContact({{"email", "ada.l@example.com"}, {"lastname", "King"}, {"jobtitle", "Countess"}});
  Resp r = hs->Post(kC + "/merge", Json{{"primaryObjectId", primary}, {"objectIdToMerge", merged}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["id"], primary);
  r = hs->Get(kC + "/" + primary + "?properties=email,lastname,jobtitle,hs_merged_object_ids");
  EXPECT_EQ(r.body["properties"]["lastname"], "Lovelace") << "the primary's values stay";
  EXPECT_EQ(r.body["properties"]["jobtitle"], "Countess") << "its empty ones are filled";
  EXPECT_EQ(r.body["properties"]["hs_merged_object_ids"], merged);
  EXPECT_EQ(hs->Get(kC + "/" + merged).status, 404);
  r = hs->Get(kC + "/" + merged + "?archived=true");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["archived"], true);
  EXPECT_EQ(CreateContact({{"email", "ada.l@example.com"}}).status, 201) << "the merged record's email is free";
  ExpectError(hs->Post(kC + "/merge", Json{{"primaryObjectId", primary}, {"objectIdToMerge", primary}}), 400,
              "VALIDATION_ERROR");
  ExpectError(hs->Post(kC + "/merge", Json{{"primaryObjectId", primary}, {"objectIdToMerge", merged}}), 404,
              "OBJECT_NOT_FOUND");
}

TEST_F(HubSpot, BearerTokenRequired) {
  hs->set_token("");
  ExpectError(hs->Get(kC), 401, "INVALID_AUTHENTICATION");
  hs->set_token("pat-na1-wrong");
  ExpectError(hs->Get(kC), 401, "INVALID_AUTHENTICATION");
}

TEST_F(HubSpot, CreateReturnsSimplePublicObjectWithStringValues) {
  Resp r = hs->Post("/crm/v3/objects/companies",
                    Json{{"properties", {{"name", "Acme"}, {"annualrevenue", 1500000}, {"numberofemployees", "42"}}}});
  ASSERT_EQ(r.status, 201) << r.raw;
  std::vector<std::string> keys;
  for (auto& [k, v] : r.body.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "properties", "createdAt", "updatedAt", "archived"}));
  const Json& p = r.body["properties"];
  EXPECT_EQ(p["hs_object_id"], r.body["id"]);
  EXPECT_EQ(p["createdate"], FormatIsoMs(Now()));
  EXPECT_EQ(p["hs_lastmodifieddate"], FormatIsoMs(Now()));
  EXPECT_FALSE(p.contains("lastmodifieddate"));  // that one is for contacts
  EXPECT_EQ(r.body["archived"], false);
  Resp g = hs->Get("/crm/v3/objects/companies/" + r.body["id"].get<std::string>() +
                   "?properties=annualrevenue,numberofemployees,name,domain");
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.body["properties"]["annualrevenue"], "1500000");  // every value a string
  EXPECT_EQ(g.body["properties"]["numberofemployees"], "42");
  EXPECT_TRUE(g.body["properties"]["domain"].is_null());  // requested, no value
  for (auto& [k, v] : g.body["properties"].items()) EXPECT_TRUE(v.is_string() || v.is_null()) << k;
}

TEST_F(HubSpot, ContactsUseLastmodifieddateWhichMovesOnUpdate) {
  std::string id = NewContact({{"email", "Ada@Example.com"}, {"firstname", "Ada"}});
  Advance(1500);
  Resp u = hs->Patch(kC + "/" + id, Json{{"properties", {{"jobtitle", "CTO"}}}});
  ASSERT_EQ(u.status, 200) << u.raw;
  EXPECT_EQ(u.body["properties"]["lastmodifieddate"], FormatIsoMs(Now()));
  EXPECT_EQ(u.body["updatedAt"], FormatIsoMs(Now()));
  EXPECT_EQ(u.body["createdAt"], FormatIsoMs(Now() - 1500));
  Resp g = hs->Get(kC + "/ada@example.com?idProperty=email&properties=email,jobtitle");
  ASSERT_EQ(g.status, 200) << g.raw;
  EXPECT_EQ(g.body["id"], id);
  EXPECT_EQ(g.body["properties"]["email"], "ada@example.com");  // HubSpot stores emails in lower case
  // Clearing with "" removes the value.
  u = hs->Patch(kC + "/" + id, Json{{"properties", {{"jobtitle", ""}}}});
  g = hs->Get(kC + "/" + id + "?properties=jobtitle");
  EXPECT_TRUE(g.body["properties"]["jobtitle"].is_null());
  ExpectError(hs->Get(kC + "/999999"), 404, "OBJECT_NOT_FOUND");
  ExpectError(hs->Patch(kC + "/999999", Json{{"properties", Json::object()}}), 404, "OBJECT_NOT_FOUND");
}

TEST_F(HubSpot, PropertyValidation) {
  Resp r = CreateContact({{"lifecyclestage", "wizard"}});
  ExpectError(r, 400, "VALIDATION_ERROR");
  EXPECT_EQ(r.body["errors"][0]["code"], "INVALID_OPTION");
  EXPECT_EQ(r.body["message"].get<std::string>().rfind("Property values were not valid: [", 0), 0u);
  r = CreateContact({{"no_such_property", "x"}});
  EXPECT_EQ(r.body["errors"][0]["code"], "PROPERTY_DOESNT_EXIST");
  r = CreateContact({{"email", "not an email"}});
  EXPECT_EQ(r.body["errors"][0]["code"], "INVALID_EMAIL");
  r = CreateContact({{"hs_object_id", "5"}});
  EXPECT_EQ(r.body["errors"][0]["code"], "READ_ONLY_VALUE");
  r = hs->Post("/crm/v3/objects/companies", Json{{"properties", {{"annualrevenue", "lots"}}}});
  ExpectError(r, 400, "VALIDATION_ERROR");
  r = hs->Post("/crm/v3/objects/deals",
               Json{{"properties", {{"closedate", "2024-05-01T10:00:00Z"}, {"dealstage", "closedwon"}}}});
  ASSERT_EQ(r.status, 201) << r.raw;  // closedate is a datetime
  EXPECT_EQ(r.body["properties"]["dealstage"], "closedwon");
  r = hs->Post("/crm/v3/objects/deals", Json{{"properties", {{"dealstage", "nope"}}}});
  EXPECT_EQ(r.body["errors"][0]["code"], "INVALID_OPTION");
}

TEST_F(HubSpot, LifecycleStageDoesNotMoveBackwards) {
  std::string id = NewContact({{"email", "l@example.com"}, {"lifecyclestage", "customer"}});
  Resp r = hs->Patch(kC + "/" + id, Json{{"properties", {{"lifecyclestage", "lead"}, {"firstname", "Lee"}}}});
  ASSERT_EQ(r.status, 200);
  Resp g = hs->Get(kC + "/" + id + "?properties=lifecyclestage,firstname");
  EXPECT_EQ(g.body["properties"]["lifecyclestage"], "customer");  // ignored
  EXPECT_EQ(g.body["properties"]["firstname"], "Lee");            // the rest applied
  hs->Patch(kC + "/" + id, Json{{"properties", {{"lifecyclestage", "evangelist"}}}});
  EXPECT_EQ(hs->Get(kC + "/" + id + "?properties=lifecyclestage").body["properties"]["lifecyclestage"], "evangelist");
  // clear first, then any stage
  hs->Patch(kC + "/" + id, Json{{"properties", {{"lifecyclestage", ""}}}});
  hs->Patch(kC + "/" + id, Json{{"properties", {{"lifecyclestage", "subscriber"}}}});
  EXPECT_EQ(hs->Get(kC + "/" + id + "?properties=lifecyclestage").body["properties"]["lifecyclestage"], "subscriber");
  Config({{"lifecycle_backward", "reject"}});
  hs->Patch(kC + "/" + id, Json{{"properties", {{"lifecyclestage", "lead"}}}});
  ExpectError(hs->Patch(kC + "/" + id, Json{{"properties", {{"lifecyclestage", "subscriber"}}}}), 400,
              "VALIDATION_ERROR");
}

TEST_F(HubSpot, DuplicateEmailIsAConflict) {
  std::string id = NewContact({{"email", "dup@example.com"}});
  Resp r = CreateContact({{"email", "DUP@example.com"}});
  ExpectError(r, 409, "CONFLICT");
  EXPECT_EQ(r.body["message"], "Contact already exists. Existing ID: " + id);
}

TEST_F(HubSpot, ListPagingAndArchive) {
  std::set<std::string> ids;
  for (int i = 0; i < 25; ++i) ids.insert(NewContact({{"firstname", "P" + std::to_string(i)}}));
  std::set<std::string> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    Resp r = hs->Get(kC + "?limit=10" + (after.empty() ? "" : "&after=" + after));
    ASSERT_EQ(r.status, 200) << r.raw;
    ++pages;
    for (const Json& o : r.body["results"]) seen.insert(o["id"]);
    if (!r.body.contains("paging")) break;
    after = r.body["paging"]["next"]["after"];
    EXPECT_NE(r.body["paging"]["next"]["link"].get<std::string>().find("after=" + after), std::string::npos);
  }
  EXPECT_EQ(pages, 3);
  for (const std::string& id : ids) EXPECT_TRUE(seen.count(id)) << id;
  std::string gone = *ids.begin();
  EXPECT_EQ(hs->Delete(kC + "/" + gone).status, 204);
  ExpectError(hs->Get(kC + "/" + gone), 404, "OBJECT_NOT_FOUND");
  Resp a = hs->Get(kC + "/" + gone + "?archived=true");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body["archived"], true);
  EXPECT_TRUE(a.body.contains("archivedAt"));
  Resp al = hs->Get(kC + "?archived=true");
  EXPECT_EQ(al.body["results"].size(), 1u);
}

TEST_F(HubSpot, BatchCreateReadUpdateUpsertArchive) {
  Json inputs = Json::array();
  for (int i = 0; i < 3; ++i) inputs.push_back({{"properties", {{"email", "b" + std::to_string(i) + "@example.com"}}}});
  Resp c = hs->Post(kC + "/batch/create", Json{{"inputs", inputs}});
  ASSERT_EQ(c.status, 201) << c.raw;
  EXPECT_EQ(c.body["status"], "COMPLETE");
  EXPECT_EQ(c.body["results"].size(), 3u);
  EXPECT_TRUE(c.body.contains("startedAt"));
  EXPECT_TRUE(c.body.contains("completedAt"));
  std::string id0 = c.body["results"][0]["id"];

  // One invalid input fails the whole create batch; nothing is created.
  Resp bad = hs->Post(
      kC + "/batch/create",
      Json{{"inputs", {{{"properties", {{"email", "ok@example.com"}}}}, {{"properties", {{"lifecyclestage", "x"}}}}}}});
  ExpectError(bad, 400, "VALIDATION_ERROR");
  EXPECT_EQ(hs->Get(kC + "/ok@example.com?idProperty=email").status, 404);

  Resp rd =
      hs->Post(kC + "/batch/read", Json{{"inputs", {{{"id", id0}}, {{"id", "424242"}}}}, {"properties", {"email"}}});
  EXPECT_EQ(rd.status, 207) << rd.raw;
  EXPECT_EQ(rd.body["results"].size(), 1u);
  EXPECT_EQ(rd.body["numErrors"], 1);
  EXPECT_EQ(rd.body["errors"][0]["category"], "OBJECT_NOT_FOUND");
  EXPECT_EQ(rd.body["errors"][0]["context"]["ids"], Json::array({"424242"}));
  rd = hs->Post(kC + "/batch/read", Json{{"idProperty", "email"}, {"inputs", {{{"id", "b1@example.com"}}}}});
  ASSERT_EQ(rd.status, 200) << rd.raw;
  EXPECT_EQ(rd.body["results"][0]["properties"]["email"], "b1@example.com");

  Resp up = hs->Post(kC + "/batch/update", Json{{"inputs", {{{"id", id0}, {"properties", {{"firstname", "Zero"}}}}}}});
  ASSERT_EQ(up.status, 200) << up.raw;
  EXPECT_EQ(up.body["results"][0]["properties"]["firstname"], "Zero");
  up = hs->Post(kC + "/batch/update", Json{{"inputs", {{{"id", "424242"}, {"properties", {{"firstname", "X"}}}}}}});
  EXPECT_EQ(up.status, 207);

  Resp us = hs->Post(
      kC + "/batch/upsert",
      Json{{"inputs",
            {{{"id", "b2@example.com"}, {"idProperty", "email"}, {"properties", {{"firstname", "Two"}}}},
             {{"id", "fresh@example.com"}, {"idProperty", "email"}, {"properties", {{"firstname", "New"}}}},
             {{"id", "bad@example.com"}, {"idProperty", "email"}, {"properties", {{"lifecyclestage", "x"}}}}}}});
  EXPECT_EQ(us.status, 207) << us.raw;
  ASSERT_EQ(us.body["results"].size(), 2u);
  EXPECT_EQ(us.body["results"][0]["new"], false);
  EXPECT_EQ(us.body["results"][1]["new"], true);
  EXPECT_EQ(us.body["errors"][0]["category"], "VALIDATION_ERROR");
  EXPECT_EQ(hs->Get(kC + "/fresh@example.com?idProperty=email").status, 200);
  Resp nonunique =
      hs->Post(kC + "/batch/upsert",
               Json{{"inputs", {{{"id", "x"}, {"idProperty", "firstname"}, {"properties", Json::object()}}}}});
  ExpectError(nonunique, 400, "VALIDATION_ERROR");
  EXPECT_EQ(nonunique.body["message"], "Unable to perform update/upsert by non-unique 0-1 property");

  EXPECT_EQ(hs->Post(kC + "/batch/archive", Json{{"inputs", {{{"id", id0}}, {{"id", "424242"}}}}}).status, 204);
  EXPECT_EQ(hs->Get(kC + "/" + id0).status, 404);

  Json many = Json::array();
  for (int i = 0; i < 101; ++i) many.push_back({{"properties", Json::object()}});
  ExpectError(hs->Post(kC + "/batch/create", Json{{"inputs", many}}), 400, "VALIDATION_ERROR");
}

TEST_F(HubSpot, SearchFiltersSortsAndPaging) {
  for (int i = 0; i < 30; ++i) {
    hs->Post("/crm/v3/objects/companies", Json{{"properties",
                                                {{"name", "Co" + std::to_string(i)},
                                                 {"numberofemployees", std::to_string(i * 10)},
                                                 {"industry", i % 2 ? "COMPUTER_SOFTWARE" : "FOOD_BEVERAGES"}}}});
    if (i == 9) Advance(60000);
  }
  hs->Post("/crm/v3/objects/companies", Json{{"properties", {{"name", "No size"}}}});
  auto search = [&](const Json& body) {
    Resp r = hs->Post("/crm/v3/objects/companies/search", body);
    EXPECT_EQ(r.status, 200) << DumpJson(body) << " -> " << r.raw;
    return r;
  };
  auto f = [](const char* prop, const char* op, Json value = Json()) {
    Json j{{"propertyName", prop}, {"operator", op}};
    if (!value.is_null()) j["value"] = value;
    return j;
  };
  auto total = [&](const std::vector<Json>& filters) {
    Json list = Json::array();
    for (const Json& one : filters) list.push_back(one);
    Json group{{"filters", list}};
    return search(Json{{"filterGroups", Json::array({group})}}).body["total"].get<int>();
  };
  EXPECT_EQ(total({f("numberofemployees", "GT", "100")}), 19);
  EXPECT_EQ(total({f("numberofemployees", "GTE", "100")}), 20);
  EXPECT_EQ(total({f("numberofemployees", "LT", "100")}), 10);
  EXPECT_EQ(total({f("numberofemployees", "LTE", 100)}), 11);
  EXPECT_EQ(total({f("numberofemployees", "EQ", "50")}), 1);
  EXPECT_EQ(total({f("numberofemployees", "NEQ", "50")}), 30);
  EXPECT_EQ(total({f("numberofemployees", "HAS_PROPERTY")}), 30);
  EXPECT_EQ(total({f("numberofemployees", "NOT_HAS_PROPERTY")}), 1);
  EXPECT_EQ(total({f("industry", "EQ", "computer_software")}), 15);
  EXPECT_EQ(total({Json{{"propertyName", "name"}, {"operator", "IN"}, {"values", {"co1", "co2", "nope"}}}}), 2);
  EXPECT_EQ(total({f("industry", "EQ", "COMPUTER_SOFTWARE"), f("numberofemployees", "LT", "100")}), 5);
  EXPECT_EQ(total({f("hs_lastmodifieddate", "GTE", std::to_string(Now()))}), 21);
  EXPECT_EQ(total({f("hs_lastmodifieddate", "LT", FormatIsoMs(Now()))}), 10);
  // groups are OR-ed
  Resp r = search(
      Json{{"filterGroups", {{{"filters", {f("name", "EQ", "Co1")}}}, {{"filters", {f("name", "EQ", "Co2")}}}}}});
  EXPECT_EQ(r.body["total"], 2);
  // sorts and paging
  r = search(Json{{"sorts", {{{"propertyName", "numberofemployees"}, {"direction", "DESCENDING"}}}},
                  {"filterGroups", {{{"filters", {f("numberofemployees", "HAS_PROPERTY")}}}}},
                  {"properties", {"name", "numberofemployees"}},
                  {"limit", 7}});
  EXPECT_EQ(r.body["total"], 30);
  EXPECT_EQ(r.body["results"].size(), 7u);
  EXPECT_EQ(r.body["results"][0]["properties"]["numberofemployees"], "290");
  EXPECT_EQ(r.body["paging"]["next"]["after"], "7");
  Resp last = search(Json{{"sorts", {{{"propertyName", "hs_object_id"}, {"direction", "DESCENDING"}}}}, {"limit", 1}});
  EXPECT_EQ(last.body["results"][0]["properties"]["name"], "No size");  // the last one created
  Resp first = search(Json{{"sorts", {"hs_object_id"}}, {"limit", 1}});
  EXPECT_EQ(first.body["results"][0]["properties"]["name"], "Co0");
  std::set<std::string> seen;
  std::string after;
  for (;;) {
    Json body{{"limit", 7}, {"filterGroups", {{{"filters", {f("numberofemployees", "HAS_PROPERTY")}}}}}};
    if (!after.empty()) body["after"] = after;
    Resp p = search(body);
    for (const Json& o : p.body["results"]) seen.insert(o["id"]);
    if (!p.body.contains("paging")) break;
    after = p.body["paging"]["next"]["after"];
  }
  EXPECT_EQ(seen.size(), 30u);
  // errors
  ExpectError(hs->Post("/crm/v3/objects/companies/search", Json{{"limit", 201}}), 400, "VALIDATION_ERROR");
  ExpectError(
      hs->Post("/crm/v3/objects/companies/search", Json{{"filterGroups", {{{"filters", {f("nope", "EQ", "1")}}}}}}),
      400, "VALIDATION_ERROR");
  ExpectError(hs->Post("/crm/v3/objects/companies/search",
                       Json{{"filterGroups", {{{"filters", {f("name", "SOUNDS_LIKE", "1")}}}}}}),
              400, "VALIDATION_ERROR");
  Json groups = Json::array();
  for (int i = 0; i < 6; ++i) groups.push_back({{"filters", {f("name", "EQ", "x")}}});
  ExpectError(hs->Post("/crm/v3/objects/companies/search", Json{{"filterGroups", groups}}), 400, "VALIDATION_ERROR");
}

TEST_F(HubSpot, SearchStopsAtTenThousandResults) {
  for (int b = 0; b < 101; ++b) {
    Json inputs = Json::array();
    for (int i = 0; i < 100; ++i) inputs.push_back({{"properties", {{"name", "Bulk"}}}});
    Resp r = hs->Post("/crm/v3/objects/companies/batch/create", Json{{"inputs", inputs}});
    ASSERT_EQ(r.status, 201) << r.raw;
  }
  Json body{{"limit", 200},
            {"after", "9800"},
            {"filterGroups", {{{"filters", {{{"propertyName", "name"}, {"operator", "EQ"}, {"value", "Bulk"}}}}}}}};
  Resp r = hs->Post("/crm/v3/objects/companies/search", body);
  ASSERT_EQ(r.status, 200) << r.raw.substr(0, 300);
  EXPECT_EQ(r.body["total"], 10100);
  EXPECT_EQ(r.body["results"].size(), 200u);
  EXPECT_EQ(r.body["paging"]["next"]["after"], "10000");
  body["after"] = "10000";
  r = hs->Post("/crm/v3/objects/companies/search", body);
  ExpectError(r, 400, "VALIDATION_ERROR");
}

TEST_F(HubSpot, PropertiesEndpoint) {
  Resp r = hs->Get("/crm/v3/properties/contacts");
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(r.body["results"].is_array());
  bool found = false;
  for (const Json& p : r.body["results"]) found = found || p["name"] == "lifecyclestage";
  EXPECT_TRUE(found);
  r = hs->Get("/crm/v3/properties/deals/dealtype");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["type"], "enumeration");
  ExpectError(hs->Get("/crm/v3/properties/deals/nope"), 404, "OBJECT_NOT_FOUND");
  ExpectError(hs->Get("/crm/v3/properties/widgets"), 400, "VALIDATION_ERROR");
}

TEST_F(HubSpot, AssociationsV4) {
  std::string contact = NewContact({{"email", "a@assoc.example"}});
  Resp co = hs->Post("/crm/v3/objects/companies", Json{{"properties", {{"name", "Assoc Co"}}}});
  std::string company = co.body["id"];
  Resp r =
      hs->Put("/crm/v4/objects/contacts/" + contact + "/associations/default/companies/" + company, Json::object());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["status"], "COMPLETE");
  EXPECT_EQ(r.body["results"][0]["associationSpec"]["associationTypeId"], 279);
  r = hs->Get("/crm/v4/objects/contacts/" + contact + "/associations/companies");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["results"].size(), 1u);
  EXPECT_EQ(r.body["results"][0]["toObjectId"], std::stoll(company));
  EXPECT_EQ(r.body["results"][0]["associationTypes"][0],
            Json::parse(R"({"category":"HUBSPOT_DEFINED","typeId":279,"label":null})"));
  r = hs->Get("/crm/v4/objects/companies/" + company + "/associations/contacts");
  EXPECT_EQ(r.body["results"][0]["associationTypes"][0]["typeId"], 280);
  r = hs->Put("/crm/v4/objects/contacts/" + contact + "/associations/companies/" + company,
              Json::array({{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 1}}}));
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(r.body["labels"], Json::array({"Primary"}));
  EXPECT_EQ(r.body["fromObjectTypeId"], "0-1");
  r = hs->Get(kC + "/" + contact + "?associations=companies");
  EXPECT_EQ(r.body["associations"]["companies"]["results"].size(), 2u) << r.raw;
  EXPECT_EQ(hs->Delete("/crm/v4/objects/contacts/" + contact + "/associations/companies/" + company).status, 204);
  EXPECT_EQ(hs->Get("/crm/v4/objects/contacts/" + contact + "/associations/companies").body["results"].size(), 0u);
  ExpectError(hs->Put("/crm/v4/objects/contacts/" + contact + "/associations/default/companies/999999", Json::object()),
              404, "OBJECT_NOT_FOUND");
  // batch create / read / archive
  r = hs->Post("/crm/v4/associations/contacts/companies/batch/create",
               Json{{"inputs",
                     {{{"from", {{"id", contact}}},
                       {"to", {{"id", company}}},
                       {"types", {{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 279}}}}}}}});
  EXPECT_EQ(r.status, 201) << r.raw;
  r = hs->Post("/crm/v4/associations/contacts/companies/batch/read",
               Json{{"inputs", {{{"id", contact}}, {{"id", "1"}}}}});
  EXPECT_EQ(r.status, 207) << r.raw;
  EXPECT_EQ(r.body["results"][0]["to"][0]["toObjectId"], std::stoll(company));
  EXPECT_EQ(hs->Post("/crm/v4/associations/contacts/companies/batch/archive",
                     Json{{"inputs", {{{"from", {{"id", contact}}}, {"to", {{{"id", company}}}}}}}})
                .status,
            204);
  EXPECT_EQ(hs->Get("/crm/v4/objects/contacts/" + contact + "/associations/companies").body["results"].size(), 0u);
  // associations inline on create
  r = hs->Post(kC, Json{{"properties", {{"email", "inline@example.com"}}},
                        {"associations",
                         {{{"to", {{"id", company}}},
                           {"types", {{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 279}}}}}}}});
  ASSERT_EQ(r.status, 201) << r.raw;
  r = hs->Get("/crm/v4/objects/companies/" + company + "/associations/contacts");
  EXPECT_EQ(r.body["results"].size(), 1u);
}

// GET /crm/v4/associations/{from}/{to}/labels is what the official Node SDK's
// associations.v4.schema.definitionsApi.getAll calls (tests/clients/).
TEST_F(HubSpot, AssociationLabels) {
  Resp r = hs->Get("/crm/v4/associations/contacts/companies/labels");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, Json::parse(R"({"results":[{"category":"HUBSPOT_DEFINED","typeId":1,"label":"Primary"},
                                                {"category":"HUBSPOT_DEFINED","typeId":279,"label":null}]})"));
  r = hs->Get("/crm/v4/associations/0-3/company/labels");  // type ids and singulars too
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["results"].size(), 2u) << r.raw;
  EXPECT_EQ(r.body["results"][0]["typeId"], 5);
  EXPECT_EQ(r.body["results"][1]["typeId"], 341);
  r = hs->Get("/crm/v4/associations/contacts/contacts/labels");  // no types between them: an empty list
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["results"], Json::array());
  ExpectError(hs->Get("/crm/v4/associations/contacts/widgets/labels"), 400, "VALIDATION_ERROR");
  hs->set_token("");
  ExpectError(hs->Get("/crm/v4/associations/contacts/companies/labels"), 401, "INVALID_AUTHENTICATION");
}

// The official Node SDK's associations.v4.batchApi.archiveLabels and
// properties.batchApi.read (tests/clients/).
TEST_F(HubSpot, AssociationLabelsArchiveKeepsTheOtherTypes) {
  std::string contact = NewContact({{"email", "labels@assoc.example"}});
  std::string company = hs->Post("/crm/v3/objects/companies", Json{{"properties", {{"name", "L Co"}}}}).body["id"];
  Resp r = hs->Post("/crm/v4/associations/contacts/companies/batch/create",
                    Json{{"inputs",
                          {{{"from", {{"id", contact}}},
                            {"to", {{"id", company}}},
                            {"types",
                             {{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 279}},
                              {{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 1}}}}}}}});
  ASSERT_EQ(r.status, 201) << r.raw;
  r = hs->Post("/crm/v4/associations/contacts/companies/batch/labels/archive",
               Json{{"inputs",
                     {{{"from", {{"id", contact}}},
                       {"to", {{"id", company}}},
                       {"types", {{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 1}}}}}}}});
  EXPECT_EQ(r.status, 204) << r.raw;
  r = hs->Get("/crm/v4/objects/contacts/" + contact + "/associations/companies");
  ASSERT_EQ(r.body["results"].size(), 1u) << r.raw;
  EXPECT_EQ(r.body["results"][0]["associationTypes"],
            Json::parse(R"([{"category":"HUBSPOT_DEFINED","typeId":279,"label":null}])"));
  r = hs->Get("/crm/v4/objects/companies/" + company + "/associations/contacts");  // the inverse (2) went too
  ASSERT_EQ(r.body["results"].size(), 1u) << r.raw;
  EXPECT_EQ(r.body["results"][0]["associationTypes"].size(), 1u) << r.raw;
  EXPECT_EQ(r.body["results"][0]["associationTypes"][0]["typeId"], 280);
  // the last type gone: no association left
  r = hs->Post("/crm/v4/associations/contacts/companies/batch/labels/archive",
               Json{{"inputs",
                     {{{"from", {{"id", contact}}},
                       {"to", {{"id", company}}},
                       {"types", {{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 279}}}}}}}});
  EXPECT_EQ(r.status, 204) << r.raw;
  EXPECT_EQ(hs->Get("/crm/v4/objects/contacts/" + contact + "/associations/companies").body["results"].size(), 0u);
}

TEST_F(HubSpot, PropertiesBatchRead) {
  Resp r = hs->Post("/crm/v3/properties/contacts/batch/read",
                    Json{{"inputs", {{{"name", "lifecyclestage"}}, {{"name", "email"}}}}, {"archived", false}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["status"], "COMPLETE");
  ASSERT_EQ(r.body["results"].size(), 2u);
  EXPECT_EQ(r.body["results"][0]["name"], "lifecyclestage");
  EXPECT_EQ(r.body["results"][1]["name"], "email");
  EXPECT_EQ(r.body["results"][0], hs->Get("/crm/v3/properties/contacts/lifecyclestage").body);
  r = hs->Post("/crm/v3/properties/contacts/batch/read", Json{{"inputs", {{{"name", "email"}}, {{"name", "nope"}}}}});
  ASSERT_EQ(r.status, 207) << r.raw;
  EXPECT_EQ(r.body["results"].size(), 1u);
  EXPECT_EQ(r.body["errors"][0]["category"], "OBJECT_NOT_FOUND");
  EXPECT_EQ(r.body["errors"][0]["context"]["properties"], Json::array({"nope"}));
  ExpectError(hs->Post("/crm/v3/properties/contacts/batch/read", Json{{"inputs", "x"}}), 400, "VALIDATION_ERROR");
  ExpectError(hs->Post("/crm/v3/properties/widgets/batch/read", Json{{"inputs", Json::array()}}), 400,
              "VALIDATION_ERROR");
}

TEST_F(HubSpot, RateLimitHeadersAnd429) {
  Config({{"rate_limit_max", 5}, {"rate_limit_interval_ms", 10000}});
  Resp r = hs->Get(kC);
  EXPECT_EQ(r.Header("X-HubSpot-RateLimit-Max"), "5");
  EXPECT_EQ(r.Header("X-HubSpot-RateLimit-Remaining"), "4");
  EXPECT_EQ(r.Header("X-HubSpot-RateLimit-Interval-Milliseconds"), "10000");
  EXPECT_FALSE(r.Header("X-HubSpot-RateLimit-Daily-Remaining").empty());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(hs->Get(kC).status, 200);
  r = hs->Get(kC);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body["policyName"], "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(r.body["errorType"], "RATE_LIMIT");
  EXPECT_EQ(r.body["message"], "You have reached your ten_secondly_rolling limit.");
  EXPECT_EQ(r.Header("X-HubSpot-RateLimit-Remaining"), "0");
  EXPECT_FALSE(r.Header("Retry-After").empty());
  Advance(10001);
  EXPECT_EQ(hs->Get(kC).status, 200);
  Config({{"rate_limit_max", 1000}, {"search_per_second", 2}});
  EXPECT_EQ(hs->Post(kC + "/search", Json::object()).status, 200);
  EXPECT_EQ(hs->Post(kC + "/search", Json::object()).status, 200);
  r = hs->Post(kC + "/search", Json::object());
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body["policyName"], "SECONDLY");
  Advance(1001);
  EXPECT_EQ(hs->Post(kC + "/search", Json::object()).status, 200);
}

TEST_F(HubSpot, PropertiesWithHistory) {
  std::string id = NewContact({{"email", "h@example.com"}, {"firstname", "One"}});
  Advance(1000);
  hs->Patch(kC + "/" + id, Json{{"properties", {{"firstname", "Two"}}}});
  Resp r = hs->Get(kC + "/" + id + "?propertiesWithHistory=firstname");
  ASSERT_EQ(r.status, 200);
  const Json& h = r.body["propertiesWithHistory"]["firstname"];
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0]["value"], "Two");  // newest first
  EXPECT_EQ(h[0]["timestamp"], FormatIsoMs(Now()));
  EXPECT_EQ(h[1]["value"], "One");
}

TEST_F(HubSpot, MalformedInputNeverCrashesTheServer) {
  const std::vector<std::pair<std::string, std::string>> targets = {
      {"POST", kC},
      {"PATCH", kC + "/1"},
      {"POST", kC + "/batch/create"},
      {"POST", kC + "/batch/read"},
      {"POST", kC + "/batch/update"},
      {"POST", kC + "/batch/upsert"},
      {"POST", kC + "/batch/archive"},
      {"POST", kC + "/search"},
      {"PUT", "/crm/v4/objects/contacts/1/associations/companies/2"},
      {"POST", "/crm/v4/associations/contacts/companies/batch/create"},
      {"POST", "/crm/v4/associations/contacts/companies/batch/read"},
  };
  const std::vector<std::string> bodies = {
      "",
      "null",
      "[]",
      "{}",
      "{\"properties\":[]}",
      "{\"properties\":{\"email\":{}}}",
      "{\"inputs\":5}",
      "{\"inputs\":[null,5,\"x\",{}]}",
      "{\"inputs\":[{\"id\":{},\"properties\":7}]}",
      "{\"filterGroups\":[{\"filters\":[{}]}]}",
      "{\"filterGroups\":[5]}",
      "{\"sorts\":[5]}",
      "{\"limit\":\"x\"}",
      "{\"after\":\"-5\"}",
      "[{\"associationTypeId\":\"x\"}]",
      "{\"inputs\":[{\"from\":5,\"to\":[5]}]}",
      std::string(100000, '{'),
      "{\"associations\":[{\"to\":{\"id\":1},\"types\":[{\"associationTypeId\":99999}]}]}"};
  for (const auto& [method, path] : targets) {
    for (const std::string& body : bodies) {
      Resp r = hs->Do(method, path, body);
      EXPECT_GE(r.status, 200) << method << " " << path << " " << body.substr(0, 40);
      EXPECT_NE(r.status, 500) << method << " " << path << " " << body.substr(0, 40) << " -> " << r.raw;
    }
  }
  EXPECT_EQ(hs->Get(kC).status, 200);
}

}  // namespace
}  // namespace accord::sandbox::testing
