/** npm run bench: every benchmark prints a ratio against a peer measured in the same run. */
import { ceilingsBench } from './ceilings.js';
import { convBench } from './conv.js';
import { erfBench } from './erf.js';
import { graphScaleBench } from './graph-scale.js';
import { loadBench } from './load.js';
import { memoryBench } from './memory.js';
import { networksBench } from './networks.js';
import { onnxImportBench } from './onnx-import.js';
import { parallelBench } from './parallel.js';
import { poolBench } from './pool.js';
import { zooBench } from './zoo.js';
import { missingNodeFlags } from '../src/node-flags.js';

// the figures are the server's when this process runs with its V8 flags, as npm run bench starts it
const missing = missingNodeFlags();
if (missing.length > 0) process.stderr.write(`bench: started without the server's V8 flags (${missing.join(' ')}; src/node-flags.ts): the figures may differ from the server's\n`);
// names select benches; --json: one JSON record per measurement on stdout (bench/records.ts), the table on stderr; --duration: load's length
const only = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--duration');
const benches: [string, () => void | Promise<void>][] = [
  ['onnx-import', onnxImportBench],
  ['conv', convBench],
  ['parallel', parallelBench],
  ['networks', networksBench],
  ['pool', poolBench],
  ['memory', memoryBench],
  ['erf', erfBench],
  ['zoo', zooBench],
  ['graph-scale', () => graphScaleBench()],
];
// run only when named (npm run bench -- load): it starts a server and loads it for about 40 s
// ceilings: the machine's two-thread ceilings alone (parallel runs them too)
const onRequest: [string, () => void | Promise<void>][] = [['load', () => loadBench()], ['ceilings', ceilingsBench]];
for (const [name, fn] of benches) {
  if (only.length && !only.includes(name)) continue;
  await fn();
}
for (const [name, fn] of onRequest) if (only.includes(name)) await fn();
