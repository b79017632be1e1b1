// Helpers shared by the hand-written peers of issue 16 (w_peer, people_peer): what any
// engineer writing such a program would write once. Header-only; each peer is one file.
#pragma once

#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace peer {

inline bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

inline bool IsBlank(std::string_view s) {
  for (char c : s)
    if (!IsSpace(c)) return false;
  return true;
}

inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

inline void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// One optional string field of the record.
struct Text {
  std::string_view value;
  bool present = false;  // false: absent or null
};

// Reads a string-or-null field; false when it is neither.
inline bool ReadText(simdjson::ondemand::value v, Text& t) {
  if (v.is_null()) return true;
  if (v.get_string().get(t.value)) return false;
  t.present = true;
  return true;
}

inline void Property(std::string& out, bool& first, const char* name, std::string_view value) {
  out += first ? "\"" : ",\"";
  first = false;
  out += name;
  out += "\":";
  AppendJsonString(out, value);
}

// Reads JSON Lines from stdin: calls on_record(obj, line_no) for every non-blank line that
// parses as a JSON object; it returns 1 (mapped or out of scope), 0 (malformed: reported here)
// or -1 (rejected: it said why on stderr). Writes `out` to stdout whenever it passes 1 MB.
// Returns the exit status: 1 when any record was malformed or rejected.
template <class OnRecord>
int ForEachRecord(std::string& out, OnRecord on_record) {
  std::string input(size_t{8} << 20, '\0');  // whole lines, then simdjson's padding
  size_t have = 0, pos = 0, line_no = 0;
  bool eof = false;
  simdjson::ondemand::parser parser;
  out.reserve(size_t{1} << 21);
  int status = 0;
  for (;;) {
    const char* nl = have > pos ? static_cast<const char*>(std::memchr(input.data() + pos, '\n', have - pos)) : nullptr;
    if (!nl && !eof) {  // keep the unfinished line, read behind it
      std::memmove(input.data(), input.data() + pos, have - pos);
      have -= pos;
      pos = 0;
      if (input.size() - have < (size_t{1} << 20) + simdjson::SIMDJSON_PADDING) input.resize(input.size() * 2);
      size_t n = std::fread(input.data() + have, 1, input.size() - have - simdjson::SIMDJSON_PADDING, stdin);
      if (n == 0) eof = true;
      have += n;
      continue;
    }
    if (pos >= have) break;
    const char* end = nl ? nl : input.data() + have;
    std::string_view line(input.data() + pos, static_cast<size_t>(end - (input.data() + pos)));
    pos = static_cast<size_t>(end - input.data()) + 1;
    ++line_no;
    if (IsBlank(line)) continue;
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    size_t capacity = static_cast<size_t>(input.data() + input.size() - line.data());
    int r = 1;
    if (parser.iterate(line.data(), line.size(), capacity).get(doc) || doc.get_object().get(obj) ||
        (r = on_record(obj, line_no)) == 0) {
      std::fprintf(stderr, "line %zu: malformed record\n", line_no);
      status = 1;
      continue;
    }
    if (r < 0) status = 1;  // a rejected record (the peer said why on stderr)
    if (out.size() > (size_t{1} << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return status;
}

}  // namespace peer
