// Rule checks for the mistakes admins make that no single expression shows: a rule
// against its schema's meaning (picklists, ids, HubSpot's required deal
// properties), rules against each other (two syncs writing one field, a match key
// and the rule that transforms it) and rules against lifecycles. They run after the
// checker on what it resolved (docs/diagnostics.md, A0304 ... A0607).
#pragma once

#include "compiler/sema/checker.h"

namespace accord::sema {

void CheckRuleMistakes(const CheckInput& in, const Model& m, DiagSink& sink);

// A HubSpot id (a record id, an owner id, an association id) written into a Salesforce
// id or lookup field: the values are never Salesforce ids (A0308). The checker skips
// its type finding for such a rule: the conversion it would suggest cannot fix it.
bool HubSpotIdIntoSalesforceId(const schema::Field& hubspot, const schema::Field& salesforce);

// HubSpot properties a create must set though the properties API marks none required
// (docs/types.md): deals need `pipeline` and `dealstage`.
const std::vector<std::string>& HubSpotRequiredOnCreate(const std::string& object);

}  // namespace accord::sema
