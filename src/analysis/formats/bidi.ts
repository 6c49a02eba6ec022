/**
 * Bidirectional controls in a name (U+202A–U+202E embeddings and overrides, U+2066–U+2069
 * isolates) reorder the text around them where a reader sees it: a report title "… 'sq' RTL"
 * displayed as "… 'sq' LTR", a layer name shown reversed (Trojan Source, CVE-2021-42574). The
 * renderings (HTML, SVG, Markdown) show each as its code point, ⟨U+202E⟩, so a name reads as it is
 * stored; JSON and CSV keep the characters.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

export function visibleBidi(s: string): string {
  return s.replace(BIDI_CONTROLS, (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase()}⟩`);
}
