/**
 * The report routes' part of the OpenAPI document (openapi.ts assembles it): POST /v1/analyze's
 * formats, POST /v1/compare, POST /v1/sweep, GET /v1/models/{name}/report, GET /v1/devices and
 * GET /v1/conventions, with their schemas (requests.ts, analysis/*.ts, responses.ts) and the
 * catalog codes each answers. Text answers (text/csv, text/markdown, text/html) are strings.
 */
import { z } from 'zod';
import { ComparisonSchema, GateVerdictSchema } from '../analysis/compare.js';
import { DeviceProfileSchema } from '../analysis/devices.js';
import { AnalysisReportSchema, ReportOptionsSchema } from '../analysis/extras.js';
import { NetronAttachmentSchema } from '../analysis/formats/netron.js';
import { ModuleNodeSchema } from '../analysis/modules.js';
import { SweepReportSchema } from '../analysis/sweep.js';
import type { ErrorCode } from '../errors.js';
import { ZOO } from '../zoo/index.js';
import type { DocHelpers } from './openapi-jobs.js';
import { CompareQuery, CompareRequest, ModelReportQuery, SweepQuery, SweepRequest } from './requests.js';
import { ConventionsResponse, DevicesResponse } from './responses.js';

type Json = Record<string, unknown>;

export const CompareResponse = z
  .strictObject({
    comparison: ComparisonSchema,
    gates: GateVerdictSchema.optional().describe('when gates were given: each gate passed, failed or unknown'),
  })
  .describe('the second network relative to the first, and the verdict of the gates');

export const REPORT_SCHEMAS = {
  AnalysisReport: AnalysisReportSchema,
  // recursive (a module's children): named, so its $ref points here
  ModuleNode: ModuleNodeSchema,
  ReportOptions: ReportOptionsSchema,
  DeviceProfile: DeviceProfileSchema,
  CompareRequest,
  CompareResponse,
  SweepRequest,
  SweepReport: SweepReportSchema,
  DevicesResponse,
  ConventionsResponse,
  NetronAttachment: NetronAttachmentSchema,
  ModelReportQuery,
  CompareQuery,
  SweepQuery,
};

const text = (mediaType: string, description: string) => ({ [mediaType]: { schema: { type: 'string', description } } });

/** The text answers of a report, by format. */
export const REPORT_TEXTS = {
  csv: text('text/csv', 'one row per layer (layer, op, output, params, macs, flops, memory_bytes, rf_h, rf_w, rf_stride_h, rf_stride_w, rf_global; then rf_d, rf_stride_d when a layer has a 3-D field and rf_l, rf_stride_l when one has a 1-D field; live_bytes, allocated_bytes with memory; latency_s, bound, roofline_intensity with device; <preset>_<unit> with convention; params_formula, macs_formula with explain; fused_into, deployed_memory_bytes with deployed) and a TOTAL row'),
  md: text('text/markdown', 'GitHub-flavoured Markdown for a pull-request comment'),
  html: text('text/html', 'one self-contained HTML document: inline SVG charts (per-layer MACs and params, op types, receptive field, roofline, memory timeline), no script, no external request'),
};

export interface ReportDocHelpers extends DocHelpers {
  queryParameters(id: string, note?: string): Json[];
  ok(description: string, content: Json): Record<string, Json>;
  /** SPEC_INVALID, UNKNOWN_OP, DUPLICATE_NAME, UNKNOWN_INPUT, CYCLE and the layer errors. */
  graph: ErrorCode[];
  onnx: ErrorCode[];
  workers: ErrorCode[];
}

const multipart = (h: ReportDocHelpers, id: string, files: Record<string, string>) => ({
  'multipart/form-data': {
    schema: {
      type: 'object',
      properties: {
        request: { ...h.ref(id), description: 'the JSON request' },
        ...Object.fromEntries(Object.entries(files).map(([name, description]) => [name, { type: 'string', format: 'binary', contentMediaType: 'application/octet-stream', description }])),
      },
    },
    encoding: { request: { contentType: 'application/json' } },
  },
});

