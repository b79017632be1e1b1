#include "runtime/connectors/jsonl_connector.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>

#include "base/time.h"
#include "runtime/connectors/wire_values.h"

namespace accord::sync {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool IsSalesforce(schema::System s) { return s == schema::System::kSalesforce; }

const char* KeyPrefix(const std::string& object) {
  static const std::map<std::string, const char*> k = {
      {"Account", "001"}, {"Contact", "003"}, {"Lead", "00Q"}, {"Opportunity", "006"}, {"Task", "00T"}};
  auto it = k.find(object);
  return it == k.end() ? "a0X" : it->second;
}

// Characters, not bytes: Salesforce lengths count UTF-16 units; counting code
// points is the same for everything outside the astral planes.
size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A data file read through one read-only mapping (Load and ReadByIds), unmapped when it goes.
class FileMap {
 public:
  FileMap(const std::string& path, uint64_t size) : size_(size) {
    int fd = size > 0 ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0) return;
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (m != MAP_FAILED) data_ = static_cast<const char*>(m);
  }
  ~FileMap() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  FileMap(const FileMap&) = delete;
  FileMap& operator=(const FileMap&) = delete;
  bool ok() const { return size_ == 0 || data_; }
  // The indexed line [offset, offset + length): false when it is not a whole line of the file
  // (the file changed under the index).
  bool Line(int64_t offset, uint64_t length, std::string_view* text) const {
    uint64_t end = static_cast<uint64_t>(offset) + length;
    if (end >= size_ || data_[end] != '\n' || (offset > 0 && data_[offset - 1] != '\n')) return false;
    *text = std::string_view(data_ + offset, length);
    return true;
  }

 private:
  uint64_t size_;
  const char* data_ = nullptr;
};

}  // namespace

std::string IsoMillis(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

JsonlConnector::JsonlConnector(schema::System system, std::string dir, bool dry_run)
    : system_(system), dir_(std::move(dir)), dry_run_(dry_run) {}

json JsonlConnector::JsonValue(schema::System system, const schema::Field& f, const Text& t) {
  return WireJson(system, f, t);
}

Text JsonlConnector::TextOf(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return std::nullopt;
    case json::value_t::string:
      return v.get<std::string>();
    case json::value_t::boolean:
      return std::string(v.get<bool>() ? "true" : "false");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return v.dump();
    case json::value_t::array: {
      std::string s;  // a multi-select as the APIs write it: a;b;c
      for (const auto& e : v) {
        if (!s.empty()) s += ';';
        if (e.is_string())
          s += e.get<std::string>();
        else
          s += e.dump();
      }
      return s;
    }
    default:
      return std::nullopt;
  }
}

std::string JsonlConnector::Path(const std::string& object) const { return dir_ + "/" + object + ".jsonl"; }

namespace {

// FNV-1a, 64 bits: a stable hash for the index's fingerprint (the same in every build).
uint64_t Fnv(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

constexpr char kIndexMagic[] = "accord-jsonl-index 2";  // 2: each record's stamp

}  // namespace

std::string JsonlConnector::IndexPath(const std::string& object) const { return Path(object) + ".index"; }

std::optional<uint64_t> JsonlConnector::Fingerprint(const std::string& object, uint64_t size) const {
  int fd = ::open(Path(object).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  uint64_t h = Fnv(14695981039346656037ull, std::to_string(size));
  char buf[4096];
  auto window = [&](uint64_t at, size_t n) {
    ssize_t got = ::pread(fd, buf, n, static_cast<off_t>(at));
    h = Fnv(h, std::string_view(buf, got > 0 ? static_cast<size_t>(got) : 0));
    return got == static_cast<ssize_t>(n);
  };
  size_t edge = static_cast<size_t>(std::min<uint64_t>(size, sizeof buf));
  bool ok = window(0, edge) && window(size - edge, edge);
  // windows spread over the rest: an edit in the middle of the file shows too
  for (uint64_t k = 1; k < 64 && ok && size > 64; ++k) ok = window(size * k / 64 - 64 * (k == 63), 64);
  ::close(fd);
  if (!ok) return std::nullopt;
  return h;
}

// ---- JsonlConnector::Index ----

std::string_view JsonlConnector::Index::IdAt(size_t i) const {
  const std::string& block = ids_[slots_[i].id_at >> kBlockBits];
  size_t at = slots_[i].id_at & ((uint64_t{1} << kBlockBits) - 1);
  uint32_t n = 0;
  std::memcpy(&n, block.data() + at, sizeof n);
  return std::string_view(block.data() + at + sizeof n, n);
}

size_t JsonlConnector::Index::Bucket(std::string_view id) const {
  size_t mask = buckets_.size() - 1;
  size_t b = std::hash<std::string_view>()(id) & mask;
  size_t free = SIZE_MAX;  // the first erased bucket passed: where a new id goes
  for (;; b = (b + 1) & mask) {
    uint32_t v = buckets_[b];
    if (v == 0) return free != SIZE_MAX ? free : b;
    if (v == kGone) {
      if (free == SIZE_MAX) free = b;
    } else if (IdAt(v - 1) == id) {
      return b;
    }
  }
}

void JsonlConnector::Index::Grow(size_t want) {
  size_t n = 16;
  while (n < 2 * want) n *= 2;
  buckets_.assign(n, 0);
  used_ = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].erased) continue;
    size_t b = std::hash<std::string_view>()(IdAt(i)) & (n - 1);
    while (buckets_[b] != 0) b = (b + 1) & (n - 1);
    buckets_[b] = static_cast<uint32_t>(i + 1);
    ++used_;
  }
}

