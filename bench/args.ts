/**
 * npm run bench's arguments: benchmark names select them (none: every default one), `--json`,
 * `--duration N` (load's length), `--tsx` (load's server), `--full` and `--models=a,b` (zoo's) and
 * `--nets=a,b` (networks') are options. A name that is no benchmark is an error listing the names: a
 * mistyped one in a tracking job ran nothing and exited 0. An option that is none of these is an error
 * listing the options: a mistyped `--jsno` was ignored and every benchmark ran, about ten minutes of
 * both CPUs, with the tables on stdout where the job expected JSON records.
 */
import { closest } from '../src/suggest.js';

/** The options bench/*.ts read (bench/records.ts, load.ts, zoo.ts, networks.ts): flags, then those taking `=` lists. */
const FLAGS = ['--json', '--duration', '--tsx', '--full'];
const LISTS = ['--models=', '--nets='];
const SHOWN: Record<string, string> = { '--json': '--json', '--duration': '--duration N', '--tsx': '--tsx', '--full': '--full', '--models': '--models=a,b', '--nets': '--nets=a,b' };

/** The names given (options and --duration's value left out), or an error listing the known names or options. */
export function selectBenches(argv: readonly string[], known: readonly string[]): { names: string[] } | { error: string } {
  const options = argv.filter((a, i) => a.startsWith('--') && argv[i - 1] !== '--duration');
  const badOptions = options.filter((o) => !FLAGS.includes(o) && !LISTS.some((l) => o.startsWith(l) && o.length > l.length));
  if (badOptions.length > 0) {
    const near = badOptions.map((o) => closest(o.replace(/=.*$/, ''), Object.keys(SHOWN))).filter((n): n is string => n !== undefined);
    return {
      error: `bench: unknown option ${badOptions.map((o) => `'${o}'`).join(', ')}${near.length ? ` (did you mean ${near.map((n) => SHOWN[n]).join(', ')}?)` : ''}; the options: ${Object.values(SHOWN).join(', ')}`,
    };
  }
  const names = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--duration');
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length === 0) return { names };
  const near = unknown.map((n) => closest(n, [...known])).filter((n): n is string => n !== undefined);
  return {
    error: `bench: no benchmark named ${unknown.map((n) => `'${n}'`).join(', ')}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; the names: ${known.join(', ')}`,
  };
}
