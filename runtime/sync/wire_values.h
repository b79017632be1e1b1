// Field text <-> the systems' JSON, the one convention every connector shares
// (jsonl folders, the Salesforce and HubSpot HTTP connectors): strings as they
// are, numbers as written, true/false, null = nullopt, arrays ;-joined (a
// multi-select as the APIs write it), objects (Salesforce's "attributes",
// compound fields) null. No LLVM here: the HTTP connectors link it too.
#pragma once

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "runtime/sync/connector.h"

namespace accord::sync {

// The text of a JSON value as the engine compares it; false on malformed JSON
// (nested values are read through, so a malformed one inside an object is seen).
bool WireText(simdjson::ondemand::value v, Text* out);

// The JSON a system stores for a field's text: Salesforce numbers as numbers,
// booleans as booleans, the rest as strings, null clears; HubSpot always a
// string ("" clears).
nlohmann::json WireJson(schema::System system, const schema::Field& f, const Text& t);

}  // namespace accord::sync
