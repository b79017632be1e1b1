// What the sync engine needs from a system: read the current state of an
// object's records, and write creates, updates and deletes with one result
// per record. The jsonl connector (folders of JSON Lines files) implements it
// here; the HTTP connectors of Salesforce and HubSpot implement the same
// interface, so the engine runs unchanged over files, the sandbox and the
// real APIs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "compiler/schema/schema.h"

namespace accord::connectors {

// A field value in its text form: Salesforce scalars as JSON writes them
// (strings as they are, numbers as written, true/false), HubSpot property
// values as the API's strings. nullopt is null (unset).
using Text = std::optional<std::string>;

// Blank: null or the empty string (HubSpot clears a property with "").
inline bool IsBlank(const Text& t) { return !t || t->empty(); }

// A record's field values by schema slot, kept sparsely: a wide object
// (Salesforce Contact has ~60 fields) usually has a dozen set, and a million
// records of dense slots cost more to allocate than to read. An absent slot
// reads as null.
class Values {
 public:
  size_t size() const { return n_; }
  void assign(size_t n, std::nullopt_t) { n_ = n, items_.clear(); }
  void resize(size_t n) { n_ = n; }
  const Text& operator[](size_t slot) const {
    auto it = Find(slot);
    return it != items_.end() && it->first == slot ? it->second : Null();
  }
  void set(size_t slot, Text t) {
    auto it = Find(slot);
    if (it != items_.end() && it->first == slot) {
      if (t)
        it->second = std::move(t);
      else
        items_.erase(it);
    } else if (t) {
      items_.insert(it, {static_cast<uint32_t>(slot), std::move(t)});
    }
  }
  // The set values, by slot.
  std::vector<std::pair<uint32_t, Text>>& items() { return items_; }
  const std::vector<std::pair<uint32_t, Text>>& items() const { return items_; }

