/**
 * The pages in a real browser (Debian's chromium through puppeteer-core), offline: every request
 * to another host is aborted, so a page that needs a CDN renders nothing and fails here. Each page
 * is served with the security headers (helmet) and its one Content-Security-Policy, and renders
 * without a CSP violation. Screenshots go to test-artifacts/.
 */
import type { HTTPResponse } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CSP_DIRECTIVES } from '../../src/http/security.js';
import { CHROMIUM, HAVE_CHROMIUM, openPage, serve, visibleText } from './harness.js';
import type { Served, Watched } from './harness.js';

if (!HAVE_CHROMIUM) console.warn(`browser tests SKIPPED: no chromium at ${CHROMIUM} (set CHROMIUM_PATH, or apt-get install chromium)`);

const WAIT = { timeout: 15_000 };

const CSP = Object.entries(CSP_DIRECTIVES)
  .map(([directive, values]) => `${directive} ${values.join(' ')}`)
  .join(';');

/** The page came with helmet's headers and the app's one policy. */
function expectSecurityHeaders(response: HTTPResponse | null): void {
  expect(response?.status()).toBe(200);
  expect(response!.headers()).toMatchObject({
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  });
}

/** No CSP violation, as an event or as a console message. */
function expectNoCspViolation(w: Watched): void {
  expect(w.violations).toEqual([]);
  expect(w.problems.filter((p) => /Content Security Policy/i.test(p))).toEqual([]);
}