void JsonlConnector::Index::reserve(size_t n) {
  slots_.reserve(n);
  if (buckets_.size() < 2 * n) Grow(n);
}

JsonlConnector::Entry* JsonlConnector::Index::find(std::string_view id) {
  if (buckets_.empty()) return nullptr;
  uint32_t v = buckets_[Bucket(id)];
  return v == 0 || v == kGone ? nullptr : &slots_[v - 1].e;
}

std::pair<JsonlConnector::Entry*, bool> JsonlConnector::Index::try_emplace(std::string_view id, const Entry& e) {
  if (Entry* have = find(id)) return {have, false};
  if (slots_.size() >= kGone - 1) throw std::length_error("jsonl index: too many records");
  if (2 * (used_ + 1) > buckets_.size()) Grow(live_ + 1);
  size_t b = Bucket(id);
  if (buckets_[b] == 0) ++used_;
  uint32_t n = static_cast<uint32_t>(id.size());
  size_t need = sizeof n + id.size();
  if (ids_.empty() || ids_.back().size() + need > ids_.back().capacity()) {
    ids_.emplace_back();
    ids_.back().reserve(std::max(need, size_t{1} << kBlockBits));
  }
  std::string& block = ids_.back();
  Slot sl{e, (ids_.size() - 1) << kBlockBits | block.size(), 0};
  block.append(reinterpret_cast<const char*>(&n), sizeof n);
  block.append(id);
  slots_.push_back(sl);
  buckets_[b] = static_cast<uint32_t>(slots_.size());
  ++live_;
  return {&slots_.back().e, true};
}

bool JsonlConnector::Index::erase(std::string_view id) {
  if (buckets_.empty()) return false;
  size_t b = Bucket(id);
  uint32_t v = buckets_[b];
  if (v == 0 || v == kGone) return false;
  slots_[v - 1].erased = 1;  // (its id stays in ids_: erasing is rare, a record nested too deeply)
  buckets_[b] = kGone;
  --live_;
  return true;
}

base::Result<JsonlConnector::Table*> JsonlConnector::Open(const schema::Object& object) {
  Table& t = tables_[object.name];
  if (dir_.empty()) {
    t.loaded = true;
    return &t;
  }
  if (t.loaded) {
    // read before in this process: only what was appended since, unless the file changed under it
    struct stat st {};
    bool same = ::stat(Path(object.name).c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) >= t.size &&
                Fingerprint(object.name, t.size) == t.print;
    if (!same) Forget(t);
  } else {
    t.loaded = true;
    if (!LoadIndex(object.name, t)) {
      t = Table();
      t.loaded = true;
    }
  }
  uint64_t indexed = t.size;
  auto read = Scan(object.name, t);
  if (!read) return read.status();
  if (*read > 0 || (indexed == 0 && t.size > 0)) SaveIndex(object.name, t);
  return &t;
}

void JsonlConnector::Forget(Table& t) {
  std::vector<std::pair<std::string, Entry>> unsaved;  // records only in memory (a dry run's writes) stay
  std::unordered_map<std::string, std::string> texts = std::move(t.texts);
  t.records.each([&](std::string_view id, const Entry& e) {
    if (e.offset < 0) unsaved.emplace_back(std::string(id), e);
  });
  int64_t next = t.next_number;
  t = Table();
  t.loaded = true;
  t.next_number = next;  // never an id handed out before
  for (auto& [id, e] : unsaved) {
    t.records[id] = e;
    t.texts[id] = std::move(texts[id]);
  }
}

