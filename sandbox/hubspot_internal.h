// The HubSpot emulator's inside, shared by the files that implement it (private to
// sandbox/hubspot*.cc; users include hubspot.h). The emulator's state is the members of
// HubSpotEmulator (hubspot.h); this header adds the association types and the helpers more
// than one file needs. The files, by endpoint family:
//   hubspot.cc               set-up, settings, reset and dump, the state file, error shapes,
//                            the pipeline hooks, lookups and the unique index, the route table
//   hubspot_objects.cc       one record: list, read, create, update, archive, merge; the write
//                            path and the record's JSON, which every object endpoint shares
//   hubspot_batch.cc         batch read, create, update, upsert, archive
//   hubspot_search.cc        search: filters, sorts, query, paging
//   hubspot_properties.cc    the properties API
//   hubspot_associations.cc  the association store and the v4 endpoints
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sandbox/hubspot.h"

namespace accord::sandbox {

namespace hubspot_internal {

using Record = HubSpotEmulator::Record;
using Object = HubSpotEmulator::Object;
using PropError = HubSpotEmulator::PropError;

// A standard object type: its plural name (the seed's), singular name and type id.
struct TypeInfo {
  const char* name;
  const char* singular;
  const char* id;
};

// HUBSPOT_DEFINED association types between the standard objects.
struct AssocType {
  const char* from;
  const char* to;
  int id;
  const char* label;
  bool is_default;
  int inverse;
};
inline constexpr AssocType kAssocTypes[] = {
    {"contacts", "companies", 279, nullptr, true, 280}, {"companies", "contacts", 280, nullptr, true, 279},
    {"contacts", "companies", 1, "Primary", false, 2},  {"companies", "contacts", 2, "Primary", false, 1},
    {"deals", "contacts", 3, nullptr, true, 4},         {"contacts", "deals", 4, nullptr, true, 3},
    {"deals", "companies", 341, nullptr, true, 342},    {"companies", "deals", 342, nullptr, true, 341},
    {"deals", "companies", 5, "Primary", false, 6},     {"companies", "deals", 6, "Primary", false, 5},
    {"tasks", "contacts", 204, nullptr, true, 203},     {"contacts", "tasks", 203, nullptr, true, 204},
    {"tasks", "companies", 192, nullptr, true, 191},    {"companies", "tasks", 191, nullptr, true, 192},
    {"tasks", "deals", 216, nullptr, true, 215},        {"deals", "tasks", 215, nullptr, true, 216},
};

// Defined in hubspot.cc:
// The standard type a name, singular name or type id ("0-1") names; nullptr: a custom object.
const TypeInfo* TypeOf(std::string_view s);
const AssocType* FindAssocType(std::string_view from, std::string_view to, int id);
const AssocType* DefaultAssocType(std::string_view from, std::string_view to);
// A scalar as HubSpot's wire text (strings as they are, "true"/"false", NumberText); "" otherwise.
std::string ValueText(const Json& v);
// A filter/property value as milliseconds: epoch ms digits, an ISO date-time or a date.
std::optional<int64_t> TimeValue(const std::string& s);
std::optional<double> NumberValue(const std::string& s);
// One entry of a batch response's errors[] (StandardError).
Json BatchError(const std::string& category, const std::string& message, Json context);
// A batch response: status, results, numErrors and errors when any, startedAt, completedAt.
Json BatchEnvelope(int64_t started, int64_t now, Json results, Json errors);

// Defined in hubspot_objects.cc:
// A write's response: the default properties plus the ones written.
std::vector<std::string> WrittenProps(const std::string& type, const std::map<std::string, std::string>& values);

}  // namespace hubspot_internal

using namespace hubspot_internal;  // NOLINT(google-build-using-namespace): a private header

}  // namespace accord::sandbox
