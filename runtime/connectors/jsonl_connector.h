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
//
// Memory and time follow the change, not the file: the connector keeps each record's
// offset, not its text, and an offset index beside each file (OBJECT.jsonl.index, written
// by every run that read new lines) lets the next process read only the lines appended
// since; a file rewritten, truncated or replaced invalidates the index and is read whole.
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
  // Targeted reads: the offset index keeps each record's stamp, so the changed ids are
  // known without reading a record, and a record by id is one read at its offset.
  bool TargetedReads() const override { return true; }
  // The feed is the file: what was appended since a position ("size fingerprint") changed
  // since it (no stamp overlap needed: nothing lands late in an append-only file).
  base::Status ChangedIds(const schema::Object& object, int64_t since_ms, const std::string& position,
                          std::vector<std::string>* ids, std::vector<ReadProblem>* problems) override;
  std::string FeedPosition(const schema::Object& object) override;
  base::Status ReadByIds(const schema::Object& object, const std::vector<std::string>& ids, std::vector<Record>* out,
                         std::vector<ReadProblem>* problems) override;

  // Adds a record as it is now (tests; in-memory folders). `json` has the
  // system's record shape; returns its id (generated when absent).
  std::string Put(const schema::Object& object, nlohmann::json json);
  // The stored JSON of a record, or nullopt.
  std::optional<nlohmann::json> Get(const std::string& object, const std::string& id) const;
  // Every stored record of an object, in id order of first appearance.
  std::vector<nlohmann::json> All(const std::string& object) const;

  // The lines read from the files since construction: a pass reads only those appended since
  // the last (tests).
  size_t lines_scanned() const { return lines_scanned_; }

  // Text form of a JSON value as the engine compares it.
  static Text TextOf(const nlohmann::json& v);
  // The JSON a system stores for a field's text (HubSpot: always a string).
  static nlohmann::json JsonValue(schema::System system, const schema::Field& f, const Text& t);

 private:
  // Where a record's current line is: in the file (`offset`, `length`), or in memory
  // (Table::texts: a dry run's writes, Put, a folder-less connector, a write not yet
  // appended). 24 bytes: a million records' entries are most of a quiet pass's memory.
  struct Entry {
    int64_t offset = -1;  // -1: in Table::texts
    uint32_t length = 0;
    uint32_t line = 0;  // its line number, for messages
    // its modstamp in ms since the epoch as the engine reads it (kUnknownStamp: not readable,
    // so it counts as changed for ChangedIds)
    int64_t stamp_ms = kUnknownStamp;
  };
  static constexpr int64_t kUnknownStamp = INT64_MAX;
  // The entries of one file's records in order of first appearance, found by id: the ids packed
  // in one buffer, the entries in one array and an open-addressing table of positions (about
  // 60 bytes a record with an 18-character id; an unordered_map<string, Entry> and a vector of
  // the ids in order took ~180, most of a quiet pass's memory at a million records).
  class Index {
   public:
    size_t size() const { return live_; }
    void reserve(size_t n);
    Entry* find(std::string_view id);
    const Entry* find(std::string_view id) const { return const_cast<Index*>(this)->find(id); }
    bool count(std::string_view id) const { return find(id) != nullptr; }
    // The entry of `id`, added (at the end of the order) when new: (entry, added).
    std::pair<Entry*, bool> try_emplace(std::string_view id, const Entry& e);
    std::pair<Entry*, bool> try_emplace(std::string_view id) { return try_emplace(id, Entry{}); }
    Entry& operator[](std::string_view id) { return *try_emplace(id).first; }
    bool erase(std::string_view id);
    // Each record in order of first appearance: f(id, entry).
    template <typename F>
    void each(F f) const {
      for (size_t i = 0; i < slots_.size(); ++i)
        if (!slots_[i].erased) f(IdAt(i), slots_[i].e);
    }

   private:
    struct Slot {
      Entry e;
      uint64_t id_at : 63;  // its id in ids_: block << kBlockBits | offset; a 4-byte length, then the bytes
      uint64_t erased : 1;
    };
    std::string_view IdAt(size_t i) const;
    // The bucket of `id` (holding its slot + 1, or 0 where it would go).
    size_t Bucket(std::string_view id) const;
    void Grow(size_t want);  // rehashes into room for `want` records
    // ids in blocks of 1 MB (a longer id has a block of its own): no copy and no doubling's
    // slack as they grow (a string doubling held up to 2x its ids at a million records)
    static constexpr int kBlockBits = 20;
    std::vector<std::string> ids_;
    std::vector<Slot> slots_;
    std::vector<uint32_t> buckets_;  // slot + 1; 0 empty; kGone an erased slot's bucket
    static constexpr uint32_t kGone = UINT32_MAX;
    size_t live_ = 0, used_ = 0;  // live slots; buckets not empty
  };
  // The stamp of a record's JSON text (Entry::stamp_ms).
  int64_t StampOf(std::string_view text) const;
  // What is known of one object's file: its records' current lines, not their text, so that
  // memory holds an offset per record, not a copy of the org.
  struct Table {
    bool loaded = false;
    Index records;                                       // in order of first appearance
    std::unordered_map<std::string, std::string> texts;  // the current text of records with offset -1
    // Lines that are no record (malformed, no id, nested too deeply), reported by every Load.
    struct Problem {
      char kind;  // 'm' malformed, 'n' no id, 'd' too deep
      size_t line;
      std::string id;
    };
    std::vector<Problem> problems;
    int64_t next_number = 1;
    uint64_t size = 0;              // the bytes of the file read so far (always whole lines)
    size_t lines = 0;               // the lines read so far
    std::optional<uint64_t> print;  // Fingerprint(size) when read: a file rewritten under it shows
  };
  base::Result<Table*> Open(const schema::Object& object);
  // Drops what was read of the file (it changed under the table); records only in memory stay.
  void Forget(Table& t);
  // Reads the lines of `t`'s file after t.size (every line when t.size is 0); a torn last
  // line (no newline: its writer died mid-append) is dropped, and cut off the file unless a
  // dry run. Returns how many lines it read.
  base::Result<size_t> Scan(const std::string& object, Table& t);
  // The offset index beside the file (OBJECT.jsonl.index): what a Scan found up to a size
  // of the file, so that the next process reads only the lines appended since. Load
  // refuses an index whose file no longer starts with what it indexed (rewritten,
  // truncated, replaced): the file is then read whole.
  std::string IndexPath(const std::string& object) const;
  bool LoadIndex(const std::string& object, Table& t);
  void SaveIndex(const std::string& object, const Table& t) const;
  // A hash of sampled windows of the file's first `size` bytes (its start, its end, and
  // windows spread between): what an index checks the file against.
  std::optional<uint64_t> Fingerprint(const std::string& object, uint64_t size) const;
  std::vector<ReadProblem> Problems(const std::string& object, const Table& t) const;
  // A record's current text.
  base::Result<std::string> TextOf(const std::string& object, const Table& t, const std::string& id) const;
  std::string Path(const std::string& object) const;
  std::string NewId(const schema::Object& object, Table& t);
  std::string NextStamp();
  // false with *problem when the record is malformed or a value does not fit its field.
  bool ToRecord(const schema::Object& object, std::string_view text, Record* r, std::string* problem) const;
  void NoteId(Table& t, const std::string& id) const;
  // The system's own checks of one write; empty code = accepted.
  WriteResult Validate(const schema::Object& object, const WriteOp& op, const nlohmann::json* existing) const;
  void Apply(const schema::Object& object, const WriteOp& op, nlohmann::json& j);
  // Appends the records' current texts (in memory) to the file; they then live there.
  base::Status Append(const std::string& object, Table& t, const std::vector<std::string>& ids);

  schema::System system_;
  std::string dir_;
  bool dry_run_;
  std::map<std::string, Table> tables_;
  mutable simdjson::ondemand::parser parser_;
  CallCounts calls_;
  int64_t last_ms_ = 0;
  size_t lines_scanned_ = 0;
};

}  // namespace accord::sync
