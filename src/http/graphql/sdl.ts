/** The GraphQL schema's SDL: schema/graphql/, one type per file, read in name order (mercurius's schema, and the large-body worker's, graphql/prepare.ts). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../paths.js';

export function loadSDL(): string {
  const dir = path.join(PACKAGE_ROOT, 'schema', 'graphql');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}
