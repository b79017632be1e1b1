#include "compiler/lsp/server.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <istream>
#include <ostream>

#include "base/strings.h"
#include "compiler/fmt/formatter.h"
#include "compiler/lsp/completion.h"
#include "compiler/lsp/lookup.h"
#include "compiler/sema/stdlib_decls.h"

namespace accord::lsp {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// LSP enumerations used here.
enum CompletionItemKind {
  kMethod = 2,
  kFunction = 3,
  kField = 5,
  kVariable = 6,
  kClass = 7,
  kModule = 9,
  kKeyword = 14,
  kEnum = 13,
  kEnumMember = 20
};
enum DiagnosticSeverity { kSevError = 1, kSevWarning = 2, kSevInformation = 3 };
enum TextDocumentSyncKind { kSyncFull = 1 };

schema::System Sys(ast::Side s) {
  return s == ast::Side::kSalesforce ? schema::System::kSalesforce : schema::System::kHubSpot;
}
std::string SideText(ast::Side s) { return std::string(ast::SideName(s)); }

json PositionJson(Position p) { return {{"line", p.line}, {"character", p.character}}; }

json RangeJson(const LineIndex& index, Range r, Encoding enc) {
  return {{"start", PositionJson(index.ToPosition(r.begin, enc))}, {"end", PositionJson(index.ToPosition(r.end, enc))}};
}

// A CEL string literal for `value` (Escaped: its body), a DEL byte as it is.
constexpr base::QuoteStyle kLiteral{"\n\r\t", true, false, false};
std::string Escaped(std::string_view value) {
  std::string out;
  base::EscapeTo(out, value, kLiteral);
  return out;
}
std::string Quote(std::string_view value) { return base::Quote(value, kLiteral); }

bool IsIdentifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// Markdown inline code that survives backticks in the text.
std::string Code(std::string_view s) {
  std::string fence = s.find('`') == std::string_view::npos ? "`" : "``";
  return fence + (fence.size() > 1 ? " " : "") + std::string(s) + (fence.size() > 1 ? " " : "") + fence;
}

const schema::Object* FindObject(const schema::SchemaSet& schemas, ast::Side side, const std::string& name) {
  if (name.empty()) return nullptr;
  return schemas.Find(Sys(side), name);
}

const schema::Field* FindField(const schema::SchemaSet& schemas, const FieldName& f, const schema::Object** obj) {
  const schema::Object* o = FindObject(schemas, f.side, f.object);
  if (obj) *obj = o;
  return o ? o->FindField(f.field) : nullptr;
}

std::string FieldPathText(ast::Side side, const schema::Object& o, const schema::Field& f) {
  return SideText(side) + "." + o.name + "." + f.name;
}

// ---- hover texts ----

std::string FieldSummary(const schema::Field& f) {
  std::string s = std::string(schema::FieldTypeName(f.type));
  if (!f.label.empty()) s += " · " + f.label;
  return s;
}

std::string PicklistText(const schema::Field& f, size_t limit) {
  std::string out;
  size_t shown = 0;
  for (const schema::PicklistValue& v : f.values) {
    if (shown == limit) {
      out += "- … and " + std::to_string(f.values.size() - shown) + " more\n";
      break;
    }
    out += "- " + Code(Quote(v.value));
    if (!v.label.empty() && v.label != v.value) out += " " + v.label;
    if (!v.active) out += " *(inactive)*";
    if (v.is_default) out += " *(default)*";
    out += "\n";
    ++shown;
  }
  return out;
}

std::string FieldMarkdown(ast::Side side, const schema::Object& o, const schema::Field& f) {
  std::string md = "**" + FieldPathText(side, o, f) + "**";
  if (!f.label.empty()) md += " — " + f.label;
  md += "\n\n";
  bool sf = side == ast::Side::kSalesforce;
  md += "- type " + Code(schema::FieldTypeName(f.type)) + " (" + (sf ? "Salesforce " : "HubSpot ") +
        Code(f.native_type + (f.field_type_hint.empty() ? "" : "/" + f.field_type_hint)) + ")\n";
  if (f.length > 0) md += "- at most " + std::to_string(f.length) + " characters\n";
  if (f.required_on_create()) md += "- required on create\n";
  if (f.calculated)
    md += "- calculated: read-only\n";
  else if (f.read_only())
    md += "- read-only\n";
  else if (!f.createable)
    md += "- cannot be set on create\n";
  else if (!f.updateable)
    md += "- set on create only\n";
  if (f.unique) md += "- unique\n";
  if (f.external_id) md += "- external id\n";
  if (!f.reference_to.empty()) {
    md += "- references";
    for (size_t i = 0; i < f.reference_to.size(); ++i) md += (i ? ", " : " ") + f.reference_to[i];
    md += "\n";
  }
  if (!f.values.empty()) {
    md += "\n";
    if (f.is_picklist)
      md += std::string("Picklist") + (f.restricted_picklist ? " (restricted)" : "");
    else
      md += "Suggested values";
    md += ", " + std::to_string(f.values.size()) + " value" + (f.values.size() == 1 ? "" : "s") + ":\n\n";
    md += PicklistText(f, 40);
  }
  return md;
}

std::string ObjectMarkdown(const schema::Object& o) {
  std::string md = "**" + std::string(schema::SystemName(o.system)) + "." + o.name + "**";
  if (!o.label.empty()) md += " — " + o.label;
  md += "\n\n" + std::to_string(o.fields.size()) + " fields";
  if (!o.source_path.empty()) md += ", from " + Code(o.source_path);
  return md + "\n";
}

std::string FunctionMarkdown(const std::string& name, bool receiver) {
  std::vector<const sema::Overload*> overloads = sema::FindOverloads(name, receiver);
  if (overloads.empty()) overloads = sema::FindOverloads(name, !receiver);
  if (overloads.empty()) {
    if (sema::IsMacroName(name)) return "**" + name + "** — a macro built into the language (docs/language.md)\n";
    return "";
  }
  std::string md = "```accord\n";
  for (const sema::Overload* o : overloads) md += o->signature + "\n";
  md += "```\n";
  // One line per distinct doc; the signature only when the overloads differ.
  bool same_doc = std::all_of(overloads.begin(), overloads.end(),
                              [&](const sema::Overload* o) { return o->doc == overloads[0]->doc; });
  for (const sema::Overload* o : overloads) {
    md +=
        "\n" + (same_doc ? std::string() : Code(o->signature) + ": ") + o->doc + " Example: " + Code(o->example) + "\n";
    if (same_doc) break;
  }
  return md;
}

std::string ValuesHeader(const ast::ValuesDecl& v) {
  return "values " + v.name.text + ": " + ast::FieldPathText(v.left) + " " + std::string(ast::DirectionToken(v.dir)) +
         " " + ast::FieldPathText(v.right);
}

std::string SyncHeader(const ast::SyncDecl& s) {
  return "sync " + s.name.text + ": " + SideText(s.left.side) + "." + s.left.object.text + " " +
         std::string(ast::DirectionToken(s.dir)) + " " + SideText(s.right.side) + "." + s.right.object.text;
}

// ---- the rule set's declarations ----

template <typename T>
std::vector<std::pair<const ast::File*, const T*>> Decls(const driver::RuleSet& set, const std::string& name) {
  std::vector<std::pair<const ast::File*, const T*>> out;
  for (const auto& p : set.parsed) {
    if (!p.file) continue;
    for (const ast::Decl& d : p.file->decls)
      if (auto* t = std::get_if<T>(&d); t && (name.empty() || t->name.text == name)) out.emplace_back(p.file.get(), t);
  }
  return out;
}

// Where `"name": "<field>"` stands in a schema file (describe or properties JSON).
Range FindFieldInSchema(const std::string& text, const std::string& field) {
  std::string needle = "\"" + field + "\"";
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    size_t k = at;
    while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t' || text[k - 1] == '\n' || text[k - 1] == '\r')) --k;
    if (k == 0 || text[k - 1] != ':') continue;
    --k;
    while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t' || text[k - 1] == '\n' || text[k - 1] == '\r')) --k;
    if (k >= 6 && text.compare(k - 6, 6, "\"name\"") == 0)
      return Range{static_cast<uint32_t>(at), static_cast<uint32_t>(at + needle.size())};
  }
  return Range{};
}

}  // namespace

