import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isWarningCode, WARNING_CODES } from '../../src/analysis/warning-codes.js';

const src = fileURLToPath(new URL('../../src/', import.meta.url));
/** Every `code: 'UPPER_CASE'` literal written in the .ts files of a source folder. */
function codesWritten(folder: string): Set<string> {
  const found = new Set<string>();
  for (const file of readdirSync(path.join(src, folder), { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(path.join(src, folder, file), 'utf8');
    for (const m of text.matchAll(/\bcode: '([A-Z][A-Z0-9_]*)'/g)) found.add(m[1]);
  }
  return found;
}

describe('WARNING_CODES lists every warning a report can carry (what --fail-on accepts)', () => {
  it('exactly the codes written under src/analysis and src/ops', () => {
    const written = new Set([...codesWritten('analysis'), ...codesWritten('ops')]);
    expect([...written].sort()).toEqual([...WARNING_CODES].sort());
  });

  it('the README\'s "Structure and warnings" names every one (NORMALISATION_RECEPTIVE_FIELD was missing there)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Structure and warnings'), readme.indexOf('## Errors'));
    expect(WARNING_CODES.filter((c) => !section.includes(`\`${c}\``))).toEqual([]);
  });

  it('includes the structural checks and the operators’ receptive-field notes', () => {
    expect(WARNING_CODES).toEqual(expect.arrayContaining(['UNSUPPORTED_OPERATOR', 'FC_DOMINATES', 'MISALIGNED_PATHS', 'DATA_DEPENDENT_RECEPTIVE_FIELD']));
    expect(isWarningCode('FC_DOMINATES')).toBe(true);
    expect(isWarningCode('fc_dominates')).toBe(false);
    expect(isWarningCode('toString')).toBe(false);
  });
});
