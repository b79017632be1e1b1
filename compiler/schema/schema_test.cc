#include "compiler/schema/schema.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#ifndef ACCORD_SOURCE_DIR
#error "ACCORD_SOURCE_DIR must be defined (the repository root)"
#endif

namespace accord::schema {
namespace {

const std::string kSchemas = std::string(ACCORD_SOURCE_DIR) + "/examples/salesforce-hubspot/schemas";
const std::string kSalesforceDir = kSchemas + "/salesforce";
const std::string kHubSpotDir = kSchemas + "/hubspot";

std::vector<std::string> Names(const std::vector<PicklistValue>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) out.push_back(v.value);
  return out;
}

std::vector<std::string> RequiredOnCreate(const Object& obj) {
  std::vector<std::string> out;
  for (const auto& f : obj.fields) {
    if (f.required_on_create()) out.push_back(f.name);
  }
  return out;
}

std::string ErrorsText(const std::vector<SchemaError>& errors) {
  std::string s;
  for (const auto& e : errors) s += e.path + ": " + e.message + "\n";
  return s;
}

bool HasErrorContaining(const std::vector<SchemaError>& errors, std::string_view needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const SchemaError& e) { return e.message.find(needle) != std::string::npos; });
}

class ExampleSchemas : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_ = new SchemaSet();
    errors_ = new std::vector<SchemaError>();
    LoadSchemaDir(System::kSalesforce, kSalesforceDir, *set_, *errors_);
    LoadSchemaDir(System::kHubSpot, kHubSpotDir, *set_, *errors_);
  }
  static void TearDownTestSuite() {
    delete set_;
    delete errors_;
  }
  static const Object& Sf(std::string_view name) {
    const Object* o = set_->Find(System::kSalesforce, name);
    EXPECT_NE(o, nullptr) << name;
    static const Object kMissing;
    return o != nullptr ? *o : kMissing;
  }
  static const Object& Hs(std::string_view name) {
    const Object* o = set_->Find(System::kHubSpot, name);
    EXPECT_NE(o, nullptr) << name;
    static const Object kMissing;
    return o != nullptr ? *o : kMissing;
  }
  static const Field& F(const Object& o, std::string_view name) {
    const Field* f = o.FindField(name);
    EXPECT_NE(f, nullptr) << o.name << "." << name;
    static const Field kMissing;
    return f != nullptr ? *f : kMissing;
  }
  static SchemaSet* set_;
  static std::vector<SchemaError>* errors_;
};
SchemaSet* ExampleSchemas::set_ = nullptr;
std::vector<SchemaError>* ExampleSchemas::errors_ = nullptr;

TEST_F(ExampleSchemas, LoadsWithoutErrors) {
  EXPECT_TRUE(errors_->empty()) << ErrorsText(*errors_);
  std::vector<std::string> sf, hs;
  for (const Object* o : set_->Objects(System::kSalesforce)) sf.push_back(o->name);
  for (const Object* o : set_->Objects(System::kHubSpot)) hs.push_back(o->name);
  EXPECT_EQ(sf, (std::vector<std::string>{"Account", "Contact", "Lead", "Opportunity", "Task"}));
  EXPECT_EQ(hs, (std::vector<std::string>{"companies", "contacts", "deals", "tasks"}));
  EXPECT_EQ(Sf("Lead").system, System::kSalesforce);
  EXPECT_EQ(Hs("deals").system, System::kHubSpot);
  EXPECT_NE(Sf("Lead").source_path.find("Lead.json"), std::string::npos);
}

TEST_F(ExampleSchemas, FieldCountsAndRequiredOnCreate) {
  EXPECT_EQ(Sf("Lead").fields.size(), 54u);
  EXPECT_EQ(Sf("Contact").fields.size(), 59u);
  EXPECT_EQ(Sf("Account").fields.size(), 63u);
  EXPECT_EQ(Sf("Opportunity").fields.size(), 40u);
  EXPECT_EQ(Sf("Task").fields.size(), 20u);
  EXPECT_EQ(RequiredOnCreate(Sf("Lead")), (std::vector<std::string>{"LastName", "Company"}));
  EXPECT_EQ(RequiredOnCreate(Sf("Contact")), (std::vector<std::string>{"LastName"}));
  EXPECT_EQ(RequiredOnCreate(Sf("Account")), (std::vector<std::string>{"Name"}));
  EXPECT_EQ(RequiredOnCreate(Sf("Opportunity")), (std::vector<std::string>{"Name", "StageName", "CloseDate"}));
  EXPECT_TRUE(RequiredOnCreate(Sf("Task")).empty());  // Status/Priority/OwnerId are defaulted on create
  EXPECT_TRUE(RequiredOnCreate(Hs("contacts")).empty());
}