// ---- the server ----

Server::Server(driver::Options options) : options_(std::move(options)) {
  requests_ = {
      {"initialize", &Server::Initialize},
      {"shutdown", &Server::Shutdown},
      {"textDocument/hover", &Server::Hover},
      {"textDocument/completion", &Server::Completion},
      {"completionItem/resolve", &Server::ResolveCompletion},
      {"textDocument/definition", &Server::Definition},
      {"textDocument/formatting", &Server::Formatting},
      {"textDocument/codeAction", &Server::CodeAction},
  };
  notifications_ = {
      {"initialized", &Server::Initialized},      {"exit", &Server::Exit},
      {"textDocument/didOpen", &Server::DidOpen}, {"textDocument/didChange", &Server::DidChange},
      {"textDocument/didSave", &Server::DidSave}, {"textDocument/didClose", &Server::DidClose},
  };
}

Server::~Server() = default;

std::vector<json> Server::Handle(const json& message) {
  Out out;
  try {
    Dispatch(message, out);
  } catch (const std::exception& e) {
    // The one place exceptions stop: a client message of the wrong shape
    // (nlohmann::json's type errors) or an internal failure. Serving goes on.
    bool is_json_error = dynamic_cast<const json::exception*>(&e) != nullptr;
    const json* id = message.is_object() && message.contains("id") ? &message["id"] : nullptr;
    std::string what = e.what();
    if (is_json_error && what.starts_with("[json.exception.")) what.erase(0, what.find("] ") + 2);
    what = (is_json_error ? "invalid params: " : "internal error: ") + what;
    if (id) {
      out.push_back(ErrorResponse(*id, is_json_error ? kInvalidParams : kInternalError, what));
    } else {
      // A notification cannot be answered: say so in the client's log.
      std::string method = message.is_object() && message.contains("method") && message["method"].is_string()
                               ? message["method"].get<std::string>()
                               : "";
      out.push_back(
          Notification("window/logMessage", {{"type", 1}, {"message", "accord lsp: ignored " + method + ": " + what}}));
    }
  }
  return out;
}

