/**
 * Where in a JSON text JSON.parse stopped, as a person finds it: V8 on Node 20 says only `… in JSON
 * at position 133`, which in a spec file of many lines is a count of characters to do by hand;
 * Node 22 and later add ` (line 4 column 72)` themselves, and that form is given here too.
 */

/** ` (line L column C)` (1-based, as V8 writes it) for the position JSON.parse's message names, or '' when it names none or already says the line. */
export function jsonLineColumn(message: string, text: string): string {
  const at = /\bat position (\d+)\b/.exec(message);
  if (!at || /\(line \d+ column \d+\)/.test(message)) return '';
  const position = Math.min(Number(at[1]), text.length);
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < position; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return ` (line ${line} column ${position - start + 1})`;
}

/** JSON.parse's error message with its line and column (jsonLineColumn). */
export function jsonParseMessage(e: unknown, text: string): string {
  const message = e instanceof Error ? e.message : String(e);
  return message + jsonLineColumn(message, text);
}
