// Workload W in plain Node.js (bench/w/README.md): Salesforce Contact records as JSON Lines
// on stdin, one {"id", "properties"} line per in-scope record on stdout.
//
//   node w-node.mjs < contacts.jsonl > out.jsonl
//
// This is the reference output run.sh compares every other tool with.

const INDUSTRY = new Map(Object.entries({
  'Agriculture': 'FARMING',
  'Apparel': 'APPAREL_FASHION',
  'Banking': 'BANKING',
  'Biotechnology': 'BIOTECHNOLOGY',
  'Chemicals': 'CHEMICALS',
  'Communications': 'TELECOMMUNICATIONS',
  'Construction': 'CONSTRUCTION',
  'Consulting': 'MANAGEMENT_CONSULTING',
  'Education': 'EDUCATION_MANAGEMENT',
  'Electronics': 'CONSUMER_ELECTRONICS',
  'Energy': 'OIL_ENERGY',
  'Engineering': 'MECHANICAL_OR_INDUSTRIAL_ENGINEERING',
  'Entertainment': 'ENTERTAINMENT',
  'Environmental': 'ENVIRONMENTAL_SERVICES',
  'Finance': 'FINANCIAL_SERVICES',
  'Food & Beverage': 'FOOD_BEVERAGES',
  'Government': 'GOVERNMENT_ADMINISTRATION',
  'Healthcare': 'HOSPITAL_HEALTH_CARE',
  'Hospitality': 'HOSPITALITY',
  'Insurance': 'INSURANCE',
  'Machinery': 'MACHINERY',
  'Manufacturing': 'MACHINERY',
  'Media': 'MEDIA_PRODUCTION',
  'Not For Profit': 'NON_PROFIT_ORGANIZATION_MANAGEMENT',
  'Other': 'OTHER',
  'Recreation': 'RECREATIONAL_FACILITIES_AND_SERVICES',
  'Retail': 'RETAIL',
  'Shipping': 'PACKAGE_FREIGHT_DELIVERY',
  'Technology': 'INFORMATION_TECHNOLOGY_AND_SERVICES',
  'Telecommunications': 'TELECOMMUNICATIONS',
  'Transportation': 'TRANSPORTATION_TRUCKING_RAILROAD',
  'Utilities': 'UTILITIES',
}));

const LEAD_STATUS = new Map(Object.entries({
  'New': 'NEW',
  'Working': 'IN_PROGRESS',
  'Qualified': 'OPEN_DEAL',
  'Unqualified': 'UNQUALIFIED',
}));

const WHITE = /^\s*$/;
const isBlank = (v) => v === null || v === undefined || (typeof v === 'string' && WHITE.test(v));
const lowerAscii = (s) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

function map(c) {
  if (isBlank(c.Email)) return null;  // scope salesforce: !isBlank(Email)
  const p = {};
  if (!isBlank(c.FirstName)) p.firstname = c.FirstName;
  if (!isBlank(c.LastName)) p.lastname = c.LastName;
  p.email = lowerAscii(c.Email.trim());
  if (!isBlank(c.Phone)) p.phone = c.Phone.replace(/[^0-9]+/g, '');
  if (!isBlank(c.Title)) p.jobtitle = c.Title;
  if (!isBlank(c.Industry)) p.industry = INDUSTRY.get(c.Industry) ?? 'OTHER';
  if (!isBlank(c.AnnualRevenue)) p.annualrevenue = String(c.AnnualRevenue);
  if (!isBlank(c.Status)) {
    const s = LEAD_STATUS.get(c.Status);
    if (s === undefined) throw new Error(`record ${c.Id}: Status "${c.Status}" is not in LeadStatus (reject)`);
    p.hs_lead_status = s;
  }
  p.lifecyclestage = c.IsCustomer ? 'customer' : c.Status === 'Qualified' ? 'salesqualifiedlead' : 'lead';
  return { id: c.Id, properties: p };
}

// Output is collected into ~1 MB strings; writes wait for 'drain' so memory stays bounded.
let out = [];
let outSize = 0;
async function flush() {
  if (out.length === 0) return;
  const ok = process.stdout.write(out.join(''));
  out = [];
  outSize = 0;
  if (!ok) await new Promise((resolve) => process.stdout.once('drain', resolve));
}

function handle(line) {
  if (line.length === 0) return;
  const r = map(JSON.parse(line));
  if (r !== null) {
    const s = JSON.stringify(r) + '\n';
    out.push(s);
    outSize += s.length;
  }
}

process.stdin.setEncoding('utf8');
let rest = '';
for await (const chunk of process.stdin) {
  const text = rest + chunk;
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    handle(text.slice(start, nl));
    start = nl + 1;
  }
  rest = text.slice(start);
  if (outSize >= 1 << 20) await flush();
}
handle(rest);
await flush();