void Server::Dispatch(const json& message, Out& out) {
  if (!message.is_object()) {
    out.push_back(ErrorResponse(nullptr, kInvalidRequest, "a message must be a JSON object"));
    return;
  }
  bool has_id = message.contains("id");
  if (has_id && !message["id"].is_number_integer() && !message["id"].is_string()) {
    out.push_back(ErrorResponse(nullptr, kInvalidRequest, "a request id must be a number or a string"));
    return;
  }
  if (!message.contains("method")) {
    if (has_id && (message.contains("result") || message.contains("error"))) return;  // a reply: we ask nothing
    out.push_back(ErrorResponse(has_id ? message["id"] : json(nullptr), kInvalidRequest, "no method"));
    return;
  }
  if (!message["method"].is_string()) {
    out.push_back(ErrorResponse(has_id ? message["id"] : json(nullptr), kInvalidRequest, "method must be a string"));
    return;
  }
  const std::string method = message["method"].get<std::string>();
  static const json kNoParams = json::object();
  const json& params = message.contains("params") ? message["params"] : kNoParams;

  if (!has_id) {  // a notification: never answered
    if (method == "exit") return Exit(params, out);
    if (!initialized_ || shutdown_) return;
    if (auto it = notifications_.find(method); it != notifications_.end()) (this->*(it->second))(params, out);
    return;  // unknown notifications ($/cancelRequest, ...) are ignored
  }
  const json& id = message["id"];
  if (!initialized_ && method != "initialize") {
    out.push_back(ErrorResponse(id, kServerNotInitialized, "the server is not initialized yet"));
    return;
  }
  if (shutdown_) {
    out.push_back(ErrorResponse(id, kInvalidRequest, "the server is shut down"));
    return;
  }
  auto it = requests_.find(method);
  if (it == requests_.end()) {
    out.push_back(ErrorResponse(id, kMethodNotFound, "unknown method " + method));
    return;
  }
  if (method == "initialize" && initialized_) {
    out.push_back(ErrorResponse(id, kInvalidRequest, "initialize was already called"));
    return;
  }
  Reply reply = (this->*(it->second))(params);
  out.push_back(reply.error ? ErrorResponse(id, reply.error, reply.message) : Response(id, std::move(reply.result)));
}

// ---- lifecycle ----

Server::Reply Server::Initialize(const json& params) {
  initialized_ = true;
  // LSP 3.17: the client lists the position encodings it supports; UTF-16
  // is the default every client understands.
  encoding_ = Encoding::kUtf16;
  if (params.is_object() && params.contains("capabilities")) {
    const json& caps = params["capabilities"];
    if (caps.is_object() && caps.contains("general") && caps["general"].is_object() &&
        caps["general"].contains("positionEncodings") && caps["general"]["positionEncodings"].is_array()) {
      for (const json& e : caps["general"]["positionEncodings"])
        if (e == "utf-8") encoding_ = Encoding::kUtf8;
    }
  }
  json capabilities = {
      {"positionEncoding", encoding_ == Encoding::kUtf8 ? "utf-8" : "utf-16"},
      {"textDocumentSync", {{"openClose", true}, {"change", kSyncFull}, {"save", {{"includeText", false}}}}},
      {"hoverProvider", true},
      {"completionProvider", {{"triggerCharacters", {".", "\""}}, {"resolveProvider", true}}},
      {"definitionProvider", true},
      {"documentFormattingProvider", true},
      {"codeActionProvider", {{"codeActionKinds", {"quickfix"}}}},
  };
  return {json{{"capabilities", capabilities}, {"serverInfo", {{"name", "accord"}, {"version", ACCORD_VERSION}}}}};
}

