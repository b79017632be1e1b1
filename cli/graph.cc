// accord graph PATH [--sync NAME] [--format dot|svg]
//
// Draws the rules: per sync, the fields of both objects that rules touch and
// the flows between them. Arrow direction = sync direction; style = what
// happens to the value (plain copy solid, transform dashed, values table
// bold, computed from an expression dotted); colour = the conflict policy.
// Lifecycles are drawn as their ordered stage chain with the triggers.
// SVG goes through Graphviz's `dot` when it is installed; DOT always works.
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "compiler/driver/driver.h"
#include "compiler/fmt/formatter.h"

namespace accord::cli {

namespace {

struct GraphArgs {
  std::vector<std::string> paths;
  std::string sync;
  std::string format = "dot";
};

std::string Html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A DOT string: only a newline escaped (DOT reads \r and \l as line breaks of its own).
std::string Quote(std::string_view s) { return base::Quote(s, {"\n", false, false, false}); }

// Colour per conflict policy (HubSpot's names); one-way fields have none.
const char* PolicyColor(const std::optional<ast::ConflictPolicy>& p) {
  if (!p) return "#444444";
  switch (p->kind) {
    case ast::ConflictKind::kTwoWay:
      return "#7b3fb5";
    case ast::ConflictKind::kPrefer:
      return p->side == ast::Side::kSalesforce ? "#0176d3" : "#ff5c35";
    case ast::ConflictKind::kPreferUnlessBlank:
      return p->side == ast::Side::kSalesforce ? "#5aa9e6" : "#ff9f85";
    case ast::ConflictKind::kDontSync:
      return "#9e9e9e";
  }
  return "#444444";
}

std::string PolicyText(const std::optional<ast::ConflictPolicy>& p) { return p ? ast::ConflictPolicyText(*p) : ""; }

const char* DirAttr(ast::Direction d) {
  switch (d) {
    case ast::Direction::kBoth:
      return "both";
    case ast::Direction::kToHubSpot:
      return "forward";
    case ast::Direction::kToSalesforce:
      return "back";
  }
  return "forward";
}

bool PlainField(const ast::Expr* e) {
  return e && e->parens == 0 && (e->kind == ast::ExprKind::kIdent || e->kind == ast::ExprKind::kSelect);
}

// The field a plain side names (`Email`, `salesforce.Email`).
std::string FieldOf(const ast::Expr* e) { return e->name; }

void Legend(std::string& out) {
  out += "  subgraph cluster_legend {\n    label=\"legend\"; fontsize=10; color=\"#cccccc\";\n";
  out += "    node [shape=plaintext, fontsize=9]; edge [fontsize=9];\n";
  const char* rows[][3] = {
      {"copy", "solid", "#444444"},
      {"with / to transform", "dashed", "#444444"},
      {"via values table", "bold", "#444444"},
      {"computed", "dotted", "#444444"},
      {"two_way", "solid", "#7b3fb5"},
      {"prefer salesforce", "solid", "#0176d3"},
      {"prefer hubspot", "solid", "#ff5c35"},
      {"... unless blank", "solid", "#5aa9e6"},
      {"dont_sync", "solid", "#9e9e9e"},
  };
  int i = 0;
  for (auto& r : rows) {
    out += "    lg" + std::to_string(i) + "a [label=\"\"]; lg" + std::to_string(i) + "b [label=" + Quote(r[0]) + "];\n";
    out += "    lg" + std::to_string(i) + "a -> lg" + std::to_string(i) + "b [style=" + r[1] + ", color=\"" + r[2] +
           "\"];\n";
    ++i;
  }
  out += "  }\n";
}

std::string Dot(const driver::RuleSet& set, const std::string& only) {
  std::string out =
      "digraph accord {\n  rankdir=LR; newrank=true; fontname=\"Helvetica\";\n"
      "  node [fontname=\"Helvetica\", fontsize=11]; edge [fontname=\"Helvetica\", fontsize=9];\n";
  int n = 0;
  for (const sema::SyncInfo& si : set.model.syncs) {
    const ast::SyncDecl& s = *si.decl;
    if (!only.empty() && s.name.text != only) continue;
    std::string id = "s" + std::to_string(n++);
    // the sync-wide conflict default
    std::optional<ast::ConflictPolicy> sync_policy;
    for (const auto& item : s.items)
      if (auto* c = std::get_if<ast::ConflictDefault>(&item)) sync_policy = c->policy;
    // fields touched on each side, in rule order
    std::vector<std::string> sf_fields, hs_fields;
    std::set<std::string> sf_seen, hs_seen;
    auto touch = [](std::vector<std::string>& v, std::set<std::string>& seen, const std::string& f) {
      if (seen.insert(f).second) v.push_back(f);
    };
    for (const auto& item : s.items) {
      if (auto* r = std::get_if<ast::FieldRule>(&item)) {
        if (PlainField(r->salesforce.get())) touch(sf_fields, sf_seen, FieldOf(r->salesforce.get()));
        if (PlainField(r->hubspot.get())) touch(hs_fields, hs_seen, FieldOf(r->hubspot.get()));
      } else if (auto* a = std::get_if<ast::Associate>(&item)) {
        touch(sf_fields, sf_seen, a->sf_field.text);
      }
    }
    auto table = [&](const std::string& node, const std::string& title, const char* color,
                     const std::vector<std::string>& fields) {
      out += "    " + node + " [shape=plaintext, label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\">";
      out += "<tr><td bgcolor=\"" + std::string(color) + "\"><font color=\"white\"><b>" + Html(title) +
             "</b></font></td></tr>";
      for (const auto& f : fields) out += "<tr><td port=\"" + Html(f) + "\" align=\"left\">" + Html(f) + "</td></tr>";
      out += "</table>>];\n";
    };
    out += "  subgraph cluster_" + id + " {\n    label=" +
           Quote("sync " + s.name.text + "  (" + std::string(ast::DirectionToken(s.dir)) + ")" +
                 (sync_policy ? "  conflict " + PolicyText(sync_policy) : "")) +
           "; style=rounded; color=\"#bbbbbb\";\n";
    table(id + "_sf", "salesforce." + s.left.object.text, "#0176d3", sf_fields);
    table(id + "_hs", "hubspot." + s.right.object.text, "#ff5c35", hs_fields);
    int k = 0;
    for (const auto& item : s.items) {
      if (auto* a = std::get_if<ast::Associate>(&item)) {
        std::string assoc = id + "_as" + std::to_string(k++);
        out += "    " + assoc + " [shape=note, fontsize=9, label=" + Quote("associated " + a->hs_object.text) + "];\n";
        out += "    " + id + "_sf:" + Quote(a->sf_field.text) + " -> " + assoc + " [dir=" + DirAttr(a->dir) +
               ", style=dashed, color=\"#888888\"];\n";
        continue;
      }
      auto* r = std::get_if<ast::FieldRule>(&item);
      if (!r) continue;
      std::optional<ast::ConflictPolicy> policy = r->conflict ? r->conflict : sync_policy;
      if (r->dir != ast::Direction::kBoth) policy.reset();  // a policy never applies one way
      std::string style = "solid", label;
      if (r->with || !r->transforms.empty()) {
        style = "dashed";
        if (r->with) label = "with " + fmt::FormatExpr(*r->with);
        for (const auto& t : r->transforms)
          label += std::string(label.empty() ? "" : "\n") + "to " + std::string(ast::SideName(t.to)) + ": " +
                   fmt::FormatExpr(*t.expr);
      }
      if (r->via) {
        style = "bold";
        label += std::string(label.empty() ? "" : "\n") + "via " + r->via->text;
      }
      if (r->blank) {
        const char* b = r->blank->kind == ast::BlankKind::kIgnore  ? "blank ignore"
                        : r->blank->kind == ast::BlankKind::kClear ? "blank clear"
                                                                   : "blank default";
        label += std::string(label.empty() ? "" : "\n") + b;
      }
      if (r->conflict) label += std::string(label.empty() ? "" : "\n") + PolicyText(r->conflict);
      std::string from, to;
      if (PlainField(r->salesforce.get())) from = id + "_sf:" + Quote(FieldOf(r->salesforce.get()));
      if (PlainField(r->hubspot.get())) to = id + "_hs:" + Quote(FieldOf(r->hubspot.get()));
      if (from.empty() || to.empty()) {  // computed: an expression node on the source side
        style = "dotted";
        const ast::Expr* e = from.empty() ? r->salesforce.get() : r->hubspot.get();
        std::string expr = id + "_ex" + std::to_string(k++);
        out += "    " + expr +
               " [shape=box, style=\"rounded,dashed\", fontsize=9, label=" + Quote(e ? fmt::FormatExpr(*e) : "?") +
               "];\n";
        (from.empty() ? from : to) = expr;
      }
      out += "    " + from + " -> " + to + " [dir=" + DirAttr(r->dir) + ", style=" + style + ", color=\"" +
             PolicyColor(policy) + "\"" + (label.empty() ? "" : ", label=" + Quote(label)) + "];\n";
    }
    out += "  }\n";
  }
  // lifecycles: the stage chain and its triggers
  if (only.empty()) {
    int l = 0;
    for (const auto& p : set.parsed) {
      for (const auto& d : p.file->decls) {
        auto* lc = std::get_if<ast::LifecycleDecl>(&d);
        if (!lc) continue;
        std::string id = "l" + std::to_string(l++);
        bool forward = false;
        std::vector<const ast::Stage*> stages;
        for (const auto& item : lc->items) {
          if (auto* o = std::get_if<ast::StageOrder>(&item))
            for (const auto& st : o->stages) stages.push_back(&st);
          if (std::holds_alternative<ast::ForwardOnly>(item)) forward = true;
        }
        out += "  subgraph cluster_" + id + " {\n    label=" +
               Quote("lifecycle " + ast::FieldPathText(lc->property) + (forward ? "  (forward only)" : "")) +
               "; style=rounded; color=\"#bbbbbb\";\n";
        for (size_t i = 0; i < stages.size(); ++i) {
          out += "    " + id + "_" + std::to_string(i) + " [shape=box, style=rounded, label=" + Quote(stages[i]->name) +
                 "];\n";
          if (i > 0)
            out += "    " + id + "_" + std::to_string(i - 1) + " -> " + id + "_" + std::to_string(i) +
                   " [color=\"#ff5c35\"];\n";
        }
        int t = 0;
        for (const auto& item : lc->items) {
          auto* tr = std::get_if<ast::Trigger>(&item);
          if (!tr) continue;
          size_t target = stages.size();
          for (size_t i = 0; i < stages.size(); ++i)
            if (stages[i]->name == tr->stage.name) target = i;
          if (target == stages.size()) continue;
          std::string node = id + "_t" + std::to_string(t++);
          std::string text = ast::FieldPathText(tr->field) + "\nbecomes " + tr->value.text;
          if (tr->for_object)
            text += "\nfor " + tr->for_object->text + (tr->of_field ? " of " + tr->of_field->text : "");
          out += "    " + node + " [shape=note, fontsize=9, label=" + Quote(text) + "];\n";
          out += "    " + node + " -> " + id + "_" + std::to_string(target) + " [style=dashed, color=\"#0176d3\"];\n";
        }
        out += "  }\n";
      }
    }
  }
  Legend(out);
  out += "}\n";
  return out;
}

int RunGraph(const GraphArgs& a) {
  driver::RuleSet set;
  if (int code = LoadCheckedRules(a.paths, "graph", set); code != kOk) return code;
  if (!a.sync.empty()) {
    bool found = false;
    for (const auto& s : set.model.syncs) found |= s.decl && s.decl->name.text == a.sync;
    if (!found) {
      std::cerr << "accord graph: no sync named '" << a.sync << "'\n";
      return kUsage;
    }
  }
  std::string dot = Dot(set, a.sync);
  if (a.format == "dot") {
    std::cout << dot;
    return kOk;
  }
  // SVG through Graphviz
  if (std::system("command -v dot >/dev/null 2>&1") != 0) {
    std::cerr << "accord graph: --format svg needs Graphviz's `dot` (Debian package graphviz); "
                 "--format dot works without it\n";
    return kUsage;
  }
  char tmpl[] = "/tmp/accord-graph-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) {
    std::cerr << "accord graph: cannot create a temporary file\n";
    return kUsage;
  }
  FILE* f = fdopen(fd, "w");
  std::fwrite(dot.data(), 1, dot.size(), f);
  std::fclose(f);
  std::string cmd = std::string("dot -Tsvg ") + tmpl;
  FILE* p = popen(cmd.c_str(), "r");
  int rc = 1;
  if (p) {
    char buf[1 << 14];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) std::fwrite(buf, 1, n, stdout);
    rc = pclose(p);
  }
  std::remove(tmpl);
  if (rc != 0) {
    std::cerr << "accord graph: dot failed (exit " << rc << ")\n";
    return kUsage;
  }
  return kOk;
}

}  // namespace

void RegisterGraph(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<GraphArgs>();
  auto* cmd = app.add_subcommand("graph", "Draw the syncs and lifecycles as a graph (DOT or SVG)");
  cmd->footer(
      "Arrow direction = sync direction; style: solid copy, dashed transform, bold values table, dotted computed;\n"
      "colour = conflict policy (a legend is drawn). SVG needs Graphviz (`dot`).");
  cmd->add_option("PATH", args->paths, "rule files or folders");
  cmd->add_option("--sync", args->sync, "only this sync");
  cmd->add_option("--format", args->format, "dot or svg")->check(CLI::IsMember({"dot", "svg"}));
  cmd->callback([args, &exit_code] { exit_code = RunGraph(*args); });
}

}  // namespace accord::cli
