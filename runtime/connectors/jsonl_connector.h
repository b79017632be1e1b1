// The `jsonl` connector: a folder per system holding one JSON Lines file per
// object (salesforce/Contact.jsonl, hubspot/contacts.jsonl, ...). A file is
// the system's current state plus its change feed: every line is a whole
// record, and the last line of an id is its current state. Writes append the
// record as the system would store it (new ids, a moved SystemModstamp /
// lastmodifieddate, the system's own validation of required fields,
// restricted picklists, lengths and enumeration options).
//
// Record shapes are the APIs' own:
//   Salesforce  {"Id": "003...", "SystemModstamp": "...", "IsDeleted": false, <fields>}
//   HubSpot     {"id": "101", "properties": {<name>: "<string>"}, "archived": false,
//                "associations": {"companies": ["201"]}}
// An empty folder path keeps everything in memory (accord test, plan).
#pragma once

#include <simdjson.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/connectors/connector.h"

namespace accord::sync {

// ms since the epoch as ISO-8601 UTC with milliseconds: 2026-11-30T08:00:00.000Z.
std::string IsoMillis(int64_t ms);

class JsonlConnector : public Connector {
 public:
  // `dir` is the system's folder (DIR/salesforce or DIR/hubspot); empty = in memory.
  // With `dry_run` writes are answered (and counted) but not stored.
  JsonlConnector(schema::System system, std::string dir, bool dry_run = false);

  schema::System system() const override { return system_; }
  base::Status Load(const schema::Object& object, std::vector<Record>* out,
                    std::vector<ReadProblem>* problems) override;
  std::vector<WriteResult> Write(const schema::Object& object, const std::vector<WriteOp>& ops) override;
  CallCounts calls() const override { return calls_; }

  // Adds a record as it is now (tests; in-memory folders). `json` has the
  // system's record shape; returns its id (generated when absent).
  std::string Put(const schema::Object& object, nlohmann::json json);
  // The stored JSON of a record, or nullopt.
  std::optional<nlohmann::json> Get(const std::string& object, const std::string& id) const;
  // Every stored record of an object, in id order of first appearance.
  std::vector<nlohmann::json> All(const std::string& object) const;

  // Text form of a JSON value as the engine compares it.
  static Text TextOf(const nlohmann::json& v);
  // The JSON a system stores for a field's text (HubSpot: always a string).
  static nlohmann::json JsonValue(schema::System system, const schema::Field& f, const Text& t);

 private:
  // Records are kept as their JSON text (parsed with simdjson to read, and
  // into nlohmann::json only when written).
  struct Table {
    bool loaded = false;
    std::vector<std::string> order;  // ids in order of first appearance
    std::unordered_map<std::string, std::string> records;
    std::unordered_map<std::string, size_t> lines;  // the line each record was read from
    // Lines that are no record (malformed, no id, nested too deeply), reported by every Load.
    std::vector<ReadProblem> problems;
    int64_t next_number = 1;
  };
  Table& Open(const schema::Object& object, std::string* error, bool* ok);
  std::string Path(const std::string& object) const;
  std::string NewId(const schema::Object& object, Table& t);
  std::string NextStamp();
  // false with *problem when the record is malformed or a value does not fit its field.
  bool ToRecord(const schema::Object& object, const std::string& text, Record* r, std::string* problem) const;
  void NoteId(Table& t, const std::string& id) const;
  // The system's own checks of one write; empty code = accepted.
  WriteResult Validate(const schema::Object& object, const WriteOp& op, const nlohmann::json* existing) const;
  void Apply(const schema::Object& object, const WriteOp& op, nlohmann::json& j);
  bool Append(const std::string& object, const std::vector<const std::string*>& records, std::string* error);

  schema::System system_;
  std::string dir_;
  bool dry_run_;
  std::map<std::string, Table> tables_;
  mutable simdjson::ondemand::parser parser_;
  CallCounts calls_;
  int64_t last_ms_ = 0;
};

}  // namespace accord::sync
