// accord map PATH --sync NAME --to hubspot|salesforce [--engine interp|jit|auto] < in.jsonl > out.jsonl
//
// A one-way, stateless transform: each input line is a record of the sync's
// source side; each output line is the target side's values for it:
//   {"id":"<source id>","properties":{...}}   toward HubSpot (values as strings)
//   {"id":"<source id>","fields":{...}}       toward Salesforce (JSON scalars)
// Records a scope excludes are dropped. A record with a rule error is not
// written; its errors go to stderr as JSON lines. Malformed lines too.
// -j N maps chunks of lines on N threads and writes them in input order.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "cli/load.h"
#include "compiler/driver/driver.h"
#include "compiler/ir/lower.h"
#include "jit/runner.h"
#include "runtime/record.h"
#include "runtime/sync/engine.h"

namespace accord::cli {

namespace {

// The error log's category names (runtime/sync/engine.h declares the set).
const std::string kRuleErrorsName(sync::CategoryName(sync::Category::kRuleErrors));
const std::string kPropertyValuesName(sync::CategoryName(sync::Category::kPropertyValues));
const char* const kRuleErrors = kRuleErrorsName.c_str();
const char* const kPropertyValues = kPropertyValuesName.c_str();

struct MapArgs {
  std::vector<std::string> paths;
  std::string sync;
  std::string to;
  std::string engine = "auto";
  std::string input = "-";
  bool stats = false;
  int jobs = 1;
  JitCacheArgs jit_cache;
};

// An error line without its line number: written as {"line":N followed by `body`, once the
// writer knows where the record's chunk starts.
struct ErrorRec {
  size_t line;  // 1-based, within the chunk
  std::string body;
};

void ErrorBody(std::string& err, std::string_view id, const std::string& rule, const std::string& field,
               const std::string& message, const char* category) {
  err += ",\"id\":";
  rec::AppendJsonString(err, id);
  err += ",\"category\":\"";
  err += category;
  err += "\"";
  if (!rule.empty()) {
    err += ",\"rule\":";
    rec::AppendJsonString(err, rule);
  }
  if (!field.empty()) {
    err += ",\"field\":";
    rec::AppendJsonString(err, field);
  }
  err += ",\"error\":";
  rec::AppendJsonString(err, message);
  err += "}\n";
}

struct Counts {
  size_t lines = 0, written = 0, dropped = 0, failed = 0;
  void Add(const Counts& o) {
    lines += o.lines;
    written += o.written;
    dropped += o.dropped;
    failed += o.failed;
  }
};

// What mapping one chunk of lines produced, in input order.
struct ChunkResult {
  std::string out;
  std::vector<ErrorRec> errors;
  Counts counts;
  void Clear() {
    out.clear();
    errors.clear();
    counts = Counts{};
  }
};

constexpr size_t kChunk = size_t{1} << 20;  // bytes of input per chunk (about 2,000 W records)
constexpr size_t kPad = simdjson::SIMDJSON_PADDING;

// Reads the input as chunks of whole lines (the input's last line may lack its '\n'), each
// followed by at least simdjson's padding in the buffer.
class ChunkReader {
 public:
  explicit ChunkReader(FILE* f) : f_(f) {}
  // The next chunk into buf[0, *len); false at the end of the input.
  bool Next(std::string& buf, size_t* len) {
    size_t have = carry_.size();
    if (buf.size() < std::max(kChunk, have * 2) + kPad) buf.resize(std::max(kChunk, have * 2) + kPad);
    std::memcpy(buf.data(), carry_.data(), have);
    carry_.clear();
    for (;;) {
      if (eof_) {
        *len = have;
        return have > 0;
      }
      if (buf.size() - kPad == have) buf.resize(buf.size() * 2);  // a line longer than the buffer
      size_t n = std::fread(buf.data() + have, 1, buf.size() - kPad - have, f_);
      if (n == 0) {
        eof_ = true;
        continue;
      }
      const void* nl = memrchr(buf.data() + have, '\n', n);
      have += n;
      if (!nl) continue;  // the carried line goes on: read more behind it
      size_t end = static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) + 1;
      carry_.assign(buf.data() + end, have - end);
      *len = end;
      return true;
    }
  }

