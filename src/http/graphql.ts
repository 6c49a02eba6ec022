/**
 * GraphQL through mercurius: the SDL under schema/graphql/ (one type per file), resolvers over the
 * same pool tasks as REST. Errors and status codes: graphql/errors.ts; the cost bound checked
 * before anything runs: graphql/complexity.ts; typed tensor results: graphql/results.ts; what GET
 * may ask: graphql/get.ts.
 *
 * Bounds on one request, all checked before any resolver runs: one operation per request (no
 * batches: a JSON array is refused, so the cost bound is the request's); at most
 * GRAPHQL_MAX_DOCUMENT_BYTES bytes of document, before anything reads it (graphql/document-size.ts),
 * and GRAPHQL_MAX_TOKENS tokens (large values go in variables); the complexity rule's weight, fields,
 * depth and one name per field. Parsed documents are not cached (mercurius's cache would keep up to
 * 1024 documents, each as large as a body, for the life of the process). mercurius parses the text
 * once more after convlens's checks, on the event loop, a large body's too, and none of its options
 * avoids it: its cache is keyed by the text (a miss parses), and a DocumentNode given in place of the
 * text is structuredClone'd (a document parsed with locations, as its errors need, overflows the stack
 * at 9,990 tokens; without them the errors lose `locations`) and skips the preParsing checks below.
 * The document's size bounds that parse: a 20 MB document within the token and literal limits took
 * 30–110 ms a parse there.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requestTasks } from './admission.js';
import mercurius from 'mercurius';
import { GraphQLError } from 'graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { JSONScalar } from './graphql/json.js';
import { ConvlensError, movePaths } from '../errors.js';
import type { FlopConvention } from '../analysis/report.js';
import type { TaskContext, TaskPool } from '../runtime/pool.js';
import { jobResolvers } from '../jobs/graphql.js';
import { erfQuery, erfTypeResolvers } from './graphql/erf.js';
import type { JobQueue } from '../jobs/types.js';
import type { ReadyJobs } from '../jobs/request.js';
import type { Tensor } from '../tensor/tensor.js';
import { modelSpec, requestSource } from '../graph/load.js';
import type { GraphSource } from '../graph/load.js';
import { parseOptions } from './options.js';
import { modelCatalog, operatorCatalog } from './catalog.js';
import { RawJson, isUtf8, onnxFromBase64, readBinary, refusedCharset } from './body.js';
import { prepareGraphqlOffloaded } from './offload.js';
import { MAX_LITERAL_LENGTH, longestLiteral } from './graphql/literals.js';
import { documentTooLarge } from './graphql/document-size.js';
import { DEFAULT_GRAPHQL_MAX_DOCUMENT_BYTES } from '../limits.js';
import { callOperator, callRun } from './compute.js';
import { latencyGateDevice } from './report-requests.js';
import { releaseWhenSent } from './tensors.js';
import { LIMITS, MAX_DOCUMENT_NESTING, MAX_NAME_LENGTH, complexityRule, documentNesting, longestName } from './graphql/complexity.js';
import type { Limits } from './graphql/complexity.js';
import { operationTypeRule } from './graphql/operation-types.js';
import { bodyInvalid, getInvalid, getNotAllowed, getRefusal, operationInvalid, parseOnce, unknownParameter } from './graphql/get.js';
import { GRAPHQL_READS, formatErrors, responseMediaType } from './graphql/errors.js';
import { unsupportedMediaType } from './errors.js';
import { byConvention, graphqlAnswer, memoryAccess, operatorResult, runResult, tensorResolvers } from './graphql/results.js';
import { chargeAnswer, GRAPHQL_MAX_ANSWER_BYTES } from './graphql/answer-budget.js';
import { analyzePlan, answerLimits, chargedResolvers, comparePlan, sweepPlan } from './graphql/charged.js';
import type { Metrics } from './metrics.js';
import { analysisTypeResolvers, catalogResolvers, deviceArgument, extrasOptions, gatesOf, renderOptions, stripNulls as stripDeep, sweepSizes, transfers, withFieldErrors } from './graphql/analysis.js';
import { selectedFields } from './graphql/selection.js';
import type { GraphQLResolveInfo } from 'graphql';
import type { AnalyzeTaskResult, CompareTask, CompareTaskResult, SweepTask } from '../runtime/tasks.js';
import type { SweepReport } from '../analysis/sweep.js';

export { formatErrors } from './graphql/errors.js';
export { loadSDL } from './graphql/sdl.js';
import { loadSDL } from './graphql/sdl.js';
import { PREPARERS, atArgument, keepPrepared, preparedField, stripNulls } from './graphql/prepare.js';
import type { PreparedRequest } from './graphql/prepare.js';

/** `inputShapes` as `{ "input": [1, 3, 224, 224] }`; the key "" means the first input. */
function parseInputShapes(raw: unknown): Record<string, number[]> | undefined {
  if (raw === undefined || raw === null) return undefined;
  const ok =
    typeof raw === 'object' &&
    !Array.isArray(raw) &&
    Object.values(raw as object).every((v) => Array.isArray(v) && v.length > 0 && v.every((d) => Number.isInteger(d) && d > 0));
  if (!ok) throw new ConvlensError('INVALID_OPTION', 'inputShapes must map input names to arrays of positive integers, e.g. { "input": [1, 3, 224, 224] }', { path: '$.inputShapes' });
  return raw as Record<string, number[]>;
}

