/** A team whose partners have all started (the first split spawns them): specs wait for it, at most 20 s. */
import type { Team } from '../../src/runtime/team.js';

export async function readyTeam(t: Team): Promise<Team> {
  const until = Date.now() + 20_000;
  while (t.ready() < t.partners) {
    if (Date.now() > until) throw new Error('the partner did not start within 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return t;
}
