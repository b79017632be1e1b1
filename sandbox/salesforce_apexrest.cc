// The /services/apexrest/accord/ endpoints: stand-ins for SOAP calls REST has no equivalent
// of, merge() and convertLead() (lead conversion into an account, a contact and an
// opportunity), written through the same write path as every other endpoint.
#include <algorithm>

#include "sandbox/salesforce_internal.h"

namespace accord::sandbox {

namespace {

// Lead fields copied by lead conversion (when both fields exist and the target is createable).
struct FieldCopy {
  const char* lead;
  const char* target;
};
const FieldCopy kLeadToAccount[] = {
    {"Company", "Name"},
    {"Industry", "Industry"},
    {"AnnualRevenue", "AnnualRevenue"},
    {"NumberOfEmployees", "NumberOfEmployees"},
    {"Website", "Website"},
    {"Phone", "Phone"},
    {"Street", "BillingStreet"},
    {"City", "BillingCity"},
    {"State", "BillingState"},
    {"PostalCode", "BillingPostalCode"},
    {"Country", "BillingCountry"},
    {"LeadSource", "AccountSource"},
    {"Rating", "Rating"},
    {"Fax", "Fax"},
    {"OwnerId", "OwnerId"},
};
const FieldCopy kLeadToContact[] = {
    {"FirstName", "FirstName"},
    {"LastName", "LastName"},
    {"Salutation", "Salutation"},
    {"Email", "Email"},
    {"Phone", "Phone"},
    {"MobilePhone", "MobilePhone"},
    {"Fax", "Fax"},
    {"Title", "Title"},
    {"LeadSource", "LeadSource"},
    {"Description", "Description"},
    {"Street", "MailingStreet"},
    {"City", "MailingCity"},
    {"State", "MailingState"},
    {"PostalCode", "MailingPostalCode"},
    {"Country", "MailingCountry"},
    {"HasOptedOutOfEmail", "HasOptedOutOfEmail"},
    {"DoNotCall", "DoNotCall"},
    {"OwnerId", "OwnerId"},
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

// One LeadConvert of a convertLead request: its input, the objects involved, the ids it
// makes, and its own transaction (rolled back alone when it fails).
struct SalesforceEmulator::LeadConversion {
  LeadConversion(const Json& input, Object* lead_obj, Object* account_obj, Object* contact_obj, Object* opp_obj)
      : input(input), lead_obj(lead_obj), account_obj(account_obj), contact_obj(contact_obj), opp_obj(opp_obj) {}

  const Json& input;  // the LeadConvert
  Object* lead_obj;
  Object* account_obj;
  Object* contact_obj;
  Object* opp_obj;  // nullptr: no Opportunity in the seed, none created
  Record* lead = nullptr;
  std::string lead_id, status, account_id, contact_id, opp_id;
  Tx tx;
  std::vector<Error> errors;
  std::optional<RequestError> request_error;

  std::string Str(const char* k) const {
    return input.is_object() && input.contains(k) && input[k].is_string() ? input[k].get<std::string>() : std::string();
  }
  bool Flag(const char* k) const {
    return input.is_object() && input.contains(k) && input[k].is_boolean() && input[k].get<bool>();
  }
  void Fail(Error e) { errors.push_back(std::move(e)); }
  bool Ok() const { return errors.empty() && !request_error; }
  // The lead's values of `table`'s fields for `target` (new, or `existing`; with fill_only,
  // only where the existing record's field is empty, LeadSource too with overwriteLeadSource).
  template <class Table>
  void Copy(Object& target, const Table& table, Json* out, const Record* existing, bool fill_only) const {
    for (const FieldCopy& fc : table) {
      const schema::Field* tf = target.schema.FindField(fc.target);
      if (!tf || !lead_obj->schema.FindField(fc.lead)) continue;
      if (existing ? !tf->updateable : !tf->createable) continue;
      auto lv = lead->fields.find(fc.lead);
      if (lv == lead->fields.end() || lv->is_null()) continue;
      if (fill_only && existing) {
        auto cur = existing->fields.find(fc.target);
        bool overwrite = std::string(fc.lead) == "LeadSource" && Flag("overwriteLeadSource");
        if (cur != existing->fields.end() && !cur->is_null() && !overwrite) continue;
      }
      (*out)[fc.target] = *lv;
    }
  }
};

// The lead exists, is live and unconverted, the status is a converted status (or the partial fault).
void SalesforceEmulator::CheckLeadToConvert(Call& c, size_t index, LeadConversion& lc) {
  lc.lead_id = lc.Str("leadId");
  lc.lead = FindRecord(*lc.lead_obj, lc.lead_id);
  lc.status = lc.Str("convertedStatus");
  if (lc.lead_id.empty()) {
    lc.Fail({"REQUIRED_FIELD_MISSING", "Required fields are missing: [leadId]", {"leadId"}});
  } else if (!lc.lead) {
    lc.Fail({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"leadId"}});
  } else if (lc.lead->deleted) {
    lc.Fail({"ENTITY_IS_DELETED", "entity is deleted", {}});
  } else if (lc.lead->fields.value("IsConverted", false) == true) {
    lc.Fail({"CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", {}});
  } else if (std::find(settings_.converted_statuses.begin(), settings_.converted_statuses.end(), lc.status) ==
             settings_.converted_statuses.end()) {
    lc.Fail({"INVALID_STATUS", "invalid convertedStatus: " + lc.status, {"convertedStatus"}});
  } else if (c.PartialFault(index)) {
    lc.Fail(LockError());
  }
}

// 1. the account: existing (fill empty fields) or new
void SalesforceEmulator::ConvertToAccount(Call& c, LeadConversion& lc) {
  lc.account_id = lc.Str("accountId");
  if (!lc.account_id.empty()) {
    Record* acc = FindRecord(*lc.account_obj, lc.account_id);
    if (!acc || acc->deleted) {
      lc.Fail({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"accountId"}});
    } else {
      Json changes = Json::object();
      lc.Copy(*lc.account_obj, kLeadToAccount, &changes, acc, true);
      changes.erase("Name");
      lc.account_id = acc->id;
      Update(*lc.account_obj, lc.account_id, changes, lc.tx, c, SIZE_MAX, &lc.errors, &lc.request_error);
    }
  } else {
    Json input = Json::object();
    lc.Copy(*lc.account_obj, kLeadToAccount, &input, nullptr, false);
    Insert(*lc.account_obj, input, lc.tx, c, SIZE_MAX, &lc.account_id, &lc.errors, &lc.request_error);
  }
}

// 2. the contact: existing (fill empty fields) or new, on the account
void SalesforceEmulator::ConvertToContact(Call& c, LeadConversion& lc) {
  lc.contact_id = lc.Str("contactId");
  if (!lc.contact_id.empty()) {
    Record* con = FindRecord(*lc.contact_obj, lc.contact_id);
    if (!con || con->deleted) {
      lc.Fail({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"contactId"}});
    } else {
      Json changes = Json::object();
      lc.Copy(*lc.contact_obj, kLeadToContact, &changes, con, true);
      lc.contact_id = con->id;
      Update(*lc.contact_obj, lc.contact_id, changes, lc.tx, c, SIZE_MAX, &lc.errors, &lc.request_error);
    }
  } else {
    Json input = Json::object();
    lc.Copy(*lc.contact_obj, kLeadToContact, &input, nullptr, false);
    if (lc.contact_obj->schema.FindField("AccountId")) input["AccountId"] = lc.account_id;
    Insert(*lc.contact_obj, input, lc.tx, c, SIZE_MAX, &lc.contact_id, &lc.errors, &lc.request_error);
  }
}

