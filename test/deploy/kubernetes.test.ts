/**
 * deploy/: the kustomize base and production overlay are valid Kubernetes (schemas and field
 * names, kubernetes-models), wire together (selectors, ports, probes, ConfigMap, Secret, HPA
 * metrics the app exposes and the adapter serves), their environment is a configuration convlens
 * accepts, and their memory is sized by the stated rule from measured RSS. `kubectl kustomize`
 * renders the overlay when kubectl is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { testApp } from '../http/app.js';
import { DEPLOY, envFile, quantity, schemaError, typeCheck, yamlDocs } from './k8s.js';
import type { K8sObject } from './k8s.js';
import { SERVER_NODE_FLAGS } from '../../src/node-flags.js';

/** VmHWM of `node --initial-old-space-size=128 dist/src/server.js`, WORKERS=2, after eleven rounds of two concurrent /v1/run of resnet18 (deploy/base/deployment.yaml's header, 2026-12-01). */
const MEASURED_BUSY_PEAK = 543 * 2 ** 20;

const BASE_RESOURCES = ['base/deployment.yaml', 'base/service.yaml', 'base/hpa.yaml', 'base/pdb.yaml'];
const PROD_RESOURCES = ['overlays/production/namespace.yaml', 'overlays/production/worker-deployment.yaml', 'overlays/production/worker-hpa.yaml', 'overlays/production/worker-pdb.yaml'];
const PROD_PATCHES = ['overlays/production/deployment-patch.yaml', 'overlays/production/hpa-patch.yaml'];

const one = (file: string): K8sObject => {
  const docs = yamlDocs(file);
  expect(docs, file).toHaveLength(1);
  return docs[0];
};
const kustomization = (dir: string) => one(`${dir}/kustomization.yaml`) as unknown as Record<string, any>;

/** The production overlay's environment: base, merged with production.env, plus the Secret's keys. */
const baseEnv = () => envFile('base/convlens.env');
const prodEnv = () => ({ ...baseEnv(), ...envFile('overlays/production/production.env') });
const SECRET = { API_KEYS: 'k'.repeat(32), REDIS_URL: 'rediss://:password@redis.example.com:6380' };

function container(d: K8sObject, name?: string) {
  const cs = d.spec.template.spec.containers as any[];
  return name ? cs.find((c) => c.name === name) : cs[0];
}

describe('every manifest is valid Kubernetes (kubernetes-models, Kubernetes 1.27)', () => {
  it('each resource of the base and the overlay validates against its JSON Schema', () => {
    for (const file of [...BASE_RESOURCES, ...PROD_RESOURCES, 'prometheus-adapter-rules.yaml']) {
      for (const doc of yamlDocs(file)) expect(schemaError(doc), `${file} ${doc.kind}`).toBeNull();
    }
  });

  it('the schemas catch a Deployment without a selector (the check can fail)', () => {
    const d = structuredClone(one('base/deployment.yaml'));
    delete d.spec.selector;
    expect(schemaError(d)).toMatch(/selector/);
  });

  it('no unknown field: every resource and patch compiles as an object literal of its TypeScript interface, and a misspelt field is reported', () => {
    const items = [
      ...[...BASE_RESOURCES, ...PROD_RESOURCES, 'prometheus-adapter-rules.yaml'].flatMap((f) => yamlDocs(f).map((object, i) => ({ where: `${f}#${i}`, object }))),
      ...PROD_PATCHES.map((f) => ({ where: f, object: one(f), partial: true })),
    ];
    const misspelt = structuredClone(one('base/deployment.yaml'));
    misspelt.spec.template.spec.containers[0].readinesProbe = misspelt.spec.template.spec.containers[0].readinessProbe;
    const errors = typeCheck([...items, { where: 'control', object: misspelt }]);
    expect(Object.fromEntries(errors)).toEqual({ control: [expect.stringContaining(`'"readinesProbe"' does not exist in type 'IContainer'`)] });
  }, 60_000);
});

