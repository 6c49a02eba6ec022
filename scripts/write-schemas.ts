/** Writes the JSON Schemas of the network spec and the report under schema/ (npm run schema). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ReportSchema } from '../src/analysis/report.js';
import { jsonSchemaOf } from '../src/http/catalog.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { networkSpecSchema } from '../src/graph/network.js';

export const SCHEMA_FILES = {
  'network.schema.json': () => jsonSchemaOf(networkSpecSchema()),
  'report.schema.json': () => jsonSchemaOf(ReportSchema),
};

export function renderSchema(file: keyof typeof SCHEMA_FILES): string {
  return JSON.stringify(SCHEMA_FILES[file](), null, 2) + '\n';
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const file of Object.keys(SCHEMA_FILES) as (keyof typeof SCHEMA_FILES)[]) {
    writeFileSync(path.join(PACKAGE_ROOT, 'schema', file), renderSchema(file));
    console.log(`wrote schema/${file}`);
  }
}
