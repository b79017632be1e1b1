// w_gen: writes N synthetic Salesforce Contact records as JSON Lines to stdout, the input
// of workload W (bench/w/README.md).
//
//   w_gen N [SEED] [--example]
//
// --example adds the fields the example's `people` sync reads that W's records lack (AccountId,
// MobilePhone, MailingCity, MailingState, IsDeleted), drawn from a second generator so that
// every other byte is what `w_gen N SEED` writes (the input of the people peer, issue 16).
//
// The output depends only on N and SEED (default 1): the generator has its own PRNG
// (splitmix64) and its own integer-only choice functions, so every standard library and
// platform writes the same bytes. Records average about 475 bytes. The values are meant to
// exercise W: blank and padded e-mails, phone numbers in many formats, unknown picklist
// values, non-ASCII names, quotes in titles, numbers with and without decimals.
//
// Guarantees the peers rely on: strings hold printable ASCII and UTF-8 letters only, except
// that Email may start or end with tabs (written as \t); no string holds a backslash or DEL;
// AnnualRevenue is below 1e12 with at most two decimals and no trailing zeros.

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); the modulo bias is below 2^-40 for the small n used here.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // True with probability per_mille / 1000.
  bool Chance(unsigned per_mille) { return Below(1000) < per_mille; }
  template <size_t N>
  const char* Pick(const char* const (&items)[N]) {
    return items[Below(N)];
  }
};

// A name as written and its ASCII spelling for e-mail addresses.
struct Name {
  const char* text;
  const char* ascii;
};

constexpr Name kFirstNames[] = {
    {"James", "james"},
    {"Mary", "mary"},
    {"Robert", "robert"},
    {"Patricia", "patricia"},
    {"John", "john"},
    {"Jennifer", "jennifer"},
    {"Michael", "michael"},
    {"Linda", "linda"},
    {"David", "david"},
    {"Elizabeth", "elizabeth"},
    {"William", "william"},
    {"Barbara", "barbara"},
    {"Richard", "richard"},
    {"Susan", "susan"},
    {"Joseph", "joseph"},
    {"Jessica", "jessica"},
    {"Thomas", "thomas"},
    {"Sarah", "sarah"},
    {"Christopher", "christopher"},
    {"Karen", "karen"},
    {"Daniel", "daniel"},
    {"Nancy", "nancy"},
    {"Matthew", "matthew"},
    {"Lisa", "lisa"},
    {"Anthony", "anthony"},
    {"Betty", "betty"},
    {"Mark", "mark"},
    {"Sandra", "sandra"},
    {"Emily", "emily"},
    {"Andrew", "andrew"},
    {"Anna", "anna"},
    {"Priya", "priya"},
    {"Wei", "wei"},
    {"Hiroshi", "hiroshi"},
    {"Fatima", "fatima"},
    {"Olga", "olga"},
    {"Lars", "lars"},
    {"Aoife", "aoife"},
    {"Mohammed", "mohammed"},
    {"Chloe", "chloe"},
    {"Noah", "noah"},
    {"Liam", "liam"},
    // non-ASCII
    {"José", "jose"},
    {"Zoë", "zoe"},
    {"Łukasz", "lukasz"},
    {"李", "li"},
    {"François", "francois"},
    {"Björn", "bjorn"},
    {"Søren", "soren"},
    {"María", "maria"},
    {"Renée", "renee"},
    {"Jürgen", "jurgen"},
    {"Ångström", "angstrom"},
    {"Çelik", "celik"},
    {"Дмитрий", "dmitry"},
    {"さくら", "sakura"},
};

