#include "compiler/lsp/protocol.h"

#include <algorithm>
#include <istream>
#include <ostream>

#include "base/strings.h"

namespace accord::lsp {

namespace {

constexpr size_t kMaxHeaderLine = 8192;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

// Length of the UTF-8 sequence that starts with byte `c`; 1 for a byte that
// cannot start one (it then counts as a character of its own).
uint32_t SequenceLength(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

// The character at text[i]: its byte length (never past `end`, and only
// counting continuation bytes) and its width in the encoding's units.
void NextChar(std::string_view text, uint32_t i, uint32_t end, Encoding enc, uint32_t* bytes, uint32_t* units) {
  uint32_t n = SequenceLength(static_cast<unsigned char>(text[i]));
  uint32_t k = 1;
  while (k < n && i + k < end && (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80) ++k;
  if (k < n) n = 1;  // truncated sequence: the lead byte alone
  *bytes = n;
  *units = enc == Encoding::kUtf8 ? n : (n == 4 ? 2 : 1);
}

}  // namespace

// ---- framing ---------------------------------------------------------------------

MessageReader::Line MessageReader::ReadLine(std::string* line) {
  line->clear();
  std::streambuf* buf = in_.rdbuf();
  for (;;) {
    int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) return Line::kEof;
    if (c == '\n') break;
    if (line->size() >= kMaxHeaderLine) return Line::kTooLong;
    line->push_back(static_cast<char>(c));
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return Line::kOk;
}

bool MessageReader::SkipToHeader() {
  // "content-length:" has no proper prefix that is also a suffix, so a
  // mismatch can restart the match at the current character.
  static constexpr std::string_view kHeader = "content-length:";
  std::streambuf* buf = in_.rdbuf();
  size_t matched = 0;
  while (matched < kHeader.size()) {
    int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) return false;
    char l = Lower(static_cast<char>(c));
    if (l == kHeader[matched])
      ++matched;
    else
      matched = l == kHeader[0] ? 1 : 0;
  }
  return true;
}

MessageReader::Status MessageReader::Next(std::string* body, std::string* error) {
  std::string line;
  bool have_length = false, bad_length = false, any_header = false;
  size_t length = 0;
  for (;;) {
    std::string prefix;
    if (resync_) {
      if (!SkipToHeader()) return Status::kEof;
      resync_ = false;
      prefix = "Content-Length:";
    }
    Line got = ReadLine(&line);
    if (got == Line::kEof) return Status::kEof;
    if (got == Line::kTooLong) {
      resync_ = true;
      *error = "header line longer than " + std::to_string(kMaxHeaderLine) + " bytes";
      return Status::kBadFrame;
    }
    line = prefix + line;
    if (line.empty()) {
      if (!any_header) continue;  // stray blank lines between frames
      break;
    }
    any_header = true;
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      resync_ = true;
      *error = "malformed header line (no ':')";
      return Status::kBadFrame;
    }
    std::string_view name = base::Trim(std::string_view(line).substr(0, colon), " \t");
    std::string_view value = base::Trim(std::string_view(line).substr(colon + 1), " \t");
    if (!EqualsIgnoreCase(name, "content-length")) continue;
    have_length = true;
    length = 0;
    bad_length = value.empty() || value.size() > 18;  // up to 10^18: no overflow
    for (char c : value) {
      if (c < '0' || c > '9')
        bad_length = true;
      else
        length = length * 10 + static_cast<size_t>(c - '0');
    }
  }
  if (!have_length || bad_length) {
    resync_ = true;  // the body, if any, cannot be found: skip to the next frame
    *error = have_length ? "invalid Content-Length" : "missing Content-Length header";
    return Status::kBadFrame;
  }
  std::streambuf* buf = in_.rdbuf();
  if (length > max_body_) {
    // Stay in step: consume the body without keeping it.
    for (size_t left = length; left > 0; --left)
      if (buf->sbumpc() == std::char_traits<char>::eof()) return Status::kEof;
    *error = "message of " + std::to_string(length) + " bytes is larger than the limit of " + std::to_string(max_body_);
    return Status::kBadFrame;
  }
  body->resize(length);
  std::streamsize got = buf->sgetn(body->data(), static_cast<std::streamsize>(length));
  if (got != static_cast<std::streamsize>(length)) return Status::kEof;
  return Status::kMessage;
}

std::string Serialize(const nlohmann::json& message) {
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteMessage(std::ostream& out, const nlohmann::json& message) {
  std::string body = Serialize(message);
  out << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  out.flush();
}

nlohmann::json Response(const nlohmann::json& id, nlohmann::json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

nlohmann::json ErrorResponse(const nlohmann::json& id, int code, std::string message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", std::move(message)}}}};
}

nlohmann::json Notification(std::string method, nlohmann::json params) {
  return {{"jsonrpc", "2.0"}, {"method", std::move(method)}, {"params", std::move(params)}};
}

// ---- positions -------------------------------------------------------------------

LineIndex::LineIndex(std::string_view text) : text_(text) {
  // A UTF-8 byte order mark takes no column (as in `accord check`'s output):
  // editors do not show it, and strip it from the buffers they send.
  starts_.push_back(text_.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0);
  for (uint32_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') {
      starts_.push_back(i + 1);
    } else if (text_[i] == '\r') {
      if (i + 1 < text_.size() && text_[i + 1] == '\n') ++i;
      starts_.push_back(i + 1);
    }
  }
}

uint32_t LineIndex::LineEnd(uint32_t line) const {
  uint32_t end = line + 1 < starts_.size() ? starts_[line + 1] : static_cast<uint32_t>(text_.size());
  if (line + 1 < starts_.size()) {
    // Back over the break: "\n", "\r\n" or "\r".
    if (end > starts_[line] && text_[end - 1] == '\n') --end;
    if (end > starts_[line] && text_[end - 1] == '\r') --end;
  }
  return end;
}

Position LineIndex::ToPosition(uint32_t offset, Encoding enc) const {
  offset = std::max(std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size())), starts_[0]);
  uint32_t line = static_cast<uint32_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin()) - 1;
  uint32_t end = std::min(offset, LineEnd(line));
  uint32_t units = 0;
  for (uint32_t i = starts_[line]; i < end;) {
    uint32_t bytes, width;
    NextChar(text_, i, LineEnd(line), enc, &bytes, &width);
    if (i + bytes > end) break;  // the offset is inside this character
    units += width;
    i += bytes;
  }
  return Position{line, units};
}

