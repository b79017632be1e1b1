// Salesforce's OAuth endpoints and the identity service: POST /services/oauth2/token (JWT
// bearer, refresh token, client credentials), /services/oauth2/revoke, and GET /id/{org}/{user}.
#include <algorithm>

#include "sandbox/salesforce_internal.h"

namespace accord::sandbox {

namespace {

bool DecodeBase64Url(std::string_view in, std::string* out) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
  };
  out->clear();
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = val(c);
    if (v < 0) return false;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------- OAuth

void SalesforceEmulator::Token(Call& c) {
  auto oauth_error = [&](const char* error, const std::string& description) {
    c.Send(400, Json{{"error", error}, {"error_description", description}});
  };
  std::string grant = c.Param("grant_type");
  std::string subject;
  if (grant == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    std::string assertion = c.Param("assertion");
    if (assertion.empty()) return oauth_error("invalid_request", "assertion is required");
    // A well-formed JWT: header.payload.signature, base64url JSON with iss, sub, aud and exp.
    // The signature is not verified (the sandbox has no connected app certificate).
    size_t a = assertion.find('.'), b = a == std::string::npos ? a : assertion.find('.', a + 1);
    std::string header_text, payload_text;
    Json header, payload;
    if (b == std::string::npos || assertion.find('.', b + 1) != std::string::npos ||
        !DecodeBase64Url(assertion.substr(0, a), &header_text) ||
        !DecodeBase64Url(assertion.substr(a + 1, b - a - 1), &payload_text) || !ParseJson(header_text, &header) ||
        !ParseJson(payload_text, &payload) || !header.is_object() || !payload.is_object() || !header.contains("alg"))
      return oauth_error("invalid_grant", "invalid assertion");
    for (const char* claim : {"iss", "sub", "aud", "exp"}) {
      if (!payload.contains(claim)) return oauth_error("invalid_grant", std::string("invalid assertion: no ") + claim);
    }
    if (!payload["exp"].is_number() || payload["exp"].get<double>() * 1000 < static_cast<double>(c.now_ms))
      return oauth_error("invalid_grant", "expired assertion");
    subject = payload["sub"].is_string() ? payload["sub"].get<std::string>() : "";
    if (!settings_.users.empty() &&
        std::find(settings_.users.begin(), settings_.users.end(), subject) == settings_.users.end())
      return oauth_error("invalid_grant", "user hasn't approved this consumer");
  } else if (grant == "refresh_token") {
    if (c.Param("refresh_token") != settings_.refresh_token)
      return oauth_error("invalid_grant", "expired access/refresh token");
  } else if (grant == "client_credentials") {
    if (c.Param("client_id").empty() || c.Param("client_secret").empty())
      return oauth_error("invalid_client", "invalid client credentials");
  } else {
    return oauth_error("unsupported_grant_type", "grant type not supported");
  }
  std::string token = org_id_.substr(0, 15) + "!AQ4AQ";
  uint64_t h = Hash3(++token_counter_, static_cast<uint64_t>(c.now_ms), 0x5f);
  static const char kChars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._";
  for (int i = 0; i < 96; ++i) {
    h = Mix64(h + static_cast<uint64_t>(i));
    token += kChars[h % 64];
  }
  sessions_[token] = c.now_ms + settings_.session_seconds * 1000;
  Json j;
  j["access_token"] = token;
  j["signature"] = UuidFromHash(h);
  j["scope"] = "api";
  j["instance_url"] = base_url();
  j["id"] = IdentityUrl();
  j["token_type"] = "Bearer";
  j["issued_at"] = std::to_string(c.now_ms);
  c.Send(200, j);
}

// POST (or GET) /services/oauth2/revoke, token=<access or refresh token>: an
// issued access token stops working at once; the sandbox token and the
// configured refresh token are accepted but stay valid (every test and connector
// shares them); anything else is 400 unsupported_token_type.
void SalesforceEmulator::Revoke(Call& c) {
  std::string t = c.Param("token");
  if (t.empty()) return c.Send(400, Json{{"error", "invalid_request"}, {"error_description", "token is required"}});
  if (sessions_.erase(t) > 0 || t == token_ || t == settings_.refresh_token) return c.SendEmpty(200);
  c.Send(400, Json{{"error", "unsupported_token_type"}, {"error_description", "this token type is not supported"}});
}

// ---------------------------------------------------------------- identity

// GET /id/{orgId}/{userId}: the identity service's user record (the token
// response's "id" URL). Bearer header or ?oauth_token=; only the sandbox's own
// org and user exist.
void SalesforceEmulator::Identity(Call& c) {
  std::string t = c.Param("oauth_token");
  bool ok = !t.empty() && (t == token_ || (sessions_.contains(t) && sessions_[t] > c.now_ms));
  if (!ok && !Authorize(c)) return;
  auto same = [](const std::string& a, const std::string& b) { return a.substr(0, 15) == b.substr(0, 15); };
  if (!same(c.args[0], org_id_) || !same(c.args[1], user_id_)) return WriteNotFound(c);
  const std::string b = base_url();
  Json urls;
  urls["enterprise"] = b + "/services/Soap/c/{version}/" + org_id_.substr(0, 15);
  urls["partner"] = b + "/services/Soap/u/{version}/" + org_id_.substr(0, 15);
  urls["rest"] = b + "/services/data/v{version}/";
  urls["sobjects"] = b + "/services/data/v{version}/sobjects/";
  urls["search"] = b + "/services/data/v{version}/search/";
  urls["query"] = b + "/services/data/v{version}/query/";
  urls["recent"] = b + "/services/data/v{version}/recent/";
  urls["profile"] = b + "/" + user_id_;
  urls["custom_domain"] = b;
  Json j;
  j["id"] = IdentityUrl();
  j["asserted_user"] = true;
  j["user_id"] = user_id_;
  j["organization_id"] = org_id_;
  j["username"] = "sandbox@accord.invalid";
  j["nick_name"] = "sandbox";
  j["display_name"] = "Accord Sandbox";
  j["email"] = "sandbox@accord.invalid";
  j["email_verified"] = true;
  j["first_name"] = "Accord";
  j["last_name"] = "Sandbox";
  j["timezone"] = "GMT";
  j["active"] = true;
  j["user_type"] = "STANDARD";
  j["language"] = "en_US";
  j["locale"] = "en_US";
  j["utcOffset"] = 0;
  j["last_modified_date"] = FormatSalesforceDateTime(started_ms_);
  j["is_app_installed"] = true;
  j["urls"] = urls;
  c.Send(200, j);
}

}  // namespace accord::sandbox
