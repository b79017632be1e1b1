// Checks editors/vscode without its npm dependencies (node built-ins only):
//
//  1. package.json, language-configuration.json and the TextMate grammar are
//     valid JSON, and package.json wires them together (language id `accord`,
//     the `.accord` extension, the grammar's scopeName, files that exist, the
//     `accord.path` setting).
//  2. Every regex of the grammar (match/begin/end/while) compiles with
//     JavaScript's engine. VS Code runs them with Oniguruma, which reads a few
//     constructs differently or not at all in JavaScript; the grammar keeps to
//     the common subset and this script fails on the constructs outside it
//     (inline flags, \h, \A, \z, \Z, \G, atomic groups, possessive quantifiers)
//     rather than checking them wrongly.
//  3. A small tokenizer that follows the TextMate rules for single lines
//     (earliest match wins, ties go to the first pattern, begin/end regions,
//     includes) highlights every keyword of grammar/Accord.g4 as a keyword and
//     some sample lines as expected. It is not vscode-textmate: multi-line
//     regions and back-references in `end` are not simulated.
//
// Usage: node check_vscode_extension.js SOURCE_DIR
'use strict';

const fs = require('fs');
const path = require('path');

const root = process.argv[2] || path.join(__dirname, '..', '..');
const ext = path.join(root, 'editors', 'vscode');
let failures = 0;
function fail(msg) {
  console.log('FAIL: ' + msg);
  failures++;
}
function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${path.relative(root, file)} is not valid JSON: ${e.message}`);
    return null;
  }
}

// ---- 1. the manifest ----
const pkg = readJson(path.join(ext, 'package.json'));
const langConfig = readJson(path.join(ext, 'language-configuration.json'));
let grammar = null;
if (pkg) {
  const langs = (pkg.contributes && pkg.contributes.languages) || [];
  const lang = langs.find((l) => l.id === 'accord');
  if (!lang) fail('package.json contributes no language with id "accord"');
  else {
    if (!(lang.extensions || []).includes('.accord')) fail('the accord language does not claim the .accord extension');
    if (!lang.configuration || !fs.existsSync(path.join(ext, lang.configuration)))
      fail('the accord language configuration file does not exist');
  }
  const g = ((pkg.contributes && pkg.contributes.grammars) || []).find((x) => x.language === 'accord');
  if (!g) fail('package.json contributes no grammar for the accord language');
  else {
    grammar = readJson(path.join(ext, g.path));
    if (grammar && grammar.scopeName !== g.scopeName)
      fail(`grammar scopeName ${grammar.scopeName} differs from package.json's ${g.scopeName}`);
  }
  if (!pkg.main || !fs.existsSync(path.join(ext, pkg.main))) fail('package.json main does not exist');
  const props = (pkg.contributes && pkg.contributes.configuration && pkg.contributes.configuration.properties) || {};
  if (!props['accord.path']) fail('no accord.path setting');
  if (!pkg.dependencies || !pkg.dependencies['vscode-languageclient']) fail('vscode-languageclient is not a dependency');
}
if (pkg && pkg.main) {
  const src = fs.readFileSync(path.join(ext, pkg.main), 'utf8');
  try {
    new Function('require', 'module', 'exports', src);  // parses; does not run
  } catch (e) {
    fail(`${pkg.main} does not parse: ${e.message}`);
  }
  if (!src.includes("args: ['lsp']")) fail(`${pkg.main} does not start "accord lsp"`);
}
if (langConfig) {
  if (!langConfig.comments || langConfig.comments.lineComment !== '//') fail('line comments are not //');
  const pairs = (langConfig.autoClosingPairs || []).map((p) => p.open + p.close);
  for (const p of ['{}', '[]', '()', '""']) if (!pairs.includes(p)) fail(`no auto-closing pair ${p}`);
}