describe('the base wires together', () => {
  const deployment = one('base/deployment.yaml');
  const pod = deployment.spec.template;
  const c = container(deployment);
  const env = baseEnv();

  it("the Deployment's selector matches its pods; the Service and the PodDisruptionBudget select the same pods", () => {
    const labels = pod.metadata.labels;
    expect(labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(labels).toMatchObject(one('base/service.yaml').spec.selector);
    expect(labels).toMatchObject(one('base/pdb.yaml').spec.selector.matchLabels);
    expect(one('base/pdb.yaml').spec.maxUnavailable).toBe(1);
  });

  it('ports come from the environment: http = PORT, metrics = METRICS_PORT (and the scrape annotation); the Service targets them by name', () => {
    expect(c.ports).toEqual([
      { name: 'http', containerPort: Number(env.PORT), protocol: 'TCP' },
      { name: 'metrics', containerPort: Number(env.METRICS_PORT), protocol: 'TCP' },
    ]);
    expect(pod.metadata.annotations['prometheus.io/port']).toBe(env.METRICS_PORT);
    expect(one('base/service.yaml').spec.ports.map((p: any) => p.targetPort)).toEqual(['http', 'metrics']);
    expect(env.HOST).toBe('0.0.0.0');
  });

  it('probes: startup and liveness GET /healthz, readiness GET /readyz, on the http port', () => {
    expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  it('runs as the non-root node user (1000) on a read-only root filesystem, no privilege escalation, no capabilities, RuntimeDefault seccomp, /tmp an emptyDir', () => {
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  it('the grace period covers the preStop pause, a whole task (TASK_TIMEOUT_MS) and server.ts\'s 5 s', () => {
    const preStop = Number(c.lifecycle.preStop.exec.command[1]);
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + Number(env.TASK_TIMEOUT_MS) / 1000 + 5);
  });

  it('the environment file is a configuration convlens accepts (every key known, every value valid)', () => {
    const config = loadConfig(env);
    expect(Object.keys(env).filter((k) => !(k in config))).toEqual([]);
    expect(config).toMatchObject({ WORKERS: 2, METRICS_PORT: 9464, GRAPHIQL: true });
    expect(config.REDIS_URL).toBeUndefined();
  });

  it('sizing rule: memory limit ≥ measured busy peak (543 MiB) + MEMORY_BUDGET_BYTES + JOB_STORE_MAX_BYTES; request ≥ the peak; CPU request = WORKERS', () => {
    const { requests, limits } = c.resources;
    const need = MEASURED_BUSY_PEAK + Number(env.MEMORY_BUDGET_BYTES) + Number(env.JOB_STORE_MAX_BYTES);
    expect(quantity(limits.memory)).toBeGreaterThanOrEqual(need * 1.15);
    expect(quantity(requests.memory)).toBeGreaterThanOrEqual(MEASURED_BUSY_PEAK);
    expect(quantity(requests.cpu)).toBe(Number(env.WORKERS));
    // the body limits fit in the budget at admission's factors (JSON ×4, binary ×2: src/http/admission.ts)
    expect(Number(env.JSON_BODY_LIMIT) * 4).toBeLessThanOrEqual(Number(env.MEMORY_BUDGET_BYTES));
    expect(Number(env.BODY_LIMIT) * 2).toBeLessThanOrEqual(Number(env.MEMORY_BUDGET_BYTES));
  });

  it('the kustomization lists every file it needs, and they exist', () => {
    const k = kustomization('base');
    expect(k.resources.sort()).toEqual(BASE_RESOURCES.map((f) => path.basename(f)).sort());
    expect(k.configMapGenerator).toEqual([{ name: 'convlens-env', envs: ['convlens.env'] }]);
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'convlens-env' } }]);
    for (const f of [...k.resources, ...k.configMapGenerator[0].envs]) expect(existsSync(path.join(DEPLOY, 'base', f)), f).toBe(true);
  });
});

