#include "compiler/driver/driver.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace accord::driver {

namespace fs = std::filesystem;

bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    *error = "cannot read " + path + ": it is a folder, and a folder named *.accord is not searched; rename it";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *error = "error while reading " + path;
    return false;
  }
  *out = std::move(ss).str();
  return true;
}

bool CollectRuleFiles(const std::vector<std::string>& paths, std::vector<std::string>* files, std::string* error) {
  std::set<std::string> seen;
  for (const std::string& p : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      *error = "no such file or folder: " + p;
      return false;
    }
    if (fs::is_directory(st)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
      if (ec) {
        *error = "cannot list " + p + ": " + ec.message();
        return false;
      }
      for (; it != end; it.increment(ec)) {
        if (ec) {
          *error = "cannot list " + p + ": " + ec.message();
          return false;
        }
        std::string name = it->path().filename().string();
        bool rules_name = it->path().extension() == ".accord";
        if (it->is_directory(ec)) {
          if (name == "build" || name == "node_modules" || (!name.empty() && name[0] == '.') || rules_name)
            it.disable_recursion_pending();
          // A folder named *.accord is listed so that ParseFiles reports it (A0007).
          if (!rules_name) continue;
        }
        if (rules_name) found.push_back(it->path().lexically_normal().string());
      }
      std::sort(found.begin(), found.end());
      for (auto& f : found)
        if (seen.insert(f).second) files->push_back(f);
    } else {
      std::string n = fs::path(p).lexically_normal().string();
      if (seen.insert(n).second) files->push_back(n);
    }
  }
  return true;
}

bool ParseFiles(const std::vector<std::string>& paths, const Options& options, RuleSet& set, DiagSink& sink,
                std::string* io_error) {
  std::vector<std::string> files, on_disk;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (options.overlay.count(p) && !fs::exists(p, ec))
      files.push_back(p);
    else
      on_disk.push_back(p);
  }
  if (!CollectRuleFiles(on_disk, &files, io_error)) return false;
  for (const std::string& path : files) {
    std::string text, read_error;
    if (auto it = options.overlay.find(path); it != options.overlay.end()) {
      text = it->second;
    } else if (!ReadFile(path, &text, &read_error)) {
      // One unreadable file does not stop the others from being checked.
      set.sources.push_back(std::make_unique<SourceFile>(path, ""));
      sink.Report(DiagCode::kUnreadable, set.sources.back().get(), Range{}, read_error);
      syntax::ParseResult failed;
      failed.file = std::make_unique<ast::File>();
      failed.file->source = set.sources.back().get();
      failed.syntax_errors = 1;
      set.parsed.push_back(std::move(failed));
      set.all_parsed = false;
      continue;
    }
    set.sources.push_back(std::make_unique<SourceFile>(path, std::move(text)));
    set.parsed.push_back(syntax::Parse(*set.sources.back(), options.parse, sink));
    if (set.parsed.back().syntax_errors > 0) set.all_parsed = false;
  }
  return true;
}

namespace {

// Schema folders: those the files declare (relative to the declaring file),
// else <folder>/schemas/<system> next to the rules.
void LoadSchemas(const std::vector<std::string>& paths, RuleSet& set, DiagSink& sink) {
  std::vector<std::string> dirs[2];
  std::set<std::string> seen[2];
  for (size_t i = 0; i < set.sources.size(); ++i) {
    const ast::File& file = *set.parsed[i].file;
    for (const auto& d : file.decls) {
      auto* sd = std::get_if<ast::SchemaDecl>(&d);
      if (!sd) continue;
      int side = sd->side == ast::Side::kSalesforce ? 0 : 1;
      fs::path dir = fs::path(set.sources[i]->path()).parent_path() / sd->path;
      std::error_code ec;
      if (!fs::is_directory(dir, ec)) {
        sink.Report(DiagCode::kNoSchema, set.sources[i].get(), sd->path_range,
                    "schema folder " + dir.lexically_normal().string() + " does not exist");
        continue;
      }
      std::string key = fs::weakly_canonical(dir, ec).string();
      if (seen[side].insert(key).second) dirs[side].push_back(dir.lexically_normal().string());
    }
  }
  for (int side = 0; side < 2; ++side) {
    if (!dirs[side].empty()) continue;
    const char* name = side == 0 ? "salesforce" : "hubspot";
    for (const std::string& p : paths) {
      std::error_code ec;
      fs::path base = fs::is_directory(p, ec) ? fs::path(p) : fs::path(p).parent_path();
      fs::path dir = base / "schemas" / name;
      if (fs::is_directory(dir, ec)) {
        std::string key = fs::weakly_canonical(dir, ec).string();
        if (seen[side].insert(key).second) dirs[side].push_back(dir.lexically_normal().string());
      }
    }
  }
  for (int side = 0; side < 2; ++side) {
    for (const std::string& dir : dirs[side]) {
      std::vector<schema::SchemaError> errors;
      schema::LoadSchemaDir(side == 0 ? schema::System::kSalesforce : schema::System::kHubSpot, dir, set.schemas,
                            errors);
      set.schema_dirs[side].push_back(dir);
      // One SourceFile per schema file with errors; with its text when an
      // error knows its bytes, so that it shows line, column and snippet.
      std::map<std::string, const SourceFile*> files;
      for (const auto& e : errors) {
        const SourceFile*& file = files[e.path];
        if (!file || (e.begin != schema::SchemaError::kNoOffset && file->text().empty())) {
          std::string text, unused;
          if (e.begin != schema::SchemaError::kNoOffset) ReadFile(e.path, &text, &unused);
          set.schema_files.push_back(std::make_unique<SourceFile>(e.path, std::move(text)));
          file = set.schema_files.back().get();
        }
        Range r{};
        if (e.begin != schema::SchemaError::kNoOffset && e.begin <= file->text().size())
          r = Range{e.begin, std::min<uint32_t>(e.end, static_cast<uint32_t>(file->text().size()))};
        sink.Report(e.shape ? DiagCode::kSchemaShape : DiagCode::kSchemaError, file, r, e.message);
      }
    }
  }
}

}  // namespace

bool LoadAndCheck(const std::vector<std::string>& paths, const Options& options, RuleSet& set, DiagSink& sink,
                  std::string* io_error) {
  base::PhaseClock clock;  // --timings
  // 1. Read and parse every rule file.
  {
    base::ScopedPhase t(&clock, "read + parse");
    if (!ParseFiles(paths, options, set, sink, io_error)) return false;
  }
  // 2. Load the schemas the files name.
  {
    base::ScopedPhase t(&clock, "load schemas");
    LoadSchemas(paths, set, sink);
  }
  // 3. Resolve names, check types and rules. Files with syntax errors are
  //    left out: their partial ASTs would only produce follow-on noise.
  sema::CheckInput input;
  for (const auto& p : set.parsed)
    if (p.syntax_errors == 0) input.files.push_back(p.file.get());
  input.schemas = &set.schemas;
  input.have_salesforce_schema = !set.schemas.Objects(schema::System::kSalesforce).empty();
  input.have_hubspot_schema = !set.schemas.Objects(schema::System::kHubSpot).empty();
  {
    base::ScopedPhase t(&clock, "check");
    set.model = sema::Check(input, sink);
  }
  set.timings = clock.timings();
  // 4. Deterministic order for every output format.
  sink.Sort();
  return true;
}

}  // namespace accord::driver
