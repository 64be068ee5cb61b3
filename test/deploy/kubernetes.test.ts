import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { type SettingDefinition, SETTINGS } from '../../src/config/settings.js';
import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { packageRoot } from '../../src/util/paths.js';
import { VERSION } from '../../src/version/index.js';
import { type K8sObject, parseManifests, renderKustomization } from './kustomize.js';

const BASE = join(packageRoot, 'deploy', 'kubernetes');

/** The kubernetes-models class of each kind the manifests use: `validate()` checks the schema. */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

const rendered = renderKustomization(BASE);
const find = (kind: string, name: string): any => {
  const object = rendered.find((o) => o.kind === kind && o.metadata.name === name);
  expect(object, `${kind}/${name}`).toBeDefined();
  return object;
};
const controller = find('Deployment', 'prebuild-controller');
const provisionerd = find('Deployment', 'prebuild-controller-provisionerd');
const deployments = [controller, provisionerd];
const container = (deployment: any) => deployment.spec.template.spec.containers[0];
const SETTING_ENVS = new Set<string>(
  Object.values(SETTINGS).flatMap((s: SettingDefinition) => [
    s.env,
    ...(s.fileEnv ? [s.fileEnv] : []),
  ]),
);

/** The mounted Secret's files, as placeholders of the right shape (the test reads no real file). */
const secretFile = (path: string): string => {
  if (path.endsWith('/database-url')) return 'postgres://u:p@db:5432/prebuilds';
  if (path.endsWith('/api-token')) return 'a-secret-token-from-the-secret';
  throw Object.assign(new Error(`no such file ${path}`), { code: 'ENOENT' });
};
const load = (env: Record<string, string>) => loadConfig({}, env, secretFile);

/** The settings a container gets: plain values, secrets as a placeholder of the right shape. */
function containerEnv(c: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of c.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = entry.value;
    else if (entry.name === 'DATABASE_URL') env[entry.name] = 'postgres://u:p@db:5432/prebuilds';
    else env[entry.name] = 'a-secret-token-from-the-secret';
  }
  return env;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

