#include "runtime/connectors/salesforce.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "base/time.h"
#include "runtime/connectors/wire_values.h"

namespace accord::connectors {

using nlohmann::json;

namespace {

constexpr size_t kBatch = 200;   // sObject Collections' limit
constexpr int kLockRetries = 2;  // re-sends of UNABLE_TO_LOCK_ROW records within one Write

// ---- time -------------------------------------------------------------------

// YYYY-MM-DDTHH:MM:SS[.fff](Z|±HHMM|±HH:MM) -> ms since the epoch (base::kSalesforceWire).
bool ParseStampMs(const std::string& s, int64_t* ms) {
  std::optional<base::Instant> t = base::ParseTime(s, base::kSalesforceWire);
  if (t) *ms = t->ms();
  return t.has_value();
}

std::string FormatMs(int64_t ms, bool millis) {
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  if (millis)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(((ms % 1000) + 1000) % 1000));
  else
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// ---- values -----------------------------------------------------------------

// Compound and binary fields cannot be read in a multi-record query (or read
// as objects): they are not selected.
bool Selectable(const schema::Field& f) {
  const std::string& t = f.native_type;
  return t != "address" && t != "location" && t != "base64" && t != "complexvalue" && t != "anyType";
}

bool Contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

// Salesforce's error arrays: [{"errorCode"|"statusCode", "message"}], or an
// OAuth error object, or a bare {"errorCode","message"}.
void FirstError(const std::string& body, std::string* code, std::string* message) {
  json j = json::parse(body, nullptr, false);
  const json* e = nullptr;
  if (j.is_array() && !j.empty() && j[0].is_object())
    e = &j[0];
  else if (j.is_object())
    e = &j;
  if (!e) return;
  auto str = [&](const char* k) { return e->contains(k) && (*e)[k].is_string() ? (*e)[k].get<std::string>() : ""; };
  *code = str("errorCode");
  if (code->empty()) *code = str("statusCode");
  if (code->empty()) *code = str("error");
  *message = str("message");
  if (message->empty()) *message = str("error_description");
}

// ---- JWT ----------------------------------------------------------------------

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

base::Result<std::string> SignRs256(const std::string& pem, const std::string& data) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  if (bio) BIO_free(bio);
  if (!key) return base::Status::Error("the private key file is not a PEM private key");
  std::string sig;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (ok) {
    sig.assign(len, '\0');
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    sig.resize(len);
  }
  if (ctx) EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!ok) return base::Status::Error("signing the JWT failed (an RSA private key is needed for RS256)");
  return sig;
}

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// ---- where a token may go -----------------------------------------------------

// The domain families Salesforce serves orgs' API hosts from (My Domain URL
// formats: production, sandbox and partitioned orgs, Government Cloud Plus,
// Alibaba Cloud, and the setup/trial hosts). Only subdomains are accepted.
constexpr const char* kSalesforceDomains[] = {"salesforce.com", "force.com",        "salesforce.mil",
                                              "cloudforce.com", "sfcrmproducts.cn", "salesforce-setup.com"};

struct UrlParts {
  std::string scheme, host, port;  // lower-cased; port "" when absent
};