 private:
  FILE* f_;
  std::string carry_;  // the unfinished line after the last chunk
  bool eof_ = false;
};

// A copy of a value that shares no reference-counted object with the original.
rt::Value DeepCopy(const rt::Value& v) {
  switch (v.kind()) {
    case rt::Kind::kString:
    case rt::Kind::kBytes:
      if (v.raw().flags & rt::Value::kBorrowed) return v;
      return v.is(rt::Kind::kString) ? rt::Value::String(v.str()) : rt::Value::Bytes(v.str());
    case rt::Kind::kList: {
      std::vector<rt::Value> items;
      for (const auto& x : v.list()) items.push_back(DeepCopy(x));
      return rt::Value::List(std::move(items));
    }
    case rt::Kind::kMap: {
      std::vector<std::pair<rt::Value, rt::Value>> entries;
      for (const auto& [k, x] : v.map()) entries.emplace_back(DeepCopy(k), DeepCopy(x));
      return rt::Value::Map(std::move(entries));
    }
    case rt::Kind::kError:
      return rt::Value::Error(v.error_code(), v.error_message(), v.error_location());
    default:
      return v;
  }
}

// The program with constants and values tables of its own, for another thread (reference
// counts are not atomic). Code, names and locations are shared: nothing writes them.
std::unique_ptr<ir::Program> CopyForThread(const ir::Program& p) {
  auto c = std::make_unique<ir::Program>(p);
  for (auto& v : c->consts) v = DeepCopy(v);
  for (auto& t : c->tables) {
    auto own = std::make_shared<ir::ValueTable>(*t);
    for (auto& v : own->keys) v = DeepCopy(v);
    for (auto& v : own->values) v = DeepCopy(v);
    own->else_value = DeepCopy(own->else_value);
    t = std::move(own);
  }
  return c;
}

// Maps chunks of lines: the state of one thread (decoder, parser, registers). With `own`
// (a program copy) it runs through Runner::RunOn and may share the engine with other threads;
// without, through Runner::Run (which may compile: one thread only).
class Mapper {
 public:
  Mapper(const ir::Mapping& m, ast::Side to, jit::Runner& engine, int handle, std::unique_ptr<ir::Program> own)
      : m_(m),
        engine_(engine),
        handle_(handle),
        own_(std::move(own)),
        decoder_(*m.source),
        empty_slots_(m.target->fields.size()),
        out_(m.outs.size()),
        src_index_(m.from == ast::Side::kSalesforce ? 0 : 1),
        to_hubspot_(to == ast::Side::kHubSpot) {
    // decode only what the mapping program loads
    std::vector<bool> wanted(m.source->fields.size(), false);
    for (const ir::Instr& ins : m.program.code)
      if (ins.op == ir::Op::kLoadField && ins.b == src_index_ && ins.a < wanted.size()) wanted[ins.a] = true;
    decoder_.Want(std::move(wanted));
    // "name": of every output field, escaped once
    for (const auto& of : m.outs) {
      std::string k;
      rec::AppendJsonString(k, of.field->name);
      keys_.push_back(k + ":");
    }
  }

  // Maps the lines of buf[0, len); buf holds padding after len.
  void Chunk(const std::string& buf, size_t len, ChunkResult& r) {
    const char* base = buf.data();
    size_t pos = 0, line_no = 0;
    while (pos < len) {
      const char* nl = static_cast<const char*>(std::memchr(base + pos, '\n', len - pos));
      const char* line_end = nl ? nl : base + len;
      ++line_no;
      std::string_view line(base + pos, static_cast<size_t>(line_end - (base + pos)));
      pos = static_cast<size_t>(line_end - base) + 1;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank line
      Record(line, buf.size() - static_cast<size_t>(line.data() - base), line_no, r);
    }
    r.counts.lines += line_no;
  }

 private:
  void Error(ChunkResult& r, size_t line, std::string_view id, const std::string& rule, const std::string& field,
             const std::string& message, const char* category) {
    r.errors.push_back(ErrorRec{line, {}});
    ErrorBody(r.errors.back().body, id, rule, field, message, category);
  }

