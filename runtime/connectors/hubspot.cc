#include "runtime/connectors/hubspot.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <thread>
#include <unordered_set>

#include "base/time.h"
#include "runtime/connectors/wire_values.h"

namespace accord::connectors {

using json = nlohmann::json;

namespace {

constexpr size_t kBatch = 100;  // inputs per batch write / association batch read

// ms since the epoch -> 2026-11-30T08:00:00.000Z / 2026-11-30.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string IsoMs(int64_t ms) {
  int64_t days = FloorDiv(ms, 86400000);
  int64_t rest = ms - days * 86400000;
  int64_t y;
  unsigned m, d;
  base::CivilFromDays(days, &y, &m, &d);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(y), m, d,
                static_cast<int>(rest / 3600000), static_cast<int>(rest / 60000 % 60),
                static_cast<int>(rest / 1000 % 60), static_cast<int>(rest % 1000));
  return buf;
}
std::string DateOf(int64_t ms) { return IsoMs(ms).substr(0, 10); }

bool AllDigits(const std::string& s) {
  size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// The value of digits (a leading '-' allowed) the server sent; nullopt when `s` is not
// such a number or does not fit int64 (bad input, never an exception).
std::optional<int64_t> IntOf(const std::string& s) {
  if (!AllDigits(s)) return std::nullopt;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// ISO-8601 (date, or date-time with optional fraction and Z / ±hh:mm: base::kHubSpotWire) or epoch ms -> ms.
bool ParseMs(const std::string& s, int64_t* out) {
  if (AllDigits(s)) {
    std::optional<int64_t> n = IntOf(s);
    if (n) *out = *n;
    return n.has_value();
  }
  std::optional<base::Instant> t = base::ParseTime(s, base::kHubSpotWire);
  if (t) *out = t->ms();
  return t.has_value();
}

std::string ObjectPath(const std::string& object) { return "/crm/v3/objects/" + UrlEncode(object); }

// The ids / input indexes an error entry of a batch response names.
std::vector<std::string> ContextList(const json& e, const char* key) {
  std::vector<std::string> out;
  if (!e.is_object() || !e.contains("context") || !e["context"].is_object()) return out;
  const json& c = e["context"];
  if (!c.contains(key)) return out;
  const json& v = c[key];
  auto add = [&](const json& x) {
    if (x.is_string())
      out.push_back(x.get<std::string>());
    else if (x.is_number_integer())
      out.push_back(std::to_string(x.get<int64_t>()));
  };
  if (v.is_array()) {
    for (const json& x : v) add(x);
  } else {
    add(v);
  }
  return out;
}

std::string IdText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return "";
}

json Parse(const std::string& body) { return json::parse(body, nullptr, false); }

// A Retry-After longer than this is not a rate-limit window but the DAILY limit (it runs to
// midnight): the HTTP client returns such a 429 instead of waiting (HttpOptions::
// max_retry_after_ms), and the call ends as a transient failure instead of blocking for hours.
constexpr int64_t kLongestWaitMs = 10 * 60 * 1000;

}  // namespace

std::string HubSpotConnector::ModstampProperty(const std::string& object) {
  return object == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate";
}

Text HubSpotConnector::DecodeValue(const schema::Field& f, const json& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number()) {
    if (f.native_type == "date" || f.native_type == "datetime") {
      int64_t ms = v.is_number_float() ? static_cast<int64_t>(v.get<double>()) : v.get<int64_t>();
      return f.native_type == "date" ? DateOf(ms) : IsoMs(ms);
    }
    return v.dump();
  }
  if (!v.is_string()) return std::nullopt;  // callers reject objects/arrays first
  std::string s = v.get<std::string>();
  if (s.empty()) return s;
  if (f.native_type == "date" || f.native_type == "datetime") {
    int64_t ms;
    // Epoch ms (older APIs and some integrations send them) -> ISO text; ISO text with
    // another precision or offset is normalized too; anything else passes through.
    if (ParseMs(s, &ms)) {
      if (f.native_type == "date") return DateOf(ms);
      return IsoMs(ms);
    }
    return s;
  }
  if (f.native_type == "bool") {
    if (s == "True" || s == "TRUE") return std::string("true");
    if (s == "False" || s == "FALSE") return std::string("false");
  }
  return s;  // numbers, enumerations (checkbox lists stay `;`-separated), strings
}

HubSpotConnector::HubSpotConnector(HubSpotOptions options)
    : options_(std::move(options)),
      budget_(options_.rate_limit_max * 1000.0 / std::max<int64_t>(1, options_.rate_limit_interval_ms),
              std::max(1.0, options_.rate_limit_max / 10.0)),
      search_budget_(options_.search_per_second, std::max(1.0, options_.search_per_second)) {
  secrets_.Add(options_.token);
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
  HttpOptions h = options_.http;
  h.max_retry_after_ms = std::min(h.max_retry_after_ms, kLongestWaitMs);
  h.budget = &budget_;
  http_ = std::make_unique<HttpClient>(h);
  h.budget = &search_budget_;
  search_http_ = std::make_unique<HttpClient>(h);
}

HubSpotConnector::~HubSpotConnector() = default;

base::Result<std::unique_ptr<HubSpotConnector>> HubSpotConnector::Open(HubSpotOptions options) {
  std::unique_ptr<HubSpotConnector> c(new HubSpotConnector(std::move(options)));
  if (c->options_.base_url.empty()) return base::Status::Error("HubSpot: no base URL");
  if (c->options_.token.empty()) return base::Status::Error("HubSpot: no access token");
  HttpResponse r = c->Send("GET", ObjectPath("contacts") + "?limit=1", "", Kind::kRead);
  if (r.status != 200) return base::Status::Error("HubSpot: checking the access token failed: " + c->ErrorText(r));
  return c;
}

