#include "cli/status_pages.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "runtime/connectors/http.h"
#include "runtime/connectors/jsonl_connector.h"
#include "runtime/sync/explain.h"

namespace accord::cli::web {

std::string Html(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string UrlComponent(std::string_view s) { return connectors::UrlEncode(std::string(s)); }

namespace {

using nlohmann::json;

std::string Page(const std::string& root, const std::string& title, const std::string& active,
                 const std::string& body) {
  std::string nav;
  for (const auto& [href, name] : std::vector<std::pair<std::string, std::string>>{{"/", "Overview"},
                                                                                   {"/errors", "Errors"},
                                                                                   {"/drift", "Drift"},
                                                                                   {"/record", "Record"},
                                                                                   {"/metrics", "Metrics"}})
    nav += "<a href=\"" + root + href + "\"" + (name == active ? " aria-current=\"page\"" : "") + ">" + name + "</a>";
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         Html(title) +
         " · accord status</title>\n<link rel=\"icon\" href=\"data:,\">\n"
         "<link rel=\"stylesheet\" href=\"" +
         root + "/static/ops.css\">\n<script src=\"" + root +
         "/static/ops.js\" defer></script>\n"
         "</head>\n<body>\n<header><span class=\"brand\">accord status</span><nav>" +
         nav + "</nav></header>\n<main>\n" + body + "</main>\n</body>\n</html>\n";
}

std::string Time(int64_t ms) {
  if (ms <= 0) return "<span class=\"null\">—</span>";
  std::string iso = sync::IsoMillis(ms);
  return "<time datetime=\"" + iso + "\" data-ms=\"" + std::to_string(ms) + "\">" + iso + "</time>";
}

std::string Value(const std::optional<std::string>& t) {
  if (!t) return "<span class=\"null\">null</span>";
  return "<q>" + Html(*t) + "</q>";
}

std::string RecordLink(const std::string& root, const std::string& system, const std::string& id) {
  if (id.empty()) return "";
  return "<a href=\"" + root + "/record?system=" + system + "&amp;id=" + UrlComponent(id) + "\">" + Html(id) + "</a>";
}

std::string Duration(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

int64_t Num(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<int64_t>() : 0;
}

std::string Cells(const json& s) {
  std::string o;
  for (const char* k : {"created", "updated", "conflicts", "errors"})
    o += "<td class=\"num " + std::string(k) + "\">" + std::to_string(Num(s, k)) + "</td>";
  return o;
}

std::string CsrfInput(const std::string& csrf) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + Html(csrf) + "\">";
}

std::string Filter(const std::string& table) {
  return "<p><label>Filter <input type=\"search\" data-filter=\"" + table +
         "\" placeholder=\"any text of a row\"></label></p>\n";
}

std::string Count(int64_t n) {
  if (n < 0) return "<span class=\"null\">—</span>";
  std::string d = std::to_string(n), o;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) o += ',';
    o += d[i];
  }
  return o;
}

// A pass's lag for a sync: "0.80 s / 1.20 s" (exact: the pass's own writes), or a dash.
std::string PassLag(const json& sync) {
  if (!sync.contains("lag") || Num(sync["lag"], "n") == 0) return "<span class=\"null\">—</span>";
  return Duration(Num(sync["lag"], "p50_ms")) + " / " + Duration(Num(sync["lag"], "p99_ms"));
}

std::string LagLine(const Overview& o, const std::string& sync) {
  auto it = o.lags.find(sync);
  std::string b = "<p class=\"lag\" data-sync=\"" + Html(sync) + "\">Propagation lag: ";
  if (it == o.lags.end() || it->second.n == 0)
    return b + "no write of a change made since its previous pass yet.</p>\n";
  const LagView& l = it->second;
  auto secs = [](double ms) { return Duration(static_cast<int64_t>(ms + 0.5)); };
  return b + "p50 <strong class=\"p50\">" + secs(l.Quantile(0.5)) + "</strong>, p99 <strong class=\"p99\">" +
         secs(l.Quantile(0.99)) + "</strong>, max " + Duration(l.max_ms) + " over " + Count(l.n) +
         " writes of the last " + std::to_string(l.passes) + (l.passes == 1 ? " pass" : " passes") +
         " that wrote one.</p>\n";
}

std::string BudgetSection(const Overview& o) {
  std::string b =
      "<section id=\"budget\">\n<h2>API budget</h2>\n<table>\n<thead><tr><th>system</th><th>accord's calls, last 24 "
      "h</th><th>daily limit used</th><th>daily limit left</th><th>burst left</th><th>accord's share</th>"
      "<th>share left</th><th>reported</th></tr></thead>\n<tbody>\n";
  for (const auto& [system, v] : o.budgets) {
    const connectors::ApiLimits& l = v.limits;
    char share[32] = "";
    if (v.share > 0) std::snprintf(share, sizeof share, "%g%% = ", v.share * 100);
    b += "<tr data-system=\"" + Html(system) + "\"><th scope=\"row\">" + Html(system) +
         "</th><td class=\"num calls\">" + Count(v.calls_24h) + "</td><td class=\"num used\">" +
         (l.daily_max >= 0 ? Count(l.daily_used) + " of " + Count(l.daily_max) : Count(-1)) +
         "</td><td class=\"num left\">" + Count(v.DailyLeft()) + "</td><td class=\"num\">" +
         (l.burst_max >= 0
              ? Count(l.burst_remaining) + " of " + Count(l.burst_max) + " per " + Duration(l.burst_window_ms)
              : Count(-1)) +
         "</td><td class=\"num share\">" + (v.Allowance() >= 0 ? share + Count(v.Allowance()) : Count(-1)) +
         "</td><td class=\"num share-left\">" + Count(v.AllowanceLeft()) + "</td><td>" + Time(v.reported_at) +
         "</td></tr>\n";
  }
  return b + "</tbody>\n</table>\n</section>\n";
}

}  // namespace