TEST_F(ExampleSchemas, SalesforceTypes) {
  const Object& lead = Sf("Lead");
  EXPECT_EQ(F(lead, "LastName").type, FieldType::kString);
  EXPECT_EQ(F(lead, "LastName").length, 80);
  EXPECT_EQ(F(lead, "Email").type, FieldType::kString);
  EXPECT_EQ(F(lead, "Email").native_type, "email");
  EXPECT_TRUE(F(lead, "Email").field_type_hint.empty());
  EXPECT_EQ(F(lead, "AnnualRevenue").type, FieldType::kDecimal);
  EXPECT_EQ(F(lead, "NumberOfEmployees").type, FieldType::kInt);
  EXPECT_EQ(F(lead, "Latitude").type, FieldType::kDouble);
  EXPECT_EQ(F(lead, "CreatedDate").type, FieldType::kTimestamp);
  EXPECT_EQ(F(lead, "Address").type, FieldType::kUnsupported);
  EXPECT_EQ(F(lead, "IsConverted").type, FieldType::kBool);
  EXPECT_EQ(F(lead, "Status").type, FieldType::kString);
  EXPECT_EQ(F(Sf("Opportunity"), "Probability").type, FieldType::kDouble);
  EXPECT_EQ(F(Sf("Opportunity"), "CloseDate").type, FieldType::kDate);
  EXPECT_EQ(F(Sf("Task"), "ActivityDate").type, FieldType::kDate);
  EXPECT_EQ(F(Sf("Task"), "Subject").native_type, "combobox");
  EXPECT_FALSE(F(Sf("Task"), "Subject").is_picklist);
  EXPECT_FALSE(F(Sf("Task"), "Subject").values.empty());
  EXPECT_EQ(F(Sf("Task"), "Description").length, 32000);
}

TEST_F(ExampleSchemas, SalesforceFlags) {
  const Object& lead = Sf("Lead");
  const Field& name = F(lead, "Name");  // compound, read-only
  EXPECT_FALSE(name.createable);
  EXPECT_FALSE(name.updateable);
  EXPECT_TRUE(name.read_only());
  const Field& converted = F(lead, "IsConverted");  // createable but not updateable
  EXPECT_TRUE(converted.createable);
  EXPECT_FALSE(converted.updateable);
  EXPECT_FALSE(converted.read_only());
  EXPECT_EQ(converted.default_value, "false");
  const Field& owner = F(lead, "OwnerId");
  EXPECT_EQ(owner.reference_to, (std::vector<std::string>{"Group", "User"}));
  EXPECT_EQ(owner.relationship_name, "Owner");
  EXPECT_TRUE(owner.defaulted_on_create);
  EXPECT_FALSE(owner.required_on_create());
  EXPECT_TRUE(F(lead, "Email").id_lookup);
  EXPECT_TRUE(F(lead, "Id").read_only());
  EXPECT_TRUE(F(Sf("Task"), "IsClosed").read_only());
  EXPECT_TRUE(F(Sf("Task"), "SystemModstamp").read_only());
  EXPECT_EQ(F(Sf("Task"), "WhoId").reference_to, (std::vector<std::string>{"Contact", "Lead"}));
  EXPECT_TRUE(F(Sf("Opportunity"), "ExpectedRevenue").read_only());
  EXPECT_TRUE(F(Sf("Opportunity"), "ForecastCategoryName").restricted_picklist);
  EXPECT_FALSE(F(Sf("Opportunity"), "StageName").restricted_picklist);
}

TEST_F(ExampleSchemas, SalesforcePicklists) {
  const Field& industry = F(Sf("Account"), "Industry");
  EXPECT_TRUE(industry.is_picklist);
  ASSERT_EQ(industry.values.size(), 32u);
  EXPECT_EQ(industry.values.front().value, "Agriculture");
  EXPECT_EQ(industry.values.back().value, "Other");
  ASSERT_NE(industry.FindValue("Food & Beverage"), nullptr);
  EXPECT_TRUE(industry.FindValue("Food & Beverage")->active);
  EXPECT_EQ(industry.FindValue("Food & Beverages"), nullptr);

  const Field& status = F(Sf("Lead"), "Status");
  EXPECT_EQ(Names(status.values), (std::vector<std::string>{"Open - Not Contacted", "Working - Contacted", "Qualified",
                                                            "Closed - Converted", "Closed - Not Converted"}));
  EXPECT_TRUE(status.values[0].is_default);
  EXPECT_FALSE(status.values[2].is_default);
  EXPECT_TRUE(status.values[2].active);
  EXPECT_EQ(status.default_value, "Open - Not Contacted");
  EXPECT_FALSE(status.nillable);
  EXPECT_TRUE(status.defaulted_on_create);

  EXPECT_EQ(Names(F(Sf("Lead"), "LeadSource").values),
            (std::vector<std::string>{"Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"}));
  EXPECT_EQ(F(Sf("Opportunity"), "StageName").values.size(), 10u);
  EXPECT_EQ(Names(F(Sf("Task"), "Status").values), (std::vector<std::string>{"Not Started", "In Progress", "Completed",
                                                                             "Waiting on someone else", "Deferred"}));
  EXPECT_EQ(Names(F(Sf("Task"), "Priority").values), (std::vector<std::string>{"High", "Normal", "Low"}));
  EXPECT_EQ(F(Sf("Task"), "Priority").default_value, "Normal");
}

