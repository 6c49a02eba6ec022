// Worker bootstrap for running TypeScript sources (tests, `npm run dev`): Node 20 does not apply
// `--import` loader hooks inside worker threads, so register tsx here, then load the real entry.
import { register } from 'tsx/esm/api';

register();
const entry = await import('./worker.ts');
export default entry.default;