 private:
  static const Text& Null() {
    static const Text kNull;
    return kNull;
  }
  std::vector<std::pair<uint32_t, Text>>::iterator Find(size_t slot) {
    return std::lower_bound(items_.begin(), items_.end(), slot, [](const auto& e, size_t s) { return e.first < s; });
  }
  std::vector<std::pair<uint32_t, Text>>::const_iterator Find(size_t slot) const {
    return std::lower_bound(items_.begin(), items_.end(), slot, [](const auto& e, size_t s) { return e.first < s; });
  }
  size_t n_ = 0;
  std::vector<std::pair<uint32_t, Text>> items_;  // sorted by slot
};

struct Record {
  std::string id;
  std::string modstamp;  // SystemModstamp / lastmodifieddate, ISO-8601 UTC (compares as text)
  bool deleted = false;
  Values values;  // by schema field slot
  // HubSpot: associated record ids per object type ("companies" -> ids).
  std::map<std::string, std::vector<std::string>> associations;
  // Salesforce merges: the surviving record of a merged-away (deleted) one.
  std::string master_id;
  // HubSpot merges: ids of records merged into this one.
  std::vector<std::string> merged_ids;
};

// A problem reading a system's data (a malformed line, a wrong type): the
// record is skipped and the engine logs it; the rest proceeds.
struct ReadProblem {
  std::string record_id;  // when known
  std::string where;      // e.g. file:line, for the error log when there is no id
  std::string message;
};

struct WriteOp {
  enum class Kind { kCreate, kUpdate, kDelete };
  Kind kind = Kind::kUpdate;
  std::string id;                                                    // update/delete
  std::vector<std::pair<size_t, Text>> fields;                       // schema slot -> value
  std::map<std::string, std::vector<std::string>> add_associations;  // HubSpot
  // Creates: the target field that holds the source record's id (the rules' external
  // id), set only where the system can upsert by it (a HubSpot property with
  // hasUniqueValue, a Salesforce External ID or idLookup field). The connector then
  // upserts by that field's value in `fields`: sent again, the create updates the
  // record its first try made instead of making a second one.
  std::string upsert_field;
};

// The value a create upserts by (its upsert_field's entry in `fields`), or nullptr.
inline const Text* UpsertValue(const schema::Object& object, const WriteOp& op) {
  if (op.kind != WriteOp::Kind::kCreate || op.upsert_field.empty()) return nullptr;
  for (const auto& [slot, text] : op.fields)
    if (slot < object.fields.size() && object.fields[slot].name == op.upsert_field && !IsBlank(text)) return &text;
  return nullptr;
}

struct WriteResult {
  WriteResult() = default;
  WriteResult(bool ok, std::string id, std::string status_code, std::string message, bool transient,
              std::optional<Record> stored)
      : ok(ok),
        id(std::move(id)),
        status_code(std::move(status_code)),
        message(std::move(message)),
        transient(transient),
        stored(std::move(stored)) {}
  bool ok = false;
  std::string id;           // the record written (the new id for a create)
  std::string status_code;  // the system's code on failure: STRING_TOO_LONG, INVALID_OPTION, ...
  std::string message;
  bool transient = false;  // retry later (locks, 5xx, limits)
  // The record as the system stored it, when the write's response says
  // (defaults and values the system fills in on create).
  std::optional<Record> stored;
  // The outcome is unknown: the request may have been applied (no response, a
  // timeout or a 5xx after the request was sent). For a create the engine keeps
  // its write-ahead intent and finds what it made before it ever creates again.
  bool maybe_applied = false;
  // The field the system named as the reason of a failure, when it named one
  // (Salesforce `fields`, HubSpot `context.propertyName`): the engine sends the
  // record's other fields once more without it.
  std::string field;
};

struct CallCounts {
  int64_t reads = 0, writes = 0;
};

// A system's API limits as its responses last reported them (-1: not reported yet).
// Salesforce: the org's daily requests (Sforce-Limit-Info api-usage=used/max). HubSpot:
// the daily limit (X-HubSpot-RateLimit-Daily, -Daily-Remaining) and the burst window
// (X-HubSpot-RateLimit-Max, -Remaining, -Interval-Milliseconds).
struct ApiLimits {
  int64_t daily_max = -1, daily_used = -1;
  int64_t burst_max = -1, burst_remaining = -1, burst_window_ms = -1;
};

// Push (webhooks, change events): what the next Loads read. An object named in
// `ids` is read by record id only (in the system's batch size) and merged into
// what the connector holds; one in `whole` gets the connector's usual read (the
// incremental one after the first); any other object is not read at all. Load
// returns every record held either way. A targeted read leaves the usual read's
// cursor where it was: the next usual read still sees every change since the
// last one, so an event lost on the way costs latency, not data.
struct ReadScope {
  std::map<std::string, std::vector<std::string>> ids;  // object -> record ids
  std::vector<std::string> whole;                       // objects read the usual way
  bool Whole(const std::string& object) const { return std::find(whole.begin(), whole.end(), object) != whole.end(); }
};

// Field change times a connector has read (PrefetchFieldChanges below), per
// object, until the object's next Load clears them. A pair asked but not in
// the system's answer is known to be unknown ("").
class FieldTimeCache {
 public:
  void Clear(const std::string& object) { times_.erase(object); }
  // The pairs of one read: unknown until Set.
  void Ask(const std::string& object, const std::string& id, const std::string& field) {
    times_[object].try_emplace(Key(id, field));
  }
  // Keeps the newest time of a pair that was asked.
  void Set(const std::string& object, const std::string& id, const std::string& field, const std::string& at) {
    auto o = times_.find(object);
    if (o == times_.end()) return;
    auto it = o->second.find(Key(id, field));
    if (it != o->second.end() && at > it->second) it->second = at;
  }
  // The time of the field at `slot` of `record`; `read` (the connector's read of this pair
  // alone) runs first when the pair was never asked.
  std::string Answer(const schema::Object& object, const std::string& id, size_t slot,
                     const std::function<void()>& read) {
    if (slot >= object.fields.size() || id.empty()) return "";
    std::string key = Key(id, object.fields[slot].name);
    auto& times = times_[object.name];
    if (!times.count(key)) read();
    auto it = times.find(key);
    return it == times.end() ? "" : it->second;
  }