Server::Reply Server::Shutdown(const json&) {
  shutdown_ = true;
  return {nullptr};
}

void Server::Initialized(const json&, Out&) {}

void Server::Exit(const json&, Out&) { exited_ = true; }

// ---- documents ----

void Server::DidOpen(const json& params, Out& out) {
  const json& td = params.at("textDocument");
  Document doc;
  doc.uri = td.at("uri").get<std::string>();
  doc.text = td.at("text").get<std::string>();
  doc.version = td.contains("version") && td["version"].is_number_integer() ? td["version"].get<int64_t>() : 0;
  if (auto path = UriToPath(doc.uri)) {
    doc.path = fs::path(*path).lexically_normal().string();
    doc.folder = fs::path(doc.path).parent_path().string();
  } else {
    doc.path = doc.uri;  // an untitled buffer: checked on its own
  }
  std::string folder = doc.folder;
  docs_[doc.uri] = std::move(doc);
  Check(folder, out);
}

void Server::DidChange(const json& params, Out& out) {
  std::string uri = params.at("textDocument").at("uri").get<std::string>();
  auto it = docs_.find(uri);
  if (it == docs_.end()) return;
  // Full sync: the last change holds the whole text.
  const json& changes = params.at("contentChanges");
  if (!changes.is_array() || changes.empty()) return;
  it->second.text = changes.back().at("text").get<std::string>();
  const json& td = params["textDocument"];
  if (td.contains("version") && td["version"].is_number_integer()) it->second.version = td["version"].get<int64_t>();
  Check(it->second.folder, out);
}

void Server::DidSave(const json& params, Out& out) {
  std::string uri = params.at("textDocument").at("uri").get<std::string>();
  if (auto it = docs_.find(uri); it != docs_.end()) Check(it->second.folder, out);
}

void Server::DidClose(const json& params, Out& out) {
  std::string uri = params.at("textDocument").at("uri").get<std::string>();
  auto it = docs_.find(uri);
  if (it == docs_.end()) return;
  std::string folder = it->second.folder;
  docs_.erase(it);
  bool still_open = std::any_of(docs_.begin(), docs_.end(), [&](const auto& d) { return d.second.folder == folder; });
  if (still_open) {
    Check(folder, out);  // the file on disk is the truth again
    return;
  }
  // Nothing of this folder is open: withdraw what was published for it.
  auto ws = workspaces_.find(folder);
  if (ws == workspaces_.end()) return;
  for (const std::string& u : ws->second.published)
    out.push_back(Notification("textDocument/publishDiagnostics", {{"uri", u}, {"diagnostics", json::array()}}));
  workspaces_.erase(ws);
}

std::string Server::UriOf(const std::string& path) const {
  for (const auto& [uri, doc] : docs_)
    if (doc.path == path) return uri;
  return PathToUri(path);
}

namespace {
// A file directly in / or the home folder is checked with the other open
// files there, not with every rule file below: that walk could take minutes.
bool ScanFolder(const std::string& folder) {
  if (folder.empty() || fs::path(folder) == fs::path(folder).root_path()) return false;
  const char* home = std::getenv("HOME");
  std::error_code ec;
  return !(home && *home && fs::equivalent(folder, home, ec));
}
}  // namespace

void Server::Check(const std::string& folder, Out& out) {
  driver::Options opt = options_;
  std::vector<std::string> paths;
  if (ScanFolder(folder)) paths.push_back(folder);
  for (const auto& [uri, doc] : docs_) {
    opt.overlay[doc.path] = doc.text;  // every buffer: a folder's check reads its subfolders too
    if (doc.folder == folder) paths.push_back(doc.path);
  }
  Workspace& ws = workspaces_[folder];
  ws.set = std::make_unique<driver::RuleSet>();
  ws.io_error.clear();
  DiagSink sink(opt.max_errors);
  if (!driver::LoadAndCheck(paths, opt, *ws.set, sink, &ws.io_error)) {
    if (ws.io_error.empty()) ws.io_error = "cannot read " + folder;
    ws.set = std::make_unique<driver::RuleSet>();
  }
  ws.diagnostics = sink.diagnostics();
  Publish(folder, ws, out);
}

const LineIndex& Server::Indexes::Of(const SourceFile* f) {
  auto& slot = map[f];
  if (!slot) slot = std::make_unique<LineIndex>(f->text());
  return *slot;
}

