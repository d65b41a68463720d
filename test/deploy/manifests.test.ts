import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { z } from 'zod';
import { describe, expect, inject, it } from 'vitest';
import { Config } from '../../config/index.js';
import { allSearchAttributes } from '../../workflows/search-attributes.js';

/**
 * deploy/ (issue 14, item 8): every manifest parses and passes a strict schema of the Kubernetes fields
 * it uses (a misspelt or misplaced key fails, as kubeconform's strict mode would; its schemas cannot be
 * fetched here), and agrees with the code: entry points that exist, settings the config knows, secrets
 * only from the Secret, probes on the routes the API serves, the setup Job's command run for real.
 */
const KUBE = 'deploy/kubernetes';
const documents = readdirSync(KUBE)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) => YAML.parseAllDocuments(readFileSync(path.join(KUBE, file), 'utf8')).map((doc) => ({ file, doc })));
const manifests = documents.map(({ file, doc }) => ({ file, value: doc.toJS() as { kind: string; metadata: { name: string } } & Record<string, any> }));

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63);
const labels = z.record(z.string(), z.string());
const metadata = z.strictObject({ name, labels: labels.optional() });
const quantity = z.union([z.string().regex(/^\d+(\.\d+)?(m|Mi|Gi|Ki)?$/), z.number()]);
const resources = z.strictObject({ requests: z.strictObject({ cpu: quantity, memory: quantity }).partial().optional(), limits: z.strictObject({ cpu: quantity, memory: quantity }).partial().optional() });
const port = z.union([z.number().int().min(1).max(65535), name]);
const probe = z.strictObject({
  httpGet: z.strictObject({ path: z.string().startsWith('/'), port }).optional(),
  tcpSocket: z.strictObject({ port }).optional(),
  periodSeconds: z.number().int().positive().optional(),
  failureThreshold: z.number().int().positive().optional(),
  initialDelaySeconds: z.number().int().min(0).optional(),
});
const envVar = z.strictObject({
  name: z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
  value: z.string().optional(),
  valueFrom: z.strictObject({ secretKeyRef: z.strictObject({ name, key: z.string(), optional: z.boolean().optional() }) }).optional(),
});
const container = z.strictObject({
  name,
  image: z.string().min(1),
  command: z.array(z.string()).min(1),
  ports: z.array(z.strictObject({ name: name.max(15), containerPort: z.number().int().min(1).max(65535) })).optional(),
  envFrom: z.array(z.strictObject({ configMapRef: z.strictObject({ name }) })).optional(),
  env: z.array(envVar).optional(),
  startupProbe: probe.optional(),
  livenessProbe: probe.optional(),
  readinessProbe: probe.optional(),
  resources,
  securityContext: z.strictObject({ allowPrivilegeEscalation: z.boolean(), readOnlyRootFilesystem: z.boolean() }),
  volumeMounts: z.array(z.strictObject({ name, mountPath: z.string().startsWith('/') })).optional(),
});
const podSpec = z.strictObject({
  terminationGracePeriodSeconds: z.number().int().positive().optional(),
  restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).optional(),
  securityContext: z.strictObject({ runAsNonRoot: z.boolean(), runAsUser: z.number().int() }),
  containers: z.array(container).length(1),
  volumes: z.array(z.strictObject({ name, emptyDir: z.strictObject({}) })).optional(),
});
const template = z.strictObject({ metadata: z.strictObject({ labels }), spec: podSpec });
const selector = z.strictObject({ matchLabels: labels });
const schemas: Record<string, z.ZodType> = {
  'v1/ConfigMap': z.strictObject({ apiVersion: z.literal('v1'), kind: z.literal('ConfigMap'), metadata, data: z.record(z.string(), z.string()) }),
  'v1/Secret': z.strictObject({ apiVersion: z.literal('v1'), kind: z.literal('Secret'), metadata, type: z.literal('Opaque'), stringData: z.record(z.string(), z.string()) }),
  'v1/Service': z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Service'),
    metadata,
    spec: z.strictObject({ selector: labels, ports: z.array(z.strictObject({ name, port: z.number().int(), targetPort: port })) }),
  }),
  'apps/v1/Deployment': z.strictObject({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('Deployment'),
    metadata,
    spec: z.strictObject({
      replicas: z.number().int().min(1),
      selector,
      strategy: z.strictObject({ type: z.literal('RollingUpdate'), rollingUpdate: z.strictObject({ maxUnavailable: z.number().int(), maxSurge: z.number().int() }) }).optional(),
      template,
    }),
  }),
  'batch/v1/Job': z.strictObject({ apiVersion: z.literal('batch/v1'), kind: z.literal('Job'), metadata, spec: z.strictObject({ backoffLimit: z.number().int().min(0), template }) }),
  'policy/v1/PodDisruptionBudget': z.strictObject({ apiVersion: z.literal('policy/v1'), kind: z.literal('PodDisruptionBudget'), metadata, spec: z.strictObject({ minAvailable: z.number().int(), selector }) }),
};