const toGql = (c: FlopConvention) => (c === '2macs' ? 'twoMacs' : c);
// `seed` is exact's old name: parseOptions maps it
const fromGql = (c: unknown) => (c === 'twoMacs' ? '2macs' : c);

type Parent = Record<string, any>;

/** A network as analyze, compare's old and new, and sweep take it. */
interface NetworkArgs {
  spec?: unknown;
  model?: string;
  resolution?: number;
  onnxBase64?: string;
  inputShapes?: unknown;
}

/** The one network the arguments name (paths under `at`: compare's `$.old`). */
function networkSource(args: NetworkArgs, at = '$'): GraphSource {
  const bytes = args.onnxBase64 === undefined || args.onnxBase64 === null ? undefined : onnxFromBase64(args.onnxBase64, `${at}.onnxBase64`);
  try {
    return requestSource(
      { ...stripNulls({ spec: args.spec, model: args.model, resolution: args.resolution }), specAt: `${at}.spec`, onnx: bytes, onnxAt: `${at}.onnxBase64`, inputShapes: parseInputShapes(args.inputShapes) },
      'spec, model (a zoo name) or onnxBase64',
    );
  } catch (e) {
    if (at === '$' || !(e instanceof ConvlensError)) throw e;
    throw movePaths(e.details.path === undefined ? new ConvlensError(e.code, e.message, { ...e.details, path: '$' }) : e, (path) => (path.startsWith('$') ? at + path.slice(1) : path), `${at.slice(2)}: ${e.message}`);
  }
}

/** The counting options (GraphQL's twoMacs is REST's 2macs). */
const analyzeOptions = (raw: Record<string, unknown> | null | undefined) => parseOptions(raw ? { ...raw, flops: fromGql(raw.flops ?? undefined) ?? undefined } : {}, 'body');

/** The resolver context: mercurius gives the reply, whose request carries the client's abort signal. */
type Context = { reply: FastifyReply };
/** The request's signal (aborted when the client goes away, so its tasks are cancelled, as REST's are) and memory charge (admission.ts). */
const tasksOf = (ctx: Context | undefined): TaskContext => (ctx?.reply ? requestTasks(ctx.reply.request) : {});

