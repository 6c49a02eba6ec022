#!/usr/bin/env node
// `npm start`'s prestart: compile with `npm run build`'s compiler and config only when the
// build inputs changed since the last successful build, so a restart of a built tree starts at once.
//
// Inputs: every file under src/, tsconfig.json, tsconfig.build.json, package.json, package-lock.json.
// They are fingerprinted by content (not mtime: checkouts, copies and clock skew move mtimes), and the
// fingerprint is kept in dist/.build-stamp after a build that succeeded. Rebuild when the stamp is
// absent or differs, or when any expected output dist/src/**/*.js is missing.
// schema/ and wasm/ are read at run time from the package root (src/paths.ts), so they need no build.
//
// tsconfig.build.json builds incrementally with dist/.tsbuildinfo. tsc trusts that file even when
// outputs were deleted, so it is removed whenever an output is missing; sources that disappeared
// (renamed or deleted) also get a clean build, so dist/src holds no compiled file without a source.
//
// Usage: node scripts/build-if-stale.mjs [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// one fingerprint for the launcher (bin/convlens.mjs) and this script, so they agree on "current"
import { buildInputs } from '../bin/build-fingerprint.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stampFile = path.join(dist, '.build-stamp');
const buildInfo = path.join(dist, '.tsbuildinfo');

const { fingerprint, sources, expected } = buildInputs(root);
const missing = expected.filter((f) => !existsSync(path.join(root, f)));

let previous = null;
try {
  previous = JSON.parse(readFileSync(stampFile, 'utf8'));
} catch {
  // no stamp or an unreadable one: build
}

const force = process.argv.includes('--force');
if (!force && previous?.fingerprint === fingerprint && missing.length === 0) {
  console.log('convlens: dist/ is up to date with src/ (build skipped)');
  process.exit(0);
}

const goneSources = (previous?.sources ?? []).filter((f) => !sources.includes(f));
if (missing.length > 0 || goneSources.length > 0 || force) {
  rmSync(buildInfo, { force: true });
  if (goneSources.length > 0 || force) rmSync(path.join(dist, 'src'), { recursive: true, force: true });
}
rmSync(stampFile, { force: true });

const reason = force
  ? 'forced'
  : !previous
    ? 'no previous build stamp'
    : missing.length > 0
      ? `${missing.length} compiled file(s) missing`
      : 'sources or configuration changed';
console.log(`convlens: building (${reason})`);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(`convlens: build failed (tsc exit ${result.status ?? result.signal})`);
  process.exit(result.status || 1);
}
mkdirSync(dist, { recursive: true });
writeFileSync(stampFile, JSON.stringify({ fingerprint, sources, builtAt: new Date().toISOString() }, null, 2) + '\n');
