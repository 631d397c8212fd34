'use strict';
/* Prints the functions a V8 CPU profile (.cpuprofile) spent the most time in, self and inclusive. */
const { readFileSync } = require('node:fs');

const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const limit = Number(process.argv[3] ?? 25);
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const spent = new Map();
for (const [i, id] of profile.samples.entries()) spent.set(id, (spent.get(id) ?? 0) + profile.timeDeltas[i]);
const label = (n) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*node_modules\//, '')}:${n.callFrame.lineNumber}`;
const self = new Map();
const inclusive = new Map();
let total = 0;
for (const [id, t] of spent) {
  total += t;
  const own = label(nodes.get(id));
  self.set(own, (self.get(own) ?? 0) + t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const key = label(nodes.get(cur));
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}
const print = (title, map) => {
  console.log(`\n${title}`);
  for (const [key, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  }
};
print('self', self);
print('inclusive', inclusive);
