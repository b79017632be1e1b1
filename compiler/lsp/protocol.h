// The Language Server Protocol's base layer, independent of Accord:
// JSON-RPC messages framed by a Content-Length header, LSP positions
// (line + UTF-16 code units by default) against byte offsets, and file URIs.
//
// Nothing here throws for bad input: a frame that cannot be read is a status
// with a message, and the reader resynchronises on the next header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::lsp {

// ---- JSON-RPC framing ----------------------------------------------------------

// JSON-RPC and LSP error codes.
enum ErrorCode {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kServerNotInitialized = -32002,
  kRequestFailed = -32803,
};

// Reads "Content-Length: N\r\n[other headers]\r\n\r\n<N bytes>" frames.
// Header names are case-insensitive, other headers are ignored, bare "\n"
// line ends are accepted. A frame whose headers are malformed (no colon, a
// line longer than 8 KiB, a missing or non-numeric Content-Length) is
// kBadFrame, and the reader then skips input up to the next "Content-Length:"
// (the bad frame's body included). A body larger than `max_body` is read and
// discarded: kBadFrame, but the stream stays in step.
class MessageReader {
 public:
  enum class Status { kMessage, kBadFrame, kEof };
  explicit MessageReader(std::istream& in, size_t max_body = 64u << 20) : in_(in), max_body_(max_body) {}
  Status Next(std::string* body, std::string* error);

 private:
  enum class Line { kOk, kTooLong, kEof };
  Line ReadLine(std::string* line);
  bool SkipToHeader();  // false at end of input

  std::istream& in_;
  size_t max_body_;
  bool resync_ = false;
};

// Writes one frame and flushes. Strings that are not valid UTF-8 are written
// with U+FFFD replacements, never an exception.
void WriteMessage(std::ostream& out, const nlohmann::json& message);

// The JSON text of a message exactly as WriteMessage frames it.
std::string Serialize(const nlohmann::json& message);

// {"jsonrpc":"2.0","id":id,"result":result} and the error form.
nlohmann::json Response(const nlohmann::json& id, nlohmann::json result);
nlohmann::json ErrorResponse(const nlohmann::json& id, int code, std::string message);
nlohmann::json Notification(std::string method, nlohmann::json params);

// ---- positions -----------------------------------------------------------------

// How Position::character counts: UTF-16 code units (the LSP default, what
// every client supports) or bytes (when the client offers "utf-8").
enum class Encoding { kUtf16, kUtf8 };

struct Position {
  uint32_t line = 0;       // 0-based
  uint32_t character = 0;  // 0-based, in code units of the encoding
  friend bool operator==(const Position&, const Position&) = default;
};

// Line starts of one text; converts byte offsets to positions and back.
// Line breaks are "\n", "\r\n" and a lone "\r", as LSP defines them. A leading
// UTF-8 byte order mark takes no column. Keeps a view of the text: the text
// must outlive the index.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);
  // A byte offset inside a UTF-8 sequence counts as the start of that
  // character; an offset past the end is the end. Invalid UTF-8 bytes count as
  // one unit each.
  Position ToPosition(uint32_t offset, Encoding enc) const;
  // A line past the end is the end of the text; a character past the end of
  // its line is the end of the line (before the line break); a character in
  // the middle of a surrogate pair is the start of that character.
  uint32_t ToOffset(Position pos, Encoding enc) const;
  uint32_t line_count() const { return static_cast<uint32_t>(starts_.size()); }

 private:
  uint32_t LineEnd(uint32_t line) const;  // offset of the line's break (or the text's end)
  std::string_view text_;
  std::vector<uint32_t> starts_;
};

// ---- URIs ------------------------------------------------------------------------

// file:///a/b%20c.accord -> /a/b c.accord. Nullopt for other schemes, a
// remote host, bad percent-escapes or a path that is not absolute.
std::optional<std::string> UriToPath(std::string_view uri);
// The reverse: percent-encodes everything but unreserved characters and '/'.
std::string PathToUri(std::string_view path);

}  // namespace accord::lsp