  void Record(std::string_view line, size_t capacity, size_t line_no, ChunkResult& r) {
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    derr_.clear();
    if (parser_.iterate(line.data(), line.size(), capacity).get(doc) || doc.get_object().get(obj) ||
        !base::Succeeded(decoder_.Decode(obj, slots_, &id_), &derr_)) {
      Error(r, line_no, "", "", "", derr_.empty() ? "malformed JSON record" : derr_, "Malformed");
      ++r.counts.failed;
      return;
    }
    records_[src_index_] = slots_.data();
    records_[1 - src_index_] = empty_slots_.data();
    ir::Inputs in{records_, out_.data()};
    rt::Value in_scope = own_ ? engine_.RunOn(handle_, *own_, frame_, in) : engine_.Run(handle_, frame_, in);
    if (in_scope.is_error()) {
      rt::Location l = in_scope.error_location();
      std::string rule = l.file ? std::string(l.file) + ":" + std::to_string(l.line) + ":" + std::to_string(l.col) : "";
      Error(r, line_no, id_, rule, "", in_scope.error_message(), kRuleErrors);
      ++r.counts.failed;
      return;
    }
    if (!in_scope.is(rt::Kind::kBool) || !in_scope.bool_value()) {
      ++r.counts.dropped;
      return;
    }
    std::string& buf = r.out;
    size_t mark = buf.size();
    buf += "{\"id\":";
    rec::AppendJsonString(buf, id_);
    buf += to_hubspot_ ? ",\"properties\":{" : ",\"fields\":{";
    const schema::System target_system = to_hubspot_ ? schema::System::kHubSpot : schema::System::kSalesforce;
    bool first_field = true, bad = false;
    for (size_t k = 0; k < out_.size(); ++k) {
      const rt::Value& v = out_[k];
      if (ir::IsSkip(v)) continue;
      const ir::OutField& of = m_.outs[k];
      if (v.is_error()) {
        const char* cat = v.error_code() == rt::ErrorCode::kRejected ? kPropertyValues : kRuleErrors;
        Error(r, line_no, id_, of.rule, of.field->name, v.error_message(), cat);
        bad = true;
        continue;
      }
      if (bad) continue;
      size_t before = buf.size();
      if (!first_field) buf += ',';
      buf += keys_[k];
      if (v.is(rt::Kind::kString)) {
        rec::AppendJsonString(buf, v.str());
      } else if (!base::Succeeded(rec::AppendFieldValue(target_system, *of.field, v, buf), &value_error_)) {
        buf.resize(before);
        Error(r, line_no, id_, of.rule, of.field->name, value_error_, "PropertyValues");
        bad = true;
        continue;
      }
      first_field = false;
    }
    // every out slot is written by every run that reaches the end: no reset
    if (bad) {
      buf.resize(mark);
      ++r.counts.failed;
    } else {
      buf += "}}\n";
      ++r.counts.written;
    }
  }

  const ir::Mapping& m_;
  jit::Runner& engine_;
  int handle_;
  std::unique_ptr<ir::Program> own_;
  simdjson::ondemand::parser parser_;
  rec::Decoder decoder_;
  std::vector<rt::Value> slots_, empty_slots_, out_;
  const rt::Value* records_[2] = {nullptr, nullptr};
  int src_index_;
  bool to_hubspot_;
  ir::Frame frame_;
  std::string id_, derr_, value_error_;
  std::vector<std::string> keys_;
};

// Writes one chunk's results in order; `line_base` is the number of lines before the chunk.
class Writer {
 public:
  void Write(const ChunkResult& r) {
    std::fwrite(r.out.data(), 1, r.out.size(), stdout);
    if (!r.errors.empty()) {
      err_.clear();
      for (const ErrorRec& e : r.errors) {
        err_ += "{\"line\":" + std::to_string(line_base_ + e.line);
        err_ += e.body;
      }
      std::fwrite(err_.data(), 1, err_.size(), stderr);
    }
    line_base_ += r.counts.lines;
    total.Add(r.counts);
  }
  Counts total;

