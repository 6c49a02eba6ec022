/**
 * Response bodies as zod schemas, for the OpenAPI document (openapi.ts): the ones no other module
 * defines (a report is analysis/report.ts's ReportSchema, a spec graph/network.ts's). They are
 * loose objects: they name and type the fields clients read, and test/http/openapi.test.ts parses
 * real answers with them, so they cannot drift from what the routes send.
 */
import { z } from 'zod';
import { ERROR_CATALOG } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { ReportSchema } from '../analysis/report.js';

const Dims = z.array(z.number().int().nonnegative());

/** The wire form of every error (http/errors.ts sendError). */
export const ErrorResponse = z
  .strictObject({
    error: z.looseObject({
      code: z.enum(Object.keys(ERROR_CATALOG) as [ErrorCode, ...ErrorCode[]]).describe('a stable code from the error catalog'),
      message: z.string().describe('what is wrong, naming the layer, shapes and attributes involved'),
      path: z.string().optional().describe('where: the JSONPath of the offending field ($.layers[3].groups), a query parameter (query.resolution) or the request path'),
      layer: z.string().optional().describe('the layer (or ONNX node) involved'),
      shapes: z.record(z.string(), Dims.nullable()).optional().describe('shapes involved, by role: { input: [1, 64, 56, 56] }'),
    }),
    requestId: z.string().describe('the x-request-id of the request, also in the service log'),
  })
  .describe('an error');

export const HealthResponse = z
  .looseObject({
    status: z.literal('ok'),
    workers: z.number().int().describe('worker threads'),
    queued: z.number().int().describe('tasks waiting for a worker'),
  })
  .describe('the service is up');

export const ModelsResponse = z.strictObject({
  models: z.array(
    z.looseObject({
      name: z.string(),
      resolution: z.number().int().describe('the input height and width its published numbers use'),
      description: z.string().nullable(),
      torchvision: z.looseObject({ params: z.number().int(), gmacs: z.number() }).nullable().describe("torchvision's published parameters and GMACs, where torchvision has the model"),
    }),
  ),
});

export const OperatorsResponse = z.strictObject({
  operators: z.array(
    z.looseObject({
      name: z.string(),
      summary: z.string(),
      pytorch: z.string().describe('the PyTorch equivalent'),
      inputs: z.array(z.string()).describe('input names, in order'),
      minInputs: z.number().int(),
      variadic: z.boolean(),
      attributes: z.record(z.string(), z.unknown()).describe('the JSON Schema of its attributes, with defaults'),
      runnable: z.boolean(),
    }),
  ),
});

export const JsonSchemaResponse = z.looseObject({ $schema: z.string() }).describe('a JSON Schema (draft 2020-12)');

const Stat = (what: string) => z.number().nullable().describe(`${what}; null when it is not a finite number (the tensor holds NaN or ±Infinity)`);
const TensorStats = z
  .strictObject({
    min: Stat('the smallest element'),
    max: Stat('the largest element'),
    mean: Stat('the mean'),
    std: Stat('the population standard deviation'),
    nonFinite: z.number().int().nonnegative().describe('elements that are NaN or ±Infinity: JSON has no such numbers, so `data` holds null for each (base64 and .npy carry them exactly)'),
  })
  .describe('statistics over every element, computed in float64');

/** A result tensor: in the request's encoding (json nested, flat, base64), with summary statistics. */
export const TensorOut = z
  .union([
    z.looseObject({ shape: Dims, data: z.array(z.unknown()).or(z.number()).describe('nested arrays following the shape (flat when the format is flat)'), stats: TensorStats }),
    z.looseObject({ shape: Dims, dtype: z.enum(['float32', 'float16']).describe('float16 for a tensor an ONNX graph types FLOAT16 (2 bytes an element)'), base64: z.string(), stats: TensorStats }),
  ])
  .describe('a tensor, with its min, max, mean and standard deviation');

const NamedTensorOut = z.looseObject({ name: z.string() }).and(TensorOut);

export const OperatorResponse = z.looseObject({
  operator: z.string(),
  pytorch: z.string(),
  outputs: z.array(NamedTensorOut).describe('y, then y1, y2… for operators with several outputs'),
  cost: z.looseObject({ params: z.number(), macs: z.number(), flops: z.number() }).describe("the call's cost, as a report counts it"),
});

export const RunResponse = z.looseObject({
  source: ReportSchema.shape.source.unwrap().describe('what was run: a JSON spec, a built-in model, or an ONNX file'),
  outputs: z.array(NamedTensorOut).describe('the graph outputs, in graph order'),
  captured: z.array(NamedTensorOut).describe('the tensors asked for in capture, in request order'),
});

export const FoldResponse = z.strictObject({
  weight: TensorOut.describe("the folded conv weight w'"),
  bias: TensorOut.describe("the folded conv bias b'"),
});

export const GraphQLRequest = z
  .strictObject({
    query: z.string().describe('a GraphQL document'),
    variables: z.record(z.string(), z.unknown()).nullable().optional(),
    operationName: z.string().nullable().optional(),
  })
  .describe('a GraphQL request (the schema: /graphiql, or introspection)');

export const GraphQLResponse = z
  .looseObject({
    data: z.record(z.string(), z.unknown()).nullable().optional(),
    errors: z.array(z.looseObject({ message: z.string(), extensions: z.record(z.string(), z.unknown()).optional() })).optional().describe('catalog errors carry code, path, layer and shapes in extensions'),
  })
  .describe('a GraphQL response');

export const LandingIndex = z.strictObject({
  name: z.string(),
  version: z.string(),
  description: z.string().optional(),
  links: z.array(z.strictObject({ href: z.string(), title: z.string(), description: z.string() })),
});

/** GET /v1/devices (catalog.ts deviceCatalog). */
export const DevicesResponse = z
  .strictObject({
    devices: z.array(
      z.looseObject({
        id: z.string().describe('what a request names: ?device=…'),
        name: z.string(),
        kind: z.enum(['datacenter-gpu', 'edge-gpu', 'phone-cpu-core', 'board-cpu']),
        description: z.string().nullable(),
        peaks: z.looseObject({ float32: z.number() }).describe('dense peak FLOP/s per element type (int8: ops/s); a missing type falls back to float32'),
        bandwidth: z.number().describe('memory bandwidth, bytes/s'),
        derivation: z.record(z.string(), z.string()).describe('how each figure was obtained: quoted from the source, or the arithmetic'),
        sources: z.array(z.strictObject({ title: z.string(), url: z.string() })),
      }),
    ),
    note: z.string().describe('what the roofline latency is: a lower bound'),
  })
  .describe('the built-in device profiles of the roofline (a custom profile goes in the request as { name, peaks, bandwidth })');

/** GET /v1/conventions (catalog.ts conventionCatalog). */
export const ConventionsResponse = z
  .strictObject({
    conventions: z.array(
      z.strictObject({
        name: z.string().describe('what a request names: ?convention=…'),
        tool: z.string(),
        version: z.string().describe('the release whose code the rules transcribe'),
        unit: z.enum(['MACs', 'FLOPs']),
        summary: z.string(),
        source: z.array(z.string()).describe("the tool's repository, files read, published figures"),
        rules: z.array(z.strictObject({ family: z.string(), why: z.string(), source: z.string().describe("file and lines in the tool's source") })).describe('per op family; a family absent counts 0 in this tool'),
      }),
    ),
  })
  .describe("the counting-convention presets: other tools' MACs/FLOPs rules, each citing the tool's source");
