/** Entry of a team's partner thread (runtime/team.ts spawns it with a PartnerData). */
import { workerData } from 'node:worker_threads';
import { partnerLoop } from './team-partner.js';
import type { PartnerData } from './team-partner.js';

partnerLoop(workerData as PartnerData);
