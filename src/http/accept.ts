/**
 * The one reader of Accept headers (RFC 9110 §12.5.1): the q-value a header gives a media type,
 * from its most specific matching range. The pages (HTML or JSON), the report formats, the tensor
 * answers and GraphQL's response media type all ask it.
 */

/** q-value of a media type under an Accept header (most specific match wins; no header accepts all). */
export function acceptQuality(accept: string | undefined, type: string): number {
  if (!accept) return 1;
  const [major] = type.split('/');
  let best = -1;
  let quality = 0;
  for (const part of accept.split(',')) {
    const [rawRange, ...params] = part.trim().toLowerCase().split(';');
    // RFC 9110 allows whitespace before the ';' of a parameter: `application/json ;q=1` (a review)
    const range = rawRange.trim();
    const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (specificity <= best) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    best = specificity;
    quality = q ? Number(q.slice(2)) || 0 : 1;
  }
  return quality;
}
