/**
 * Writes the JSON Schemas under schema/ (npm run schema): the network spec, the report (with the
 * optional analyses of analysis/extras.ts), a comparison (POST /v1/compare) and a sweep (POST /v1/sweep).
 */
import path from 'node:path';
import { AnalysisReportSchema } from '../src/analysis/extras.js';
import { SweepReportSchema } from '../src/analysis/sweep.js';
import { CompareResponse } from '../src/http/openapi-reports.js';
import { jsonSchemaOf } from '../src/http/catalog.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { networkSpecSchema } from '../src/graph/network.js';
import { writeIfChanged } from './write-if-changed.js';

export const SCHEMA_FILES = {
  'network.schema.json': () => jsonSchemaOf(networkSpecSchema()),
  'report.schema.json': () => jsonSchemaOf(AnalysisReportSchema),
  'comparison.schema.json': () => jsonSchemaOf(CompareResponse),
  'sweep.schema.json': () => jsonSchemaOf(SweepReportSchema),
};

export function renderSchema(file: keyof typeof SCHEMA_FILES): string {
  return JSON.stringify(SCHEMA_FILES[file](), null, 2) + '\n';
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const file of Object.keys(SCHEMA_FILES) as (keyof typeof SCHEMA_FILES)[]) {
    const wrote = writeIfChanged(path.join(PACKAGE_ROOT, 'schema', file), renderSchema(file));
    console.log(wrote ? `wrote schema/${file}` : `schema/${file} is current`);
  }
}