HttpResponse HubSpotConnector::Send(const std::string& method, const std::string& path, const std::string& body,
                                    Kind kind, bool idempotent) {
  HttpResponse r;
  if (daily_remaining_ == 0) {
    // Every further call would be a DAILY 429 until midnight (UTC, portal time).
    r.status = 429;
    r.body = R"({"status":"error","message":"You have reached your daily limit.","policyName":"DAILY"})";
    return r;
  }
  HttpClient::Request req;
  req.method = method;
  req.url = options_.base_url + path;
  req.headers.push_back("Authorization: Bearer " + options_.token);
  req.headers.push_back("Accept: application/json");
  if (!body.empty() || method == "POST") {
    req.headers.push_back("Content-Type: application/json");
    req.body = body;
  }
  req.idempotent = idempotent;
  HttpClient& client = kind == Kind::kSearch ? *search_http_ : *http_;
  r = client.Send(req);
  // Only the DAILY limit asks for a longer wait than the client makes: no further call can
  // succeed today
  if (std::string after = r.Header("retry-after"); r.status == 429 && !after.empty() && AllDigits(after) &&
                                                   after.size() < 10 && std::stoll(after) * 1000 > kLongestWaitMs) {
    r.body = json{{"status", "error"},
                  {"message", "You have reached your daily limit (HubSpot asks to wait " +
                                  std::to_string(std::stoll(after) / 60) + " minutes)."},
                  {"policyName", "DAILY"}}
                 .dump();
    daily_remaining_ = 0;
  }
  int64_t n = std::max(1, r.attempts);
  (kind == Kind::kWrite ? calls_.writes : calls_.reads) += n;
  // Slow down before the 10-second limit: the server says what is left of its window.
  std::string rem = r.Header("x-hubspot-ratelimit-remaining"),
              win = r.Header("x-hubspot-ratelimit-interval-milliseconds");
  if (std::optional<int64_t> left = IntOf(rem), window = IntOf(win); left && window) {
    int64_t floor = std::max<int64_t>(2, options_.rate_limit_max / 20);
    budget_.Observe(*left, *window, floor);
  }
  if (std::optional<int64_t> daily = IntOf(r.Header("x-hubspot-ratelimit-daily-remaining"))) daily_remaining_ = *daily;
  if (std::optional<int64_t> daily = IntOf(r.Header("x-hubspot-ratelimit-daily"))) {
    limits_.daily_max = *daily;
    if (daily_remaining_ >= 0) limits_.daily_used = std::max<int64_t>(0, *daily - daily_remaining_);
  }
  if (std::optional<int64_t> max = IntOf(r.Header("x-hubspot-ratelimit-max"))) limits_.burst_max = *max;
  if (std::optional<int64_t> left = IntOf(rem)) limits_.burst_remaining = *left;
  if (std::optional<int64_t> window = IntOf(win)) limits_.burst_window_ms = *window;
  if (r.status == 429 && r.body.find("\"DAILY\"") != std::string::npos) daily_remaining_ = 0;
  return r;
}

std::string HubSpotConnector::ErrorText(const HttpResponse& r) const {
  std::string out;
  if (r.status == 0) {
    out = "no response (" + (r.transport_error.empty() ? std::string("connection failed") : r.transport_error) + ")";
  } else {
    out = "HTTP " + std::to_string(r.status);
    json j = Parse(r.body);
    if (j.is_object()) {
      std::string cat = j.value("category", j.value("policyName", std::string()));
      if (!cat.empty()) out += " " + cat;
      if (j.contains("message") && j["message"].is_string()) out += ": " + j["message"].get<std::string>();
    } else if (!r.body.empty()) {
      out += ": " + r.body.substr(0, 200);
    }
    if (r.status == 429 && r.body.find("\"DAILY\"") != std::string::npos)
      out += " (the portal's daily API limit is used up; the sync resumes after it resets)";
  }
  if (r.attempts > 1) out += " after " + std::to_string(r.attempts) + " attempts";
  return secrets_.Redact(out);
}

// ---------------------------------------------------------------- reads

bool HubSpotConnector::ParseRecord(const schema::Object& object, const json& j, Record* r, std::string* problem) const {
  if (!j.is_object()) return *problem = "a result that is not a JSON object", false;
  r->id = j.contains("id") ? IdText(j["id"]) : "";
  if (r->id.empty()) return *problem = "a record without an id", false;
  if (!j.contains("properties") || !j["properties"].is_object())
    return *problem = "record " + r->id + " has no properties object", false;
  const json& p = j["properties"];
  r->deleted = j.contains("archived") && j["archived"].is_boolean() && j["archived"].get<bool>();
  r->values.assign(object.fields.size(), std::nullopt);
  for (size_t slot = 0; slot < object.fields.size(); ++slot) {
    const schema::Field& f = object.fields[slot];
    auto it = p.find(f.name);
    if (it == p.end()) continue;
    // HubSpot sends strings (numbers and booleans for their own types): anything else is
    // a problem of this record, never coerced
    sync::JsonKind kind = sync::KindOf(*it);
    if (!sync::Fits(schema::System::kHubSpot, f, kind)) {
      bool nested = kind == sync::JsonKind::kArray || kind == sync::JsonKind::kObject;
      return *problem = "record " + r->id + ": " +
                        sync::WrongType(schema::System::kHubSpot, f, kind, nested ? "" : it->dump()),
             false;
    }
    r->values.set(slot, DecodeValue(f, *it));
  }
  std::string stamp_prop = ModstampProperty(object.name);
  r->modstamp.clear();
  int64_t ms;
  auto st = p.find(stamp_prop);
  std::string stamp = st != p.end() && st->is_string()   ? st->get<std::string>()
                      : st != p.end() && st->is_number() ? std::to_string(st->get<int64_t>())
                                                         : "";
  if (stamp.empty() && j.contains("updatedAt") && j["updatedAt"].is_string()) stamp = j["updatedAt"].get<std::string>();
  if (!stamp.empty()) {
    if (!ParseMs(stamp, &ms)) return *problem = "record " + r->id + ": unreadable " + stamp_prop + " " + stamp, false;
    r->modstamp = IsoMs(ms);
  }
  r->merged_ids.clear();
  auto mg = p.find("hs_merged_object_ids");
  if (mg != p.end() && mg->is_string()) {
    std::string s = mg->get<std::string>();
    size_t b = 0;
    while (b <= s.size()) {
      size_t e = s.find(';', b);
      if (e == std::string::npos) e = s.size();
      if (e > b) r->merged_ids.push_back(s.substr(b, e - b));
      b = e + 1;
    }
  }
  return true;
}