 private:
  size_t line_base_ = 0;
  std::string err_;
};

// One thread: read a chunk, map it, write it.
void MapSerial(ChunkReader& reader, Mapper& mapper, Writer& writer) {
  std::string buf;
  size_t len;
  ChunkResult r;
  while (reader.Next(buf, &len)) {
    r.Clear();
    mapper.Chunk(buf, len, r);
    writer.Write(r);
  }
}

// `mappers.size()` worker threads map chunks while this thread reads the input and writes
// the results in input order; at most two chunks per worker are in flight.
void MapParallel(ChunkReader& reader, std::vector<std::unique_ptr<Mapper>>& mappers, Writer& writer) {
  struct Task {
    std::string buf;
    size_t len = 0;
    ChunkResult result;
    bool done = false;
  };
  std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::deque<Task*> todo;
  bool stop = false;
  std::vector<std::thread> threads;
  for (auto& mp : mappers) {
    Mapper* mapper = mp.get();
    threads.emplace_back([&, mapper] {
      for (;;) {
        Task* t;
        {
          std::unique_lock<std::mutex> lock(mu);
          work_cv.wait(lock, [&] { return stop || !todo.empty(); });
          if (todo.empty()) return;
          t = todo.front();
          todo.pop_front();
        }
        mapper->Chunk(t->buf, t->len, t->result);
        {
          std::lock_guard<std::mutex> lock(mu);
          t->done = true;
        }
        done_cv.notify_one();
      }
    });
  }
  std::deque<std::unique_ptr<Task>> in_flight;  // in input order
  std::vector<std::unique_ptr<Task>> spare;     // finished tasks, buffers kept for reuse
  const size_t max_in_flight = 2 * mappers.size();
  bool more = true;
  for (;;) {
    // write what is finished at the front
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (in_flight.empty() || !in_flight.front()->done) break;
      }
      std::unique_ptr<Task> t = std::move(in_flight.front());
      in_flight.pop_front();
      writer.Write(t->result);
      spare.push_back(std::move(t));
    }
    if (more && in_flight.size() < max_in_flight) {
      std::unique_ptr<Task> t;
      if (spare.empty()) {
        t = std::make_unique<Task>();
      } else {
        t = std::move(spare.back());
        spare.pop_back();
      }
      if (!reader.Next(t->buf, &t->len)) {
        more = false;
        continue;
      }
      t->result.Clear();
      t->done = false;
      Task* raw = t.get();
      in_flight.push_back(std::move(t));
      {
        std::lock_guard<std::mutex> lock(mu);
        todo.push_back(raw);
      }
      work_cv.notify_one();
      continue;
    }
    if (!more && in_flight.empty()) break;
    std::unique_lock<std::mutex> lock(mu);
    done_cv.wait(lock, [&] { return in_flight.front()->done; });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  work_cv.notify_all();
  for (auto& th : threads) th.join();
}

// The number of lines of a regular file, estimated from its size and its first 64 KB (0: not
// a regular file, or empty). Reads with pread: the file's position does not move.
uint64_t EstimateLines(FILE* f) {
  struct stat st;
  int fd = fileno(f);
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return 0;
  std::string head(std::min<size_t>(65536, static_cast<size_t>(st.st_size)), '\0');
  ssize_t n = pread(fd, head.data(), head.size(), 0);
  if (n <= 0) return 0;
  size_t lines = static_cast<size_t>(std::count(head.begin(), head.begin() + n, '\n'));
  if (lines == 0) return 1;  // one long line so far: at least one record
  return static_cast<uint64_t>(static_cast<double>(st.st_size) * static_cast<double>(lines) / static_cast<double>(n));
}