TEST_F(ExampleSchemas, HubSpotProperties) {
  const Object& contacts = Hs("contacts");
  const Field& lcs = F(contacts, "lifecyclestage");
  EXPECT_EQ(lcs.type, FieldType::kString);
  EXPECT_TRUE(lcs.is_picklist);
  EXPECT_TRUE(lcs.restricted_picklist);
  EXPECT_EQ(lcs.native_type, "enumeration");
  EXPECT_EQ(lcs.field_type_hint, "radio");
  EXPECT_EQ(Names(lcs.values),
            (std::vector<std::string>{"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
                                      "opportunity", "customer", "evangelist", "other"}));
  EXPECT_EQ(Names(F(contacts, "lead_source").values), Names(F(Sf("Lead"), "LeadSource").values));
  EXPECT_TRUE(F(contacts, "hubspot_owner_id").external_options);
  EXPECT_EQ(F(contacts, "hubspot_owner_id").reference_to, (std::vector<std::string>{"OWNER"}));
  EXPECT_TRUE(F(contacts, "hs_analytics_source").read_only());
  EXPECT_TRUE(F(contacts, "createdate").read_only());
  EXPECT_EQ(F(contacts, "createdate").type, FieldType::kTimestamp);
  EXPECT_EQ(F(contacts, "hs_object_id").type, FieldType::kDecimal);
  EXPECT_FALSE(F(contacts, "email").read_only());
  EXPECT_TRUE(F(contacts, "email").nillable);

  const Object& companies = Hs("companies");
  EXPECT_EQ(F(companies, "annualrevenue").type, FieldType::kDecimal);
  const Field& industry = F(companies, "industry");
  EXPECT_NE(industry.FindValue("COMPUTER_SOFTWARE"), nullptr);
  EXPECT_NE(industry.FindValue("FOOD_BEVERAGES"), nullptr);
  EXPECT_NE(industry.FindValue("FINANCIAL_SERVICES"), nullptr);

  const Object& deals = Hs("deals");
  const Field& amount_home = F(deals, "amount_in_home_currency");
  EXPECT_TRUE(amount_home.calculated);
  EXPECT_FALSE(amount_home.createable);
  EXPECT_FALSE(amount_home.updateable);
  EXPECT_TRUE(amount_home.read_only());
  EXPECT_EQ(Names(F(deals, "dealtype").values), (std::vector<std::string>{"newbusiness", "existingbusiness"}));
  EXPECT_TRUE(F(deals, "dealstage").external_options);
  EXPECT_NE(F(deals, "dealstage").FindValue("closedwon"), nullptr);
  EXPECT_EQ(F(deals, "closedate").type, FieldType::kTimestamp);
  EXPECT_EQ(F(deals, "hs_is_closed_won").type, FieldType::kBool);

  EXPECT_EQ(Names(F(Hs("tasks"), "hs_task_status").values),
            (std::vector<std::string>{"NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"}));
}

TEST_F(ExampleSchemas, FindIgnoreCase) {
  EXPECT_EQ(set_->FindIgnoreCase(System::kSalesforce, "lead"), set_->Find(System::kSalesforce, "Lead"));
  EXPECT_EQ(set_->Find(System::kSalesforce, "lead"), nullptr);
  EXPECT_EQ(set_->Find(System::kHubSpot, "Lead"), nullptr);
  EXPECT_EQ(set_->FindIgnoreCase(System::kHubSpot, "CONTACTS"), set_->Find(System::kHubSpot, "contacts"));
  const Object& lead = Sf("Lead");
  EXPECT_EQ(lead.FindField("lastname"), nullptr);
  ASSERT_NE(lead.FindFieldIgnoreCase("lastname"), nullptr);
  EXPECT_EQ(lead.FindFieldIgnoreCase("lastname")->name, "LastName");
  EXPECT_EQ(lead.FindFieldIgnoreCase("NoSuchField"), nullptr);
}

TEST_F(ExampleSchemas, LoadIsFast) {
  // Five describes of 35-115 KB plus four HubSpot files; the budget is well under 20 ms in an
  // optimized build. The bound here is loose so that debug/sanitizer builds do not flake.
  auto start = std::chrono::steady_clock::now();
  SchemaSet set;
  std::vector<SchemaError> errors;
  LoadSchemaDir(System::kSalesforce, kSalesforceDir, set, errors);
  LoadSchemaDir(System::kHubSpot, kHubSpotDir, set, errors);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(errors.empty());
  EXPECT_LT(ms, 500.0);
  RecordProperty("load_ms", std::to_string(ms));
}

