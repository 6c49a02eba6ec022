/**
 * Characters in a name that a rendering must not pass through as they are:
 *  - bidirectional controls (U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates)
 *    reorder the text around them where a reader sees it: a report title "… 'sq' RTL" displayed as
 *    "… 'sq' LTR", a layer name shown reversed (Trojan Source, CVE-2021-42574);
 *  - C0 controls other than tab and line breaks, and DEL: invisible in Markdown (a NUL was written
 *    raw there), and not characters XML 1.0 has (HTML and SVG showed them as U+FFFD).
 * The renderings (HTML, SVG, Markdown) show each as its code point, ⟨U+202E⟩, ⟨U+0⟩, so a name reads
 * as it is stored; JSON and CSV keep the characters (CSV quotes the field).
 */
const HIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

export function visibleControls(s: string): string {
  return s.replace(HIDDEN, (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase()}⟩`);
}
