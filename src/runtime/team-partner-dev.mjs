// Partner-thread bootstrap for TypeScript sources (tests, `npm run dev`): Node 20 does not apply
// `--import` loader hooks inside worker threads, so register tsx here, then load the entry named
// in workerData (runtime/team.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