TEST(SchemaSetTest, AddReplacesSameSystemAndName) {
  SchemaSet set;
  Object a;
  a.system = System::kHubSpot;
  a.name = "contacts";
  a.label = "first";
  set.Add(a);
  Object b = a;
  b.label = "second";
  set.Add(b);
  Object c = a;
  c.system = System::kSalesforce;
  set.Add(c);
  ASSERT_EQ(set.Objects(System::kHubSpot).size(), 1u);
  EXPECT_EQ(set.Find(System::kHubSpot, "contacts")->label, "second");
  EXPECT_EQ(set.Objects(System::kSalesforce).size(), 1u);
}

TEST(ObjectTest, FindFieldBeforeAndAfterFinalize) {
  auto named = [](std::string name) {
    Field f;
    f.name = std::move(name);
    return f;
  };
  Object o;
  o.fields.push_back(named("Email"));
  EXPECT_NE(o.FindField("Email"), nullptr);  // no index yet: scan
  o.Finalize();
  EXPECT_NE(o.FindField("Email"), nullptr);
  o.fields.push_back(named("Phone"));  // stale index: scan
  EXPECT_NE(o.FindField("Phone"), nullptr);
  EXPECT_NE(o.FindFieldIgnoreCase("PHONE"), nullptr);
}

// ------------------------------------------------------------------------------------------
// Bad input

TEST(SalesforceParse, MalformedJson) {
  std::vector<SchemaError> errors;
  EXPECT_FALSE(ParseSalesforceDescribe(R"({"name": "Lead", "fields": [)", "Lead.json", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "Lead.json");
  EXPECT_NE(errors[0].message.find("malformed JSON"), std::string::npos);
  errors.clear();
  EXPECT_FALSE(ParseSalesforceDescribe("", "empty.json", errors));
  EXPECT_EQ(errors.size(), 1u);
}

// The text of the bytes an error points at.
std::string At(std::string_view json, const SchemaError& e) {
  if (e.begin == SchemaError::kNoOffset) return "<no place>";
  return std::string(json.substr(e.begin, e.end - e.begin));
}

// Malformed JSON was reported at 1:1: now at the byte where it goes wrong.
TEST(SalesforceParse, MalformedJsonHasItsPlace) {
  const std::string json = "{\"name\": \"Lead\",\n \"fields\": [\n  {\"name\": \"A\",}\n]}";
  std::vector<SchemaError> errors;
  EXPECT_FALSE(ParseSalesforceDescribe(json, "Lead.json", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_FALSE(errors[0].shape);
  EXPECT_EQ(At(json, errors[0]), "}");
  EXPECT_EQ(errors[0].begin, json.find(",}") + 1);
  EXPECT_NE(errors[0].message.find("malformed JSON: syntax error"), std::string::npos) << errors[0].message;
  errors.clear();
  EXPECT_FALSE(ParseHubSpotProperties("{\"results\": [tru]}", "contacts", "c.json", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].begin, 16u);  // where the parser stops: the ']' after "tru"
}

// Wrong shapes passed without a word: each is now an error at its value; the
// field is kept with defaults for what is wrong.
TEST(SalesforceParse, WrongValueShapesAreReportedAtTheValue) {
  const std::string json = R"({"name": "Account", "fields": [
    {"name": "Id", "type": "id", "nillable": false},
    {"name": "Industry", "type": "picklist", "picklistValues": "oops"},
    {"name": "Website", "type": "url", "length": -5},
    {"name": "Name", "type": "string", "nillable": "no"},
    {"name": "Rating", "type": 42},
    {"name": "Name", "type": "string"},
    {"name": "Kind", "type": "picklist", "picklistValues": [{"value": "a", "active": "yes"}],
     "referenceTo": [7], "length": 2.5}
  ]})";
  std::vector<SchemaError> errors;
  auto obj = ParseSalesforceDescribe(json, "Account.json", errors);
  ASSERT_TRUE(obj.has_value());
  EXPECT_EQ(obj->fields.size(), 7u);
  ASSERT_EQ(errors.size(), 8u) << ErrorsText(errors);
  for (const auto& e : errors) EXPECT_TRUE(e.shape) << e.message;
  EXPECT_EQ(errors[0].message, "field Industry: \"picklistValues\" is \"oops\", not a list");
  EXPECT_EQ(At(json, errors[0]), "\"oops\"");
  EXPECT_EQ(errors[1].message, "field Website: \"length\" is -5, not a whole number from 0 up");
  EXPECT_EQ(At(json, errors[1]), "-5");
  EXPECT_EQ(errors[2].message, "field Name: \"nillable\" is \"no\", not true or false");
  EXPECT_EQ(At(json, errors[2]), "\"no\"");
  EXPECT_EQ(errors[3].message, "field Rating: \"type\" is 42, not a string");
  EXPECT_EQ(At(json, errors[3]), "42");
  EXPECT_EQ(errors[4].message, "field Kind: \"length\" is 2.5, not a whole number from 0 up");
  EXPECT_EQ(errors[5].message, "field Kind: referenceTo[0] is 7, not an object name");
  EXPECT_EQ(errors[6].message, "field Kind: picklistValues[0]: \"active\" is \"yes\", not true or false");
  EXPECT_EQ(At(json, errors[6]), "\"yes\"");
  EXPECT_EQ(errors[7].message, "field Name appears twice (fields[3] and [5]); the first is used");
  EXPECT_EQ(At(json, errors[7]), "\"Name\"");
  EXPECT_EQ(errors[7].begin, json.find("{\"name\": \"Name\", \"type\": \"string\"}") + 9);
  // Defaults where the value was wrong; the first of two same-named fields.
  EXPECT_EQ(obj->FindField("Website")->length, 0);
  EXPECT_TRUE(obj->FindField("Name")->nillable);
  EXPECT_EQ(obj->FindField("Rating")->type, FieldType::kUnsupported);
  EXPECT_TRUE(obj->FindField("Industry")->values.empty());
}

