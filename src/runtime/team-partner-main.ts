/** Entry of a team's partner thread (runtime/team.ts spawns it with a PartnerData). */
import { workerData } from 'node:worker_threads';
import { partnerLoop } from './team-partner.js';
import type { PartnerData } from './team-partner.js';
import { instantiateKernels } from '../tensor/wasm-memory.js';

// a partner computes bands: its kernel modules compiled before its first job (tensor/wasm-memory.ts)
instantiateKernels();
partnerLoop(workerData as PartnerData);
