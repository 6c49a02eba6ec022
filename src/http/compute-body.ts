/**
 * A compute route's request as it arrives (POST /v1/operators/{name}, /v1/run,
 * /v1/transforms/fold-batchnorm): a JSON body, a multipart form of .npy files and a JSON `request`
 * field, or an operator call's raw .npy body with its fields in the query; large .npy parts are read
 * into shared memory when the workers split layers (shared-bodies.ts). compute.ts turns it into
 * tasks.
 */
import type { FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';
import { duplicateKeyMessage, jsonTextFault } from '../json-text.js';
import { bodyCharge } from './admission.js';
import { RawJson } from './body.js';
import { readForm } from './form.js';
import { OperatorQuery, parseRequest } from './requests.js';
import type { BodyLease } from './shared-bodies.js';

/** .npy file parts by name (a record is accepted from callers that have no files: `{}`). */
export type Files = Map<string, Uint8Array> | Record<string, Uint8Array>;

export interface Body {
  fields: Record<string, unknown>;
  files: Files;
  /** A raw .npy body (POST /v1/operators/{name}): the fields came from the query, the input is the body. */
  npyBody?: true;
}

/** A body whose JSON is still bytes, for a worker. */
export interface RawBody {
  fields: RawJson;
  files: Map<string, Uint8Array>;
}

export type Route = 'operator' | 'run' | 'fold';

/** The fields of a JSON body or of the `request` field, checked the same way on the event loop and in a worker. */
export function fieldsOf(value: unknown, where: 'body' | 'request'): Record<string, unknown> {
  // a binary body (an ONNX file or a .npy tensor sent alone) carries none of the request's fields
  if (where === 'body' && Buffer.isBuffer(value)) {
    throw new ConvlensError('UNSUPPORTED_MEDIA_TYPE', 'a binary body (an ONNX file, a .npy tensor) is not read here; send application/json, or multipart/form-data with the files as parts and a JSON "request" field', { path: 'headers.content-type' });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw where === 'body'
      ? new ConvlensError('SPEC_INVALID', 'the body must be a JSON object (or a multipart form with .npy files and a "request" field)', { path: '$' })
      : new ConvlensError('SPEC_INVALID', 'the "request" field must hold a JSON object', { path: 'request' });
  }
  return value as Record<string, unknown>;
}

/** The file part a raw .npy body is read as: the operator's first input. */
const RAW_NPY_PART = '0';

/**
 * The fields and .npy files of a request. Query parameters are read only with a raw .npy body
 * (POST /v1/operators/{name}); anywhere else, and any multipart field but `request`, is a 400
 * rather than silently ignored. `tensorsOf` says where the request's .npy parts are read.
 */
export async function readBody(request: FastifyRequest, route: Route, limits: { fileLimit: number; fieldLimit: number; tensorsOf?: (request: FastifyRequest) => BodyLease }): Promise<Body | RawBody> {
  const query = request.query as Record<string, unknown>;
  if (Buffer.isBuffer(request.body) && request.headers['content-type'] === 'application/x-npy') {
    if (route !== 'operator') {
      throw new ConvlensError('UNSUPPORTED_MEDIA_TYPE', 'a raw .npy body is for POST /v1/operators/{name}; send .npy files here as parts of a multipart form', { path: 'headers.content-type' });
    }
    // one .npy tensor as the body (the first input); the rest from the query: ?attributes={…}&format=npy
    const q = parseRequest(OperatorQuery, query, { in: 'query' });
    let attributes: unknown;
    try {
      attributes = q.attributes === undefined ? undefined : JSON.parse(q.attributes);
    } catch (e) {
      throw new ConvlensError('INVALID_JSON', `?attributes is not JSON: ${(e as Error).message}`, { path: 'query.attributes' });
    }
    const fault = q.attributes === undefined ? null : jsonTextFault(q.attributes);
    if (fault?.kind === 'duplicate') throw new ConvlensError('INVALID_JSON', `?attributes: ${duplicateKeyMessage(fault)}`, { path: 'query.attributes' });
    return { fields: { attributes, format: q.format, seed: q.seed, training: q.training }, files: new Map([[RAW_NPY_PART, request.body]]), npyBody: true };
  }
  const stray = Object.keys(query);
  if (stray.length) {
    const why = route === 'operator' ? 'the query carries options only with an application/x-npy body; give them in the JSON body' : 'this route reads its fields from the body';
    throw new ConvlensError('INVALID_OPTION', `query parameter ${stray.map((k) => `'${k}'`).join(', ')} not read: ${why}`, { path: `query.${stray[0]}` });
  }
  if (!request.isMultipart()) {
    if (request.body instanceof RawJson) return { fields: request.body, files: new Map() };
    return { fields: fieldsOf(request.body, 'body'), files: new Map() };
  }
  // a run's ONNX file hashed as it arrives: the worker's model cache key, sent with the task (runtime/file-digest.ts)
  return readForm(request, { ...limits, charge: bodyCharge(request), tensors: limits.tensorsOf?.(request), digestModel: route === 'run' }) as Promise<Body | RawBody>;
}

/**
 * A raw .npy call's error at the request's own places: its fields are the query's (?attributes={…},
 * ?seed, ?training, ?format: `query.attributes.padding`), its one input is the body (`body`).
 */
export function atQuery(e: unknown): unknown {
  if (!(e instanceof ConvlensError) || typeof e.details.path !== 'string') return e;
  const moved = (path: string) => {
    const field = /^\$\.(attributes|seed|training|format)(.*)$/.exec(path);
    if (field) return `query.${field[1]}${field[2]}`;
    // the body is the first input, read as its file part: its decoding errors are the body's
    return /^\$\.inputs(\W|$)/.test(path) || path === RAW_NPY_PART ? 'body' : path;
  };
  // a path and the message that starts with it ("$.seed: must be an integer"), moved together
  const relabel = (from: string, message: string) => {
    const path = moved(from);
    return { path, message: message.startsWith(`${from}: `) ? `${path}: ${message.slice(from.length + 2)}` : message };
  };
  const top = relabel(e.details.path, e.message);
  if (top.path === e.details.path) return e;
  const issues = Array.isArray(e.details.issues) ? { issues: (e.details.issues as { path: string; message: string }[]).map((i) => ({ ...i, ...relabel(i.path, i.message) })) } : {};
  return new ConvlensError(e.code, top.message, { ...e.details, path: top.path, ...issues });
}
