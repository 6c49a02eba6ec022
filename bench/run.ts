/** npm run bench: every benchmark prints a ratio against a peer measured in the same run. */
import { selectBenches } from './args.js';
import { missingNodeFlags } from '../src/node-flags.js';

// names select benches; --json: one JSON record per measurement on stdout (bench/records.ts), the table on stderr; --duration: load's length
// each bench is loaded when it runs, so a mistyped name is refused at once
const benches: [string, () => Promise<void>][] = [
  ['onnx-import', async () => (await import('./onnx-import.js')).onnxImportBench()],
  ['conv', async () => (await import('./conv.js')).convBench()],
  ['parallel', async () => (await import('./parallel.js')).parallelBench()],
  ['networks', async () => (await import('./networks.js')).networksBench()],
  ['pool', async () => (await import('./pool.js')).poolBench()],
  ['memory', async () => (await import('./memory.js')).memoryBench()],
  ['erf', async () => (await import('./erf.js')).erfBench()],
  ['zoo', async () => (await import('./zoo.js')).zooBench()],
  ['graph-scale', async () => (await import('./graph-scale.js')).graphScaleBench()],
];
// run only when named (npm run bench -- load): it starts a server and loads it for about 40 s
// ceilings: the machine's two-thread ceilings alone (parallel runs them too)
const onRequest: [string, () => Promise<void>][] = [
  ['load', async () => (await import('./load.js')).loadBench()],
  ['ceilings', async () => (await import('./ceilings.js')).ceilingsBench()],
];

const selected = selectBenches(process.argv.slice(2), [...benches, ...onRequest].map(([name]) => name));
if ('error' in selected) {
  process.stderr.write(`${selected.error}\n`);
  process.exit(2);
}
const only = selected.names;
// the figures are the server's when this process runs with its V8 flags, as npm run bench starts it
const missing = missingNodeFlags();
if (missing.length > 0) process.stderr.write(`bench: started without the server's V8 flags (${missing.join(' ')}; src/node-flags.ts): the figures may differ from the server's\n`);
for (const [name, fn] of benches) {
  if (only.length && !only.includes(name)) continue;
  await fn();
}
for (const [name, fn] of onRequest) if (only.includes(name)) await fn();
