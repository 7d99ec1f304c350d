/**
 * Deploy manifests: parses every YAML document under k8s/, docker/compose.yml and docker/Dockerfile and
 * checks the essentials — every app present with probes, resources and a safe shutdown window; the
 * autoscalers, disruption budgets and migration Job; the compose suite; and that every environment
 * variable the manifests name is one the apps' config classes know.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { CoordinatorConfig } from '../../apps/agent-coordinator/src/config';
import { GatewayConfig } from '../../apps/gateway/src/config';
import { JobRunnerConfig } from '../../apps/job-runner/src/config';
import { IngestorConfig } from '../../apps/knowledge-ingestor/src/config';

// ---------------------------------------------------------------------------------------------------
// Shapes (only the fields checked here)

interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef };
}
interface EnvFrom {
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}
interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
type Quantities = Partial<Record<'cpu' | 'memory', string | number>>;
interface Container {
  name: string;
  image?: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  envFrom?: EnvFrom[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Quantities; limits?: Quantities };
  securityContext?: { runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean };
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds: number } } };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean };
  terminationGracePeriodSeconds?: number;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } & Record<string, string>;
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
    endpoints?: { port?: string; path?: string }[];
    ports?: { name?: string; port: number; targetPort?: number | string }[];
    scaleTargetRef?: { apiVersion: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    minAvailable?: number | string;
    maxUnavailable?: number | string;
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface Kustomization {
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
}
interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, string> | string[] };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: (string | number | { published?: string | number; target?: number })[];
}

// ---------------------------------------------------------------------------------------------------
// The repository and what the apps' config classes know

function findRoot(): string {
  let dir = process.cwd();
  while (!existsSync(join(dir, 'nest-cli.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no nest-cli.json above ${process.cwd()}`);
    dir = up;
  }
  return dir;
}
const ROOT = findRoot();
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

function walk(dir: string, keep: (path: string) => boolean): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(join(ROOT, path)).isDirectory() ? walk(path, keep) : keep(path) ? [path] : [];
  });
}

const APPS = {
  gateway: { config: GatewayConfig, portVar: 'PORT' },
  'job-runner': { config: JobRunnerConfig, portVar: 'JOB_RUNNER_PORT' },
  'agent-coordinator': { config: CoordinatorConfig, portVar: 'COORDINATOR_PORT' },
  'knowledge-ingestor': { config: IngestorConfig, portVar: 'INGESTOR_PORT' },
} as const;
type App = keyof typeof APPS;
const APP_NAMES = Object.keys(APPS) as App[];
/** Apps that own a schema, so take part in the migration. */
const MIGRATING_APPS: App[] = ['job-runner', 'agent-coordinator', 'knowledge-ingestor'];
/** Not config-class settings, but read by the platform (Node, and the listen address in bootstrap.ts). */
const ALWAYS_KNOWN = ['NODE_ENV', 'HOST'];

const defaults = (app: App) => new APPS[app].config() as unknown as Record<string, unknown>;

/** UPPER_SNAKE class property declarations (`  @IsInt() @Min(1)\n  PORT = 8000;`, `  LLM_API_KEY?: string;`). */
const DECLARATION = /^[ \t]+(?:@[\w.]+(?:\([^\n]*?\))?[ \t]+)*(?:readonly[ \t]+)?([A-Z][A-Z0-9_]*)[?!]?[ \t]*[=:;]/gm;
function declaredIn(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) for (const m of read(file).matchAll(DECLARATION)) names.add(m[1]);
  return names;
}

const isSource = (path: string) => path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.endsWith('.d.ts');
const isConfigSource = (path: string) => isSource(path) && /config[^/]*\.ts$/i.test(path);
const COMMON_CONFIG = 'libs/runtime/src/common-config.ts';
const commonNames = declaredIn([COMMON_CONFIG]);
/** Config declared in libs (auth, …): any app may compose it in. */
const libNames = declaredIn([
  ...walk('libs', (p) => isConfigSource(p) && p.includes('/src/')),
  ...walk('libs/auth/src', (p) => isSource(p) && !p.slice('libs/auth/src/'.length).includes('/')),
]);

/**
 * What one app's config knows: its class's own keys (every property with a default, inherited ones
 * included), the names declared in the app's config sources (optional ones without a default are no
 * own keys), and lib-declared names — except common-config's, which count only when the app's class
 * inherits them (so DATABASE_URL is not "known" to the gateway).
 */
