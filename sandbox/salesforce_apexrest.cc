// The /services/apexrest/accord/ endpoints: stand-ins for SOAP calls REST has no equivalent
// of, merge() and convertLead() (lead conversion into an account, a contact and an
// opportunity), written through the same write path as every other endpoint.
#include "sandbox/salesforce_internal.h"

#include <algorithm>

namespace accord::sandbox {

namespace {

// Lead fields copied by lead conversion (when both fields exist and the target is createable).
struct FieldCopy {
  const char* lead;
  const char* target;
};
const FieldCopy kLeadToAccount[] = {
    {"Company", "Name"},          {"Industry", "Industry"},       {"AnnualRevenue", "AnnualRevenue"},
    {"NumberOfEmployees", "NumberOfEmployees"}, {"Website", "Website"}, {"Phone", "Phone"},
    {"Street", "BillingStreet"},  {"City", "BillingCity"},        {"State", "BillingState"},
    {"PostalCode", "BillingPostalCode"}, {"Country", "BillingCountry"}, {"LeadSource", "AccountSource"},
    {"Rating", "Rating"},         {"Fax", "Fax"},                 {"OwnerId", "OwnerId"},
};
const FieldCopy kLeadToContact[] = {
    {"FirstName", "FirstName"},   {"LastName", "LastName"},       {"Salutation", "Salutation"},
    {"Email", "Email"},           {"Phone", "Phone"},             {"MobilePhone", "MobilePhone"},
    {"Fax", "Fax"},               {"Title", "Title"},             {"LeadSource", "LeadSource"},
    {"Description", "Description"}, {"Street", "MailingStreet"},  {"City", "MailingCity"},
    {"State", "MailingState"},    {"PostalCode", "MailingPostalCode"}, {"Country", "MailingCountry"},
    {"HasOptedOutOfEmail", "HasOptedOutOfEmail"}, {"DoNotCall", "DoNotCall"}, {"OwnerId", "OwnerId"},
};
const FieldCopy kLeadToOpportunity[] = {{"LeadSource", "LeadSource"}, {"OwnerId", "OwnerId"}};

}  // namespace

// ---------------------------------------------------------------- lead conversion

// POST /services/apexrest/accord/merge {"masterRecordId", "recordToMergeIds": [1 or 2 ids]}: a
// stand-in for the SOAP API's merge() (REST has none), as convertLead is for convertLead(). The
// master keeps its values and its stamps move; each merged record is deleted with MasterRecordId
// set to the master (what queryAll then shows).
void SalesforceEmulator::MergeRecords(Call& c) {
  Json body;
  if (!ParseBody(c, &body, false)) return;
  if (!body.is_object() || !body.contains("masterRecordId") || !body["masterRecordId"].is_string() ||
      !body.contains("recordToMergeIds") || !body["recordToMergeIds"].is_array() || body["recordToMergeIds"].empty() ||
      body["recordToMergeIds"].size() > 2)
    return c.Send(400, ErrorArray("INVALID_FIELD", "merge takes masterRecordId and 1 or 2 recordToMergeIds"));
  Tx tx;
  std::vector<Error> errors;
  Object* obj = nullptr;
  Record* master = WriteTarget(&obj, body["masterRecordId"].get<std::string>(), c, 0, &errors);
  if (!master) return c.Send(400, ErrorsToArray(errors));
  const size_t master_index = static_cast<size_t>(master - obj->records.data());
  const std::string master_id = master->id;
  Json merged = Json::array();
  for (const Json& j : body["recordToMergeIds"]) {
    Object* other = nullptr;
    Record* r = j.is_string() ? WriteTarget(&other, j.get<std::string>(), c, 0, &errors) : nullptr;
    if (r && (other != obj || r->id == master_id))
      errors.push_back({"INVALID_FIELD", "a merged record must be another record of the master's object", {}});
    if (!r || !errors.empty()) {
      Rollback(tx);
      if (errors.empty()) errors.push_back({"INVALID_ID_FIELD", "invalid id in recordToMergeIds", {}});
      return c.Send(400, ErrorsToArray(errors));
    }
    if (obj->schema.FindField("MasterRecordId")) r->fields["MasterRecordId"] = master_id;
    std::string id = r->id;
    if (!Delete(id, tx, c, 0, &errors)) {
      Rollback(tx);
      return c.Send(400, ErrorsToArray(errors));
    }
    merged.push_back(id);
  }
  Json fields = obj->records[master_index].fields;
  Commit(*obj, master_index, fields, false, tx, c.now_ms);
  c.Send(200, Json{{"id", master_id}, {"success", true}, {"mergedRecordIds", merged}, {"errors", Json::array()}});
}

void SalesforceEmulator::ConvertLead(Call& c) {
  Json body;
  if (!ParseBody(c, &body, false)) return;
  if (!body.is_object() || !body.contains("leadConverts") || !body["leadConverts"].is_array() ||
      body["leadConverts"].empty())
    return c.Send(400, ErrorArray("REQUIRED_FIELD_MISSING", "leadConverts: at least 1 LeadConvert is required."));
  const Json& converts = body["leadConverts"];
  if (converts.size() > 100)
    return c.Send(400, ErrorArray("EXCEEDED_ID_LIMIT", "cannot convert more than 100 leads in one call"));
  Object* lead_obj = FindObject("Lead");
  Object* account_obj = FindObject("Account");
  Object* contact_obj = FindObject("Contact");
  Object* opp_obj = FindObject("Opportunity");
  if (!lead_obj || !account_obj || !contact_obj)
    return c.Send(400, ErrorArray("INVALID_TYPE", "lead conversion needs the Lead, Account and Contact objects in the seed"));
  bool all_or_none = body.contains("allOrNone") && body["allOrNone"].is_boolean() && body["allOrNone"].get<bool>();
  Tx all;
  Json results = Json::array();
  std::vector<bool> ok;
  std::string today = FormatDate(c.now_ms);
  for (size_t i = 0; i < converts.size(); ++i) {
    const Json& lc = converts[i];
    Tx tx;
    std::vector<Error> errors;
    std::string account_id, contact_id, opp_id, lead_id;
    auto str = [&](const char* k) {
      return lc.is_object() && lc.contains(k) && lc[k].is_string() ? lc[k].get<std::string>() : std::string();
    };
    auto flag = [&](const char* k) { return lc.is_object() && lc.contains(k) && lc[k].is_boolean() && lc[k].get<bool>(); };
    lead_id = str("leadId");
    Record* lead = FindRecord(*lead_obj, lead_id);
    std::string status = str("convertedStatus");
    auto fail = [&](Error e) { errors.push_back(std::move(e)); };
    if (lead_id.empty()) {
      fail({"REQUIRED_FIELD_MISSING", "Required fields are missing: [leadId]", {"leadId"}});
    } else if (!lead) {
      fail({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"leadId"}});
    } else if (lead->deleted) {
      fail({"ENTITY_IS_DELETED", "entity is deleted", {}});
    } else if (lead->fields.value("IsConverted", false) == true) {
      fail({"CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", {}});
    } else if (std::find(settings_.converted_statuses.begin(), settings_.converted_statuses.end(), status) ==
               settings_.converted_statuses.end()) {
      fail({"INVALID_STATUS", "invalid convertedStatus: " + status, {"convertedStatus"}});
    } else if (c.PartialFault(i)) {
      fail(LockError());
    }
    std::optional<RequestError> request_error;
    auto copy = [&](Object& target, const auto& table, Json* out, const Record* existing, bool fill_only) {
      for (const FieldCopy& fc : table) {
        const schema::Field* tf = target.schema.FindField(fc.target);
        if (!tf || !lead_obj->schema.FindField(fc.lead)) continue;
        if (existing ? !tf->updateable : !tf->createable) continue;
        auto lv = lead->fields.find(fc.lead);
        if (lv == lead->fields.end() || lv->is_null()) continue;
        if (fill_only && existing) {
          auto cur = existing->fields.find(fc.target);
          bool overwrite = std::string(fc.lead) == "LeadSource" && flag("overwriteLeadSource");
          if (cur != existing->fields.end() && !cur->is_null() && !overwrite) continue;
        }
        (*out)[fc.target] = *lv;
      }
    };
    if (errors.empty()) {
      // 1. the account: existing (fill empty fields) or new
      account_id = str("accountId");
      if (!account_id.empty()) {
        Record* acc = FindRecord(*account_obj, account_id);
        if (!acc || acc->deleted) {
          fail({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"accountId"}});
        } else {
          Json changes = Json::object();
          copy(*account_obj, kLeadToAccount, &changes, acc, true);
          changes.erase("Name");
          account_id = acc->id;
          Update(*account_obj, account_id, changes, tx, c, SIZE_MAX, &errors, &request_error);
        }
      } else {
        Json input = Json::object();
        copy(*account_obj, kLeadToAccount, &input, nullptr, false);
        Insert(*account_obj, input, tx, c, SIZE_MAX, &account_id, &errors, &request_error);
      }
    }
    if (errors.empty() && !request_error) {
      // 2. the contact
      contact_id = str("contactId");
      if (!contact_id.empty()) {
        Record* con = FindRecord(*contact_obj, contact_id);
        if (!con || con->deleted) {
          fail({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"contactId"}});
        } else {
          Json changes = Json::object();
          copy(*contact_obj, kLeadToContact, &changes, con, true);
          contact_id = con->id;
          Update(*contact_obj, contact_id, changes, tx, c, SIZE_MAX, &errors, &request_error);
        }
      } else {
        Json input = Json::object();
        copy(*contact_obj, kLeadToContact, &input, nullptr, false);
        if (contact_obj->schema.FindField("AccountId")) input["AccountId"] = account_id;
        Insert(*contact_obj, input, tx, c, SIZE_MAX, &contact_id, &errors, &request_error);
      }
    }
    if (errors.empty() && !request_error && !flag("doNotCreateOpportunity") && opp_obj) {
      // 3. the opportunity
      Json input = Json::object();
      copy(*opp_obj, kLeadToOpportunity, &input, nullptr, false);
      std::string name = str("opportunityName");
      if (name.empty()) name = lead->fields.value("Company", std::string("")) + "-";
      input["Name"] = name;
      if (const schema::Field* stage = opp_obj->schema.FindField("StageName")) {
        std::string first;
        for (const schema::PicklistValue& pv : stage->values) {
          if (pv.active && first.empty()) first = pv.value;
          if (pv.active && pv.is_default) first = pv.value;
        }
        input["StageName"] = first;
      }
      if (opp_obj->schema.FindField("CloseDate")) input["CloseDate"] = FormatDate(c.now_ms + 30 * 86400000LL);
      if (opp_obj->schema.FindField("AccountId")) input["AccountId"] = account_id;
      Insert(*opp_obj, input, tx, c, SIZE_MAX, &opp_id, &errors, &request_error);
    }
    if (errors.empty() && !request_error) {
      // 4. the lead: converted (system fields, written past writability checks)
      size_t at = static_cast<size_t>(lead - lead_obj->records.data());
      Json candidate = lead->fields;
      candidate["IsConverted"] = true;
      candidate["Status"] = status;
      if (lead_obj->schema.FindField("ConvertedDate")) candidate["ConvertedDate"] = today;
      if (lead_obj->schema.FindField("ConvertedAccountId")) candidate["ConvertedAccountId"] = account_id;
      if (lead_obj->schema.FindField("ConvertedContactId")) candidate["ConvertedContactId"] = contact_id;
      if (lead_obj->schema.FindField("ConvertedOpportunityId"))
        candidate["ConvertedOpportunityId"] = opp_id.empty() ? Json() : Json(opp_id);
      Commit(*lead_obj, at, candidate, false, tx, c.now_ms);
    }
    if (request_error) {
      errors.push_back({request_error->body[0].value("errorCode", "INVALID_FIELD"),
                        request_error->body[0].value("message", ""), {}});
    }
    bool success = errors.empty();
    if (!success) Rollback(tx);
    for (auto& u : tx.undo) all.undo.push_back(std::move(u));
    ok.push_back(success);
    Json r;
    r["leadId"] = lead_id.empty() ? Json() : Json(lead ? lead->id : lead_id);
    r["accountId"] = success ? Json(account_id) : Json();
    r["contactId"] = success ? Json(contact_id) : Json();
    r["opportunityId"] = success && !opp_id.empty() ? Json(opp_id) : Json();
    r["success"] = success;
    r["errors"] = SaveResult(nullptr, false, errors)["errors"];
    results.push_back(r);
  }
  AllOrNone(all_or_none, ok, all, &results, true);
  c.Send(200, results);
}

}  // namespace accord::sandbox
