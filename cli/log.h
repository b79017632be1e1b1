// The logs of the long-running verbs (issue 19): `run` / `plan` (and `--watch`), `status`,
// and `serve`. `--log-format text` (the default) writes the lines they always wrote:
// "accord VERB: message" on stderr, a pass's summary as text on stdout. `--log-format json`
// writes one JSON object per line on stderr instead, in the shape of Go's log/slog JSON
// handler, which log shippers (Loki, Elasticsearch, Cloud Logging, journald) parse as is:
//
//   {"time":"2026-12-08T01:30:00.123Z","level":"INFO","verb":"run","msg":"pass","created":1,...}
//
// Fields are flat beside time, level, verb and msg (a field of those names is dropped). Nothing
// secret is ever a message or a field: callers pass URLs through store::RedactLocation and
// never log tokens, secrets or request query strings.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace accord::cli::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// --log-format text|json on a verb; Apply() checks and sets it (false, with a message on
// stderr, for anything else). The format is process-wide.
void AddOption(CLI::App* cmd, std::string& format);
bool Apply(const std::string& format, std::string_view verb);
bool Json();              // --log-format json is in force
std::string_view Verb();  // the verb Apply was given ("accord" before)

// One line. Text: "accord VERB: [warning: ]msg" on stderr (fields are not shown: a text
// caller says what it needs in msg). JSON: the object above. Thread-safe; each line is
// written whole.
void Write(Level level, std::string_view verb, std::string_view msg,
           const nlohmann::json& fields = nlohmann::json::object());
inline void Info(std::string_view verb, std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kInfo, verb, msg, f);
}
inline void Warn(std::string_view verb, std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kWarn, verb, msg, f);
}
inline void Error(std::string_view verb, std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kError, verb, msg, f);
}

// The JSON object of one line as Write makes it (without the newline).
nlohmann::json Line(int64_t now_ms, Level level, std::string_view verb, std::string_view msg,
                    const nlohmann::json& fields);

}  // namespace accord::cli::log
