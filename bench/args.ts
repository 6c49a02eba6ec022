/**
 * npm run bench's arguments: benchmark names select them (none: every default one), `--json`,
 * `--duration N` (load's length) and `--tsx` (load's server) are options. A name that is no
 * benchmark is an error listing the names: a mistyped one in a tracking job ran nothing and exited 0.
 */
import { closest } from '../src/suggest.js';

/** The names given (options and --duration's value left out), or an error listing the known names. */
export function selectBenches(argv: readonly string[], known: readonly string[]): { names: string[] } | { error: string } {
  const names = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--duration');
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length === 0) return { names };
  const near = unknown.map((n) => closest(n, [...known])).filter((n): n is string => n !== undefined);
  return {
    error: `bench: no benchmark named ${unknown.map((n) => `'${n}'`).join(', ')}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; the names: ${known.join(', ')}`,
  };
}