describe.skipIf(!HAVE_CHROMIUM)('the pages in chromium, with every other host blocked', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve();
  });
  afterAll(async () => served?.close());

  it('GET / shows the landing page, and every link on it answers 200', async () => {
    const w = await openPage(served, 1000, 800);
    try {
      expectSecurityHeaders(await w.page.goto(`${served.base}/`, { waitUntil: 'load' }));
      expect(await w.page.title()).toMatch(/^convlens \d+\.\d+\.\d+$/);
      const links = await w.page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
      expect(links).toEqual(['/graphiql', '/docs', '/openapi.json', '/v1/schema/network', '/v1/schema/report', '/v1/models', '/v1/operators', '/healthz', '/metrics']);
      const statuses = await w.page.evaluate(async (hrefs) => Promise.all(hrefs.map(async (h) => [h, (await fetch(h!)).status])), links);
      expect(statuses).toEqual(links.map((h) => [h, 200]));
      expect(await visibleText(w.page)).toContain('POST a network');
      // the example command is seen whole, wrapped if need be (it ran past the box, cut at `| jq .tota`, behind a scroll bar)
      expect(await w.page.$eval('pre', (p) => [p.scrollWidth <= p.clientWidth, p.textContent])).toEqual([true, expect.stringMatching(/\| jq \.totals$/)]);
      await w.screenshot('landing');
      expect(w.blocked).toEqual([]);
      expectNoCspViolation(w);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('GET /graphiql: GraphiQL renders, runs analyze(model: "resnet18") to params 11689512, and its docs explorer shows Query', async () => {
    const w = await openPage(served);
    try {
      expectSecurityHeaders(await w.page.goto(`${served.base}/graphiql`, { waitUntil: 'load' }));
      const editor = '.graphiql-query-editor .CodeMirror';
      await w.page.waitForSelector(editor, { visible: true, ...WAIT });
      const value = () => w.page.$eval(editor, (el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
      expect(await value()).toContain('analyze(model: "resnet18")');

      // replace the default query by typing one (CodeMirror closes brackets and quotes; typing the closer steps over it)
      await w.page.click(`${editor} .CodeMirror-lines`);
      await w.page.keyboard.down('Control');
      await w.page.keyboard.press('KeyA');
      await w.page.keyboard.up('Control');
      await w.page.keyboard.press('Backspace');
      const query = '{ analyze(model: "resnet18", resolution: 224) { name totals { params macs } } }';
      await w.page.keyboard.type(query);
      await w.page.keyboard.press('Escape'); // closes an autocomplete list, if one is open
      expect(await value()).toBe(query);
      await w.page.click('button[aria-label^="Prettify query"]');
      await w.page.waitForFunction((sel) => (document.querySelector(sel) as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue().includes('\n'), WAIT, editor);
      expect((await value()).replace(/\s+/g, ' ').trim()).toBe(query.replace(/\s+/g, ' '));

      await w.page.click('.graphiql-execute-button');
      const result = await w.page.waitForFunction(
        () => {
          const text = (document.querySelector('.result-window') as HTMLElement | null)?.innerText ?? '';
          return text.includes('"params"') && text.includes('"macs"') ? text : false;
        },
        WAIT,
      );
      const text = String(await result.jsonValue());
      expect(text).toMatch(/"name": "resnet18"/);
      expect(text).toMatch(/"params": 11689512\b/); // torchvision's published count
      expect(text).toMatch(/"macs": 1814073344\b/);
      await w.screenshot('graphiql-result');

      await w.page.click('button[aria-label="Show Documentation Explorer"]');
      await w.page.waitForSelector('.graphiql-doc-explorer', { visible: true, ...WAIT });
      const queryLink = await w.page.waitForSelector('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name::-p-text(Query)', WAIT);
      await queryLink!.click();
      await w.page.waitForSelector('.graphiql-doc-explorer-field-name::-p-text(analyze)', WAIT);
      const fields = await w.page.$$eval('.graphiql-doc-explorer-field-name', (els) => els.map((e) => e.textContent));
      expect(fields).toEqual(expect.arrayContaining(['analyze', 'models', 'model', 'operators', 'runOperator', 'foldBatchNorm', 'run']));
      expect(await visibleText(w.page, '.graphiql-doc-explorer')).toContain('Analyse a network');
      await w.screenshot('graphiql-docs');

      expect(w.blocked).toEqual([]);
      expectNoCspViolation(w);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('GET /docs: Swagger UI renders every operation of /openapi.json, and POST /v1/analyze opens to its parameters and Report response', async () => {
    const w = await openPage(served, 1400, 1800);
    try {
      expectSecurityHeaders(await w.page.goto(`${served.base}/docs`, { waitUntil: 'load' }));
      await w.page.waitForSelector('.swagger-ui .info .title', { visible: true, ...WAIT });
      expect(await visibleText(w.page, '.swagger-ui .info .title')).toMatch(/^convlens/);
      await w.page.waitForSelector('.opblock-summary-path[data-path="/v1/analyze"]', { visible: true, ...WAIT });
      const shown = await w.page.$$eval('.opblock', (blocks) =>
        blocks.map((b) => `${b.querySelector('.opblock-summary-method')?.textContent} ${b.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`),
      );
      const doc = (await (await fetch(`${served.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      expect(shown.sort()).toEqual(documented.sort());

      await w.page.click('.opblock-post .opblock-summary-path[data-path="/v1/analyze"]');
      await w.page.waitForSelector('.opblock.is-open .parameters-container', { visible: true, ...WAIT });
      const opened = await visibleText(w.page, '.opblock.is-open');
      expect(opened).toContain('resolution');
      expect(opened).toContain('application/json');
      await w.page.waitForSelector('.opblock.is-open .responses-table', { visible: true, ...WAIT });
      expect(await visibleText(w.page, '.opblock.is-open .responses-table')).toMatch(/UNKNOWN_MODEL/);
      await w.screenshot('docs');

      expect(w.blocked).toEqual([]);
      expectNoCspViolation(w);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('the violation check can fail: an inline script added to /graphiql is refused by the policy and reported', async () => {
    const w = await openPage(served, 800, 600);
    try {
      await w.page.goto(`${served.base}/graphiql`, { waitUntil: 'load' });
      await w.page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.__ran = true';
        document.body.appendChild(script);
      });
      await vi.waitFor(() => expect(w.violations.length).toBeGreaterThan(0), { timeout: 5_000, interval: 50 });
      expect(await w.page.evaluate(() => (window as unknown as { __ran?: boolean }).__ran ?? false)).toBe(false);
      expect(w.violations).toEqual([expect.stringMatching(/^script-src-elem inline at /)]);
      expect(w.problems.some((p) => /Content Security Policy/.test(p))).toBe(true);
    } finally {
      await w.close();
    }
  });
});

describe.skipIf(!HAVE_CHROMIUM)('with API_KEYS: the pages stay open, the API needs the key', () => {
  const KEY = 'browser-test-key-0123456789abcdef';
  let served: Served;
  beforeAll(async () => {
    served = await serve({ API_KEYS: KEY });
  });
  afterAll(async () => served?.close());

  it('GraphiQL opens without a key, with an Authorization header to fill in; with the key filled in, analyze runs', async () => {
    const w = await openPage(served);
    try {
      expectSecurityHeaders(await w.page.goto(`${served.base}/graphiql`, { waitUntil: 'load' }));
      const headers = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
      await w.page.waitForSelector(headers, { visible: true, ...WAIT });
      const cm = (sel: string, set?: string) =>
        w.page.$eval(
          sel,
          (el, v) => {
            const c = (el as unknown as { CodeMirror: { getValue(): string; setValue(s: string): void } }).CodeMirror;
            if (v !== null) c.setValue(v);
            return c.getValue();
          },
          set ?? null,
        );
      expect(JSON.parse(await cm(headers))).toEqual({ Authorization: 'Bearer <your API key>' });
      await cm(headers, JSON.stringify({ Authorization: `Bearer ${KEY}` }));
      await cm('.graphiql-query-editor .CodeMirror', '{ analyze(model: "resnet18") { totals { params } } }');
      await w.page.click('.graphiql-execute-button');
      const result = await w.page.waitForFunction(
        () => {
          const text = (document.querySelector('.result-window') as HTMLElement | null)?.innerText ?? '';
          return text.includes('"params"') ? text : false;
        },
        WAIT,
      );
      expect(String(await result.jsonValue())).toMatch(/"params": 11689512\b/);
      await w.screenshot('graphiql-api-key');
      expect(w.blocked).toEqual([]);
      expectNoCspViolation(w);
      // before the key was filled in, GraphiQL's schema fetch was refused: 401s of /graphql and nothing else
      expect(w.problems.filter((p) => !/^HTTP 401: POST .*\/graphql$/.test(p) && !/status of 401/.test(p))).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('/docs renders without a key and lists the key schemes (Authorize)', async () => {
    const w = await openPage(served, 1400, 1000);
    try {
      expectSecurityHeaders(await w.page.goto(`${served.base}/docs`, { waitUntil: 'load' }));
      await w.page.waitForSelector('.swagger-ui .auth-wrapper .authorize', { visible: true, ...WAIT });
      expect(w.blocked).toEqual([]);
      expectNoCspViolation(w);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });
});