base::Result<size_t> JsonlConnector::Scan(const std::string& object, Table& t) {
  std::string path = Path(object);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return size_t{0};  // no records yet
    return base::Status::Error("cannot read " + path + ": " + std::strerror(errno));
  }
  const char* id_key = IsSalesforce(system_) ? "Id" : "id";
  size_t count = 0;
  std::string buf;        // bytes read and not yet consumed
  uint64_t pos = t.size;  // the file offset of buf[0]
  std::vector<char> chunk(1 << 20);
  for (uint64_t off = t.size;;) {
    ssize_t n = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(off));
    if (n < 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return base::Status::Error("cannot read " + path + ": " + why);
    }
    if (n == 0) break;
    off += static_cast<uint64_t>(n);
    buf.append(chunk.data(), static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(buf.data() + start, nl - start);
      uint64_t at = pos + start;
      size_t line_no = ++t.lines;
      ++count;
      ++lines_scanned_;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      // only the id here; the whole record is read (and checked) by Load
      std::string id;
      {
        simdjson::padded_string padded(line);
        simdjson::ondemand::document doc;
        simdjson::ondemand::object obj;
        std::string_view sv;
        if (parser_.iterate(padded).get(doc) || doc.get_object().get(obj)) {
          t.problems.push_back({'m', line_no, ""});
          continue;
        }
        auto field = obj.find_field_unordered(id_key);
        if (field.error() == simdjson::NO_SUCH_FIELD || field.get_string().get(sv) || sv.empty()) {
          t.problems.push_back({'n', line_no, ""});
          continue;
        }
        id = std::string(sv);
      }
      NoteId(t, id);
      if (JsonDepth(line) > kMaxRecordDepth) {
        // Never kept: reading, copying or writing it back would recurse that deep. Its
        // earlier lines are not its current state, so the record is unknown, not old.
        t.problems.push_back({'d', line_no, id});
        t.texts.erase(id);
        t.records.erase(id);
        continue;
      }
      *t.records.try_emplace(id).first = Entry{static_cast<int64_t>(at), static_cast<uint32_t>(line.size()),
                                               static_cast<uint32_t>(line_no), StampOf(line)};
      t.texts.erase(id);
    }
    buf.erase(0, start);
    pos += start;
  }
  ::close(fd);
  // A line without its newline was never completely stored (the writer died
  // mid-append): the system never acknowledged it, so it is dropped.
  if (!buf.empty() && !dry_run_) {
    std::error_code ec;
    fs::resize_file(path, pos, ec);
    if (ec) return base::Status::Error("cannot truncate the unfinished last line of " + path + ": " + ec.message());
  }
  t.size = pos;
  t.print = Fingerprint(object, t.size);
  return count;
}

bool JsonlConnector::LoadIndex(const std::string& object, Table& t) {
  std::ifstream in(IndexPath(object), std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || line != kIndexMagic || !std::getline(in, line)) return false;
  unsigned long long size = 0, lines = 0, print = 0;
  long long next = 0;
  if (std::sscanf(line.c_str(), "size %llu lines %llu next %lld print %llu", &size, &lines, &next, &print) != 4)
    return false;
  // the file must still start with what was indexed (appended to, not rewritten)
  struct stat st {};
  if (::stat(Path(object).c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) < size) return false;
  std::optional<uint64_t> now = Fingerprint(object, size);
  if (!now || *now != print) return false;
  // the rest parsed by hand (a million lines of sscanf were most of a quiet pass), a chunk at a
  // time: read whole, the two indexes of a million records each held 120 MB beside their entries
  const std::streampos body = in.tellg();
  std::vector<char> chunk(size_t{1} << 20);
  size_t count = 0;
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0)
    count += static_cast<size_t>(std::count(chunk.data(), chunk.data() + in.gcount(), '\n'));
  in.clear();
  in.seekg(body);
  t.records.reserve(count);
  std::string carry;  // the start of a line the chunk's end cut
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    carry.append(chunk.data(), static_cast<size_t>(in.gcount()));
    std::string_view v(carry);
    for (size_t nl; (nl = v.find('\n')) != std::string_view::npos;) {
      std::string_view l = v.substr(0, nl);
      v.remove_prefix(nl + 1);
      // R offset length line stamp id | P kind line id
      if (l.size() > 2 && l[0] == 'R' && l[1] == ' ') {
        uint64_t num[3] = {0, 0, 0};
        int64_t stamp = 0;
        const char* p = l.data() + 2;
        const char* end = l.data() + l.size();
        bool ok = true;
        for (uint64_t& n : num) {
          auto r = std::from_chars(p, end, n);
          ok &= r.ec == std::errc() && r.ptr < end && *r.ptr == ' ';
          if (!ok) break;
          p = r.ptr + 1;
        }
        if (ok) {
          auto r = std::from_chars(p, end, stamp);
          ok = r.ec == std::errc() && r.ptr < end && *r.ptr == ' ';
          p = r.ptr + 1;
        }
        if (!ok || p >= end) return false;
        std::string_view id(p, static_cast<size_t>(end - p));
        if (num[0] + num[1] >= size) return false;
        if (!t.records
                 .try_emplace(id, Entry{static_cast<int64_t>(num[0]), static_cast<uint32_t>(num[1]),
                                        static_cast<uint32_t>(num[2]), stamp})
                 .second)
          return false;
        continue;
      }
      char tag = 0, kind = 0;
      unsigned long long a = 0;
      int used = 0;
      line = std::string(l);
      if (l.size() > 2 && l[0] == 'P' && std::sscanf(line.c_str(), "%c %c %llu %n", &tag, &kind, &a, &used) == 3 &&
          used > 0) {
        t.problems.push_back({kind, a, line.substr(static_cast<size_t>(used))});
      } else {
        return false;
      }
    }
    carry.erase(0, carry.size() - v.size());
  }
  if (!carry.empty()) return false;  // every line of an index ends with one
  t.size = size;
  t.lines = lines;
  t.next_number = next;
  t.print = print;
  return true;
}