std::string OverviewPage(const Overview& o) {
  std::string b = "<h1>Sync status</h1>\n";
  const store::StateStore::RunRecord* last = nullptr;
  for (const auto& r : o.runs)
    if (r.finished_at > 0) {
      last = &r;
      break;
    }
  std::string health, cls;
  if (!last) {
    health = "No pass has finished yet.", cls = "warn";
  } else if (last->status != "ok") {
    health = "The last pass (#" + std::to_string(last->id) + ") failed.", cls = "bad";
  } else if (!o.errors.empty()) {
    health = std::to_string(o.errors.size()) + (o.errors.size() == 1 ? " error waits" : " errors wait") +
             " in the error log; the last pass (#" + std::to_string(last->id) + ") finished ok.",
    cls = "warn";
  } else {
    health =
        "Healthy: the last pass (#" + std::to_string(last->id) + ") finished ok and nothing waits in the error log.",
    cls = "ok";
  }
  b += "<p id=\"health\" class=\"health " + cls + "\">" + Html(health);
  if (last)
    b += " Last pass: " + Time(last->finished_at) + " (<span class=\"ago\" data-since=\"" +
         std::to_string(last->finished_at) + "\">" + Duration(o.now_ms - last->finished_at) + " ago</span>).";
  b += "</p>\n";

  // per sync: links and waiting errors
  std::map<std::string, std::array<int64_t, 4>> syncs;  // active, out of scope, deleted, errors
  for (const auto& [sync, state, n] : o.links) syncs[sync][static_cast<int>(state)] += n;
  for (const auto& e : o.errors) syncs[e.sync][3] += 1;
  b += "<section id=\"syncs\">\n<h2>Syncs</h2>\n<table>\n<thead><tr><th>sync</th><th>active links</th><th>out of "
       "scope</th><th>ended (deleted)</th><th>errors waiting</th></tr></thead>\n<tbody>\n";
  for (const auto& [sync, c] : syncs)
    b += "<tr data-sync=\"" + Html(sync) + "\"><th scope=\"row\">" + Html(sync) + "</th><td class=\"num\">" +
         std::to_string(c[0]) + "</td><td class=\"num\">" + std::to_string(c[1]) + "</td><td class=\"num\">" +
         std::to_string(c[2]) + "</td><td class=\"num\">" +
         (c[3] ? "<a href=\"" + o.root + "/errors\">" + std::to_string(c[3]) + "</a>" : "0") + "</td></tr>\n";
  if (syncs.empty()) b += "<tr><td colspan=\"5\">No link yet.</td></tr>\n";
  b += "</tbody>\n</table>\n</section>\n";
  b += BudgetSection(o);

  // the last passes, per sync
  std::vector<std::pair<const store::StateStore::RunRecord*, json>> runs;
  std::vector<std::string> names;
  for (const auto& r : o.runs) {
    json s = json::parse(r.stats.empty() ? "{}" : r.stats, nullptr, false);
    if (s.is_object() && s.contains("syncs") && s["syncs"].is_object())
      for (auto& [name, v] : s["syncs"].items())
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    runs.push_back({&r, s.is_object() ? s : json::object()});
  }
  std::sort(names.begin(), names.end());
  const size_t kPerSync = 10;
  for (const std::string& name : names) {
    b += "<section class=\"sync\" data-sync=\"" + Html(name) + "\">\n<h2>" + Html(name) + ": the last passes</h2>\n" +
         LagLine(o, name) +
         "<table class=\"passes\">\n<thead><tr><th>pass</th><th>when</th><th>duration</th>"
         "<th>created</th><th>updated</th><th>conflicts</th><th>errors</th><th>lag p50 / p99</th></tr></thead>\n"
         "<tbody>\n";
    size_t shown = 0;
    for (const auto& [r, s] : runs) {
      if (shown == kPerSync) break;
      if (!s.contains("syncs") || !s["syncs"].contains(name)) continue;
      ++shown;
      b += "<tr><td>#" + std::to_string(r->id) + "</td><td>" + Time(r->started_at) + "</td><td class=\"num\">" +
           (r->finished_at ? Duration(r->finished_at - r->started_at) : "running") + "</td>" + Cells(s["syncs"][name]) +
           "<td class=\"num lag\">" + PassLag(s["syncs"][name]) + "</td></tr>\n";
    }
    b += "</tbody>\n</table>\n</section>\n";
  }

  // every pass: totals and API calls
  b += "<section id=\"passes\">\n<h2>Passes</h2>\n<table>\n<thead><tr><th>pass</th><th>when</th><th>duration</th>"
       "<th>status</th><th>created</th><th>updated</th><th>conflicts</th><th>errors</th><th>Salesforce calls "
       "(reads/writes)</th><th>HubSpot calls (reads/writes)</th></tr></thead>\n<tbody>\n";
  size_t shown = 0;
  for (const auto& [r, s] : runs) {
    if (++shown > 30) break;
    const json& api = s.contains("api_calls") ? s["api_calls"] : json::object();
    auto calls = [&](const char* sys) {
      const json& c = api.contains(sys) ? api[sys] : json::object();
      return std::to_string(Num(c, "reads")) + " / " + std::to_string(Num(c, "writes"));
    };
    b += "<tr class=\"" + Html(r->status.empty() ? "running" : r->status) + "\"><td>#" + std::to_string(r->id) +
         "</td><td>" + Time(r->started_at) + "</td><td class=\"num\">" +
         (r->finished_at ? Duration(r->finished_at - r->started_at) : "running") + "</td><td>" +
         Html(r->status.empty() ? "running" : r->status) + "</td>" + Cells(s) + "<td class=\"num\">" +
         calls("salesforce") + "</td><td class=\"num\">" + calls("hubspot") + "</td></tr>\n";
  }
  if (runs.empty()) b += "<tr><td colspan=\"10\">No pass yet: <code>accord run</code> writes this state.</td></tr>\n";
  b += "</tbody>\n</table>\n</section>\n";

  // errors by category
  std::map<std::string, size_t> cats;
  for (const auto& e : o.errors) ++cats[e.category];
  b += "<section id=\"categories\">\n<h2>Errors by category</h2>\n";
  if (cats.empty())
    b += "<p>The error log is empty.</p>\n";
  else {
    b += "<ul>\n";
    for (const auto& [cat, n] : cats)
      b += "<li><a href=\"" + o.root + "/errors#cat-" + Html(cat) + "\">" + Html(cat) + "</a> <span class=\"count\">" +
           std::to_string(n) + "</span></li>\n";
    b += "</ul>\n";
  }
  if (!o.notes.empty())
    b += "<p>" + std::to_string(o.notes.size()) + " notes (decisions to review) are listed on the <a href=\"" + o.root +
         "/errors#notes\">errors page</a>.</p>\n";
  b += "</section>\n<p class=\"footnote\">State file <code>" + Html(o.state) +
       "</code>; write history: " + std::to_string(o.history_rows) + " rows.</p>\n";
  return Page(o.root, "Overview", "Overview", b);
}

