/** A team whose partners have all started (the first split spawns them): specs wait for it, at most 20 s. */
import { splitStats } from '../../src/runtime/split.js';
import type { Team } from '../../src/runtime/team.js';

export async function readyTeam(t: Team): Promise<Team> {
  const until = Date.now() + 20_000;
  while (t.ready() < t.partners) {
    if (Date.now() > until) throw new Error('the partner did not start within 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return t;
}

/**
 * Runs a job (`job` checks each result itself) until the partner has computed at least one of its
 * bands: bands are claimed, not assigned, and on a busy machine the leader may take them all; so
 * the partner's side of the job (its staging offsets, its weight rows) is what is checked. At most
 * 20 s; the last job's record.
 */
export function untilPartnerBand(team: Team, job: () => void): Team['lastJob'] {
  const until = Date.now() + 20_000;
  for (;;) {
    job();
    if (team.lastJob.leaderBands < team.lastJob.bands) return team.lastJob;
    if (Date.now() > until) throw new Error('the partner computed no band within 20 s');
  }
}

/**
 * Calls `call` (a split through runtime/split.ts, which checks its own result) until a partner took
 * part in one of its jobs (splitStats.partnerJobs): the first split spawns this thread's team and
 * runs alone, and a loaded machine delays the partner's start, so a deadline of 20 s rather than a
 * count of calls.
 */
export async function untilPartnerJob(call: () => void): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const before = splitStats.partnerJobs;
    call();
    if (splitStats.partnerJobs > before) return;
    if (Date.now() > until) throw new Error('no partner took a band within 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
