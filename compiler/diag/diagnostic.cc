#include "compiler/diag/diagnostic.h"

#include <algorithm>

#include "base/strings.h"

namespace accord {

SourceFile::SourceFile(std::string path, std::string text) : path_(std::move(path)), text_(std::move(text)) {
  // Line breaks are LF, CRLF and a lone CR. A UTF-8 byte order mark is not
  // part of the first line: editors do not show it, so columns skip it.
  bom_ = text_.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  line_starts_.push_back(bom_);
  for (uint32_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n' || (text_[i] == '\r' && (i + 1 == text_.size() || text_[i + 1] != '\n')))
      line_starts_.push_back(i + 1);
  }
}

LineCol SourceFile::Locate(uint32_t offset) const {
  if (offset > text_.size()) offset = static_cast<uint32_t>(text_.size());
  if (offset < bom_) offset = bom_;
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - line_starts_.begin());  // 1-based
  return LineCol{line, offset - line_starts_[line - 1] + 1};
}

std::string_view SourceFile::LineText(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  uint32_t begin = line_starts_[line - 1];
  uint32_t end = line < line_starts_.size() ? line_starts_[line] : static_cast<uint32_t>(text_.size());
  std::string_view v(text_.data() + begin, end - begin);
  return base::TrimEnd(v, "\n\r");
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
  }
  return "error";
}

const std::vector<DiagInfo>& AllDiagCodes() {
  static const std::vector<DiagInfo> kAll = {
#define ACCORD_DIAG(name, code, sev, title) {DiagCode::name, code, Severity::sev, title},
#include "compiler/diag/codes.def"
#undef ACCORD_DIAG
  };
  return kAll;
}

const DiagInfo& Info(DiagCode code) { return AllDiagCodes()[static_cast<size_t>(code)]; }

std::optional<DiagCode> DiagCodeFromId(std::string_view id) {
  for (const auto& i : AllDiagCodes())
    if (i.id == id) return i.code;
  return std::nullopt;
}

Diagnostic& DiagSink::Report(DiagCode code, const SourceFile* file, Range range, std::string message) {
  Severity sev = Info(code).severity;
  if (sev == Severity::kError) {
    if (errors_ >= max_errors_) {
      if (!limit_reached_) {
        limit_reached_ = true;
        Diagnostic d;
        d.code = DiagCode::kTooManyErrors;
        d.severity = Severity::kError;
        d.file = nullptr;
        d.message = "too many errors (limit " + std::to_string(max_errors_) +
                    "); later errors are not shown (raise it with --max-errors)";
        diags_.push_back(std::move(d));
      }
      dropped_ = Diagnostic{};
      return dropped_;
    }
    ++errors_;
  }
  Diagnostic d;
  d.code = code;
  d.severity = sev;
  d.file = file;
  d.range = range;
  d.message = std::move(message);
  diags_.push_back(std::move(d));
  return diags_.back();
}

size_t DiagSink::error_count() const {
  size_t n = 0;
  for (const auto& d : diags_) n += d.severity == Severity::kError;
  return n;
}

size_t DiagSink::warning_count() const {
  size_t n = 0;
  for (const auto& d : diags_) n += d.severity == Severity::kWarning;
  return n;
}

void DiagSink::Sort() {
  std::stable_sort(diags_.begin(), diags_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    // Whole-run diagnostics (no file) go last; the "too many errors" note is last of all.
    bool af = a.file != nullptr, bf = b.file != nullptr;
    if (af != bf) return af;
    if (af && a.file->path() != b.file->path()) return a.file->path() < b.file->path();
    if (a.range.begin != b.range.begin) return a.range.begin < b.range.begin;
    return static_cast<int>(a.code) < static_cast<int>(b.code);
  });
}

}  // namespace accord
