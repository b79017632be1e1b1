#!/usr/bin/env python3
"""Writes the project's own Salesforce describe files (see NOTICE).

    python3 examples/salesforce-hubspot/schemas/salesforce/describes.py

writes, from the field tables below and nothing else:
  examples/salesforce-hubspot/schemas/salesforce/{Account,Contact,Lead,Opportunity,Task}.json
  bench/w/schemas/salesforce/Contact.json                       (workload W, bench/w/README.md)
  tests/diagnostics/schemas-inactive/salesforce/Account.json    (golden a0402)

The tables list the standard fields of Salesforce's documented standard objects (the Object
Reference for the Salesforce Platform) in the order a describe lists them, with their
documented types, lengths, flags and standard picklist values, plus the example org's
customizations, each marked where it is made. The per-field keys every describe has
(soapType, byteLength, filterable, ...) follow from the type, as in a real describe.
Edit the tables and run this again; never edit the JSON by hand.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))

API = "v62.0"  # the version these describes are written for
HOST = "https://accord-example.my.salesforce.com"  # a placeholder org, no real one
MASTER_RECORD_TYPE = "012000000000000AAA"  # Salesforce's id of the Master record type in every org

# Flag letters: N nillable, C createable, U updateable, D defaultedOnCreate, K calculated,
# R restrictedPicklist, I idLookup, L nameField, Q unique, E externalId.

SOAP = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int",
    "double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double", "date": "xsd:date",
    "datetime": "xsd:dateTime", "address": "urn:address", "base64": "xsd:base64Binary",
}
STRINGY = {"string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox"}


def values(*entries, default=None, inactive=()):
    """Picklist entries; an entry is a value, or a (value, label) pair where the two differ."""
    out = []
    for e in entries:
        value, label = e if isinstance(e, tuple) else (e, e)
        out.append({"active": value not in inactive, "defaultValue": value == default, "label": label,
                    "validFor": None, "value": value})
    return out


def field(name, type_, length=0, flags="NCU", label=None, refs=(), rel=None, pick=None, default=None,
          compound=None, extra=None, precision=None, scale=None, digits=None, polymorphic=False,
          permissionable=None, aggregatable=None, groupable=None, filterable=None, sortable=None):
    """One describe field entry (all 57 keys)."""
    long_text = type_ == "textarea" and length > 255
    has = lambda c: c in flags
    if type_ in ("id", "reference"):
        length = 18
    if type_ == "boolean" and default is None:
        default = False
    if pick and default is None:
        default = next((v["value"] for v in pick if v["defaultValue"]), None)
    nameish = has("L")
    return {
        "aggregatable": aggregatable if aggregatable is not None else
        not (long_text or type_ in ("address", "boolean", "base64")),
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": length * 3 if type_ in STRINGY else (18 if type_ in ("id", "reference") else 0),
        "calculated": has("K"),
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": compound,
        "controllerName": None,
        "createable": has("C"),
        "custom": name.endswith("__c"),
        "defaultValue": default,
        "defaultValueFormula": None,
        "defaultedOnCreate": has("D"),
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": digits if digits is not None else (9 if type_ == "int" else 0),
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": has("E"),
        "extraTypeInfo": extra if extra is not None else ("plaintextarea" if type_ == "textarea" else None),
        "filterable": filterable if filterable is not None else not long_text,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": groupable if groupable is not None else
        not (long_text or type_ in ("address", "datetime", "double", "currency", "percent", "base64")),
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": has("I"),
        "inlineHelpText": None,
        "label": label or name,
        "length": length,
        "mask": None,
        "maskType": None,
        "name": name,
        "nameField": nameish,
        "namePointing": polymorphic,
        "nillable": has("N"),
        "permissionable": permissionable if permissionable is not None else
        (has("N") and (has("C") or has("U")) and not has("D")),
        "picklistValues": pick or [],
        "polymorphicForeignKey": polymorphic,
        "precision": precision if precision is not None else
        {"double": 18, "currency": 18, "percent": 3}.get(type_, 0),
        "queryByDistance": type_ == "address",
        "referenceTargetField": None,
        "referenceTo": list(refs),
        "relationshipName": rel,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": has("R"),
        "scale": scale if scale is not None else {"double": 15, "currency": 2}.get(type_, 0),
        "searchPrefilterable": type_ == "reference" and has("C") and not polymorphic and refs[:1] != ("User",),
        "soapType": SOAP.get(type_, "xsd:string"),
        "sortable": sortable if sortable is not None else not (long_text or type_ in ("address", "base64")),
        "type": type_,
        "unique": has("Q"),
        "updateable": has("U"),
        "writeRequiresMasterRead": False,
    }


# ---- the standard picklists (Salesforce's default values)

INDUSTRY = ["Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction",
            "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental",
            "Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery",
            "Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology",
            "Telecommunications", "Transportation", "Utilities", "Other"]
LEAD_SOURCE = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
RATING = ["Hot", "Warm", "Cold"]
SALUTATION = ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx."]
GEOCODE_ACCURACY = ["Address", "NearAddress", "Block", "Street", "ExtendedZip", "Zip", "Neighborhood", "City",
                    "County", "State", "Unknown"]
CLEAN_STATUS = [("Matched", "In Sync"), "Different", ("Acknowledged", "Reviewed"), ("NotFound", "Not Found"),
                "Inactive", ("Pending", "Not Compared"), ("SelectMatch", "Select Match"), "Skipped"]


# ---- fields every object shares

def audit():
    return [
        field("CreatedDate", "datetime", flags="D", label="Created Date"),
        field("CreatedById", "reference", flags="D", label="Created By ID", refs=("User",), rel="CreatedBy"),
        field("LastModifiedDate", "datetime", flags="D", label="Last Modified Date"),
        field("LastModifiedById", "reference", flags="D", label="Last Modified By ID", refs=("User",),
              rel="LastModifiedBy"),
        field("SystemModstamp", "datetime", flags="D", label="System Modstamp"),
    ]


def viewed():
    return [
        field("LastViewedDate", "datetime", flags="N", label="Last Viewed Date"),
        field("LastReferencedDate", "datetime", flags="N", label="Last Referenced Date"),
    ]


def head(label):
    return [
        field("Id", "id", flags="DI", label=label),
        field("IsDeleted", "boolean", flags="D", label="Deleted"),
    ]


def master_record(obj):
    return field("MasterRecordId", "reference", flags="N", label="Master Record ID", refs=(obj,), rel="MasterRecord")


def owner(refs=("User",)):
    return field("OwnerId", "reference", flags="CUD", label="Owner ID", refs=refs, rel="Owner",
                 polymorphic=len(refs) > 1)


def address(prefix, label_prefix):
    """The parts of a compound address, then the compound field (Street, City, ..., Address)."""
    compound = prefix + "Address"
    lp = label_prefix + " " if label_prefix else ""
    return [
        field(prefix + "Street", "textarea", 255, label=lp + "Street", compound=compound),
        field(prefix + "City", "string", 40, label=lp + "City", compound=compound),
        field(prefix + "State", "string", 80, label=lp + "State/Province", compound=compound),
        field(prefix + "PostalCode", "string", 20, label=lp + "Zip/Postal Code", compound=compound),
        field(prefix + "Country", "string", 80, label=lp + "Country", compound=compound),
        field(prefix + "Latitude", "double", label=lp + "Latitude", compound=compound),
        field(prefix + "Longitude", "double", label=lp + "Longitude", compound=compound),
        field(prefix + "GeocodeAccuracy", "picklist", 40, flags="NCUR", label=lp + "Geocode Accuracy",
              compound=compound, pick=values(*GEOCODE_ACCURACY)),
        field(compound, "address", flags="N", label=lp + "Address", permissionable=True),
    ]


def person_name():
    return [
        field("LastName", "string", 80, flags="CU", label="Last Name", compound="Name", extra="personname"),
        field("FirstName", "string", 40, label="First Name", compound="Name", extra="personname"),
        field("Salutation", "picklist", 40, label="Salutation", compound="Name", extra="personname",
              pick=values(*SALUTATION)),
        field("Name", "string", 121, flags="L", label="Full Name", extra="personname"),
    ]


def data_com(key_field, key_label):
    return [
        field("Jigsaw", "string", 20, label="Data.com Key"),
        field(key_field, "string", 20, flags="N", label=key_label, rel=key_field[:-2]),
        field("CleanStatus", "picklist", 40, flags="NCUR", label="Clean Status", pick=values(*CLEAN_STATUS)),
    ]


# ---- the objects

def account():
    return head("Account ID") + [
        master_record("Account"),
        field("Name", "string", 255, flags="CUL", label="Account Name"),
        field("Type", "picklist", 40, label="Account Type",
              pick=values("Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller",
                          "Installation Partner", "Technology Partner", "Other")),
        field("ParentId", "reference", label="Parent Account ID", refs=("Account",), rel="Parent"),
    ] + address("Billing", "Billing") + address("Shipping", "Shipping") + [
        field("Phone", "phone", 40, label="Account Phone"),
        field("Fax", "phone", 40, label="Account Fax"),
        field("AccountNumber", "string", 40, label="Account Number"),
        field("Website", "url", 255, label="Website"),
        field("PhotoUrl", "url", 255, flags="N", label="Photo URL", extra="imageurl"),
        field("Sic", "string", 20, label="SIC Code"),
        field("Industry", "picklist", 40, label="Industry", pick=values(*INDUSTRY)),
        field("AnnualRevenue", "currency", label="Annual Revenue"),
        field("NumberOfEmployees", "int", label="Employees", digits=8),
        field("Ownership", "picklist", 40, label="Ownership", pick=values("Public", "Private", "Subsidiary", "Other")),
        field("TickerSymbol", "string", 20, label="Ticker Symbol"),
        field("Description", "textarea", 32000, label="Account Description"),
        field("Rating", "picklist", 40, label="Account Rating", pick=values(*RATING)),
        field("Site", "string", 80, label="Account Site"),
        owner(),
    ] + audit() + [
        field("LastActivityDate", "date", flags="N", label="Last Activity"),
    ] + viewed() + [
        field("IsPartner", "boolean", flags="UD", label="Partner Account"),
        field("IsCustomerPortal", "boolean", flags="UD", label="Customer Portal Account"),
        field("ChannelProgramName", "string", 255, flags="N", label="Channel Program Name"),
        field("ChannelProgramLevelName", "string", 255, flags="N", label="Channel Program Level Name"),
    ] + data_com("JigsawCompanyId", "Jigsaw Company ID") + [
        field("AccountSource", "picklist", 40, label="Account Source", pick=values(*LEAD_SOURCE)),
        field("DunsNumber", "string", 9, label="D-U-N-S Number"),
        field("Tradestyle", "string", 255, label="Tradestyle"),
        field("NaicsCode", "string", 8, label="NAICS Code"),
        field("NaicsDesc", "string", 120, label="NAICS Description"),
        field("YearStarted", "string", 4, label="Year Started"),
        field("SicDesc", "string", 80, label="SIC Description"),
        field("DandbCompanyId", "reference", label="D&B Company ID", refs=("DandBCompany",), rel="DandbCompany"),
        field("OperatingHoursId", "reference", label="Operating Hour ID", refs=("OperatingHours",),
              rel="OperatingHours"),
    ]


def contact():
    return head("Contact ID") + [
        master_record("Contact"),
        field("AccountId", "reference", label="Account ID", refs=("Account",), rel="Account"),
    ] + person_name() + address("Other", "Other") + address("Mailing", "Mailing") + [
        field("Phone", "phone", 40, label="Business Phone"),
        field("Fax", "phone", 40, label="Business Fax"),
        field("MobilePhone", "phone", 40, label="Mobile Phone"),
        field("HomePhone", "phone", 40, label="Home Phone"),
        field("OtherPhone", "phone", 40, label="Other Phone"),
        field("AssistantPhone", "phone", 40, label="Asst. Phone"),
        field("ReportsToId", "reference", label="Reports To ID", refs=("Contact",), rel="ReportsTo"),
        field("Email", "email", 80, flags="NCUI", label="Email"),
        field("Title", "string", 128, label="Title"),
        field("Department", "string", 80, label="Department"),
        field("AssistantName", "string", 40, label="Assistant's Name"),
        field("LeadSource", "picklist", 255, label="Lead Source", pick=values(*LEAD_SOURCE)),
        field("Birthdate", "date", label="Birthdate"),
        field("Description", "textarea", 32000, label="Contact Description"),
        owner(),
    ] + audit() + [
        field("LastActivityDate", "date", flags="N", label="Last Activity"),
        field("LastCURequestDate", "datetime", flags="N", label="Last Stay-in-Touch Request Date"),
        field("LastCUUpdateDate", "datetime", flags="N", label="Last Stay-in-Touch Save Date"),
    ] + viewed() + [
        field("EmailBouncedReason", "string", 255, label="Email Bounced Reason"),
        field("EmailBouncedDate", "datetime", label="Email Bounced Date"),
        field("IsEmailBounced", "boolean", flags="D", label="Is Email Bounced"),
        field("PhotoUrl", "url", 255, flags="N", label="Photo URL", extra="imageurl"),
    ] + data_com("JigsawContactId", "Jigsaw Contact ID") + [
        field("IndividualId", "reference", label="Individual ID", refs=("Individual",), rel="Individual"),
    ]


# The example org's one customization of a standard picklist: it added the Lead Status
# "Qualified" (the example's rules, tests and seed data use it). Salesforce's default
# values are the other four.
LEAD_STATUS = ["Open - Not Contacted", "Working - Contacted", "Qualified", "Closed - Converted",
               "Closed - Not Converted"]


def lead():
    return head("Lead ID") + [
        master_record("Lead"),
    ] + person_name() + [
        field("Title", "string", 128, label="Title"),
        field("Company", "string", 255, flags="CU", label="Company"),
    ] + address("", "") + [
        field("Phone", "phone", 40, label="Phone"),
        field("MobilePhone", "phone", 40, label="Mobile Phone"),
        field("Fax", "phone", 40, label="Fax"),
        field("Email", "email", 80, flags="NCUI", label="Email"),
        field("Website", "url", 255, label="Website"),
        field("PhotoUrl", "url", 255, flags="N", label="Photo URL", extra="imageurl"),
        field("Description", "textarea", 32000, label="Description"),
        field("LeadSource", "picklist", 255, label="Lead Source", pick=values(*LEAD_SOURCE)),
        field("Status", "picklist", 255, flags="CUD", label="Status",
              pick=values(*LEAD_STATUS, default="Open - Not Contacted")),
        field("Industry", "picklist", 255, label="Industry", pick=values(*INDUSTRY)),
        field("Rating", "picklist", 255, label="Rating", pick=values(*RATING)),
        field("AnnualRevenue", "currency", label="Annual Revenue"),
        field("NumberOfEmployees", "int", label="Employees", digits=8),
        owner(("Group", "User")),
        field("IsConverted", "boolean", flags="CD", label="Converted"),
        field("ConvertedDate", "date", flags="N", label="Converted Date"),
        field("ConvertedAccountId", "reference", flags="N", label="Converted Account ID", refs=("Account",),
              rel="ConvertedAccount"),
        field("ConvertedContactId", "reference", flags="N", label="Converted Contact ID", refs=("Contact",),
              rel="ConvertedContact"),
        field("ConvertedOpportunityId", "reference", flags="N", label="Converted Opportunity ID",
              refs=("Opportunity",), rel="ConvertedOpportunity"),
        field("IsUnreadByOwner", "boolean", flags="CUD", label="Unread By Owner"),
    ] + audit() + [
        field("LastActivityDate", "date", flags="N", label="Last Activity"),
    ] + viewed() + data_com("JigsawContactId", "Jigsaw Contact ID") + [
        field("CompanyDunsNumber", "string", 9, label="Company D-U-N-S Number"),
        field("DandbCompanyId", "reference", label="D&B Company ID", refs=("DandBCompany",), rel="DandbCompany"),
        field("EmailBouncedReason", "string", 255, flags="NU", label="Email Bounced Reason"),
        field("EmailBouncedDate", "datetime", flags="NU", label="Email Bounced Date"),
        field("IndividualId", "reference", label="Individual ID", refs=("Individual",), rel="Individual"),
    ]


def opportunity():
    return head("Opportunity ID") + [
        field("AccountId", "reference", label="Account ID", refs=("Account",), rel="Account"),
        field("IsPrivate", "boolean", flags="CUD", label="Private"),
        field("Name", "string", 120, flags="CUIL", label="Name"),
        field("Description", "textarea", 32000, label="Description"),
        field("StageName", "picklist", 255, flags="CU", label="Stage",
              pick=values("Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
                          "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
                          "Negotiation/Review", "Closed Won", "Closed Lost")),
        field("Amount", "currency", label="Amount"),
        field("Probability", "percent", flags="NCUD", label="Probability (%)"),
        field("ExpectedRevenue", "currency", flags="N", label="Expected Amount"),  # Amount x Probability, by Salesforce
        field("TotalOpportunityQuantity", "double", label="Quantity", scale=2),
        field("CloseDate", "date", flags="CU", label="Close Date"),
        field("Type", "picklist", 255, label="Opportunity Type",
              pick=values("Existing Customer - Upgrade", "Existing Customer - Replacement",
                          "Existing Customer - Downgrade", "New Customer")),
        field("NextStep", "string", 255, label="Next Step"),
        field("LeadSource", "picklist", 255, label="Lead Source", pick=values(*LEAD_SOURCE)),
        field("IsClosed", "boolean", flags="D", label="Closed"),
        field("IsWon", "boolean", flags="D", label="Won"),
        field("ForecastCategory", "picklist", 40, flags="R", label="Forecast Category",
              pick=values("Omitted", "Pipeline", ("BestCase", "Best Case"), ("MostLikely", "Most Likely"),
                          ("Forecast", "Commit"), "Closed")),
        field("ForecastCategoryName", "picklist", 255, flags="NCUDR", label="Forecast Category",
              pick=values("Omitted", "Pipeline", "Best Case", "Commit", "Closed")),
        field("CampaignId", "reference", label="Campaign ID", refs=("Campaign",), rel="Campaign"),
        field("HasOpportunityLineItem", "boolean", flags="D", label="Has Line Item"),
        field("Pricebook2Id", "reference", flags="NCUD", label="Price Book ID", refs=("Pricebook2",),
              rel="Pricebook2"),
        owner(),
    ] + audit() + [
        field("LastActivityDate", "date", flags="N", label="Last Activity"),
        field("LastStageChangeDate", "datetime", flags="N", label="Last Stage Change Date"),
        field("FiscalQuarter", "int", flags="N", label="Fiscal Quarter", compound="Fiscal"),
        field("FiscalYear", "int", flags="N", label="Fiscal Year", compound="Fiscal"),
        field("Fiscal", "string", 6, flags="N", label="Fiscal Period"),
        field("ContactId", "reference", flags="NC", label="Contact ID", refs=("Contact",)),
    ] + viewed() + [
        field("HasOpenActivity", "boolean", flags="D", label="Has Open Activity"),
        field("HasOverdueTask", "boolean", flags="D", label="Has Overdue Task"),
        field("LastAmountChangedHistoryId", "reference", flags="N", label="Opportunity History ID",
              refs=("OpportunityHistory",), rel="LastAmountChangedHistory"),
        field("LastCloseDateChangedHistoryId", "reference", flags="N", label="Opportunity History ID",
              refs=("OpportunityHistory",), rel="LastCloseDateChangedHistory"),
    ]


# The "What" of an activity: the standard objects the Object Reference lists for Task.WhatId
# that a sales org has.
WHAT_TARGETS = ("Account", "Asset", "Campaign", "Case", "Contract", "Opportunity", "Order", "Product2", "Solution")


def task():
    return [
        field("Id", "id", flags="DI", label="Activity ID"),
        field("WhoId", "reference", label="Name ID", refs=("Contact", "Lead"), rel="Who", polymorphic=True),
        field("WhatId", "reference", label="Related To ID", refs=WHAT_TARGETS, rel="What", polymorphic=True),
        field("Subject", "combobox", 255, flags="NCUL", label="Subject", groupable=False, permissionable=False,
              pick=values("Call", "Email", "Send Letter", "Send Quote", "Other")),
        field("ActivityDate", "date", label="Due Date Only", aggregatable=False, permissionable=False),
        field("Status", "picklist", 40, flags="CUD", label="Status",
              pick=values("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred",
                          default="Not Started")),
        field("Priority", "picklist", 40, flags="CUD", label="Priority", pick=values("High", "Normal", "Low",
                                                                                      default="Normal")),
        field("IsHighPriority", "boolean", flags="D", label="High Priority"),
        field("OwnerId", "reference", flags="CUD", label="Assigned To ID", refs=("Group", "User"), rel="Owner",
              polymorphic=True),
        field("Description", "textarea", 32000, label="Description"),
        field("IsDeleted", "boolean", flags="D", label="Deleted"),
        field("AccountId", "reference", flags="N", label="Account ID", refs=("Account",), rel="Account"),
        field("IsClosed", "boolean", flags="D", label="Closed"),
    ] + audit() + [
        field("IsArchived", "boolean", flags="D", label="Archived"),
        field("TaskSubtype", "picklist", 40, flags="NCR", label="Task Subtype",
              pick=values("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn")),
    ]


def child(obj, field_name, rel=None, cascade=False):
    return {"cascadeDelete": cascade, "childSObject": obj, "deprecatedAndHidden": False, "field": field_name,
            "junctionIdListNames": [], "junctionReferenceTo": [], "relationshipName": rel, "restrictedDelete": False}


# Child relationships among the example's objects (the sandbox deletes cascadeDelete children).
CHILDREN = {
    "Account": [child("Account", "ParentId", "ChildAccounts"), child("Contact", "AccountId", "Contacts", True),
                child("Lead", "ConvertedAccountId"), child("Opportunity", "AccountId", "Opportunities", True),
                child("Task", "AccountId"), child("Task", "WhatId", "Tasks", True)],
    "Contact": [child("Contact", "ReportsToId"), child("Lead", "ConvertedContactId"),
                child("Opportunity", "ContactId", "Opportunities"), child("Task", "WhoId", "Tasks", True)],
    "Lead": [child("Task", "WhoId", "Tasks", True)],
    "Opportunity": [child("Lead", "ConvertedOpportunityId"), child("Task", "WhatId", "Tasks", True)],
    "Task": [],
}

OBJECTS = {
    # name: (fields, key prefix, plural, supportedScopes, feedEnabled, mergeable, deepCloneable)
    "Account": (account, "001", "Accounts", [("All accounts", "everything"), ("My accounts", "mine"),
                                              ("My team's accounts", "team")], True, True, False),
    "Contact": (contact, "003", "Contacts", [("All contacts", "everything"), ("My contacts", "mine"),
                                              ("Filter by scope", "scopingRule"), ("My team's contacts", "team")],
                True, True, False),
    "Lead": (lead, "00Q", "Leads", [("All leads", "everything"), ("My leads", "mine"),
                                     ("Queue owned leads", "queue_owned"), ("Filter by scope", "scopingRule"),
                                     ("My team's leads", "team"), ("User owned leads", "user_owned")],
             True, True, False),
    "Opportunity": (opportunity, "006", "Opportunities", [("All opportunities", "everything"),
                                                          ("My opportunities", "mine"),
                                                          ("Filter by scope", "scopingRule"),
                                                          ("My team's opportunities", "team")], True, False, True),
    "Task": (task, "00T", "Tasks", [("My delegated tasks", "delegated"), ("All tasks", "everything"),
                                     ("My tasks", "mine"), ("My team's tasks", "team")], False, False, False),
}


def describe(name):
    fields_of, prefix, plural, scopes, feed, mergeable, deep_clone = OBJECTS[name]
    fields = fields_of()
    names = [f["name"] for f in fields]
    assert len(names) == len(set(names)), name + ": a field twice"
    base = "/services/data/" + API + "/sobjects/" + name
    urls = {
        "compactLayouts": base + "/describe/compactLayouts",
        "rowTemplate": base + "/{ID}",
        "approvalLayouts": base + "/describe/approvalLayouts",
        "uiDetailTemplate": HOST + "/{ID}",
        "uiEditTemplate": HOST + "/{ID}/e",
        "listviews": base + "/listviews",
        "describe": base + "/describe",
        "uiNewRecord": HOST + "/" + prefix + "/e",
        "quickActions": base + "/quickActions",
        "layouts": base + "/describe/layouts",
        "sobject": base,
    }
    return {
        "actionOverrides": [],
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "childRelationships": CHILDREN[name],
        "compactLayoutable": True,
        "createable": True,
        "custom": False,
        "customSetting": False,
        "deepCloneable": deep_clone,
        "defaultImplementation": None,
        "deletable": True,
        "deprecatedAndHidden": False,
        "extendedBy": None,
        "extendsInterfaces": None,
        "feedEnabled": feed,
        "fields": fields,
        "hasSubtypes": False,
        "implementedBy": None,
        "implementsInterfaces": None,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": prefix,
        "label": name,
        "labelPlural": plural,
        "layoutable": True,
        "listviewable": None,
        "lookupLayoutable": None,
        "mergeable": mergeable,
        "mruEnabled": True,
        "name": name,
        "namedLayoutInfos": [],
        "networkScopeFieldName": None,
        "queryable": True,
        "recordTypeInfos": [{"active": True, "available": True, "defaultRecordTypeMapping": True,
                             "developerName": "Master", "master": True, "name": "Master",
                             "recordTypeId": MASTER_RECORD_TYPE,
                             "urls": {"layout": base + "/describe/layouts/" + MASTER_RECORD_TYPE}}],
        "replicateable": True,
        "retrieveable": True,
        "searchLayoutable": True,
        "searchable": True,
        "sobjectDescribeOption": "FULL",
        "supportedScopes": [{"label": l, "name": n} for l, n in scopes],
        "triggerable": True,
        "undeletable": True,
        "updateable": True,
        "urls": urls,
    }


def pick_fields(desc, names):
    by_name = {f["name"]: f for f in desc["fields"]}
    return [by_name[n] for n in names]


def bench_contact():
    """Workload W's Contact (bench/w/README.md): some real Contact fields, three from Account, two invented."""
    c, a = describe("Contact"), describe("Account")
    d = dict(c)
    fields = pick_fields(c, ["Id", "FirstName", "LastName", "Email", "Phone", "Title"])
    industry = dict(pick_fields(a, ["Industry"])[0])
    fields += [industry] + pick_fields(c, ["LeadSource"]) + pick_fields(a, ["AnnualRevenue", "NumberOfEmployees"])
    fields += [field("Status", "picklist", 255, label="Status", pick=values("New", "Working", "Qualified",
                                                                             "Unqualified")),
               field("IsCustomer", "boolean", flags="CUD", label="Is Customer", permissionable=True)]
    fields += pick_fields(c, ["LastModifiedDate", "MailingCountry"])
    d["fields"] = fields
    d["childRelationships"] = []
    return d


def inactive_account():
    """Golden a0402: an Account whose Industry has the inactive value "Telecom" (replaced by
    "Telecommunications"), the customization that case is about."""
    a = describe("Account")
    d = dict(a)
    fields = pick_fields(a, ["Id", "Name", "Website"])
    industry = dict(pick_fields(a, ["Industry"])[0])
    names = list(INDUSTRY)
    names.insert(names.index("Telecommunications") + 1, "Telecom")
    industry["picklistValues"] = values(*names, inactive=("Telecom",))
    d["fields"] = fields + [industry]
    d["childRelationships"] = []
    return d


def write(path, desc):
    text = json.dumps(desc, indent=1, ensure_ascii=False) + "\n"
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as out:
        out.write(text)
    print(path, len(desc["fields"]), "fields")


def main():
    for name in OBJECTS:
        write("examples/salesforce-hubspot/schemas/salesforce/" + name + ".json", describe(name))
    write("bench/w/schemas/salesforce/Contact.json", bench_contact())
    write("tests/diagnostics/schemas-inactive/salesforce/Account.json", inactive_account())
    return 0


if __name__ == "__main__":
    sys.exit(main())
