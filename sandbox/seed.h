// The seed folder the emulators start from (docs/sandbox.md):
//
//   DIR/schemas/salesforce/<Object>.json   sObject describe JSON, one per object
//   DIR/schemas/hubspot/<type>.json        GET /crm/v3/properties/<type> JSON
//   DIR/data/salesforce/<Object>.jsonl     records as the REST API returns them
//   DIR/data/hubspot/<type>.jsonl          SimplePublicObject per line
//   DIR/data/hubspot/associations.jsonl    {"from":"contacts","fromId":"..","to":"companies","toId":"..","typeId":279}
//   DIR/sandbox.json                       optional settings: {"salesforce": {...}, "hubspot": {...}}
//
// Data and sandbox.json are optional; schemas are what make an object exist.
#pragma once

#include <string>
#include <vector>

#include "compiler/schema/schema.h"
#include "sandbox/common.h"

namespace accord::sandbox {

struct SeedObject {
  schema::Object schema;
  Json raw;                   // the schema file as loaded (served by describe / properties)
  std::vector<Json> records;  // the data file's lines, in order
};

struct Seed {
  std::string dir;
  std::vector<SeedObject> salesforce, hubspot;
  std::vector<Json> hubspot_associations;
  Json config = Json::object();  // sandbox.json
};

// Loads DIR. Schema and data files that do not parse, data files for objects
// that have no schema and non-object lines are errors (with file and line).
Status LoadSeed(const std::string& dir, Seed* out);

}  // namespace accord::sandbox
