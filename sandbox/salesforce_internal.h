// The Salesforce emulator's inside, shared by the files that implement it (private to
// sandbox/salesforce*.cc; users include salesforce.h). The emulator's state is the members of
// SalesforceEmulator (salesforce.h); this header adds the write transaction and the helpers
// more than one file needs. The files, by endpoint family:
//   salesforce.cc              set-up, seed records, reset and dump, the state file, the pipeline
//                              hooks, lookups and the key index, response shapes, the route table
//   salesforce_settings.cc     the "salesforce" settings and the org's rules
//   salesforce_write.cc        the write path every writing endpoint shares
//   salesforce_auth.cc         OAuth token and revoke, the identity URL
//   salesforce_describe.cc     versions, resources, limits, the sObject list and describes
//   salesforce_sobjects.cc     one record: CRUD and upsert by external id; getUpdated/getDeleted
//   salesforce_query.cc        query, queryAll and query locators (the SOQL subset is soql.cc)
//   salesforce_collections.cc  sObject Collections
//   salesforce_apexrest.cc     the apexrest stand-ins for merge() and convertLead()
//   salesforce_cdc.cc          Change Data Capture: change events and the CometD endpoint
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/salesforce.h"

namespace accord::sandbox {

namespace salesforce_internal {

using Error = SalesforceEmulator::Error;
using Record = SalesforceEmulator::Record;
using Object = SalesforceEmulator::Object;

// Helpers more than one file needs (defined in salesforce.cc).
// A scalar as text: strings as they are, booleans "true"/"false", numbers by
// NumberText; anything else as JSON.
std::string TextOf(const Json& v);
std::string JoinComma(const std::vector<std::string>& v);
int64_t TruncateToSecond(int64_t ms);
// The partial_rate fault on a Salesforce record.
Error LockError();
// Errors as a single-record endpoint answers them: [{"message", "errorCode", "fields"}].
Json ErrorsToArray(const std::vector<Error>& errors);

}  // namespace salesforce_internal

using namespace salesforce_internal;  // NOLINT(google-build-using-namespace): a private header

// The undo log of one request's writes (Rollback replays it backwards).
struct SalesforceEmulator::Tx {
  struct Undo {
    Object* obj;
    size_t index;
    std::optional<Record> before;  // nullopt: the record was created
  };
  std::vector<Undo> undo;
  size_t cdc_mark = SIZE_MAX;  // the change-event log's size before this request's first event
};

}  // namespace accord::sandbox
