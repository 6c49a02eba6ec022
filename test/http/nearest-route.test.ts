/** nearestRoute (http/errors.ts): the "did you mean" of a 404, cheap whatever the path's length. */
import { describe, expect, it, vi } from 'vitest';
import { SUGGEST_MAX_CHARS, nearestRoute } from '../../src/http/errors.js';

// the longest string handed to an edit distance (directly or through closest): its cost is quadratic in it
const compared = vi.hoisted(() => ({ longest: 0 }));
vi.mock('../../src/suggest.js', async (actual) => {
  const real = await actual<typeof import('../../src/suggest.js')>();
  const note = (...words: string[]) => void (compared.longest = Math.max(compared.longest, ...words.map((w) => w.length)));
  return {
    ...real,
    editDistance: (a: string, b: string) => (note(a, b), real.editDistance(a, b)),
    closest: (word: string, candidates: readonly string[], max?: number) => (note(word), real.closest(word, candidates, max)),
  };
});

const route = (method: string, url: string) => ({ method, url, matcher: /^$/ });
const routes = [route('GET', '/v1/models'), route('GET', '/v1/models/:name'), route('GET', '/v1/models/:name/report'), route('GET', '/v1/jobs/:id'), route('POST', '/v1/analyze'), route('GET', '/docs/static/*')];

describe('nearestRoute', () => {
  it.each([
    ['GET', '/v1/model/resnet50', '/v1/models/resnet50'],
    ['GET', '/v1/jobz/0b5e', '/v1/jobs/0b5e'],
    ['POST', '/v1/analyse', '/v1/analyze'],
    ['GET', '/v1/models/resnet18/reprot', '/v1/models/resnet18/report'],
    ['GET', '/v2/whatever', undefined],
    ['GET', '/docs/static/x', undefined],
    ['GET', '/v1/models/', '/v1/models'],
    ['GET', '/v1/models/resnet18/', '/v1/models/resnet18'],
    ['GET', '/v1/models/resnet18/report/', '/v1/models/resnet18/report'],
    ['POST', '/v1/analyze/', '/v1/analyze'],
  ])("%s %s → %s (a parameter takes the path's own segment, not an empty one: /v1/models/ was told 'did you mean /v1/models/?'; a trailing slash is dropped: /v1/models/resnet18/ got nothing; wildcards are never suggested)", (method, path, expected) => {
    expect(nearestRoute(routes, method, path)).toBe(expected);
  });

  it.each([
    ['/a', undefined, 'one letter: max(2, ⌊1/3⌋) capped at 1 − 1 = 0 edits (it was one edit from /: "did you mean GET /?")'],
    ['/v', undefined, 'as /a'],
    ['/v1', undefined, 'v1: 1 edit allowed, / is 2 away'],
    ['/graphq', '/graphql', 'graphq: 6 letters, 2 edits allowed, 1 made'],
    ['/v1/zoo/resnet', undefined, "v1zoo: 5 letters, 2 edits allowed; /v1/jobs/:id is 3 away (compared as /v1/zoo/:id, whose ':id' matched for free, 11 characters allowed 3)"],
    ['/v1/jobz/resnet', '/v1/jobs/resnet', 'v1jobz: 1 edit'],
  ])("GET %s → %s: the edits allowed count the path's own letters, not its slashes nor a parameter's place (%s)", (path, expected, _why) => {
    const withRoot = [...routes, route('GET', '/'), route('GET', '/graphql')];
    expect(nearestRoute(withRoot, 'GET', path)).toBe(expected);
  });

  it("an 8,000-character id in a parameter's place is compared as the route's `:name`: no string over SUGGEST_MAX_CHARS is compared (the id filled in first, an 8 KB path held the event loop 3–4 s)", () => {
    const id = 'a'.repeat(8000);
    compared.longest = 0;
    expect(nearestRoute(routes, 'GET', `/v1/jobz/${id}`)).toBe(`/v1/jobs/${id}`);
    expect(compared.longest).toBeGreaterThan(0);
    expect(compared.longest).toBeLessThanOrEqual(SUGGEST_MAX_CHARS);
  });

  it(`a path still over ${SUGGEST_MAX_CHARS} characters once its parameters are masked is not compared, and gets no suggestion`, () => {
    compared.longest = 0;
    expect(nearestRoute(routes, 'GET', `/v1/${'b'.repeat(8000)}`)).toBeUndefined();
    expect(nearestRoute(routes, 'GET', `/v1/modelz/x/${'c'.repeat(SUGGEST_MAX_CHARS)}`)).toBeUndefined();
    expect(compared.longest).toBeLessThanOrEqual(SUGGEST_MAX_CHARS);
  });
});
