/**
 * MAX_CONNECTIONS: open client connections, idle keep-alive ones included, are bounded, so that a
 * client holding thousands of sockets cannot use up the process's file descriptors (a hunt held
 * 20,000 and /healthz went unanswered). Past the limit a new connection is closed as it arrives;
 * once one closes, the next is served.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { testApp } from './app.js';

let app: FastifyInstance;
let port: number;
beforeAll(async () => {
  app = await testApp({ MAX_CONNECTIONS: '2' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => app.close());

/** A raw connection and what it reads: its whole answer, or '' when the server closes it unanswered. */
function open(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}
function ask(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\r\n\r\n') && /"status":"ok"/.test(text)) resolve(text);
    });
    s.on('error', () => resolve(text));
    s.on('close', () => resolve(text));
    s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  });
}

describe('MAX_CONNECTIONS', () => {
  it('defaults to 10,000 and is read from the environment', () => {
    expect(loadConfig({}).MAX_CONNECTIONS).toBe(10_000);
    expect(loadConfig({ MAX_CONNECTIONS: '2' }).MAX_CONNECTIONS).toBe(2);
    expect(app.server.maxConnections).toBe(2);
  });

  it('2: two idle keep-alive connections held, a third is closed unanswered; one closed, the next is answered 200', async () => {
    const [a, b] = [await open(), await open()];
    // both are served and stay open (keep-alive)
    expect(await ask(a)).toMatch(/^HTTP\/1\.1 200/);
    expect(await ask(b)).toMatch(/^HTTP\/1\.1 200/);
    const third = await open();
    expect(await ask(third)).toBe('');
    a.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const fourth = await open();
    expect(await ask(fourth)).toMatch(/^HTTP\/1\.1 200/);
    for (const s of [b, third, fourth]) s.destroy();
  });
});
