/**
 * "Did you mean …?" for misspelt names (request keys, op names). A candidate that equals the word
 * up to case wins outright; otherwise the nearest by Damerau–Levenshtein distance (optimal string
 * alignment: insertions, deletions, substitutions and swaps of adjacent letters each cost 1),
 * compared case-insensitively, within max(2, ⌊length/3⌋) edits by default. A suggestion must keep
 * at least one letter of the word (distance < its length), so `ab` never becomes `seed`. Ties go to
 * the earlier candidate.
 */

/** Optimal-string-alignment distance between a and b (case-sensitive; callers lower-case). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // three rolling rows: i − 2, i − 1 and i
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length];
}

/** The most edits a suggestion for `word` may be away: max(2, ⌊length/3⌋) unless given, and fewer than its length (the header). */
export function suggestionLimit(word: string, maxDistance?: number): number {
  return Math.min(maxDistance ?? Math.max(2, Math.floor(word.length / 3)), word.length - 1);
}

/** The candidate closest to `word`, or undefined when none is within `maxDistance` edits. */
export function closest(word: string, candidates: readonly string[], maxDistance?: number): string | undefined {
  const w = word.toLowerCase();
  const sameButCase = candidates.find((c) => c.toLowerCase() === w);
  if (sameButCase !== undefined) return sameButCase;
  const limit = suggestionLimit(word, maxDistance);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    // the distance is at least the difference in length: skip hopeless candidates cheaply
    if (Math.abs(c.length - word.length) > limit) continue;
    const d = editDistance(w, c.toLowerCase());
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** kernel_size → kernelSize (a word without underscores is returned as it is). */
export function toCamelCase(key: string): string {
  return key.replace(/_+([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** kernelSize → kernel_size: PyTorch's spelling of a convlens attribute (the README: PyTorch's names, in camelCase). */
export function toSnakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