 private:
  static std::string Key(const std::string& id, const std::string& field) { return id + '\n' + field; }
  std::map<std::string, std::map<std::string, std::string>> times_;
};

class Connector {
 public:
  virtual ~Connector() = default;
  virtual schema::System system() const = 0;
  // Every record of `object` as it is now (deleted ones flagged when the
  // system reports them).
  virtual base::Status Load(const schema::Object& object, std::vector<Record>* out,
                            std::vector<ReadProblem>* problems) = 0;
  // Applies the operations in batches of the system's size; one result per op.
  virtual std::vector<WriteResult> Write(const schema::Object& object, const std::vector<WriteOp>& ops) = 0;
  // API calls made (or, for a dry run, that would be made).
  virtual CallCounts calls() const = 0;
  // Field change times, for two_way conflicts. The engine first names every
  // (record, field) of the pass's conflicts on an object in one call, which
  // reads them in as few requests as the API allows (HubSpot: batch read with
  // propertiesWithHistory, 50 records a request; Salesforce: one query of the
  // object's field history per 200 records, where its describe has one); then
  // FieldChangedAt answers from what was read, without a request, until the
  // next Load of the object. Default: nothing to read.
  virtual void PrefetchFieldChanges(const schema::Object& object, const std::vector<std::string>& record_ids,
                                    const std::vector<size_t>& slots) {
    (void)object, (void)record_ids, (void)slots;
  }
  // When the field at `slot` of `record` last changed (ISO-8601 UTC). Empty =
  // not known (no history, the field not tracked, the read failed): the
  // record's modstamp decides, and the caller should say so. A pair not
  // prefetched is read alone (one request).
  virtual std::string FieldChangedAt(const schema::Object& object, const Record& record, size_t slot) {
    (void)object, (void)record, (void)slot;
    return "";
  }
  // The precision, in ms, of every time this connector returns (modstamps and
  // FieldChangedAt): 1 for HubSpot, 1000 for Salesforce (SystemModstamp and
  // history CreatedDate keep whole seconds whatever digits they show). Two
  // times closer than the coarser precision of their sides are a tie.
  virtual int64_t TimePrecisionMs() const { return system() == schema::System::kSalesforce ? 1000 : 1; }
  // The API limits last reported (budget pacing, the pass summary); none by default.
  virtual ApiLimits limits() const { return {}; }
  // Push: the scope of the next Loads (ReadScope above), until set again; nullopt (the
  // default) = the usual read. A connector with no read by id reads whole (the default).
  virtual void SetReadScope(std::optional<ReadScope> scope) { (void)scope; }
  // The batch size of the system's write endpoint (200 Salesforce, 100 HubSpot).
  int batch_size() const { return system() == schema::System::kSalesforce ? 200 : 100; }

  // Targeted reads (issue 15): a connector that answers the two calls below lets a pass
  // read only what changed since its cursor and the records it needs by id, instead of
  // every record (Load). The engine uses them only when TargetedReads() says so.
  virtual bool TargetedReads() const { return false; }
  // The ids of the records of `object` stamped at or after `since_ms` (ms since the epoch;
  // a record whose stamp cannot be read counts as changed): a superset is allowed, never
  // less. A connector with an exact change feed answers instead with the records changed
  // since `position` (a FeedPosition it gave earlier; "" = none: by stamp). `problems`:
  // what could not be read at all (as Load reports them).
  virtual base::Status ChangedIds(const schema::Object& object, int64_t since_ms, const std::string& position,
                                  std::vector<std::string>* ids, std::vector<ReadProblem>* problems) {
    (void)object, (void)since_ms, (void)position, (void)ids, (void)problems;
    return base::Status::Error("this connector has no targeted reads");
  }
  // Where its change feed of `object` stood at its last read (Load or ChangedIds), for the
  // next ChangedIds: an opaque token the engine keeps with the cursor ("" = no exact feed).
  virtual std::string FeedPosition(const schema::Object& object) {
    (void)object;
    return "";
  }
  // The records of `object` with these ids as they are now (an id the system does not
  // have is absent from `out`; one it cannot read is in `problems`).
  virtual base::Status ReadByIds(const schema::Object& object, const std::vector<std::string>& ids,
                                 std::vector<Record>* out, std::vector<ReadProblem>* problems) {
    (void)object, (void)ids, (void)out, (void)problems;
    return base::Status::Error("this connector has no targeted reads");
  }
};

}  // namespace accord::connectors

// The engine (runtime/sync) speaks this vocabulary unqualified, as do the jsonl
// connector and wire_values, which are still in accord::sync.
namespace accord::sync {
using connectors::ApiLimits;
using connectors::CallCounts;
using connectors::Connector;
using connectors::FieldTimeCache;
using connectors::IsBlank;
using connectors::ReadProblem;
using connectors::ReadScope;
using connectors::Record;
using connectors::Text;
using connectors::UpsertValue;
using connectors::Values;
using connectors::WriteOp;
using connectors::WriteResult;
}  // namespace accord::sync