const ofKind = (kind: string) => manifests.filter((m) => m.value.kind === kind).map((m) => m.value);
const deployments = ofKind('Deployment');
const containerOf = (workload: any) => workload.spec.template.spec.containers[0];
const workloads = [...deployments, ...ofKind('Job')];
/** Settings the product reads, plus Node's and OpenTelemetry's own. */
const known = new Set([...Object.keys(Config.shape), 'NODE_ENV', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME']);
const SECRETS = ['LEDGER_URL', 'AUTH_JWT_SECRET', 'WEBHOOK_SECRET', 'METRICS_TOKEN', 'TEMPORAL_API_KEY'];

describe('deploy/kubernetes manifests', () => {
  it('parse, and each passes the strict schema of its kind', () => {
    expect(documents.flatMap(({ file, doc }) => doc.errors.map((e) => `${file}: ${e.message}`))).toEqual([]);
    const failures = manifests.flatMap(({ file, value }) => {
      const schema = schemas[`${value.apiVersion}/${value.kind}`];
      if (!schema) return [`${file}: no schema for ${value.apiVersion}/${value.kind}`];
      const parsed = schema.safeParse(value);
      return parsed.success ? [] : parsed.error.issues.map((i) => `${file} ${value.kind}/${value.metadata?.name}: ${i.path.join('.')}: ${i.message}`);
    });
    expect(failures).toEqual([]);
    expect(manifests.map((m) => `${m.value.kind}/${m.value.metadata.name}`).sort()).toEqual([
      'ConfigMap/exception-desk',
      'Deployment/exception-desk-api',
      'Deployment/exception-desk-worker',
      'Job/exception-desk-temporal-setup',
      'PodDisruptionBudget/exception-desk-api',
      'PodDisruptionBudget/exception-desk-worker',
      'Secret/exception-desk',
      'Service/exception-desk-api',
    ]);
  });

  it('select their own pods, and the Service reaches the API port', () => {
    for (const d of deployments) expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    for (const pdb of ofKind('PodDisruptionBudget')) expect(deployments.some((d) => YAML.stringify(d.spec.selector) === YAML.stringify(pdb.spec.selector))).toBe(true);
    const [service] = ofKind('Service');
    const api = deployments.find((d) => d.metadata.name === 'exception-desk-api')!;
    expect(api.spec.template.metadata.labels).toMatchObject(service!.spec.selector);
    expect(containerOf(api).ports.map((p: any) => p.name)).toContain(service!.spec.ports[0].targetPort);
  });

  it('start entry points that exist with node itself (SIGTERM reaches them), as the image does', () => {
    for (const w of workloads) {
      const [node, flag, loader, entry] = containerOf(w).command;
      expect([node, flag, loader]).toEqual(['node', '--import', 'tsx']);
      expect(existsSync(entry), entry).toBe(true);
    }
    const dockerfile = readFileSync('deploy/Dockerfile', 'utf8');
    expect(dockerfile).toContain('CMD ["node", "--import", "tsx", "api/main.ts"]');
    // Every folder an entry point imports from is copied into the image.
    for (const folder of ['api', 'activities', 'config', 'domain', 'ledger', 'platform', 'scripts', 'server', 'templates', 'web', 'worker', 'workflows']) {
      expect(dockerfile).toContain(`COPY ${folder}/ ${folder}/`);
    }
  });

  it('set only settings exception-desk knows, and take every secret from the Secret', () => {
    const [configMap] = ofKind('ConfigMap');
    const [secret] = ofKind('Secret');
    const unknown = Object.keys(configMap!.data).filter((k) => !known.has(k));
    for (const w of workloads) unknown.push(...(containerOf(w).env ?? []).map((e: any) => e.name).filter((k: string) => !known.has(k)));
    expect(unknown).toEqual([]);
    expect(Object.keys(configMap!.data).filter((k) => SECRETS.includes(k))).toEqual([]);
    for (const w of workloads) {
      for (const e of containerOf(w).env ?? []) {
        if (SECRETS.includes(e.name)) expect(e.valueFrom?.secretKeyRef, `${w.metadata.name} ${e.name}`).toEqual({ name: secret!.metadata.name, key: e.name });
        if (e.valueFrom) expect(Object.keys(secret!.stringData)).toContain(e.valueFrom.secretKeyRef.key);
      }
    }
    // The settings each process gets parse as the product parses them.
    for (const d of deployments) {
      const env = { ...configMap!.data, ...Object.fromEntries(containerOf(d).env.map((e: any) => [e.name, e.value ?? secret!.stringData[e.valueFrom.secretKeyRef.key]])) };
      expect(() => Config.parse(env), d.metadata.name).not.toThrow();
    }
  });

  it('probe the API on /healthz (alive) and /readyz (ready) on its port, and give both a graceful stop', () => {
    const api = deployments.find((d) => d.metadata.name === 'exception-desk-api')!;
    const c = containerOf(api);
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.startupProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    const portEnv = c.env.find((e: any) => e.name === 'PORT').value;
    expect(c.ports.find((p: any) => p.name === c.readinessProbe.httpGet.port).containerPort).toBe(Number(portEnv));
    expect(c.env.find((e: any) => e.name === 'HOST').value).toBe('0.0.0.0');
    const worker = deployments.find((d) => d.metadata.name === 'exception-desk-worker')!;
    const metricsPort = containerOf(worker).env.find((e: any) => e.name === 'WORKER_METRICS_PORT').value;
    expect(containerOf(worker).ports.find((p: any) => p.name === containerOf(worker).livenessProbe.tcpSocket.port).containerPort).toBe(Number(metricsPort));
    for (const d of deployments) expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
  });

  it('register the search attributes through a Job whose command sets them up for real (run here against the suite Temporal)', async () => {
    const job = containerOf(ofKind('Job')[0]);
    const { stdout } = await promisify(execFile)(process.execPath, job.command.slice(1), {
      env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: 'default', TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', DATA_DIR: '/tmp' },
    });
    expect(stdout).toMatch(/^namespace default on 127\.0\.0\.1:\d+: present; search attributes (all present|added .+)\n$/);
    expect(allSearchAttributes.length).toBe(7);
  }, 60_000);
});

describe('deploy/temporal/values.yaml (the official Helm chart)', () => {
  const values = YAML.parse(readFileSync('deploy/temporal/values.yaml', 'utf8')) as any;
  it('puts persistence and visibility on PostgreSQL, with the schema jobs on and the shard count pinned', () => {
    for (const store of ['default', 'visibility']) {
      expect(values.server.config.persistence[store]).toMatchObject({ driver: 'sql', sql: { driver: 'postgres12', port: 5432 } });
    }
    expect(values.server.config.numHistoryShards).toBe(512);
    expect(values.schema).toMatchObject({ createDatabase: { enabled: true }, setup: { enabled: true }, update: { enabled: true } });
    expect(values.cassandra.enabled).toBe(false);
    expect(values.elasticsearch.enabled).toBe(false);
  });
});

describe('docs/scale-out.md', () => {
  const doc = readFileSync('docs/scale-out.md', 'utf8');
  it('names every file in deploy/ it describes, and gives the sizing table', () => {
    for (const file of ['deploy/kubernetes/exception-desk.yaml', 'deploy/kubernetes/temporal-setup-job.yaml', 'deploy/kubernetes/secrets.example.yaml', 'deploy/temporal/values.yaml', 'deploy/Dockerfile']) {
      expect(doc, file).toContain(file);
    }
    for (const open of ['10k', '100k', '1M']) expect(doc).toMatch(new RegExp(`\\| ${open} open`));
  });
});
