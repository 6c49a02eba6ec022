/**
 * HTTP by hand over a socket, for what supertest cannot do: send the headers and part of a body,
 * stall, go away, and see exactly when the server answers or closes.
 */
import net from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Listens on an ephemeral loopback port (once) and returns it. */
export async function portOf(app: FastifyInstance): Promise<number> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as net.AddressInfo).port;
}

export interface RawAnswer {
  /** Everything the server wrote. */
  text: string;
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection. */
  closed: boolean;
  /** Milliseconds from the first byte sent to the answer's first byte (or the close). */
  ms: number;
}

export interface RawConnection {
  socket: net.Socket;
  /** Resolves at the first bytes of an answer (then at its end, or after `settleMs`), at a close, or after `timeoutMs`. */
  answer(timeoutMs: number, settleMs?: number): Promise<RawAnswer>;
  /** Resolves true once the server has closed the connection, false after `timeoutMs`. */
  closed(timeoutMs: number): Promise<boolean>;
  send(bytes: string | Buffer): void;
  destroy(): void;
}

function parse(text: string, closed: boolean, ms: number): RawAnswer {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  const [head, ...rest] = text.split('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { text, status: m ? Number(m[1]) : null, headers, body: rest.join('\r\n\r\n'), closed, ms };
}

/** Opens a connection and writes `head` (the request line and headers: head() ends them with the blank line) then `body`. */
export async function rawRequest(port: number, head: string, body: string | Buffer = ''): Promise<RawConnection> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  let closed = false;
  const started = performance.now();
  let firstByte: number | null = null;
  const listeners = new Set<() => void>();
  socket.on('data', (c: Buffer) => {
    firstByte ??= performance.now();
    text += c.toString('latin1');
    for (const l of listeners) l();
  });
  socket.on('close', () => {
    closed = true;
    for (const l of listeners) l();
  });
  socket.on('error', () => {});
  socket.write(head);
  if (body.length) socket.write(body);
  return {
    socket,
    send: (bytes) => socket.write(bytes),
    closed: (timeoutMs) =>
      new Promise<boolean>((resolve) => {
        if (closed) return resolve(true);
        const timer = setTimeout(() => resolve(closed), timeoutMs);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
      }),
    destroy: () => socket.destroy(),
    answer: (timeoutMs, settleMs = 200) =>
      new Promise<RawAnswer>((resolve) => {
        let settle: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(timer);
          clearTimeout(settle);
          listeners.delete(check);
          resolve(parse(text, closed, (firstByte ?? performance.now()) - started));
        };
        const check = () => {
          if (closed) return done();
          const complete = /\r\n\r\n/.test(text) && (/\r\n0\r\n\r\n$/.test(text) || contentComplete(text));
          if (complete) return done();
          if (text.length && !settle) settle = setTimeout(done, settleMs);
        };
        const timer = setTimeout(done, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}

function contentComplete(text: string): boolean {
  const i = text.indexOf('\r\n\r\n');
  const m = /content-length:\s*(\d+)/i.exec(text.slice(0, i));
  return m !== null && Buffer.byteLength(text.slice(i + 4), 'latin1') >= Number(m[1]);
}

/** `POST path` with these headers, as a complete request head. */
export function head(path: string, headers: Record<string, string | number>): string {
  return [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n';
}

/** An answer with its body read as JSON ({} when there is none, or it is not JSON: the status says so). */
export type JsonAnswer = RawAnswer & { json: { error?: { code: string; message: string; path?: string } } };

/** POSTs `body` with a Content-Length and its Content-Type, waits at most `timeoutMs` for the answer (status null: none came). */
export async function postWhole(port: number, path: string, body: Buffer, contentType: string, timeoutMs: number): Promise<JsonAnswer> {
  const conn = await rawRequest(port, head(path, { 'content-type': contentType, 'content-length': body.length }), body);
  try {
    const answer = await conn.answer(timeoutMs);
    let json = {};
    try {
      json = JSON.parse(answer.body);
    } catch {
      // no answer, or not JSON: the status says so
    }
    return { ...answer, json };
  } finally {
    conn.destroy();
  }
}