TEST(HubSpotParse, WrongValueShapesAreReportedAtTheValue) {
  const std::string json = R"({"results": [
    {"name": "stage", "type": "enumeration", "fieldType": "select", "options": "x"},
    {"name": "score", "type": 42, "calculated": "no"},
    {"name": "tier", "type": "enumeration", "options": [{"value": "a", "hidden": 1}],
     "modificationMetadata": {"readOnlyValue": "true"}},
    {"name": "stage", "type": "string"}
  ]})";
  std::vector<SchemaError> errors;
  auto obj = ParseHubSpotProperties(json, "deals", "deals.json", errors);
  ASSERT_TRUE(obj.has_value());
  ASSERT_EQ(errors.size(), 6u) << ErrorsText(errors);
  EXPECT_EQ(errors[0].message, "property stage: \"options\" is \"x\", not a list");
  EXPECT_EQ(errors[1].message, "property score: \"type\" is 42, not a string");
  EXPECT_EQ(errors[2].message, "property score: \"calculated\" is \"no\", not true or false");
  EXPECT_EQ(errors[3].message, "property tier: modificationMetadata: \"readOnlyValue\" is \"true\", not true or false");
  EXPECT_EQ(At(json, errors[3]), "\"true\"");
  EXPECT_EQ(errors[4].message, "property tier: options[0]: \"hidden\" is 1, not true or false");
  EXPECT_EQ(errors[5].message, "property stage appears twice (results[0] and [3]); the first is used");
}

TEST(SalesforceParse, WrongShapes) {
  std::vector<SchemaError> errors;
  EXPECT_FALSE(ParseSalesforceDescribe("[1,2,3]", "a.json", errors));
  EXPECT_TRUE(HasErrorContaining(errors, "expected a JSON object"));
  errors.clear();
  EXPECT_FALSE(ParseSalesforceDescribe(R"({"name": "Lead", "fields": {"a": 1}})", "b.json", errors));
  EXPECT_TRUE(HasErrorContaining(errors, "\"fields\" is not an array"));
  errors.clear();
  EXPECT_FALSE(ParseSalesforceDescribe(R"({"name": "Lead"})", "c.json", errors));
  EXPECT_TRUE(HasErrorContaining(errors, "no \"fields\""));
  errors.clear();
  EXPECT_FALSE(ParseSalesforceDescribe(R"({"name": 7, "fields": []})", "d.json", errors));
  EXPECT_TRUE(HasErrorContaining(errors, "\"name\""));
}

