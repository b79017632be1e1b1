// Schemas of the two CRMs, as the compiler sees them.
//
// A schema is loaded from the JSON the systems themselves return:
//   - Salesforce: the sObject describe (GET /services/data/vXX.X/sobjects/<Object>/describe),
//     one file per object, e.g. schemas/salesforce/Lead.json;
//   - HubSpot: the properties listing (GET /crm/v3/properties/<objectType>), i.e.
//     {"results":[Property...]}, one file per object type, e.g. schemas/hubspot/contacts.json.
//
// Every field gets a CEL-level type (FieldType); the mapping from each system's own type
// names lives in one table per system in schema.cc and is documented in docs/types.md.
//
// Loaders never throw and never crash on bad input: malformed JSON or a wrong shape becomes
// a SchemaError value with its place in the file; keys that are not needed are ignored and
// missing keys (or null) take defaults, but a key the compiler reads with a value of the wrong
// JSON type or range (`"length": -5`, `"nillable": "no"`, `"type": 42`) is an error, and so is
// a field named twice.

#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace accord::schema {

enum class System { kSalesforce, kHubSpot };

// "salesforce" / "hubspot".
std::string_view SystemName(System system);
// Inverse of SystemName (exact, lower case); nullopt for anything else.
std::optional<System> SystemFromName(std::string_view name);

// CEL-level type of a field (see docs/types.md).
enum class FieldType {
  kString,
  kInt,
  kDouble,
  kDecimal,
  kBool,
  kDate,
  kTimestamp,
  kStringList,
  kBytes,
  kUnsupported,
};

// "string","int","double","decimal","bool","date","timestamp","list(string)","bytes","unsupported".
std::string_view FieldTypeName(FieldType type);

// The type tables (one per system, in schema.cc). Unknown native types map to kUnsupported.
FieldType SalesforceFieldType(std::string_view native_type);
// `field_type` is HubSpot's fieldType ("checkbox" turns an enumeration into a list).
FieldType HubSpotFieldType(std::string_view type, std::string_view field_type);

struct PicklistValue {
  std::string value;
  std::string label;
  bool active = true;
  bool is_default = false;
};

struct Field {
  std::string name, label;
  std::string native_type;      // the system's own type string: "picklist", "currency", "enumeration", ...
  std::string field_type_hint;  // HubSpot fieldType ("select","checkbox",...), empty for Salesforce
  FieldType type = FieldType::kString;
  bool is_picklist = false;  // SF picklist/multipicklist, HS enumeration
  // Picklist values in the system's order. Also filled for a Salesforce combobox (where they are
  // suggestions only and is_picklist is false).
  std::vector<PicklistValue> values;
  bool restricted_picklist = false;  // SF restrictedPicklist; HubSpot enumerations are always validated -> true
  bool external_options = false;     // HS externalOptions (options come from elsewhere, e.g. pipelines)
  int length = 0;                    // max string length, 0 = none known
  bool nillable = true, createable = true, updateable = true;
  bool calculated = false;  // SF calculated/formula/autoNumber, HS calculated or modificationMetadata.readOnlyValue
  bool defaulted_on_create = false;
  bool unique = false, external_id = false, id_lookup = false;
  // SF reference targets; for HubSpot, referencedObjectType when present (e.g. "OWNER").
  std::vector<std::string> reference_to;
  std::string relationship_name;
  std::string default_value;  // SF defaultValue as string if scalar; empty otherwise

  // SF: !nillable && createable && !defaulted_on_create. HubSpot fields are always nillable,
  // so this is false for them.
  bool required_on_create() const;
  // calculated || (!createable && !updateable)
  bool read_only() const;
  // The picklist entry with exactly this value (active or not), or nullptr.
  const PicklistValue* FindValue(std::string_view value) const;
};

struct Object {
  System system = System::kSalesforce;
  std::string name;
  std::string label;
  std::string source_path;
  std::vector<Field> fields;

  // Exact name; O(1) through the index built by Finalize() (falls back to a scan if `fields`
  // changed size since). The first of two same-named fields wins.
  const Field* FindField(std::string_view name) const;
  // ASCII case-insensitive name.
  const Field* FindFieldIgnoreCase(std::string_view name) const;
  // Builds the indexes; loaders call it. Call again after editing `fields`.
  void Finalize();

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> by_name_;
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> by_lower_name_;
  size_t indexed_fields_ = 0;  // fields.size() at the last Finalize()
  bool indexed_ = false;
};

struct SchemaError {
  std::string path;
  std::string message;
  // Where in the file, when known: the bytes [begin, end) of the malformed
  // JSON or of the value with the wrong shape.
  static constexpr uint32_t kNoOffset = UINT32_MAX;
  uint32_t begin = kNoOffset, end = kNoOffset;
  // False: the file cannot be used (A0901). True: one entry has the wrong
  // shape (a field named twice, `length: -5`, `nillable: "no"`); the file is
  // loaded, the entry with defaults for what is wrong (A0903).
  bool shape = false;
};

class SchemaSet {
 public:
  // Replaces an object with the same system + name. Pointers returned by Find stay valid
  // until that object is replaced.
  void Add(Object obj);
  const Object* Find(System system, std::string_view name) const;  // exact
  const Object* FindIgnoreCase(System system, std::string_view name) const;
  std::vector<const Object*> Objects(System system) const;  // sorted by name
  bool empty() const { return objects_[0].empty() && objects_[1].empty(); }

 private:
  std::map<std::string, Object, std::less<>> objects_[2];
};

// Parse one Salesforce describe JSON text (GET /services/data/vXX.X/sobjects/<Object>/describe).
// Never throws. Returns nullopt (with an error) for malformed JSON, a non-object document, a
// missing/empty "name" or a missing/non-array "fields"; a bad field entry is skipped with an error.
std::optional<Object> ParseSalesforceDescribe(std::string_view json, std::string_view path,
                                              std::vector<SchemaError>& errors);

// Parse a HubSpot properties response {"results":[...]}; the object name is given (from the file
// name, e.g. "contacts"). Never throws. Returns nullopt for malformed JSON or when "results" is
// missing or not an array; a bad property entry is skipped with an error.
std::optional<Object> ParseHubSpotProperties(std::string_view json, std::string_view object_name, std::string_view path,
                                             std::vector<SchemaError>& errors);

// Load every *.json in dir (non-recursive), sorted by file name. For Salesforce,
// "sobjects-global.json" and any other global describe (a top level with "sobjects" and no
// "fields") are skipped; any other file without "fields" is an error. For HubSpot the object
// name is the file name without ".json".
void LoadSchemaDir(System system, const std::string& dir, SchemaSet& out, std::vector<SchemaError>& errors);

// Damerau-Levenshtein distance (optimal string alignment), ASCII case-insensitive.
size_t EditDistance(std::string_view a, std::string_view b);

// A case-insensitive exact match if there is one; otherwise the candidate with the smallest edit
// distance, if that distance is <= max(2, wrong.size()/3) and smaller than the longer of the two
// strings (a total rewrite is not a suggestion). Ties go to the earliest candidate.
std::optional<std::string> Suggest(std::string_view wrong, const std::vector<std::string>& candidates);

}  // namespace accord::schema
