/**
 * The command as users get it (issue 8, items 1 and 6): `npm pack` (its prepack builds dist/), the
 * tarball installed into a temporary prefix, and `<prefix>/bin/convlens` run through npm's bin
 * symlink; `npx convlens` in this clone; and the launcher in a clone that was never built.
 *
 * Slow (a build when dist/ is stale, then an install of the runtime dependencies from the npm cache:
 * about 20–50 s in all), hence its own file with long timeouts. The install is `--prefer-offline`:
 * tarballs come from the cache `npm ci` filled, and only package metadata that is not cached is
 * asked of the registry.
 */
import { spawn } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZOO } from '../src/zoo/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'convlens-installed-'));
const prefix = path.join(work, 'prefix');
const installedBin = path.join(prefix, 'bin', 'convlens');
// the bin's `#!/usr/bin/env node` must find this node
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
const truth = JSON.parse(readFileSync(path.join(root, 'test/fixtures/onnx/truth.json'), 'utf8')).models.resnet18 as { params: number; macs: number };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(command: string, args: string[], cwd = work): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const ok = (r: Ran, what: string) => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r;
};

let tarball = '';
let installed: Ran = { code: null, stdout: '', stderr: '' };
/** bin/build-fingerprint.mjs's fingerprint of the sources just before and just after `npm pack`, and the one its build stamped. */
const fingerprints = { before: '', after: '', stamped: '' };
const fingerprint = async (): Promise<{ buildInputs(root: string): { fingerprint: string } }> => import(pathToFileURL(path.join(root, 'bin/build-fingerprint.mjs')).href);

beforeAll(async () => {
  fingerprints.before = (await fingerprint()).buildInputs(root).fingerprint;
  const packDir = path.join(work, 'pack');
  mkdirSync(packDir);
  ok(await run('npm', ['pack', '--pack-destination', packDir, '--loglevel=error'], root), 'npm pack');
  fingerprints.stamped = (JSON.parse(readFileSync(path.join(root, 'dist/.build-stamp'), 'utf8')) as { fingerprint: string }).fingerprint;
  fingerprints.after = (await fingerprint()).buildInputs(root).fingerprint;
  const tgz = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toHaveLength(1);
  tarball = path.join(packDir, tgz[0]);
  // the README's install command, its warnings kept: Node 20 gets no EBADENGINE (the package's
  // overrides do not apply to an installed package, so its own dependencies must resolve to
  // versions that run on Node 20), nor install scripts left unapproved
  installed = ok(await run('npm', ['install', '--global', '--allow-scripts=protobufjs,msgpackr-extract', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund']), 'npm install -g');
}, 300_000);
// the installed tree is large: removing it on a loaded machine can outlast the default hook timeout
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

describe('the packed and installed convlens command', () => {
  it('npm install -g as the README gives it warns of nothing on Node 20 (no EBADENGINE, no unapproved install scripts)', () => {
    expect(installed.stderr.split('\n').filter((l) => /npm warn|EBADENGINE/i.test(l))).toEqual([]);
  });

  it('the tarball holds bin/, the compiled CLI, schema/ and the wasm; no sources, tests, fixtures or source maps', async () => {
    const files = ok(await run('tar', ['-tzf', tarball]), 'tar').stdout.trim().split('\n');
    expect(files).toEqual(
      expect.arrayContaining(['package/package.json', 'package/bin/convlens.mjs', 'package/dist/src/cli.js', 'package/dist/src/cli/gates.js', 'package/schema/onnx/onnx.proto', 'package/wasm/gemm.wasm']),
    );
    expect(files.filter((f) => /^package\/(src|test|scripts|bench)\/|fixtures|\.map$|\.ts$/.test(f))).toEqual([]);
  });

  it('prepack built dist/ and stamped it with the fingerprint the launcher computes (scripts/build-if-stale.mjs and bin/build-fingerprint.mjs agree)', () => {
    // before or after: someone may edit src/ while the pack runs
    expect([fingerprints.before, fingerprints.after]).toContain(fingerprints.stamped);
  });

  it('`convlens analyze resnet18 --max-params 1` through the bin symlink: exit 1 with the budget message', async () => {
    expect(lstatSync(installedBin).isSymbolicLink()).toBe(true);
    const r = await run(installedBin, ['analyze', 'resnet18', '--max-params', '1']);
    expect(r.stderr).toContain(`convlens: budget exceeded: params ${truth.params.toLocaleString('en-US')} > 1`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`total: ${truth.params.toLocaleString('en-US')} params`);
  });

  it('the compiled cli.js started through a symlink of another name runs too (its entry check follows the link)', async () => {
    const link = path.join(work, 'convlens-direct');
    symlinkSync(path.join(prefix, 'lib', 'node_modules', 'convlens', 'dist', 'src', 'cli.js'), link);
    const r = await run(process.execPath, [link, 'analyze', 'resnet18', '--max-params', '1']);
    expect(r.stderr).toContain(`convlens: budget exceeded: params ${truth.params.toLocaleString('en-US')} > 1`);
    expect(r.code).toBe(1);
  });

  it('`convlens models` prints the zoo; a bad option exits 2', async () => {
    const r = ok(await run(installedBin, ['models']), 'convlens models');
    for (const z of ZOO) expect(r.stdout).toMatch(new RegExp(`^${z.name}\\s`, 'm'));
    expect((await run(installedBin, ['analyze', 'resnet18', '--fail-on', 'FC_DOMINATE'])).code).toBe(2);
  });

  it('an ONNX file (decoded with the shipped schema/onnx/onnx.proto) as JSON: stdout is the report alone', async () => {
    const onnx = path.join(root, 'test/fixtures/onnx/resnet18.onnx');
    const r = ok(await run(installedBin, ['analyze', onnx, '--input', '1,3,224,224', '--format', 'json']), 'convlens analyze onnx');
    expect(JSON.parse(r.stdout).totals).toMatchObject({ params: truth.params, macs: truth.macs, complete: true });
    expect(r.stderr).toBe('');
  });
});

describe('convlens from a clone, without npm run', () => {
  it('`npx --no convlens analyze resnet18 --format json` in the clone: stdout is JSON only (no npm banner)', async () => {
    const r = ok(await run('npx', ['--no', 'convlens', 'analyze', 'resnet18', '--format', 'json'], root), 'npx convlens');
    expect(JSON.parse(r.stdout).totals).toMatchObject({ params: truth.params, macs: truth.macs });
  });

  it('a clone that was never built (no dist/) runs the sources through tsx', async () => {
    const clone = path.join(work, 'clone');
    for (const p of ['bin', 'src', 'schema', 'wasm', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(path.join(root, p), path.join(clone, p), { recursive: true });
    }
    symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
    const r = ok(await run(process.execPath, [path.join(clone, 'bin/convlens.mjs'), 'analyze', 'resnet18', '--format', 'csv']), 'bin/convlens.mjs');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^TOTAL,,,${truth.params},${truth.macs},\\d+,\\d+,,,,,$`));
    expect(r.stderr).toBe('');
    expect(readdirSync(clone)).not.toContain('dist');
  });
});
