/**
 * The catalogs: `convlens models`, `operators`, `devices` and `conventions`, each a table for a
 * person or, with `--format json`, the JSON the service answers at GET /v1/models, /v1/operators,
 * /v1/devices and /v1/conventions (one object, the list under its name), for a pipeline.
 */
import { Command, Option } from 'commander';
import { DEVICES } from '../analysis/devices.js';
import { PRESETS } from '../conventions/index.js';
import { conventionCatalog, deviceCatalog, modelCatalog, operatorCatalog } from '../http/catalog.js';
import { OPS } from '../ops/registry.js';
import { ZOO } from '../zoo/index.js';
import type { Io } from './io.js';
import { columns } from './sections.js';

export const LIST_FORMATS = ['table', 'json'] as const;

/** A listing command: `table()` by default, `json()` (pretty-printed) with --format json. */
function listCommand(io: Io, name: string, description: string, table: () => string, json: () => unknown): Command {
  return new Command(name)
    .description(description)
    .addOption(new Option('--format <format>', 'output (json: as the service answers GET /v1/' + name + ')').choices([...LIST_FORMATS]).default('table'))
    .action((o: { format: (typeof LIST_FORMATS)[number] }) => io.out(o.format === 'json' ? JSON.stringify(json(), null, 2) : table()));
}

export function modelsCommand(io: Io): Command {
  return listCommand(
    io,
    'models',
    'list the built-in model zoo',
    () =>
      columns(
        ['model', 'resolution', 'torchvision params', 'GMACs'],
        ZOO.map((z) => [z.name, String(z.resolution), z.torchvision ? z.torchvision.params.toLocaleString('en-US') : '-', z.torchvision ? z.torchvision.gmacs.toFixed(2) : '-']),
        // GMACs to the 2 decimals torchvision's docs table gives, points aligned (7.8 and 0.3 stood a column off 17.56)
        [1, 2, 3],
      ),
    () => ({ models: modelCatalog() }),
  );
}

export function operatorsCommand(io: Io): Command {
  return listCommand(
    io,
    'operators',
    'list the operators and their PyTorch equivalents',
    () => columns(['operator', 'PyTorch', 'summary'], OPS.map((op) => [op.name, op.pytorch, op.summary])),
    () => ({ operators: operatorCatalog() }),
  );
}

const rate = (v: number | undefined, unit: string) => (v === undefined ? '-' : `${(v / 1e12).toPrecision(3)} T${unit}`);

export function devicesCommand(io: Io): Command {
  return listCommand(
    io,
    'devices',
    'list the built-in device profiles for --device (peaks per element type, memory bandwidth)',
    () => {
      const rows = DEVICES.map((d) => [d.id, d.kind, rate(d.peaks.float32, 'FLOP/s'), rate(d.peaks.float16, 'FLOP/s'), rate(d.peaks.bfloat16, 'FLOP/s'), rate(d.peaks.int8, 'OP/s'), `${(d.bandwidth / 1e9).toPrecision(4)} GB/s`, d.name]);
      return [
        columns(['id', 'kind', 'float32', 'float16', 'bfloat16', 'int8', 'bandwidth', 'name'], rows, [2, 3, 4, 5, 6]),
        '',
        'dense peaks from the datasheets (a missing element type falls back to float32); a custom profile: --device my.json with {"name", "peaks": {"float32", …}, "bandwidth"}',
      ].join('\n');
    },
    deviceCatalog,
  );
}

export function conventionsCommand(io: Io): Command {
  return listCommand(
    io,
    'conventions',
    "list the counting-convention presets for --convention (other tools' MACs/FLOPs)",
    () => [columns(['preset', 'tool', 'unit', 'version'], PRESETS.map((p) => [p.name, p.tool, p.unit, p.version])), '', ...PRESETS.map((p) => `${p.name}: ${p.summary}`)].join('\n'),
    conventionCatalog,
  );
}
