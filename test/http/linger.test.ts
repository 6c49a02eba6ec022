/**
 * The lingering close of a refused request's connection (http/admission.ts lingerOnClose): the
 * socket is destroyed once the client has closed its side and the answer is all written, never
 * while part of the answer still waits in this side's buffers (the linger's bound:
 * test/http/admission.test.ts).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { lingerOnClose } from '../../src/http/admission.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
let server: net.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

describe('lingerOnClose', () => {
  it('an 8 MiB answer still buffered when the client half-closes (it reads nothing until 300 ms later): the client receives all 8,388,608 bytes, then the end, and no reset', async () => {
    const answer = Buffer.alloc(8 << 20, 0x61);
    server = net.createServer({ allowHalfOpen: true }, (socket) => {
      lingerOnClose(socket);
      socket.write(answer);
      // as http.Server does after an answer sent with connection: close
      socket.destroySoon();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const client = net.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    client.pause();
    const events: string[] = [];
    client.on('error', (e: NodeJS.ErrnoException) => events.push(e.code ?? e.message));
    // the client's FIN reaches the server while most of the answer is still in its buffers
    client.end();
    await pause(300);
    let received = 0;
    client.on('data', (c: Buffer) => (received += c.length));
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    client.resume();
    await ended;
    expect(received).toBe(answer.length);
    expect(events).toEqual([]);
    client.destroy();
  });

});
