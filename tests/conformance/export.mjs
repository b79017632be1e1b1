// Exports the CEL conformance suites shipped by @bufbuild/cel-spec (the
// cel-spec tests/simple/testdata/*.textproto files, converted to the protobuf
// JSON form of cel.expr.conformance.test.SimpleTest) to JSON lines in a small
// schema that the C++ conformance runner reads with nlohmann/json.
//
//   node tests/conformance/export.mjs OUT.jsonl
//
// The schema is described in README.md beside this file. Per-suite counts are
// printed to stderr. No dependencies besides @bufbuild/cel-spec (see
// package.json); Node 20 or later.

import { readFileSync, writeFileSync } from "node:fs";
import { tests as conformance } from "@bufbuild/cel-spec/testdata/conformance.js";

// The package does not export its package.json; read it beside this script.
const specVersion = JSON.parse(
  readFileSync(new URL("./node_modules/@bufbuild/cel-spec/package.json", import.meta.url), "utf8"),
).version;

// ---------------------------------------------------------------------------
// Skip reasons: one short text per category.

const SKIP = {
  proto: "needs protobuf message types",
  container: "needs container name resolution",
  checkOnly: "check only: no evaluation result",
  unknown: "needs unknowns / partial evaluation",
  bindingError: "binding is an error or unknown",
};

// CEL names of the types that a type value may denote without protobuf.
const BUILTIN_TYPE_NAMES = new Set([
  "int", "uint", "double", "bool", "string", "bytes", "null_type", "list",
  "map", "type", "google.protobuf.Timestamp", "google.protobuf.Duration",
]);

const TIMESTAMP_URL = "type.googleapis.com/google.protobuf.Timestamp";
const DURATION_URL = "type.googleapis.com/google.protobuf.Duration";

// ---------------------------------------------------------------------------
// A tiny JSON writer. It exists so that doubles are always written as
// floating-point literals (3.0, not 3), so that nlohmann/json reads them as
// number_float and never as an integer; everything else is JSON.stringify.

class Float {
  constructor(n) { this.n = n; }
}

function floatLiteral(n) {
  // n is finite and not -0 (those are encoded as strings).
  const s = String(n); // shortest round-trip form
  return /[.eE]/.test(s) ? s : s + ".0";
}

function toJson(v) {
  if (v instanceof Float) return floatLiteral(v.n);
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(toJson).join(",") + "]";
  const parts = [];
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    parts.push(JSON.stringify(k) + ":" + toJson(x));
  }
  return "{" + parts.join(",") + "}";
}

// ---------------------------------------------------------------------------
// Values: protobuf JSON of cel.expr.Value -> tagged V encoding.
// `ctx.proto` is set when the value involves protobuf messages or enums.

function int64Text(x, what) {
  // The package keeps 64-bit integers as decimal strings (protobuf JSON);
  // accept bigint and safe integer numbers too, but never a lossy number.
  if (typeof x === "string") {
    if (!/^-?\d+$/.test(x)) throw new Error(`bad ${what}: ${x}`);
    return BigInt(x).toString();
  }
  if (typeof x === "bigint") return x.toString();
  if (typeof x === "number" && Number.isSafeInteger(x)) return String(x);
  throw new Error(`bad or imprecise ${what}: ${String(x)}`);
}

function doubleValue(x) {
  let n;
  if (typeof x === "number") n = x;
  else if (typeof x === "string") {
    if (x === "NaN" || x === "Infinity" || x === "-Infinity") return x;
    n = Number(x);
  } else throw new Error(`bad doubleValue: ${String(x)}`);
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  if (Object.is(n, -0)) return "-0";
  return new Float(n);
}

function bytesValue(x) {
  // Protobuf JSON allows standard or URL-safe base64, with or without
  // padding; normalise to standard padded base64.
  return Buffer.from(x, "base64").toString("base64");
}

function convertValue(v, ctx) {
  const keys = Object.keys(v);
  if (keys.length !== 1) throw new Error(`Value with keys ${keys}: ${JSON.stringify(v)}`);
  const [k] = keys;
  const x = v[k];
  switch (k) {
    case "nullValue":
      return { null: null };
    case "boolValue":
      return { bool: x };
    case "int64Value":
      return { int: int64Text(x, "int64Value") };
    case "uint64Value":
      return { uint: int64Text(x, "uint64Value") };
    case "doubleValue":
      return { double: doubleValue(x) };
    case "stringValue":
      return { string: x };
    case "bytesValue":
      return { bytes: bytesValue(x) };
    case "listValue":
      return { list: (x.values ?? []).map((e) => convertValue(e, ctx)) };
    case "mapValue":
      return {
        map: (x.entries ?? []).map((e) => [convertValue(e.key, ctx), convertValue(e.value, ctx)]),
      };
    case "typeValue":
      if (!BUILTIN_TYPE_NAMES.has(x)) ctx.proto = true;
      return { type: x };
    case "enumValue":
      ctx.proto = true;
      return { enum: { type: x.type, value: x.value ?? 0 } };
    case "objectValue": {
      const url = x["@type"];
      // google.protobuf.Timestamp / Duration are CEL's built-in timestamp and
      // duration values; their Any JSON form keeps the WKT JSON in "value".
      if (url === TIMESTAMP_URL) return { timestamp: x.value };
      if (url === DURATION_URL) return { duration: x.value };
      ctx.proto = true;
      return { message: url };
    }
    default:
      throw new Error(`unknown Value kind ${k}`);
  }
}