int RunMap(const MapArgs& a) {
  jit::EngineKind kind;
  if (!jit::ParseEngineKind(a.engine, &kind)) {
    std::cerr << "accord map: --engine must be interp, jit or auto\n";
    return kUsage;
  }
  if (a.jobs < 1 || a.jobs > 256) {
    std::cerr << "accord map: -j must be between 1 and 256\n";
    return kUsage;
  }
  ast::Side to = a.to == "salesforce" ? ast::Side::kSalesforce : ast::Side::kHubSpot;
  driver::RuleSet set;
  if (int code = LoadCheckedRules(a.paths, "map", set); code != kOk) return code;
  ir::CompiledRules rules = ir::LowerRules(set.model);
  const ir::CompiledSync* sync = rules.Find(a.sync);
  if (!sync) {
    std::cerr << "accord map: no sync named '" << a.sync << "'; syncs:";
    for (const auto& s : rules.syncs) std::cerr << " " << s.name;
    std::cerr << "\n";
    return kUsage;
  }
  const ir::Mapping* m = sync->Toward(to);
  if (!m) {
    std::cerr << "accord map: sync '" << a.sync << "' does not flow toward " << a.to << "\n";
    return kUsage;
  }
  ApplyJitCacheOptions(a.jit_cache);
  jit::Runner engine(kind);
  int handle = engine.Add(&m->program);
  FILE* in_file = a.input == "-" ? stdin : std::fopen(a.input.c_str(), "rb");
  if (!in_file) {
    std::cerr << "accord map: cannot read " << a.input << "\n";
    return kUsage;
  }
  // `auto` compiles only when the input repays it: a regular file's size tells how many
  // records come (unknown on a pipe: the program compiles once it is hot)
  uint64_t expected = kind == jit::EngineKind::kAuto ? EstimateLines(in_file) : 0;
  engine.set_expected_runs(expected);
  // threads share the compiled code: `auto` compiles before the first record; on one thread
  // it interprets while the program compiles on a background thread
  if (a.jobs > 1 && kind == jit::EngineKind::kAuto) {
    if (expected == 0 || expected >= jit::Runner::kColdBreakEven)
      engine.CompileAll();
    else if (expected >= jit::Runner::kWarmBreakEven)
      engine.CompileAll(/*only_cached=*/true);
  }
  engine.set_background_compile(true);
  for (const auto& w : engine.TakeWarnings()) std::cerr << "accord map: warning: " << w << "\n";
  auto start = std::chrono::steady_clock::now();
  ChunkReader reader(in_file);
  Writer writer;
  if (a.jobs == 1) {
    Mapper mapper(*m, to, engine, handle, nullptr);
    MapSerial(reader, mapper, writer);
  } else {
    std::vector<std::unique_ptr<Mapper>> mappers;
    for (int i = 0; i < a.jobs; ++i)
      mappers.push_back(std::make_unique<Mapper>(*m, to, engine, handle, CopyForThread(m->program)));
    MapParallel(reader, mappers, writer);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  if (in_file != stdin) std::fclose(in_file);
  for (const auto& w : engine.TakeWarnings()) std::cerr << "accord map: warning: " << w << "\n";
  const Counts& c = writer.total;
  if (a.stats) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr,
                 "accord map: %zu lines, %zu written, %zu out of scope, %zu with errors in %.3f s (%.0f records/s, "
                 "engine %s%s, %d thread%s, JIT compile %.1f ms%s%s)\n",
                 c.lines, c.written, c.dropped, c.failed, secs, secs > 0 ? c.lines / secs : 0.0, a.engine.c_str(),
                 engine.is_native(handle) ? ", native" : ", interpreted", a.jobs, a.jobs == 1 ? "" : "s",
                 engine.compile_ms(), engine.cache_stats().hits > 0 ? " from the JIT cache" : "",
                 expected > 0 ? (", auto expected ~" + std::to_string(expected) + " records").c_str() : "");
  }
  return c.failed > 0 ? kFindings : kOk;
}

}  // namespace

void AddJitCacheOptions(CLI::App* cmd, JitCacheArgs& a) {
  cmd->add_option("--jit-cache", a.dir,
                  "folder of the JIT's object-code cache (default: $ACCORD_JIT_CACHE, else "
                  "$XDG_CACHE_HOME/accord/jit or ~/.cache/accord/jit)");
  cmd->add_flag("--no-jit-cache", a.off, "compile without reading or writing the JIT cache");
}

void ApplyJitCacheOptions(const JitCacheArgs& a) {
  jit::SetDefaultCacheDir(a.off ? "" : !a.dir.empty() ? a.dir : jit::StandardCacheDir());
}

void RegisterMap(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<MapArgs>();
  auto* cmd = app.add_subcommand("map", "Transform records of one side into the other side's values (stateless)");
  cmd->footer(
      "Reads JSON Lines records of the sync's source side from stdin (or --input) and writes one line per\n"
      "record in scope: {\"id\":...,\"properties\":{...}} toward HubSpot, {\"id\":...,\"fields\":{...}} toward\n"
      "Salesforce. Errors go to stderr as JSON lines. Exit status: 0 all records mapped, 1 some records had\n"
      "errors (the others are written), 2 usage or I/O failure.");
  cmd->add_option("PATH", args->paths, "rule files or folders");
  cmd->add_option("--sync", args->sync, "the sync whose rules to apply")->required();
  cmd->add_option("--to", args->to, "the target side")->required()->check(CLI::IsMember({"hubspot", "salesforce"}));
  cmd->add_option("--engine", args->engine, "interp, jit or auto (default: auto)")
      ->check(CLI::IsMember({"interp", "jit", "auto"}));
  cmd->add_option("--input", args->input, "read records from this file instead of stdin");
  cmd->add_flag("--stats", args->stats, "print counts and throughput to stderr");
  cmd->add_option("-j,--jobs", args->jobs,
                  "map on N threads (default 1); the output keeps the input's order and is the same for any N");
  AddJitCacheOptions(cmd, args->jit_cache);
  cmd->callback([args, &exit_code] { exit_code = RunMap(*args); });
}

}  // namespace accord::cli
