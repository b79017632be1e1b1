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
#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

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

bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool IsBlank(std::string_view s) {
  for (char c : s)
    if (!IsSpace(c)) return false;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// One optional string field of the record.
struct Text {
  std::string_view value;
  bool present = false;  // false: absent or null
};

struct Contact {
  Text id, first, last, email, phone, title, industry, revenue, status;
  bool is_customer = false;
};

// Reads a string-or-null field; false when it is neither.
bool ReadText(simdjson::ondemand::value v, Text& t) {
  if (v.is_null()) return true;
  if (v.get_string().get(t.value)) return false;
  t.present = true;
  return true;
}

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

void Property(std::string& out, bool& first, const char* name, std::string_view value) {
  out += first ? "\"" : ",\"";
  first = false;
  out += name;
  out += "\":";
  AppendJsonString(out, value);
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
  std::string input(size_t{8} << 20, '\0');  // whole lines, then simdjson's padding
  size_t have = 0, pos = 0, line_no = 0;
  bool eof = false;
  simdjson::ondemand::parser parser;
  std::string out, why;
  out.reserve(size_t{1} << 21);
  int status = 0;
  for (;;) {
    const char* nl = have > pos ? static_cast<const char*>(std::memchr(input.data() + pos, '\n', have - pos)) : nullptr;
    if (!nl && !eof) {  // keep the unfinished line, read behind it
      std::memmove(input.data(), input.data() + pos, have - pos);
      have -= pos;
      pos = 0;
      if (input.size() - have < (size_t{1} << 20) + simdjson::SIMDJSON_PADDING) input.resize(input.size() * 2);
      size_t n = std::fread(input.data() + have, 1, input.size() - have - simdjson::SIMDJSON_PADDING, stdin);
      if (n == 0) eof = true;
      have += n;
      continue;
    }
    if (pos >= have) break;
    const char* end = nl ? nl : input.data() + have;
    std::string_view line(input.data() + pos, static_cast<size_t>(end - (input.data() + pos)));
    pos = static_cast<size_t>(end - input.data()) + 1;
    ++line_no;
    if (IsBlank(line)) continue;
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    Contact c;
    size_t capacity = static_cast<size_t>(input.data() + input.size() - line.data());
    if (parser.iterate(line.data(), line.size(), capacity).get(doc) || doc.get_object().get(obj) ||
        !ReadContact(obj, c)) {
      std::fprintf(stderr, "line %zu: malformed record\n", line_no);
      status = 1;
      continue;
    }
    if (!c.email.present || IsBlank(c.email.value)) continue;  // out of scope
    if (!MapContact(c, out, why)) {
      std::fprintf(stderr, "line %zu: %s\n", line_no, why.c_str());
      status = 1;
    }
    if (out.size() > (size_t{1} << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return status;
}