// ---------------------------------------------------------------------------
// Types: protobuf JSON of cel.expr.Type -> CEL type text.

const PRIMITIVES = {
  BOOL: "bool", INT64: "int", UINT64: "uint", DOUBLE: "double",
  STRING: "string", BYTES: "bytes",
};

function convertType(t, ctx) {
  const keys = Object.keys(t);
  if (keys.length === 0) {
    // An empty Type (e.g. the parameter of a bare `type`) is unconstrained.
    return "dyn";
  }
  if (keys.length !== 1) throw new Error(`Type with keys ${keys}`);
  const [k] = keys;
  const x = t[k];
  switch (k) {
    case "dyn":
      return "dyn";
    case "null":
      return "null";
    case "primitive":
      if (!(x in PRIMITIVES)) throw new Error(`unknown primitive ${x}`);
      return PRIMITIVES[x];
    case "wrapper":
      ctx.proto = true;
      return `wrapper(${PRIMITIVES[x] ?? x})`;
    case "wellKnown":
      if (x === "TIMESTAMP") return "timestamp";
      if (x === "DURATION") return "duration";
      ctx.proto = true;
      return x === "ANY" ? "google.protobuf.Any" : String(x);
    case "listType":
      return `list(${convertType(x.elemType ?? {}, ctx)})`;
    case "mapType":
      return `map(${convertType(x.keyType ?? {}, ctx)}, ${convertType(x.valueType ?? {}, ctx)})`;
    case "messageType":
      if (x === "google.protobuf.Timestamp") return "timestamp";
      if (x === "google.protobuf.Duration") return "duration";
      ctx.proto = true;
      return x;
    case "type":
      return x && Object.keys(x).length ? `type(${convertType(x, ctx)})` : "type";
    case "typeParam":
      return x;
    case "error":
      return "error";
    case "abstractType": {
      const ps = (x.parameterTypes ?? []).map((p) => convertType(p, ctx));
      return ps.length ? `${x.name}(${ps.join(", ")})` : x.name;
    }
    case "function": {
      const args = (x.argTypes ?? []).map((p) => convertType(p, ctx));
      return `function(${[convertType(x.resultType ?? {}, ctx), ...args].join(", ")})`;
    }
    default:
      throw new Error(`unknown Type kind ${k}`);
  }
}

// ---------------------------------------------------------------------------
// Expressions: detect protobuf use in the CEL source text.

