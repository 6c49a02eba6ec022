// Is dist/ a build of the sources as they are now? The same test as scripts/build-if-stale.mjs
// (`npm start`'s prestart), computed the same way, so the two agree on when a build is current:
// the build inputs (tsconfig.json, tsconfig.build.json, package.json, package-lock.json and every
// file under src/) are fingerprinted by path and content, and the build is current when the
// fingerprint equals the one dist/.build-stamp recorded and every dist/src/**/*.js a source
// compiles to exists. scripts/build-if-stale.mjs imports buildInputs from here, so the two cannot
// disagree; test/cli-installed.test.ts checks the stamp the build writes.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const TOP_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

function listFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** The fingerprint of the build inputs under `root`, the sources (relative, sorted) and the compiled files they imply. */
export function buildInputs(root) {
  const rel = (p) => path.relative(root, p).split(path.sep).join('/');
  const sources = listFiles(path.join(root, 'src')).map(rel).sort();
  const hash = createHash('sha256');
  for (const file of [...TOP_INPUTS.filter((f) => existsSync(path.join(root, f))), ...sources]) {
    hash.update(file).update('\0').update(readFileSync(path.join(root, file))).update('\0');
  }
  // src/x/y.ts -> dist/src/x/y.js (rootDir is the package root); declarations emit nothing
  const expected = sources
    .filter((f) => /\.(c|m)?tsx?$/.test(f) && !/\.d\.(c|m)?ts$/.test(f))
    .map((f) => 'dist/' + f.replace(/\.ts$/, '.js').replace(/\.tsx$/, '.js').replace(/\.mts$/, '.mjs').replace(/\.cts$/, '.cjs'));
  return { fingerprint: hash.digest('hex'), sources, expected };
}

/** True when dist/ holds a successful build of exactly the current inputs. */
export function buildIsCurrent(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(root, 'dist', '.build-stamp'), 'utf8'));
  } catch {
    return false;
  }
  const { fingerprint, expected } = buildInputs(root);
  return stamp?.fingerprint === fingerprint && expected.every((f) => existsSync(path.join(root, f)));
}
