/**
 * How an error answer is logged (http/errors.ts sendError): load shedding (OVERLOADED, NOT_READY,
 * answered with Retry-After) is a warning with its code and no stack; other 5xx (TIMEOUT,
 * PARTNER_FAILED) are errors with the error and its stack; 4xx are info with code and path.
 */
import { describe, expect, it } from 'vitest';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConvlensError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import { sendError } from '../../src/http/errors.js';

function logged(code: ErrorCode, details = {}) {
  const records: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => records.push({ level, fields, msg });
  const request = { headers: {}, id: 'req-1', raw: { socket: { destroyed: false } }, log: { info: at('info'), warn: at('warn'), error: at('error') } } as unknown as FastifyRequest;
  const headers: Record<string, string> = {};
  const sent: { status?: number; body?: unknown } = {};
  const reply = {
    raw: { destroyed: false, writableFinished: false },
    hasHeader: (h: string) => h in headers,
    header: (h: string, v: string) => ((headers[h] = v), reply),
    status: (s: number) => ((sent.status = s), reply),
    send: (b: unknown) => ((sent.body = b), reply),
  } as unknown as FastifyReply;
  sendError(request, reply, new ConvlensError(code, `a ${code} answer`, details));
  return { records, headers, sent };
}

describe('error answers in the log', () => {
  it.each(['OVERLOADED', 'NOT_READY'] as const)('%s: 503 with Retry-After 1, one warning with its code and no error or stack', (code) => {
    const { records, headers, sent } = logged(code);
    expect(sent.status).toBe(503);
    expect(headers['retry-after']).toBe('1');
    expect(records).toEqual([{ level: 'warn', fields: { code }, msg: `a ${code} answer` }]);
  });

  it.each(['TIMEOUT', 'PARTNER_FAILED'] as const)('%s: 503, one error record carrying the error (its stack)', (code) => {
    const { records, sent } = logged(code);
    expect(sent.status).toBe(503);
    expect(records).toHaveLength(1);
    expect(records[0].level).toBe('error');
    expect(records[0].fields.err).toBeInstanceOf(ConvlensError);
  });

  it('INVALID_ATTRIBUTE at $.layers[0].kernelSize: 400, info with code and path', () => {
    const { records, sent } = logged('INVALID_ATTRIBUTE', { path: '$.layers[0].kernelSize', layer: 'c' });
    expect(sent.status).toBe(400);
    expect(records).toEqual([{ level: 'info', fields: { code: 'INVALID_ATTRIBUTE', path: '$.layers[0].kernelSize', layer: 'c' }, msg: 'a INVALID_ATTRIBUTE answer' }]);
  });
});