function knownTo(app: App): Set<string> {
  const own = new Set(Object.keys(defaults(app)));
  const fromLibs = [...libNames].filter((n) => !commonNames.has(n) || own.has(n));
  const fromApp = declaredIn(walk(`apps/${app}/src`, isConfigSource));
  return new Set([...own, ...fromApp, ...fromLibs, ...ALWAYS_KNOWN]);
}
const KNOWN = Object.fromEntries(APP_NAMES.map((app) => [app, knownTo(app)])) as Record<App, Set<string>>;
const KNOWN_TO_ANY = new Set([...APP_NAMES.flatMap((app) => [...KNOWN[app]]), ...commonNames, ...libNames]);
const unknownTo = (known: Set<string>, names: Iterable<string>) => [...names].filter((n) => !known.has(n));

// ---------------------------------------------------------------------------------------------------
// k8s/

const yamlFiles = (dir: string) => walk(dir, (p) => /\.ya?ml$/.test(p)).sort();
const K8S_FILES = yamlFiles('k8s');
const isKustomization = (path: string) => /(^|\/)kustomization\.ya?ml$/.test(path);

function documents(path: string): unknown[] {
  return parseAllDocuments(read(path), { merge: true }).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    return value == null ? [] : [value];
  });
}

const MANIFESTS: (Manifest & { file: string })[] = K8S_FILES.filter((f) => !isKustomization(f)).flatMap((file) =>
  documents(file).map((doc) => ({ ...(doc as Manifest), file })),
);
const ofKind = (kind: string) => MANIFESTS.filter((m) => m.kind === kind);
const find = (kind: string, name: string) => MANIFESTS.find((m) => m.kind === kind && m.metadata?.name === name);
const podSpecs = () =>
  [...ofKind('Deployment'), ...ofKind('StatefulSet'), ...ofKind('DaemonSet'), ...ofKind('Job')].map((m) => ({ m, pod: m.spec!.template!.spec }));
const allContainers = (pod: PodSpec) => [...(pod.initContainers ?? []), ...pod.containers];

/** `ghcr.io/example/agent-platform-job-runner:1.2` → `job-runner`. */
function appOfImage(image: string | undefined): App | undefined {
  const m = /agent-platform-([a-z-]+?)(?::[^/]*)?(?:@.*)?$/.exec(image ?? '');
  return m && (APP_NAMES as string[]).includes(m[1]) ? (m[1] as App) : undefined;
}
const imageName = (image: string) => image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');

function cpuMillis(q: string | number): number {
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) : Number(s) * 1000;
}
function memoryBytes(q: string | number): number {
  const m = /^([0-9.]+)([KMGTE]i?)?$/.exec(String(q));
  if (!m) return NaN;
  const binary = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Ei: 2 ** 60 } as Record<string, number>;
  const decimal = { K: 1e3, M: 1e6, G: 1e9, T: 1e12, E: 1e18 } as Record<string, number>;
  return Number(m[1]) * (m[2] ? (binary[m[2]] ?? decimal[m[2]]) : 1);
}

/** The value a container sees for `name`: its own env, else a ConfigMap it loads with envFrom. */
function envValue(c: Container, name: string): string | undefined {
  const own = c.env?.find((e) => e.name === name);
  if (own) return own.value;
  for (const from of c.envFrom ?? []) {
    const cm = from.configMapRef && find('ConfigMap', from.configMapRef.name);
    if (cm?.data?.[name] !== undefined) return cm.data[name];
  }
  return undefined;
}