export async function graphqlRoutes(
  app: FastifyInstance,
  // `graphiql` is ignored: GET /graphiql is pages.ts's (the graphiql package served offline, not
  // mercurius's CDN page), registered by app.ts when config.GRAPHIQL is true.
  opts: { pool: TaskPool; graphiql: boolean; maxElements: number; limits?: Limits & { tokens: number; documentBytes?: number }; jobs: JobQueue & Partial<ReadyJobs>; maxResponseBytes?: number; metrics?: Metrics },
): Promise<void> {
  const { pool } = opts;
  // the tensors and job results one answer carries (graphql/answer-budget.ts)
  const maxAnswerBytes = Math.min(opts.maxResponseBytes ?? Infinity, GRAPHQL_MAX_ANSWER_BYTES);
  // analyze's, compare's and sweep's large fields: sized in the worker, charged as they resolve (graphql/charged.ts)
  const answerBudget = answerLimits(maxAnswerBytes);
  const charged = chargedResolvers(answerBudget);
  // submitJob, cancelJob and job(id) (SDL: schema/graphql/Job*.graphql), over the same job queue as /v1/jobs
  const jobs = jobResolvers(
    opts.jobs,
    (ctx, bytes) => chargeAnswer(ctx, bytes, maxAnswerBytes, "a job's result", 'read it from GET /v1/jobs/{id} (streamed), or select the job without its result'),
    // a large body's job, made ready as the queue takes it in the worker that parsed the body (graphql/prepare.ts)
    (ctx, info) => preparedField((ctx as Context | undefined)?.reply?.request, info as GraphQLResolveInfo, 'submitJob'),
  );
  const limits = opts.limits ?? { ...LIMITS, tokens: 10_000 };
  // GRAPHQL_MAX_DOCUMENT_BYTES: a longer document is refused before anything reads it, with one error wherever it arrives
  const documentBytes = limits.documentBytes ?? DEFAULT_GRAPHQL_MAX_DOCUMENT_BYTES;
  const refuseLarge = (document: string | Uint8Array, at: string) => {
    const refused = documentTooLarge(document, documentBytes, at);
    if (refused) throw refused;
  };
  // a JSON body over OFFLOAD_JSON_BYTES reaches /graphql unparsed (app.ts's parser reads offloadJson), to be parsed in a worker
  app.addHook('onRoute', (route) => {
    if (route.url === '/graphql') route.config = { ...(route.config as object), offloadJson: true } as typeof route.config;
  });
  app.addHook('preValidation', async (request) => {
    if (request.routeOptions.url === '/graphql' && request.body instanceof RawJson && typeof request.body.text !== 'string') {
      // parsed there, and its run, runOperator, foldBatchNorm, effectiveReceptiveField and submitJob requests built there too (graphql/prepare.ts)
      request.body = keepPrepared(request, await prepareGraphqlOffloaded<PreparedRequest>(pool, request.body.text, limits.tokens, opts.maxElements, opts.jobs.readies, documentBytes));
    }
  });
  // application/graphql: the document in UTF-8, as a JSON body is. mercurius's parser (in its own
  // context, out of reach) reads any bytes as UTF-8, so a Latin-1 é became U+FFFD and a model's name
  // changed without a word: the bytes are checked here and handed on as they came.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.routeOptions.url !== '/graphql' || !/^application\/graphql\s*(;|$)/i.test(request.headers['content-type'] ?? '')) return payload;
    const charset = refusedCharset(request.headers['content-type']);
    if (charset !== undefined) {
      throw new ConvlensError('UNSUPPORTED_MEDIA_TYPE', `a GraphQL document is read as UTF-8; the charset '${charset}' is not: send it in UTF-8`, { path: 'headers.content-type' });
    }
    const bytes = await readBinary(payload, request.routeOptions.bodyLimit ?? Infinity, 'BODY_LIMIT');
    refuseLarge(bytes, '$');
    if (!isUtf8(bytes)) throw new ConvlensError('GRAPHQL_INVALID', "the document's bytes are not UTF-8: send it in UTF-8", { path: '$' });
    return Readable.from([bytes]);
  });
  // Before mercurius's schema, which coerces a query of one string in an array to the string
  app.addHook('preValidation', async (request) => {
    if (request.routeOptions.url !== '/graphql' || request.method !== 'POST') return;
    // a form is read for the REST routes' files, never here: 415 as for text/plain, not "body must be object" (found by the fuzz round)
    const type = request.headers['content-type'];
    if (typeof type === 'string' && /^multipart\//i.test(type.trim())) throw unsupportedMediaType(type, GRAPHQL_READS);
    // the REST routes' binary media (an ONNX file, a .npy) arrive as bytes: not a GraphQL request (its index keys were read as members)
    if (Buffer.isBuffer(request.body)) throw unsupportedMediaType(typeof type === 'string' ? type : 'application/octet-stream', GRAPHQL_READS);
    const body = request.body as Record<string, unknown> | null;
    // first, as the worker refuses a large body's (graphql/prepare.ts); an application/graphql body is the document
    if (body !== null && typeof body === 'object' && !Array.isArray(body) && typeof body.query === 'string') refuseLarge(body.query, /^application\/graphql\s*(;|$)/i.test(type ?? '') ? '$' : '$.query');
    const invalid = bodyInvalid(request.body);
    if (invalid) throw invalid;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
    const operation = operationInvalid(body.query, body.operationName, limits.tokens, '$.operationName');
    if (operation) throw operation;
    // GraphQL-over-HTTP: null for an optional parameter is the same as leaving it out (mercurius's schema refused extensions: null)
    if (body.extensions === null) delete body.extensions;
  });
  // Before mercurius's handler: GET runs only free reads (graphql/get.ts); a batch (a JSON array) is refused.
  app.addHook('preHandler', async (request, reply) => {
    if (request.routeOptions.url !== '/graphql') return;
    const unknown = unknownParameter(request.method, request.query as Record<string, unknown>);
    if (unknown) throw unknown;
    if (request.method === 'GET' || request.method === 'HEAD') {
      const query = request.query as Record<string, unknown>;
      if (typeof query.query === 'string') refuseLarge(query.query, 'query.query');
      const invalid = getInvalid(query, limits.tokens);
      if (invalid) throw invalid;
      const reason = getRefusal(query.query, query.operationName, limits.tokens);
      if (reason) {
        reply.header('allow', 'POST');
        throw getNotAllowed(reason);
      }
    } else if (Array.isArray(request.body)) {
      throw new ConvlensError('GRAPHQL_INVALID', 'batched operations (a JSON array) are not accepted: send one { "query": … } per request', { path: '$' });
    }
  });
  // The body's media type follows Accept (graphql/errors.ts); only JSON answers are relabelled.
  app.addHook('onSend', async (request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (request.routeOptions.url === '/graphql' && typeof type === 'string' && type.startsWith('application/json')) {
      reply.header('content-type', `${responseMediaType(request.headers.accept)}; charset=utf-8`);
    }
    return payload;
  });
  await app.register(mercurius, {
    schema: loadSDL(),
    // never mercurius's GraphiQL (loaded from a CDN): config.GRAPHIQL governs pages.ts's /graphiql
    graphiql: false,
    path: '/graphql',
    // bounds depth (introspection exempt), fields, root-field weight and aliases before any resolver runs
    validationRules: [complexityRule(limits), operationTypeRule],
    graphql: { parseOptions: { maxTokens: limits.tokens } },
    allowBatchedQueries: false,
    cache: false,
    // every error of an answer counted by code, as REST's are (convlens_errors_total)
    errorFormatter: (execution, context) => {
      const formatted = formatErrors(execution, context);
      for (const e of formatted.response.errors ?? []) opts.metrics?.errors.inc({ code: String(e.extensions?.code ?? 'INTERNAL') });
      return formatted;
    },
    resolvers: {
      // refuses a bare word in a literal, which GraphQLJSON dropped (graphql/json.ts)
      JSON: JSONScalar,
      SafeInt: GraphQLSafeInt,
      Query: {
        analyze: async (_: unknown, args: NetworkArgs & { options?: Record<string, unknown> }, ctx: Context, info: GraphQLResolveInfo) => {
          const options = analyzeOptions(args.options);
          // the analyses the selection adds (memory, roofline, …), checked before any work
          const selected = selectedFields(info);
          const { options: extras, errors } = extrasOptions(selected);
          const source = networkSource(args);
          // markdown, html, csv and netron are rendered in the worker too
          const render = renderOptions(selected, source, errors);
          // the worker sizes the selected fields and leaves out those over the answer's budgets (runtime/answer-fit.ts)
          const answer = analyzePlan(info, selected, answerBudget);
          const report = await pool.run<AnalyzeTaskResult>('analyze', { source, options: { ...options, ...extras }, ...(render && { render }), answer }, transfers(source), tasksOf(ctx));
          return withFieldErrors(report, errors);
        },
        compare: (_: unknown, args: Record<string, any>, ctx: Context, info: GraphQLResolveInfo) => {
          const device = deviceArgument(args.device ?? undefined, stripDeep(args.profile ?? undefined), 'compare');
          const before = networkSource(args.old ?? {}, '$.old');
          const after = networkSource(args.new ?? {}, '$.new');
          const gates = gatesOf(args.gates ?? undefined);
          const latency = gates.findIndex((g) => g.metric === 'latencySeconds');
          if (latency >= 0) latencyGateDevice(device !== undefined, 'the device or profile argument', `$.gates[${latency}]`);
          const task: CompareTask = {
            before,
            after,
            options: analyzeOptions(args.options),
            memory: args.memory === true,
            ...(device !== undefined && { device }),
            gates: gates as CompareTask['gates'],
            allowIncomplete: args.allowIncomplete === true,
            // the pull-request comment is rendered in the worker when selected
            markdown: selectedFields(info).has('markdown'),
            // the worker sizes the selected layer lists and markdown, and leaves out those over the budgets
            answer: comparePlan(info, answerBudget),
          };
          return pool
            .run<CompareTaskResult>('compare', task, transfers(before, after), tasksOf(ctx))
            .then((r) => ({ ...r.comparison, gates: r.gates ?? null, markdown: r.markdown ?? null }));
        },
        sweep: (_: unknown, args: Record<string, any>, ctx: Context, info: GraphQLResolveInfo) => {
          const device = deviceArgument(args.device ?? undefined, stripDeep(args.profile ?? undefined), 'sweep');
          const source = networkSource(args);
          const task: SweepTask = {
            source,
            options: analyzeOptions(args.options),
            sweep: { sizes: sweepSizes(args.sizes), ...stripNulls({ input: args.input, inPlace: args.inPlace }), ...(device !== undefined && { device }) },
            answer: sweepPlan(info, answerBudget),
          };
          return pool.run<SweepReport>('sweep', task, transfers(source), tasksOf(ctx));
        },
        ...catalogResolvers,
        models: () => modelCatalog().map((m) => ({ ...m, torchvisionParams: m.torchvision?.params ?? null, torchvisionGmacs: m.torchvision?.gmacs ?? null })),
        model: (_: unknown, args: { name: string; resolution?: number }) => atArgument('$.model', '$.name', () => modelSpec(args.name, args.resolution ?? undefined)),
        operators: operatorCatalog,
        runOperator: async (_: unknown, args: Record<string, unknown>, ctx: Context, info: GraphQLResolveInfo) => {
          const call = preparedField(ctx?.reply?.request, info, 'runOperator') ?? PREPARERS.runOperator(args, opts.maxElements);
          // the selected data and base64 over the answer's budget: refused before the kernel runs
          const result = await callOperator(pool, { ...call, answer: graphqlAnswer(info, ctx, maxAnswerBytes) }, tasksOf(ctx));
          if (ctx?.reply) releaseWhenSent(ctx.reply, result.outputs);
          return operatorResult(call.name, result);
        },
        foldBatchNorm: async (_: unknown, args: Record<string, unknown>, ctx: Context, info: GraphQLResolveInfo) => {
          const task = preparedField(ctx?.reply?.request, info, 'foldBatchNorm') ?? PREPARERS.foldBatchNorm(args, opts.maxElements);
          return pool.run<{ weight: Tensor; bias: Tensor }>('foldBatchNorm', task, undefined, tasksOf(ctx));
        },
        run: async (_: unknown, args: Record<string, unknown>, ctx: Context, info: GraphQLResolveInfo) => {
          // a large body's request was built in the worker that parsed it (graphql/prepare.ts), its tensors moved here
          const task = preparedField(ctx?.reply?.request, info, 'run') ?? PREPARERS.run(args, opts.maxElements);
          const result = await callRun(pool, { ...task, answer: graphqlAnswer(info, ctx, maxAnswerBytes) }, tasksOf(ctx));
          if (ctx?.reply) releaseWhenSent(ctx.reply, [...Object.values(result.outputs), ...Object.values(result.captured)]);
          return runResult(result);
        },
        ...jobs.Query,
        ...erfQuery(pool, opts.maxElements),
      },
      ...analysisTypeResolvers,
      ...charged,
      Mutation: jobs.Mutation,
      Job: jobs.Job,
      ...tensorResolvers(maxAnswerBytes),
      ...erfTypeResolvers(maxAnswerBytes),
      Conventions: { flops: (p: Parent) => toGql(p.flops) },
      LayerReport: {
        sourceOpType: (p: Parent) => p.source?.opType ?? null,
        flopsByConvention: (p: Parent) => byConvention(p.flopsByConvention),
        memoryAccess: (p: Parent) => memoryAccess(p.memoryAccess),
      },
      Totals: {
        flopsByConvention: (p: Parent) => byConvention(p.flopsByConvention),
        memoryAccess: (p: Parent) => memoryAccess(p.memoryAccess),
      },
      Warning: {
        details: (p: Parent) => {
          const { code: _c, severity: _s, message: _m, layer: _l, ...rest } = p;
          return Object.keys(rest).length ? rest : null;
        },
      },
    } as never,
  });
  // A query that does not parse as GraphQL is a syntax error, never a JSON-encoded AST (mercurius's
  // fallback, which answers `{"query": "{}"}` with an internal error): graphql-js's message, located.
  app.graphql.addHook('preParsing', async (_schema, source) => {
    if (typeof source !== 'string') return;
    const nesting = documentNesting(source);
    if (nesting > MAX_DOCUMENT_NESTING) {
      throw new GraphQLError(`the document nests ${nesting} brackets deep, over ${MAX_DOCUMENT_NESTING}: pass deep values (specs, tensors) as variables`, {
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: MAX_DOCUMENT_NESTING },
      });
    }
    const literal = longestLiteral(source);
    if (literal.length > MAX_LITERAL_LENGTH) {
      throw new GraphQLError(`the document holds a literal of ${literal.length} characters (${JSON.stringify(source.slice(literal.at, literal.at + 20))}…), over ${MAX_LITERAL_LENGTH}: pass specs, tensors, ONNX files and other large values as variables`, {
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: MAX_LITERAL_LENGTH, length: literal.length },
      });
    }
    const name = longestName(source);
    if (name.length > MAX_NAME_LENGTH) {
      throw new GraphQLError(`the document holds a name of ${name.length} characters (${JSON.stringify(source.slice(name.at, name.at + 20))}…), over ${MAX_NAME_LENGTH}: the schema's names are short; check the query`, {
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: MAX_NAME_LENGTH, length: name.length },
      });
    }
    // the document operationInvalid parsed (graphql/get.ts): parsed there once, read here
    const parsed = parseOnce(source, limits.tokens);
    if ('error' in parsed) {
      const e = parsed.error;
      if (e instanceof GraphQLError && /more th\w+ \d+ tokens/.test(e.message)) {
        throw new GraphQLError(`the document has more than ${limits.tokens} tokens (GRAPHQL_MAX_TOKENS): pass specs, tensors and other large values as variables`, {
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: limits.tokens },
        });
      }
      throw e;
    }
  });
}