std::string ErrorsPage(const std::string& root, const std::vector<store::SyncError>& errors,
                       const std::vector<store::SyncError>& notes, const std::string& csrf, const std::string& flash) {
  std::string b = "<h1>Error log</h1>\n";
  if (!flash.empty()) b += "<p class=\"flash\" role=\"status\">" + Html(flash) + "</p>\n";
  b += "<p>One entry per record and category. A permanent error waits until the record or the rules change; a "
       "transient one is retried with backoff. <em>Retry</em> makes entries due on the next pass (like "
       "<code>accord retry</code>).</p>\n";
  std::map<std::string, std::vector<const store::SyncError*>> cats;
  for (const auto& e : errors) cats[e.category].push_back(&e);
  if (cats.empty())
    b += "<p id=\"empty\">The error log is empty.</p>\n";
  else
    b += Filter("#errors table");
  b += "<div id=\"errors\">\n";
  for (const auto& [cat, list] : cats) {
    b += "<section class=\"category\" id=\"cat-" + Html(cat) + "\">\n<h2>" + Html(cat) + " <span class=\"count\">" +
         std::to_string(list.size()) + "</span></h2>\n<form method=\"post\" action=\"" + root +
         "/retry\" data-confirm=\"Retry every " + Html(cat) + " entry on the next pass?\">" + CsrfInput(csrf) +
         "<input type=\"hidden\" name=\"category\" value=\"" + Html(cat) + "\"><button type=\"submit\">Retry all " +
         Html(cat) +
         "</button></form>\n<table>\n<thead><tr><th>sync</th><th>Salesforce</th><th>HubSpot</th><th>message</th>"
         "<th>rule</th><th>attempts</th><th>waits</th><th></th></tr></thead>\n<tbody>\n";
    for (const store::SyncError* e : list)
      b += "<tr data-id=\"" + std::to_string(e->id) + "\"><td>" + Html(e->sync) + "</td><td>" +
           RecordLink(root, "salesforce", e->salesforce_id) + "</td><td>" + RecordLink(root, "hubspot", e->hubspot_id) +
           "</td><td class=\"message\">" + Html(e->message) + "</td><td><code>" + Html(e->rule) +
           "</code></td><td class=\"num\">" + std::to_string(e->attempts) + "</td><td>" +
           (e->permanent       ? "for a change"
            : e->retry_at == 0 ? "due now"
                               : "retried") +
           "</td><td><form method=\"post\" action=\"" + root + "/retry\">" + CsrfInput(csrf) +
           "<input type=\"hidden\" name=\"id\" value=\"" + std::to_string(e->id) +
           "\"><button type=\"submit\">Retry</button></form></td></tr>\n";
    b += "</tbody>\n</table>\n</section>\n";
  }
  b += "</div>\n<section id=\"notes\">\n<h2>Notes <span class=\"count\">" + std::to_string(notes.size()) +
       "</span></h2>\n<p>Decisions to review (nothing waits on them), e.g. a two_way conflict a record's time "
       "decided.</p>\n";
  if (!notes.empty()) {
    b += "<table>\n<thead><tr><th>sync</th><th>Salesforce</th><th>HubSpot</th><th>note</th><th>rule</th></tr>"
         "</thead>\n<tbody>\n";
    for (const auto& n : notes)
      b += "<tr><td>" + Html(n.sync) + "</td><td>" + RecordLink(root, "salesforce", n.salesforce_id) + "</td><td>" +
           RecordLink(root, "hubspot", n.hubspot_id) + "</td><td class=\"message\">" + Html(n.message) +
           "</td><td><code>" + Html(n.rule) + "</code></td></tr>\n";
    b += "</tbody>\n</table>\n";
  }
  b += "</section>\n";
  return Page(root, "Errors", "Errors", b);
}