json Server::DiagnosticJson(const Diagnostic& d, Indexes& indexes) const {
  json j;
  std::string message = d.message;
  json related = json::array();
  for (const Note& n : d.notes) {
    if (n.file) {
      related.push_back(
          {{"location", {{"uri", UriOf(n.file->path())}, {"range", RangeJson(indexes.Of(n.file), n.range, encoding_)}}},
           {"message", n.message}});
    } else {
      message += "\n" + n.message;
    }
  }
  if (d.fixit) message += "\nhelp: replace with `" + *d.fixit + "`";
  j["severity"] = d.severity == Severity::kError     ? kSevError
                  : d.severity == Severity::kWarning ? kSevWarning
                                                     : kSevInformation;
  j["code"] = std::string(Info(d.code).id);
  j["source"] = "accord";
  j["message"] = message;
  if (!related.empty()) j["relatedInformation"] = related;
  j["range"] = d.file ? RangeJson(indexes.Of(d.file), d.range, encoding_)
                      : json{{"start", PositionJson({})}, {"end", PositionJson({})}};
  return j;
}

void Server::Publish(const std::string& folder, Workspace& ws, Out& out) {
  std::map<std::string, json> lists;  // by URI: sorted, so the output is deterministic
  std::vector<std::string> open_here;
  for (const auto& [uri, doc] : docs_) {
    if (doc.folder != folder) continue;
    lists[uri] = json::array();
    open_here.push_back(uri);
  }
  Indexes indexes;
  // A file open in the editor gets its diagnostics from its own folder's
  // check only (folders nest: a check reads the rule files of subfolders).
  auto owned_elsewhere = [&](const std::string& uri) {
    auto d = docs_.find(uri);
    return d != docs_.end() && d->second.folder != folder;
  };
  auto add = [&](const std::string& uri, json d) {
    if (owned_elsewhere(uri)) return;
    auto [it, fresh] = lists.emplace(uri, json::array());
    it->second.push_back(std::move(d));
  };
  if (!ws.io_error.empty()) {
    for (const std::string& uri : open_here)
      add(uri, {{"range", {{"start", PositionJson({})}, {"end", PositionJson({})}}},
                {"severity", kSevError},
                {"code", std::string(Info(DiagCode::kUnreadable).id)},
                {"source", "accord"},
                {"message", ws.io_error}});
  }
  for (const Diagnostic& d : ws.diagnostics) {
    json j = DiagnosticJson(d, indexes);
    if (d.file) {
      add(UriOf(d.file->path()), std::move(j));
    } else {
      // A problem of the whole run: shown at the top of each open document.
      for (const std::string& uri : open_here) add(uri, j);
    }
  }
  std::set<std::string> now;
  for (const auto& [uri, list] : lists) now.insert(uri);
  for (const std::string& uri : ws.published)
    if (!owned_elsewhere(uri)) lists.emplace(uri, json::array());  // withdrawn
  for (auto& [uri, list] : lists) {
    json params = {{"uri", uri}, {"diagnostics", std::move(list)}};
    if (auto d = docs_.find(uri); d != docs_.end()) params["version"] = d->second.version;
    out.push_back(Notification("textDocument/publishDiagnostics", std::move(params)));
  }
  ws.published = std::move(now);
}

Server::Located Server::Locate(const json& params, bool with_position) {
  Located at;
  std::string uri = params.at("textDocument").at("uri").get<std::string>();
  Position p;
  if (with_position) {
    const json& pos = params.at("position");
    p = Position{pos.at("line").get<uint32_t>(), pos.at("character").get<uint32_t>()};
  }
  auto d = docs_.find(uri);
  if (d == docs_.end()) return at;
  auto w = workspaces_.find(d->second.folder);
  if (w == workspaces_.end() || !w->second.set) return at;
  const driver::RuleSet& set = *w->second.set;
  for (size_t i = 0; i < set.sources.size(); ++i) {
    if (set.sources[i]->path() != d->second.path || !set.parsed[i].file) continue;
    at.doc = &d->second;
    at.ws = &w->second;
    at.index = i;
    if (with_position) at.offset = LineIndex(set.sources[i]->text()).ToOffset(p, encoding_);
    return at;
  }
  return at;
}

// ---- hover ----

