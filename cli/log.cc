#include "cli/log.h"

#include <chrono>
#include <iostream>
#include <mutex>

#include "runtime/connectors/jsonl_connector.h"  // IsoMillis

namespace accord::cli::log {

namespace {

bool g_json = false;
std::string g_verb = "accord";
std::mutex g_mu;

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarn:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace

void AddOption(CLI::App* cmd, std::string& format) {
  cmd->add_option("--log-format", format,
                  "text (default) or json: one JSON object per line on stderr (time, level, verb, msg, fields)");
}

bool Apply(const std::string& format, std::string_view verb) {
  if (format != "text" && format != "json") {
    std::cerr << "accord " << verb << ": --log-format must be text or json\n";
    return false;
  }
  g_json = format == "json";
  g_verb = std::string(verb);
  return true;
}

bool Json() { return g_json; }
std::string_view Verb() { return g_verb; }

nlohmann::json Line(int64_t now_ms, Level level, std::string_view verb, std::string_view msg,
                    const nlohmann::json& fields) {
  nlohmann::json j = {{"time", sync::IsoMillis(now_ms)},
                      {"level", LevelName(level)},
                      {"verb", std::string(verb)},
                      {"msg", std::string(msg)}};
  if (fields.is_object())
    for (const auto& [k, v] : fields.items())
      if (!j.contains(k)) j[k] = v;
  return j;
}

void Write(Level level, std::string_view verb, std::string_view msg, const nlohmann::json& fields) {
  std::string line;
  if (g_json) {
    int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    // invalid UTF-8 in a message (a record's bytes) is replaced, never a throw
    line = Line(now, level, verb, msg, fields).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = "accord " + std::string(verb) + ": " + (level == Level::kWarn ? "warning: " : "") + std::string(msg);
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(g_mu);
  std::cerr << line << std::flush;
}

}  // namespace accord::cli::log