export function reportPaths(h: ReportDocHelpers): Record<string, Json> {
  const { ref, json, ok, errorResponses } = h;
  const analysis: ErrorCode[] = [...h.graph, ...h.onnx, 'INVALID_OPTION', 'UNKNOWN_MODEL', 'ANALYSIS_TOO_LARGE', ...h.workers];
  return {
    '/v1/compare': {
      post: {
        tags: ['analysis'],
        operationId: 'compare',
        summary: 'Compare two networks: totals with deltas, layers matched, added and removed; gates for CI',
        description:
          'Each network is a built-in model\'s name, a spec (bare or `{ spec }`), `{ model, resolution }` or `{ onnxBase64, inputShapes }`; ONNX files may come as the multipart file parts `old` and `new` (the JSON in the `request` part). Layers are matched by name, then module path, then position; `options.memory` and `options.device` compare peak memory and latency too; `gates` (`{ "macs": "5%" }`) are judged in the answer (`gates.passed`), the HTTP status stays 200. `?format=md` (or Accept: text/markdown) answers a pull-request comment.',
        parameters: h.queryParameters('CompareQuery'),
        requestBody: {
          required: true,
          content: {
            ...json(ref('CompareRequest'), { examples: { resnet: { summary: 'resnet18 → resnet34, MACs may grow 150%', value: { old: 'resnet18', new: 'resnet34', gates: { macs: '150%' } } } } }),
            ...multipart(h, 'CompareRequest', { old: 'the ONNX file before', new: 'the ONNX file after' }),
          },
        },
        responses: { ...ok('the comparison (and the gates)', { ...json(ref('CompareResponse')), ...REPORT_TEXTS.md }), ...errorResponses([...h.body, ...analysis, 'NOT_ACCEPTABLE']) },
      },
    },
    '/v1/sweep': {
      post: {
        tags: ['analysis'],
        operationId: 'sweep',
        summary: 'One network at several input sizes: params, MACs, peak memory, latency, final map, receptive field, validity',
        description:
          'The network as in POST /v1/compare (its fields at the top level; an ONNX file as the multipart file part `model`); `sizes` are sides or [H, W] pairs (at most 32); a size that fails to analyse is an entry with `status: "error"` and the catalog error, the sweep goes on; `valid` says whether the size is r = k·2^n + b (b: the border unpadded windows lose) and fits a fixed-size classifier.',
        parameters: h.queryParameters('SweepQuery'),
        requestBody: {
          required: true,
          content: {
            ...json(ref('SweepRequest'), { examples: { resnet18: { summary: 'resnet18 at 160, 224 and 320 on a Raspberry Pi 5', value: { model: 'resnet18', sizes: [160, 224, 320], device: 'raspberry-pi-5' } } } }),
            ...multipart(h, 'SweepRequest', { model: 'the ONNX file' }),
          },
        },
        responses: { ...ok('the sweep', { ...json(ref('SweepReport')), ...REPORT_TEXTS.md }), ...errorResponses([...h.body, ...analysis, 'NOT_ACCEPTABLE']) },
      },
    },
    '/v1/models/{name}/report': {
      get: {
        tags: ['analysis'],
        operationId: 'modelReport',
        summary: "A built-in model's report: a self-contained HTML page by default",
        description:
          'The options of POST /v1/analyze in the query (`?device=a100-sxm4-40gb` adds the roofline chart; the HTML always has the memory timeline). `?format=json|md|csv` or Accept for the other formats.',
        parameters: [
          { name: 'name', in: 'path', required: true, description: 'a built-in model', schema: { type: 'string', enum: ZOO.map((m) => m.name) } },
          ...h.queryParameters('ModelReportQuery'),
        ],
        responses: {
          ...ok('the report', { ...REPORT_TEXTS.html, ...json(ref('AnalysisReport')), ...REPORT_TEXTS.md, ...REPORT_TEXTS.csv }),
          ...errorResponses([...h.graph, 'INVALID_OPTION', 'UNKNOWN_MODEL', 'NOT_ACCEPTABLE', ...h.workers]),
        },
      },
    },
    '/v1/devices': {
      get: { tags: ['catalog'], operationId: 'devices', summary: 'The built-in device profiles of the roofline, with their datasheets', responses: ok('the devices', json(ref('DevicesResponse'))) },
    },
    '/v1/conventions': {
      get: {
        tags: ['catalog'],
        operationId: 'conventions',
        summary: "Other tools' counting conventions (?convention=), each rule citing the tool's source",
        responses: ok('the presets', json(ref('ConventionsResponse'))),
      },
    },
  };
}