std::string RecordPage(const std::string& root, const WhyReport* r, const std::string& problem) {
  std::string b = "<h1>Record</h1>\n<form id=\"lookup\" method=\"get\" action=\"" + root +
                  "/record\">"
                  "<label>System <select name=\"system\">";
  for (const char* s : {"salesforce", "hubspot"})
    b += std::string("<option") + (r && r->system == s ? " selected" : "") + ">" + s + "</option>";
  b += "</select></label> <label>Id <input name=\"id\" required value=\"" + Html(r ? r->id : "") +
       "\"></label> <label>Field <input name=\"field\" value=\"" + Html(r ? r->field : "") +
       "\" placeholder=\"(every field)\"></label> <button type=\"submit\">Show</button></form>\n";
  if (!problem.empty()) b += "<p class=\"flash bad\" role=\"alert\">" + Html(problem) + "</p>\n";
  if (!r) return Page(root, "Record", "Record", b);
  b += "<section id=\"record\" data-system=\"" + Html(r->system) + "\" data-id=\"" + Html(r->id) + "\">\n<h2>" +
       Html(r->system) + " " + Html(r->id) + (r->field.empty() ? "" : " · " + Html(r->field)) + "</h2>\n";
  b += "<h3>Links</h3>\n";
  if (r->links.empty()) b += "<p>Not linked in any sync.</p>\n";
  for (const auto& v : r->links) {
    b += "<div class=\"link\"><p>Sync <strong>" + Html(v.link.sync) + "</strong>: Salesforce " +
         RecordLink(root, "salesforce", v.link.salesforce_id) + " ↔ HubSpot " +
         RecordLink(root, "hubspot", v.link.hubspot_id) + " <span class=\"state\">" +
         Html(std::string(store::LinkStateName(v.link.state))) + "</span></p>\n";
    if (!v.shadows.empty()) {
      b += "<table class=\"shadows\">\n<caption>Agreed values (the shadows: what both sides held when last in "
           "agreement)</caption>\n<thead><tr><th>field rule</th><th>Salesforce</th><th>HubSpot</th></tr></thead>\n"
           "<tbody>\n";
      for (const auto& sh : v.shadows) {
        std::string key = sh.field;
        if (size_t bar = key.find('|'); bar != std::string::npos)
          key = key.substr(0, bar) + " ↔ " + key.substr(bar + 1);
        b +=
            "<tr><td>" + Html(key) + "</td><td>" + Value(sh.base_sf) + "</td><td>" + Value(sh.base_hs) + "</td></tr>\n";
      }
      b += "</tbody>\n</table>\n";
    }
    b += "</div>\n";
  }
  b += "<h3>History</h3>\n";
  if (r->history.empty())
    b += "<p id=\"no-history\">No write recorded (or pruned by the retention).</p>\n";
  else {
    b += Filter("#history") +
         "<table id=\"history\">\n<thead><tr><th>when</th><th>pass</th><th>write</th><th>field</th><th>old</th>"
         "<th>new</th><th>rule</th><th>policy</th></tr></thead>\n<tbody>\n";
    for (const auto& h : r->history)
      b += "<tr><td>" + Time(h.at) + "</td><td>#" + std::to_string(h.run) + "</td><td>" + Html(h.kind) + " " +
           Html(h.target) + "</td><td>" + Html(h.field) + "</td><td>" + Value(h.old_value) + "</td><td>" +
           Value(h.new_value) + "</td><td><code>" + Html(h.rule) + "</code></td><td>" + Html(h.policy) + "</td></tr>\n";
    b += "</tbody>\n</table>\n";
  }
  b += "<h3>Waiting errors</h3>\n";
  if (r->errors.empty())
    b += "<p>None.</p>\n";
  else {
    b += "<ul class=\"errors\">\n";
    for (const auto& e : r->errors)
      b += "<li><strong>" + Html(e.category) + "</strong> (" + Html(e.sync) + "): " + Html(e.message) +
           (e.rule.empty() ? "" : " <code>" + Html(e.rule) + "</code>") + "</li>\n";
    b += "</ul>\n";
  }
  b += "</section>\n";
  return Page(root, r->system + " " + r->id, "Record", b);
}