void HubSpotConnector::Unreadable(Mirror& m, ReadProblem p, std::vector<ReadProblem>* problems) {
  if (p.record_id.empty())
    problems->push_back(std::move(p));
  else
    m.unreadable[p.record_id] = std::move(p);
}

void HubSpotConnector::Merge(Mirror& m, Record r) {
  m.unreadable.erase(r.id);
  int64_t ms;
  if (!r.modstamp.empty() && ParseMs(r.modstamp, &ms)) m.newest_ms = std::max(m.newest_ms, ms);
  auto it = m.records.find(r.id);
  if (it == m.records.end()) {
    m.order.push_back(r.id);
    std::string id = r.id;
    m.records.emplace(std::move(id), std::move(r));
  } else {
    r.associations = std::move(it->second.associations);  // refreshed separately
    it->second = std::move(r);
  }
}

// Search sorted by the modstamp property ascending, `after` paging at the
// largest page. One query pages through at most `search_result_cap` results
// (HubSpot answers 400 past 10,000): at the cap the query starts again with
// `modstamp GTE <the last modstamp read>`, and records read twice (the ones at
// that modstamp) merge by id. Search rather than the list endpoint because the
// list endpoint cannot filter by modstamp, and one code path serves the full
// and the incremental read (200 records per call instead of 100, too).
base::Status HubSpotConnector::Search(const schema::Object& object, int64_t since_ms, Mirror& m,
                                      std::vector<std::string>* read_ids, std::vector<ReadProblem>* problems) {
  const std::string stamp_prop = ModstampProperty(object.name);
  json props = json::array();
  for (const schema::Field& f : object.fields) props.push_back(f.name);
  if (!object.FindField("hs_merged_object_ids")) props.push_back("hs_merged_object_ids");
  if (!object.FindField(stamp_prop)) props.push_back(stamp_prop);
  int64_t from = since_ms;  // -1: everything
  int64_t after = 0;
  int64_t last_ms = -1;
  const std::string path = ObjectPath(object.name) + "/search";
  for (;;) {
    json body;
    if (from >= 0) {
      body["filterGroups"] = json::array(
          {{{"filters",
             json::array({{{"propertyName", stamp_prop}, {"operator", "GTE"}, {"value", std::to_string(from)}}})}}});
    }
    body["sorts"] = json::array({{{"propertyName", stamp_prop}, {"direction", "ASCENDING"}}});
    body["properties"] = props;
    body["limit"] = options_.search_page_size;
    if (after > 0) body["after"] = std::to_string(after);
    HttpResponse r = Send("POST", path, body.dump(), Kind::kSearch);
    if (r.status != 200) return base::Status::Error("HubSpot: searching " + object.name + " failed: " + ErrorText(r));
    json j = Parse(r.body);
    if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
      return base::Status::Error("HubSpot: searching " + object.name +
                                 ": the response is not a search result (no results array)");
    for (const json& item : j["results"]) {
      Record rec;
      std::string problem;
      if (!ParseRecord(object, item, &rec, &problem)) {
        Unreadable(m, {rec.id, object.name + " search", problem}, problems);
        continue;
      }
      int64_t ms;
      if (!rec.modstamp.empty() && ParseMs(rec.modstamp, &ms)) last_ms = std::max(last_ms, ms);
      read_ids->push_back(rec.id);
      Merge(m, std::move(rec));
    }
    std::string next;
    if (j.contains("paging") && j["paging"].is_object() && j["paging"].contains("next") &&
        j["paging"]["next"].is_object() && j["paging"]["next"].contains("after"))
      next = IdText(j["paging"]["next"]["after"]);
    if (next.empty() || j["results"].empty()) break;
    std::optional<int64_t> cursor = IntOf(next);
    if (!cursor)
      return base::Status::Error("HubSpot: searching " + object.name + ": unexpected paging cursor " +
                                 secrets_.Redact(next));
    int64_t n = *cursor;
    if (n >= options_.search_result_cap) {
      // The query cannot page further: start again from the last modstamp read.
      if (last_ms <= from)
        return base::Status::Error("HubSpot: searching " + object.name + ": more than " +
                                   std::to_string(options_.search_result_cap) + " records share the " + stamp_prop +
                                   " " + IsoMs(last_ms) + "; they cannot be paged through search");
      from = last_ms;
      after = 0;
      continue;
    }
    after = n;
  }
  return base::Status::Ok();
}

// Pages through GET /crm/v3/objects/{type}?<query>, 100 per call, `after` from
// paging.next; each result goes to `each`.
base::Status HubSpotConnector::ListPages(const schema::Object& object, const std::string& query,
                                         const std::string& what, const std::function<void(const json&)>& each) {
  std::string after;
  for (;;) {
    std::string path = ObjectPath(object.name) + "?limit=100&" + query;
    if (!after.empty()) path += "&after=" + UrlEncode(after);
    HttpResponse r = Send("GET", path, "", Kind::kRead);
    if (r.status != 200) return base::Status::Error("HubSpot: listing " + what + " failed: " + ErrorText(r));
    json j = Parse(r.body);
    if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
      return base::Status::Error("HubSpot: listing " + what + ": the response has no results array");
    for (const json& item : j["results"]) each(item);
    after.clear();
    if (j.contains("paging") && j["paging"].is_object() && j["paging"].contains("next") &&
        j["paging"]["next"].is_object() && j["paging"]["next"].contains("after"))
      after = IdText(j["paging"]["next"]["after"]);
    if (after.empty() || j["results"].empty()) break;
  }
  return base::Status::Ok();
}

