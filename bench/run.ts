/** npm run bench: every benchmark prints a ratio against a peer measured in the same run. */
import { onnxImportBench } from './onnx-import.js';

const only = process.argv.slice(2);
const benches: [string, () => void | Promise<void>][] = [['onnx-import', onnxImportBench]];
for (const [name, fn] of benches) {
  if (only.length && !only.includes(name)) continue;
  await fn();
}