void JsonlConnector::SaveIndex(const std::string& object, const Table& t) const {
  if (dry_run_ || !t.print) return;
  // written a line at a time (a million lines held as one string were ~50 MB), to a
  // temporary file renamed over the old one: a crash leaves one or the other
  std::string tmp = IndexPath(object) + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return;  // an index is an optimization: without one the file is read whole
  bool ok = true;
  auto put = [&](const std::string& line) { ok = ok && std::fwrite(line.data(), 1, line.size(), f) == line.size(); };
  put(std::string(kIndexMagic) + "\n");
  put("size " + std::to_string(t.size) + " lines " + std::to_string(t.lines) + " next " +
      std::to_string(t.next_number) + " print " + std::to_string(*t.print) + "\n");
  for (const Table::Problem& p : t.problems) {
    ok = ok && p.id.find('\n') == std::string::npos;  // not representable: no index, the file is read whole
    put("P " + std::string(1, p.kind) + " " + std::to_string(p.line) + " " + p.id + "\n");
  }
  std::string line;
  t.records.each([&](std::string_view id, const Entry& e) {
    // a record only in memory (Put) is not in the file: an index without it would lose it
    ok = ok && e.offset >= 0 && id.find('\n') == std::string_view::npos;
    if (!ok) return;
    line = "R " + std::to_string(e.offset) + " " + std::to_string(e.length) + " " + std::to_string(e.line) + " " +
           std::to_string(e.stamp_ms) + " ";
    line.append(id);
    line += '\n';
    put(line);
  });
  ok &= std::fclose(f) == 0;
  std::error_code ec;
  if (ok) fs::rename(tmp, IndexPath(object), ec);
  if (!ok || ec) fs::remove(tmp, ec);
}

std::vector<ReadProblem> JsonlConnector::Problems(const std::string& object, const Table& t) const {
  std::vector<ReadProblem> out;
  const char* id_key = IsSalesforce(system_) ? "Id" : "id";
  for (const Table::Problem& p : t.problems) {
    std::string where = Path(object) + ":" + std::to_string(p.line);
    if (p.kind == 'm')
      out.push_back({"", where, where + ": malformed JSON record"});
    else if (p.kind == 'n')
      out.push_back({"", where, where + ": record without a string \"" + id_key + "\""});
    else
      out.push_back(
          {p.id, where,
           where + ": record " + p.id + " is nested deeper than " + std::to_string(kMaxRecordDepth) + " levels"});
  }
  return out;
}

base::Result<std::string> JsonlConnector::TextOf(const std::string& object, const Table& t,
                                                 const std::string& id) const {
  const Entry* found = t.records.find(id);
  if (!found) return base::Status::Error("no record " + id + " in " + Path(object));
  const Entry& e = *found;
  if (e.offset < 0) return t.texts.at(id);
  std::string text(e.length, '\0');
  int fd = ::open(Path(object).c_str(), O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : ::pread(fd, text.data(), text.size(), static_cast<off_t>(e.offset));
  if (fd >= 0) ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) return base::Status::Error("cannot read " + Path(object));
  return text;
}

void JsonlConnector::NoteId(Table& t, const std::string& rid) const {
  // new ids continue after the highest number seen
  if (!IsSalesforce(system_) && !rid.empty() && rid.find_first_not_of("0123456789") == std::string::npos &&
      rid.size() < 18) {
    int64_t n = std::atoll(rid.c_str()) - 99;
    if (n >= t.next_number) t.next_number = n + 1;
  } else if (IsSalesforce(system_) && rid.size() >= 15) {
    int64_t n = std::atoll(rid.substr(5, 10).c_str());
    if (n >= t.next_number) t.next_number = n + 1;
  }
}

bool JsonlConnector::ToRecord(const schema::Object& object, std::string_view text, Record* r,
                              std::string* problem) const {
  namespace od = simdjson::ondemand;
  r->id.clear();
  r->modstamp.clear();
  r->deleted = false;
  r->values.assign(object.fields.size(), std::nullopt);
  r->associations.clear();
  r->master_id.clear();
  r->merged_ids.clear();
  simdjson::padded_string padded(text);
  od::document doc;
  od::object obj;
  if (parser_.iterate(padded).get(doc) || doc.get_object().get(obj)) return *problem = "malformed JSON", false;
  const bool sf = IsSalesforce(system_);
  std::string updated_at;
  for (auto member : obj) {
    std::string_view key;
    od::value v;
    if (member.unescaped_key().get(key) || member.value().get(v)) return *problem = "malformed JSON", false;
    Text t;
    if (sf) {
      if (!ReadSalesforceMember(object, key, v, r, problem)) return false;
      continue;
    }
    if (key == "id" || key == "updatedAt" || key == "archived") {
      if (!ShapeText(system_, key, key == "archived" ? schema::FieldType::kBool : schema::FieldType::kString, v, &t,
                     problem))
        return false;
      if (key == "id")
        r->id = t ? *t : "";
      else if (key == "updatedAt" && t)
        updated_at = *t;
      else
        r->deleted = t == Text("true");
    } else if (key == "properties") {
      od::object props;
      if (v.get_object().get(props)) return *problem = "properties is not an object", false;
      for (auto p : props) {
        std::string_view name;
        od::value pv;
        if (p.unescaped_key().get(name) || p.value().get(pv)) return *problem = "malformed JSON", false;
        bool special = name == "lastmodifieddate" || name == "hs_lastmodifieddate" || name == "hs_merged_object_ids";
        if (const schema::Field* f = object.FindField(name)) {
          if (!FieldText(system_, *f, pv, &t, problem)) return false;
          r->values.set(static_cast<size_t>(f - object.fields.data()), t);
        } else if (special ? !ShapeText(system_, name, schema::FieldType::kString, pv, &t, problem)
                           : !SkipValue(name, pv, problem)) {
          return false;
        }
        if ((name == "lastmodifieddate" || name == "hs_lastmodifieddate") && t) r->modstamp = *t;
        if (name == "hs_merged_object_ids" && t) {
          std::stringstream ss(*t);
          for (std::string part; std::getline(ss, part, ';');)
            if (!part.empty()) r->merged_ids.push_back(part);
        }
      }
    } else if (key == "associations") {
      // {"companies": ["201", ...]}
      od::object assoc;
      if (v.get_object().get(assoc)) return *problem = "associations is not an object", false;
      for (auto a : assoc) {
        std::string_view type;
        od::value ids;
        if (a.unescaped_key().get(type) || a.value().get(ids)) return *problem = "malformed JSON", false;
        if (!ShapeText(system_, "associations." + std::string(type), schema::FieldType::kStringList, ids, &t, problem))
          return false;
        std::vector<std::string>& out = r->associations[std::string(type)];
        std::stringstream ss(t.value_or(""));
        for (std::string id; std::getline(ss, id, ';');)
          if (!id.empty()) out.push_back(id);
      }
    } else if (!SkipValue(key, v, problem)) {
      return false;
    }
  }
  if (!sf && r->modstamp.empty()) r->modstamp = updated_at;
  if (sf) {
    // Salesforce checkboxes are never null: an absent one reads as its default
    for (size_t i = 0; i < object.fields.size(); ++i) {
      const schema::Field& f = object.fields[i];
      if (!r->values[i] && f.type == schema::FieldType::kBool && !f.nillable)
        r->values.set(i, std::string(f.default_value == "true" ? "true" : "false"));
    }
  }
  return true;
}

