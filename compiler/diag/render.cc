#include "compiler/diag/render.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace accord {
namespace {

const char* kReset = "\x1b[0m";
const char* kBold = "\x1b[1m";
const char* kRed = "\x1b[1;31m";
const char* kYellow = "\x1b[1;33m";
const char* kCyan = "\x1b[1;36m";
const char* kGreen = "\x1b[1;32m";

// Tabs are rendered as single spaces so the caret lines up.
std::string Detab(std::string_view s) {
  std::string o(s);
  std::replace(o.begin(), o.end(), '\t', ' ');
  return o;
}

// Display width of a byte prefix (UTF-8 continuation bytes take no column).
size_t Columns(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void Snippet(std::string& out, const SourceFile& f, Range r, bool color, const char* mark_color) {
  if (f.text().empty()) return;
  LineCol b = f.Locate(r.begin);
  LineCol e = f.Locate(r.end > r.begin ? r.end : r.begin);
  std::string_view line = f.LineText(b.line);
  if (line.size() > 300) return;  // minified or generated: the location says enough
  std::string num = std::to_string(b.line);
  std::string pad(num.size(), ' ');
  out += (color ? std::string(kCyan) : "") + pad + " |" + (color ? kReset : "") + "\n";
  out += (color ? std::string(kCyan) : "") + num + " |" + (color ? kReset : "") + " " + Detab(line) + "\n";
  size_t start_col = Columns(line.substr(0, std::min<size_t>(b.column - 1, line.size())));
  size_t end_byte = (e.line == b.line) ? e.column - 1 : line.size();
  size_t width = end_byte > b.column - 1 ? Columns(line.substr(b.column - 1, end_byte - (b.column - 1))) : 1;
  if (width == 0) width = 1;
  out += (color ? std::string(kCyan) : "") + pad + " |" + (color ? kReset : "") + " " + std::string(start_col, ' ') +
         (color ? mark_color : "") + "^" + std::string(width - 1, '~') + (color ? kReset : "") + "\n";
}

std::string Location(const SourceFile* f, Range r) {
  if (!f) return "accord";
  LineCol lc = f->Locate(r.begin);
  return f->path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
}

}  // namespace

std::string RenderText(const std::vector<Diagnostic>& diags, const RenderOptions& opt) {
  std::string out;
  for (const auto& d : diags) {
    const char* sc = d.severity == Severity::kError ? kRed : d.severity == Severity::kWarning ? kYellow : kCyan;
    if (opt.color) out += kBold;
    out += Location(d.file, d.range) + ": ";
    if (opt.color) out += std::string(kReset) + sc;
    out += std::string(SeverityName(d.severity)) + "[" + std::string(Info(d.code).id) + "]";
    if (opt.color) out += std::string(kReset) + kBold;
    out += ": " + d.message;
    if (opt.color) out += kReset;
    out += "\n";
    if (d.file) Snippet(out, *d.file, d.range, opt.color, sc);
    for (const auto& n : d.notes) {
      if (n.file) {
        out += "  " + Location(n.file, n.range) + ": ";
        out += (opt.color ? std::string(kCyan) : "") + "note" + (opt.color ? kReset : "") + ": " + n.message + "\n";
      } else {
        out += std::string("  = ") + (opt.color ? kCyan : "") + "note" + (opt.color ? kReset : "") + ": " + n.message +
               "\n";
      }
    }
    if (d.fixit) {
      out += std::string("  = ") + (opt.color ? kGreen : "") + "help" + (opt.color ? kReset : "") + ": replace with `" +
             *d.fixit + "`\n";
    }
  }
  return out;
}

namespace {

nlohmann::json Position(const SourceFile* f, Range r) {
  nlohmann::json j;
  if (!f) {
    j["file"] = nullptr;
    j["line"] = 0;
    j["column"] = 0;
    j["end_line"] = 0;
    j["end_column"] = 0;
    return j;
  }
  LineCol b = f->Locate(r.begin), e = f->Locate(r.end);
  j["file"] = f->path();
  j["line"] = b.line;
  j["column"] = b.column;
  j["end_line"] = e.line;
  j["end_column"] = e.column;
  return j;
}

// Diagnostics are built from user input, which the parser has checked to be
// UTF-8; replace anything else so the JSON writer never throws.
nlohmann::json::string_t Clean(const std::string& s) { return s; }

std::string DumpJson(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string RenderJson(const std::vector<Diagnostic>& diags) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& d : diags) {
    nlohmann::json j = Position(d.file, d.range);
    j["severity"] = std::string(SeverityName(d.severity));
    j["code"] = std::string(Info(d.code).id);
    j["message"] = Clean(d.message);
    nlohmann::json notes = nlohmann::json::array();
    for (const auto& n : d.notes) {
      nlohmann::json nj = Position(n.file, n.range);
      nj["message"] = Clean(n.message);
      notes.push_back(std::move(nj));
    }
    j["notes"] = std::move(notes);
    j["fixit"] = d.fixit ? nlohmann::json(*d.fixit) : nlohmann::json(nullptr);
    arr.push_back(std::move(j));
  }
  return DumpJson(arr) + "\n";
}

std::string RenderSarif(const std::vector<Diagnostic>& diags, const RenderOptions& opt) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& info : AllDiagCodes()) {
    nlohmann::json r;
    r["id"] = std::string(info.id);
    r["name"] = std::string(info.title);
    r["shortDescription"] = {{"text", std::string(info.title)}};
    r["help"] = {{"text", "See docs/diagnostics.md, section " + std::string(info.id)}};
    r["defaultConfiguration"] = {{"level", info.severity == Severity::kError ? "error" : "warning"}};
    rules.push_back(std::move(r));
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& d : diags) {
    nlohmann::json res;
    res["ruleId"] = std::string(Info(d.code).id);
    res["ruleIndex"] = static_cast<int>(d.code);
    res["level"] = d.severity == Severity::kError ? "error" : d.severity == Severity::kWarning ? "warning" : "note";
    std::string text = d.message;
    for (const auto& n : d.notes) text += "\nnote: " + n.message;
    res["message"] = {{"text", text}};
    if (d.file) {
      LineCol b = d.file->Locate(d.range.begin), e = d.file->Locate(d.range.end);
      nlohmann::json region = {{"startLine", b.line},
                               {"startColumn", b.column},
                               {"endLine", e.line},
                               {"endColumn", std::max<uint32_t>(e.column, e.line == b.line ? b.column + 1 : 1)},
                               {"charOffset", d.range.begin},
                               {"charLength", d.range.end - d.range.begin}};
      res["locations"] = nlohmann::json::array(
          {{{"physicalLocation", {{"artifactLocation", {{"uri", d.file->path()}}}, {"region", region}}}}});
    } else {
      res["locations"] = nlohmann::json::array();
    }
    results.push_back(std::move(res));
  }
  nlohmann::json log;
  log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  log["version"] = "2.1.0";
  log["runs"] = nlohmann::json::array(
      {{{"tool", {{"driver", {{"name", "accord"}, {"version", opt.tool_version}, {"rules", rules}}}}},
        {"results", results}}});
  return DumpJson(log) + "\n";
}

}  // namespace accord
