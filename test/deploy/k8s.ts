/**
 * Kubernetes manifests checked two ways, both from kubernetes-models (Kubernetes 1.27 schemas):
 *   - validate(): each object against its JSON Schema (required fields, types);
 *   - typeCheck(): each object as an object literal of its TypeScript interface, compiled, so an
 *     unknown field (a misspelt `readinesProbe`, which the JSON Schemas allow) is an error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEPLOY = path.join(ROOT, 'deploy');

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

/** The classes (and their interfaces' modules) of every kind deploy/ uses. */
export const MODELS: Record<string, { cls: new (data: any) => { validate(): void }; module: string; iface: string }> = {
  'v1/ConfigMap': { cls: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', iface: 'IConfigMap' },
  'v1/Namespace': { cls: Namespace, module: 'kubernetes-models/v1/Namespace', iface: 'INamespace' },
  'v1/Service': { cls: Service, module: 'kubernetes-models/v1/Service', iface: 'IService' },
  'apps/v1/Deployment': { cls: Deployment, module: 'kubernetes-models/apps/v1/Deployment', iface: 'IDeployment' },
  'autoscaling/v2/HorizontalPodAutoscaler': { cls: HorizontalPodAutoscaler, module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler', iface: 'IHorizontalPodAutoscaler' },
  'policy/v1/PodDisruptionBudget': { cls: PodDisruptionBudget, module: 'kubernetes-models/policy/v1/PodDisruptionBudget', iface: 'IPodDisruptionBudget' },
};

export const modelKey = (o: { apiVersion: string; kind: string }) => `${o.apiVersion}/${o.kind}`;

/** Every YAML document of a file (relative to deploy/), parse errors thrown. */
export function yamlDocs(file: string): any[] {
  const text = readFileSync(path.join(DEPLOY, file), 'utf8');
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS();
  });
}

/** validate() with its class: the error message, or null when valid. */
export function schemaError(o: K8sObject): string | null {
  const model = MODELS[modelKey(o)];
  if (!model) return `no model for ${modelKey(o)}`;
  try {
    new model.cls(o).validate();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface Typed {
  /** Where it came from, for messages. */
  where: string;
  object: K8sObject;
  /** A patch: only some fields, so checked against a deep partial of its interface. */
  partial?: boolean;
}

/** Compiles every object as a literal of its interface; the diagnostics by object (empty: all fit). */
export function typeCheck(items: Typed[]): Map<string, string[]> {
  const imports = new Set<string>();
  const lines = items.map((item, i) => {
    const model = MODELS[modelKey(item.object)];
    if (!model) throw new Error(`${item.where}: no model for ${modelKey(item.object)}`);
    imports.add(`import type { ${model.iface} } from '${model.module}';`);
    const type = item.partial ? `DeepPartial<${model.iface}>` : model.iface;
    return `export const o${i}: ${type} = ${JSON.stringify(item.object)};`;
  });
  const source = [
    ...imports,
    'type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;',
    ...lines,
  ].join('\n');
  const file = path.join(ROOT, 'test', 'deploy', '__manifests__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : getSourceFile.call(host, name, lang, ...rest));
  const fileExists = host.fileExists;
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  const program = ts.createProgram([file], options, host);
  const byItem = new Map<string, string[]>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    // the objects' lines follow the imports and the DeepPartial line
    const at = d.file?.fileName === file && line > imports.size && line - imports.size - 1 < lines.length ? line - imports.size - 1 : -1;
    const key = at >= 0 ? items[at].where : (d.file?.fileName ?? 'global');
    byItem.set(key, [...(byItem.get(key) ?? []), ts.flattenDiagnosticMessageText(d.messageText, '\n')]);
  }
  return byItem;
}

/** Kubernetes quantities (cpu "2", "500m"; memory "512Mi", "1Gi") as numbers: cores, bytes. */
export function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(q);
  if (!m) throw new Error(`not a quantity: ${q}`);
  const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

/** KEY=VALUE lines of a kustomize env file (comments and blank lines skipped). */
export function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of readFileSync(path.join(DEPLOY, file), 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 1) throw new Error(`${file}: not KEY=VALUE: ${line}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