Server::Reply Server::Hover(const json& params) {
  Located at = Locate(params, true);
  if (!at.ws) return {nullptr};
  const driver::RuleSet& set = *at.ws->set;
  Symbol sym = FindSymbol(*set.parsed[at.index].file, at.offset);
  std::string md;
  switch (sym.kind) {
    case Symbol::kNone:
      return {nullptr};
    case Symbol::kField:
    case Symbol::kObject: {
      // The checker's resolution when it made one; else the names as scoped.
      if (sym.expr) {
        if (auto it = set.model.fields.find(sym.expr);
            it != set.model.fields.end() && it->second.object && it->second.field) {
          md = FieldMarkdown(it->second.side, *it->second.object, *it->second.field);
          break;
        }
      }
      const schema::Object* o = nullptr;
      const schema::Field* f = FindField(set.schemas, sym.field, &o);
      if (sym.kind == Symbol::kObject && o)
        md = ObjectMarkdown(*o);
      else if (f)
        md = FieldMarkdown(sym.field.side, *o, *f);
      break;
    }
    case Symbol::kValue:
    case Symbol::kStage: {
      const schema::Object* o = nullptr;
      const schema::Field* f = FindField(set.schemas, sym.field, &o);
      const schema::PicklistValue* v = f ? f->FindValue(sym.name) : nullptr;
      if (!v) break;
      md = Code(Quote(v->value)) + " — " + (sym.kind == Symbol::kStage ? "stage" : "value") + " of " +
           Code(FieldPathText(sym.field.side, *o, *f));
      if (!v->label.empty() && v->label != v->value) md += "\n\nLabel: " + v->label;
      if (!v->active) md += "\n\n*Inactive*: records cannot be saved with it.";
      md += "\n";
      break;
    }
    case Symbol::kFunction:
      md = FunctionMarkdown(sym.name, sym.receiver);
      // The overload the checker chose, when there is a choice and the argument types decide it.
      if (auto it = set.model.overloads.find(sym.expr);
          sema::FindOverloads(sym.name, sym.receiver).size() > 1 && it != set.model.overloads.end() && it->second)
        md += "\nThis call: " + Code(it->second->signature) + "\n";
      break;
    case Symbol::kValueTable: {
      auto decls = Decls<ast::ValuesDecl>(set, sym.name);
      if (decls.empty()) break;
      const ast::ValuesDecl& v = *decls.front().second;
      size_t pairs = 0, elses = 0;
      for (const auto& e : v.entries) (std::holds_alternative<ast::ValuePair>(e) ? pairs : elses)++;
      md = "```accord\n" + ValuesHeader(v) + "\n```\n" + std::to_string(pairs) + " pair" + (pairs == 1 ? "" : "s") +
           (elses ? ", " + std::to_string(elses) + " else rule" + (elses == 1 ? "" : "s") : "") + ", in " +
           Code(fs::path(decls.front().first->source->path()).filename().string()) + "\n";
      break;
    }
    case Symbol::kSync: {
      auto decls = Decls<ast::SyncDecl>(set, sym.name);
      if (decls.empty()) break;
      const ast::SyncDecl& s = *decls.front().second;
      size_t rules = 0;
      for (const auto& item : s.items) rules += std::holds_alternative<ast::FieldRule>(item);
      md = "```accord\n" + SyncHeader(s) + "\n```\n" + std::to_string(rules) + " field rule" + (rules == 1 ? "" : "s") +
           ", in " + Code(fs::path(decls.front().first->source->path()).filename().string()) + "\n";
      break;
    }
  }
  if (md.empty()) return {nullptr};
  LineIndex index(set.sources[at.index]->text());
  return {json{{"contents", {{"kind", "markdown"}, {"value", md}}}, {"range", RangeJson(index, sym.range, encoding_)}}};
}

// ---- completion ----

