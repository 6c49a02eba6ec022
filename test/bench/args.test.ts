/** npm run bench's arguments (bench/args.ts, bench/run.ts): a name that is no benchmark is refused, listing the names. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectBenches } from '../../bench/args.js';

const known = ['conv', 'pool', 'graph-scale', 'load'];

describe('selectBenches', () => {
  it('no names: every default bench (an empty selection); --json, --tsx and --duration 10 are options, not names', () => {
    expect(selectBenches([], known)).toEqual({ names: [] });
    expect(selectBenches(['--json', '--duration', '10', 'load', '--tsx', 'pool'], known)).toEqual({ names: ['load', 'pool'] });
  });

  it("a mistyped name ('Pool', 'bogus') is an error naming it, the nearest name and the list (it ran nothing and exited 0)", () => {
    expect(selectBenches(['--json', 'Pool'], known)).toEqual({ error: "bench: no benchmark named 'Pool' (did you mean pool?); the names: conv, pool, graph-scale, load" });
    expect(selectBenches(['conv', 'bogus'], known)).toEqual({ error: "bench: no benchmark named 'bogus'; the names: conv, pool, graph-scale, load" });
  });

  it("an option no bench reads ('--jsno', '--Full', '--model=a') is an error naming it, the nearest option and the list (it was ignored and every bench ran)", () => {
    const options = 'the options: --json, --duration N, --tsx, --full, --models=a,b, --nets=a,b';
    expect(selectBenches(['--jsno', 'pool'], known)).toEqual({ error: `bench: unknown option '--jsno' (did you mean --json?); ${options}` });
    expect(selectBenches(['--Full'], known)).toEqual({ error: `bench: unknown option '--Full' (did you mean --full?); ${options}` });
    expect(selectBenches(['--model=resnet18'], known)).toEqual({ error: `bench: unknown option '--model=resnet18' (did you mean --models=a,b?); ${options}` });
    expect(selectBenches(['--models='], known)).toEqual({ error: `bench: unknown option '--models=' (did you mean --models=a,b?); ${options}` });
    expect(selectBenches(['--bogus'], known)).toEqual({ error: `bench: unknown option '--bogus'; ${options}` });
    // the options the benches read (zoo's --full and --models=, networks' --nets=) stay options
    expect(selectBenches(['--full', '--models=resnet18,vgg11', '--nets=resnet18', 'pool'], known)).toEqual({ names: ['pool'] });
  });

  it('bench/run.ts with a mistyped name: exit 2, the names on stderr, nothing on stdout, no bench run', () => {
    const root = path.join(import.meta.dirname, '..', '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--json', 'bogus'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toBe("bench: no benchmark named 'bogus'; the names: onnx-import, conv, parallel, networks, pool, memory, erf, zoo, graph-scale, load, ceilings\n");
   }, 90_000);

  it('bench/run.ts with a mistyped option: exit 2, the options on stderr, nothing on stdout, no bench run', () => {
    const root = path.join(import.meta.dirname, '..', '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--jsno', 'pool'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toBe("bench: unknown option '--jsno' (did you mean --json?); the options: --json, --duration N, --tsx, --full, --models=a,b, --nets=a,b\n");
  }, 90_000);
});
