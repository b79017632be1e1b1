// The sandbox's optional state file (accord sandbox --state FILE): both
// emulators' records and their small global state (counters, API usage,
// sessions, associations) in one SQLite file, so a sandbox can be stopped and
// started again where it was. The first run writes the seed into it; every
// request that changes state writes the records it touched, in a transaction,
// before the response is sent.
//
//   sandbox_meta(key PRIMARY KEY, value)            -- "format", "<system>" (a JSON object)
//   sandbox_records(system, object, id, body, PRIMARY KEY(system, object, id))  -- body: JSON
//
// Thread-safe: the two emulators write through one connection under a mutex.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/common.h"

struct sqlite3;

namespace accord::sandbox {

class StateFile {
 public:
  struct Row {
    std::string object, id;
    std::optional<Json> body;  // nullopt: delete the row
  };

  static std::unique_ptr<StateFile> Open(const std::string& path, Status* status);
  ~StateFile();
  StateFile(const StateFile&) = delete;
  StateFile& operator=(const StateFile&) = delete;

  // True once a sandbox has written its state into the file.
  bool HasState();
  // One system's rows (object, id, body) and its meta object (null when absent).
  Status Load(const std::string& system, std::vector<Row>* rows, Json* meta);
  // Writes rows and the meta object of one system in one transaction. With
  // replace_all, the system's rows are first removed (a full snapshot).
  Status Save(const std::string& system, const std::vector<Row>& rows, const Json& meta, bool replace_all);

 private:
  explicit StateFile(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace accord::sandbox