describe('deploy/kubernetes', () => {
  it('renders: namespace, resources and the dashboards ConfigMap', () => {
    expect(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ConfigMap/prebuild-controller-dashboards',
        'Deployment/prebuild-controller',
        'Deployment/prebuild-controller-provisionerd',
        'PodDisruptionBudget/prebuild-controller',
        'PodDisruptionBudget/prebuild-controller-provisionerd',
        'Service/prebuild-controller',
        'Service/prebuild-controller-provisionerd',
        'ServiceMonitor/prebuild-controller',
      ].sort(),
    );
    for (const object of rendered) expect(object.metadata.namespace).toBe('prebuild-controller');
  });

  it('every manifest, rendered or example, is valid against the Kubernetes schemas', () => {
    const files = readdirSync(BASE).filter((file) => file.endsWith('.yaml'));
    const all: [string, K8sObject][] = [
      ...rendered.map((o): [string, K8sObject] => ['rendered', o]),
      ...files.flatMap((file) =>
        parseManifests(join(BASE, file)).map((o): [string, K8sObject] => [file, o]),
      ),
    ].filter(([, o]) => o.kind !== 'Kustomization');
    expect(all.some(([, o]) => o.kind === 'NetworkPolicy')).toBe(true);
    for (const [where, object] of all) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(Model, `${where}: no model for ${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() => new Model!(object).validate(), `${where} ${object.metadata.name}`).not.toThrow();
    }
  });

  it('catches a broken manifest (the validation is not a no-op)', () => {
    const broken = structuredClone(controller);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eight thousand';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort/);
  });

  it('runs 2 controller replicas with a rolling update that keeps them serving', () => {
    expect(controller.spec.replicas).toBe(2);
    expect(controller.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(container(controller).args).toEqual(['run']);
    expect(container(provisionerd).args).toEqual(['provisionerd']);
    for (const deployment of deployments) {
      expect(
        matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels),
      ).toBe(true);
      expect(container(deployment).image).toBe(`prebuild-controller:${VERSION}`);
    }
  });

  it('uses only env names of the settings table, with values the settings accept', () => {
    for (const deployment of deployments) {
      const env = containerEnv(container(deployment));
      for (const name of Object.keys(env)) {
        expect(SETTING_ENVS.has(name), `${deployment.metadata.name}: ${name}`).toBe(true);
      }
      expect(() => load(env), deployment.metadata.name).not.toThrow();
    }
    const run = load(containerEnv(container(controller)));
    expect(run.provisioner).toBe('none');
    expect(run.metricsListen).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it('reads the database URL and the API token from the Secret mounted as files', () => {
    const fileEnvs = (c: any) =>
      Object.fromEntries(
        (c.env ?? [])
          .filter((e: any) => e.name.endsWith('_FILE'))
          .map((e: any) => [e.name, e.value]),
      );
    const DIR = '/var/run/secrets/prebuild-controller';
    expect(fileEnvs(container(controller))).toEqual({
      DATABASE_URL_FILE: `${DIR}/database-url`,
      PREBUILD_CONTROLLER_API_TOKEN_FILE: `${DIR}/api-token`,
    });
    expect(fileEnvs(container(provisionerd))).toEqual({ DATABASE_URL_FILE: `${DIR}/database-url` });
    for (const deployment of deployments) {
      const c = container(deployment);
      // No secret in the environment (exec commands could read it from /proc/<pid>/environ).
      expect(c.env.filter((e: any) => e.valueFrom?.secretKeyRef)).toEqual([]);
      const mount = c.volumeMounts.find((m: any) => m.mountPath === DIR);
      expect(mount?.readOnly, deployment.metadata.name).toBe(true);
      const volume = deployment.spec.template.spec.volumes.find((v: any) => v.name === mount?.name);
      expect(volume.secret.secretName).toBe('prebuild-controller');
      expect(volume.secret.defaultMode).toBe(0o440);
      expect(deployment.spec.template.spec.securityContext.fsGroup).toBe(1000);
      const keys = volume.secret.items.map((item: any) => `${DIR}/${item.path}`).sort();
      expect(keys).toEqual(Object.values(fileEnvs(c)).sort());
    }
    // Daemons get the database URL only.
    const config = load(containerEnv(container(provisionerd)));
    expect(config.apiToken).toBeUndefined();
    expect(config.databaseUrl).toBe('postgres://u:p@db:5432/prebuilds');
    expect(load(containerEnv(container(controller))).apiToken).toBe(
      'a-secret-token-from-the-secret',
    );
  });

  it('probes /readyz and /healthz on ports the process listens on, paths the app serves', async () => {
    const app = await buildApp({
      logger: silentLogger(),
      registry: createRegistry(),
      apiToken: undefined,
      readiness: async () => ({ ready: true, checks: {} }),
    });
    try {
      for (const deployment of deployments) {
        const c = container(deployment);
        const config = load(containerEnv(c));
        const ports = new Map<string, number>(c.ports.map((p: any) => [p.name, p.containerPort]));
        const listening = new Set([config.listen.port, config.metricsListen?.port]);
        if (deployment === provisionerd) listening.delete(config.listen.port); // no API listener
        for (const port of ports.values()) expect(listening.has(port), `${port}`).toBe(true);
        expect(c.readinessProbe.httpGet.path).toBe('/readyz');
        expect(c.livenessProbe.httpGet.path).toBe('/healthz');
        for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
          const port = probe.httpGet.port;
          expect(ports.has(port), `${deployment.metadata.name} probe port ${port}`).toBe(true);
          const answer = await app.inject({ url: probe.httpGet.path });
          expect(answer.statusCode, probe.httpGet.path).toBe(200);
        }
      }
    } finally {
      await app.close();
    }
  });

  it('gives running work its shutdown timeout before Kubernetes kills the pod', () => {
    for (const deployment of deployments) {
      const c = container(deployment);
      const shutdownMs = load(containerEnv(c)).shutdownTimeout;
      const preStop = c.lifecycle?.preStop?.exec?.command ?? [];
      const preStopMs = preStop[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
      const graceMs = deployment.spec.template.spec.terminationGracePeriodSeconds * 1000;
      expect(graceMs, deployment.metadata.name).toBeGreaterThanOrEqual(
        preStopMs + shutdownMs + 5_000,
      );
    }
  });

  it('runs non-root on a read-only root filesystem with resources set', () => {
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      const c = container(deployment);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      // The writable places the process needs on a read-only root: /tmp.
      const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits.memory).toEqual(expect.any(String));
    }
  });

  it('wires Services, PodDisruptionBudgets and the ServiceMonitor to the right pods and ports', () => {
    const podLabels = (d: any) => d.spec.template.metadata.labels;
    const portNames = (d: any) => container(d).ports.map((p: any) => p.name);
    const api = find('Service', 'prebuild-controller');
    const daemons = find('Service', 'prebuild-controller-provisionerd');
    for (const [service, deployment] of [
      [api, controller],
      [daemons, provisionerd],
    ]) {
      expect(matches(service.spec.selector, podLabels(deployment))).toBe(true);
      for (const port of service.spec.ports)
        expect(portNames(deployment)).toContain(port.targetPort);
    }
    expect(matches(api.spec.selector, podLabels(provisionerd))).toBe(false);
    for (const [name, deployment] of [
      ['prebuild-controller', controller],
      ['prebuild-controller-provisionerd', provisionerd],
    ]) {
      const pdb = find('PodDisruptionBudget', name);
      expect(matches(pdb.spec.selector.matchLabels, podLabels(deployment))).toBe(true);
      expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    }
    const monitor = find('ServiceMonitor', 'prebuild-controller');
    const scraped = rendered.filter(
      (o: any) =>
        o.kind === 'Service' && matches(monitor.spec.selector.matchLabels, o.metadata.labels),
    );
    expect(scraped.map((s) => s.metadata.name).sort()).toEqual([
      'prebuild-controller',
      'prebuild-controller-provisionerd',
    ]);
    for (const service of scraped as any[]) {
      for (const endpoint of monitor.spec.endpoints) {
        expect(service.spec.ports.map((p: any) => p.name)).toContain(endpoint.port);
        expect(endpoint.path).toBe('/metrics');
      }
    }
  });

  it('ships the Grafana dashboards as a ConfigMap, byte for byte', () => {
    const configMap = find('ConfigMap', 'prebuild-controller-dashboards');
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    const dir = join(packageRoot, 'grafana', 'dashboards');
    const files = readdirSync(dir).filter((file) => file.endsWith('.json'));
    expect(Object.keys(configMap.data).sort()).toEqual(files.sort());
    for (const file of files) {
      expect(configMap.data[file], file).toBe(readFileSync(join(dir, file), 'utf8'));
    }
    // A ConfigMap holds at most 1 MiB.
    expect(JSON.stringify(configMap).length).toBeLessThan(1024 * 1024);
  });
});