base::Status HubSpotConnector::List(const schema::Object& object, const std::vector<std::string>& assoc_types,
                                    Mirror& m, std::vector<ReadProblem>* problems) {
  std::string props, types;
  for (const schema::Field& f : object.fields) props += (props.empty() ? "" : ",") + UrlEncode(f.name);
  for (const std::string& extra : {std::string("hs_merged_object_ids"), ModstampProperty(object.name)})
    if (!object.FindField(extra)) props += "," + UrlEncode(extra);
  for (const std::string& t : assoc_types) types += (types.empty() ? "" : ",") + UrlEncode(t);
  return ListPages(object, "properties=" + props + "&associations=" + types, object.name, [&](const json& item) {
    Record rec;
    std::string problem;
    if (!ParseRecord(object, item, &rec, &problem)) {
      Unreadable(m, {rec.id, object.name + " list", problem}, problems);
      return;
    }
    // {"associations": {"companies": {"results": [{"id": "201", "type": "contact_to_company"}]}}}
    for (const std::string& t : assoc_types) {
      std::vector<std::string>& list = rec.associations[t];
      const json* a = item.contains("associations") && item["associations"].is_object() &&
                              item["associations"].contains(t) && item["associations"][t].is_object()
                          ? &item["associations"][t]
                          : nullptr;
      if (!a || !a->contains("results") || !(*a)["results"].is_array()) continue;
      for (const json& e : (*a)["results"]) {
        std::string id = e.is_object() && e.contains("id") ? IdText(e["id"]) : "";
        if (!id.empty() && std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
      }
    }
    Merge(m, std::move(rec));  // a first read: the mirror is empty, the inline associations stay
  });
}

// Archived records are only listed by GET /crm/v3/objects/{type}?archived=true
// (search has no archived filter): every Load pages through all of them, 100
// per call, which costs one call per 100 archived records (HubSpot keeps them
// 90 days). Only the id, modstamp and merge properties are requested.
base::Status HubSpotConnector::ReadArchived(const schema::Object& object, Mirror& m,
                                            std::vector<ReadProblem>* problems) {
  std::string props = UrlEncode(ModstampProperty(object.name)) + "," + "hs_merged_object_ids";
  return ListPages(object, "archived=true&properties=" + props, "archived " + object.name, [&](const json& item) {
    Record rec;
    std::string problem;
    if (!ParseRecord(object, item, &rec, &problem)) {
      problems->push_back({rec.id, object.name + " archived", problem});
      return;
    }
    rec.deleted = true;
    m.unreadable.erase(rec.id);  // known now: archived
    auto it = m.records.find(rec.id);
    if (it != m.records.end()) {
      // Keep the values last read; only the flag and the stamp move.
      it->second.deleted = true;
      if (!rec.modstamp.empty() && rec.modstamp > it->second.modstamp) it->second.modstamp = rec.modstamp;
    } else {
      Merge(m, std::move(rec));
    }
  });
}

base::Status HubSpotConnector::ReadAssociations(const schema::Object& object, const std::string& to,
                                                const std::vector<std::string>& ids, Mirror& m) {
  const std::string path = "/crm/v4/associations/" + UrlEncode(object.name) + "/" + UrlEncode(to) + "/batch/read";
  for (size_t b = 0; b < ids.size(); b += kBatch) {
    json inputs = json::array();
    for (size_t i = b; i < std::min(ids.size(), b + kBatch); ++i) {
      inputs.push_back({{"id", ids[i]}});
      auto it = m.records.find(ids[i]);
      if (it != m.records.end()) it->second.associations[to].clear();
    }
    HttpResponse r = Send("POST", path, json{{"inputs", inputs}}.dump(), Kind::kRead);
    if (r.status != 200 && r.status != 207)
      return base::Status::Error("HubSpot: reading " + object.name + " -> " + to +
                                 " associations failed: " + ErrorText(r));
    json j = Parse(r.body);
    if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
      return base::Status::Error("HubSpot: reading " + object.name + " -> " + to +
                                 " associations: the response has no results array");
    // 207 errors are OBJECT_NOT_FOUND entries for records without associations.
    if (j.contains("errors") && j["errors"].is_array()) {
      for (const json& e : j["errors"]) {
        if (e.value("category", std::string()) == "INTERNAL_ERROR")
          return base::Status::Error("HubSpot: reading " + object.name + " -> " + to + " associations: " +
                                     secrets_.Redact(e.value("message", std::string("internal error"))));
      }
    }
    for (const json& res : j["results"]) {
      if (!res.is_object() || !res.contains("from") || !res["from"].is_object()) continue;
      std::string from = IdText(res["from"].value("id", json()));
      auto it = m.records.find(from);
      if (it == m.records.end() || !res.contains("to") || !res["to"].is_array()) continue;
      std::vector<std::string>& list = it->second.associations[to];
      for (const json& t : res["to"]) {
        std::string id = t.is_object() && t.contains("toObjectId") ? IdText(t["toObjectId"]) : "";
        if (!id.empty() && std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
      }
    }
  }
  return base::Status::Ok();
}

// Push: the records named, by POST batch/read (100 a call), merged into the mirror; the
// search cursor (newest_ms) stays where the last search left it. An id HubSpot does not
// find is archived or merged away: the archived listing says which.
base::Status HubSpotConnector::ReadByIds(const schema::Object& object, const std::vector<std::string>& ids_in,
                                         Mirror& m, std::vector<std::string>* read_ids,
                                         std::vector<ReadProblem>* problems) {
  std::vector<std::string> ids;
  std::unordered_set<std::string> seen;
  for (const std::string& id : ids_in)
    if (!id.empty() && seen.insert(id).second) ids.push_back(id);
  const std::string stamp_prop = ModstampProperty(object.name);
  json props = json::array();
  for (const schema::Field& f : object.fields) props.push_back(f.name);
  if (!object.FindField("hs_merged_object_ids")) props.push_back("hs_merged_object_ids");
  if (!object.FindField(stamp_prop)) props.push_back(stamp_prop);
  const int64_t cursor = m.newest_ms;
  bool missing = false;
  const std::string path = ObjectPath(object.name) + "/batch/read";
  for (size_t b = 0; b < ids.size(); b += kBatch) {
    json inputs = json::array();
    for (size_t i = b; i < std::min(ids.size(), b + kBatch); ++i) inputs.push_back({{"id", ids[i]}});
    HttpResponse r = Send("POST", path, json{{"inputs", inputs}, {"properties", props}}.dump(), Kind::kRead);
    if (r.status != 200 && r.status != 207)
      return base::Status::Error("HubSpot: reading " + object.name + " by id failed: " + ErrorText(r));
    json j = Parse(r.body);
    if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
      return base::Status::Error("HubSpot: reading " + object.name + " by id: the response has no results array");
    size_t found = 0;
    for (const json& item : j["results"]) {
      Record rec;
      std::string problem;
      ++found;
      if (!ParseRecord(object, item, &rec, &problem)) {
        Unreadable(m, {rec.id, object.name + " batch read", problem}, problems);
        continue;
      }
      read_ids->push_back(rec.id);
      Merge(m, std::move(rec));
    }
    if (found < inputs.size()) missing = true;
  }
  if (missing)
    if (base::Status s = ReadArchived(object, m, problems); !s) return s;
  m.newest_ms = cursor;
  return base::Status::Ok();
}

base::Status HubSpotConnector::Load(const schema::Object& object, std::vector<Record>* out,
                                    std::vector<ReadProblem>* problems) {
  field_times_.Clear(object.name);  // a new pass asks again
  Mirror& m = mirrors_[object.name];
  // A failed Load leaves the mirror as it was: work on a copy.
  Mirror next = m;
  std::vector<std::string> read_ids;
  auto assoc = options_.associations.find(object.name);
  bool with_assoc = assoc != options_.associations.end() && !assoc->second.empty();
  if (scope_ && m.loaded && !scope_->Whole(object.name)) {
    // push: only the records named (none: nothing is read)
    auto named = scope_->ids.find(object.name);
    if (named != scope_->ids.end())
      if (base::Status s = ReadByIds(object, named->second, next, &read_ids, problems); !s) return s;
  } else {
    int64_t since =
        next.loaded && next.newest_ms >= 0 ? std::max<int64_t>(0, next.newest_ms - options_.overlap_ms) : -1;
    if (since < 0 && with_assoc) {
      if (base::Status s = List(object, assoc->second, next, problems); !s) return s;
    } else if (base::Status s = Search(object, since, next, &read_ids, problems); !s) {
      return s;
    }
    if (base::Status s = ReadArchived(object, next, problems); !s) return s;
  }
  if (with_assoc && !read_ids.empty()) {
    std::sort(read_ids.begin(), read_ids.end());
    read_ids.erase(std::unique(read_ids.begin(), read_ids.end()), read_ids.end());
    for (const std::string& to : assoc->second)
      if (base::Status s = ReadAssociations(object, to, read_ids, next); !s) return s;
  }
  next.loaded = true;
  m = std::move(next);
  for (const auto& [id, p] : m.unreadable) problems->push_back(p);
  out->clear();
  out->reserve(m.order.size());
  for (const std::string& id : m.order) out->push_back(m.records.at(id));
  return base::Status::Ok();
}

// POST batch/read with propertiesWithHistory: `history_batch_size` records a
// request (HubSpot's limit with history is 50). A chunk that fails leaves its
// times unknown: the record times decide, as they would without history.
void HubSpotConnector::PrefetchFieldChanges(const schema::Object& object, const std::vector<std::string>& record_ids,
                                            const std::vector<size_t>& slots) {
  std::vector<std::string> names;
  for (size_t slot : slots)
    if (slot < object.fields.size() && std::find(names.begin(), names.end(), object.fields[slot].name) == names.end())
      names.push_back(object.fields[slot].name);
  std::vector<std::string> ids;
  std::unordered_set<std::string> seen;
  for (const std::string& id : record_ids)
    if (!id.empty() && seen.insert(id).second) ids.push_back(id);
  if (names.empty()) return;
  const size_t chunk = static_cast<size_t>(std::max(1, options_.history_batch_size));
  const std::string path = ObjectPath(object.name) + "/batch/read";
  for (size_t b = 0; b < ids.size(); b += chunk) {
    json inputs = json::array();
    for (size_t i = b; i < std::min(ids.size(), b + chunk); ++i) {
      inputs.push_back({{"id", ids[i]}});
      for (const std::string& name : names) field_times_.Ask(object.name, ids[i], name);
    }
    HttpResponse r =
        Send("POST", path, json{{"inputs", inputs}, {"properties", names}, {"propertiesWithHistory", names}}.dump(),
             Kind::kRead);
    if (r.status != 200 && r.status != 207) continue;  // 207: OBJECT_NOT_FOUND for some ids
    // {"results": [{"id", "propertiesWithHistory": {"jobtitle": [{"value", "timestamp", ...}, ...]}}]}
    json j = Parse(r.body);
    if (!j.is_object() || !j.contains("results") || !j["results"].is_array()) continue;
    for (const json& res : j["results"]) {
      if (!res.is_object() || !res.contains("id") || !res.contains("propertiesWithHistory") ||
          !res["propertiesWithHistory"].is_object())
        continue;
      std::string id = IdText(res["id"]);
      for (const auto& [name, entries] : res["propertiesWithHistory"].items()) {
        if (!entries.is_array()) continue;
        for (const json& e : entries) {
          int64_t ms;
          if (e.is_object() && e.contains("timestamp") && e["timestamp"].is_string() &&
              ParseMs(e["timestamp"].get<std::string>(), &ms))
            field_times_.Set(object.name, id, name, IsoMs(ms));
        }
      }
    }
  }
}

std::string HubSpotConnector::FieldChangedAt(const schema::Object& object, const Record& record, size_t slot) {
  return field_times_.Answer(object, record.id, slot, [&] { PrefetchFieldChanges(object, {record.id}, {slot}); });
}

base::Result<std::string> HubSpotConnector::Properties(const std::string& object) {
  HttpResponse r = Send("GET", "/crm/v3/properties/" + UrlEncode(object), "", Kind::kRead);
  if (r.status != 200)
    return base::Status::Error("HubSpot: reading the properties of " + object + " failed: " + ErrorText(r));
  json j = Parse(r.body);
  if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
    return base::Status::Error("HubSpot: the properties of " + object + ": the response has no results array");
  return std::move(r.body);
}

// ---------------------------------------------------------------- writes

void HubSpotConnector::Fail(WriteResult& res, const HttpResponse& r, bool create) const {
  res.ok = false;
  res.message = ErrorText(r);
  json j = Parse(r.body);
  std::string category = j.is_object() ? j.value("category", std::string()) : "";
  if (r.status == 0 || r.status >= 500) {
    res.status_code = r.status == 0 ? "CONNECTION_FAILED" : "INTERNAL_ERROR";
    res.transient = true;
    if (create && (r.status != 0 || r.sent)) {
      res.maybe_applied = true;
      res.message += "; the create may have reached HubSpot, so it is not re-sent (the next pass matches it)";
    }
  } else if (r.status == 429) {
    res.status_code = j.is_object() ? j.value("policyName", std::string("RATE_LIMIT")) : "RATE_LIMIT";
    res.transient = true;
  } else {
    res.status_code = category.empty() ? "HTTP_" + std::to_string(r.status) : category;
    if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() &&
        j["errors"][0].is_object() && j["errors"][0].contains("code") && j["errors"][0]["code"].is_string())
      res.status_code = j["errors"][0]["code"].get<std::string>();
    if (r.status == 409 && j.is_object() && j.value("message", std::string()).rfind("Contact already exists", 0) == 0)
      res.status_code = "CONTACT_EXISTS";
    res.transient = false;
    // the one property HubSpot blames: the engine sends the record again without it
    std::set<std::string> props;
    if (j.is_object() && j.contains("errors") && j["errors"].is_array())
      for (const json& e : j["errors"])
        for (const std::string& p : ContextList(e, "propertyName")) props.insert(p);
    if (props.size() == 1) res.field = *props.begin();
  }
}

void HubSpotConnector::WriteBatch(const schema::Object& object, const std::vector<WriteOp>& ops,
                                  std::vector<size_t> idx, bool create, int retries_left,
                                  std::vector<WriteResult>& out) {
  if (idx.empty()) return;
  // Creates with an upsert key (Write groups them by field) upsert by that unique property:
  // sent again, an upsert updates the record the first try made.
  const bool upsert = create && UpsertValue(object, ops[idx[0]]);
  const std::string upsert_field = upsert ? ops[idx[0]].upsert_field : "";
  json inputs = json::array();
  for (size_t i : idx) {
    json props = json::object();
    for (const auto& [slot, text] : ops[i].fields) {
      if (slot >= object.fields.size()) continue;
      props[object.fields[slot].name] = text ? *text : std::string();  // "" clears
    }
    json in{{"properties", props}};
    if (!create) in["id"] = ops[i].id;
    if (upsert) {
      in["id"] = **UpsertValue(object, ops[i]);
      in["idProperty"] = upsert_field;
    } else if (create) {
      // HubSpot echoes objectWriteTraceId in the result of each input: creates map back by it
      // (the order of batch/create results is not promised).
      in["objectWriteTraceId"] = std::to_string(i);
    }
    inputs.push_back(std::move(in));
  }
  const std::string path = ObjectPath(object.name) + (upsert   ? "/batch/upsert"
                                                      : create ? "/batch/create"
                                                               : "/batch/update");
  // Creates are not idempotent: the HTTP layer only retries them when they cannot have been processed.
  HttpResponse r = Send("POST", path, json{{"inputs", inputs}}.dump(), Kind::kWrite, /*idempotent=*/!create || upsert);

  if (r.status == 200 || r.status == 201 || r.status == 207) {
    json j = Parse(r.body);
    if (!j.is_object() || !j.contains("results") || !j["results"].is_array()) {
      for (size_t i : idx) {
        out[i] =
            WriteResult{false,          ops[i].id,
                        "BAD_RESPONSE", "HubSpot answered " + std::to_string(r.status) + " without a results array",
                        true,           std::nullopt};
      }
      return;
    }
    std::vector<int> state(idx.size(), 0);              // 0 unknown, 1 ok, 2 failed, 3 retry
    std::unordered_map<std::string, size_t> pos_of_id;  // upserts: by the key (results and errors name it)
    if (!create || upsert)
      for (size_t k = 0; k < idx.size(); ++k)
        pos_of_id.emplace(upsert ? **UpsertValue(object, ops[idx[k]]) : ops[idx[k]].id, k);
    if (j.contains("errors") && j["errors"].is_array()) {
      for (const json& e : j["errors"]) {
        std::string cat = e.is_object() ? e.value("category", std::string("ERROR")) : "ERROR";
        std::string msg = secrets_.Redact(e.is_object() ? e.value("message", std::string()) : "");
        std::vector<size_t> hit;
        for (const std::string& s : ContextList(e, "inputIndex"))
          if (std::optional<int64_t> i = IntOf(s); i && *i >= 0 && static_cast<uint64_t>(*i) < idx.size())
            hit.push_back(static_cast<size_t>(*i));
        for (const std::string& s : ContextList(e, "ids")) {
          auto it = pos_of_id.find(s);
          if (it != pos_of_id.end()) hit.push_back(it->second);
        }
        for (size_t k : hit) {
          if (cat == "INTERNAL_ERROR") {
            state[k] = 3;
          } else {
            state[k] = 2;
            out[idx[k]] = WriteResult{false, ops[idx[k]].id, cat, msg, false, std::nullopt};
          }
        }
      }
    }
    size_t next_free = 0;
    for (const json& res : j["results"]) {
      std::string id = res.is_object() && res.contains("id") ? IdText(res["id"]) : "";
      size_t k = idx.size();
      // an upsert's result carries its key property (the order of results is not promised)
      auto key = upsert && res.is_object() && res.contains("properties") && res["properties"].is_object() &&
                         res["properties"].contains(upsert_field)
                     ? pos_of_id.find(IdText(res["properties"][upsert_field]))
                     : pos_of_id.end();
      if (key != pos_of_id.end() && state[key->second] == 0) {
        k = key->second;
      } else if (create) {
        std::string trace =
            res.is_object() && res.contains("objectWriteTraceId") ? IdText(res["objectWriteTraceId"]) : "";
        if (!trace.empty()) {
          for (size_t q = 0; q < idx.size(); ++q)
            if (std::to_string(idx[q]) == trace && state[q] == 0) k = q;
        } else {
          // No trace id: results follow the inputs that succeeded, in order (as the sandbox does).
          while (next_free < idx.size() && state[next_free] != 0) ++next_free;
          k = next_free;
        }
      } else {
        auto it = pos_of_id.find(id);
        if (it != pos_of_id.end()) k = it->second;
      }
      if (k >= idx.size()) continue;
      state[k] = 1;
      WriteResult w{true, id, "", "", false, std::nullopt};
      Record stored;
      std::string problem;
      if (ParseRecord(object, res, &stored, &problem)) w.stored = std::move(stored);
      out[idx[k]] = std::move(w);
    }
    std::vector<size_t> retry;
    for (size_t k = 0; k < idx.size(); ++k) {
      if (state[k] == 3) retry.push_back(idx[k]);
      if (state[k] == 0) {
        out[idx[k]] = WriteResult{false,
                                  ops[idx[k]].id,
                                  "NO_RESULT",
                                  "HubSpot's response has no result for this input" +
                                      std::string(create ? "; it may have been created, so it is not re-sent" : ""),
                                  true,
                                  std::nullopt};
        out[idx[k]].maybe_applied = create;
      }
    }
    if (!retry.empty()) {
      if (retries_left > 0) {
        WriteBatch(object, ops, retry, create, retries_left - 1, out);
      } else {
        for (size_t i : retry)
          out[i] = WriteResult{false,
                               ops[i].id,
                               "INTERNAL_ERROR",
                               "HubSpot could not process the input (INTERNAL_ERROR) after " +
                                   std::to_string(options_.write_retries + 1) + " tries",
                               true,
                               std::nullopt};
      }
    }
    return;
  }

  if ((r.status == 400 || r.status == 409) && idx.size() > 1 &&
      !(upsert && r.body.find("non-unique") != std::string::npos)) {  // that fails every input alike
    // HubSpot refused the whole batch for one input (or a few) and wrote nothing.
    // Its errors name the properties, not the inputs: first set apart the inputs that
    // write a named property (the suspects), then bisect.
    json j = Parse(r.body);
    std::set<std::string> named;
    bool schema_level = true;  // every error is about a property itself, whatever its value
    std::string first_code;
    if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
      for (const json& e : j["errors"]) {
        std::string code = e.is_object() ? e.value("code", std::string()) : "";
        if (first_code.empty()) first_code = code;
        schema_level = schema_level && (code == "PROPERTY_DOESNT_EXIST" || code == "READ_ONLY_VALUE");
        for (const std::string& p : ContextList(e, "propertyName")) named.insert(p);
      }
    }
    if (schema_level && !named.empty()) {
      // An unknown or read-only property fails every input that names it: no need to
      // bisect those (which would cost two calls per input when all of them set it).
      std::vector<size_t> rest;
      for (size_t i : idx) {
        std::string hit;
        for (const auto& [slot, text] : ops[i].fields)
          if (slot < object.fields.size() && named.count(object.fields[slot].name)) hit = object.fields[slot].name;
        if (hit.empty()) {
          rest.push_back(i);
        } else {
          out[i] =
              WriteResult{false,
                          ops[i].id,
                          first_code,
                          secrets_.Redact("HTTP " + std::to_string(r.status) + " VALIDATION_ERROR: " +
                                          j.value("message", std::string("property ") + hit + " cannot be written")),
                          false,
                          std::nullopt};
          out[i].field = hit;
        }
      }
      if (rest.size() < idx.size()) {
        WriteBatch(object, ops, rest, create, retries_left, out);
        return;
      }
    }
    std::vector<size_t> suspects, rest;
    if (!named.empty()) {
      for (size_t i : idx) {
        bool s = false;
        for (const auto& [slot, text] : ops[i].fields)
          s = s || (slot < object.fields.size() && named.count(object.fields[slot].name) && !IsBlank(text));
        (s ? suspects : rest).push_back(i);
      }
    }
    if (suspects.empty() || rest.empty()) {
      suspects.assign(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(idx.size() / 2));
      rest.assign(idx.begin() + static_cast<std::ptrdiff_t>(idx.size() / 2), idx.end());
    }
    WriteBatch(object, ops, rest, create, retries_left, out);
    if (suspects.size() == idx.size()) {
      // Cannot narrow further by property: halves.
      std::vector<size_t> a(suspects.begin(), suspects.begin() + static_cast<std::ptrdiff_t>(suspects.size() / 2));
      std::vector<size_t> b(suspects.begin() + static_cast<std::ptrdiff_t>(suspects.size() / 2), suspects.end());
      WriteBatch(object, ops, a, create, retries_left, out);
      WriteBatch(object, ops, b, create, retries_left, out);
    } else if (suspects.size() == 1) {
      WriteBatch(object, ops, suspects, create, retries_left, out);
    } else {
      std::vector<size_t> a(suspects.begin(), suspects.begin() + static_cast<std::ptrdiff_t>(suspects.size() / 2));
      std::vector<size_t> b(suspects.begin() + static_cast<std::ptrdiff_t>(suspects.size() / 2), suspects.end());
      WriteBatch(object, ops, a, create, retries_left, out);
      WriteBatch(object, ops, b, create, retries_left, out);
    }
    return;
  }

  for (size_t i : idx) {
    out[i].id = ops[i].id;
    Fail(out[i], r, create && !upsert);
    if (upsert && (r.status == 0 || r.status >= 500) && (r.status != 0 || r.sent)) {
      // sent again and again without an answer: the intent stays, and the next pass
      // finds the record by its key (a further upsert would update it, never copy it)
      out[i].maybe_applied = true;
      out[i].message += "; the upsert may have reached HubSpot: the next pass finds it by " + upsert_field;
    }
  }
}