constexpr Name kLastNames[] = {
    {"Smith", "smith"},
    {"Johnson", "johnson"},
    {"Williams", "williams"},
    {"Brown", "brown"},
    {"Jones", "jones"},
    {"Garcia", "garcia"},
    {"Miller", "miller"},
    {"Davis", "davis"},
    {"Rodriguez", "rodriguez"},
    {"Martinez", "martinez"},
    {"Hernandez", "hernandez"},
    {"Lopez", "lopez"},
    {"Wilson", "wilson"},
    {"Anderson", "anderson"},
    {"Taylor", "taylor"},
    {"Thomas", "thomas"},
    {"Moore", "moore"},
    {"Jackson", "jackson"},
    {"Martin", "martin"},
    {"Lee", "lee"},
    {"Thompson", "thompson"},
    {"White", "white"},
    {"Harris", "harris"},
    {"Clark", "clark"},
    {"Lewis", "lewis"},
    {"Walker", "walker"},
    {"Young", "young"},
    {"Allen", "allen"},
    {"King", "king"},
    {"Wright", "wright"},
    {"Patel", "patel"},
    {"Kim", "kim"},
    {"Nakamura", "nakamura"},
    {"Kowalski", "kowalski"},
    {"Schmidt", "schmidt"},
    {"Dubois", "dubois"},
    {"O'Brien", "obrien"},
    {"Van der Berg", "vanderberg"},
    {"McAllister", "mcallister"},
    // non-ASCII
    {"Müller", "mueller"},
    {"García", "garcia"},
    {"Nguyễn", "nguyen"},
    {"王", "wang"},
    {"Søndergaard", "sondergaard"},
    {"Łęcki", "lecki"},
    {"Öztürk", "ozturk"},
    {"Ferreira da Conceição", "conceicao"},
    {"Иванов", "ivanov"},
};

constexpr bool IsAscii(const char* s) {
  for (; *s != '\0'; ++s)
    if (static_cast<unsigned char>(*s) >= 0x80) return false;
  return true;
}

// The first kAscii* names are ASCII, the rest are not.
constexpr size_t kAsciiFirst = 42, kAsciiLast = 39;
template <size_t N>
constexpr bool SplitAt(const Name (&names)[N], size_t ascii) {
  for (size_t i = 0; i < N; ++i)
    if (IsAscii(names[i].text) != (i < ascii) || !IsAscii(names[i].ascii)) return false;
  return true;
}
static_assert(SplitAt(kFirstNames, kAsciiFirst));
static_assert(SplitAt(kLastNames, kAsciiLast));

constexpr const char* kDomains[] = {
    "example.com",
    "acme.com",
    "globex.com",
    "initech.com",
    "umbrella-corp.com",
    "hooli.com",
    "stark.io",
    "wayne.co.uk",
    "contoso.de",
    "fabrikam.fr",
    "northwind.net",
    "tailspin.org",
    "gmail.com",
    "yahoo.co.jp",
    "outlook.com",
    "cyberdyne.ai",
    "soylent.biz",
    "vandelay.com",
    "piedpiper.com",
    "example.pl",
    "consolidated-industries.com",
    "massive-dynamic.com",
    "international-widgets.co.uk",
    "blue-sun-corporation.com",
    "weyland-yutani.space",
    "oceanic-airlines.com.au",
};

constexpr const char* kTitles[] = {
    "CEO",
    "CFO",
    "CTO",
    "VP of Sales",
    "VP Marketing",
    "Director of Operations",
    "Head of Procurement",
    "Senior Account Executive",
    "Account Manager",
    "Sales Representative",
    "Marketing Manager",
    "Product Manager",
    "Senior Software Engineer",
    "IT Director",
    "Chief Revenue Officer",
    "Business Development Manager",
    "Customer Success Manager",
    "Office Manager",
    "Operations Analyst",
    "Purchasing Agent",
    "Data Scientist",
    "Head of \"Special\" Projects",
    "Directeur Général",
    "Geschäftsführer",
    "Jefe de Compras",
    "Regional Manager, EMEA",
    "Founder & CEO",
    "Consultant",
    "Senior Vice President, Global Strategic Partnerships",
    "Director, Enterprise Architecture & Cloud Infrastructure",
    "Associate Director of Clinical Operations",
    "Head of Revenue Operations (North America)",
};

