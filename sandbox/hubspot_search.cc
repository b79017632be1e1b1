// HubSpot's search endpoint (POST /crm/v3/objects/{type}/search): filter groups, sorts,
// free-text query, the properties to return, and after-paging up to the 10,000-result cap.
#include "sandbox/hubspot_internal.h"

#include <algorithm>
#include <cstdlib>

namespace accord::sandbox {

// ---------------------------------------------------------------- search

void HubSpotEmulator::Search(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  Json body;
  if (!ParseBody(c, &body)) return;
  auto invalid = [&](const std::string& m) { SendError(c, 400, "VALIDATION_ERROR", m); };
  int limit = 10;
  if (body.contains("limit")) {
    if (!body["limit"].is_number_integer() || body["limit"].get<int64_t>() < 1)
      return invalid("limit must be a positive integer");
    if (body["limit"].get<int64_t>() > settings_.search_page_max)
      return invalid("limit must be less than or equal to " + std::to_string(settings_.search_page_max));
    limit = body["limit"].get<int>();
  }
  int64_t after = 0;
  if (body.contains("after") && !body["after"].is_null()) {
    std::string a = ValueText(body["after"]);
    char* end = nullptr;
    after = std::strtoll(a.c_str(), &end, 10);
    if (a.empty() || *end != '\0' || after < 0) return invalid("after must be a non-negative integer string");
  }
  if (after >= settings_.search_result_cap)
    return invalid("The search API returns at most " + std::to_string(settings_.search_result_cap) +
                   " results per query; refine the filters (for example on hs_object_id or the last-modified date) to "
                   "page past it");

  // filterGroups: OR of groups, AND within a group.
  struct Filter {
    const schema::Field* field;
    std::string name, op, value, high;
    std::vector<std::string> values;
  };
  std::vector<std::vector<Filter>> groups;
  if (body.contains("filterGroups")) {
    const Json& fg = body["filterGroups"];
    if (!fg.is_array()) return invalid("filterGroups must be an array");
    if (fg.size() > static_cast<size_t>(settings_.max_filter_groups))
      return invalid("Too many filter groups: " + std::to_string(fg.size()) + " (the maximum is " +
                     std::to_string(settings_.max_filter_groups) + ")");
    size_t total = 0;
    for (const Json& g : fg) {
      if (!g.is_object() || !g.contains("filters") || !g["filters"].is_array())
        return invalid("each filter group needs a filters array");
      if (g["filters"].size() > static_cast<size_t>(settings_.max_filters_per_group))
        return invalid("Too many filters in a group (the maximum is " + std::to_string(settings_.max_filters_per_group) + ")");
      total += g["filters"].size();
      std::vector<Filter> group;
      for (const Json& f : g["filters"]) {
        if (!f.is_object() || !f.contains("propertyName") || !f["propertyName"].is_string() || !f.contains("operator") ||
            !f["operator"].is_string())
          return invalid("each filter needs propertyName and operator");
        Filter flt;
        flt.name = f["propertyName"].get<std::string>();
        flt.field = obj->schema.FindField(flt.name);
        if (!flt.field && flt.name != "hs_object_id")
          return invalid("There was a problem with the request: property " + flt.name + " does not exist on " + obj->schema.name);
        flt.op = f["operator"].get<std::string>();
        static const char* kOps[] = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
                                     "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"};
        if (std::none_of(std::begin(kOps), std::end(kOps), [&](const char* op) { return flt.op == op; }))
          return invalid("Unknown operator " + flt.op);
        if (f.contains("value")) flt.value = ValueText(f["value"]);
        if (f.contains("highValue")) flt.high = ValueText(f["highValue"]);
        if (f.contains("values") && f["values"].is_array()) {
          for (const Json& v : f["values"]) flt.values.push_back(ValueText(v));
        }
        bool needs_value = flt.op != "HAS_PROPERTY" && flt.op != "NOT_HAS_PROPERTY" && flt.op != "IN" && flt.op != "NOT_IN";
        if (needs_value && !f.contains("value")) return invalid("filter on " + flt.name + " with " + flt.op + " needs a value");
        if ((flt.op == "IN" || flt.op == "NOT_IN") && flt.values.empty())
          return invalid("filter on " + flt.name + " with " + flt.op + " needs values");
        if (flt.op == "BETWEEN" && !f.contains("highValue")) return invalid("BETWEEN needs highValue");
        group.push_back(std::move(flt));
      }
      groups.push_back(std::move(group));
    }
    if (total > static_cast<size_t>(settings_.max_filters))
      return invalid("Too many filters: " + std::to_string(total) + " (the maximum is " + std::to_string(settings_.max_filters) + ")");
  }
  struct Sort {
    std::string name;
    bool desc;
  };
  std::vector<Sort> sorts;
  if (body.contains("sorts")) {
    if (!body["sorts"].is_array()) return invalid("sorts must be an array");
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
        return invalid("each sort needs propertyName");
      }
      sorts.push_back(so);
    }
  }
  std::string query = body.contains("query") ? AsciiLower(ValueText(body["query"])) : "";
  std::vector<std::string> props;
  if (body.contains("properties") && body["properties"].is_array()) {
    for (const Json& p : body["properties"]) {
      if (p.is_string()) props.push_back(p.get<std::string>());
    }
  }

  auto type_of = [](const schema::Field* f) { return f ? f->native_type : std::string("number"); };
  // <0, 0, >0 between a stored value and a filter value, by the property's type.
  auto compare = [&](const schema::Field* f, const std::string& a, const std::string& b) -> std::optional<int> {
    std::string t = type_of(f);
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
  };
  auto matches = [&](const Record& r, const Filter& f) {
    auto it = r.props.find(f.name);
    bool has = it != r.props.end() && !it->second.empty();
    const std::string v = has ? it->second : "";
    auto cmp = [&](const std::string& w) { return has ? compare(f.field, v, w) : std::nullopt; };
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
    // CONTAINS_TOKEN: a whole word of the value, '*' as a wildcard.
    std::string needle = AsciiLower(f.value);
    bool found = false;
    if (has) {
      std::string hay = AsciiLower(v);
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
    }
    return op == "CONTAINS_TOKEN" ? found : !found;
  };
  static const std::map<std::string, std::vector<std::string>> kSearchable = {
      {"contacts", {"firstname", "lastname", "email", "phone", "company"}},
      {"companies", {"name", "domain", "website", "phone"}},
      {"deals", {"dealname"}},
  };
  std::vector<const Record*> rows;
  for (const Record& r : obj->records) {
    if (r.archived) continue;
    bool ok = groups.empty();
    for (const auto& g : groups) {
      bool all = true;
      for (const Filter& f : g) all = all && matches(r, f);
      ok = ok || all;
    }
    if (ok && !query.empty()) {
      bool hit = false;
      auto it = kSearchable.find(obj->schema.name);
      for (const auto& [k, v] : r.props) {
        const schema::Field* f = obj->schema.FindField(k);
        bool searchable = it != kSearchable.end()
                              ? std::find(it->second.begin(), it->second.end(), k) != it->second.end()
                              : f && f->native_type == "string";
        hit = hit || (searchable && AsciiLower(v).find(query) != std::string::npos);
      }
      ok = hit;
    }
    if (ok) rows.push_back(&r);
  }
  auto by_id = [](const Record* x, const Record* y) {
    return x->id.size() != y->id.size() ? x->id.size() < y->id.size() : x->id < y->id;
  };
  std::sort(rows.begin(), rows.end(), by_id);
  if (sorts.size() == 1 && sorts[0].name == "hs_object_id") {  // the usual cursor sort: the id order itself
    if (sorts[0].desc) std::reverse(rows.begin(), rows.end());
  } else if (!sorts.empty()) {
    std::stable_sort(rows.begin(), rows.end(), [&](const Record* x, const Record* y) {
      for (const Sort& s : sorts) {
        const schema::Field* f = obj->schema.FindField(s.name);
        auto ix = x->props.find(s.name), iy = y->props.find(s.name);
        bool hx = ix != x->props.end(), hy = iy != y->props.end();
        if (!hx && !hy) continue;
        if (hx != hy) return s.desc ? hx : hy;  // missing values last ascending, first descending
        auto r2 = compare(f, ix->second, iy->second);
        if (!r2 || *r2 == 0) continue;
        return s.desc ? *r2 > 0 : *r2 < 0;
      }
      return false;
    });
  }
  size_t start = static_cast<size_t>(after);
  size_t end = std::min({rows.size(), start + static_cast<size_t>(limit), static_cast<size_t>(settings_.search_result_cap)});
  Json results = Json::array();
  for (size_t i = start; i < end; ++i) results.push_back(ObjectJson(*obj, *rows[i], &props, nullptr, nullptr));
  Json j;
  j["total"] = rows.size();
  j["results"] = results;
  if (end < rows.size() && start < rows.size()) j["paging"] = {{"next", {{"after", std::to_string(end)}}}};
  c.Send(200, j);
}

}  // namespace accord::sandbox