void HubSpotConnector::ArchiveBatch(const schema::Object& object, const std::vector<WriteOp>& ops,
                                    const std::vector<size_t>& idx, std::vector<WriteResult>& out) {
  json inputs = json::array();
  for (size_t i : idx) inputs.push_back({{"id", ops[i].id}});
  HttpResponse r =
      Send("POST", ObjectPath(object.name) + "/batch/archive", json{{"inputs", inputs}}.dump(), Kind::kWrite);
  for (size_t i : idx) {
    out[i].id = ops[i].id;
    if (r.status == 204 || r.status == 200) {
      out[i].ok = true;
    } else {
      Fail(out[i], r, false);
    }
  }
}

// add_associations: the default (unlabeled) association, after the records are
// written, through the v4 batch endpoint (100 pairs per call; idempotent).
void HubSpotConnector::Associate(const schema::Object& object, const std::vector<WriteOp>& ops,
                                 std::vector<WriteResult>& out) {
  struct Pair {
    size_t op;
    std::string from, to;
  };
  std::map<std::string, std::vector<Pair>> by_type;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!out[i].ok || ops[i].kind == WriteOp::Kind::kDelete) continue;
    for (const auto& [type, ids] : ops[i].add_associations)
      for (const std::string& to : ids) by_type[type].push_back({i, out[i].id, to});
  }
  auto fail = [&](size_t i, const std::string& code, const std::string& message, bool transient) {
    WriteResult& w = out[i];
    if (ops[i].kind == WriteOp::Kind::kCreate) {
      // The record exists: a failed create result would make the engine create it again.
      // Keep it ok and say what is missing.
      if (!w.message.empty()) w.message += "; ";
      w.message += "created, but the association failed: " + code + ": " + message;
      return;
    }
    w.ok = false;
    w.status_code = code;
    w.message = message;
    w.transient = transient;
  };
  for (auto& [type, pairs] : by_type) {
    const std::string path =
        "/crm/v4/associations/" + UrlEncode(object.name) + "/" + UrlEncode(type) + "/batch/associate/default";
    for (size_t b = 0; b < pairs.size(); b += kBatch) {
      std::vector<Pair> todo(pairs.begin() + static_cast<std::ptrdiff_t>(b),
                             pairs.begin() + static_cast<std::ptrdiff_t>(std::min(pairs.size(), b + kBatch)));
      for (int attempt = 0; !todo.empty(); ++attempt) {
        json inputs = json::array();
        for (const Pair& p : todo) inputs.push_back({{"from", {{"id", p.from}}}, {"to", {{"id", p.to}}}});
        HttpResponse r = Send("POST", path, json{{"inputs", inputs}}.dump(), Kind::kWrite);
        if (r.status != 200 && r.status != 201 && r.status != 207) {
          WriteResult tmp;
          Fail(tmp, r, false);
          for (const Pair& p : todo) fail(p.op, tmp.status_code, tmp.message, tmp.transient);
          break;
        }
        json j = Parse(r.body);
        std::vector<Pair> retry;
        if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
          for (const json& e : j["errors"]) {
            std::string cat = e.is_object() ? e.value("category", std::string("ERROR")) : "ERROR";
            std::string msg = secrets_.Redact(e.is_object() ? e.value("message", std::string()) : "");
            std::set<std::string> froms;
            for (const std::string& s : ContextList(e, "fromObjectId")) froms.insert(s);
            for (const Pair& p : todo) {
              if (!froms.count(p.from)) continue;
              if (cat == "INTERNAL_ERROR" && attempt < options_.write_retries)
                retry.push_back(p);
              else
                fail(p.op, cat, msg, cat == "INTERNAL_ERROR");
            }
          }
        }
        todo = std::move(retry);
      }
    }
  }
}

