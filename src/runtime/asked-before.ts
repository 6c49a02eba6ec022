/**
 * What earlier runs asked a kept store for, and this run: a value (a variant, or `true`) by key. A
 * kept store keeps a weight from the second run that asks for it as before (one run alone, or a
 * client changing seeds every request, keeps nothing).
 */
export class AskedBefore<K, V = true> {
  private readonly before = new Map<K, V>();
  private readonly now = new Map<K, V>();

  /** What a run before this one asked for as `key` (undefined: none did). */
  earlier(key: K): V | undefined {
    return this.before.get(key);
  }

  /** This run asks for `key` as `value`. */
  ask(key: K, value: V): void {
    this.now.set(key, value);
  }

  /** The run is over: what it asked for is what earlier runs asked for, as of the next. */
  endRun(): void {
    for (const [k, v] of this.now) this.before.set(k, v);
    this.now.clear();
  }
}
