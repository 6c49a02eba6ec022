/**
 * Shared settings of the fuzzers (test/fuzz/*.test.ts): one seed per file, fixed in CI, printed
 * with the command that replays it when a property fails; helpers that check an HTTP answer
 * against the error catalog and put a deadline on every request.
 *
 *   FUZZ_SEED=<n>   replay a run (every property of the file uses this seed)
 *   FUZZ_RUNS=<x>   multiply every property's numRuns (e.g. 10 for a long local session)
 *   FUZZ_SURVEY=1   list every distinct failure instead of stopping at the first (triage)
 * Without FUZZ_SEED the seed is CI_SEED under CI (reproducible CI) and random elsewhere.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import type { AppOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ERROR_CATALOG } from '../../src/errors.js';

const CI_SEED = 20_260_109;
export const SEED: number = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : process.env.CI ? CI_SEED : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const SCALE = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 1;
fc.configureGlobal({ seed: SEED });

/** Per test: a property runs at most 30 s (interruptAfterTimeLimit), then its last answer may take a few more. */
export const TIMEOUT = 60_000;

/** numRuns scaled by FUZZ_RUNS. */
export const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));

/**
 * fc.assert, whose failure message ends with the seed and the command that replays the file.
 * A property runs at most 30 s (shrinking included), so a failing one ends within its test's timeout.
 */
export async function check<Ts extends [unknown, ...unknown[]]>(
  property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>,
  params: fc.Parameters<Ts>,
  file: string,
): Promise<void> {
  try {
    await fc.assert(property as fc.IAsyncPropertyWithHooks<Ts>, { interruptAfterTimeLimit: 30_000, ...params, seed: SEED });
  } catch (e) {
    const err = e as Error;
    err.message += `\n\nfuzz seed ${SEED}: replay with FUZZ_SEED=${SEED} npx vitest run ${file}`;
    throw err;
  }
}

/** `p`, or a rejection naming `what` after `ms` milliseconds (a hang is a failure, not a stuck run). */
export async function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Errors the app logged (level error and above), by request id: the stack behind a 5xx. */
const logged = new Map<string, string>();

/**
 * The production app as test/http/app.ts builds it (2 workers unless `env` says otherwise), with a
 * logger that keeps what it logs at level error, so a failing property shows the 5xx's stack.
 */
export async function fuzzApp(env: Record<string, string> = {}, options: Partial<AppOptions> = {}): Promise<FastifyInstance> {
  const stream = {
    write(line: string) {
      try {
        const o = JSON.parse(line) as { reqId?: string; err?: { stack?: string; message?: string }; msg?: string };
        const text = o.err?.stack ?? o.err?.message ?? o.msg ?? line;
        logged.set(o.reqId ?? '', `${logged.get(o.reqId ?? '') ?? ''}${text}\n`);
      } catch {
        logged.set('', line);
      }
    },
  };
  const app = await buildApp({ config: loadConfig({ WORKERS: '2', ...env }), logger: pino({ level: 'error' }, stream), ...options });
  await app.ready();
  return app;
}

export interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** The catalog code of an error answer (the body is `{ error: { code, … }, requestId }`). */
export function errorCode(res: Answer): string | undefined {
  try {
    return (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/**
 * FUZZ_SURVEY=1: a violated property does not stop at the first case; each distinct failure
 * (status, code and the top of the logged stack) is counted with its first example and written to
 * /tmp/fuzz-survey/<file>.json when the file ends (surveySummary). For triage, not for CI.
 */
export const SURVEY = process.env.FUZZ_SURVEY === '1';
const survey = new Map<string, { count: number; example: string }>();

/** A property violation: thrown (strict), or recorded under `signature` (survey). */
export function violation(signature: string, message: string): void {
  if (!SURVEY) throw new Error(message);
  signature = signature.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, 'N');
  const known = survey.get(signature);
  if (known) known.count++;
  else survey.set(signature, { count: 1, example: message.slice(0, 4000) });
}

/** Writes the survey of this file (FUZZ_SURVEY=1 only); call in afterAll. */
export function surveySummary(file: string): void {
  if (!SURVEY) return;
  mkdirSync('/tmp/fuzz-survey', { recursive: true });
  const out = [...survey].map(([signature, v]) => ({ signature, ...v }));
  writeFileSync(`/tmp/fuzz-survey/${path.basename(file)}.json`, JSON.stringify(out, null, 2));
  process.stderr.write(`fuzz survey of ${file}: ${out.length} distinct failures (/tmp/fuzz-survey/${path.basename(file)}.json)\n`);
}

/** What the app logged at level error while answering `res` (its request id). */
export function loggedFor(res: Answer): string {
  return logged.get(String(res.headers['x-request-id'] ?? '')) ?? '';
}

/** The first frames of a logged stack that point into the project (for a failure's signature). */
export function topFrames(stack: string): string {
  const lines = stack.split('\n');
  const frames = lines.filter((l) => l.trim().startsWith('at ')).slice(0, 2).map((l) => l.trim().replace(/\(\/.*\/(src|node_modules)\//, '($1/'));
  return [lines[0], ...frames].join(' | ');
}

/**
 * Every answer is a 2xx, or a 4xx whose JSON body carries a catalog code with that status; never
 * a 5xx. `allowed` narrows the codes a 4xx may carry. Returns the parsed JSON body (null for a
 * binary 2xx such as a .npy answer, or after a recorded violation).
 */
export function expectCatalogAnswer(res: Answer, what: string, allowed?: readonly string[]): unknown {
  const status = res.statusCode;
  const ctx = `${what}\n→ ${status} ${res.body.slice(0, 600)}`;
  if (status >= 500 || status < 200 || (status >= 300 && status < 400)) {
    const stack = logged.get(String(res.headers['x-request-id'] ?? '')) ?? '';
    violation(`${status} ${errorCode(res)} ${topFrames(stack)}`, `a ${status} answer:\n${ctx}\nlogged: ${stack || '(nothing)'}`);
    return null;
  }
  const type = String(res.headers['content-type'] ?? '');
  if (status < 300 && !type.startsWith('application/json')) return null;
  if (!/^application\/(graphql-response\+)?json/.test(type)) {
    violation(`${status} content-type ${type}`, `a ${status} answer that is not JSON (${type}):\n${ctx}`);
    return null;
  }
  const body = JSON.parse(res.body) as { error?: { code?: string } };
  if (status >= 400) {
    const code = body.error?.code;
    if (!code || !Object.hasOwn(ERROR_CATALOG, code) || ERROR_CATALOG[code as keyof typeof ERROR_CATALOG].status !== status) {
      violation(`${status} non-catalog ${code}`, `a ${status} whose code ${code} is not the catalog's for that status:\n${ctx}`);
    } else if (allowed && !allowed.includes(code)) {
      violation(`${status} unexpected ${code}`, `${code} is none of ${allowed.join(', ')}:\n${ctx}`);
    }
  }
  return body;
}

/** Names that collide with Object.prototype or that JSON/multipart parsers treat specially. */
export const NASTY_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isPrototypeOf',
  'constructor.prototype',
  '__proto__.polluted',
  'weights.__proto__',
  'weights.constructor',
  'weights.toString',
  'weights.',
  'a[b][c]',
  'a.b.c.d.e.f',
  '0',
  '00',
  '-1',
  '1e3',
  '',
  ' ',
  'x',
  'offset',
  'mask',
  'model',
  'request',
  'weights.weight',
  'weights.bias',
  'weights.conv.weight',
  'é',
  '𝔵',
] as const;