uint32_t LineIndex::ToOffset(Position pos, Encoding enc) const {
  if (pos.line >= starts_.size()) return static_cast<uint32_t>(text_.size());
  uint32_t end = LineEnd(pos.line);
  uint32_t i = starts_[pos.line], units = 0;
  while (i < end) {
    uint32_t bytes, width;
    NextChar(text_, i, end, enc, &bytes, &width);
    if (units + width > pos.character) break;
    units += width;
    i += bytes;
  }
  return i;
}

// ---- URIs --------------------------------------------------------------------------

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> UriToPath(std::string_view uri) {
  constexpr std::string_view kScheme = "file://";
  if (uri.size() < kScheme.size() || !EqualsIgnoreCase(uri.substr(0, kScheme.size()), kScheme)) return std::nullopt;
  std::string_view rest = uri.substr(kScheme.size());
  if (rest.starts_with("localhost/")) rest.remove_prefix(9);
  if (rest.empty() || rest.front() != '/') return std::nullopt;  // file://host/...: not a local file
  rest = rest.substr(0, std::min(rest.find('?'), rest.find('#')));
  std::string path;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != '%') {
      path += rest[i];
      continue;
    }
    int hi = i + 1 < rest.size() ? HexValue(rest[i + 1]) : -1;
    int lo = i + 2 < rest.size() ? HexValue(rest[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return std::nullopt;
    path += c;
    i += 2;
  }
  return path;
}

std::string PathToUri(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file://";
  for (char ch : path) {
    unsigned char c = static_cast<unsigned char>(ch);
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                c == '_' || c == '~' || c == '/';
    if (keep) {
      uri += ch;
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  return uri;
}

}  // namespace accord::lsp
