/**
 * The pages in a real browser (Debian's chromium through puppeteer-core), offline: every request
 * to another host is aborted, so a page that needs a CDN renders nothing and fails here.
 * Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, HAVE_CHROMIUM, openPage, serve, visibleText } from './harness.js';
import type { Served } from './harness.js';

if (!HAVE_CHROMIUM) console.warn(`browser tests SKIPPED: no chromium at ${CHROMIUM} (set CHROMIUM_PATH, or apt-get install chromium)`);

const WAIT = { timeout: 15_000 };

describe.skipIf(!HAVE_CHROMIUM)('the pages in chromium, with every other host blocked', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve();
  });
  afterAll(async () => served?.close());

  it('GET / shows the landing page, and every link on it answers 200', async () => {
    const w = await openPage(served, 1000, 800);
    try {
      await w.page.goto(`${served.base}/`, { waitUntil: 'load' });
      expect(await w.page.title()).toMatch(/^convlens \d+\.\d+\.\d+$/);
      const links = await w.page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
      expect(links).toEqual(['/graphiql', '/docs', '/openapi.json', '/v1/schema/network', '/v1/schema/report', '/v1/models', '/v1/operators', '/healthz', '/metrics']);
      const statuses = await w.page.evaluate(async (hrefs) => Promise.all(hrefs.map(async (h) => [h, (await fetch(h!)).status])), links);
      expect(statuses).toEqual(links.map((h) => [h, 200]));
      expect(await visibleText(w.page)).toContain('POST a network');
      await w.screenshot('landing');
      expect(w.blocked).toEqual([]);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('GET /graphiql: GraphiQL renders, runs analyze(model: "resnet18") to params 11689512, and its docs explorer shows Query', async () => {
    const w = await openPage(served);
    try {
      await w.page.goto(`${served.base}/graphiql`, { waitUntil: 'load' });
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
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('GET /docs: Swagger UI renders every operation of /openapi.json, and POST /v1/analyze opens to its parameters and Report response', async () => {
    const w = await openPage(served, 1400, 1800);
    try {
      await w.page.goto(`${served.base}/docs`, { waitUntil: 'load' });
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
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });
});
