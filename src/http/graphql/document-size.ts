/**
 * A GraphQL document's size in UTF-8 bytes, bounded (GRAPHQL_MAX_DOCUMENT_BYTES) before anything
 * reads it: the literal, name and nesting scans, convlens's parse and mercurius's own parse of the
 * text (out of reach: graphql.ts's header says why). The token limit bounds tokens, not bytes, and a
 * literal is at most 64 KiB: a 20 MB document of 330 such literals within 10,000 tokens took 30–110 ms
 * a parse on the event loop, and mercurius parses even a large body's document there. Checked where
 * the document arrives: a JSON body's `query` (in the worker for a large body, graphql/prepare.ts; in
 * body.ts's name maps, the first reader of a body holding `__proto__`), GET's `query` parameter and
 * an `application/graphql` body, all with the one message. Variables are not bounded by it.
 */
import { ConvlensError } from '../../errors.js';

/**
 * The refusal of a document over `limit` UTF-8 bytes, at `at` ($.query, GET's query.query, `$` for
 * an application/graphql body), or null. A UTF-16 code unit is 1 to 3 bytes (a surrogate pair 4, so
 * at most 3 a unit), so a text of at most limit / 3 units is within it without counting.
 */
export function documentTooLarge(document: string | Uint8Array, limit: number, at: string): ConvlensError | null {
  if (typeof document === 'string' && document.length * 3 <= limit) return null;
  const bytes = typeof document === 'string' ? Buffer.byteLength(document, 'utf8') : document.byteLength;
  if (bytes <= limit) return null;
  return new ConvlensError(
    'QUERY_TOO_COMPLEX',
    `the document is ${bytes} bytes (UTF-8), over GRAPHQL_MAX_DOCUMENT_BYTES (${limit}): pass specs, tensors, ONNX files and other large values as variables (a tensor as { shape, dtype: "float32", base64 }, or as a .npy part to the REST routes)`,
    { path: at, limit, bytes },
  );
}
