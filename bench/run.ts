/** npm run bench: every benchmark prints a ratio against a peer measured in the same run. */
import { convBench } from './conv.js';
import { onnxImportBench } from './onnx-import.js';
import { resnetBench } from './resnet.js';

const only = process.argv.slice(2);
const benches: [string, () => void | Promise<void>][] = [
  ['onnx-import', onnxImportBench],
  ['conv', convBench],
  ['resnet18', resnetBench],
];
for (const [name, fn] of benches) {
  if (only.length && !only.includes(name)) continue;
  await fn();
}
