/**
 * Maps every failure to the catalog: ConvlensErrors keep their code; fastify's own errors (bad
 * JSON, body too large, wrong content type) get theirs; anything else is a 500 without internals,
 * logged in full.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { Metrics } from './metrics.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

export function toConvlensError(err: unknown): ConvlensError | null {
  if (err instanceof ConvlensError) return err;
  const fe = err as FastifyError;
  const code = fe && typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (code) return new ConvlensError(code, fe.message);
  if (fe && fe instanceof SyntaxError) return new ConvlensError('INVALID_JSON', `the body is not valid JSON: ${fe.message}`);
  if (fe && fe.statusCode === 413) return new ConvlensError('PAYLOAD_TOO_LARGE', fe.message);
  if (fe && fe.statusCode === 415) return new ConvlensError('UNSUPPORTED_MEDIA_TYPE', fe.message);
  if (fe && fe.statusCode === 400 && fe.validation) return new ConvlensError('INVALID_OPTION', fe.message);
  return null;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown, metrics?: Metrics): FastifyReply {
  const known = toConvlensError(err);
  metrics?.errors.inc({ code: known?.code ?? 'INTERNAL' });
  if (known) {
    if (known.status >= 500) request.log.error({ err }, known.message);
    else request.log.info({ code: known.code, path: known.details.path, layer: known.details.layer }, known.message);
    return reply.status(known.status).send({ error: known.toJSON(), requestId: request.id });
  }
  request.log.error({ err }, 'unhandled error');
  return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; see the service log with this request id' }, requestId: request.id });
}

export function installErrorHandling(app: FastifyInstance, metrics?: Metrics): void {
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err, metrics));
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new ConvlensError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, { path: request.url.split('?')[0] }), metrics),
  );
}
