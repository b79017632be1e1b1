// Diagnostics as values: every problem with a user's rules is a Diagnostic
// with a stable code and a byte range in a source file. Nothing in the
// compiler throws for user errors.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

// A half-open byte range [begin, end) in one source file.
struct Range {
  uint32_t begin = 0;
  uint32_t end = 0;
  static Range Join(Range a, Range b) {
    return Range{a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end};
  }
};

struct LineCol {
  uint32_t line = 1;    // 1-based
  uint32_t column = 1;  // 1-based, in bytes
};

// The text of one file and its line table. Lines end at LF, CRLF or a lone
// CR; a leading UTF-8 byte order mark takes no column.
class SourceFile {
 public:
  SourceFile(std::string path, std::string text);
  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  LineCol Locate(uint32_t offset) const;
  std::string_view LineText(uint32_t line) const;  // without the newline
  uint32_t line_count() const { return static_cast<uint32_t>(line_starts_.size()); }

 private:
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
  uint32_t bom_ = 0;  // 3 when the text starts with a UTF-8 byte order mark
};

enum class Severity { kError, kWarning, kNote };
std::string_view SeverityName(Severity s);

enum class DiagCode : uint16_t {
#define ACCORD_DIAG(name, code, sev, title) name,
#include "compiler/diag/codes.def"
#undef ACCORD_DIAG
};

struct DiagInfo {
  DiagCode code;
  std::string_view id;  // "A0101"
  Severity severity;    // default severity
  std::string_view title;
};
const DiagInfo& Info(DiagCode code);
const std::vector<DiagInfo>& AllDiagCodes();
std::optional<DiagCode> DiagCodeFromId(std::string_view id);

struct Note {
  std::string message;
  const SourceFile* file = nullptr;  // null: a note without a location
  Range range;
};

struct Diagnostic {
  DiagCode code = DiagCode::kSyntax;
  Severity severity = Severity::kError;
  const SourceFile* file = nullptr;  // null for whole-run problems
  Range range;
  std::string message;
  std::vector<Note> notes;
  std::optional<std::string> fixit;  // replacement text for `range`, if any
};

// Collects diagnostics for one run; owns nothing but the list.
class DiagSink {
 public:
  explicit DiagSink(size_t max_errors = 100) : max_errors_(max_errors) {}
  Diagnostic& Report(DiagCode code, const SourceFile* file, Range range, std::string message);
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }
  std::vector<Diagnostic>& mutable_diagnostics() { return diags_; }
  size_t error_count() const;
  size_t warning_count() const;
  bool limit_reached() const { return limit_reached_; }
  // Sorts by file, offset, code for deterministic output.
  void Sort();

 private:
  std::vector<Diagnostic> diags_;
  size_t max_errors_;
  size_t errors_ = 0;
  bool limit_reached_ = false;
  Diagnostic dropped_;
};

}  // namespace accord
