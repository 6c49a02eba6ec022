/** The line under a report's title that says what was analysed, for the Markdown and HTML renderings alike. */
import type { Report } from '../report.js';
import { exact } from './md.js';

/** How the target format writes free text (escaped), a name (code) and a shape. */
export interface SourceLineFormat {
  text(s: string): string;
  code(s: string): string;
  shape(s: readonly number[] | null): string;
}

/** "ONNX file (opset 17, pytorch, 1,234 bytes) · input x [1, 3, 224, 224] · output y [1, 1000]". */
export function sourceLine(r: Report, f: SourceLineFormat): string {
  const s = r.source;
  const what =
    s?.format === 'onnx'
      ? `ONNX file (opset ${s.opset ?? '?'}${s.producer ? `, ${f.text(s.producer)}` : ''}${s.bytes !== undefined ? `, ${exact(s.bytes)} bytes` : ''})`
      : s?.format === 'zoo'
        ? `built-in model ${f.code(s.model ?? r.name)}`
        : s?.format === 'spec'
          ? 'JSON spec'
          : null;
  const inputs = r.inputs.map((i) => `${f.code(i.name)} ${f.shape(i.shape)}`).join(', ');
  const outputs = r.outputs.map((o) => `${f.code(o.name)} ${f.shape(o.shape)}`).join(', ');
  return [what, `input ${inputs}`, `output ${outputs}`].filter(Boolean).join(' · ');
}