Server::Reply Server::Completion(const json& params) {
  Located at = Locate(params, true);
  if (!at.ws) return {nullptr};
  const driver::RuleSet& set = *at.ws->set;
  const std::string& text = set.sources[at.index]->text();
  CompletionContext ctx = FindCompletionContext(text, at.offset);
  LineIndex index(text);
  json range = RangeJson(index, ctx.replace, encoding_);
  json items = json::array();
  // `data` lets completionItem/resolve add the documentation later. An item
  // replaces the word or string contents being typed; at an empty range it
  // is simply inserted.
  auto add = [&](const std::string& label, int kind, const std::string& insert, const std::string& detail,
                 json data = nullptr) {
    json item = {{"label", label}, {"kind", kind}};
    if (ctx.replace.begin != ctx.replace.end)
      item["textEdit"] = {{"range", range}, {"newText", insert}};
    else if (insert != label)
      item["insertText"] = insert;
    if (!detail.empty()) item["detail"] = detail;
    if (!data.is_null()) item["data"] = std::move(data);
    items.push_back(std::move(item));
  };
  // A literal value: inside a string only its escaped text, else a quoted literal.
  auto literal = [&](const std::string& value, bool bare_if_identifier) {
    if (ctx.in_string) return Escaped(value) + (ctx.close_quote ? "\"" : "");
    return bare_if_identifier && IsIdentifier(value) ? value : Quote(value);
  };
  for (const std::string& k : ctx.keywords) add(k, kKeyword, k, "");
  if (ctx.objects) {
    for (const schema::Object* o : set.schemas.Objects(Sys(*ctx.objects))) add(o->name, kClass, o->name, o->label);
  }
  if (ctx.fields) {
    if (const schema::Object* o = FindObject(set.schemas, ctx.fields->side, ctx.fields->object)) {
      for (const schema::Field& f : o->fields) {
        if (ctx.references_only && f.reference_to.empty()) continue;
        add(f.name, kField, f.name, FieldSummary(f),
            {{"field", SideText(ctx.fields->side) + "." + o->name + "." + f.name}});
      }
    }
  }
  for (const std::optional<FieldName>* which : {&ctx.values, &ctx.stages}) {
    if (!*which) continue;
    const schema::Object* o = nullptr;
    const schema::Field* f = FindField(set.schemas, **which, &o);
    if (!f) continue;
    for (const schema::PicklistValue& v : f->values) {
      std::string detail = v.label != v.value ? v.label : "";
      if (!v.active) detail += detail.empty() ? "inactive" : " (inactive)";
      add(v.value, kEnumMember, literal(v.value, which == &ctx.stages), detail);
      if (!v.active) items.back()["tags"] = {1};  // deprecated
    }
  }
  if (ctx.functions || ctx.methods) {
    std::set<std::string> seen;
    for (const sema::Overload& o : sema::StdlibOverloads()) {
      if (!(o.receiver ? ctx.methods : ctx.functions)) continue;
      if (!seen.insert(o.name).second) continue;
      size_t more = sema::FindOverloads(o.name, o.receiver).size() - 1;
      std::string detail =
          o.signature + (more ? " (+" + std::to_string(more) + " overload" + (more == 1 ? ")" : "s)") : "");
      add(o.name, o.receiver ? kMethod : kFunction, o.name, detail, {{"function", o.name}});
    }
  }
  if (ctx.underscore) add("_", kVariable, "_", "the field value");
  if (ctx.value_tables) {
    for (const auto& [file, v] : Decls<ast::ValuesDecl>(set, ""))
      add(v->name.text, kEnum, v->name.text, ValuesHeader(*v));
  }
  if (ctx.syncs) {
    for (const auto& [file, s] : Decls<ast::SyncDecl>(set, ""))
      add(s->name.text, kModule, s->name.text, SyncHeader(*s));
  }
  return {json{{"isIncomplete", false}, {"items", items}}};
}

Server::Reply Server::ResolveCompletion(const json& item) {
  json out = item;
  if (!item.is_object() || !item.contains("data") || !item["data"].is_object()) return {out};
  const json& data = item["data"];
  std::string md;
  if (data.contains("function")) {
    md = FunctionMarkdown(data.at("function").get<std::string>(), item.value("kind", 0) == kMethod);
  } else if (data.contains("field")) {
    // "side.Object.field", looked up in the schemas of the folders checked.
    std::string path = data.at("field").get<std::string>();
    size_t a = path.find('.'), b = a == std::string::npos ? a : path.find('.', a + 1);
    if (b != std::string::npos) {
      FieldName f{path.substr(0, a) == "hubspot" ? ast::Side::kHubSpot : ast::Side::kSalesforce,
                  path.substr(a + 1, b - a - 1), path.substr(b + 1)};
      for (const auto& [folder, ws] : workspaces_) {
        const schema::Object* o = nullptr;
        const schema::Field* fl = ws.set ? FindField(ws.set->schemas, f, &o) : nullptr;
        if (!fl) continue;
        md = FieldMarkdown(f.side, *o, *fl);
        break;
      }
    }
  }
  if (!md.empty()) out["documentation"] = {{"kind", "markdown"}, {"value", md}};
  return {out};
}

// ---- go to definition ----

