#!/usr/bin/env node
// Which Node versions does the locked dependency tree accept?
// Intersects engines.node of every package-lock.json entry (all platforms, dev included)
// and prints the accepted intervals, the packages that set the floor, and whether this Node
// and package.json's own engines.node agree. Usage: node scripts/node-engines.mjs
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url);
const semver = createRequire(new URL('package.json', root))('semver');
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8'));
const own = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).engines?.node;

const ranges = Object.entries(lock.packages)
  .filter(([loc, meta]) => loc && typeof meta.engines?.node === 'string')
  .map(([loc, meta]) => ({ pkg: `${loc.replace(/^.*node_modules\//, '')}@${meta.version}`, range: meta.engines.node, dev: !!meta.dev }));

const grid = [];
for (let major = 18; major <= 30; major++) for (let minor = 0; minor <= 40; minor++) grid.push(`${major}.${minor}.0`);
const accepted = (v) => ranges.every((r) => semver.satisfies(v, r.range));
const intervals = [];
let start = null;
for (const v of grid) {
  if (accepted(v) && start === null) start = v;
  if (!accepted(v) && start !== null) { intervals.push(`>=${start} <${v}`); start = null; }
}
if (start !== null) intervals.push(`>=${start}`);

const floor = ranges
  .map((r) => ({ ...r, min: semver.minVersion(r.range)?.version ?? '0.0.0' }))
  .sort((a, b) => semver.compare(b.min, a.min))
  .slice(0, 8);
console.log(`${ranges.length} locked packages declare engines.node; accepted: ${intervals.join(' | ')}`);
for (const r of floor) console.log(`  ${r.range.padEnd(36)} ${r.pkg}${r.dev ? ' (dev)' : ''}`);
const here = process.versions.node;
console.log(`this Node ${here}: ${accepted(here) ? 'accepted' : 'REJECTED'}; package.json engines.node: ${own}`);
const mismatch = grid.filter((v) => accepted(v) !== semver.satisfies(v, own ?? '*'));
if (mismatch.length) {
  console.log(`engines.node disagrees with the tree at: ${mismatch.slice(0, 5).join(', ')}${mismatch.length > 5 ? ', …' : ''}`);
  process.exitCode = 1;
}
