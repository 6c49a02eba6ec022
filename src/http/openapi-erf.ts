/**
 * POST /v1/erf's part of the OpenAPI document (openapi.ts assembles it): its request (ErfRequest,
 * the schema that validates it) and answer (ErfResponse) inline, and the catalog codes it answers.
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors.js';
import { ErfRequest } from './erf-request.js';
import type { DocHelpers } from './openapi-jobs.js';
import { TensorOut } from './responses.js';

type Json = Record<string, unknown>;

const Box = z.strictObject({ top: z.number(), left: z.number(), bottom: z.number(), right: z.number() }).describe('inclusive input-pixel bounds');
const Pair = z.tuple([z.number(), z.number()]);
const NullableNumber = z.number().nullable();

export const ErfStatistics = z
  .strictObject({
    input: Pair.describe('input height and width'),
    theoretical: z
      .strictObject({
        global: z.boolean(),
        size: Pair.describe('field size r per axis'),
        box: Box.describe("the unit's theoretical field, [i·S − P, i·S − P + r − 1] per axis (may reach into the padding)"),
        clipped: Box.describe('the part inside the input'),
        area: z.number().describe('pixels of the clipped box'),
        centre: Pair.describe("the field's centre, i·S − P + (r − 1)/2"),
      })
      .describe('from the analyzer (the report\'s receptive fields)'),
    support: z.strictObject({ box: Box.nullable(), pixels: z.number(), insideTheoretical: z.boolean() }).describe('the non-zero gradient: its bounding box, pixel count, and whether it lies inside the theoretical box'),
    mass: NullableNumber.describe('Σ of the magnitude map; null when the gradient holds NaN or ±Infinity'),
    radius: z.strictObject({ p50: NullableNumber, p90: NullableNumber, p95: NullableNumber }).describe("the smallest distance from the field's centre within which 50/90/95 % of the mass lies"),
    gaussian: z.strictObject({ mean: z.tuple([NullableNumber, NullableNumber]), sigma: z.tuple([NullableNumber, NullableNumber]) }).nullable().describe('a 2-D axis-aligned Gaussian fitted by moments: mean and standard deviation per axis (an entry null where the gradient\'s NaN or ±Infinity make it so)'),
    effectiveArea: z.number().describe('the fewest pixels holding 95 % of the mass'),
    areaRatio: z.number().describe('effectiveArea over the theoretical area inside the input'),
    highContribution: z
      .array(z.strictObject({ t: z.number(), side: NullableNumber, areaRatio: NullableNumber }))
      .describe("RepLKNet's high-contribution area ratio at t = 0.2, 0.3, 0.5, 0.99: the smallest centred square holding more than t of log10(M + 1), its area over the input's"),
  })
  .describe('effective receptive field statistics');

export const ErfResponse = z
  .strictObject({
    source: z.looseObject({ format: z.string() }),
    layer: z.string(),
    tensor: z.string(),
    shape: z.array(z.number()).describe("the unit's map"),
    unit: z.strictObject({
      channels: z.array(z.number()).nullable().describe('null: all'),
      channelCount: z.number(),
      position: z.array(z.number()).nullable().describe("[row, column]; [t, row, column] in a clip's map [N, C, T, H, W]; null for features"),
    }),
    input: z.strictObject({ name: z.string(), mode: z.enum(['given', 'random', 'luo']), samples: z.number() }),
    gradient: z.looseObject({ name: z.string() }).and(TensorOut).describe('∂unit/∂input (given), or the mean of |∂unit/∂input| over the random inputs'),
    magnitude: z.looseObject({ name: z.string() }).and(TensorOut).describe("Σ over channels (and a clip's frames) of |gradient| for batch item 0, [1, 1, H, W]"),
    statistics: ErfStatistics,
    temporal: z
      .strictObject({
        frames: z.array(z.number()).describe('Σ over channels, rows and columns of |gradient| in each input frame over Σ |gradient| (length T)'),
        theoretical: z
          .strictObject({ global: z.boolean(), size: z.number().describe('frames the field spans, r (may reach past the clip)'), from: z.number(), to: z.number() })
          .describe("the unit's theoretical extent over frames: the first and last frame of the clip it can see"),
      })
      .optional()
      .describe('a clip input [N, C, T, H, W] only: the time axis'),
    stages: z
      .array(
        z.strictObject({
          layer: z.string(),
          stride: Pair,
          temporalStride: z.number().optional().describe("a clip's map only: its effective stride over frames"),
          shape: z.array(z.number()),
          statistics: ErfStatistics,
        }),
      )
      .describe("every stage's output (the last map at each effective stride over rows and columns), its centre unit; the unit's own layer last"),
    heatmap: z.strictObject({ png: z.string().nullable().describe('PNG, base64'), svg: z.string().nullable() }).nullable(),
  })
  .describe('the effective receptive field of one output unit');

const inline = (schema: z.ZodType): Json => {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return rest;
};

const CODES: ErrorCode[] = [
  'SPEC_INVALID',
  'UNKNOWN_OP',
  'DUPLICATE_NAME',
  'UNKNOWN_INPUT',
  'CYCLE',
  'INVALID_ATTRIBUTE',
  'RANK_MISMATCH',
  'CHANNEL_MISMATCH',
  'SHAPE_MISMATCH',
  'KERNEL_TOO_LARGE',
  'NON_POSITIVE_SIZE',
  'SIZE_TOO_LARGE',
  'ONNX_INVALID',
  'ONNX_GRAPH_INVALID',
  'MISSING_DIMENSION',
  'UNSUPPORTED_DTYPE',
  'INVALID_TENSOR',
  'TENSOR_TOO_LARGE',
  'RESPONSE_TOO_LARGE',
  'WORK_TOO_LARGE',
  'GRAPH_TOO_LARGE',
  'INVALID_OPTION',
  'UNKNOWN_MODEL',
  'UNSUPPORTED_OPERATOR',
  'NO_GRADIENT',
  'OVERLOADED',
  'TIMEOUT',
  'WORKER_OUT_OF_MEMORY',
];

export function erfPaths(h: DocHelpers): Record<string, Json> {
  const request = inline(ErfRequest);
  return {
    '/v1/erf': {
      post: {
        tags: ['compute'],
        operationId: 'effectiveReceptiveField',
        summary: 'The effective receptive field of one output unit: input gradient, statistics, heatmap',
        description:
          "The gradient of y[0, channels, i, j].sum() with respect to the input (Luo et al., NIPS 2016), through the reference kernels' vector-Jacobian products, weights constant: at a given input, or the mean of |gradient| over K seeded random inputs run in parallel across the workers. Statistics against the theoretical field (support, mass radii, Gaussian fit, area ratio, RepLKNet's high-contribution area ratio), per stage too, and a heatmap with the theoretical box. A spec, a zoo model or an ONNX file with its weights (onnxBase64, or a multipart file part `model`; .npy parts named after the input or `weights.<layer>.<role>`).",
        requestBody: {
          required: true,
          content: {
            ...h.json(request),
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: {
                  request: { ...request, description: 'the JSON fields' },
                  model: { type: 'string', format: 'binary', contentMediaType: 'application/octet-stream', description: 'the ONNX file' },
                },
                additionalProperties: { type: 'string', format: 'binary', contentMediaType: 'application/x-npy', description: '.npy tensors named after the input, or weights.<layer>.<role>' },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'the gradient, its statistics and heatmap; with format npy, the gradient alone as a .npy file',
            content: {
              ...h.json(inline(ErfResponse)),
              'application/x-npy': { schema: { type: 'string', format: 'binary', contentMediaType: 'application/x-npy', description: 'the gradient as a .npy file (x-erf-statistics: its statistics as JSON)' } },
            },
          },
          ...h.errorResponses([...h.body, ...CODES, 'NOT_ACCEPTABLE']),
        },
      },
    },
  };
}
