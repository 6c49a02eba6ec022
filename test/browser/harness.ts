/**
 * Drives Debian's chromium (puppeteer-core, no downloaded browser) against the app on a loopback
 * port, offline: every request to another origin is aborted and recorded, and so are console
 * errors, uncaught page errors, failed same-origin responses and Content-Security-Policy
 * violations (the page's securitypolicyviolation events, which also reach the console), for the
 * test to assert on.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';
import { testApp } from '../http/app.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

export interface Served {
  app: FastifyInstance;
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function serve(env: Record<string, string> = {}): Promise<Served> {
  const app = await testApp(env);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--headless=new', '--no-first-run', '--disable-extensions'],
  });
  return {
    app,
    base,
    browser,
    async close() {
      await browser.close();
      await app.close();
    },
  };
}

export interface Watched {
  page: Page;
  /** Requests to another origin, aborted. */
  blocked: string[];
  /** Console errors, uncaught exceptions, failed requests and 4xx/5xx answers of the test server. */
  problems: string[];
  /** CSP violations: `<directive> <blocked URI or inline> at <source>:<line>`. */
  violations: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** A fresh page in its own browser context (no storage shared between tests), watched. */
export async function openPage(served: Served, width = 1400, height = 900): Promise<Watched> {
  const context = await served.browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width, height });
  const origin = new URL(served.base).origin;
  const blocked: string[] = [];
  const problems: string[] = [];
  const violations: string[] = [];
  await page.exposeFunction('__convlensCspViolation', (v: string) => violations.push(v));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __convlensCspViolation: (v: string) => void }).__convlensCspViolation;
      void report(`${e.violatedDirective} ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) {
      void request.continue();
    } else {
      blocked.push(url);
      void request.abort('blockedbyclient');
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
  page.on('requestfailed', (request) => {
    if (!blocked.includes(request.url())) problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  return {
    page,
    blocked,
    problems,
    violations,
    async screenshot(name: string) {
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file as `${string}.png` });
      return file;
    },
    close: () => context.close(),
  };
}

/** The page's visible text (innerText), for asserting that something was rendered. */
export function visibleText(page: Page, selector = 'body'): Promise<string> {
  return page.$eval(selector, (el) => (el as HTMLElement).innerText);
}
