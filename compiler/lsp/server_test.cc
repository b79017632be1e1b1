// The server in process: lifecycle rules, error replies, the overlay of
// unsaved buffers, diagnostics withdrawn on close. The scripted sessions
// against the real binary are tests/lsp/.
#include "compiler/lsp/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/driver/driver.h"

namespace accord::lsp {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::HasSubstr;

// A private copy of the example: the tests write into it.
class Workspace {
 public:
  Workspace() {
    dir_ = fs::temp_directory_path() / ("accord-lsp-test-" + std::to_string(::getpid()) + "-" +
                                        testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::copy(fs::path(ACCORD_SOURCE_DIR) / "examples" / "salesforce-hubspot", dir_, fs::copy_options::recursive);
  }
  ~Workspace() { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Uri(const std::string& name) const { return PathToUri(Path(name)); }
  std::string Text(const std::string& name) const {
    std::string text, error;
    EXPECT_TRUE(driver::ReadFile(Path(name), &text, &error)) << error;
    return text;
  }

 private:
  fs::path dir_;
};

json Req(int id, const std::string& method, json params = json::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}
json Note(const std::string& method, json params = json::object()) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}
json Open(const std::string& uri, const std::string& text) {
  return Note("textDocument/didOpen",
              {{"textDocument", {{"uri", uri}, {"languageId", "accord"}, {"version", 1}, {"text", text}}}});
}
json Change(const std::string& uri, int version, const std::string& text) {
  return Note("textDocument/didChange",
              {{"textDocument", {{"uri", uri}, {"version", version}}}, {"contentChanges", {{{"text", text}}}}});
}
json At(const std::string& uri, uint32_t line, uint32_t character) {
  return {{"textDocument", {{"uri", uri}}}, {"position", {{"line", line}, {"character", character}}}};
}

// The published diagnostics of one URI in `out` (the last list), or null.
json DiagnosticsFor(const std::vector<json>& out, const std::string& uri) {
  json found;
  for (const json& m : out)
    if (m.value("method", "") == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
      found = m["params"]["diagnostics"];
  return found;
}

std::vector<json> Init(Server& s, json capabilities = json::object()) {
  std::vector<json> out = s.Handle(Req(1, "initialize", {{"capabilities", capabilities}}));
  s.Handle(Note("initialized"));
  return out;
}

TEST(Server, LifecycleAndErrors) {
  Server s;
  // Before initialize: requests fail, notifications are dropped.
  auto out = s.Handle(Req(1, "textDocument/hover", At("file:///x.accord", 0, 0)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["error"]["code"], kServerNotInitialized);
  EXPECT_TRUE(s.Handle(Open("file:///x.accord", "")).empty());

  out = Init(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["result"]["capabilities"]["positionEncoding"], "utf-16");
  EXPECT_EQ(out[0]["result"]["capabilities"]["textDocumentSync"]["change"], 1);
  out = s.Handle(Req(2, "initialize"));
  EXPECT_EQ(out[0]["error"]["code"], kInvalidRequest);

  out = s.Handle(Req(3, "textDocument/rename"));
  EXPECT_EQ(out[0]["error"]["code"], kMethodNotFound);
  EXPECT_EQ(out[0]["id"], 3);
  EXPECT_TRUE(s.Handle(Note("$/cancelRequest", {{"id", 3}})).empty());
  EXPECT_TRUE(s.Handle(Note("workspace/somethingNew")).empty());
  // Wrong shapes.
  out = s.Handle(Req(4, "textDocument/hover", {{"textDocument", 5}}));
  EXPECT_EQ(out[0]["error"]["code"], kInvalidParams);
  out = s.Handle(json{{"jsonrpc", "2.0"}, {"id", {{"a", 1}}}, {"method", "shutdown"}});
  EXPECT_EQ(out[0]["error"]["code"], kInvalidRequest);
  EXPECT_TRUE(out[0]["id"].is_null());
  out = s.Handle(json::array({1, 2}));
  EXPECT_EQ(out[0]["error"]["code"], kInvalidRequest);
  out = s.Handle(json{{"jsonrpc", "2.0"}, {"id", 9}, {"method", 42}});
  EXPECT_EQ(out[0]["error"]["code"], kInvalidRequest);
  EXPECT_EQ(out[0]["id"], 9);
  EXPECT_TRUE(s.Handle(json{{"jsonrpc", "2.0"}, {"id", 9}, {"result", nullptr}}).empty());  // a reply to nobody
  // A notification of the wrong shape gets no reply, only a line in the client's log.
  out = s.Handle(Note("textDocument/didOpen", {{"textDocument", "x"}}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["method"], "window/logMessage");
  EXPECT_FALSE(out[0].contains("id"));
  EXPECT_THAT(out[0]["params"]["message"].get<std::string>(),
              HasSubstr("ignored textDocument/didOpen: invalid params"));
  // Requests on a document that is not open: null results.
  out = s.Handle(Req(5, "textDocument/hover", At("file:///nowhere.accord", 0, 0)));
  EXPECT_TRUE(out[0]["result"].is_null());

  out = s.Handle(Req(6, "shutdown"));
  EXPECT_TRUE(out[0]["result"].is_null());
  out = s.Handle(Req(7, "textDocument/hover", At("file:///x.accord", 0, 0)));
  EXPECT_EQ(out[0]["error"]["code"], kInvalidRequest);
  EXPECT_FALSE(s.exited());
  EXPECT_TRUE(s.Handle(Note("exit")).empty());
  EXPECT_TRUE(s.exited());
  EXPECT_EQ(s.exit_code(), 0);
}

TEST(Server, ExitWithoutShutdownIsExitCodeOne) {
  Server s;
  Init(s);
  s.Handle(Note("exit"));
  EXPECT_TRUE(s.exited());
  EXPECT_EQ(s.exit_code(), 1);
}

TEST(Server, Utf8PositionsWhenTheClientOffersThem) {
  Server s;
  auto out = Init(s, {{"general", {{"positionEncodings", {"utf-16", "utf-8"}}}}});
  EXPECT_EQ(out[0]["result"]["capabilities"]["positionEncoding"], "utf-8");
}

TEST(Server, ChecksTheBufferWithTheRestOfItsFolder) {
  Workspace ws;
  Server s;
  Init(s);
  // The saved files are clean; the buffer has an unknown field.
  std::string syncs = ws.Text("syncs.accord");
  auto out = s.Handle(Open(ws.Uri("syncs.accord"), syncs));
  ASSERT_TRUE(DiagnosticsFor(out, ws.Uri("syncs.accord")).is_array());
  EXPECT_TRUE(DiagnosticsFor(out, ws.Uri("syncs.accord")).empty()) << DiagnosticsFor(out, ws.Uri("syncs.accord"));

  std::string broken = syncs;
  broken.replace(broken.find("LastName       <-> lastname"), 8, "LastNme ");
  out = s.Handle(Change(ws.Uri("syncs.accord"), 2, broken));
  json d = DiagnosticsFor(out, ws.Uri("syncs.accord"));
  ASSERT_EQ(d.size(), 1u) << d;
  EXPECT_EQ(d[0]["code"], "A0102");
  EXPECT_THAT(d[0]["message"].get<std::string>(), HasSubstr("did you mean \"LastName\""));
  EXPECT_EQ(out.back()["params"]["version"], 2);

  // Removing a values table in another open buffer breaks this file's `via`.
  std::string values = ws.Text("values.accord");
  s.Handle(Open(ws.Uri("values.accord"), values));
  std::string no_industry = values;
  no_industry.replace(no_industry.find("values Industry"), 15, "values Industry2");
  out = s.Handle(Change(ws.Uri("values.accord"), 2, no_industry));
  d = DiagnosticsFor(out, ws.Uri("syncs.accord"));
  ASSERT_EQ(d.size(), 2u) << d;
  EXPECT_EQ(d[1]["code"], "A0103");

  // Closing values.accord: the file on disk counts again, the table is back.
  out = s.Handle(Note("textDocument/didClose", {{"textDocument", {{"uri", ws.Uri("values.accord")}}}}));
  d = DiagnosticsFor(out, ws.Uri("syncs.accord"));
  ASSERT_EQ(d.size(), 1u) << d;
  EXPECT_EQ(d[0]["code"], "A0102");
  // Closing the last open file withdraws its diagnostics.
  out = s.Handle(Note("textDocument/didClose", {{"textDocument", {{"uri", ws.Uri("syncs.accord")}}}}));
  d = DiagnosticsFor(out, ws.Uri("syncs.accord"));
  ASSERT_TRUE(d.is_array());
  EXPECT_TRUE(d.empty());
}

TEST(Server, ANewFileNotYetOnDisk) {
  Workspace ws;
  Server s;
  Init(s);
  std::string text = "sync extra: salesforce.Contact -> hubspot.contacts {\n  match email\n  Titel -> jobtitle\n}\n";
  auto out = s.Handle(Open(ws.Uri("new.accord"), text));
  json d = DiagnosticsFor(out, ws.Uri("new.accord"));
  ASSERT_EQ(d.size(), 1u) << d;  // the schemas come from values.accord, next to it
  EXPECT_EQ(d[0]["code"], "A0102");
  EXPECT_EQ(d[0]["range"]["start"], json({{"line", 2}, {"character", 2}}));
  // Hover works on it too.
  out = s.Handle(Req(2, "textDocument/hover", At(ws.Uri("new.accord"), 2, 12)));
  EXPECT_THAT(out[0]["result"]["contents"]["value"].get<std::string>(), HasSubstr("hubspot.contacts.jobtitle"));
}

TEST(Server, NestedFoldersDoNotFightOverAFile) {
  Workspace ws;
  fs::create_directories(ws.Path("sub"));
  std::ofstream(ws.Path("sub/bad.accord"))
      << "sync extra: salesforce.Contact -> hubspot.contacts {\n  match email\n  Titel -> jobtitle\n}\n";
  Server s;
  Init(s);
  // The example's folder reads sub/ too: the unknown field is reported there.
  auto out = s.Handle(Open(ws.Uri("syncs.accord"), ws.Text("syncs.accord")));
  json d = DiagnosticsFor(out, ws.Uri("sub/bad.accord"));
  ASSERT_EQ(d.size(), 1u) << d;
  EXPECT_EQ(d[0]["code"], "A0102");
  // Opened, the file is checked with its own folder (where no schema is declared)...
  out = s.Handle(Open(ws.Uri("sub/bad.accord"), ws.Text("sub/bad.accord")));
  d = DiagnosticsFor(out, ws.Uri("sub/bad.accord"));
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d[0]["code"], "A0902");
  // ...and the outer folder's checks leave it alone.
  out = s.Handle(Change(ws.Uri("syncs.accord"), 2, ws.Text("syncs.accord") + "\n"));
  EXPECT_TRUE(DiagnosticsFor(out, ws.Uri("sub/bad.accord")).is_null());
  EXPECT_TRUE(DiagnosticsFor(out, ws.Uri("syncs.accord")).is_array());
}

TEST(Server, AFileInTheHomeFolderIsNotCheckedWithEverythingBelow) {
  Workspace ws;
  const char* old_home = std::getenv("HOME");
  std::string saved = old_home ? old_home : "";
  setenv("HOME", ws.Path("").c_str(), 1);
  Server s;
  Init(s);
  // The example's files are below HOME: they are not read, so `via Industry` is unknown.
  std::string text =
      "schema salesforce \"schemas/salesforce\"\nschema hubspot \"schemas/hubspot\"\n"
      "sync a: salesforce.Account -> hubspot.companies {\n  match domain\n  Industry -> industry via Industry\n}\n";
  auto out = s.Handle(Open(ws.Uri("home.accord"), text));
  if (old_home)
    setenv("HOME", saved.c_str(), 1);
  else
    unsetenv("HOME");
  json d = DiagnosticsFor(out, ws.Uri("home.accord"));
  ASSERT_EQ(d.size(), 1u) << d;
  EXPECT_EQ(d[0]["code"], "A0103");
  EXPECT_TRUE(DiagnosticsFor(out, ws.Uri("syncs.accord")).is_null());
}

TEST(Server, DefinitionOfAFieldOpensItsSchemaFile) {
  Workspace ws;
  Server s;
  Init(s);
  std::string syncs = ws.Text("syncs.accord");
  s.Handle(Open(ws.Uri("syncs.accord"), syncs));
  // `Email <-> email`: line of "  Email", character 4.
  size_t at = syncs.find("  Email          <-> email");
  ASSERT_NE(at, std::string::npos);
  uint32_t line = static_cast<uint32_t>(std::count(syncs.begin(), syncs.begin() + static_cast<long>(at), '\n'));
  auto out = s.Handle(Req(2, "textDocument/definition", At(ws.Uri("syncs.accord"), line, 4)));
  ASSERT_TRUE(out[0]["result"].is_array()) << out[0];
  json loc = out[0]["result"][0];
  EXPECT_EQ(loc["uri"], ws.Uri("schemas/salesforce/Contact.json"));
  // The location is the field's "name" in the describe file.
  std::string contact = ws.Text("schemas/salesforce/Contact.json");
  uint32_t l = loc["range"]["start"]["line"], c = loc["range"]["start"]["character"];
  std::istringstream lines(contact);
  std::string text_line;
  for (uint32_t i = 0; i <= l; ++i) std::getline(lines, text_line);
  EXPECT_EQ(text_line.substr(c, 7), "\"Email\"");
}

TEST(Server, FormattingRefusesFilesWithSyntaxErrors) {
  Workspace ws;
  Server s;
  Init(s);
  s.Handle(Open(ws.Uri("bad.accord"), "sync x: salesforce.Contact -> {\n"));
  auto out = s.Handle(
      Req(2, "textDocument/formatting",
          {{"textDocument", {{"uri", ws.Uri("bad.accord")}}}, {"options", {{"tabSize", 2}, {"insertSpaces", true}}}}));
  EXPECT_EQ(out[0]["error"]["code"], kRequestFailed);
  // A bad escape is not a syntax error, but formatting would drop its rule.
  s.Handle(Open(ws.Uri("escape.accord"),
                "values V: salesforce.Lead.LeadSource -> hubspot.contacts.lead_source {\n"
                "  \"W\\qeb\" -> \"Web\"\n}\n"));
  out = s.Handle(Req(3, "textDocument/formatting", {{"textDocument", {{"uri", ws.Uri("escape.accord")}}}}));
  EXPECT_EQ(out[0]["error"]["code"], kRequestFailed);
  // A formatted file needs no edit.
  std::string values = ws.Text("values.accord");
  s.Handle(Open(ws.Uri("values.accord"), values));
  out = s.Handle(Req(4, "textDocument/formatting", {{"textDocument", {{"uri", ws.Uri("values.accord")}}}}));
  EXPECT_EQ(out[0]["result"], json::array());
}

// Hover, definition and completion at every offset of files with errors of
// every kind (tests/diagnostics), and at the end of every prefix of the
// example's files, as while typing them: answers or nulls, never a crash or
// an error reply.
TEST(Server, AnyPositionOfAnyPrefix) {
  Workspace ws;
  Server s;
  Init(s);
  int id = 100;
  auto ask_everything = [&](const std::string& uri, const std::string& text, size_t from, size_t step) {
    LineIndex index(text);
    for (size_t off = from; off <= text.size(); off += step) {
      Position p = index.ToPosition(static_cast<uint32_t>(off), Encoding::kUtf16);
      for (const char* method : {"textDocument/hover", "textDocument/definition", "textDocument/completion"}) {
        auto out = s.Handle(Req(++id, method, At(uri, p.line, p.character)));
        ASSERT_EQ(out.size(), 1u);
        ASSERT_FALSE(out[0].contains("error")) << method << " at " << off << " of " << uri << ": " << out[0];
      }
    }
  };
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(ACCORD_SOURCE_DIR) / "tests" / "diagnostics")) {
    if (e.path().extension() != ".accord") continue;
    std::string text, error;
    ASSERT_TRUE(driver::ReadFile(e.path().string(), &text, &error));
    std::string uri = ws.Uri("case_" + e.path().filename().string());
    s.Handle(Open(uri, text));
    ask_everything(uri, text, 0, 3);
    s.Handle(Note("textDocument/didClose", {{"textDocument", {{"uri", uri}}}}));
    ++files;
  }
  EXPECT_GT(files, 40u);
  for (const char* name : {"syncs.accord", "values.accord", "lifecycle.accord", "tests.accord"}) {
    std::string text = ws.Text(name);
    std::string uri = ws.Uri(name);
    s.Handle(Open(uri, ""));
    for (size_t k = 0; k <= text.size(); k += 97) {
      std::string prefix = text.substr(0, k);
      s.Handle(Change(uri, static_cast<int>(k) + 2, prefix));
      ask_everything(uri, prefix, prefix.size() > 12 ? prefix.size() - 12 : 0, 1);  // the text just typed
    }
    s.Handle(Note("textDocument/didClose", {{"textDocument", {{"uri", uri}}}}));
  }
}

}  // namespace
}  // namespace accord::lsp