std::vector<WriteResult> HubSpotConnector::Write(const schema::Object& object, const std::vector<WriteOp>& ops) {
  std::vector<WriteResult> out(ops.size());
  std::vector<size_t> creates, updates, deletes;
  std::map<std::string, std::vector<size_t>> upserts;  // creates by the property they upsert by
  for (size_t i = 0; i < ops.size(); ++i) {
    out[i].id = ops[i].id;
    if (UpsertValue(object, ops[i]))
      upserts[ops[i].upsert_field].push_back(i);
    else
      (ops[i].kind == WriteOp::Kind::kCreate   ? creates
       : ops[i].kind == WriteOp::Kind::kUpdate ? updates
                                               : deletes)
          .push_back(i);
  }
  if (options_.dry_run) {
    auto calls = [](size_t n) { return static_cast<int64_t>((n + kBatch - 1) / kBatch); };
    calls_.writes += calls(creates.size()) + calls(updates.size()) + calls(deletes.size());
    for (const auto& [field, idx] : upserts) calls_.writes += calls(idx.size());
    std::map<std::string, size_t> pairs;
    for (size_t i = 0; i < ops.size(); ++i) {
      out[i].ok = true;
      if (ops[i].kind == WriteOp::Kind::kCreate) out[i].id = "dry-run-" + std::to_string(++dry_counter_);
      if (ops[i].kind != WriteOp::Kind::kDelete)
        for (const auto& [type, ids] : ops[i].add_associations) pairs[type] += ids.size();
    }
    for (const auto& [type, n] : pairs) calls_.writes += calls(n);
    return out;
  }
  auto chunks = [&](const std::vector<size_t>& all, auto fn) {
    for (size_t b = 0; b < all.size(); b += kBatch)
      fn(std::vector<size_t>(all.begin() + static_cast<std::ptrdiff_t>(b),
                             all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), b + kBatch))));
  };
  chunks(creates,
         [&](std::vector<size_t> idx) { WriteBatch(object, ops, std::move(idx), true, options_.write_retries, out); });
  for (const auto& [field, idx] : upserts)
    chunks(idx,
           [&](std::vector<size_t> b) { WriteBatch(object, ops, std::move(b), true, options_.write_retries, out); });
  chunks(updates,
         [&](std::vector<size_t> idx) { WriteBatch(object, ops, std::move(idx), false, options_.write_retries, out); });
  chunks(deletes, [&](std::vector<size_t> idx) { ArchiveBatch(object, ops, idx, out); });
  Associate(object, ops, out);
  return out;
}

}  // namespace accord::connectors