base::Status JsonlConnector::Load(const schema::Object& object, std::vector<Record>* out,
                                  std::vector<ReadProblem>* problems) {
  auto opened = Open(object);
  if (!opened) return opened.status();
  ++calls_.reads;  // a listing (paging is the HTTP connectors' concern)
  for (int attempt = 0;; ++attempt) {
    Table& t = **opened;
    // the file's lines through one mapping; each record is read where the index says it is
    const std::string path = Path(object.name);
    std::optional<FileMap> map(std::in_place, path, t.size);
    if (!map->ok()) return base::Status::Error("cannot read " + path + ": " + std::strerror(errno));
    std::vector<ReadProblem> found = Problems(object.name, t);  // lines without a record, every pass
    out->clear();
    out->resize(t.records.size());
    size_t n = 0;
    bool stale = false;  // a line is not where the index says: the file changed under it
    t.records.each([&](std::string_view id, const Entry& e) {
      if (stale) return;
      std::string_view text;
      if (e.offset < 0) text = t.texts[std::string(id)];
      if (e.offset >= 0 && !map->Line(e.offset, e.length, &text)) {
        stale = true;
        return;
      }
      std::string problem;
      Record& r = (*out)[n];
      if (ToRecord(object, text, &r, &problem)) {
        stale = r.id != id;
        n += !stale;
        return;
      }
      std::string where = path + (e.line ? ":" + std::to_string(e.line) : "");
      found.push_back({std::string(id), where, where + ": record " + std::string(id) + ": " + problem});
    });
    map.reset();
    if (stale && attempt == 0) {
      // read the file whole, once
      Forget(t);
      auto read = Scan(object.name, t);
      if (!read) return read.status();
      SaveIndex(object.name, t);
      continue;
    }
    if (stale) return base::Status::Error(path + " changed while it was read; run again");
    out->resize(n);
    problems->insert(problems->end(), found.begin(), found.end());
    return base::Status::Ok();
  }
}

std::string JsonlConnector::NewId(const schema::Object& object, Table& t) {
  // never an id the system has (a line dropped as unfinished never existed, so its id may come back)
  for (;;) {
    int64_t n = t.next_number++;
    std::string id;
    if (!IsSalesforce(system_)) {
      id = std::to_string(n + 100);
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%sAC%010lld", KeyPrefix(object.name), static_cast<long long>(n));
      id = buf;
    }
    if (!t.records.count(id)) return id;
  }
}

std::string JsonlConnector::NextStamp() {
  auto now = std::chrono::system_clock::now();
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  // strictly increasing, so that a cursor never misses a write made in the same millisecond
  last_ms_ = std::max(ms, last_ms_ + 1);
  return IsoMillis(last_ms_);
}