Server::Reply Server::Definition(const json& params) {
  Located at = Locate(params, true);
  if (!at.ws) return {nullptr};
  const driver::RuleSet& set = *at.ws->set;
  Symbol sym = FindSymbol(*set.parsed[at.index].file, at.offset);
  json locations = json::array();
  auto decl_location = [&](const ast::File* file, Range r) {
    LineIndex index(file->source->text());
    locations.push_back({{"uri", UriOf(file->source->path())}, {"range", RangeJson(index, r, encoding_)}});
  };
  switch (sym.kind) {
    case Symbol::kValueTable:
      for (const auto& [file, v] : Decls<ast::ValuesDecl>(set, sym.name)) decl_location(file, v->name.range);
      break;
    case Symbol::kSync:
      for (const auto& [file, s] : Decls<ast::SyncDecl>(set, sym.name)) decl_location(file, s->name.range);
      break;
    case Symbol::kObject:
    case Symbol::kField: {
      // The schema file the object came from, at the field's "name".
      const schema::Object* o = nullptr;
      const schema::Field* f = FindField(set.schemas, sym.field, &o);
      if (sym.expr) {
        if (auto it = set.model.fields.find(sym.expr);
            it != set.model.fields.end() && it->second.object && it->second.field) {
          o = it->second.object;
          f = it->second.field;
        }
      }
      if (!o || o->source_path.empty() || (sym.kind == Symbol::kField && !f)) break;
      std::string text, error;
      Range r{};
      if (f && driver::ReadFile(o->source_path, &text, &error)) r = FindFieldInSchema(text, f->name);
      LineIndex index(text);
      fs::path p = fs::absolute(o->source_path).lexically_normal();
      locations.push_back({{"uri", PathToUri(p.string())}, {"range", RangeJson(index, r, encoding_)}});
      break;
    }
    default:
      break;
  }
  if (locations.empty()) return {nullptr};
  return {locations};
}

// ---- quick fixes ----

Server::Reply Server::CodeAction(const json& params) {
  Located at = Locate(params, false);
  const json& r = params.at("range");
  Position start{r.at("start").at("line").get<uint32_t>(), r.at("start").at("character").get<uint32_t>()};
  Position end{r.at("end").at("line").get<uint32_t>(), r.at("end").at("character").get<uint32_t>()};
  json actions = json::array();
  if (!at.ws) return {actions};
  const SourceFile* file = at.ws->set->sources[at.index].get();
  LineIndex index(file->text());
  uint32_t begin = index.ToOffset(start, encoding_), stop = index.ToOffset(end, encoding_);
  Indexes indexes;
  // A diagnostic with a fix-it that touches the range becomes a quick fix.
  for (const Diagnostic& d : at.ws->diagnostics) {
    if (d.file != file || !d.fixit || d.range.end < begin || d.range.begin > stop) continue;
    json edit = {{"range", RangeJson(index, d.range, encoding_)}, {"newText", *d.fixit}};
    actions.push_back({{"title", "Replace with " + *d.fixit},
                       {"kind", "quickfix"},
                       {"isPreferred", true},
                       {"diagnostics", json::array({DiagnosticJson(d, indexes)})},
                       {"edit", {{"changes", {{at.doc->uri, json::array({edit})}}}}}});
  }
  return {actions};
}

// ---- formatting ----

Server::Reply Server::Formatting(const json& params) {
  Located at = Locate(params, false);
  if (!at.doc) return {nullptr};
  // The buffer alone, as `accord fmt` sees it. Any error of the parse layer
  // stops formatting: a bad escape drops its item from the AST without
  // counting as a syntax error, and the formatter prints the AST.
  SourceFile source(at.doc->path, at.doc->text);
  DiagSink sink(options_.max_errors);
  syntax::ParseResult parsed = syntax::Parse(source, options_.parse, sink);
  if (parsed.syntax_errors > 0 || sink.error_count() > 0) {
    return Reply::Error(kRequestFailed,
                        "cannot format " + fs::path(at.doc->path).filename().string() + ": it has syntax errors");
  }
  std::string formatted = fmt::Format(*parsed.file);
  if (formatted == at.doc->text) return {json::array()};
  LineIndex index(at.doc->text);
  Range all{0, static_cast<uint32_t>(at.doc->text.size())};
  return {json::array({{{"range", RangeJson(index, all, encoding_)}, {"newText", formatted}}})};
}

// ---- stdio ----

int Serve(std::istream& in, std::ostream& out, driver::Options options) {
  Server server(std::move(options));
  MessageReader reader(in);
  for (;;) {
    std::string body, error;
    MessageReader::Status status = reader.Next(&body, &error);
    if (status == MessageReader::Status::kEof) return server.exit_code();
    if (status == MessageReader::Status::kBadFrame) {
      WriteMessage(out, ErrorResponse(nullptr, kParseError, "bad message frame: " + error));
      continue;
    }
    json message;
    try {
      message = json::parse(body);
    } catch (const json::parse_error& e) {
      WriteMessage(out, ErrorResponse(nullptr, kParseError, "invalid JSON at byte " + std::to_string(e.byte)));
      continue;
    }
    for (const json& reply : server.Handle(message)) WriteMessage(out, reply);
    if (server.exited()) return server.exit_code();
  }
}

}  // namespace accord::lsp
