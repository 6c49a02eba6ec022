/** The operator and model catalogs, one shape for REST and GraphQL alike. */
import { z } from 'zod';
import { DEVICES } from '../analysis/devices.js';
import { ROOFLINE_NOTE } from '../analysis/roofline.js';
import { PRESETS } from '../conventions/index.js';
import { OPS } from '../ops/registry.js';
import { ZOO } from '../zoo/index.js';

export const jsonSchemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });

/** Fixed for the life of the process: computed on first use, then served as is. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

export const operatorCatalog = once(() =>
  OPS.map((op) => ({
    name: op.name,
    summary: op.summary,
    pytorch: op.pytorch,
    inputs: op.inputNames,
    minInputs: op.minInputs,
    variadic: op.variadic ?? false,
    attributes: jsonSchemaOf(op.attrs),
    runnable: typeof op.run === 'function',
  })),
);

/** The description comes from building each model once (densenet121 alone has hundreds of layers). */
export const modelCatalog = once(() =>
  ZOO.map((z) => ({ name: z.name, resolution: z.resolution, description: z.build(z.resolution).description ?? null, torchvision: z.torchvision ?? null })),
);

/** The devices as GET /v1/devices lists them (figures, how each was derived, the documents). */
export function deviceCatalog() {
  return {
    devices: DEVICES.map(({ id, name, kind, description, peaks, bandwidth, derivation, sources }) => ({ id, name, kind, description: description ?? null, peaks, bandwidth, derivation, sources })),
    note: ROOFLINE_NOTE,
  };
}

/** The presets as GET /v1/conventions lists them, each family's rule with the tool's source. */
export function conventionCatalog() {
  return {
    conventions: PRESETS.map((p) => ({
      name: p.name,
      tool: p.tool,
      version: p.version,
      unit: p.unit,
      summary: p.summary,
      source: [...p.source],
      // a rule's unbatched note listed after its why (a model's report says it only where a layer read one unbatched sample)
      rules: Object.entries(p.rules).map(([family, rule]) => ({ family, why: rule!.unbatched ? `${rule!.why}; ${rule!.unbatched.why}` : rule!.why, source: rule!.unbatched ? `${rule!.source}; ${rule!.unbatched.source}` : rule!.source })),
    })),
  };
}