// Replaces string and bytes literals by "" and drops comments, so that their
// content cannot look like a message construction or a type name.
function stripLiterals(src) {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") {
      const nl = src.indexOf("\n", i);
      i = nl < 0 ? src.length : nl;
      continue;
    }
    if (c === "'" || c === '"') {
      const triple = src.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      // A raw prefix (r/R, possibly with b/B) means backslashes do not escape.
      const prefix = out.match(/[rRbB]{0,2}$/)[0];
      const raw = /[rR]/.test(prefix) && !/\w/.test(out[out.length - prefix.length - 1] ?? "");
      let j = i + quote.length;
      while (j < src.length && !src.startsWith(quote, j)) {
        if (!raw && src[j] === "\\") j++;
        j++;
      }
      out += '""';
      i = j + quote.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

// Message construction: a (qualified) type name directly followed by `{`.
// In CEL a `{` after an identifier can only start a message literal, except
// after the keyword `in` (`'k' in {'k': 1}`).
const MESSAGE_CONSTRUCTION = /(?<!\w)([A-Za-z_]\w*)\s*\{/g;
// References to protobuf-only names in the source text.
const PROTO_NAMES = [
  /\bcel\.expr\.conformance\b/,
  /\bgoogle\.protobuf\.(?!Timestamp\b|Duration\b)\w+/,
  /\b(TestAllTypes|NestedTestAllTypes|TestRequired\w*|GlobalEnum|NestedEnum|NestedMessage)\b/,
  /\bproto\.(getExt|hasExt)\b/,
];

function exprNeedsProto(expr) {
  const s = stripLiterals(expr);
  for (const m of s.matchAll(MESSAGE_CONSTRUCTION)) if (m[1] !== "in") return true;
  return PROTO_NAMES.some((re) => re.test(s));
}

// ---------------------------------------------------------------------------
// One test case.

function convertTest(file, section, t) {
  const o = t.original;
  const ctx = { proto: false };
  const skips = [];

  const out = {
    file,
    section,
    name: o.name ?? o.expr.replace(/\s+/g, " ").trim(),
    expr: o.expr,
    disable_check: Boolean(o.disableCheck),
    disable_macros: Boolean(o.disableMacros),
    check_only: Boolean(o.checkOnly),
    container: o.container ?? "",
    type_env: [],
    functions: [],
    bindings: {},
    expect: undefined,
    deduced_type: undefined,
    needs_proto: false,
    skip_reason: undefined,
  };
  if (o.locale) out.locale = o.locale;

  for (const d of o.typeEnv ?? []) {
    if (d.ident) out.type_env.push({ name: d.name, type: convertType(d.ident.type ?? {}, ctx) });
    else if (d.function) out.functions.push(d);
    else throw new Error(`unknown Decl in ${file}/${section}/${out.name}`);
  }

  let bindingProblem = false;
  for (const [name, ev] of Object.entries(o.bindings ?? {})) {
    if (ev.value !== undefined) out.bindings[name] = convertValue(ev.value, ctx);
    else bindingProblem = true; // ExprValue error or unknown
  }

  // Result matcher; an unspecified one means "evaluates to true".
  let checkOnlyNoResult = false;
  let unknown = false;
  if (o.value !== undefined) {
    out.expect = { value: convertValue(o.value, ctx) };
  } else if (o.typedResult !== undefined) {
    const tr = o.typedResult;
    if (tr.deducedType !== undefined) out.deduced_type = convertType(tr.deducedType, ctx);
    if (tr.result !== undefined && !o.checkOnly) out.expect = { value: convertValue(tr.result, ctx) };
    else {
      if (tr.result !== undefined) convertValue(tr.result, ctx);
      out.expect = {};
      checkOnlyNoResult = true;
    }
  } else if (o.evalError !== undefined) {
    out.expect = { error: (o.evalError.errors ?? []).map((e) => e.message ?? "").join("; ") };
  } else if (o.anyEvalErrors !== undefined) {
    out.expect = {
      error: (o.anyEvalErrors.errors ?? [])
        .map((set) => (set.errors ?? []).map((e) => e.message ?? "").join("; "))
        .join(" | "),
    };
  } else if (o.unknown !== undefined || o.anyUnknowns !== undefined) {
    out.expect = { unknown: true };
    unknown = true;
  } else if (o.checkOnly) {
    out.expect = {};
    checkOnlyNoResult = true;
  } else {
    out.expect = { value: { bool: true } };
  }

  const container = out.container !== "";
  const proto = ctx.proto || exprNeedsProto(o.expr);
  out.needs_proto = proto || container;

  if (proto) skips.push(SKIP.proto);
  else if (container) skips.push(SKIP.container);
  if (checkOnlyNoResult) skips.push(SKIP.checkOnly);
  if (unknown) skips.push(SKIP.unknown);
  if (bindingProblem) skips.push(SKIP.bindingError);
  if (skips.length) out.skip_reason = skips[0];

  return out;
}

// ---------------------------------------------------------------------------

function* walk(suite, file, sectionPath) {
  for (const t of suite.tests ?? []) yield convertTest(file, sectionPath.join("/"), t);
  for (const s of suite.suites ?? []) yield* walk(s, file, [...sectionPath, s.name]);
}

function main() {
  const outPath = process.argv[2];
  if (!outPath) {
    process.stderr.write("usage: node export.mjs OUT.jsonl\n");
    process.exit(2);
  }
  const lines = [];
  const counts = new Map();
  for (const fileSuite of conformance.suites ?? []) {
    const file = fileSuite.name;
    const c = { total: 0, needs_proto: 0, other_skips: 0, runnable: 0 };
    counts.set(file, c);
    for (const tc of walk(fileSuite, file, [])) {
      lines.push(toJson(tc));
      c.total++;
      if (tc.needs_proto) c.needs_proto++;
      else if (tc.skip_reason) c.other_skips++;
      else c.runnable++;
    }
  }
  writeFileSync(outPath, lines.length ? lines.join("\n") + "\n" : "");

  const sum = { total: 0, needs_proto: 0, other_skips: 0, runnable: 0 };
  const rows = [];
  for (const [file, c] of counts) {
    for (const k of Object.keys(sum)) sum[k] += c[k];
    rows.push([file, c.total, c.needs_proto, c.other_skips, c.runnable]);
  }
  rows.push(["TOTAL", sum.total, sum.needs_proto, sum.other_skips, sum.runnable]);
  const head = ["suite", "total", "needs_proto", "other skips", "runnable"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (r) => r.map((x, i) => (i === 0 ? String(x).padEnd(w[i]) : String(x).padStart(w[i]))).join("  ");
  process.stderr.write(`@bufbuild/cel-spec ${specVersion}: ${sum.total} cases -> ${outPath}\n`);
  process.stderr.write(fmt(head) + "\n");
  for (const r of rows) process.stderr.write(fmt(r) + "\n");
}

main();
