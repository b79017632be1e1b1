// Workload W in JSONata (bench/w/README.md): evaluates w.jsonata once per record of the
// JSON Lines on stdin and prints each result as one JSON line.
//
//   node w-jsonata.mjs < contacts.jsonl > out.jsonl    (after `npm ci` in this folder)

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import jsonata from 'jsonata';

const expression = jsonata(readFileSync(new URL('./w.jsonata', import.meta.url), 'utf8'));

let out = [];
let outSize = 0;
async function flush() {
  if (out.length === 0) return;
  const ok = process.stdout.write(out.join(''));
  out = [];
  outSize = 0;
  if (!ok) await new Promise((resolve) => process.stdout.once('drain', resolve));
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.length === 0) continue;
  const result = await expression.evaluate(JSON.parse(line));
  if (result === undefined) continue;
  const s = JSON.stringify(result) + '\n';
  out.push(s);
  outSize += s.length;
  if (outSize >= 1 << 20) await flush();
}
await flush();