constexpr const char* kIndustries[] = {
    "Agriculture",    "Apparel",       "Banking",   "Biotechnology",   "Chemicals",  "Communications",
    "Construction",   "Consulting",    "Education", "Electronics",     "Energy",     "Engineering",
    "Entertainment",  "Environmental", "Finance",   "Food & Beverage", "Government", "Healthcare",
    "Hospitality",    "Insurance",     "Machinery", "Manufacturing",   "Media",      "Not For Profit",
    "Other",          "Recreation",    "Retail",    "Shipping",        "Technology", "Telecommunications",
    "Transportation", "Utilities",
};

// Not values of the picklist: W maps them to OTHER.
constexpr const char* kUnknownIndustries[] = {
    "Space Mining", "Quantum Computing", "Aerospace", "technology", "Crypto", "Pharma", "Real Estate", "FINANCE",
};

constexpr const char* kLeadSources[] = {
    "Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other",
};

constexpr const char* kCountries[] = {
    "United States", "United States", "United States", "USA",       "Canada",      "United Kingdom", "Germany",
    "Deutschland",   "France",        "Poland",        "Japan",     "China",       "India",          "Brazil",
    "España",        "Österreich",    "Sverige",       "Australia", "Netherlands", "México",
};

constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

class Writer {
 public:
  Writer() { buf_.reserve(kFlushAt + 4096); }
  ~Writer() { Flush(); }
  void Raw(std::string_view s) { buf_.append(s); }
  void Char(char c) { buf_.push_back(c); }
  void Uint(uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) buf_.push_back(tmp[--n]);
  }
  void Uint2(unsigned v) {  // two digits, zero-padded
    buf_.push_back(static_cast<char>('0' + v / 10 % 10));
    buf_.push_back(static_cast<char>('0' + v % 10));
  }
  // A JSON string: only ", \ and control characters are escaped; UTF-8 is written as is.
  void String(std::string_view s) {
    buf_.push_back('"');
    for (char c : s) {
      unsigned char u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        buf_.push_back('\\');
        buf_.push_back(c);
      } else if (c == '\t') {
        buf_.append("\\t");
      } else if (u < 0x20) {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\u%04x", u);
        buf_.append(esc);
      } else {
        buf_.push_back(c);
      }
    }
    buf_.push_back('"');
  }
  void Key(std::string_view k) {  // ,"k":  (no comma before the first key of an object)
    if (!buf_.empty() && buf_.back() != '{') buf_.push_back(',');
    buf_.push_back('"');
    buf_.append(k);
    buf_.append("\":");
  }
  void EndRecord() {
    buf_.append("}\n");
    if (buf_.size() >= kFlushAt) Flush();
  }
  void Flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), stdout) != buf_.size()) {
      std::perror("w_gen: write");
      std::exit(1);
    }
    buf_.clear();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  std::string buf_;
};

// The 18-character form of a 15-character Salesforce id: three characters that encode, for
// each 5-character chunk, which characters are upper-case letters.
std::string SalesforceId18(const std::string& id15) {
  static constexpr char kSuffix[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string id = id15;
  for (int chunk = 0; chunk < 3; ++chunk) {
    unsigned bits = 0;
    for (int i = 0; i < 5; ++i) {
      char c = id15[chunk * 5 + i];
      if (c >= 'A' && c <= 'Z') bits |= 1u << i;
    }
    id.push_back(kSuffix[bits]);
  }
  return id;
}

// "0035e" + 10 base-62 digits of a bijection of the record index, so ids are unique for
// every N below 62^10 and look random.
std::string ContactId(uint64_t index, uint64_t seed) {
  constexpr uint64_t kSpace = 839299365868340224ull;  // 62^10
  constexpr uint64_t kMul = 0x5DEECE66Dull;           // odd and not a multiple of 31: invertible mod 62^10
  unsigned __int128 x = static_cast<unsigned __int128>(index) * kMul + (seed * 0x9E3779B97F4A7C15ull) % kSpace;
  uint64_t v = static_cast<uint64_t>(x % kSpace);
  std::string id = "0035e";
  char digits[10];
  for (int i = 9; i >= 0; --i) {
    digits[i] = kBase62[v % 62];
    v /= 62;
  }
  id.append(digits, 10);
  return SalesforceId18(id);
}

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(yy + (*m <= 2));
}