TEST(SalesforceParse, BadFieldsAreSkippedOthersKept) {
  std::vector<SchemaError> errors;
  auto obj = ParseSalesforceDescribe(R"({
    "name": "Thing__c", "label": "Thing", "unknownTopLevel": {"deep": [1, 2]},
    "fields": [
      {"label": "no name", "type": "string"},
      42,
      {"name": "Code__c", "type": "string", "length": 10, "nillable": false, "createable": true,
       "defaultedOnCreate": false, "externalId": true, "unique": true, "somethingNew": [null]},
      {"name": "Score__c", "type": "double", "calculated": true, "createable": false, "updateable": false},
      {"name": "Num__c", "type": "string", "autoNumber": true, "defaultValue": null},
      {"name": "Tags__c", "type": "multipicklist", "restrictedPicklist": true,
       "picklistValues": [{"value": "a", "label": "A", "active": true, "defaultValue": true},
                          {"value": "b", "active": false}, {"label": "no value"}]},
      {"name": "Geo__c", "type": "location"},
      {"name": "Blob__c", "type": "base64", "defaultValue": 3.5},
      {"name": "Weird__c", "type": "somethingElse", "label": null, "length": "x"},
      {"name": "Minimal__c"}
    ]})",
                                     "Thing__c.json", errors);
  ASSERT_TRUE(obj.has_value());
  EXPECT_EQ(obj->name, "Thing__c");
  EXPECT_EQ(obj->label, "Thing");
  EXPECT_EQ(obj->fields.size(), 8u);
  EXPECT_EQ(errors.size(), 4u) << ErrorsText(errors);
  EXPECT_TRUE(HasErrorContaining(errors, "field Weird__c: \"length\" is \"x\", not a whole number"));
  EXPECT_TRUE(HasErrorContaining(errors, "fields[0]: field without \"name\""));
  EXPECT_TRUE(HasErrorContaining(errors, "fields[1]: expected an object"));
  EXPECT_TRUE(HasErrorContaining(errors, "Tags__c: picklistValues[2]"));

  const Field* code = obj->FindField("Code__c");
  ASSERT_NE(code, nullptr);
  EXPECT_TRUE(code->required_on_create());
  EXPECT_TRUE(code->external_id);
  EXPECT_TRUE(code->unique);
  EXPECT_EQ(code->length, 10);
  EXPECT_TRUE(obj->FindField("Score__c")->calculated);
  EXPECT_TRUE(obj->FindField("Score__c")->read_only());
  EXPECT_TRUE(obj->FindField("Num__c")->calculated);
  EXPECT_TRUE(obj->FindField("Num__c")->default_value.empty());
  const Field* tags = obj->FindField("Tags__c");
  EXPECT_EQ(tags->type, FieldType::kStringList);
  EXPECT_TRUE(tags->is_picklist);
  EXPECT_TRUE(tags->restricted_picklist);
  ASSERT_EQ(tags->values.size(), 2u);
  EXPECT_TRUE(tags->values[0].is_default);
  EXPECT_FALSE(tags->values[1].active);
  EXPECT_EQ(tags->values[1].label, "b");  // label defaults to the value
  EXPECT_EQ(obj->FindField("Geo__c")->type, FieldType::kUnsupported);
  EXPECT_EQ(obj->FindField("Blob__c")->type, FieldType::kBytes);
  EXPECT_EQ(obj->FindField("Blob__c")->default_value, "3.5");
  const Field* weird = obj->FindField("Weird__c");
  EXPECT_EQ(weird->type, FieldType::kUnsupported);
  EXPECT_EQ(weird->label, "Weird__c");
  EXPECT_EQ(weird->length, 0);
  const Field* minimal = obj->FindField("Minimal__c");
  EXPECT_TRUE(minimal->nillable);
  EXPECT_TRUE(minimal->createable);
  EXPECT_FALSE(minimal->required_on_create());
  EXPECT_EQ(minimal->type, FieldType::kUnsupported);  // no type at all
}

