// Records on the wire <-> record slots. Decoding reads one JSON record of a
// schema object into a slot array (slot = schema field index) with the
// field's type; strings borrow from the JSON document, so slots are valid
// until the next document is parsed. Encoding writes a value as the target
// system stores it: HubSpot property values are strings; Salesforce fields
// are JSON scalars.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/strings.h"
#include "compiler/schema/schema.h"
#include "runtime/value.h"

namespace accord::rec {

// Remembers the key order of the previous record so that the usual case
// (every record has the same keys in the same order) needs no hash lookup.
class Decoder {
 public:
  explicit Decoder(const schema::Object& object);
  // Decodes `obj` into `slots` (resized to the object's field count, reset to
  // null). A HubSpot record may be {"id": .., "properties": {..}} or flat.
  // Sets *id to the record id ("Id" / "id"), empty when absent. A value that
  // does not fit its field's type becomes an error value in its slot; a
  // malformed document is an error status.
  base::Status Decode(simdjson::ondemand::object obj, std::vector<rt::Value>& slots, std::string* id);
  const schema::Object& object() const { return object_; }
  // Only these slots are decoded (the fields a program loads); others stay
  // null. Empty = all.
  void Want(std::vector<bool> slots) { wanted_ = std::move(slots); }

 private:
  base::Status Fields(simdjson::ondemand::object obj, std::vector<rt::Value>& slots, std::string* id, bool nested);
  struct KeyInfo {
    std::string key;
    int slot = -1;
    uint8_t special = 0;  // 1: the record id, 2: HubSpot's nested "properties"
    // A key shorter than 16 bytes: its bytes and closing quote, and the mask of those bytes,
    // compared with the raw document in two 8-byte words (no memcmp call per field).
    uint64_t word[2] = {0, 0}, mask[2] = {0, 0};
  };
  static bool SameRawKey(const char* raw, const KeyInfo& k);
  const KeyInfo& Lookup(std::string_view key, size_t position, bool nested);
  rt::Value Convert(const schema::Field& f, simdjson::ondemand::value v);

  const schema::Object& object_;
  std::vector<KeyInfo> order_;  // key order seen last (nested properties from 256)
  KeyInfo scratch_;
  std::vector<bool> wanted_;
};

// A value from its text as a field of this type (HubSpot sends everything as
// strings; also used for test records).
rt::Value FromText(const schema::Field& f, std::string_view text);

// Appends `s` as a JSON string (escapes ", \ and control characters; other
// bytes as they are): base/strings.h.
using base::AppendJsonString;

// Appends the wire form of `v` for field `f` of `system`. An error status (and
// nothing appended) when the value cannot be written to that field.
base::Status AppendFieldValue(schema::System system, const schema::Field& f, const rt::Value& v, std::string& out);

}  // namespace accord::rec
