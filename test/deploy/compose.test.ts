/**
 * docker-compose.yml (Docker is not available here, so its structure is checked): the default
 * profile is the single service; the "scale" profile is three API replicas behind HAProxy (config
 * under deploy/compose/), Redis, and a `convlens worker`, each environment a valid configuration.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ROOT } from './k8s.js';
import { SERVER_NODE_FLAGS } from '../../src/node-flags.js';

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, any> };
const services = compose.services;
const inProfile = (profile: string | null) =>
  Object.entries(services)
    .filter(([, s]) => (profile === null ? !s.profiles : s.profiles?.includes(profile)))
    .map(([name]) => name)
    .sort();
const haproxy = readFileSync(path.join(ROOT, 'deploy/compose/haproxy.cfg'), 'utf8');
/** HAProxy's config as sections (`backend api`) of directive lines, comments dropped. */
const sections = (() => {
  const out = new Map<string, string[]>();
  let current = '';
  for (const raw of haproxy.split('\n')) {
    const line = raw.replace(/#.*/, '').trimEnd();
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) out.set((current = line.trim()), []);
    else out.get(current)!.push(line.trim());
  }
  return out;
})();

describe('docker-compose.yml', () => {
  it('the default profile is the single service, on port 3000, listening on every interface in its container', () => {
    expect(inProfile(null)).toEqual(['convlens']);
    expect(services.convlens.ports).toEqual(['3000:3000']);
    expect(loadConfig(services.convlens.environment).HOST).toBe('0.0.0.0');
  });

  it('the scale profile: api ×3, a load balancer, redis and a worker; nothing else starts with it', () => {
    expect(inProfile('scale')).toEqual(['api', 'lb', 'redis', 'worker']);
    expect(services.api.deploy.replicas).toBe(3);
    // replicas cannot share a published port or a container name: only the balancer publishes
    expect(services.api.ports).toBeUndefined();
    expect(services.api.container_name).toBeUndefined();
    expect(services.lb.ports).toEqual(['8080:8080']);
  });

  it('the API replicas and the worker share the same Redis (the redis service, noeviction), and their environments are valid configurations', () => {
    const api = loadConfig(services.api.environment);
    const worker = loadConfig(services.worker.environment);
    expect(api.REDIS_URL).toBe('redis://redis:6379');
    expect(worker.REDIS_URL).toBe(api.REDIS_URL);
    expect(api.HOST).toBe('0.0.0.0');
    expect(api.TRUST_PROXY).toBe(1);
    expect(services.redis.image).toMatch(/^redis:\d/);
    expect(services.redis.command.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(services.api.depends_on.redis).toEqual({ condition: 'service_healthy' });
    expect(services.worker.depends_on.redis).toEqual({ condition: 'service_healthy' });
  });

  it("the worker runs `convlens worker` from the image's build (dist/src/cli.js, built from src/cli.ts) with the server's V8 flags, without the image's HTTP health check", () => {
    expect(services.worker.entrypoint).toEqual(['node', ...SERVER_NODE_FLAGS, 'dist/src/cli.js', 'worker']);
    expect(existsSync(path.join(ROOT, 'src/cli.ts'))).toBe(true);
    expect(services.worker.image).toBe(services.api.image);
    expect(services.worker.healthcheck).toEqual({ disable: true });
  });

  it('the balancer is the official HAProxy image with the config file from deploy/compose/', () => {
    expect(services.lb.image).toMatch(/^haproxy:\d/);
    const [from, to] = services.lb.volumes[0].split(':');
    expect(existsSync(path.join(ROOT, from))).toBe(true);
    expect(to).toBe('/usr/local/etc/haproxy/haproxy.cfg');
  });
});

describe('deploy/compose/haproxy.cfg', () => {
  it('listens on the port the lb service publishes', () => {
    const port = services.lb.ports[0].split(':')[1];
    expect(sections.get('frontend convlens')).toContain(`bind :${port}`);
  });

  it('both backends find the 3 replicas by Docker DNS on the API port, and route only to those whose GET /readyz is 200', () => {
    const apiPort = loadConfig(services.api.environment).PORT;
    for (const name of ['backend api', 'backend api_streams']) {
      const lines = sections.get(name)!;
      expect(lines, name).toContain(`server-template api ${services.api.deploy.replicas} api:${apiPort}`);
      expect(lines).toContain('http-check send meth GET uri /readyz');
      expect(lines).toContain('http-check expect status 200');
      expect(lines.find((l) => l.startsWith('default-server'))).toMatch(/\bcheck\b.*\bresolvers docker\b/);
    }
    expect(sections.get('resolvers docker')).toContain('nameserver dns1 127.0.0.11:53');
  });

  it('answers within TASK_TIMEOUT_MS plus a margin, and lets NDJSON job results stream for an hour', () => {
    const taskSeconds = loadConfig(services.api.environment).TASK_TIMEOUT_MS / 1000;
    const serverTimeout = Number(/^timeout server (\d+)s$/.exec(sections.get('defaults')!.find((l) => l.startsWith('timeout server'))!)![1]);
    expect(serverTimeout).toBeGreaterThan(taskSeconds);
    const acl = sections.get('frontend convlens')!.find((l) => l.startsWith('acl job_results path_reg '))!;
    const streams = new RegExp(acl.slice('acl job_results path_reg '.length));
    expect(streams.test('/v1/jobs/0b6f4bd2-3f5d-4b53-9a54-3c1f1f9e2f10/results')).toBe(true);
    expect(streams.test('/v1/jobs/0b6f4bd2-3f5d-4b53-9a54-3c1f1f9e2f10')).toBe(false);
    expect(streams.test('/v1/jobs')).toBe(false);
    expect(sections.get('frontend convlens')).toContain('use_backend api_streams if job_results');
    expect(sections.get('backend api_streams')).toContain('timeout server 1h');
  });

  it('a stopping replica serves until HAProxy has taken it out: SHUTDOWN_DELAY_MS > check interval × fall, and stop_grace_period covers the delay, a task and server.ts\'s 5 s', () => {
    const config = loadConfig(services.api.environment);
    for (const name of ['backend api', 'backend api_streams']) {
      const line = sections.get(name)!.find((l) => l.startsWith('default-server'))!;
      const inter = Number(/\binter (\d+)s\b/.exec(line)![1]);
      const fall = Number(/\bfall (\d+)\b/.exec(line)![1]);
      expect(config.SHUTDOWN_DELAY_MS, name).toBeGreaterThan(inter * fall * 1000);
    }
    const grace = Number(/^(\d+)s$/.exec(services.api.stop_grace_period)![1]);
    expect(grace).toBeGreaterThanOrEqual((config.SHUTDOWN_DELAY_MS + config.TASK_TIMEOUT_MS) / 1000 + 5);
  });
});
