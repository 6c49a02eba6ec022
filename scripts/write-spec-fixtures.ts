/** Writes test/fixtures/specs/<model>.json from the zoo generators (node --import tsx scripts/write-spec-fixtures.ts). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import { ZOO_BY_NAME } from '../src/zoo/index.js';

export const SPEC_FIXTURES = ['resnet18', 'vgg16', 'mobilenet_v2'] as const;

for (const name of SPEC_FIXTURES) {
  const entry = ZOO_BY_NAME.get(name)!;
  const file = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'specs', `${name}.json`);
  writeFileSync(file, JSON.stringify(entry.build(entry.resolution), null, 1) + '\n');
  console.log(`wrote ${path.relative(PACKAGE_ROOT, file)}`);
}
