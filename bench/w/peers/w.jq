# Workload W in jq (bench/w/README.md): Salesforce Contact records as JSON Lines on stdin,
# one {"id", "properties"} line per in-scope record on stdout.
#
#   jq -c -f w.jq < contacts.jsonl > out.jsonl
#
# Written for jq 1.6 (no trim/ltrimstr for white space: sub does it).

def blank: . == null or (type == "string" and test("^\\s*$"));
def trim: sub("^\\s+"; "") | sub("\\s+$"; "");
def digits: gsub("[^0-9]+"; "");

# The number as decimal text. jq 1.6 prints integers with many trailing zeros in exponent
# form (15000000 -> "1.5e+07"); expand those by moving the decimal point, without arithmetic.
def numtext:
  tostring
  | if test("e") then
      capture("^(?<m>[0-9]+)(\\.(?<f>[0-9]+))?e\\+(?<e>[0-9]+)$")
      | (.f // "") as $f
      | ((.e | tonumber) - ($f | length)) as $zeros
      | if $zeros < 0 then error("cannot expand \(.)") else . end
      | .m + $f + (if $zeros == 0 then "" else "0" * $zeros end)
    else . end;

def industry:
  {
    "Agriculture": "FARMING",
    "Apparel": "APPAREL_FASHION",
    "Banking": "BANKING",
    "Biotechnology": "BIOTECHNOLOGY",
    "Chemicals": "CHEMICALS",
    "Communications": "TELECOMMUNICATIONS",
    "Construction": "CONSTRUCTION",
    "Consulting": "MANAGEMENT_CONSULTING",
    "Education": "EDUCATION_MANAGEMENT",
    "Electronics": "CONSUMER_ELECTRONICS",
    "Energy": "OIL_ENERGY",
    "Engineering": "MECHANICAL_OR_INDUSTRIAL_ENGINEERING",
    "Entertainment": "ENTERTAINMENT",
    "Environmental": "ENVIRONMENTAL_SERVICES",
    "Finance": "FINANCIAL_SERVICES",
    "Food & Beverage": "FOOD_BEVERAGES",
    "Government": "GOVERNMENT_ADMINISTRATION",
    "Healthcare": "HOSPITAL_HEALTH_CARE",
    "Hospitality": "HOSPITALITY",
    "Insurance": "INSURANCE",
    "Machinery": "MACHINERY",
    "Manufacturing": "MACHINERY",
    "Media": "MEDIA_PRODUCTION",
    "Not For Profit": "NON_PROFIT_ORGANIZATION_MANAGEMENT",
    "Other": "OTHER",
    "Recreation": "RECREATIONAL_FACILITIES_AND_SERVICES",
    "Retail": "RETAIL",
    "Shipping": "PACKAGE_FREIGHT_DELIVERY",
    "Technology": "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "Telecommunications": "TELECOMMUNICATIONS",
    "Transportation": "TRANSPORTATION_TRUCKING_RAILROAD",
    "Utilities": "UTILITIES"
  }[.] // "OTHER";

def lead_status:
  . as $s
  | {"New": "NEW", "Working": "IN_PROGRESS", "Qualified": "OPEN_DEAL", "Unqualified": "UNQUALIFIED"}[$s]
    // error("Status \"\($s)\" is not in LeadStatus (reject)");

# One field rule: the property, unless the source value is blank (blank ignore).
def rule($key; $value; transform):
  if $value | blank then empty else {key: $key, value: ($value | transform)} end;

select(.Email | blank | not)
| {
    id: .Id,
    properties: ([
      rule("firstname"; .FirstName; .),
      rule("lastname"; .LastName; .),
      rule("email"; .Email; trim | ascii_downcase),
      rule("phone"; .Phone; digits),
      rule("jobtitle"; .Title; .),
      rule("industry"; .Industry; industry),
      rule("annualrevenue"; .AnnualRevenue; numtext),
      rule("hs_lead_status"; .Status; lead_status),
      {key: "lifecyclestage",
       value: (if .IsCustomer then "customer" elif .Status == "Qualified" then "salesqualifiedlead" else "lead" end)}
    ] | from_entries)
  }