// scheme://host[:port] with at most a trailing "/"; no user info, path, query
// or fragment (an instance URL has none, and each could hide the real host).
bool SplitOrigin(const std::string& url, UrlParts* out) {
  size_t colon = url.find("://");
  if (colon == std::string::npos) return false;
  std::string rest = url.substr(colon + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  out->scheme = url.substr(0, colon);
  for (char& ch : out->scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (rest.empty() || rest.find_first_of("/?#@\\ ") != std::string::npos) return false;
  size_t port = rest[0] == '[' ? rest.find("]:") : rest.rfind(':');
  if (port != std::string::npos && rest[0] == '[') ++port;  // past the ']'
  out->host = rest.substr(0, port);
  out->port = port == std::string::npos ? "" : rest.substr(port + 1);
  for (char& ch : out->host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (out->host.empty()) return false;
  for (char ch : out->port)
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  return true;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "[::1]" ||
         (host.rfind("127.", 0) == 0 && host.find_first_not_of("0123456789.") == std::string::npos);
}

bool IsSalesforceHost(const std::string& host) {
  for (const char* domain : kSalesforceDomains) {
    std::string suffix = std::string(".") + domain;
    if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        host.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") == std::string::npos)
      return true;
  }
  return false;
}

// The instance URL a token response names receives the access token with every
// call: https on a Salesforce domain, or the very host (and port) the user gave;
// plain http only to a loopback host. "" when trusted, else why not.
std::string UntrustedInstanceUrl(const std::string& url, const std::vector<std::string>& user_urls) {
  UrlParts u;
  if (!SplitOrigin(url, &u) || (u.scheme != "https" && u.scheme != "http"))
    return "it is not an http(s)://host[:port] URL";
  if (u.scheme == "http" && !IsLoopbackHost(u.host)) return "plain http is accepted only for a loopback host";
  if (IsSalesforceHost(u.host)) return "";
  for (const std::string& given : user_urls) {
    UrlParts g;
    if (!given.empty() && SplitOrigin(TrimSlash(given), &g) && g.host == u.host && g.port == u.port) return "";
  }
  return "the host is neither on a Salesforce domain (*.salesforce.com, *.force.com, *.salesforce.mil, "
         "*.cloudforce.com, *.sfcrmproducts.cn, *.salesforce-setup.com) nor the host given with --salesforce or as "
         "the login URL";
}

}  // namespace

// ---- construction and auth ------------------------------------------------------

SalesforceConnector::SalesforceConnector(SalesforceOptions options) : options_(std::move(options)) {
  instance_url_ = TrimSlash(options_.instance_url);
  const SalesforceCredentials& c = options_.credentials;
  for (const std::string* s : {&c.access_token, &c.refresh_token, &c.client_secret}) secrets_.Add(*s);
  http_ = std::make_unique<HttpClient>(options_.http);
}

SalesforceConnector::~SalesforceConnector() = default;

base::Result<std::unique_ptr<SalesforceConnector>> SalesforceConnector::Open(SalesforceOptions options) {
  std::unique_ptr<SalesforceConnector> c(new SalesforceConnector(std::move(options)));
  const SalesforceCredentials& cr = c->options_.credentials;
  if (!cr.access_token.empty()) {
    c->SetToken(cr.access_token);
    if (c->instance_url_.empty())
      return base::Status::Error("Salesforce: an instance URL is needed with an access token");
    return c;
  }
  if (base::Status s = c->Authenticate(); !s) return s;
  return c;
}

bool SalesforceConnector::CanReauthenticate() const {
  const SalesforceCredentials& c = options_.credentials;
  return !c.refresh_token.empty() || (!c.username.empty() && !c.private_key_file.empty() && !c.client_id.empty());
}

base::Status SalesforceConnector::Authenticate() {
  const SalesforceCredentials& c = options_.credentials;
  std::string host = TrimSlash(c.login_url.empty() ? instance_url_ : c.login_url);
  if (host.empty()) return base::Status::Error("Salesforce: no instance URL or login URL to authenticate against");
  std::vector<std::pair<std::string, std::string>> form;
  std::string flow;
  if (!c.refresh_token.empty()) {
    flow = "refresh token";
    form = {{"grant_type", "refresh_token"}, {"refresh_token", c.refresh_token}};
    if (!c.client_id.empty()) form.push_back({"client_id", c.client_id});
    if (!c.client_secret.empty()) form.push_back({"client_secret", c.client_secret});
  } else if (!c.username.empty() && !c.private_key_file.empty() && !c.client_id.empty()) {
    flow = "JWT bearer";
    std::ifstream in(c.private_key_file, std::ios::binary);
    if (!in)
      return base::Status::Error("Salesforce authentication (JWT bearer): cannot read the private key file " +
                                 c.private_key_file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string pem = ss.str();
    secrets_.Add(pem);
    json header{{"alg", "RS256"}, {"typ", "JWT"}};
    json claims{{"iss", c.client_id},
                {"sub", c.username},
                {"aud", host},
                {"exp", static_cast<int64_t>(std::time(nullptr)) + 180}};
    std::string signing_input = B64Url(header.dump()) + "." + B64Url(claims.dump());
    base::Result<std::string> sig = SignRs256(pem, signing_input);
    if (!sig) return base::Status::Error("Salesforce authentication (JWT bearer): " + sig.status().message);
    std::string assertion = signing_input + "." + B64Url(*sig);
    secrets_.Add(assertion);
    form = {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", assertion}};
  } else {
    return base::Status::Error(
        "Salesforce: no credentials (an access token, a refresh token, or a username, private key and client id)");
  }
  HttpClient::Request req;
  req.method = "POST";
  req.url = host + "/services/oauth2/token";
  req.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  req.body = FormBody(form);
  HttpResponse r = http_->Send(req);
  if (r.status != 200) {
    std::string code, message;
    FirstError(r.body, &code, &message);
    std::string why = r.status == 0 ? "no response (" + r.transport_error + ")"
                                    : "HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code) +
                                          (message.empty() ? "" : ": " + message);
    return base::Status::Error(
        secrets_.Redact("Salesforce authentication (" + flow + ") at " + PathOf(req.url) + " failed: " + why));
  }
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
    return base::Status::Error("Salesforce authentication (" + flow +
                               ") failed: the token response has no access_token");
  secrets_.Add(j["access_token"].get<std::string>());
  if (j.contains("instance_url") && j["instance_url"].is_string() && !j["instance_url"].get<std::string>().empty()) {
    // The token goes wherever instance_url says: a forged or tampered response must
    // not send it to another host, or in clear text over the network.
    std::string url = j["instance_url"].get<std::string>();
    std::string why = UntrustedInstanceUrl(url, {options_.instance_url, c.login_url});
    if (!why.empty())
      return base::Status::Error(secrets_.Redact("Salesforce authentication (" + flow +
                                                 ") failed: the token response's instance_url " + url +
                                                 " is refused: " + why + "; no request was sent to it"));
    instance_url_ = TrimSlash(url);
  }
  SetToken(j["access_token"].get<std::string>());
  return base::Status::Ok();
}

// ---- the exchange ------------------------------------------------------------------

std::string SalesforceConnector::DataUrl(const std::string& path) const {
  return instance_url_ + "/services/data/" + options_.api_version + path;
}

void SalesforceConnector::NoteLimits(const HttpResponse& r) {
  std::string v = r.Header("sforce-limit-info");
  size_t p = v.find("api-usage=");
  if (p == std::string::npos) return;
  long long used = 0, max = 0;
  if (std::sscanf(v.c_str() + p + 10, "%lld/%lld", &used, &max) == 2) {
    api_used_ = used;
    api_max_ = max;
  }
}

bool SalesforceConnector::LimitReached() const {
  if (daily_limit_hit_) return true;
  return api_max_ > 0 && static_cast<double>(api_used_) >= options_.daily_limit_stop * static_cast<double>(api_max_);
}

HttpResponse SalesforceConnector::Send(HttpClient::Request req) {
  const bool write = req.method != "GET";
  // The org-wide concurrency storm is refused before processing: retry it.
  // The daily TotalRequests limit is not retried.
  req.retryable = [](const HttpResponse& r) {
    return r.status == 403 && Contains(r.body, "REQUEST_LIMIT_EXCEEDED") && !Contains(r.body, "TotalRequests");
  };
  std::vector<std::string> base = req.headers;
  for (int attempt = 0;; ++attempt) {
    req.headers = base;
    req.headers.push_back("Authorization: Bearer " + access_token_);
    req.headers.push_back("Accept: application/json");
    // names accord as the client of its writes: their change events say so in changeOrigin
    // (";client=accord"), and the change-event stream skips them (docs/connectors.md)
    if (write) req.headers.push_back("Sforce-Call-Options: client=accord");
    if (!req.body.empty()) req.headers.push_back("Content-Type: application/json");
    int64_t before = http_->exchanges();
    HttpResponse r = http_->Send(req);
    (write ? calls_.writes : calls_.reads) += http_->exchanges() - before;
    NoteLimits(r);
    if (r.status == 401 && attempt == 0 && CanReauthenticate()) {
      // A 401 is answered before processing: re-sending a create is safe. A failed
      // re-authentication returns the 401 itself, whose message the caller reports.
      if (Authenticate()) continue;
    }
    if (r.status == 403 && Contains(r.body, "TotalRequests")) daily_limit_hit_ = true;
    return r;
  }
}

std::string SalesforceConnector::ErrorText(const std::string& what, const HttpResponse& r) const {
  std::string text;
  if (r.status == 0) {
    text = what + ": no response from Salesforce (" + r.transport_error + ")";
  } else {
    std::string code, message;
    FirstError(r.body, &code, &message);
    text = what + ": HTTP " + std::to_string(r.status);
    if (!code.empty()) text += " " + code;
    if (!message.empty()) text += ": " + message;
    if (code.empty() && message.empty() && !r.body.empty()) text += ": " + r.body.substr(0, 200);
  }
  if (r.attempts > 1) text += " (after " + std::to_string(r.attempts) + " attempts)";
  return secrets_.Redact(text);
}

// ---- reading -------------------------------------------------------------------------

base::Status SalesforceConnector::QueryPages(const std::string& resource, const std::string& object,
                                             const std::string& soql, const RecordFn& each) {
  namespace od = simdjson::ondemand;
  std::string url = DataUrl("/" + resource + "?q=" + UrlEncode(soql));
  od::parser parser;
  int page = 0;
  while (!url.empty()) {
    ++page;
    HttpClient::Request req;
    req.url = url;
    HttpResponse r = Send(req);
    if (r.status != 200) {
      std::string what = "Salesforce query of " + object + (page > 1 ? " (page " + std::to_string(page) + ")" : "");
      std::string error = ErrorText(what, r);
      std::string code, message;
      FirstError(r.body, &code, &message);
      if (code == "INVALID_FIELD")
        error += secrets_.Redact(" — the schema of " + object +
                                 " names a field this org does not have (or the user cannot see); "
                                 "update the schema (accord schema pull)");
      return base::Status::Error(error);
    }
    std::string where = object + " query page " + std::to_string(page);
    auto malformed = [&](const std::string& why) {
      return base::Status::Error(secrets_.Redact("Salesforce query of " + object + ": malformed response (page " +
                                                 std::to_string(page) + "): " + why));
    };
    simdjson::padded_string padded(r.body);
    od::document doc;
    od::object root;
    if (parser.iterate(padded).get(doc) || doc.get_object().get(root)) return malformed("not a JSON object");
    std::string next;
    bool have_records = false, done = true;
    for (auto member : root) {
      std::string_view key;
      od::value v;
      if (member.unescaped_key().get(key) || member.value().get(v)) return malformed("invalid JSON");
      if (key == "nextRecordsUrl") {
        std::string_view s;
        if (v.get_string().get(s)) return malformed("nextRecordsUrl is not a string");
        next = std::string(s);
      } else if (key == "done") {
        if (v.get_bool().get(done)) return malformed("done is not a boolean");
      } else if (key == "records") {
        od::array arr;
        if (v.get_array().get(arr)) return malformed("records is not an array");
        have_records = true;
        size_t index = 0;
        for (auto item : arr) {
          ++index;
          od::value rv;
          std::string why;
          if (item.get(rv)) return malformed("invalid JSON in records");
          if (!each(rv, where + " record " + std::to_string(index), &why)) return malformed(why);
        }
      }
    }
    if (!have_records) return malformed("no records array");
    if (!done && next.empty()) return malformed("done is false without a nextRecordsUrl");
    if (!next.empty() && next[0] != '/') return malformed("nextRecordsUrl is not a path");
    url = next.empty() ? "" : instance_url_ + next;
  }
  return base::Status::Ok();
}

base::Status SalesforceConnector::Query(const schema::Object& object, const std::string& soql, Mirror* mirror,
                                        std::vector<ReadProblem>* problems) {
  namespace od = simdjson::ondemand;
  return QueryPages("queryAll", object.name, soql, [&](od::value rv, const std::string& where, std::string* malformed) {
    od::object o;
    if (rv.get_object().get(o)) {
      problems->push_back({"", where, "a record that is not a JSON object"});
      return true;
    }
    Record rec;
    rec.values.assign(object.fields.size(), std::nullopt);
    std::string problem;
    for (auto m : o) {
      std::string_view k;
      od::value fv;
      if (m.unescaped_key().get(k) || m.value().get(fv)) return *malformed = "invalid JSON in a record", false;
      if (!sync::ReadSalesforceMember(object, k, fv, &rec, &problem)) break;
    }
    auto unreadable = [&](ReadProblem p) {
      if (p.record_id.empty())
        problems->push_back(std::move(p));
      else
        mirror->unreadable[p.record_id] = std::move(p);
      return true;
    };
    if (!problem.empty() || rec.id.empty())
      // a value of the wrong type (or nested too deeply): a problem of the record, not of the page
      return unreadable(
          {rec.id, where,
           (rec.id.empty() ? "a record" : "record " + rec.id) + ": " + (problem.empty() ? "no Id" : problem)});
    std::string stamp_raw = rec.modstamp;
    if (!stamp_raw.empty() && !NormalizeStamp(stamp_raw, &rec.modstamp))
      return unreadable({rec.id, where, "SystemModstamp is not a date-time: " + stamp_raw});
    mirror->unreadable.erase(rec.id);
    if (const schema::Field* f = object.FindField("SystemModstamp"); f && !rec.modstamp.empty())
      rec.values.set(static_cast<size_t>(f - object.fields.data()), rec.modstamp);
    // Checkboxes are never null: an absent one reads as its default.
    for (size_t i = 0; i < object.fields.size(); ++i) {
      const schema::Field& f = object.fields[i];
      if (!rec.values[i] && f.type == schema::FieldType::kBool && !f.nillable && Selectable(f))
        rec.values.set(i, std::string(f.default_value == "true" ? "true" : "false"));
    }
    if (rec.modstamp > mirror->newest) mirror->newest = rec.modstamp;
    auto it = mirror->records.find(rec.id);
    if (it == mirror->records.end()) {
      mirror->order.push_back(rec.id);
      std::string id = rec.id;
      mirror->records.emplace(std::move(id), std::move(rec));
    } else if (rec.modstamp >= it->second.modstamp) {
      it->second = std::move(rec);
    }
    return true;
  });
}

namespace {

std::string SoqlString(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string SoqlList(const std::vector<std::string>& items, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) out += (i > begin ? ", " : "") + SoqlString(items[i]);
  return out;
}

}  // namespace

base::Status SalesforceConnector::Load(const schema::Object& object, std::vector<Record>* out,
                                       std::vector<ReadProblem>* problems) {
  field_times_.Clear(object.name);  // a new pass asks again
  Mirror& mirror = mirrors_[object.name];
  std::string fields = "Id";
  for (const schema::Field& f : object.fields)
    if (f.name != "Id" && Selectable(f)) fields += ", " + f.name;
  const bool incremental_ok = object.FindField("SystemModstamp") != nullptr;
  std::string soql = "SELECT " + fields + " FROM " + object.name;
  Mirror fresh;
  Mirror* target = &mirror;
  std::vector<ReadProblem> found;
  if (scope_ && mirror.loaded && !scope_->Whole(object.name)) {
    // push: only the records named, by Id, 200 a query (none: nothing is read); the cursor stays
    auto named = scope_->ids.find(object.name);
    std::vector<std::string> ids = named == scope_->ids.end() ? std::vector<std::string>() : named->second;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    Mirror next = mirror;
    for (size_t b = 0; b < ids.size(); b += 200) {
      std::string query = soql + " WHERE Id IN (" + SoqlList(ids, b, std::min(ids.size(), b + 200)) + ")";
      if (base::Status s = Query(object, query, &next, &found); !s) return s;
    }
    next.newest = mirror.newest;
    mirror = std::move(next);
    soql.clear();
  } else if (mirror.loaded && incremental_ok && !mirror.newest.empty()) {
    int64_t ms = 0;
    ParseStampMs(mirror.newest, &ms);
    // Second precision: the literal is rounded down, which only widens the overlap.
    soql += " WHERE SystemModstamp >= " + FormatMs(ms - options_.overlap_ms, false) + " ORDER BY SystemModstamp, Id";
  } else {
    target = &fresh;  // a full read replaces the mirror only when it succeeds
  }
  if (!soql.empty())
    if (base::Status s = Query(object, soql, target, &found); !s) return s;
  if (target == &fresh) {
    mirror = std::move(fresh);
    mirror.loaded = true;
  }
  problems->insert(problems->end(), found.begin(), found.end());
  for (const auto& [id, p] : mirror.unreadable) problems->push_back(p);
  out->clear();
  out->reserve(mirror.order.size());
  for (const std::string& id : mirror.order) out->push_back(mirror.records.at(id));
  return base::Status::Ok();
}

// ---- field history ----------------------------------------------------------------------

const SalesforceConnector::HistorySource& SalesforceConnector::HistoryOf(const schema::Object& object) {
  auto it = history_.find(object.name);
  if (it != history_.end()) return it->second;
  HistorySource h;  // a failed describe counts as none for the process: no call per conflict
  if (base::Result<std::string> body = Describe(object.name)) {
    json d = json::parse(*body, nullptr, false);
    const json* rels = d.is_object() && d.contains("childRelationships") ? &d["childRelationships"] : nullptr;
    if (rels && rels->is_array()) {
      for (const json& c : *rels) {
        if (!c.is_object() || !c.contains("relationshipName") || c["relationshipName"] != "Histories" ||
            !c.contains("childSObject") || !c["childSObject"].is_string() || !c.contains("field") ||
            !c["field"].is_string())
          continue;
        h.object = c["childSObject"].get<std::string>();
        h.parent_field = c["field"].get<std::string>();
      }
    }
  }
  return history_[object.name] = h;
}

// SELECT ContactId, Field, CreatedDate FROM ContactHistory WHERE ContactId IN (...) AND
// Field IN (...): the newest row per record and field is its change time. A query that
// fails (history not enabled, no access) leaves the times unknown.
void SalesforceConnector::PrefetchFieldChanges(const schema::Object& object, const std::vector<std::string>& record_ids,
                                               const std::vector<size_t>& slots) {
  namespace od = simdjson::ondemand;
  std::vector<std::string> fields, ids;
  for (size_t slot : slots)
    if (slot < object.fields.size() &&
        std::find(fields.begin(), fields.end(), object.fields[slot].name) == fields.end())
      fields.push_back(object.fields[slot].name);
  for (const std::string& id : record_ids)
    if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  for (const std::string& id : ids)
    for (const std::string& f : fields) field_times_.Ask(object.name, id, f);
  if (fields.empty() || ids.empty()) return;
  const HistorySource& h = HistoryOf(object);
  if (h.object.empty()) return;
  const size_t chunk = static_cast<size_t>(std::max(1, options_.history_batch_size));
  for (size_t b = 0; b < ids.size(); b += chunk) {
    std::string soql = "SELECT " + h.parent_field + ", Field, CreatedDate FROM " + h.object + " WHERE " +
                       h.parent_field + " IN (" + SoqlList(ids, b, std::min(ids.size(), b + chunk)) +
                       ") AND Field IN (" + SoqlList(fields, 0, fields.size()) + ")";
    // A chunk that fails leaves its times unknown: the record times decide.
    (void)QueryPages("query", h.object, soql, [&](od::value rv, const std::string&, std::string*) {
      od::object o;
      if (rv.get_object().get(o)) return true;
      std::string_view parent, field, created;
      for (auto m : o) {
        std::string_view key, text;
        od::value v;
        if (m.unescaped_key().get(key) || m.value().get(v) || v.get_string().get(text)) continue;
        if (key == h.parent_field)
          parent = text;
        else if (key == "Field")
          field = text;
        else if (key == "CreatedDate")
          created = text;
      }
      std::string at;
      if (NormalizeStamp(std::string(created), &at))
        field_times_.Set(object.name, std::string(parent), std::string(field), at);
      return true;
    });
  }
}

std::string SalesforceConnector::FieldChangedAt(const schema::Object& object, const Record& record, size_t slot) {
  std::string at =
      field_times_.Answer(object, record.id, slot, [&] { PrefetchFieldChanges(object, {record.id}, {slot}); });
  return at.empty() ? EventFieldTime(object, record, slot) : at;
}

void SalesforceConnector::NoteChangeEvents(const std::vector<ChangeEvent>& events) {
  for (const ChangeEvent& e : events) {
    for (const std::string& id : e.ids) {
      std::string key = e.object + '\n' + id;
      if (e.change_type == "DELETE") {
        event_times_.erase(key);
        continue;
      }
      if (e.values.empty()) continue;
      auto [it, added] = event_times_.try_emplace(key);
      if (added) {
        event_order_.push_back(key);
        while (event_order_.size() > kMaxEventRecords) {
          event_times_.erase(event_order_.front());
          event_order_.pop_front();
        }
      }
      EventTimes& t = it->second;
      t.newest_ms = std::max(t.newest_ms, e.commit_ms);
      for (const auto& [field, value] : e.values) {  // an event delivered late never undoes a newer one
        auto& f = t.fields[field];
        if (e.commit_ms >= f.first) f = {e.commit_ms, value};
      }
    }
  }
}

std::string SalesforceConnector::EventFieldTime(const schema::Object& object, const Record& record, size_t slot) const {
  if (slot >= object.fields.size()) return "";
  auto it = event_times_.find(object.name + '\n' + record.id);
  if (it == event_times_.end()) return "";
  auto f = it->second.fields.find(object.fields[slot].name);
  if (f == it->second.fields.end()) return "";
  // a change since the newest event seen (an event lost, the stream down): not known
  int64_t modstamp = 0;
  if (!ParseStampMs(record.modstamp, &modstamp) || modstamp / 1000 > it->second.newest_ms / 1000) return "";
  // the field still holds what its newest event set (a value as the query returns it)
  json v = json::parse(f->second.second, nullptr, false);
  const Text& now = slot < record.values.size() ? record.values[slot] : Text();
  Text then;
  if (v.is_string())
    then = v.get<std::string>();
  else if (v.is_boolean() || v.is_number())
    then = v.dump();
  else if (!v.is_null())
    return "";
  if (then != now) return "";
  return FormatMs(f->second.first, true);
}

base::Result<std::string> SalesforceConnector::Describe(const std::string& object) {
  HttpClient::Request req;
  req.url = DataUrl("/sobjects/" + UrlEncode(object) + "/describe");
  HttpResponse r = Send(req);
  if (r.status != 200) return base::Status::Error(ErrorText("Salesforce describe of " + object, r));
  if (!json::accept(r.body))
    return base::Status::Error("Salesforce describe of " + object + ": the response is not JSON");
  return std::move(r.body);
}

bool SalesforceConnector::NormalizeStamp(const std::string& in, std::string* out) {
  int64_t ms;
  if (!ParseStampMs(in, &ms)) return false;
  *out = FormatMs(ms, true);
  return true;
}

// ---- writing ---------------------------------------------------------------------------

void SalesforceConnector::WriteChunk(const schema::Object& object, const std::vector<WriteOp>& ops, WriteOp::Kind kind,
                                     const std::vector<size_t>& idx, std::vector<WriteResult>* results) {
  const bool create = kind == WriteOp::Kind::kCreate;
  // Creates with an upsert key (Write groups them by field) upsert by that External ID /
  // idLookup field: sent again, an upsert updates the record the first try made.
  const bool upsert = create && !idx.empty() && UpsertValue(object, ops[idx[0]]);
  const char* verb = upsert ? "upsert" : create ? "create" : kind == WriteOp::Kind::kUpdate ? "update" : "delete";
  auto fail_all = [&](const std::vector<size_t>& which, const std::string& code, const std::string& message,
                      bool transient, bool maybe_applied = false) {
    for (size_t i : which) {
      WriteResult& w = (*results)[i];
      w.ok = false;
      w.id = ops[i].id;
      w.status_code = code;
      w.message = message;
      w.transient = transient;
      w.maybe_applied = maybe_applied;
    }
  };
  std::vector<size_t> pending = idx;
  for (int round = 0; round <= kLockRetries && !pending.empty(); ++round) {
    if (LimitReached()) {
      fail_all(pending, "REQUEST_LIMIT_EXCEEDED",
               secrets_.Redact("Salesforce daily API limit (nearly) used: api-usage " + std::to_string(api_used_) +
                               "/" + std::to_string(api_max_) + "; writing stopped until it resets"),
               true);
      return;
    }
    HttpClient::Request req;
    if (kind == WriteOp::Kind::kDelete) {
      std::string ids;
      for (size_t i : pending) ids += (ids.empty() ? "" : ",") + UrlEncode(ops[i].id);
      req.method = "DELETE";
      req.url = DataUrl("/composite/sobjects?ids=" + ids + "&allOrNone=false");
    } else {
      json records = json::array();
      for (size_t i : pending) {
        json rec{{"attributes", {{"type", object.name}}}};
        if (!create) rec["id"] = ops[i].id;
        for (const auto& [slot, text] : ops[i].fields) {
          if (slot >= object.fields.size()) continue;
          const schema::Field& f = object.fields[slot];
          rec[f.name] = sync::WireJson(schema::System::kSalesforce, f, text);
        }
        records.push_back(std::move(rec));
      }
      req.method = create && !upsert ? "POST" : "PATCH";
      req.url = DataUrl("/composite/sobjects" +
                        (upsert ? "/" + UrlEncode(object.name) + "/" + UrlEncode(ops[idx[0]].upsert_field) : ""));
      req.body = json{{"allOrNone", false}, {"records", std::move(records)}}.dump();
      // A create that may have reached the server is not re-sent (a dropped
      // connection after the commit would duplicate the records); an upsert is.
      req.idempotent = !create || upsert;
    }
    HttpResponse r = Send(req);
    json arr = r.status == 200 ? json::parse(r.body, nullptr, false) : json();
    if (r.status != 200 || !arr.is_array() || arr.size() != pending.size()) {
      std::string what = "Salesforce " + std::string(verb) + " of " + std::to_string(pending.size()) + " " +
                         object.name + " record(s)";
      std::string code, message;
      FirstError(r.body, &code, &message);
      std::string text = r.status == 200 ? secrets_.Redact(what + ": unexpected response (not one result per record)")
                                         : ErrorText(what, r);
      bool transient =
          r.status == 0 || r.status >= 500 || r.status == 401 || r.status == 403 || r.status == 429 || r.status == 200;
      bool maybe_applied = create && (r.status == 0 || r.status >= 500 || r.status == 200) && r.sent;
      if (maybe_applied && upsert)
        text += " — the records may have been upserted; the next pass finds them by " + ops[idx[0]].upsert_field;
      else if (maybe_applied)
        text += " — the records may have been created; not re-sent, the next pass re-matches them";
      if (r.status == 403 && Contains(r.body, "TotalRequests"))
        text += " — the daily API limit is used up; writing stopped until it resets";
      if (code.empty()) code = r.status == 0 ? "NO_RESPONSE" : "HTTP_" + std::to_string(r.status);
      fail_all(pending, code, text, transient, maybe_applied);
      return;
    }
    std::vector<size_t> locked;
    for (size_t k = 0; k < pending.size(); ++k) {
      size_t i = pending[k];
      const json& res = arr[k];
      WriteResult& w = (*results)[i];
      w = WriteResult();
      w.id = ops[i].id;
      if (res.is_object() && res.contains("id") && res["id"].is_string()) w.id = res["id"].get<std::string>();
      if (res.is_object() && res.value("success", false)) {
        w.ok = true;
        continue;
      }
      std::string code, message;
      if (res.is_object() && res.contains("errors") && res["errors"].is_array()) {
        for (const json& e : res["errors"]) {
          if (!e.is_object()) continue;
          std::string c = e.value("statusCode", e.value("errorCode", std::string()));
          std::string m = e.value("message", std::string());
          if (e.contains("fields") && e["fields"].is_array() && !e["fields"].empty()) {
            std::string fs;
            for (const json& f : e["fields"])
              if (f.is_string()) fs += (fs.empty() ? "" : ", ") + f.get<std::string>();
            if (!fs.empty() && m.find(fs) == std::string::npos) m += " [" + fs + "]";
          }
          if (code.empty()) {
            code = c, message = m;
            // the one field Salesforce blames: the engine sends the record again without it
            if (e.contains("fields") && e["fields"].is_array() && e["fields"].size() == 1 && e["fields"][0].is_string())
              w.field = e["fields"][0].get<std::string>();
          } else {
            message += "; " + c + ": " + m;
            w.field.clear();  // several errors: no single field to blame
          }
        }
      }
      if (kind == WriteOp::Kind::kDelete && code == "ENTITY_IS_DELETED") {
        w.ok = true;  // already deleted (e.g. a re-sent delete, or a cascade): the wanted state
        continue;
      }
      w.status_code = code.empty() ? "UNKNOWN" : code;
      w.message = secrets_.Redact(message.empty() ? "Salesforce reported a failure without an error" : message);
      if (code == "UNABLE_TO_LOCK_ROW") {
        w.transient = true;
        locked.push_back(i);
      }
    }
    pending = std::move(locked);
  }
}

std::vector<WriteResult> SalesforceConnector::Write(const schema::Object& object, const std::vector<WriteOp>& ops) {
  std::vector<WriteResult> results(ops.size());
  // creates that upsert go in requests of their own, by the field they upsert by
  auto upsert_field = [&](size_t i) { return UpsertValue(object, ops[i]) ? ops[i].upsert_field : std::string(); };
  for (WriteOp::Kind kind : {WriteOp::Kind::kCreate, WriteOp::Kind::kUpdate, WriteOp::Kind::kDelete}) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < ops.size(); ++i)
      if (ops[i].kind == kind) idx.push_back(i);
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return upsert_field(a) < upsert_field(b); });
    for (size_t start = 0, end; start < idx.size(); start = end) {
      for (end = start + 1;
           end < idx.size() && end - start < kBatch && upsert_field(idx[end]) == upsert_field(idx[start]);)
        ++end;
      std::vector<size_t> chunk(idx.begin() + static_cast<std::ptrdiff_t>(start),
                                idx.begin() + static_cast<std::ptrdiff_t>(end));
      if (options_.dry_run) {
        ++calls_.writes;
        for (size_t i : chunk) {
          WriteResult& w = results[i];
          w.ok = true;
          w.id = ops[i].id;
          if (kind == WriteOp::Kind::kCreate) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "DRYRUN%012lld", static_cast<long long>(++dry_counter_));
            w.id = buf;
          }
        }
        continue;
      }
      WriteChunk(object, ops, kind, chunk, &results);
    }
  }
  return results;
}

}  // namespace accord::connectors
