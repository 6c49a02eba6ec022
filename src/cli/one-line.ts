/**
 * An error line is one line (README: Command line): a message that quotes a file (JSON.parse's
 * `Unexpected token 'g', "garbage\n" is not valid JSON`, a binary file's bytes) has its control
 * characters, line separators, bidirectional controls and U+FFFD (bytes that were not UTF-8) escaped,
 * and a quoted file is cut short.
 */
import { jsonLineColumn } from '../http/json-position.js';

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffd]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` on one line, at most `max` characters (a longer one ends in `…`). */
export function oneLine(text: string, max = Infinity): string {
  const escaped = text.replace(UNPRINTABLE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped.length <= max) return escaped;
  // not between the halves of a surrogate pair
  const cut = /[\ud800-\udbff]/.test(escaped[max - 2]) ? max - 2 : max - 1;
  return `${escaped.slice(0, cut)}…`;
}

/** The most of JSON.parse's message an error line quotes: its snippet of the file is noise past this. */
export const MAX_JSON_ERROR_CHARS = 120;

/**
 * JSON.parse's error as a message part: one line, at most MAX_JSON_ERROR_CHARS, then, given the
 * text, the line and column of the position it names (Node 20 says only `at position 133`).
 */
export function jsonErrorText(e: unknown, text?: string): string {
  const message = e instanceof Error ? e.message : String(e);
  return oneLine(message, MAX_JSON_ERROR_CHARS) + (text === undefined ? '' : jsonLineColumn(message, text));
}
