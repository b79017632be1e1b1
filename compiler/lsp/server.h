// The Accord language server (`accord lsp`): LSP over JSON-RPC on stdio.
//
// Each open document is checked together with the other rule files of its
// folder, exactly as `accord check FOLDER` would (compiler/driver), with the
// editor's unsaved buffers in place of the files on disk. Diagnostics are
// published for every file of the folder that has some; hover, completion and
// go to definition read the last check of the document's folder; formatting is
// `accord fmt`. Requests run one at a time, in order, and every didOpen /
// didChange / didSave re-checks before the next message is read.
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "compiler/driver/driver.h"
#include "compiler/lsp/protocol.h"

namespace accord::lsp {

class Server {
 public:
  explicit Server(driver::Options options = {});
  ~Server();

  // Handles one message from the client; returns the messages to send back
  // (responses and notifications), in order. Never throws.
  std::vector<nlohmann::json> Handle(const nlohmann::json& message);

  bool exited() const { return exited_; }
  // The process exit code LSP asks for: 0 after `shutdown`, 1 without.
  int exit_code() const { return shutdown_ ? 0 : 1; }

 private:
  struct Document {
    std::string uri, path;  // path: the file, or the URI itself when it is not a file
    std::string folder;     // what is checked with it ("" for a document that is not a file)
    std::string text;
    int64_t version = 0;
  };
  // One folder's last check.
  struct Workspace {
    std::unique_ptr<driver::RuleSet> set;
    std::vector<Diagnostic> diagnostics;
    std::string io_error;             // the folder could not be read
    std::set<std::string> published;  // URIs last sent a non-empty list (or open)
  };
  using Out = std::vector<nlohmann::json>;
  // A request's answer: its result, or a JSON-RPC error when `error` is set.
  struct Reply {
    Reply(nlohmann::json r) : result(std::move(r)) {}
    Reply(std::nullptr_t) : result(nullptr) {}
    static Reply Error(int code, std::string message) {
      Reply r(nullptr);
      r.error = code;
      r.message = std::move(message);
      return r;
    }
    nlohmann::json result;
    int error = 0;
    std::string message;
  };
  using Request = Reply (Server::*)(const nlohmann::json& params);
  using Notify = void (Server::*)(const nlohmann::json& params, Out& out);

  void Dispatch(const nlohmann::json& message, Out& out);

  // Requests.
  Reply Initialize(const nlohmann::json& params);
  Reply Shutdown(const nlohmann::json& params);
  Reply Hover(const nlohmann::json& params);
  Reply Completion(const nlohmann::json& params);
  Reply ResolveCompletion(const nlohmann::json& item);
  Reply Definition(const nlohmann::json& params);
  Reply Formatting(const nlohmann::json& params);
  Reply CodeAction(const nlohmann::json& params);
  // Notifications.
  void Initialized(const nlohmann::json& params, Out& out);
  void Exit(const nlohmann::json& params, Out& out);
  void DidOpen(const nlohmann::json& params, Out& out);
  void DidChange(const nlohmann::json& params, Out& out);
  void DidSave(const nlohmann::json& params, Out& out);
  void DidClose(const nlohmann::json& params, Out& out);

  // Checks a folder with the open documents in it and publishes.
  void Check(const std::string& folder, Out& out);
  void Publish(const std::string& folder, Workspace& ws, Out& out);
  // Line indexes of the files diagnostics point into, built once per use.
  struct Indexes {
    const LineIndex& Of(const SourceFile* f);
    std::map<const SourceFile*, std::unique_ptr<LineIndex>> map;
  };
  nlohmann::json DiagnosticJson(const Diagnostic& d, Indexes& indexes) const;
  std::string UriOf(const std::string& path) const;

  // The document of a request's params.textDocument.uri, and where it was
  // checked; null when it is not open or its folder could not be read.
  struct Located {
    const Document* doc = nullptr;
    Workspace* ws = nullptr;
    size_t index = 0;     // in ws->set->sources / parsed
    uint32_t offset = 0;  // params.position as a byte offset
  };
  Located Locate(const nlohmann::json& params, bool with_position);

  driver::Options options_;
  Encoding encoding_ = Encoding::kUtf16;
  bool initialized_ = false, shutdown_ = false, exited_ = false;
  std::map<std::string, Document> docs_;         // by URI
  std::map<std::string, Workspace> workspaces_;  // by folder
  std::map<std::string, Request> requests_;
  std::map<std::string, Notify> notifications_;
};

// Serves the protocol on `in`/`out` until `exit` or the end of the input.
// Malformed frames and JSON get a parse-error response and serving goes on.
// Returns the process exit code.
int Serve(std::istream& in, std::ostream& out, driver::Options options = {});

}  // namespace accord::lsp