describe('autoscaling reads metrics the app exposes, through the adapter rules', () => {
  let app: FastifyInstance;
  let metrics = '';
  beforeAll(async () => {
    app = await testApp({ WORKERS: '1' });
    metrics = (await app.inject({ url: '/metrics' })).body;
  });
  afterAll(async () => app.close());

  const adapter = () => parseYaml(one('prometheus-adapter-rules.yaml').data['config.yaml']) as { rules: any[]; externalRules: any[] };

  it('API HPA: CPU 70 % and the Pods metric convlens_pool_queued, served by an adapter rule over the gauge of the same name', () => {
    const hpa = one('base/hpa.yaml');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: one('base/deployment.yaml').metadata.name });
    expect(hpa.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      { type: 'Pods', pods: { metric: { name: 'convlens_pool_queued' }, target: { type: 'AverageValue', averageValue: '2' } } },
    ]);
    const rule = adapter().rules.find((r) => r.name.as === 'convlens_pool_queued');
    expect(rule.seriesQuery).toBe('convlens_pool_queued{namespace!="",pod!=""}');
    expect(rule.resources.overrides).toEqual({ namespace: { resource: 'namespace' }, pod: { resource: 'pod' } });
    expect(metrics).toMatch(/^# TYPE convlens_pool_queued gauge$/m);
  });

  it('worker HPA: the External metric convlens_jobs_queued, an adapter external rule over convlens_jobs{state="queued"}', () => {
    const hpa = one('overlays/production/worker-hpa.yaml');
    expect(hpa.spec.scaleTargetRef.name).toBe(one('overlays/production/worker-deployment.yaml').metadata.name);
    expect(hpa.spec.metrics[0]).toEqual({ type: 'External', external: { metric: { name: 'convlens_jobs_queued' }, target: { type: 'AverageValue', averageValue: '4' } } });
    const rule = adapter().externalRules.find((r) => r.name.as === 'convlens_jobs_queued');
    expect(rule.seriesQuery).toBe('convlens_jobs{namespace!="",state="queued"}');
    expect(rule.metricsQuery).toContain('max by (namespace)');
    expect(metrics).toMatch(/^convlens_jobs\{state="queued"\} 0$/m);
  });
});

