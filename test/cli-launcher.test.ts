/**
 * The launcher, bin/convlens.mjs, when the command itself cannot load: exit 3 (README: Exit codes,
 * internal error) with a `convlens: internal error:` line, never Node's 1 for an uncaught error,
 * which a pipeline reads as a failed budget gate. Under `ulimit -v 4000000` the WebAssembly
 * kernels' address space cannot be reserved when the modules load, and `convlens models` exited 1
 * with a stack trace; here a copy of the clone without its wasm/ folder fails to load the same way
 * (the kernels read their .wasm files as their modules load), whatever the machine's limits.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'convlens-launcher-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bin/convlens.mjs when the command cannot load', () => {
  it('a clone without wasm/ (the kernels cannot load): `convlens models` exits 3 with one "internal error: cannot load" line naming the missing gemm.wasm (it exited 1, a failed gate\'s code)', () => {
    const clone = path.join(work, 'clone');
    for (const p of ['bin', 'src', 'schema', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(path.join(root, p), path.join(clone, p), { recursive: true });
    }
    symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
    const r = spawnSync(process.execPath, [path.join(clone, 'bin/convlens.mjs'), 'models'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^convlens: internal error: cannot load \S+cli\.ts: Error: ENOENT: no such file or directory, open '[^']*wasm[/\\]gemm[\w-]*\.wasm'/);
    expect(r.status).toBe(3);
  }, 130_000);
});