TEST(SalesforceParse, TruncatedAndMangledRealDescribeNeverCrashes) {
  std::ifstream in(kSalesforceDir + "/Lead.json", std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(text.size(), 90000u);
  for (size_t cut = 0; cut < text.size(); cut += 997) {
    std::vector<SchemaError> errors;
    auto obj = ParseSalesforceDescribe(std::string_view(text).substr(0, cut), "Lead.json", errors);
    EXPECT_FALSE(obj.has_value());
    EXPECT_FALSE(errors.empty());
  }
  // Give every "type" key a number instead of a string: still valid JSON, wrong value types.
  std::string mangled = text;
  const std::string from = "\"type\": \"", to = "\"type\": 1, \"was\": \"";
  for (size_t pos = 0; (pos = mangled.find(from, pos)) != std::string::npos; pos += to.size()) {
    mangled.replace(pos, from.size(), to);
  }
  std::vector<SchemaError> errors;
  auto lead = ParseSalesforceDescribe(mangled, "Lead.json", errors);
  ASSERT_TRUE(lead.has_value()) << ErrorsText(errors);
  EXPECT_EQ(lead->fields.size(), 54u);
  for (const Field& f : lead->fields) EXPECT_EQ(f.type, FieldType::kUnsupported) << f.name;
  auto obj = ParseHubSpotProperties(text, "contacts", "Lead.json", errors);
  EXPECT_FALSE(obj.has_value());
}

TEST(HubSpotParse, MalformedAndWrongShapes) {
  std::vector<SchemaError> errors;
  EXPECT_FALSE(ParseHubSpotProperties(R"({"results": [{"name": "x",}]})", "contacts", "c.json", errors));
  EXPECT_TRUE(HasErrorContaining(errors, "malformed JSON"));
  errors.clear();
  EXPECT_FALSE(ParseHubSpotProperties(R"({"results": {"name": "x"}})", "contacts", "c.json", errors));
  EXPECT_TRUE(HasErrorContaining(errors, "\"results\" is not an array"));
  errors.clear();
  EXPECT_FALSE(ParseHubSpotProperties(R"({"status": "error", "message": "nope"})", "contacts", "c.json", errors));
  EXPECT_TRUE(HasErrorContaining(errors, "no \"results\""));
  errors.clear();
  EXPECT_FALSE(ParseHubSpotProperties(R"("results")", "contacts", "c.json", errors));
  EXPECT_EQ(errors.size(), 1u);
  errors.clear();
  auto obj = ParseHubSpotProperties(R"({"results": [{"label": "nameless"}, [], {"name": "ok", "type": "string"}]})",
                                    "contacts", "c.json", errors);
  ASSERT_TRUE(obj.has_value());
  EXPECT_EQ(obj->fields.size(), 1u);
  EXPECT_TRUE(HasErrorContaining(errors, "results[0]: property without \"name\""));
  EXPECT_TRUE(HasErrorContaining(errors, "results[1]: expected an object"));
}

TEST(HubSpotParse, TypesOptionsAndReadOnly) {
  std::vector<SchemaError> errors;
  auto obj = ParseHubSpotProperties(R"({"results": [
    {"name": "stage", "label": "Stage", "type": "enumeration", "fieldType": "select",
     "options": [{"label": "A", "value": "a", "displayOrder": 0, "hidden": false},
                 {"label": "Old", "value": "old", "displayOrder": 1, "hidden": true},
                 {"label": "broken"}]},
    {"name": "roles", "type": "enumeration", "fieldType": "checkbox",
     "options": [{"label": "X", "value": "x", "hidden": false}]},
    {"name": "ro", "type": "string", "fieldType": "text", "calculated": false,
     "modificationMetadata": {"archivable": false, "readOnlyDefinition": true, "readOnlyValue": true}},
    {"name": "calc", "type": "number", "fieldType": "calculation_equation", "calculated": true},
    {"name": "flag", "type": "bool", "fieldType": "booleancheckbox",
     "options": [{"label": "Yes", "value": "true", "hidden": false}]},
    {"name": "day", "type": "date", "fieldType": "date"},
    {"name": "ts", "type": "datetime", "fieldType": "date"},
    {"name": "tel", "type": "phone_number", "fieldType": "phonenumber"},
    {"name": "where", "type": "object_coordinates", "fieldType": "text"},
    {"name": "blob", "type": "json", "fieldType": "text"},
    {"name": "file", "type": "file_upload", "fieldType": "file"},
    {"name": "key", "type": "string", "hasUniqueValue": true, "modificationMetadata": "odd"}
  ]})",
                                    "things", "hubspot/things.json", errors);
  ASSERT_TRUE(obj.has_value());
  EXPECT_EQ(obj->system, System::kHubSpot);
  EXPECT_EQ(obj->name, "things");
  EXPECT_EQ(obj->source_path, "hubspot/things.json");
  ASSERT_EQ(errors.size(), 2u) << ErrorsText(errors);
  EXPECT_NE(errors[0].message.find("stage: options[2]"), std::string::npos);
  EXPECT_EQ(errors[1].message, "property key: \"modificationMetadata\" is \"odd\", not an object");

  const Field* stage = obj->FindField("stage");
  EXPECT_EQ(stage->type, FieldType::kString);
  EXPECT_TRUE(stage->is_picklist);
  EXPECT_TRUE(stage->restricted_picklist);
  ASSERT_EQ(stage->values.size(), 2u);
  EXPECT_TRUE(stage->values[0].active);
  EXPECT_FALSE(stage->values[1].active);  // hidden option
  EXPECT_EQ(stage->values[1].label, "Old");
  EXPECT_EQ(stage->field_type_hint, "select");

  EXPECT_EQ(obj->FindField("roles")->type, FieldType::kStringList);
  EXPECT_TRUE(obj->FindField("roles")->is_picklist);

  const Field* ro = obj->FindField("ro");
  EXPECT_TRUE(ro->calculated);
  EXPECT_FALSE(ro->createable);
  EXPECT_FALSE(ro->updateable);
  EXPECT_TRUE(ro->read_only());
  EXPECT_TRUE(obj->FindField("calc")->read_only());
  EXPECT_EQ(obj->FindField("calc")->type, FieldType::kDecimal);

  const Field* flag = obj->FindField("flag");
  EXPECT_EQ(flag->type, FieldType::kBool);
  EXPECT_FALSE(flag->is_picklist);
  EXPECT_TRUE(flag->values.empty());

  EXPECT_EQ(obj->FindField("day")->type, FieldType::kDate);
  EXPECT_EQ(obj->FindField("ts")->type, FieldType::kTimestamp);
  EXPECT_EQ(obj->FindField("tel")->type, FieldType::kString);
  EXPECT_EQ(obj->FindField("where")->type, FieldType::kString);
  EXPECT_EQ(obj->FindField("blob")->type, FieldType::kString);
  EXPECT_EQ(obj->FindField("file")->type, FieldType::kUnsupported);
  const Field* key = obj->FindField("key");
  EXPECT_TRUE(key->unique);
  EXPECT_FALSE(key->read_only());
  for (const Field& f : obj->fields) {
    EXPECT_TRUE(f.nillable) << f.name;
    EXPECT_FALSE(f.required_on_create()) << f.name;
  }
}

