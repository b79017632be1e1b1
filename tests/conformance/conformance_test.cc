// The CEL conformance suite (exported by export.mjs from @bufbuild/cel-spec)
// run under both engines. Every case is parsed, type-checked unless the case
// disables checking, lowered, then evaluated by the interpreter and by the
// JIT; the two must agree exactly (differential test), and each is compared
// with the expected value / error / deduced type.
//
//   conformance_test CASES.jsonl SKIP.txt [--report FILE.md] [--min-pass N] [--verbose]
//
// SKIP.txt: "suite" or "suite/section" or "suite/section/name", then " # reason".
// Exit 1 when the engines disagree on any case, or fewer than N cases pass
// under either engine (a ratchet: raise N as conformance improves).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "compiler/ir/lower.h"
#include "compiler/syntax/parser.h"
#include "jit/runner.h"

using accord::rt::Kind;
using accord::rt::Value;
using nlohmann::json;

namespace {

std::string Base64Decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    size_t p = chars.find(c);
    if (p == std::string::npos) continue;
    val = (val << 6) + static_cast<int>(p);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

bool Decode(const json& v, Value* out, std::string* why) {
  if (!v.is_object() || v.size() != 1) {
    *why = "bad value encoding";
    return false;
  }
  auto it = v.begin();
  const std::string& k = it.key();
  const json& x = it.value();
  if (k == "null")
    *out = Value::Null();
  else if (k == "bool")
    *out = Value::Bool(x.get<bool>());
  else if (k == "int")
    *out = Value::Int(std::stoll(x.get<std::string>()));
  else if (k == "uint")
    *out = Value::Uint(std::stoull(x.get<std::string>()));
  else if (k == "double") {
    if (x.is_string()) {
      std::string s = x.get<std::string>();
      *out = Value::Double(s == "NaN" ? NAN : s == "Infinity" ? INFINITY : s == "-Infinity" ? -INFINITY : -0.0);
    } else {
      *out = Value::Double(x.get<double>());
    }
  } else if (k == "string")
    *out = Value::String(x.get<std::string>());
  else if (k == "bytes")
    *out = Value::Bytes(Base64Decode(x.get<std::string>()));
  else if (k == "list") {
    std::vector<Value> items;
    for (const auto& e : x) {
      Value ev;
      if (!Decode(e, &ev, why)) return false;
      items.push_back(ev);
    }
    *out = Value::List(std::move(items));
  } else if (k == "map") {
    std::vector<std::pair<Value, Value>> entries;
    for (const auto& e : x) {
      Value kv, vv;
      if (!Decode(e[0], &kv, why) || !Decode(e[1], &vv, why)) return false;
      entries.emplace_back(kv, vv);
    }
    *out = Value::Map(std::move(entries));
  } else if (k == "type") {
    static std::set<std::string> names;  // keeps type names alive
    std::string n = x.get<std::string>();
    if (n == "timestamp") n = "google.protobuf.Timestamp";
    if (n == "duration") n = "google.protobuf.Duration";
    *out = Value::Type(names.insert(n).first->c_str());
  } else if (k == "timestamp") {
    int64_t s;
    int32_t n;
    if (!accord::rt::ParseTimestamp(x.get<std::string>(), &s, &n)) {
      *why = "bad timestamp";
      return false;
    }
    *out = Value::Timestamp(s, n);
  } else if (k == "duration") {
    int64_t s;
    int32_t n;
    if (!accord::rt::ParseDuration(x.get<std::string>(), &s, &n)) {
      *why = "bad duration";
      return false;
    }
    *out = Value::Duration(s, n);
  } else {
    *why = "unsupported value kind " + k;
    return false;
  }
  return true;
}

// Exact equality for test results: kinds must match (1 != 1u here), doubles
// compare bitwise-ish (NaN == NaN), containers deeply.
bool Same(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kDouble: {
      double x = a.double_value(), y = b.double_value();
      if (std::isnan(x) && std::isnan(y)) return true;
      return x == y && std::signbit(x) == std::signbit(y);
    }
    case Kind::kList: {
      if (a.list().size() != b.list().size()) return false;
      for (size_t i = 0; i < a.list().size(); ++i)
        if (!Same(a.list()[i], b.list()[i])) return false;
      return true;
    }
    case Kind::kMap: {
      if (a.map().size() != b.map().size()) return false;
      for (const auto& [k, v] : a.map()) {
        bool found = false;
        for (const auto& [k2, v2] : b.map())
          if (Same(k, k2)) {
            found = Same(v, v2);
            break;
          }
        if (!found) return false;
      }
      return true;
    }
    case Kind::kError:
      return true;
    case Kind::kType:
      return std::string_view(a.type_name()) == b.type_name();
    default:
      return accord::rt::Equal(a, b);
  }
}

