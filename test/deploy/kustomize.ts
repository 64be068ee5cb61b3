import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';

import { parseAllDocuments } from 'yaml';

/**
 * The part of kustomize that deploy/kubernetes uses, so tests can render it without kubectl
 * (none of the npm packages checked renders kustomizations): `namespace`, `resources` (YAML files
 * and other kustomization directories) and `configMapGenerator` (`files`, with
 * `disableNameSuffixHash: true`, `labels`, `annotations`). Any other field fails loudly, so the
 * base cannot quietly start depending on something this renderer ignores. Like kustomize's
 * default load restrictor, generator files must lie inside their kustomization's directory.
 */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; [key: string]: unknown };
  readonly [key: string]: unknown;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'configMapGenerator']);

export function parseManifests(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((document, index) => {
    if (document.errors.length > 0) {
      throw new Error(`${path} document ${index}: ${document.errors[0]!.message}`);
    }
    return document.toJS() as K8sObject;
  });
}

interface Generator {
  name: string;
  files?: string[];
  options?: {
    disableNameSuffixHash?: boolean;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = parseManifests(file)[0] as unknown as Record<string, unknown>;
  for (const key of Object.keys(kustomization)) {
    if (!SUPPORTED.has(key)) throw new Error(`${file}: "${key}" is not supported by this renderer`);
  }
  const objects: K8sObject[] = [];
  for (const entry of (kustomization.resources as string[] | undefined) ?? []) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new Error(`${file}: resource ${entry} does not exist`);
    objects.push(
      ...(statSync(path).isDirectory() ? renderKustomization(path) : parseManifests(path)),
    );
  }
  for (const generator of (kustomization.configMapGenerator as Generator[] | undefined) ?? []) {
    const { name, files = [], options = {}, ...rest } = generator;
    if (Object.keys(rest).length > 0) {
      throw new Error(
        `${file}: configMapGenerator ${name}: unsupported ${Object.keys(rest).join(', ')}`,
      );
    }
    if (options.disableNameSuffixHash !== true) {
      throw new Error(`${file}: configMapGenerator ${name}: only disableNameSuffixHash: true`);
    }
    const data: Record<string, string> = {};
    for (const spec of files) {
      const [key, source] = spec.includes('=') ? spec.split('=', 2) : [basename(spec), spec];
      const path = resolve(dir, source!);
      if (relative(dir, path).startsWith('..')) {
        throw new Error(`${file}: ${source} is outside the kustomization directory`);
      }
      if (Object.hasOwn(data, key!)) throw new Error(`${file}: key ${key} given twice`);
      data[key!] = readFileSync(path, 'utf8');
    }
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        ...(options.labels ? { labels: options.labels } : {}),
        ...(options.annotations ? { annotations: options.annotations } : {}),
      },
      data,
    });
  }
  const namespace = kustomization.namespace as string | undefined;
  const rendered = namespace
    ? objects.map((object) => ({ ...object, metadata: { ...object.metadata, namespace } }))
    : objects;
  const seen = new Set<string>();
  for (const object of rendered) {
    const id = `${object.kind}/${object.metadata.name}`;
    if (seen.has(id)) throw new Error(`${file}: ${id} twice`);
    seen.add(id);
  }
  return rendered;
}
