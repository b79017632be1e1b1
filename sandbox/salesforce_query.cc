// SOQL over REST: GET /services/data/vNN.N/query and queryAll (rows, order, offset, limit,
// count()) and the query locators that page through large results. The language itself
// (parse, bind, match) is soql.cc.
#include <algorithm>
#include <cstdlib>

#include "sandbox/salesforce_internal.h"

namespace accord::sandbox {

// ---------------------------------------------------------------- SOQL

void SalesforceEmulator::Query(Call& c, bool all) {
  std::string v;
  if (!CheckVersion(c, &v)) return;
  std::string q = c.Param("q");
  if (q.empty()) return c.Send(400, ErrorArray("MALFORMED_QUERY", "A query string has to be specified"));
  soql::Query query;
  soql::Error err;
  if (!soql::ParseQuery(q, &query, &err)) return c.Send(400, ErrorArray(err.code, err.message));
  Object* obj = FindObject(query.object.name);
  if (!obj) {
    std::string msg =
        "\n" + q.substr(0, q.find('\n')) + "\n" + std::string(query.object.column - 1, ' ') +
        "^\nERROR at Row:" + std::to_string(query.object.line) + ":Column:" + std::to_string(query.object.column) +
        "\nsObject type '" + query.object.name +
        "' is not supported. If you are attempting to use a custom object, be sure to append the '__c' "
        "after the entity name. Please reference your WSDL or the describe call for the appropriate names.";
    return c.Send(400, ErrorArray("INVALID_TYPE", msg));
  }
  if (!soql::BindQuery(obj->schema, c.now_ms, &query, &err)) return c.Send(400, ErrorArray(err.code, err.message));

  std::vector<const Record*> rows;
  for (const Record& r : obj->records) {
    if (r.deleted && !all) continue;
    if (query.where && !soql::Matches(*query.where, r.fields)) continue;
    rows.push_back(&r);
  }
  if (!query.order_by.empty()) {
    std::stable_sort(rows.begin(), rows.end(), [&](const Record* a, const Record* b) {
      return soql::CompareRecords(query.order_by, a->fields, b->fields) < 0;
    });
  }
  size_t offset = query.offset ? static_cast<size_t>(*query.offset) : 0;
  if (offset >= rows.size()) {
    rows.clear();
  } else if (offset > 0) {
    rows.erase(rows.begin(), rows.begin() + static_cast<long>(offset));
  }
  if (query.limit && rows.size() > static_cast<size_t>(*query.limit)) rows.resize(static_cast<size_t>(*query.limit));
  if (query.count) {
    c.Send(200, Json{{"totalSize", rows.size()}, {"done", true}, {"records", Json::array()}});
    return;
  }
  size_t page = static_cast<size_t>(settings_.query_page_size);
  std::string options = c.Header("Sforce-Query-Options");
  if (size_t at = options.find("batchSize="); at != std::string::npos) {
    long n = std::strtol(options.c_str() + at + 10, nullptr, 10);
    if (n >= 200 && n <= 2000) page = std::min(page, static_cast<size_t>(n));
  }
  Cursor cursor;
  cursor.created_ms = c.now_ms;
  cursor.page_size = page;
  cursor.version = v;
  cursor.rows.reserve(rows.size());
  for (const Record* r : rows) cursor.rows.push_back(RecordJson(*obj, *r, v, &query.select));
  std::string locator;
  if (cursor.rows.size() > page) {
    // Cursors live 15 minutes; as in Salesforce, a user has at most 10 open: a new one closes the oldest.
    for (auto it = cursors_.begin(); it != cursors_.end();) {
      it = c.now_ms - it->second.created_ms > 15 * 60 * 1000 ? cursors_.erase(it) : std::next(it);
    }
    while (cursors_.size() >= 10) {
      auto oldest = std::min_element(cursors_.begin(), cursors_.end(), [](const auto& a, const auto& b) {
        return a.second.created_ms < b.second.created_ms;
      });
      cursors_.erase(oldest);
    }
    locator = MakeSalesforceId("01g", ++cursor_counter_);
    auto [it, _] = cursors_.emplace(locator, std::move(cursor));
    SendQueryPage(c, locator, it->second, 0);
    return;
  }
  SendQueryPage(c, "", cursor, 0);
}

void SalesforceEmulator::SendQueryPage(Call& c, const std::string& locator, Cursor& cursor, size_t offset) {
  size_t end = std::min(cursor.rows.size(), offset + cursor.page_size);
  Json j;
  j["totalSize"] = cursor.rows.size();
  j["done"] = end >= cursor.rows.size();
  if (end < cursor.rows.size())
    j["nextRecordsUrl"] = "/services/data/" + cursor.version + "/query/" + locator + "-" + std::to_string(end);
  Json records = Json::array();
  for (size_t i = offset; i < end; ++i) records.push_back(cursor.rows[i]);
  j["records"] = std::move(records);
  c.Send(200, j);
}

void SalesforceEmulator::QueryMore(Call& c) {
  std::string v;
  if (!CheckVersion(c, &v)) return;
  const std::string& arg = c.args[1];
  size_t dash = arg.rfind('-');
  auto it = dash == std::string::npos ? cursors_.end() : cursors_.find(arg.substr(0, dash));
  char* end = nullptr;
  long offset = dash == std::string::npos ? -1 : std::strtol(arg.c_str() + dash + 1, &end, 10);
  if (it == cursors_.end() || offset < 0 || *end != '\0' || static_cast<size_t>(offset) >= it->second.rows.size() ||
      c.now_ms - it->second.created_ms > 15 * 60 * 1000)
    return c.Send(400, ErrorArray("INVALID_QUERY_LOCATOR", "invalid query locator"));
  it->second.created_ms = c.now_ms;
  SendQueryPage(c, it->first, it->second, static_cast<size_t>(offset));
}

}  // namespace accord::sandbox