struct Tally {
  int run = 0, pass_interp = 0, pass_jit = 0, type_checked = 0, type_match = 0, skipped = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: conformance_test CASES.jsonl SKIP.txt [--report FILE] [--min-pass N] [--verbose]\n";
    return 2;
  }
  std::string cases_path = argv[1], skip_path = argv[2], report_path;
  int min_pass = 0;
  bool verbose = false;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--report" && i + 1 < argc)
      report_path = argv[++i];
    else if (a == "--min-pass" && i + 1 < argc)
      min_pass = std::stoi(argv[++i]);
    else if (a == "--verbose")
      verbose = true;
  }
  std::map<std::string, std::string> skips;
  {
    std::ifstream in(skip_path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      size_t hash = line.find(" #");
      std::string key = line.substr(0, hash);
      while (!key.empty() && key.back() == ' ') key.pop_back();
      skips[key] = hash == std::string::npos ? "" : line.substr(hash + 2);
    }
  }
  std::ifstream in(cases_path);
  if (!in) {
    std::cerr << "conformance_test: cannot read " << cases_path << "\n";
    return 2;
  }
  accord::jit::Runner jit(accord::jit::EngineKind::kJit);
  std::map<std::string, Tally> per_file;
  std::map<std::string, int> skip_reasons;
  int disagreements = 0, total = 0, needs_proto = 0;
  std::vector<std::unique_ptr<accord::ir::Program>> keep_alive;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    json c = json::parse(line, nullptr, false);
    if (c.is_discarded()) continue;
    ++total;
    std::string file = c["file"], section = c["section"], name = c["name"];
    std::string id = file + "/" + section + "/" + name;
    Tally& t = per_file[file];
    if (c.value("needs_proto", false)) ++needs_proto;
    std::string reason;
    if (c.contains("skip_reason"))
      reason = c["skip_reason"];
    else if (skips.count(file))
      reason = skips[file];
    else if (skips.count(file + "/" + section))
      reason = skips[file + "/" + section];
    else if (skips.count(id))
      reason = skips[id];
    if (!reason.empty()) {
      ++t.skipped;
      ++skip_reasons[reason];
      continue;
    }
    ++t.run;
    auto fail = [&](const std::string& engine, const std::string& why) {
      if (verbose)
        std::cout << "FAIL [" << engine << "] line " << line_no << " " << id << ": " << why << "\n    "
                  << c["expr"].get<std::string>() << "\n";
    };
    accord::SourceFile src("<conformance>", c["expr"].get<std::string>());
    accord::DiagSink sink(10);
    auto parsed = accord::syntax::ParseExpression(src, accord::syntax::ParseOptions{}, sink);
    if (!parsed.expr) {
      std::string msg = sink.diagnostics().empty() ? "" : sink.diagnostics()[0].message;
      fail("parse", msg);
      continue;
    }
    // bindings and declarations
    std::vector<std::string> params;
    std::vector<Value> args;
    accord::sema::ExprEnv env;
    bool bad = false;
    for (const auto& d : c["type_env"]) {
      accord::sema::Type ty;
      std::string tn = d["type"];
      if (!accord::sema::ParseType(tn, &ty)) ty = accord::sema::Type::Of(accord::sema::TypeKind::kDyn);
      env.vars.emplace_back(d["name"], ty);
    }
    for (auto it = c["bindings"].begin(); it != c["bindings"].end(); ++it) {
      Value v;
      std::string why;
      if (!Decode(it.value(), &v, &why)) {
        fail("setup", why);
        bad = true;
        break;
      }
      params.push_back(it.key());
      args.push_back(v);
      bool declared = false;
      for (const auto& [n, ty] : env.vars) declared |= n == it.key();
      if (!declared) env.vars.emplace_back(it.key(), accord::sema::Type::Of(accord::sema::TypeKind::kDyn));
    }
    if (bad) continue;
    for (const auto& [n, ty] : env.vars)
      if (std::find(params.begin(), params.end(), n) == params.end()) {
        params.push_back(n);
        args.push_back(Value::Error(accord::rt::ErrorCode::kNoSuchField, "unbound variable " + n));
      }
    accord::sema::Model model;
    bool check = !c.value("disable_check", false);
    if (check) {
      accord::DiagSink csink(10);
      accord::sema::Type ty = accord::sema::CheckExpression(*parsed.expr, *parsed.file, env, model, csink);
      if (csink.error_count() > 0) {
        bool expect_error = c["expect"].contains("error");
        // A check-time error where an evaluation error is expected still rejects the expression.
        if (expect_error) {
          ++t.pass_interp;
          ++t.pass_jit;
        } else {
          fail("check", csink.diagnostics()[0].message);
        }
        continue;
      }
      if (c.contains("deduced_type")) {
        ++t.type_checked;
        std::string want = c["deduced_type"];
        std::string got = ty.ToString();
        if (want == got)
          ++t.type_match;
        else if (verbose)
          std::cout << "TYPE " << id << ": want " << want << ", got " << got << "\n";
      }
    }
    accord::ir::ExprEnv lenv;
    lenv.params = params;
    auto prog =
        std::make_unique<accord::ir::Program>(accord::ir::LowerExpression(*parsed.expr, *parsed.file, model, lenv));
    std::string verr = accord::ir::Verify(*prog);
    if (!verr.empty()) {
      fail("verify", verr);
      continue;
    }
    accord::ir::Frame f1, f2;
    f1.Reset(*prog);
    f2.Reset(*prog);
    for (size_t i = 0; i < args.size(); ++i) {
      f1.regs[i] = args[i];
      f2.regs[i] = args[i];
    }
    Value r1 = accord::ir::Interpret(*prog, f1, accord::ir::Inputs{});
    int h = jit.Add(prog.get());
    Value r2 = jit.Run(h, f2, accord::ir::Inputs{});
    if (!jit.is_native(h)) {
      fail("jit", "not compiled natively");
    }
    if (!Same(r1, r2) || r1.is_error() != r2.is_error()) {
      ++disagreements;
      std::cout << "DISAGREE line " << line_no << " " << id << ": interp " << r1.DebugString() << ", jit "
                << r2.DebugString() << "\n";
    }
    keep_alive.push_back(std::move(prog));
    const json& ex = c["expect"];
    auto judge = [&](const Value& r, const std::string& engine) {
      if (ex.contains("error")) {
        if (r.is_error()) return true;
        fail(engine, "expected an error, got " + r.DebugString());
        return false;
      }
      if (ex.contains("value")) {
        Value want;
        std::string why;
        if (!Decode(ex["value"], &want, &why)) {
          fail(engine, why);
          return false;
        }
        if (!r.is_error() && Same(r, want)) return true;
        fail(engine, "expected " + want.DebugString() + ", got " + r.DebugString());
        return false;
      }
      fail(engine, "unsupported expectation");
      return false;
    };
    if (judge(r1, "interp")) ++t.pass_interp;
    if (judge(r2, "jit")) ++t.pass_jit;
  }
  for (const auto& w : jit.TakeWarnings()) std::cerr << "warning: " << w << "\n";

  Tally sum;
  std::ostringstream rep;
  rep << "| suite | run | pass (interp) | pass (jit) | skipped | deduced types matched |\n|---|--:|--:|--:|--:|--:|\n";
  for (const auto& [file, t] : per_file) {
    rep << "| " << file << " | " << t.run << " | " << t.pass_interp << " | " << t.pass_jit << " | " << t.skipped
        << " | " << t.type_match << "/" << t.type_checked << " |\n";
    sum.run += t.run;
    sum.pass_interp += t.pass_interp;
    sum.pass_jit += t.pass_jit;
    sum.skipped += t.skipped;
    sum.type_match += t.type_match;
    sum.type_checked += t.type_checked;
  }
  rep << "| **total** | " << sum.run << " | " << sum.pass_interp << " | " << sum.pass_jit << " | " << sum.skipped
      << " | " << sum.type_match << "/" << sum.type_checked << " |\n";
  rep << "\nSkipped by reason:\n\n";
  for (const auto& [r, n] : skip_reasons) rep << "- " << n << ": " << r << "\n";
  std::cout << rep.str();
  int no_proto = total - needs_proto;
  std::printf(
      "\n%d cases, %d need protobuf messages, %d without: interp passes %d (%.1f%%), jit passes %d (%.1f%%); "
      "%d engine disagreements\n",
      total, needs_proto, no_proto, sum.pass_interp, 100.0 * sum.pass_interp / std::max(1, no_proto), sum.pass_jit,
      100.0 * sum.pass_jit / std::max(1, no_proto), disagreements);
  if (!report_path.empty()) {
    std::ofstream out(report_path);
    out << rep.str();
  }
  bool ok = disagreements == 0 && sum.pass_interp >= min_pass && sum.pass_jit >= min_pass;
  if (!ok) std::printf("FAILED: need %d passing cases under each engine and no disagreements\n", min_pass);
  return ok ? 0 : 1;
}
