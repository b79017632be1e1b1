// people_peer: the example's `people` sync toward HubSpot (examples/salesforce-hubspot/
// syncs.accord) written by hand in C++ with simdjson, the reference `accord map` is measured
// against on that sync (issue 16). It reads Salesforce Contacts as JSON Lines on stdin
// (`w_gen N SEED --example` writes them) and writes what
// `accord map examples/salesforce-hubspot --sync people --to hubspot` writes.
//
//   people_peer < contacts.jsonl > out.jsonl
//
// What the rules say, for the data the generator writes: records with a null Email or with
// IsDeleted are out of scope; a blank value (null, "" or ASCII white space) is never written
// (`blank ignore`); Email is trimmed and lower-cased; full_name is FirstName (or "") + " " +
// LastName. bench/w/people_peer_test.sh checks that its output equals accord's byte for byte.
#include <string>
#include <string_view>

#include "peer_util.h"

namespace {

using peer::IsBlank;
using peer::Property;
using peer::ReadText;
using peer::Text;

struct Contact {
  Text id, first, last, email, phone, mobile, title, city, state, country, lead_source;
  bool is_deleted = false;
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
    else if (key == "MobilePhone")
      ok = ReadText(v, c.mobile);
    else if (key == "Title")
      ok = ReadText(v, c.title);
    else if (key == "MailingCity")
      ok = ReadText(v, c.city);
    else if (key == "MailingState")
      ok = ReadText(v, c.state);
    else if (key == "MailingCountry")
      ok = ReadText(v, c.country);
    else if (key == "LeadSource")
      ok = ReadText(v, c.lead_source);
    else if (key == "IsDeleted")
      ok = !v.get_bool().get(c.is_deleted);
    if (!ok) return false;
  }
  return true;
}

void Copy(std::string& out, bool& first, const char* name, const Text& t) {
  if (t.present && !IsBlank(t.value)) Property(out, first, name, t.value);
}

void MapContact(const Contact& c, std::string& out) {
  out += "{\"id\":";
  peer::AppendJsonString(out, c.id.value);
  out += ",\"properties\":{";
  bool first = true;
  Copy(out, first, "firstname", c.first);
  Copy(out, first, "lastname", c.last);
  std::string email(peer::Trim(c.email.value));
  for (char& ch : email)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
  if (!email.empty()) Property(out, first, "email", email);
  Copy(out, first, "phone", c.phone);
  Copy(out, first, "mobilephone", c.mobile);
  Copy(out, first, "jobtitle", c.title);
  Copy(out, first, "city", c.city);
  Copy(out, first, "state", c.state);
  Copy(out, first, "country", c.country);
  Copy(out, first, "lead_source", c.lead_source);
  Copy(out, first, "salesforce_contact_id", c.id);
  std::string full_name(c.first.present ? c.first.value : "");
  full_name += ' ';
  full_name += c.last.value;
  Property(out, first, "full_name", full_name);
  out += "}}\n";
}

}  // namespace

int main() {
  std::string out;
  return peer::ForEachRecord(out, [&](simdjson::ondemand::object obj, size_t) {
    Contact c;
    if (!ReadContact(obj, c)) return 0;
    if (!c.email.present || c.is_deleted) return 1;  // out of scope
    MapContact(c, out);
    return 1;
  });
}
