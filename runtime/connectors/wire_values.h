// Field text <-> the systems' JSON, the one convention every connector shares
// (jsonl folders, the Salesforce and HubSpot HTTP connectors): strings as they
// are, numbers as written, true/false, null = nullopt, arrays of strings
// ;-joined (a multi-select as the APIs write it), objects (Salesforce's
// "attributes", compound fields) null. No LLVM here: the HTTP connectors link it too.
//
// A value of a JSON type the system does not send for the field (an object for
// a text field, a number for an email, an array for a single picklist) is a
// problem of its record, never coerced or dropped: the record is reported and
// skipped, the rest of the read proceeds.
#pragma once

#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "runtime/connectors/connector.h"

namespace accord::sync {

// Records nested deeper than this are refused without being walked (a record
// of either API is at most 5 levels deep, HubSpot associations included).
constexpr int kMaxRecordDepth = 32;

// The nesting depth of a JSON text ([ and { outside strings), counted without
// recursion and up to `limit` + 1 at most: > limit means too deep.
int JsonDepth(std::string_view text, int limit = kMaxRecordDepth);

enum class JsonKind { kNull, kString, kNumber, kBool, kArray, kObject };
JsonKind KindOf(const nlohmann::json& v);

// Whether `system` sends a JSON value of `kind` for `f`. Salesforce: strings
// for text, dates, ids and picklists, numbers for numbers, true/false for
// checkboxes, a string or an array of strings for a multi-select, an object
// only for compound fields. HubSpot: strings for everything (numbers for
// number, date and datetime properties, true/false for bool properties too).
bool Fits(schema::System system, const schema::Field& f, JsonKind kind);

// "Email is a number (42) where salesforce sends a string": the problem of a
// value that does not fit; `raw` is its JSON text (shortened here).
std::string WrongType(schema::System system, const schema::Field& f, JsonKind kind, std::string_view raw);

// The text of field `f`'s JSON value; false with *problem when the value is
// malformed, nested too deeply or does not fit the field.
bool FieldText(schema::System system, const schema::Field& f, simdjson::ondemand::value v, Text* out,
               std::string* problem);

// One member of a Salesforce record as the REST API (and a jsonl folder) writes
// it: a field of `object` sets its slot; Id, SystemModstamp (as written),
// IsDeleted and MasterRecordId set the record's own too; any other key
// ("attributes") is read through. false with *problem.
bool ReadSalesforceMember(const schema::Object& object, std::string_view key, simdjson::ondemand::value v, Record* r,
                          std::string* problem);

// The text of a key the record shape gives a meaning (Id, archived, ...) when
// no field of the schema declares it, read as a field of `type`.
bool ShapeText(schema::System system, std::string_view key, schema::FieldType type, simdjson::ondemand::value v,
               Text* out, std::string* problem);

// Reads through the value of a key no field takes, so that malformed JSON
// inside it is seen; false with *problem.
bool SkipValue(std::string_view key, simdjson::ondemand::value v, std::string* problem);

// The JSON a system stores for a field's text: Salesforce numbers as numbers,
// booleans as booleans, the rest as strings, null clears; HubSpot always a
// string ("" clears).
nlohmann::json WireJson(schema::System system, const schema::Field& f, const Text& t);

}  // namespace accord::sync
