// w_peer: workload W (bench/w/README.md) written by hand in C++ with simdjson, without a DSL:
// the reference `accord map` is measured against (issue 16). It reads Salesforce Contacts as
// JSON Lines on stdin and writes what `accord map bench/w --sync w --to hubspot` writes:
// one {"id":..,"properties":{..}} line per record whose Email is not blank.
//
//   w_peer < contacts.jsonl > out.jsonl
//
// Written plainly: simdjson On-Demand, one document per line, the fields picked out by name,
// std::string for the output, std::unordered_map for the two value tables. It does what the
// rules say for the data W's generator writes (blank = null, "" or ASCII white space; trim
// strips ASCII white space); a record with a status the table lacks is reported on stderr and
// not written, as accord's `else -> reject` does. tests/w_peer_test.sh checks that its output
// equals accord's byte for byte.
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>

#include "peer_util.h"

namespace {

using peer::AppendJsonString;
using peer::IsBlank;
using peer::IsSpace;
using peer::Property;
using peer::ReadText;
using peer::Text;
using peer::Trim;

const std::unordered_map<std::string_view, std::string_view> kIndustry = {
    {"Agriculture", "FARMING"},
    {"Apparel", "APPAREL_FASHION"},
    {"Banking", "BANKING"},
    {"Biotechnology", "BIOTECHNOLOGY"},
    {"Chemicals", "CHEMICALS"},
    {"Communications", "TELECOMMUNICATIONS"},
    {"Construction", "CONSTRUCTION"},
    {"Consulting", "MANAGEMENT_CONSULTING"},
    {"Education", "EDUCATION_MANAGEMENT"},
    {"Electronics", "CONSUMER_ELECTRONICS"},
    {"Energy", "OIL_ENERGY"},
    {"Engineering", "MECHANICAL_OR_INDUSTRIAL_ENGINEERING"},
    {"Entertainment", "ENTERTAINMENT"},
    {"Environmental", "ENVIRONMENTAL_SERVICES"},
    {"Finance", "FINANCIAL_SERVICES"},
    {"Food & Beverage", "FOOD_BEVERAGES"},
    {"Government", "GOVERNMENT_ADMINISTRATION"},
    {"Healthcare", "HOSPITAL_HEALTH_CARE"},
    {"Hospitality", "HOSPITALITY"},
    {"Insurance", "INSURANCE"},
    {"Machinery", "MACHINERY"},
    {"Manufacturing", "MACHINERY"},
    {"Media", "MEDIA_PRODUCTION"},
    {"Not For Profit", "NON_PROFIT_ORGANIZATION_MANAGEMENT"},
    {"Other", "OTHER"},
    {"Recreation", "RECREATIONAL_FACILITIES_AND_SERVICES"},
    {"Retail", "RETAIL"},
    {"Shipping", "PACKAGE_FREIGHT_DELIVERY"},
    {"Technology", "INFORMATION_TECHNOLOGY_AND_SERVICES"},
    {"Telecommunications", "TELECOMMUNICATIONS"},
    {"Transportation", "TRANSPORTATION_TRUCKING_RAILROAD"},
    {"Utilities", "UTILITIES"},
};

const std::unordered_map<std::string_view, std::string_view> kLeadStatus = {
    {"New", "NEW"},
    {"Working", "IN_PROGRESS"},
    {"Qualified", "OPEN_DEAL"},
    {"Unqualified", "UNQUALIFIED"},
};

struct Contact {
  Text id, first, last, email, phone, title, industry, revenue, status;
  bool is_customer = false;
};

bool ReadContact(simdjson::ondemand::object obj, Contact& c) {
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    simdjson::ondemand::value v = field.value();
    bool ok = true;
    if (key == "Id")
      ok = ReadText(v, c.id);
    else if (key == "FirstName")
      ok = ReadText(v, c.first);
    else if (key == "LastName")
      ok = ReadText(v, c.last);
    else if (key == "Email")
      ok = ReadText(v, c.email);
    else if (key == "Phone")
      ok = ReadText(v, c.phone);
    else if (key == "Title")
      ok = ReadText(v, c.title);
    else if (key == "Industry")
      ok = ReadText(v, c.industry);
    else if (key == "Status")
      ok = ReadText(v, c.status);
    else if (key == "AnnualRevenue") {
      if (!v.is_null()) {  // a JSON number: its text is what HubSpot gets
        std::string_view raw = v.raw_json_token();
        while (!raw.empty() && (IsSpace(raw.back()) || raw.back() == ',')) raw.remove_suffix(1);
        c.revenue = {raw, true};
      }
    } else if (key == "IsCustomer") {
      ok = !v.get_bool().get(c.is_customer);
    }
    if (!ok) return false;
  }
  return true;
}

// Appends the output line of one record; false (nothing appended) for a rejected one.
bool MapContact(const Contact& c, std::string& out, std::string& why) {
  std::string_view lead_status;
  if (c.status.present && !IsBlank(c.status.value)) {
    auto it = kLeadStatus.find(c.status.value);
    if (it == kLeadStatus.end()) {
      why = "no LeadStatus for \"" + std::string(c.status.value) + "\"";
      return false;
    }
    lead_status = it->second;
  }
  out += "{\"id\":";
  AppendJsonString(out, c.id.value);
  out += ",\"properties\":{";
  bool first = true;
  if (c.first.present && !IsBlank(c.first.value)) Property(out, first, "firstname", c.first.value);
  if (c.last.present && !IsBlank(c.last.value)) Property(out, first, "lastname", c.last.value);
  std::string email(Trim(c.email.value));
  for (char& ch : email)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
  Property(out, first, "email", email);
  if (c.phone.present && !IsBlank(c.phone.value)) {
    std::string digits;
    for (char ch : c.phone.value)
      if (ch >= '0' && ch <= '9') digits += ch;
    Property(out, first, "phone", digits);
  }
  if (c.title.present && !IsBlank(c.title.value)) Property(out, first, "jobtitle", c.title.value);
  if (c.industry.present && !IsBlank(c.industry.value)) {
    auto it = kIndustry.find(c.industry.value);
    Property(out, first, "industry", it == kIndustry.end() ? "OTHER" : it->second);
  }
  if (c.revenue.present) Property(out, first, "annualrevenue", c.revenue.value);
  if (!lead_status.empty()) Property(out, first, "hs_lead_status", lead_status);
  std::string_view stage = c.is_customer                                       ? "customer"
                           : c.status.present && c.status.value == "Qualified" ? "salesqualifiedlead"
                                                                               : "lead";
  Property(out, first, "lifecyclestage", stage);
  out += "}}\n";
  return true;
}

}  // namespace

int main() {
  std::string out, why;
  return peer::ForEachRecord(out, [&](simdjson::ondemand::object obj, size_t line_no) {
    Contact c;
    if (!ReadContact(obj, c)) return 0;
    if (!c.email.present || IsBlank(c.email.value)) return 1;  // out of scope
    if (!MapContact(c, out, why)) {
      std::fprintf(stderr, "line %zu: %s\n", line_no, why.c_str());
      return -1;
    }
    return 1;
  });
}