std::string DriftPage(const std::string& root, const DriftResult* d, const std::string& why_not, int64_t computed_ms,
                      const std::string& csrf) {
  std::string b =
      "<h1>Drift</h1>\n<p>Linked pairs whose values disagree once the engine has decided, field by "
      "field, and why (the same decision as <code>accord run</code>; computed by a dry, full pass that "
      "writes nothing, like <code>accord drift</code>).</p>\n";
  if (!d)
    return Page(root, "Drift", "Drift", b + "<p id=\"drift-unavailable\" class=\"flash\">" + Html(why_not) + "</p>\n");
  b += "<form method=\"post\" action=\"" + root + "/drift\">" + CsrfInput(csrf) + "<p id=\"drift-summary\">" +
       Html(d->items.empty() ? "No drift: every linked pair agrees (" + std::to_string(d->pairs) + " pairs compared)."
                             : DriftSummary(d->items) + ".") +
       " Computed " + Time(computed_ms) + ". <button type=\"submit\">Compute again</button></p></form>\n";
  if (!d->items.empty()) {
    b += Filter("#drift") +
         "<table id=\"drift\">\n<thead><tr><th>sync</th><th>Salesforce</th><th>HubSpot</th><th>fields</th>"
         "<th>Salesforce value</th><th>HubSpot value</th><th>reason</th><th>why</th><th>rule</th></tr></thead>\n"
         "<tbody>\n";
    for (const auto& x : d->items)
      b += "<tr class=\"reason-" + Html(x.reason) + "\"><td>" + Html(x.sync) + "</td><td>" +
           RecordLink(root, "salesforce", x.salesforce_id) + "</td><td>" + RecordLink(root, "hubspot", x.hubspot_id) +
           "</td><td>" + Html(x.field[0]) + " ↔ " + Html(x.field[1]) + "</td><td>" + Value(x.value[0]) + "</td><td>" +
           Value(x.value[1]) + "</td><td><span class=\"reason\">" + Html(x.reason) + "</span></td><td>" +
           Html(x.detail) + "</td><td><code>" + Html(x.rule) + "</code></td></tr>\n";
    b += "</tbody>\n</table>\n";
  }
  b += "<details>\n<summary>The reasons</summary>\n<dl>\n";
#define X(id, name, doc) b += std::string("<dt>") + name + "</dt><dd>" + Html(doc) + "</dd>\n";
  ACCORD_DRIFT_REASONS(X)
#undef X
  b += "</dl>\n</details>\n";
  return Page(root, "Drift", "Drift", b);
}