// Randomly upper-cases some ASCII letters ("stray upper case").
std::string StrayCase(Rng& rng, std::string s) {
  switch (rng.Below(10)) {
    case 0:  // all upper case
      for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      break;
    case 1:
    case 2:
    case 3: {  // capitalized words: Anna.Smith@Example.com
      bool start = true;
      for (char& c : s) {
        if (start && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        start = c == '.' || c == '@' || c == '_';
      }
      break;
    }
    case 4: {  // one random letter
      size_t i = rng.Below(s.size());
      if (s[i] >= 'a' && s[i] <= 'z') s[i] = static_cast<char>(s[i] - 32);
      break;
    }
    default:
      break;
  }
  return s;
}

constexpr const char* kPads[] = {" ", "  ", "\t", " \t", "\t "};
constexpr const char* kBlankEmails[] = {"   ", " ", "\t", " \t  "};

void WriteEmail(Rng& rng, Writer& w, const Name& first, const Name& last) {
  unsigned r = static_cast<unsigned>(rng.Below(1000));
  w.Key("Email");
  if (r < 30) {  // 3 % null
    w.Raw("null");
    return;
  }
  if (r < 40) {  // 1 % ""
    w.String("");
    return;
  }
  if (r < 50) {  // 1 % white space only (mostly three spaces)
    w.String(rng.Chance(700) ? "   " : rng.Pick(kBlankEmails));
    return;
  }
  std::string local;
  const char* f = rng.Chance(30) ? first.text : first.ascii;  // a few internationalized local parts
  switch (rng.Below(10)) {
    case 0:  // jsmith (the initial of the ASCII spelling when the first letter is not ASCII)
      local = std::string(static_cast<unsigned char>(f[0]) < 0x80 ? f : first.ascii, 1) + last.ascii;
      break;
    case 1:
      local = std::string(f) + "_" + last.ascii;
      break;
    case 2:
      local = std::string(f) + "." + last.ascii + std::to_string(rng.Below(100));
      break;
    case 3:
      local = std::string(f) + "." + last.ascii + "+crm";
      break;
    default:
      local = std::string(f) + "." + last.ascii;
      break;
  }
  std::string email = StrayCase(rng, local + "@" + rng.Pick(kDomains));
  if (rng.Chance(60)) {  // padded with spaces or tabs
    switch (rng.Below(3)) {
      case 0:
        email = rng.Pick(kPads) + email;
        break;
      case 1:
        email += rng.Pick(kPads);
        break;
      default: {
        std::string before = rng.Pick(kPads);  // two statements: the order of the draws is fixed
        email = before + email + rng.Pick(kPads);
        break;
      }
    }
  }
  w.String(email);
}

void WritePhone(Rng& rng, Writer& w) {
  w.Key("Phone");
  unsigned r = static_cast<unsigned>(rng.Below(1000));
  if (r < 80) {
    w.Raw("null");
    return;
  }
  if (r < 90) {
    w.String(rng.Chance(700) ? "n/a" : "N/A");
    return;
  }
  char buf[64];
  unsigned area = 201 + static_cast<unsigned>(rng.Below(789));
  unsigned line = static_cast<unsigned>(rng.Below(10000));
  unsigned ex = 200 + static_cast<unsigned>(rng.Below(800));
  switch (rng.Below(8)) {
    case 0:
      std::snprintf(buf, sizeof buf, "(%03u) %03u-%04u", area, ex, line);
      break;
    case 1:
      std::snprintf(buf, sizeof buf, "+1 %03u-%03u-%04u", area, ex, line);
      break;
    case 2:
      std::snprintf(buf, sizeof buf, "%03u.%03u.%04u", area, ex, line);
      break;
    case 3:
      std::snprintf(buf, sizeof buf, "%03u%03u%04u", area, ex, line);
      break;
    case 4:
      std::snprintf(buf, sizeof buf, "+44 20 %04u %04u", 7000 + ex, line);
      break;
    case 5:
      std::snprintf(buf, sizeof buf, "+49 30 %06u", static_cast<unsigned>(rng.Below(1000000)));
      break;
    case 6:
      std::snprintf(buf, sizeof buf, "(%03u) %03u-%04u ext. %u", area, ex, line,
                    10 + static_cast<unsigned>(rng.Below(990)));
      break;
    default:
      std::snprintf(buf, sizeof buf, "%03u-%03u-%04u", area, ex, line);
      break;
  }
  w.String(buf);
}

// A JSON number: integers (round amounts and arbitrary ones) and amounts with one or two
// decimals, never with trailing zeros, always below 1e12.
void WriteRevenue(Rng& rng, Writer& w) {
  w.Key("AnnualRevenue");
  unsigned r = static_cast<unsigned>(rng.Below(100));
  if (r < 10) {
    w.Raw("null");
    return;
  }
  if (r < 12) {
    w.Raw("0");
    return;
  }
  if (r < 55) {  // round amounts: 250000, 1500000, 40000000, 750000000000
    uint64_t v = 1 + rng.Below(999);
    for (uint64_t e = 3 + rng.Below(7); e > 0; --e) v *= 10;
    w.Uint(v);
    return;
  }
  if (r < 70) {  // arbitrary integers
    w.Uint(1 + rng.Below(5000000000ull));
    return;
  }
  uint64_t whole = rng.Below(r < 80 ? 1000 : 2000000000ull);
  unsigned cents = 1 + static_cast<unsigned>(rng.Below(99));  // never .00
  w.Uint(whole);
  w.Char('.');
  w.Char(static_cast<char>('0' + cents / 10));
  if (cents % 10 != 0) w.Char(static_cast<char>('0' + cents % 10));
}

constexpr const char* kCities[] = {"London", "Paris", "New York", "São Paulo", "Berlin", "Tokyo", "Austin", "Zürich"};
constexpr const char* kStates[] = {"CA", "NY", "TX", "WA", "VA", "Bavaria", "Île-de-France"};

// The example's extra Contact fields (--example), from their own generator.
void WriteExampleFields(Rng& x, Writer& w, uint64_t index, uint64_t seed) {
  w.Key("AccountId");
  if (x.Chance(300))
    w.Raw("null");
  else
    w.String(SalesforceId18("0015e" + ContactId(index / 7, seed).substr(5, 10)));
  w.Key("MobilePhone");
  unsigned m = static_cast<unsigned>(x.Below(100));
  if (m < 60)
    w.Raw("null");
  else if (m < 65)
    w.String("");
  else
    w.String("+1 202 555 0" + std::to_string(100 + x.Below(900)));
  w.Key("MailingCity");
  if (x.Chance(200))
    w.Raw("null");
  else
    w.String(x.Pick(kCities));
  w.Key("MailingState");
  if (x.Chance(400))
    w.Raw("null");
  else
    w.String(x.Chance(20) ? " " : x.Pick(kStates));
  w.Key("IsDeleted");
  w.Raw(x.Chance(20) ? "true" : "false");
}

void WriteRecord(Rng& rng, Writer& w, uint64_t index, uint64_t seed, Rng* extra) {
  const std::string id = ContactId(index, seed);
  w.Raw("{\"attributes\":{\"type\":\"Contact\",\"url\":\"/services/data/v59.0/sobjects/Contact/");
  w.Raw(id);
  w.Raw("\"}");
  w.Key("Id");
  w.String(id);

  // Mostly ASCII names; about one in eight first names and one in ten last names are not.
  const Name& first = rng.Chance(875) ? kFirstNames[rng.Below(kAsciiFirst)]
                                      : kFirstNames[kAsciiFirst + rng.Below(std::size(kFirstNames) - kAsciiFirst)];
  const Name& last = rng.Chance(900) ? kLastNames[rng.Below(kAsciiLast)]
                                     : kLastNames[kAsciiLast + rng.Below(std::size(kLastNames) - kAsciiLast)];
  w.Key("FirstName");
  if (rng.Chance(50))
    w.Raw("null");
  else
    w.String(first.text);
  w.Key("LastName");
  w.String(last.text);

  WriteEmail(rng, w, first, last);
  WritePhone(rng, w);

  w.Key("Title");
  unsigned t = static_cast<unsigned>(rng.Below(1000));
  if (t < 60)
    w.Raw("null");
  else if (t < 65)
    w.String(" ");  // white space only: blank
  else
    w.String(rng.Pick(kTitles));

  w.Key("Industry");
  unsigned ind = static_cast<unsigned>(rng.Below(100));
  if (ind < 5)
    w.Raw("null");
  else if (ind < 10)
    w.String(rng.Pick(kUnknownIndustries));
  else
    w.String(rng.Pick(kIndustries));

  w.Key("LeadSource");
  if (rng.Chance(60))
    w.Raw("null");
  else
    w.String(rng.Pick(kLeadSources));

  WriteRevenue(rng, w);

  w.Key("NumberOfEmployees");
  if (rng.Chance(150))
    w.Raw("null");
  else
    w.Uint(rng.Chance(700) ? 1 + rng.Below(500) : 1 + rng.Below(250000));

  w.Key("Status");
  unsigned s = static_cast<unsigned>(rng.Below(100));
  if (s < 15)
    w.Raw("null");
  else if (s < 45)
    w.String("New");
  else if (s < 70)
    w.String("Working");
  else if (s < 85)
    w.String("Qualified");
  else
    w.String("Unqualified");

  w.Key("IsCustomer");
  w.Raw(rng.Chance(200) ? "true" : "false");

  // 2023-01-01T00:00:00Z + up to two years.
  uint64_t secs = 1672531200ull + rng.Below(2ull * 365 * 86400);
  int y;
  unsigned mo, d;
  CivilFromDays(static_cast<int64_t>(secs / 86400), &y, &mo, &d);
  unsigned sod = static_cast<unsigned>(secs % 86400);
  w.Key("LastModifiedDate");
  w.Char('"');
  w.Uint(static_cast<uint64_t>(y));
  w.Char('-');
  w.Uint2(mo);
  w.Char('-');
  w.Uint2(d);
  w.Char('T');
  w.Uint2(sod / 3600);
  w.Char(':');
  w.Uint2(sod / 60 % 60);
  w.Char(':');
  w.Uint2(sod % 60);
  w.Raw(".000+0000\"");

  w.Key("MailingCountry");
  if (rng.Chance(100))
    w.Raw("null");
  else
    w.String(rng.Pick(kCountries));
  if (extra) WriteExampleFields(*extra, w, index, seed);
  w.EndRecord();
}

bool ParseU64(const char* s, uint64_t* out) {
  if (*s == '\0') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || s[0] == '-') return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 0, seed = 1;
  bool example = argc >= 3 && std::strcmp(argv[argc - 1], "--example") == 0;
  if (example) --argc;
  if (argc < 2 || argc > 3 || !ParseU64(argv[1], &n) || (argc == 3 && !ParseU64(argv[2], &seed))) {
    std::fprintf(stderr,
                 "usage: w_gen N [SEED] [--example]\n  writes N Salesforce Contact records as JSON Lines to stdout\n");
    return 2;
  }
  Rng rng{seed};
  Rng extra{seed ^ 0x5EED0F5EED0F5EEDull};
  Writer w;
  for (uint64_t i = 0; i < n; ++i) WriteRecord(rng, w, i, seed, example ? &extra : nullptr);
  w.Flush();
  if (std::fflush(stdout) != 0) {
    std::perror("w_gen: write");
    return 1;
  }
  return 0;
}