function containerPort(c: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('k8s manifests', () => {
  it('parse, and every manifest file is listed in its kustomization', () => {
    expect(K8S_FILES.length).toBeGreaterThan(0);
    const kustomizations = K8S_FILES.filter(isKustomization);
    expect(kustomizations.length).toBeGreaterThan(0);
    for (const k of kustomizations) {
      const listed = ((parse(read(k)) as Kustomization).resources ?? []).map((r) => join(dirname(k), r));
      for (const r of listed) expect({ resource: r, exists: existsSync(join(ROOT, r)) }).toEqual({ resource: r, exists: true });
      const siblings = K8S_FILES.filter((f) => dirname(f) === dirname(k) && !isKustomization(f));
      expect(siblings.filter((f) => !listed.includes(f))).toEqual([]);
    }
    for (const m of MANIFESTS) expect([m.file, typeof m.apiVersion, typeof m.kind, typeof m.metadata?.name]).toEqual([m.file, 'string', 'string', 'string']);
  });

  it('has a Namespace, a ConfigMap and a Secret', () => {
    expect(ofKind('Namespace').length).toBeGreaterThan(0);
    expect(ofKind('ConfigMap').length).toBeGreaterThan(0);
    expect(ofKind('Secret').length).toBeGreaterThan(0);
  });

  it('every app of nest-cli.json is one of the four, and each has a Deployment and a Service that selects it', () => {
    const nest = JSON.parse(read('nest-cli.json')) as { projects: Record<string, { type: string }> };
    const apps = Object.entries(nest.projects)
      .filter(([, p]) => p.type === 'application')
      .map(([name]) => name);
    expect(apps.sort()).toEqual([...APP_NAMES].sort());
    for (const app of APP_NAMES) {
      const deployment = find('Deployment', app);
      expect({ app, deployment: !!deployment }).toEqual({ app, deployment: true });
      const podLabels = deployment!.spec!.template!.metadata?.labels;
      expect(matches(deployment!.spec!.selector?.matchLabels, podLabels)).toBe(true);
      const service = find('Service', app);
      expect({ app, service: !!service }).toEqual({ app, service: true });
      expect({ app, selects: matches(service!.spec!.selector, podLabels) }).toEqual({ app, selects: true });
      const container = deployment!.spec!.template!.spec.containers[0];
      for (const p of service!.spec!.ports ?? []) {
        expect({ app, targetPort: containerPort(container, p.targetPort ?? p.port) }).toEqual({ app, targetPort: expect.any(Number) });
      }
      expect(appOfImage(container.image)).toBe(app);
    }
  });

  it('every Deployment container has readiness and liveness probes on its app port', () => {
    for (const d of ofKind('Deployment')) {
      for (const c of d.spec!.template!.spec.containers) {
        const where = `${d.metadata.name}/${c.name}`;
        const app = appOfImage(c.image);
        // Backends: ready = own dependencies. Gateway: ready = NATS (/health); /health/ready spans all services.
        const expected = app === 'gateway' ? ['/health', '/health/live'] : ['/health/ready', '/health'];
        expect([where, c.readinessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.path]).toEqual([where, ...expected]);
        if (!app) continue;
        const port = Number(envValue(c, APPS[app].portVar) ?? defaults(app)[APPS[app].portVar]);
        expect([where, containerPort(c, c.readinessProbe!.httpGet!.port), containerPort(c, c.livenessProbe!.httpGet!.port)]).toEqual([where, port, port]);
        // The gateway also listens on its admin port (metrics), never the public one.
        const admin = app === 'gateway' ? [Number(envValue(c, 'ADMIN_PORT') ?? defaults(app).ADMIN_PORT)] : [];
        expect([where, c.ports?.map((p) => p.containerPort)]).toEqual([where, [port, ...admin]]);
      }
    }
  });

  it('every app pod is annotated for Prometheus: /metrics on the probe port, or the gateway admin port (never its public port)', () => {
    for (const app of APP_NAMES) {
      const template = find('Deployment', app)!.spec!.template!;
      const c = template.spec.containers[0];
      const metricsVar = app === 'gateway' ? 'ADMIN_PORT' : APPS[app].portVar;
      const port = Number(envValue(c, metricsVar) ?? defaults(app)[metricsVar]);
      expect({ app, annotations: template.metadata?.annotations }).toEqual({
        app,
        annotations: expect.objectContaining({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' }),
      });
      expect(c.ports?.some((p) => p.containerPort === port)).toBe(true);
      if (app === 'gateway') expect(port).not.toBe(Number(envValue(c, 'PORT') ?? defaults(app).PORT));
    }
  });

  it('the optional ServiceMonitor component scrapes a named metrics port of every app Service, never the public gateway port', () => {
    const monitors = ofKind('ServiceMonitor');
    expect(monitors.length).toBeGreaterThan(0);
    // Kept out of the base (it needs the Prometheus Operator's CRDs): a kustomize Component.
    for (const m of monitors) {
      expect(m.file).toMatch(/^k8s\/components\//);
      expect((parse(read(join(dirname(m.file), 'kustomization.yaml'))) as { kind?: string }).kind).toBe('Component');
    }
    const selects = (m: Manifest, labels: Record<string, string> | undefined) =>
      Object.entries(m.spec?.selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) &&
      (m.spec?.selector?.matchExpressions ?? []).every((e) => e.operator === 'In' && (e.values ?? []).includes(labels?.[e.key] ?? ''));
    for (const app of APP_NAMES) {
      const service = find('Service', app)!;
      const scraping = monitors.filter((m) => selects(m, service.metadata.labels));
      expect({ app, monitors: scraping.length }).toEqual({ app, monitors: 1 });
      const container = find('Deployment', app)!.spec!.template!.spec.containers[0];
      for (const e of scraping[0].spec!.endpoints ?? []) {
        expect(e.path).toBe('/metrics');
        const servicePort = service.spec!.ports?.find((p) => p.name === e.port);
        expect({ app, port: e.port, onService: !!servicePort }).toEqual({ app, port: e.port, onService: true });
        const target = containerPort(container, servicePort!.targetPort ?? servicePort!.port);
        const expected =
          app === 'gateway' ? Number(envValue(container, 'ADMIN_PORT') ?? defaults(app).ADMIN_PORT) : Number(envValue(container, APPS[app].portVar));
        expect({ app, target }).toEqual({ app, target: expected });
      }
    }
  });

  it('every container has cpu and memory requests and limits, requests within limits', () => {
    for (const { m, pod } of podSpecs()) {
      for (const c of allContainers(pod)) {
        const where = `${m.kind}/${m.metadata.name}/${c.name}`;
        const { requests = {}, limits = {} } = c.resources ?? {};
        expect([where, requests.cpu, requests.memory, limits.cpu, limits.memory].map((v) => (v === undefined ? 'missing' : 'set'))).toEqual([
          'set',
          'set',
          'set',
          'set',
          'set',
        ]);
        expect([where, cpuMillis(requests.cpu!) <= cpuMillis(limits.cpu!)]).toEqual([where, true]);
        expect([where, memoryBytes(requests.memory!) <= memoryBytes(limits.memory!)]).toEqual([where, true]);
      }
    }
  });

  it('pods run as non-root without privilege escalation, on a read-only root filesystem', () => {
    for (const { m, pod } of podSpecs()) {
      for (const c of allContainers(pod)) {
        const where = `${m.kind}/${m.metadata.name}/${c.name}`;
        const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
        expect([where, nonRoot, c.securityContext?.allowPrivilegeEscalation, c.securityContext?.readOnlyRootFilesystem]).toEqual([where, true, false, true]);
      }
    }
  });

  it('give pods longer to stop than the preStop pause plus SHUTDOWN_GRACE_MS', () => {
    for (const d of ofKind('Deployment')) {
      const pod = d.spec!.template!.spec;
      for (const c of pod.containers) {
        const app = appOfImage(c.image);
        const grace = Number(envValue(c, 'SHUTDOWN_GRACE_MS') ?? (app ? defaults(app).SHUTDOWN_GRACE_MS : 30_000));
        const stop = c.lifecycle?.preStop;
        const sleepCmd = stop?.exec?.command;
        const pauseMs = 1000 * (stop?.sleep?.seconds ?? (sleepCmd?.[0] === 'sleep' ? Number(sleepCmd[1]) : 0));
        const budgetMs = 1000 * (pod.terminationGracePeriodSeconds ?? 30);
        expect([`${d.metadata.name}/${c.name}`, budgetMs > pauseMs + grace]).toEqual([`${d.metadata.name}/${c.name}`, true]);
      }
    }
  });

  it('has HorizontalPodAutoscalers for gateway and job-runner', () => {
    for (const app of ['gateway', 'job-runner']) {
      const hpa = ofKind('HorizontalPodAutoscaler').find((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === app);
      expect({ app, hpa: !!hpa }).toEqual({ app, hpa: true });
      expect(hpa!.apiVersion).toBe('autoscaling/v2');
      expect(hpa!.spec!.minReplicas).toBeGreaterThanOrEqual(1);
      expect(hpa!.spec!.maxReplicas).toBeGreaterThanOrEqual(hpa!.spec!.minReplicas!);
    }
  });

  it('has a PodDisruptionBudget per app', () => {
    for (const app of APP_NAMES) {
      const podLabels = find('Deployment', app)!.spec!.template!.metadata?.labels;
      const pdb = ofKind('PodDisruptionBudget').find((p) => matches(p.spec?.selector?.matchLabels, podLabels));
      expect({ app, pdb: !!pdb }).toEqual({ app, pdb: true });
      expect(pdb!.spec!.minAvailable ?? pdb!.spec!.maxUnavailable).toBeDefined();
    }
  });

  it('has a migration Job running `migrate` for every app that owns a schema', () => {
    const migrated = ofKind('Job').flatMap((job) =>
      allContainers(job.spec!.template!.spec)
        .filter((c) => [...(c.command ?? []), ...(c.args ?? [])].includes('migrate'))
        .map((c) => appOfImage(c.image)),
    );
    expect([...new Set(migrated)].sort()).toEqual([...MIGRATING_APPS].sort());
  });

  it('overrides every app image through the kustomization `images:`', () => {
    const overridable = new Set(K8S_FILES.filter(isKustomization).flatMap((k) => ((parse(read(k)) as Kustomization).images ?? []).map((i) => i.name)));
    const images = podSpecs().flatMap(({ pod }) => allContainers(pod).map((c) => imageName(c.image ?? '')));
    expect(images.filter((i) => !overridable.has(i))).toEqual([]);
  });

  it('names only environment variables the config classes know', () => {
    for (const cm of ofKind('ConfigMap')) expect([cm.metadata.name, unknownTo(KNOWN_TO_ANY, Object.keys(cm.data ?? {}))]).toEqual([cm.metadata.name, []]);
    for (const s of ofKind('Secret')) {
      const keys = [...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})];
      expect([s.metadata.name, unknownTo(KNOWN_TO_ANY, keys)]).toEqual([s.metadata.name, []]);
    }
    for (const { m, pod } of podSpecs()) {
      for (const c of allContainers(pod)) {
        const where = `${m.kind}/${m.metadata.name}/${c.name}`;
        const app = appOfImage(c.image);
        const names = (c.env ?? []).map((e) => e.name);
        expect([where, unknownTo(app ? KNOWN[app] : KNOWN_TO_ANY, names)]).toEqual([where, []]);
        // Every reference resolves: envFrom sources, and keys taken from a ConfigMap or Secret.
        for (const from of c.envFrom ?? []) {
          const ref = from.configMapRef ? find('ConfigMap', from.configMapRef.name) : from.secretRef ? find('Secret', from.secretRef.name) : undefined;
          expect([where, !!ref || !!(from.configMapRef?.optional ?? from.secretRef?.optional)]).toEqual([where, true]);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
          if (!ref || ref.optional) continue;
          const source = find(e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
          const keys = [...Object.keys(source?.data ?? {}), ...Object.keys(source?.stringData ?? {})];
          expect([where, e.name, keys.includes(ref.key)]).toEqual([where, e.name, true]);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// docker/

const COMPOSE = parse(read('docker/compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const SERVICES = COMPOSE.services ?? {};

function buildArgs(s: ComposeService): Record<string, string> {
  const args = typeof s.build === 'object' ? s.build.args : undefined;
  if (Array.isArray(args)) return Object.fromEntries(args.map((a) => [a.split('=')[0], a.slice(a.indexOf('=') + 1)]));
  return args ?? {};
}
function environment(s: ComposeService): Record<string, string> {
  const env = s.environment;
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split('=')[0], e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']));
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v ?? '')]));
}
const dependsOn = (s: ComposeService): Record<string, string | undefined> =>
  Array.isArray(s.depends_on)
    ? Object.fromEntries(s.depends_on.map((d) => [d, undefined]))
    : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v?.condition]));
const commandOf = (s: ComposeService) => (Array.isArray(s.command) ? s.command : (s.command ?? '').split(/\s+/));
const appOfService = (s: ComposeService) => {
  const arg = buildArgs(s).APP;
  return arg && (APP_NAMES as string[]).includes(arg) ? (arg as App) : appOfImage(s.image);
};

describe('docker/compose.yml', () => {
  it('has postgres, nats with JetStream, redis, a migrate service and the four apps', () => {
    expect(SERVICES.postgres?.image).toMatch(/^postgres:15/);
    expect(SERVICES.nats?.image).toMatch(/^nats:2\.10/);
    expect(commandOf(SERVICES.nats)).toContain('-js');
    expect(SERVICES.redis?.image).toMatch(/^redis:7/);
    expect(SERVICES.migrate).toBeDefined();
    expect(buildArgs(SERVICES.migrate).APP).toBe('migrate');
    for (const app of APP_NAMES) expect({ app, present: !!SERVICES[app] && appOfService(SERVICES[app]) === app }).toEqual({ app, present: true });
  });

  it('starts the apps after healthy infrastructure and a completed migration, with health checks', () => {
    for (const name of ['postgres', 'nats', 'redis']) expect([name, SERVICES[name].healthcheck?.test]).toEqual([name, expect.anything()]);
    expect(dependsOn(SERVICES.migrate).postgres).toBe('service_healthy');
    for (const app of APP_NAMES) {
      const s = SERVICES[app];
      const deps = dependsOn(s);
      expect({ app, nats: deps.nats, migrate: deps.migrate }).toEqual({ app, nats: 'service_healthy', migrate: 'service_completed_successfully' });
      if (app !== 'gateway') expect({ app, postgres: deps.postgres }).toEqual({ app, postgres: 'service_healthy' });
      const port = Number(environment(s)[APPS[app].portVar] ?? defaults(app)[APPS[app].portVar]);
      const test = ([] as string[]).concat(s.healthcheck?.test ?? []).join(' ');
      expect({ app, test }).toEqual({ app, test: expect.stringContaining(`:${port}/health`) });
    }
  });

  it('publishes the gateway on 8000', () => {
    const ports = (SERVICES.gateway.ports ?? []).map((p) => (typeof p === 'object' ? `${p.published}:${p.target}` : String(p)));
    expect(ports.some((p) => /(^|:)8000:8000$/.test(p))).toBe(true);
  });

  it('names only environment variables the config classes know', () => {
    for (const [name, s] of Object.entries(SERVICES)) {
      const app = appOfService(s);
      const known = app ? KNOWN[app] : name === 'migrate' ? new Set(MIGRATING_APPS.flatMap((a) => [...KNOWN[a]])) : undefined;
      if (!known) continue; // infrastructure images have their own variables
      expect([name, unknownTo(known, Object.keys(environment(s)))]).toEqual([name, []]);
    }
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = read('docker/Dockerfile');
  const stages = dockerfile.split(/^(?=FROM )/m);
  const stage = (name: string) => stages.find((s) => new RegExp(`^FROM \\S+ AS ${name}\\s*$`, 'im').test(s.split('\n')[0])) ?? '';

  it('builds any app by APP build argument, runs as non-root, in production mode', () => {
    expect(dockerfile).toMatch(/^ARG APP\b/m);
    expect(dockerfile).toMatch(/^FROM app-\$\{APP\}/m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    const runtime = stage('runtime');
    expect(runtime).toMatch(/^ENV NODE_ENV=production/m);
    const user = /^USER (\S+)/m.exec(runtime)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('builds and runs on Node 24 (the current LTS), the same base image in both stages', () => {
    expect(/^ARG NODE_IMAGE=(\S+)/m.exec(dockerfile)?.[1]).toBe('node:24-bookworm-slim');
    expect(/^FROM (\S+) AS build\b/m.exec(dockerfile)?.[1]).toBe('${NODE_IMAGE}');
    expect(/^FROM (\S+) AS runtime\b/m.exec(dockerfile)?.[1]).toBe('${NODE_IMAGE}');
  });

  it('has a stage per app with its port, a /health HEALTHCHECK and its entrypoint', () => {
    for (const app of APP_NAMES) {
      const s = stage(`app-${app}`);
      const port = String(defaults(app)[APPS[app].portVar]);
      expect({ app, expose: /^EXPOSE (\d+)/m.exec(s)?.[1] }).toEqual({ app, expose: port });
      expect({ app, healthcheck: /^HEALTHCHECK [\s\S]*\/health'/m.test(s), portVar: s.includes(`process.env.${APPS[app].portVar}||${port}`) }).toEqual({
        app,
        healthcheck: true,
        portVar: true,
      });
      const entry = `dist/apps/${app}/apps/${app}/src/main.js`;
      expect({ app, entrypoint: s.includes(`ENTRYPOINT ["node", "${entry}"]`) }).toEqual({ app, entrypoint: true });
    }
    expect(stage('app-migrate')).toMatch(/migrate/);
  });

  it('.dockerignore keeps host build output and state out of the context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.stack', '.git']) expect(ignored).toContain(entry);
  });
});