WriteResult JsonlConnector::Validate(const schema::Object& object, const WriteOp& op, const json* existing) const {
  WriteResult r;
  r.id = op.id;
  auto fail = [&](std::string code, std::string message, std::string field = "") {
    r.ok = false;
    r.status_code = std::move(code);
    r.message = std::move(message);
    r.field = std::move(field);
    return r;
  };
  if (op.kind != WriteOp::Kind::kCreate) {
    if (!existing)
      return fail(IsSalesforce(system_) ? "INVALID_CROSS_REFERENCE_KEY" : "OBJECT_NOT_FOUND",
                  "no " + object.name + " with id " + op.id);
    bool deleted = IsSalesforce(system_) ? existing->value("IsDeleted", false) : existing->value("archived", false);
    if (deleted) return fail("ENTITY_IS_DELETED", "entity is deleted");
    if (op.kind == WriteOp::Kind::kDelete) {
      r.ok = true;
      return r;
    }
  }
  for (const auto& [slot, text] : op.fields) {
    const schema::Field& f = object.fields[slot];
    if (IsSalesforce(system_)) {
      if (op.kind == WriteOp::Kind::kCreate ? !f.createable : !f.updateable)
        return fail("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: " + f.name, f.name);
      if (text && f.length > 0 && f.type == schema::FieldType::kString &&
          CodePoints(*text) > static_cast<size_t>(f.length))
        return fail("STRING_TOO_LONG",
                    f.label + ": data value too large: " + text->substr(0, 40) +
                        " (max length=" + std::to_string(f.length) + ")",
                    f.name);
      if (text && !text->empty() && f.is_picklist && f.restricted_picklist && !f.values.empty()) {
        // a multi-select is checked value by value
        std::stringstream ss(*text);
        for (std::string part; std::getline(ss, part, ';');)
          if (!f.FindValue(part))
            return fail("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        f.label + ": bad value for restricted picklist field: " + part, f.name);
      }
    } else if (text && !text->empty() && f.is_picklist && !f.values.empty()) {
      std::stringstream ss(*text);
      for (std::string part; std::getline(ss, part, ';');)
        if (!f.FindValue(part))
          return fail("INVALID_OPTION", part + " was not one of the allowed options for " + f.name, f.name);
    }
  }
  if (IsSalesforce(system_) && op.kind == WriteOp::Kind::kCreate) {
    for (size_t i = 0; i < object.fields.size(); ++i) {
      const schema::Field& f = object.fields[i];
      if (!f.required_on_create() || f.type == schema::FieldType::kBool) continue;
      bool given = false;
      for (const auto& [slot, text] : op.fields) given |= slot == i && !IsBlank(text);
      if (!given) return fail("REQUIRED_FIELD_MISSING", "Required fields are missing: [" + f.name + "]");
    }
  }
  r.ok = true;
  return r;
}

void JsonlConnector::Apply(const schema::Object& object, const WriteOp& op, json& j) {
  std::string stamp = NextStamp();
  if (IsSalesforce(system_)) {
    if (op.kind == WriteOp::Kind::kDelete) j["IsDeleted"] = true;
    for (const auto& [slot, text] : op.fields)
      j[object.fields[slot].name] = WireJson(system_, object.fields[slot], text);
    j["SystemModstamp"] = stamp;
    j["LastModifiedDate"] = stamp;
    return;
  }
  if (op.kind == WriteOp::Kind::kDelete) j["archived"] = true;
  json& props = j["properties"];
  if (!props.is_object()) props = json::object();
  for (const auto& [slot, text] : op.fields)
    props[object.fields[slot].name] = WireJson(system_, object.fields[slot], text);
  props[object.name == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate"] = stamp;
  j["updatedAt"] = stamp;
  for (const auto& [type, ids] : op.add_associations) {
    json& list = j["associations"][type];
    if (!list.is_array()) list = json::array();
    for (const std::string& id : ids)
      if (std::find(list.begin(), list.end(), json(id)) == list.end()) list.push_back(id);
  }
}

base::Status JsonlConnector::Append(const std::string& object, Table& t, const std::vector<std::string>& ids) {
  if (dir_.empty() || dry_run_ || ids.empty()) return base::Status::Ok();
  std::error_code ec;
  fs::create_directories(dir_, ec);
  std::string path = Path(object);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return base::Status::Error("cannot write " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != t.size) {
    // someone else appended since it was read: those lines first, then ours after them
    ::close(fd);
    auto read = Scan(object, t);
    if (!read) return read.status();
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return base::Status::Error("cannot write " + path + ": " + std::strerror(errno));
  }
  std::string buf;
  struct Placed {
    const std::string* id;
    uint64_t at;
    size_t length;
  };
  std::vector<Placed> placed;  // (a record written twice in a batch: its last line is its state)
  for (const std::string& id : ids) {
    const std::string& text = t.texts[id];
    placed.push_back({&id, t.size + buf.size(), text.size()});
    buf += text;
    buf += '\n';
  }
  bool ok = true;
  for (size_t done = 0; ok && done < buf.size();) {
    ssize_t n = ::write(fd, buf.data() + done, buf.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  std::string why = ok ? "" : std::strerror(errno);
  ok &= ::close(fd) == 0;
  if (!ok) return base::Status::Error("cannot write " + path + (why.empty() ? "" : ": " + why));
  // the records now live in the file: memory keeps where
  for (const Placed& p : placed) {
    Entry& e = t.records[*p.id];
    e.offset = static_cast<int64_t>(p.at);
    e.length = static_cast<uint32_t>(p.length);
    e.line = static_cast<uint32_t>(++t.lines);
    t.texts.erase(*p.id);
  }
  t.size += buf.size();
  t.print = Fingerprint(object, t.size);
  return base::Status::Ok();
}

std::vector<WriteResult> JsonlConnector::Write(const schema::Object& object, const std::vector<WriteOp>& ops) {
  std::vector<WriteResult> results;
  results.reserve(ops.size());
  auto opened = Open(object);
  Table& t = opened ? **opened : tables_[object.name];  // not read: every write fails below
  std::string error = opened ? "" : opened.status().message;
  size_t batch = static_cast<size_t>(batch_size());
  // creates that upsert: the live records by their value of the upsert field (built at the first)
  std::string upsert_field;
  std::unordered_map<std::string, std::string> by_upsert_value;
  for (size_t start = 0; start < ops.size(); start += batch) {
    size_t end = std::min(ops.size(), start + batch);
    // one call per kind of operation in the batch, as the APIs' batch endpoints
    bool kinds[3] = {false, false, false};
    for (size_t i = start; i < end; ++i) kinds[static_cast<int>(ops[i].kind)] = true;
    calls_.writes += kinds[0] + kinds[1] + kinds[2];
    std::vector<std::string> stored;
    for (size_t i = start; i < end; ++i) {
      const WriteOp& op = ops[i];
      // the record written, when it exists ("": a new one)
      std::string rid = op.kind != WriteOp::Kind::kCreate && t.records.count(op.id) ? op.id : "";
      // a create that upserts updates the live record that already has its value, as the APIs do
      const Text* key = UpsertValue(object, op);
      if (key && upsert_field != op.upsert_field && error.empty()) {
        upsert_field = op.upsert_field;
        by_upsert_value.clear();
        const schema::Field* f = object.FindField(upsert_field);
        size_t slot = static_cast<size_t>(f - object.fields.data());
        Record rec;
        std::string problem;
        t.records.each([&](std::string_view id, const Entry&) {
          auto text = TextOf(object.name, t, std::string(id));
          if (text && ToRecord(object, *text, &rec, &problem) && !rec.deleted && !IsBlank(rec.values[slot]))
            by_upsert_value.emplace(*rec.values[slot], id);
        });
      }
      if (key)
        if (auto u = by_upsert_value.find(**key); u != by_upsert_value.end() && t.records.count(u->second))
          rid = u->second;
      std::optional<json> existing;
      if (!rid.empty()) {
        auto text = TextOf(object.name, t, rid);
        json j = text ? json::parse(*text, nullptr, false) : json();
        if (j.is_object()) existing = std::move(j);
      }
      WriteResult r = Validate(object, op, existing ? &*existing : nullptr);
      if (!error.empty()) r = WriteResult{false, op.id, "UNKNOWN", error, true, std::nullopt};
      // a dry run keeps its writes in memory (later reads in the pass see them) and never appends
      if (r.ok) {
        json j;
        if (op.kind == WriteOp::Kind::kCreate && !existing) {
          r.id = NewId(object, t);
          if (key) by_upsert_value.emplace(**key, r.id);
          j = json::object();
          if (IsSalesforce(system_)) {
            j["Id"] = r.id;
            j["IsDeleted"] = false;
          } else {
            j["id"] = r.id;
            j["properties"] = json::object();
            j["archived"] = false;
          }
          Apply(object, op, j);
          if (!IsSalesforce(system_)) j["properties"]["hs_object_id"] = r.id;
          rid = r.id;
        } else {
          if (op.kind == WriteOp::Kind::kCreate) r.id = rid;  // upserted into this record
          j = std::move(*existing);
          Apply(object, op, j);
        }
        std::string& text = t.texts[rid] = j.dump(-1, ' ', false, json::error_handler_t::replace);
        t.records[rid] = Entry{-1, 0, 0, StampOf(text)};
        stored.push_back(rid);
        if (op.kind != WriteOp::Kind::kDelete) {
          Record rec;
          std::string problem;
          if (ToRecord(object, t.texts[rid], &rec, &problem)) r.stored = std::move(rec);
        }
      }
      results.push_back(std::move(r));
    }
    if (base::Status st = Append(object.name, t, stored); !st) {
      // the batch was not stored: nothing of it is acknowledged
      for (size_t i = start; i < end; ++i)
        results[i] = WriteResult{false, ops[i].id, "UNKNOWN", st.message, true, std::nullopt};
    }
  }
  return results;
}

std::string JsonlConnector::Put(const schema::Object& object, json j) {
  auto opened = Open(object);
  Table& t = opened ? **opened : tables_[object.name];
  const char* id_key = IsSalesforce(system_) ? "Id" : "id";
  std::string id = j.contains(id_key) && j[id_key].is_string() ? j[id_key].get<std::string>() : NewId(object, t);
  j[id_key] = id;
  NoteId(t, id);
  t.texts[id] = j.dump(-1, ' ', false, json::error_handler_t::replace);
  t.records[id] = Entry{-1, 0, 0, StampOf(t.texts[id])};
  return id;
}

std::optional<json> JsonlConnector::Get(const std::string& object, const std::string& id) const {
  auto t = tables_.find(object);
  if (t == tables_.end()) return std::nullopt;
  if (!t->second.records.count(id)) return std::nullopt;
  auto text = TextOf(object, t->second, id);
  if (!text) return std::nullopt;
  return json::parse(*text, nullptr, false);
}

std::vector<json> JsonlConnector::All(const std::string& object) const {
  std::vector<json> out;
  auto t = tables_.find(object);
  if (t == tables_.end()) return out;
  t->second.records.each([&](std::string_view id, const Entry&) {
    if (auto text = TextOf(object, t->second, std::string(id))) out.push_back(json::parse(*text, nullptr, false));
  });
  return out;
}

int64_t JsonlConnector::StampOf(std::string_view text) const {
  namespace od = simdjson::ondemand;
  simdjson::padded_string padded(text);
  od::document doc;
  od::object obj;
  if (parser_.iterate(padded).get(doc) || doc.get_object().get(obj)) return kUnknownStamp;
  // as ToRecord reads it: Salesforce SystemModstamp; HubSpot the last lastmodifieddate or
  // hs_lastmodifieddate property, else updatedAt. Anything but a string: unknown.
  std::optional<std::string> stamp, updated_at;
  bool unknown = false;
  for (auto member : obj) {
    std::string_view key, sv;
    od::value v;
    if (member.unescaped_key().get(key) || member.value().get(v)) return kUnknownStamp;
    if (IsSalesforce(system_) ? key == "SystemModstamp" : key == "updatedAt") {
      if (v.get_string().get(sv)) return kUnknownStamp;
      (IsSalesforce(system_) ? stamp : updated_at) = std::string(sv);
    } else if (!IsSalesforce(system_) && key == "properties") {
      od::object props;
      if (v.get_object().get(props)) return kUnknownStamp;
      for (auto p : props) {
        std::string_view name;
        od::value pv;
        if (p.unescaped_key().get(name) || p.value().get(pv)) return kUnknownStamp;
        if (name != "lastmodifieddate" && name != "hs_lastmodifieddate") continue;
        if (pv.is_null()) continue;
        if (pv.get_string().get(sv))
          unknown = true;
        else
          stamp = std::string(sv);
      }
    }
  }
  if (unknown) return kUnknownStamp;
  if (!IsSalesforce(system_) && (!stamp || stamp->empty())) stamp = updated_at;
  if (!stamp) return 0;  // no stamp: the engine reads the epoch (never changed since a cursor)
  std::optional<base::Instant> t = base::ParseTime(*stamp, base::kModstamp);
  return t ? t->ms() : 0;
}

std::string JsonlConnector::FeedPosition(const schema::Object& object) {
  auto t = tables_.find(object.name);
  if (dir_.empty() || t == tables_.end() || !t->second.print) return "";
  return std::to_string(t->second.size) + " " + std::to_string(*t->second.print);
}

base::Status JsonlConnector::ChangedIds(const schema::Object& object, int64_t since_ms, const std::string& position,
                                        std::vector<std::string>* ids, std::vector<ReadProblem>* problems) {
  auto opened = Open(object);
  if (!opened) return opened.status();
  const Table& t = **opened;
  // a position in this very file (it still starts with what was read then): the lines after it
  unsigned long long size = 0, print = 0;
  bool exact = !position.empty() && std::sscanf(position.c_str(), "%llu %llu", &size, &print) == 2 && size <= t.size &&
               Fingerprint(object.name, size) == std::optional<uint64_t>(print);
  t.records.each([&](std::string_view id, const Entry& e) {
    if (exact ? e.offset < 0 || static_cast<uint64_t>(e.offset) >= size : e.stamp_ms >= since_ms) ids->emplace_back(id);
  });
  std::vector<ReadProblem> found = Problems(object.name, t);
  problems->insert(problems->end(), found.begin(), found.end());
  return base::Status::Ok();
}

base::Status JsonlConnector::ReadByIds(const schema::Object& object, const std::vector<std::string>& ids,
                                       std::vector<Record>* out, std::vector<ReadProblem>* problems) {
  auto opened = Open(object);
  if (!opened) return opened.status();
  if (ids.empty()) return base::Status::Ok();
  calls_.reads += static_cast<int64_t>((ids.size() + 99) / 100);  // a batch read of 100 ids, as HubSpot's
  Table& t = **opened;
  const std::string path = Path(object.name);
  // the file through one mapping (as Load); each record read where the index says it is
  FileMap map(path, t.size);
  if (!map.ok()) return base::Status::Error("cannot read " + path + ": " + std::strerror(errno));
  base::Status status = base::Status::Ok();
  for (const std::string& id : ids) {
    const Entry* found = t.records.find(id);
    if (!found) continue;
    const Entry& e = *found;
    std::string_view text;
    if (e.offset < 0) text = t.texts[id];
    if (e.offset >= 0 && !map.Line(e.offset, e.length, &text)) {
      status = base::Status::Error(path + " changed while it was read; run again");
      break;
    }
    Record r;
    std::string problem;
    if (!ToRecord(object, text, &r, &problem) || r.id != id) {
      std::string where = path + (e.line ? ":" + std::to_string(e.line) : "");
      problems->push_back({id, where, where + ": record " + id + ": " + (problem.empty() ? "id differs" : problem)});
      continue;
    }
    out->push_back(std::move(r));
  }
  return status;
}

}  // namespace accord::sync
