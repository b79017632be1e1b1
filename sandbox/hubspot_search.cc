// HubSpot's search endpoint (POST /crm/v3/objects/{type}/search): filter groups, sorts,
// free-text query, the properties to return, and after-paging up to the 10,000-result cap.
// Search reads like its steps: read the request (ReadSearch), select the records that match
// (Select), order them (SortRows), send one page.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "sandbox/hubspot_internal.h"

namespace accord::sandbox {

namespace {

struct Filter {
  const schema::Field* field;
  std::string name, op, value, high;
  std::vector<std::string> values;
};

struct Sort {
  std::string name;
  bool desc;
};

// A search request as its body gives it, checked against the settings' limits.
struct SearchRequest {
  int limit = 10;
  int64_t after = 0;
  std::vector<std::vector<Filter>> groups;  // filterGroups: OR of groups, AND within a group
  std::vector<Sort> sorts;
  std::string query;  // lower-cased
  std::vector<std::string> props;
};

// Each Read* step returns "" or the message of the request's 400 VALIDATION_ERROR.

std::string ReadPaging(const Json& body, const HubSpotSettings& settings, SearchRequest* req) {
  if (body.contains("limit")) {
    if (!body["limit"].is_number_integer() || body["limit"].get<int64_t>() < 1)
      return "limit must be a positive integer";
    if (body["limit"].get<int64_t>() > settings.search_page_max)
      return "limit must be less than or equal to " + std::to_string(settings.search_page_max);
    req->limit = body["limit"].get<int>();
  }
  if (body.contains("after") && !body["after"].is_null()) {
    std::string a = ValueText(body["after"]);
    char* end = nullptr;
    req->after = std::strtoll(a.c_str(), &end, 10);
    if (a.empty() || *end != '\0' || req->after < 0) return "after must be a non-negative integer string";
  }
  if (req->after >= settings.search_result_cap)
    return "The search API returns at most " + std::to_string(settings.search_result_cap) +
           " results per query; refine the filters (for example on hs_object_id or the last-modified date) to "
           "page past it";
  return "";
}

std::string ReadFilter(const Json& f, const Object& obj, Filter* flt) {
  if (!f.is_object() || !f.contains("propertyName") || !f["propertyName"].is_string() || !f.contains("operator") ||
      !f["operator"].is_string())
    return "each filter needs propertyName and operator";
  flt->name = f["propertyName"].get<std::string>();
  flt->field = obj.schema.FindField(flt->name);
  if (!flt->field && flt->name != "hs_object_id")
    return "There was a problem with the request: property " + flt->name + " does not exist on " + obj.schema.name;
  flt->op = f["operator"].get<std::string>();
  static const char* kOps[] = {"EQ",
                               "NEQ",
                               "LT",
                               "LTE",
                               "GT",
                               "GTE",
                               "BETWEEN",
                               "IN",
                               "NOT_IN",
                               "HAS_PROPERTY",
                               "NOT_HAS_PROPERTY",
                               "CONTAINS_TOKEN",
                               "NOT_CONTAINS_TOKEN"};
  if (std::none_of(std::begin(kOps), std::end(kOps), [&](const char* op) { return flt->op == op; }))
    return "Unknown operator " + flt->op;
  if (f.contains("value")) flt->value = ValueText(f["value"]);
  if (f.contains("highValue")) flt->high = ValueText(f["highValue"]);
  if (f.contains("values") && f["values"].is_array()) {
    for (const Json& v : f["values"]) flt->values.push_back(ValueText(v));
  }
  bool needs_value =
      flt->op != "HAS_PROPERTY" && flt->op != "NOT_HAS_PROPERTY" && flt->op != "IN" && flt->op != "NOT_IN";
  if (needs_value && !f.contains("value")) return "filter on " + flt->name + " with " + flt->op + " needs a value";
  if ((flt->op == "IN" || flt->op == "NOT_IN") && flt->values.empty())
    return "filter on " + flt->name + " with " + flt->op + " needs values";
  if (flt->op == "BETWEEN" && !f.contains("highValue")) return "BETWEEN needs highValue";
  return "";
}

std::string ReadFilterGroups(const Json& body, const HubSpotSettings& settings, const Object& obj, SearchRequest* req) {
  if (!body.contains("filterGroups")) return "";
  const Json& fg = body["filterGroups"];
  if (!fg.is_array()) return "filterGroups must be an array";
  if (fg.size() > static_cast<size_t>(settings.max_filter_groups))
    return "Too many filter groups: " + std::to_string(fg.size()) + " (the maximum is " +
           std::to_string(settings.max_filter_groups) + ")";
  size_t total = 0;
  for (const Json& g : fg) {
    if (!g.is_object() || !g.contains("filters") || !g["filters"].is_array())
      return "each filter group needs a filters array";
    if (g["filters"].size() > static_cast<size_t>(settings.max_filters_per_group))
      return "Too many filters in a group (the maximum is " + std::to_string(settings.max_filters_per_group) + ")";
    total += g["filters"].size();
    std::vector<Filter> group;
    for (const Json& f : g["filters"]) {
      Filter flt;
      std::string error = ReadFilter(f, obj, &flt);
      if (!error.empty()) return error;
      group.push_back(std::move(flt));
    }
    req->groups.push_back(std::move(group));
  }
  if (total > static_cast<size_t>(settings.max_filters))
    return "Too many filters: " + std::to_string(total) + " (the maximum is " + std::to_string(settings.max_filters) +
           ")";
  return "";
}

std::string ReadSorts(const Json& body, SearchRequest* req) {
  if (!body.contains("sorts")) return "";
  if (!body["sorts"].is_array()) return "sorts must be an array";
  for (const Json& s : body["sorts"]) {
    Sort so{"", false};
    if (s.is_string()) {
      so.name = s.get<std::string>();
      if (!so.name.empty() && so.name[0] == '-') {
        so.desc = true;
        so.name = so.name.substr(1);
      }
    } else if (s.is_object() && s.contains("propertyName") && s["propertyName"].is_string()) {
      so.name = s["propertyName"].get<std::string>();
      so.desc = s.value("direction", std::string("ASCENDING")) == "DESCENDING";
    } else {
      return "each sort needs propertyName";
    }
    req->sorts.push_back(so);
  }
  return "";
}

// The whole request, checked in the order HubSpot reports problems: paging, filters, sorts.
std::string ReadSearch(const Json& body, const HubSpotSettings& settings, const Object& obj, SearchRequest* req) {
  std::string error = ReadPaging(body, settings, req);
  if (error.empty()) error = ReadFilterGroups(body, settings, obj, req);
  if (error.empty()) error = ReadSorts(body, req);
  if (!error.empty()) return error;
  req->query = body.contains("query") ? AsciiLower(ValueText(body["query"])) : "";
  if (body.contains("properties") && body["properties"].is_array()) {
    for (const Json& p : body["properties"]) {
      if (p.is_string()) req->props.push_back(p.get<std::string>());
    }
  }
  return "";
}

// <0, 0, >0 between a stored value and a filter value, by the property's type
// (hs_object_id, which has no field, is a number); nullopt: not comparable.
std::optional<int> Compare(const schema::Field* f, const std::string& a, const std::string& b) {
  std::string t = f ? f->native_type : std::string("number");
  if (t == "number") {
    auto x = NumberValue(a), y = NumberValue(b);
    if (!x || !y) return std::nullopt;
    return *x < *y ? -1 : *x > *y ? 1 : 0;
  }
  if (t == "datetime" || t == "date") {
    auto x = TimeValue(a), y = TimeValue(b);
    if (!x || !y) return std::nullopt;
    return *x < *y ? -1 : *x > *y ? 1 : 0;
  }
  std::string x = AsciiLower(a), y = AsciiLower(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// CONTAINS_TOKEN: a whole word of the value, '*' as a wildcard.
bool ContainsToken(const std::string& value, const std::string& token) {
  std::string needle = AsciiLower(token);
  bool found = false;
  std::string hay = AsciiLower(value);
  if (needle.find('*') != std::string::npos) {
    std::string core;
    for (char ch : needle) {
      if (ch != '*') core += ch;
    }
    found = hay.find(core) != std::string::npos;
  } else {
    size_t i = 0;
    while (i < hay.size() && !found) {
      size_t j = i;
      while (j < hay.size() && std::isalnum(static_cast<unsigned char>(hay[j]))) ++j;
      found = hay.substr(i, j - i) == needle || hay == needle;
      i = j + 1;
    }
  }
  return found;
}

bool Matches(const Record& r, const Filter& f) {
  auto it = r.props.find(f.name);
  bool has = it != r.props.end() && !it->second.empty();
  const std::string v = has ? it->second : "";
  auto cmp = [&](const std::string& w) { return has ? Compare(f.field, v, w) : std::nullopt; };
  const std::string& op = f.op;
  if (op == "HAS_PROPERTY") return has;
  if (op == "NOT_HAS_PROPERTY") return !has;
  if (op == "EQ") {
    auto r2 = cmp(f.value);
    return r2 && *r2 == 0;
  }
  if (op == "NEQ") {
    auto r2 = cmp(f.value);
    return !r2 || *r2 != 0;
  }
  if (op == "LT" || op == "LTE" || op == "GT" || op == "GTE") {
    auto r2 = cmp(f.value);
    if (!r2) return false;
    return op == "LT" ? *r2 < 0 : op == "LTE" ? *r2 <= 0 : op == "GT" ? *r2 > 0 : *r2 >= 0;
  }
  if (op == "BETWEEN") {
    auto lo = cmp(f.value), hi = cmp(f.high);
    return lo && hi && *lo >= 0 && *hi <= 0;
  }
  if (op == "IN" || op == "NOT_IN") {
    bool in = false;
    for (const std::string& w : f.values) {
      auto r2 = cmp(w);
      in = in || (r2 && *r2 == 0);
    }
    return op == "IN" ? in : !in;
  }
  bool found = has && ContainsToken(v, f.value);
  return op == "CONTAINS_TOKEN" ? found : !found;
}

// The free-text query: a substring of one of the type's searchable properties (every
// string property of a type without a list).
bool MatchesQuery(const Object& obj, const Record& r, const std::string& query) {
  static const std::map<std::string, std::vector<std::string>> kSearchable = {
      {"contacts", {"firstname", "lastname", "email", "phone", "company"}},
      {"companies", {"name", "domain", "website", "phone"}},
      {"deals", {"dealname"}},
  };
  bool hit = false;
  auto it = kSearchable.find(obj.schema.name);
  for (const auto& [k, v] : r.props) {
    const schema::Field* f = obj.schema.FindField(k);
    bool searchable = it != kSearchable.end() ? std::find(it->second.begin(), it->second.end(), k) != it->second.end()
                                              : f && f->native_type == "string";
    hit = hit || (searchable && AsciiLower(v).find(query) != std::string::npos);
  }
  return hit;
}

// The live records that match the filter groups and the query, in id order.
std::vector<const Record*> Select(const Object& obj, const SearchRequest& req) {
  std::vector<const Record*> rows;
  for (const Record& r : obj.records) {
    if (r.archived) continue;
    bool ok = req.groups.empty();
    for (const auto& g : req.groups) {
      bool all = true;
      for (const Filter& f : g) all = all && Matches(r, f);
      ok = ok || all;
    }
    if (ok && !req.query.empty()) ok = MatchesQuery(obj, r, req.query);
    if (ok) rows.push_back(&r);
  }
  auto by_id = [](const Record* x, const Record* y) {
    return x->id.size() != y->id.size() ? x->id.size() < y->id.size() : x->id < y->id;
  };
  std::sort(rows.begin(), rows.end(), by_id);
  return rows;
}

// Orders rows (in id order) by the request's sorts.
void SortRows(const Object& obj, const std::vector<Sort>& sorts, std::vector<const Record*>* rows) {
  if (sorts.size() == 1 && sorts[0].name == "hs_object_id") {  // the usual cursor sort: the id order itself
    if (sorts[0].desc) std::reverse(rows->begin(), rows->end());
  } else if (!sorts.empty()) {
    std::stable_sort(rows->begin(), rows->end(), [&](const Record* x, const Record* y) {
      for (const Sort& s : sorts) {
        const schema::Field* f = obj.schema.FindField(s.name);
        auto ix = x->props.find(s.name), iy = y->props.find(s.name);
        bool hx = ix != x->props.end(), hy = iy != y->props.end();
        if (!hx && !hy) continue;
        if (hx != hy) return s.desc ? hx : hy;  // missing values last ascending, first descending
        auto r2 = Compare(f, ix->second, iy->second);
        if (!r2 || *r2 == 0) continue;
        return s.desc ? *r2 > 0 : *r2 < 0;
      }
      return false;
    });
  }
}

}  // namespace

void HubSpotEmulator::Search(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  Json body;
  if (!ParseBody(c, &body)) return;
  SearchRequest req;
  std::string error = ReadSearch(body, settings_, *obj, &req);
  if (!error.empty()) return SendError(c, 400, "VALIDATION_ERROR", error);
  std::vector<const Record*> rows = Select(*obj, req);
  SortRows(*obj, req.sorts, &rows);
  size_t start = static_cast<size_t>(req.after);
  size_t end =
      std::min({rows.size(), start + static_cast<size_t>(req.limit), static_cast<size_t>(settings_.search_result_cap)});
  Json results = Json::array();
  for (size_t i = start; i < end; ++i) results.push_back(ObjectJson(*obj, *rows[i], &req.props, nullptr, nullptr));
  Json j;
  j["total"] = rows.size();
  j["results"] = results;
  if (end < rows.size() && start < rows.size()) j["paging"] = {{"next", {{"after", std::to_string(end)}}}};
  c.Send(200, j);
}

}  // namespace accord::sandbox