describe('the production overlay', () => {
  it('its environment, with the Secret\'s keys, is a configuration convlens accepts: jobs on Redis, GraphiQL off, API keys', () => {
    const config = loadConfig({ ...prodEnv(), ...SECRET });
    expect(config).toMatchObject({ GRAPHIQL: false, REDIS_URL: SECRET.REDIS_URL, MEMORY_BUDGET_BYTES: 2 ** 30, JOB_TTL_SECONDS: 86400 });
    expect(config.API_KEYS).toEqual([SECRET.API_KEYS]);
  });

  it('the API reads API_KEYS and REDIS_URL from the Secret, the worker REDIS_URL; the worker runs `convlens worker` from the build (dist/src/cli.js of src/cli.ts) with the server V8 flags', () => {
    const fromSecret = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: 'convlens-secrets', key } } });
    expect(container(one('overlays/production/deployment-patch.yaml')).env).toEqual([fromSecret('API_KEYS'), fromSecret('REDIS_URL')]);
    const worker = container(one('overlays/production/worker-deployment.yaml'));
    expect(worker.env).toEqual([fromSecret('REDIS_URL')]);
    expect(worker.command).toEqual(['node', ...SERVER_NODE_FLAGS, 'dist/src/cli.js', 'worker']);
    expect(existsSync(path.join(DEPLOY, '..', 'src', 'cli.ts'))).toBe(true);
    expect(worker.ports).toBeUndefined();
  });

  it('sizing rule: API limit ≥ busy peak + MEMORY_BUDGET_BYTES (no in-process job store on Redis); worker limit ≥ busy peak + WORKERS × JSON_BODY_LIMIT × 4', () => {
    const env = prodEnv();
    const api = container(one('overlays/production/deployment-patch.yaml')).resources;
    expect(quantity(api.limits.memory)).toBeGreaterThanOrEqual((MEASURED_BUSY_PEAK + Number(env.MEMORY_BUDGET_BYTES)) * 1.15);
    expect(quantity(api.requests.memory)).toBeGreaterThanOrEqual(MEASURED_BUSY_PEAK);
    const worker = container(one('overlays/production/worker-deployment.yaml')).resources;
    expect(quantity(worker.limits.memory)).toBeGreaterThanOrEqual(MEASURED_BUSY_PEAK + Number(env.WORKERS) * Number(env.JSON_BODY_LIMIT) * 4);
    expect(quantity(worker.requests.memory)).toBeGreaterThanOrEqual(MEASURED_BUSY_PEAK);
    expect(quantity(worker.requests.cpu)).toBe(Number(env.WORKERS));
  });

  it('the worker is as locked down as the API, and its pods are its PodDisruptionBudget\'s', () => {
    const w = one('overlays/production/worker-deployment.yaml');
    expect(container(w).securityContext).toEqual(container(one('base/deployment.yaml')).securityContext);
    expect(w.spec.template.spec.securityContext).toEqual(one('base/deployment.yaml').spec.template.spec.securityContext);
    expect(w.spec.template.metadata.labels).toMatchObject(one('overlays/production/worker-pdb.yaml').spec.selector.matchLabels);
    expect(w.spec.template.metadata.labels).toMatchObject(w.spec.selector.matchLabels);
  });

  it('the namespace enforces the restricted Pod Security Standard', () => {
    expect(one('overlays/production/namespace.yaml').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('the kustomization lists every file it needs, and they exist', () => {
    const k = kustomization('overlays/production');
    const files = [...k.resources.filter((r: string) => !r.startsWith('..')), ...k.patches.map((p: { path: string }) => p.path), ...k.configMapGenerator.flatMap((g: { envs: string[] }) => g.envs)];
    for (const f of files) expect(existsSync(path.join(DEPLOY, 'overlays/production', f)), f).toBe(true);
    expect(k.resources).toContain('../../base');
    expect(k.configMapGenerator[0]).toMatchObject({ name: 'convlens-env', behavior: 'merge' });
  });
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const haveKubectl = !kubectl.error && kubectl.status === 0;
if (!haveKubectl) console.log(`test/deploy: kubectl is not on PATH (${kubectl.error?.message ?? kubectl.stderr}); the kubectl kustomize rendering is skipped`);

describe('rendered by kubectl kustomize', () => {
  const render = (dir: string): K8sObject[] =>
    parseAllDocuments(execFileSync('kubectl', ['kustomize', path.join(DEPLOY, dir)], { encoding: 'utf8' }))
      .map((d) => d.toJS())
      .filter(Boolean);

  it.skipIf(!haveKubectl)('the production overlay renders to valid objects in namespace convlens, wired to the generated ConfigMap, the Secret and the image', () => {
    const objects = render('overlays/production');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ConfigMap/convlens-env-*',
        'Deployment/convlens',
        'Deployment/convlens-worker',
        'HorizontalPodAutoscaler/convlens',
        'HorizontalPodAutoscaler/convlens-worker',
        'Namespace/convlens',
        'PodDisruptionBudget/convlens',
        'PodDisruptionBudget/convlens-worker',
        'Service/convlens',
      ].map((n) => expect.stringMatching(new RegExp(`^${n.replace('*', '[a-z0-9]{10}')}$`))),
    );
    for (const o of objects) expect(schemaError(o), `${o.kind}/${o.metadata.name}`).toBeNull();
    expect(Object.fromEntries(typeCheck(objects.map((object, i) => ({ where: `rendered#${i}`, object }))))).toEqual({});
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, o.kind).toBe('convlens');
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(configMap.data).toEqual(prodEnv());
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const c = container(d);
      expect(c.image).toBe('registry.example.com/convlens:0.1.0');
      expect(c.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
      expect(c.env.find((e: any) => e.name === 'REDIS_URL').valueFrom.secretKeyRef).toEqual({ name: 'convlens-secrets', key: 'REDIS_URL' });
    }
    const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'convlens')!;
    // the patch's containers merged into the base's by name: probes kept, resources and env replaced
    expect(container(api).readinessProbe.httpGet.path).toBe('/readyz');
    expect(container(api).resources.limits.memory).toBe('2Gi');
    expect(api.spec.replicas).toBe(3);
    expect(objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'convlens')!.spec).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
  }, 60_000);

  it.skipIf(!haveKubectl)('the base renders too, its ConfigMap the base environment', () => {
    const objects = render('base');
    for (const o of objects) expect(schemaError(o), `${o.kind}/${o.metadata.name}`).toBeNull();
    expect(objects.find((o) => o.kind === 'ConfigMap')!.data).toEqual(baseEnv());
  });
});