TEST(LoadSchemaDirTest, SkipsNonDescribesAndReportsBadFiles) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("accord_schema_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  auto write = [&](const fs::path& p, std::string_view text) { std::ofstream(p) << text; };
  write(dir / "sobjects-global.json", R"({"encoding": "UTF-8", "sobjects": [], "fields": []})");
  write(dir / "listing.json", R"({"sobjects": []})");
  write(dir / "NoFields.json", R"({"name": "NoFields", "label": "a describe without fields"})");
  write(dir / "B.json", R"({"name": "B", "fields": [{"name": "Id", "type": "id"}]})");
  write(dir / "A.json", R"({"name": "A", "fields": [{"name": "Id", "type": "id"}]})");
  write(dir / "Broken.json", R"({"name": "Broken", "fields": [)");
  write(dir / "notes.txt", "not json");
  write(dir / "sub" / "C.json", R"({"name": "C", "fields": []})");

  SchemaSet set;
  std::vector<SchemaError> errors;
  LoadSchemaDir(System::kSalesforce, dir.string(), set, errors);
  std::vector<std::string> names;
  for (const Object* o : set.Objects(System::kSalesforce)) names.push_back(o->name);
  EXPECT_EQ(names, (std::vector<std::string>{"A", "B"}));
  // A describe without "fields" was skipped silently; a global describe still is.
  ASSERT_EQ(errors.size(), 2u) << ErrorsText(errors);
  EXPECT_NE(errors[0].path.find("Broken.json"), std::string::npos);
  EXPECT_NE(errors[1].path.find("NoFields.json"), std::string::npos);
  EXPECT_EQ(errors[1].message, "describe of NoFields has no \"fields\"");

  // The same folder read as HubSpot: every *.json is a properties file named after the file.
  SchemaSet hs;
  errors.clear();
  write(dir / "deals.json", R"({"results": [{"name": "amount", "type": "number"}]})");
  LoadSchemaDir(System::kHubSpot, dir.string(), hs, errors);
  ASSERT_NE(hs.Find(System::kHubSpot, "deals"), nullptr);
  EXPECT_NE(hs.Find(System::kHubSpot, "deals")->FindField("amount"), nullptr);
  EXPECT_FALSE(errors.empty());  // the Salesforce files have no "results"

  errors.clear();
  LoadSchemaDir(System::kHubSpot, (dir / "missing").string(), hs, errors);
  EXPECT_EQ(errors.size(), 1u);
  fs::remove_all(dir);
}

// ------------------------------------------------------------------------------------------

TEST(EditDistanceTest, Basics) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("LastName", "lastname"), 0u);  // case-insensitive
  EXPECT_EQ(EditDistance("Emial", "Email"), 1u);        // transposition
  EXPECT_EQ(EditDistance("ca", "abc"), 3u);             // optimal string alignment
  EXPECT_EQ(EditDistance("Industry", "Industyr"), 1u);
}

TEST(SuggestTest, PicksBestWithinLimit) {
  const std::vector<std::string> fields = {"FirstName", "LastName", "Email", "Phone", "Industry", "LeadSource"};
  EXPECT_EQ(Suggest("Emial", fields), "Email");
  EXPECT_EQ(Suggest("lastname", fields), "LastName");  // case-insensitive exact match
  EXPECT_EQ(Suggest("Lastname", fields), "LastName");
  EXPECT_EQ(Suggest("FristName", fields), "FirstName");
  EXPECT_FALSE(Suggest("LeadSrc", fields).has_value());  // distance 3, limit max(2, 7/3) = 2
  EXPECT_FALSE(Suggest("Zebra", fields).has_value());
  EXPECT_FALSE(Suggest("x", {"Id"}).has_value());  // a total rewrite is no suggestion
  EXPECT_FALSE(Suggest("anything", {}).has_value());
  const std::vector<std::string> values = {"Food & Beverage", "Finance", "Technology"};
  EXPECT_EQ(Suggest("Food & Beverages", values), "Food & Beverage");
  EXPECT_EQ(Suggest("Tech", values), std::nullopt);
  // Ties go to the first candidate.
  EXPECT_EQ(Suggest("cat", {"bat", "hat"}), "bat");
}

TEST(NamesTest, SystemAndTypeNames) {
  EXPECT_EQ(SystemName(System::kSalesforce), "salesforce");
  EXPECT_EQ(SystemName(System::kHubSpot), "hubspot");
  EXPECT_EQ(SystemFromName("hubspot"), System::kHubSpot);
  EXPECT_EQ(SystemFromName("HubSpot"), std::nullopt);
  EXPECT_EQ(FieldTypeName(FieldType::kStringList), "list(string)");
  EXPECT_EQ(FieldTypeName(FieldType::kDecimal), "decimal");
  EXPECT_EQ(FieldTypeName(FieldType::kUnsupported), "unsupported");
  EXPECT_EQ(SalesforceFieldType("currency"), FieldType::kDecimal);
  EXPECT_EQ(SalesforceFieldType("anyType"), FieldType::kUnsupported);
  EXPECT_EQ(SalesforceFieldType("Currency"), FieldType::kUnsupported);  // exact names only
  EXPECT_EQ(HubSpotFieldType("enumeration", "checkbox"), FieldType::kStringList);
  EXPECT_EQ(HubSpotFieldType("enumeration", "radio"), FieldType::kString);
}

}  // namespace
}  // namespace accord::schema
