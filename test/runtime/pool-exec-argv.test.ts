import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../src/runtime/pool.js';

describe("the pool's workers load their entries with import(), never require(esm)", () => {
  const NODE = new Set(['--no-experimental-require-module', '--import', '--enable-source-maps', '--max-old-space-size', '--expose-gc']);

  it("npm start's node --initial-old-space-size=128 (a V8 flag a worker refuses: it holds in the workers already): only --no-experimental-require-module", () => {
    expect(workerExecArgv(['--initial-old-space-size=128'], NODE)).toEqual(['--no-experimental-require-module']);
  });

  it('Node options are kept with their values, V8 options Node lists for NODE_OPTIONS are not (--max-old-space-size, --expose_gc)', () => {
    expect(workerExecArgv(['--import', 'tsx', '--max-old-space-size=512', '--expose_gc', '--enable-source-maps'], NODE)).toEqual(['--import', 'tsx', '--enable-source-maps', '--no-experimental-require-module']);
  });

  it("already given: not twice; a Node without the option (before 20.17): the process's Node options alone", () => {
    expect(workerExecArgv(['--no-experimental-require-module'], NODE)).toEqual(['--no-experimental-require-module']);
    expect(workerExecArgv(['--enable-source-maps'], new Set(['--enable-source-maps']))).toEqual(['--enable-source-maps']);
  });

  it("this Node (the CI's 20.x) has the option, and a worker takes what this process would give it, with npm start's V8 flag besides", async () => {
    expect(process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')).toBe(true);
    const execArgv = workerExecArgv([...process.execArgv, '--initial-old-space-size=128']);
    expect(execArgv).toContain('--no-experimental-require-module');
    const w = new Worker("require('node:worker_threads').parentPort.postMessage(process.execArgv)", { eval: true, execArgv });
    const seen = await new Promise((resolve) => w.once('message', resolve));
    await w.terminate();
    expect(seen).toEqual(execArgv);
  });
});