// 3. the opportunity: new, on the account, at the first (or default) stage, closing in 30 days
void SalesforceEmulator::ConvertToOpportunity(Call& c, LeadConversion& lc) {
  Object* opp_obj = lc.opp_obj;
  Json input = Json::object();
  lc.Copy(*opp_obj, kLeadToOpportunity, &input, nullptr, false);
  std::string name = lc.Str("opportunityName");
  if (name.empty()) name = lc.lead->fields.value("Company", std::string("")) + "-";
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
  if (opp_obj->schema.FindField("AccountId")) input["AccountId"] = lc.account_id;
  Insert(*opp_obj, input, lc.tx, c, SIZE_MAX, &lc.opp_id, &lc.errors, &lc.request_error);
}

// 4. the lead: converted (system fields, written past writability checks)
void SalesforceEmulator::MarkLeadConverted(Call& c, LeadConversion& lc) {
  Object* lead_obj = lc.lead_obj;
  size_t at = static_cast<size_t>(lc.lead - lead_obj->records.data());
  Json candidate = lc.lead->fields;
  candidate["IsConverted"] = true;
  candidate["Status"] = lc.status;
  if (lead_obj->schema.FindField("ConvertedDate")) candidate["ConvertedDate"] = FormatDate(c.now_ms);
  if (lead_obj->schema.FindField("ConvertedAccountId")) candidate["ConvertedAccountId"] = lc.account_id;
  if (lead_obj->schema.FindField("ConvertedContactId")) candidate["ConvertedContactId"] = lc.contact_id;
  if (lead_obj->schema.FindField("ConvertedOpportunityId"))
    candidate["ConvertedOpportunityId"] = lc.opp_id.empty() ? Json() : Json(lc.opp_id);
  Commit(*lead_obj, at, candidate, false, lc.tx, c.now_ms);
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
    return c.Send(
        400, ErrorArray("INVALID_TYPE", "lead conversion needs the Lead, Account and Contact objects in the seed"));
  bool all_or_none = body.contains("allOrNone") && body["allOrNone"].is_boolean() && body["allOrNone"].get<bool>();
  Tx all;
  Json results = Json::array();
  std::vector<bool> ok;
  for (size_t i = 0; i < converts.size(); ++i) {
    LeadConversion lc(converts[i], lead_obj, account_obj, contact_obj, opp_obj);
    CheckLeadToConvert(c, i, lc);
    if (lc.errors.empty()) ConvertToAccount(c, lc);
    if (lc.Ok()) ConvertToContact(c, lc);
    if (lc.Ok() && !lc.Flag("doNotCreateOpportunity") && opp_obj) ConvertToOpportunity(c, lc);
    if (lc.Ok()) MarkLeadConverted(c, lc);
    if (lc.request_error) {
      lc.errors.push_back({lc.request_error->body[0].value("errorCode", "INVALID_FIELD"),
                           lc.request_error->body[0].value("message", ""),
                           {}});
    }
    bool success = lc.errors.empty();
    if (!success) Rollback(lc.tx);
    for (auto& u : lc.tx.undo) all.undo.push_back(std::move(u));
    if (all.cdc_mark == SIZE_MAX) all.cdc_mark = lc.tx.cdc_mark;  // its change events, if any stayed
    ok.push_back(success);
    Json r;
    r["leadId"] = lc.lead_id.empty() ? Json() : Json(lc.lead ? lc.lead->id : lc.lead_id);
    r["accountId"] = success ? Json(lc.account_id) : Json();
    r["contactId"] = success ? Json(lc.contact_id) : Json();
    r["opportunityId"] = success && !lc.opp_id.empty() ? Json(lc.opp_id) : Json();
    r["success"] = success;
    r["errors"] = SaveResult(nullptr, false, lc.errors)["errors"];
    results.push_back(r);
  }
  AllOrNone(all_or_none, ok, all, &results, true);
  c.Send(200, results);
}

}  // namespace accord::sandbox