// ---- 2. the regexes ----
const unsupported = [
  [/\(\?[imx-]+\)/, 'an inline flag group'],
  [/\(\?[imx-]+:/, 'a flag-scoped group'],
  [/\\[hHAzZG]/, 'an Oniguruma-only escape'],
  [/\(\?>/, 'an atomic group'],
  [/[*+?}]\+/, 'a possessive quantifier'],
];
const compiled = new Map();
function compile(src, where) {
  if (compiled.has(src)) return compiled.get(src);
  for (const [re, what] of unsupported) {
    // Ignore matches that are escaped characters ("\\+" is a literal plus).
    const m = re.exec(src.replace(/\\\\/g, '').replace(/\\[+*?}(]/g, '_'));
    if (m) fail(`${where}: ${what} (${m[0]}) is outside the Oniguruma/JavaScript common subset: ${src}`);
  }
  let re = null;
  try {
    re = new RegExp(src, 'g');
  } catch (e) {
    fail(`${where}: does not compile: ${e.message}`);
  }
  compiled.set(src, re);
  return re;
}
function eachRule(node, where, fn) {
  if (Array.isArray(node)) node.forEach((n, i) => eachRule(n, `${where}[${i}]`, fn));
  else if (node && typeof node === 'object') {
    if ('match' in node || 'begin' in node) fn(node, where);
    for (const [k, v] of Object.entries(node)) if (typeof v === 'object') eachRule(v, `${where}.${k}`, fn);
  }
}
let regexCount = 0;
if (grammar) {
  eachRule(grammar, 'grammar', (rule, where) => {
    for (const key of ['match', 'begin', 'end', 'while']) {
      if (typeof rule[key] !== 'string') continue;
      regexCount++;
      compile(rule[key], `${where}.${key}`);
    }
  });
  if (regexCount < 10) fail(`only ${regexCount} regexes in the grammar`);
}

// ---- 3. a single-line tokenizer ----
function resolve(patterns, seen = new Set()) {
  const out = [];
  for (const p of patterns || []) {
    if (p.include) {
      const name = p.include.replace(/^#/, '');
      if (seen.has(name)) continue;
      const r = grammar.repository[name];
      if (!r) {
        fail(`include ${p.include} names no repository entry`);
        continue;
      }
      out.push(...(r.patterns ? resolve(r.patterns, new Set([...seen, name])) : [r]));
    } else {
      out.push(p);
    }
  }
  return out;
}
function scopeOf(rule, m) {
  if (rule.name) return rule.name;
  const caps = rule.captures || {};
  // The scope of the first captured group with a name (a keyword in a larger match).
  for (let i = 1; i < m.length; i++) if (m[i] !== undefined && caps[i]) return caps[i].name;
  return caps[0] ? caps[0].name : '';
}
// [[scope, text], ...] for one line; unscoped text is dropped.
function tokenize(line, patterns = resolve(grammar.patterns)) {
  const tokens = [];
  let pos = 0;
  while (pos < line.length) {
    let best = null;
    for (const rule of patterns) {
      const re = compile(rule.match || rule.begin, 'tokenize');
      if (!re) continue;
      re.lastIndex = pos;
      const m = re.exec(line);
      if (m && (!best || m.index < best.m.index)) best = { rule, m };
    }
    if (!best) break;
    const { rule, m } = best;
    if (rule.match) {
      if (rule.captures) {
        // One token per named group, in order (the groups here do not nest).
        let at = m.index;
        for (let i = 1; i < m.length; i++) {
          if (m[i] === undefined || !rule.captures[i]) continue;
          const start = line.indexOf(m[i], at);
          tokens.push([rule.captures[i].name, m[i]]);
          at = start + m[i].length;
        }
      } else {
        tokens.push([scopeOf(rule, m), m[0]]);
      }
      pos = m.index + Math.max(m[0].length, 1);
      continue;
    }
    // A begin/end region: the whole region is one token of its scope (inner
    // patterns such as escapes are not split out).
    const end = compile(rule.end, 'tokenize');
    end.lastIndex = m.index + m[0].length;
    const e = end.exec(line);
    const stop = e ? e.index + e[0].length : line.length;
    tokens.push([rule.name, line.slice(m.index, stop)]);
    pos = Math.max(stop, m.index + 1);
  }
  return tokens;
}

if (grammar) {
  // Every keyword of the lexer is a keyword, a side, a policy word or a constant.
  const g4 = fs.readFileSync(path.join(root, 'grammar', 'Accord.g4'), 'utf8');
  const words = [...g4.matchAll(/\b[A-Z_]+\s*:\s*'([a-z_]+)'\s*;/g)].map((m) => m[1]);
  if (words.length < 40) fail(`found only ${words.length} keywords in grammar/Accord.g4`);
  const keywordScopes = /^(keyword|storage\.type|support\.class\.side|support\.constant|constant\.language)/;
  for (const w of words) {
    const t = tokenize(`x ${w} y`);
    const hit = t.find(([, text]) => text === w);
    if (!hit || !keywordScopes.test(hit[0])) fail(`keyword "${w}" is highlighted as ${hit ? hit[0] : 'nothing'}`);
  }

  const samples = [
    ['sync people: salesforce.Contact <-> hubspot.contacts {',
     [['storage.type.accord', 'sync'], ['entity.name.type.accord', 'people'], ['support.class.side.accord', 'salesforce'],
      ['variable.other.accord', 'Contact'], ['keyword.operator.arrow.accord', '<->'],
      ['support.class.side.accord', 'hubspot'], ['variable.other.accord', 'contacts']]],
    ['  Email <-> email with lowerAscii(trim(_))  // normalized, "quoted"',
     [['variable.other.accord', 'Email'], ['keyword.operator.arrow.accord', '<->'], ['variable.other.accord', 'email'],
      ['keyword.control.accord', 'with'], ['entity.name.function.accord', 'lowerAscii'],
      ['entity.name.function.accord', 'trim'], ['variable.language.value.accord', '_'],
      ['comment.line.double-slash.accord', '// normalized, "quoted"']]],
    ['  "Food // & Beverage" -> "FOOD_BEVERAGES"',
     [['string.quoted.double.accord', '"Food // & Beverage"'], ['keyword.operator.arrow.accord', '->'],
      ['string.quoted.double.accord', '"FOOD_BEVERAGES"']]],
    ['  scope salesforce: Amount >= 1.5e3 && Count <- 0x1Fu', null],
    ['  Phone <-> phone conflict prefer salesforce unless blank',
     [['variable.other.accord', 'Phone'], ['keyword.operator.arrow.accord', '<->'], ['variable.other.accord', 'phone'],
      ['keyword.other.accord', 'conflict'], ['support.constant.policy.accord', 'prefer'],
      ['support.class.side.accord', 'salesforce'], ['support.constant.policy.accord', 'unless'],
      ['keyword.other.accord', 'blank']]],
    ['  x -> y with r"\\d+" + b\'\\x00\' /* block */ + """a"b"""',
     [['variable.other.accord', 'x'], ['keyword.operator.arrow.accord', '->'], ['variable.other.accord', 'y'],
      ['keyword.control.accord', 'with'], ['string.quoted.double.raw.accord', 'r"\\d+"'],
      ['keyword.operator.arithmetic.accord', '+'], ['string.quoted.single.accord', "b'\\x00'"],
      ['comment.block.accord', '/* block */'], ['keyword.operator.arithmetic.accord', '+'],
      ['string.quoted.triple.accord', '"""a"b"""']]],
  ];
  for (const [line, want] of samples) {
    const got = tokenize(line);
    if (want === null) {
      // Only that the operators and numbers come out whole.
      const texts = got.map(([, t]) => t);
      for (const t of ['>=', '1.5e3', '&&', '<-', '0x1Fu'])
        if (!texts.includes(t)) fail(`"${line}": "${t}" is not one token (got ${JSON.stringify(texts)})`);
      continue;
    }
    if (JSON.stringify(got) !== JSON.stringify(want))
      fail(`"${line}":\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(want)}`);
  }
}

if (failures) {
  console.log(`${failures} failure(s)`);
  process.exit(1);
}
console.log(`ok: editors/vscode manifest, ${regexCount} grammar regexes, keywords and sample lines`);