std::string NotFoundPage(const std::string& root, const std::string& path) {
  return Page(root, "Not found", "", "<h1>Not found</h1>\n<p>No page " + Html(path) + ".</p>\n");
}

const char kOpsJs[] =
    R"js(// accord status: local times, time since the last pass, table filters, a confirm before a retry.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("time[data-ms]").forEach(function (t) {
    var d = new Date(Number(t.dataset.ms));
    t.title = t.textContent;
    t.textContent = d.toLocaleString();
  });
  document.querySelectorAll(".ago[data-since]").forEach(function (el) {
    var since = Number(el.dataset.since);
    function tick() {
      var s = Math.max(0, Math.round((Date.now() - since) / 1000));
      el.textContent = (s < 120 ? s + " s" : s < 7200 ? Math.round(s / 60) + " min" : Math.round(s / 3600) + " h") + " ago";
    }
    tick();
    setInterval(tick, 1000);
  });
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      document.querySelectorAll(input.dataset.filter).forEach(function (table) {
        table.querySelectorAll("tbody tr").forEach(function (row) {
          row.hidden = q !== "" && row.textContent.toLowerCase().indexOf(q) < 0;
        });
      });
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  });
  document.body.dataset.ready = "1";
});
)js";

const char kOpsCss[] =
    R"css(body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #fafbfc; }
header { display: flex; gap: 1.5em; align-items: center; padding: .6em 1.2em; background: #1f3a5f; color: #fff; }
header .brand { font-weight: 600; }
nav a { color: #dbe7f5; margin-right: 1em; text-decoration: none; }
nav a[aria-current=page] { color: #fff; border-bottom: 2px solid #fff; }
main { padding: 1em 1.2em 3em; max-width: 1400px; }
h1 { font-size: 1.5em; margin: .3em 0 .6em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .4em; }
table { border-collapse: collapse; background: #fff; margin: .3em 0; }
th, td { border: 1px solid #d8dee4; padding: .25em .55em; text-align: left; vertical-align: top; }
thead th { background: #eef2f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-style: italic; padding: .2em 0; }
.health { padding: .6em .9em; border-radius: 4px; }
.health.ok { background: #e6f4ea; } .health.warn { background: #fff4d6; } .health.bad { background: #fde7e9; }
.flash { background: #e8f0fe; padding: .4em .8em; } .flash.bad { background: #fde7e9; }
.count { background: #eef2f6; border-radius: 8px; padding: 0 .5em; font-size: .9em; }
.null { color: #8b949e; font-style: italic; }
q { quotes: "\201C" "\201D"; }
.reason { font-family: ui-monospace, monospace; font-size: .9em; }
tr.failed td { background: #fde7e9; }
td.message { max-width: 40em; }
form { display: inline; margin: 0; }
.category form:first-of-type { display: block; margin: .2em 0; }
.footnote { color: #57606a; margin-top: 2em; }
)css";

}  // namespace accord::cli::web
