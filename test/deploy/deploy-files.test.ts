/**
 * Structural checks of everything in deploy/ and collector-config/ that no engine runs here
 * (no Docker or Kubernetes on this machine): Grafana dashboard JSON and provisioning YAML
 * (required fields, unique uids, datasource references that resolve), compose files and
 * Kubernetes manifests (they parse, every file they reference exists, names that must agree do),
 * the ClickHouse cluster layout against the cluster variant of the migrations, and the
 * collector configs the stacks mount, loaded by the collector's own config loader.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { renderMigrations } from '@promptline/clickhouse';
import { loadConfig } from '@promptline/collector';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  allPanels,
  ALERTS_FILE,
  DATASOURCE_FILE,
  loadAlerts,
  loadDashboards,
  REPO,
} from './support/dashboards.js';
import type { DsRef } from './support/dashboards.js';

type Yaml = Record<string, unknown>;
const read = (rel: string): string => readFileSync(join(REPO, rel), 'utf8');
const yamlOf = (rel: string): Yaml => parse(read(rel)) as Yaml;

const dashboards = loadDashboards();
const datasources = (parse(readFileSync(DATASOURCE_FILE, 'utf8')) as { datasources: Yaml[] }).datasources;
const dsUids = new Map(datasources.map((d) => [String(d.uid), String(d.type)]));

/** `KEY=value` lines of deploy/.env.example. */
const envExample: Record<string, string> = Object.fromEntries(
  read('deploy/.env.example')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

/** Compose-style interpolation: `${X}`, `${X:-default}`, `${X:?error}`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (op === '?')
        throw new Error(`required variable ${name} is not in deploy/.env.example (${arg ?? ''})`);
      return op === '-' ? (arg ?? '') : '';
    },
  );
}

function expectDsRef(ref: DsRef | undefined, where: string): void {
  expect(ref, `${where}: datasource`).toBeDefined();
  if (ref!.uid === '-- Grafana --') return;
  expect(dsUids.get(String(ref!.uid)), `${where}: datasource uid ${ref!.uid} is provisioned`).toBe(ref!.type);
}

describe('Grafana provisioning', () => {
  it('datasource: the official ClickHouse plugin, every setting from the environment', () => {
    expect(datasources).toHaveLength(1);
    const ds = datasources[0]!;
    expect(ds).toMatchObject({
      uid: 'promptline-clickhouse',
      type: 'grafana-clickhouse-datasource',
      access: 'proxy',
    });
    const json = ds.jsonData as Yaml;
    expect(json).toMatchObject({ protocol: 'native', port: 9000, secure: false });
    for (const k of ['host', 'username', 'defaultDatabase']) expect(json[k], k).toMatch(/^\$\{[A-Z_]+\}$/);
    expect((ds.secureJsonData as Yaml).password).toMatch(/^\$\{[A-Z_]+\}$/);
    // the compose Grafana service sets every variable the datasource reads
    const grafanaEnv = (yamlOf('deploy/docker-compose.yml').services as Record<string, Yaml>).grafana!
      .environment as Record<string, string>;
    const used = [...readFileSync(DATASOURCE_FILE, 'utf8').matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]!);
    for (const v of used) expect(grafanaEnv[v], `grafana service sets ${v}`).toBeDefined();
    // and the plugin baked into the Grafana image is the datasource's type
    expect(read('deploy/docker/grafana.Dockerfile')).toMatch(
      /plugins install grafana-clickhouse-datasource \d+\.\d+\.\d+/,
    );
  });

  it('dashboards: required fields, unique uids and panel ids, datasource refs resolve, layout fits', () => {
    expect(dashboards.length).toBe(3);
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
    for (const d of dashboards) {
      for (const k of ['uid', 'title', 'panels', 'templating', 'annotations', 'schemaVersion', 'time']) {
        expect(d[k], `${d.file}: ${k}`).toBeDefined();
      }
      expect(d.uid.length, `${d.uid}: Grafana uids are at most 40 characters`).toBeLessThanOrEqual(40);
      const panels = allPanels(d);
      expect(new Set(panels.map((p) => p.id)).size, `${d.uid}: unique panel ids`).toBe(panels.length);
      const cells = new Set<string>();
      for (const p of panels) {
        const where = `${d.uid} panel "${p.title}"`;
        expectDsRef(p.datasource, where);
        expect(p.targets?.length, where).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          expectDsRef(t.datasource, `${where} ${t.refId}`);
          expect(t.editorType, where).toBe('sql');
          expect(t.rawSql.trim().length, where).toBeGreaterThan(0);
          expect(t.format, `${where}: time series panels use the time-series format`).toBe(
            p.type === 'timeseries' ? 0 : 1,
          );
        }
        const g = p.gridPos!;
        expect(g.x + g.w, `${where} fits 24 columns`).toBeLessThanOrEqual(24);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            expect(cells.has(`${x},${y}`), `${where} overlaps another panel`).toBe(false);
            cells.add(`${x},${y}`);
          }
        }
      }
      const names = d.templating.list.map((v) => v.name);
      expect(new Set(names).size, `${d.uid}: unique variable names`).toBe(names.length);
      for (const v of d.templating.list) expectDsRef(v.datasource, `${d.uid} variable ${v.name}`);
      for (const a of d.annotations.list) expectDsRef(a.datasource, `${d.uid} annotation ${a.name}`);
      // every dashboard offers the five filters of the issue (the comparison splits version in two)
      for (const v of ['project', 'environment', 'prompt', 'label']) expect(names, d.uid).toContain(v);
      expect(
        names.some((n) => n.startsWith('version')),
        d.uid,
      ).toBe(true);
    }
  });

  it('dashboard provider points where compose and the image put the dashboards', () => {
    const provider = (
      yamlOf('deploy/grafana/provisioning/dashboards/promptline.yaml').providers as Yaml[]
    )[0]!;
    const path = (provider.options as Yaml).path as string;
    const grafana = (yamlOf('deploy/docker-compose.yml').services as Record<string, Yaml>).grafana!;
    expect(grafana.volumes).toContain(`./grafana/dashboards:${path}:ro`);
    expect(read('deploy/docker/grafana.Dockerfile')).toContain(`COPY grafana/dashboards ${path}`);
    const home = (grafana.environment as Record<string, string>).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(existsSync(join(REPO, 'deploy/grafana/dashboards', relative(path, home)))).toBe(true);
  });

  it('alert rules: required fields, unique uids, refs resolve, one threshold each', () => {
    const file = loadAlerts();
    expect(file.apiVersion).toBe(1);
    const rules = file.groups.flatMap((g) => {
      expect(g.orgId).toBe(1);
      expect(g.folder).toBeTruthy();
      expect(g.interval).toMatch(/^\d+[smh]$/);
      return g.rules;
    });
    expect(new Set(rules.map((r) => r.uid)).size).toBe(rules.length);
    const dashboardUids = new Set(dashboards.map((d) => d.uid));
    for (const r of rules) {
      expect(r.uid.length, r.uid).toBeLessThanOrEqual(40);
      expect(r.title, r.uid).toBeTruthy();
      expect(r.for, r.uid).toMatch(/^\d+[smh]$/);
      expect(
        r.data.map((d) => d.refId),
        r.uid,
      ).toContain(r.condition);
      for (const q of r.data) {
        if (q.datasourceUid === '__expr__') {
          expect(
            r.data.map((d) => d.refId),
            `${r.uid}: expression input`,
          ).toContain(q.model.expression);
          continue;
        }
        expect(dsUids.has(q.datasourceUid), `${r.uid}: datasource ${q.datasourceUid}`).toBe(true);
        expect(q.relativeTimeRange?.from, `${r.uid}: time range`).toBeGreaterThan(0);
        expect(q.model.rawSql, r.uid).toBeTruthy();
      }
      const c = r.data.find((d) => d.refId === r.condition)!;
      expect(c.model.type).toBe('threshold');
      expect(c.model.conditions?.[0]?.evaluator.params.length).toBeGreaterThan(0);
      expect(dashboardUids.has(String(r.annotations?.__dashboardUid__)), `${r.uid}: dashboard link`).toBe(
        true,
      );
      expect(r.annotations?.summary, r.uid).toBeTruthy();
    }
    expect(existsSync(ALERTS_FILE)).toBe(true);
  });
});

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
  healthcheck?: { test: string[] };
  ports?: string[];
  profiles?: string[];
  command?: string[];
  entrypoint?: string[];
  hostname?: string;
}

const composeFiles = ['deploy/docker-compose.yml', 'deploy/clickhouse/cluster/docker-compose.yml'];

function loadCompose(rel: string): { dir: string; services: Record<string, ComposeService>; volumes: Yaml } {
  // every ${VAR} must be satisfiable from .env.example
  interpolate(read(rel), envExample);
  const doc = yamlOf(rel);
  return {
    dir: dirname(join(REPO, rel)),
    services: doc.services as Record<string, ComposeService>,
    volumes: (doc.volumes as Yaml | undefined) ?? {},
  };
}

/** Host path of a bind mount (`./a:/b:ro`) or undefined for a named volume. */
function bindSource(dir: string, spec: string): { host?: string; volume?: string; target: string } {
  const [src = '', target = ''] = spec.split(':');
  return src.startsWith('.') || src.startsWith('/')
    ? { host: resolve(dir, src), target }
    : { volume: src, target };
}

/** Files a Dockerfile COPYs from its build context (not from other stages). */
function copySources(dockerfile: string): string[] {
  return [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
    m[1]!.trim().split(/\s+/).slice(0, -1),
  );
}

describe('compose files', () => {
  it.each(composeFiles)('%s: parses; builds, mounts, volumes and dependencies all resolve', (rel) => {
    const { dir, services, volumes } = loadCompose(rel);
    for (const [name, s] of Object.entries(services)) {
      expect(s.image ?? s.build, `${name}: image or build`).toBeDefined();
      if (s.build !== undefined) {
        const context = resolve(dir, s.build.context);
        const dockerfile = join(context, s.build.dockerfile);
        expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
        for (const src of copySources(readFileSync(dockerfile, 'utf8'))) {
          expect(existsSync(join(context, src)), `${name}: COPY ${src} from ${context}`).toBe(true);
        }
      }
      for (const v of s.volumes ?? []) {
        const m = bindSource(dir, v);
        if (m.host !== undefined) expect(existsSync(m.host), `${name}: mount ${v}`).toBe(true);
        else expect(Object.keys(volumes), `${name}: named volume ${m.volume}`).toContain(m.volume);
      }
      for (const dep of Object.keys(s.depends_on ?? {}))
        expect(Object.keys(services), `${name} → ${dep}`).toContain(dep);
      for (const p of s.ports ?? [])
        expect(p, `${name}: ports bind to loopback only`).toMatch(/^127\.0\.0\.1:/);
      const oneShot = name === 'migrate';
      const healthProbedOutside = s.profiles !== undefined; // the contrib image has no shell or wget
      if (!oneShot && !healthProbedOutside) expect(s.healthcheck, `${name}: healthcheck`).toBeDefined();
    }
  });

  it('the collector image builds with exactly the pnpm the repository pins (package.json packageManager)', () => {
    const pinned = (JSON.parse(read('package.json')) as { packageManager?: string }).packageManager;
    expect(pinned).toMatch(/^pnpm@\d+\.\d+\.\d+$/);
    const installs = [...read('deploy/docker/collector.Dockerfile').matchAll(/npm install -g (\S+)/g)].map(
      (m) => m[1],
    );
    expect(installs).toEqual([pinned]);
  });

  it('the collector config each stack mounts loads in the collector with the mounted files', () => {
    for (const rel of composeFiles) {
      const { dir, services } = loadCompose(rel);
      const c = services.collector!;
      const mounts = (c.volumes ?? []).map((v) => bindSource(dir, v));
      const hostOf = (target: string): string => {
        const m = mounts.find((x) => x.target === target && x.host !== undefined);
        if (m === undefined) throw new Error(`${rel}: nothing mounted at ${target}`);
        return m.host!;
      };
      const configArg = c.command![c.command!.indexOf('--config') + 1]!;
      const env = Object.fromEntries(
        Object.entries(c.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), envExample)]),
      );
      const config = loadConfig(hostOf(configArg), {
        ...env,
        PROMPTLINE_KEYS_FILE: hostOf(env.PROMPTLINE_KEYS_FILE!),
      });
      expect(config.receiver).toMatchObject({ host: '0.0.0.0', port: 4318 });
      expect(config.exporter.endpoint).toBe(env.PROMPTLINE_CLICKHOUSE_URL);
      expect(config.exporter.username).toBe('promptline');
      expect(config.exporter.password).toBe(envExample.PROMPTLINE_CLICKHOUSE_PASSWORD);
      expect(config.exporter.migrate, rel).toBe(env.PROMPTLINE_MIGRATE === 'true');
      expect(config.exporter.wal.dir).toBe('/var/lib/promptline/wal');
      expect(config.auth.allowAnonymousIngest).toBe(false);
      expect(config.auth.keys).toEqual([
        expect.objectContaining({
          project: 'default',
          sha256: createHash('sha256').update('pl_dev_local_only_change_me').digest('hex'),
        }),
      ]);
      expect(config.readApi.enabled).toBe(false);
      // the collector's port is the one published
      expect(c.ports).toContain(`127.0.0.1:${config.receiver.port}:${config.receiver.port}`);
      // the healthcheck probes the collector's health route on that port
      expect(c.healthcheck?.test.join(' ') ?? `${config.receiver.port}/healthz`).toContain(
        `${config.receiver.port}/healthz`,
      );
    }
  });

  it('the optional upstream collector runs the validated config on the manifest version', () => {
    const { dir, services } = loadCompose('deploy/docker-compose.yml');
    const otelcol = services.otelcol!;
    expect(otelcol.profiles).toEqual(['upstream']);
    const manifest = yamlOf('deploy/otelcol/builder-manifest.yaml') as { dist: { version: string } };
    expect(otelcol.image).toBe(`otel/opentelemetry-collector-contrib:${manifest.dist.version}`);
    const mount = (otelcol.volumes ?? [])
      .map((v) => bindSource(dir, v))
      .find((m) => m.target === '/etc/otelcol/config.yaml');
    expect(mount?.host).toBe(join(REPO, 'collector-config/upstream-clickhouse.yaml'));
    const queueDir = (yamlOf('collector-config/upstream-clickhouse.yaml').extensions as Record<string, Yaml>)[
      'file_storage/queue'
    ]!.directory as string;
    expect(queueDir).toContain('OTELCOL_QUEUE_DIR');
    const queueVolume = (otelcol.volumes ?? [])
      .map((v) => bindSource(dir, v))
      .find((m) => m.volume !== undefined);
    expect(otelcol.environment?.OTELCOL_QUEUE_DIR?.startsWith(queueVolume!.target)).toBe(true);
  });
});

describe('ClickHouse cluster', () => {
  const xml = (rel: string): string => read(rel);
  const server = xml('deploy/clickhouse/cluster/server.xml');
  const keeper = xml('deploy/clickhouse/cluster/keeper.xml');
  const { services } = loadCompose('deploy/clickhouse/cluster/docker-compose.yml');

  it('2 shards x 2 replicas whose hosts, shard and replica macros match the compose services', () => {
    const cluster = /<remote_servers[^>]*>\s*<(\w+)>([\s\S]*?)<\/\1>\s*<\/remote_servers>/.exec(server);
    expect(cluster?.[1]).toBe('promptline');
    const shards = [...cluster![2]!.matchAll(/<shard>([\s\S]*?)<\/shard>/g)].map((m) =>
      [...m[1]!.matchAll(/<host>([^<]+)<\/host>/g)].map((h) => h[1]!),
    );
    expect(shards).toEqual([
      ['ch-s1r1', 'ch-s1r2'],
      ['ch-s2r1', 'ch-s2r2'],
    ]);
    expect(server).toMatch(/<shard from_env="SHARD"\/>/);
    expect(server).toMatch(/<replica from_env="REPLICA"\/>/);
    shards.forEach((hosts, i) => {
      for (const h of hosts) {
        const s = services[h];
        expect(s, h).toBeDefined();
        expect(s!.hostname).toBe(h);
        expect(s!.environment).toMatchObject({ SHARD: `0${i + 1}`, REPLICA: h });
      }
    });
    expect(cluster![2]).toMatch(/<internal_replication>true<\/internal_replication>/);
  });

  it('three keepers: raft members and the servers zookeeper list are the keeper services', () => {
    const raft = [...keeper.matchAll(/<server><id>(\d+)<\/id><hostname>([^<]+)<\/hostname>/g)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(raft).toEqual([
      ['1', 'keeper-1'],
      ['2', 'keeper-2'],
      ['3', 'keeper-3'],
    ]);
    for (const [id, host] of raft) expect(services[host!]?.environment?.KEEPER_ID).toBe(id);
    const zk = [...server.matchAll(/<node><host>([^<]+)<\/host><port>(\d+)<\/port><\/node>/g)].map(
      (m) => m[1],
    );
    expect(zk).toEqual(raft.map((r) => r[1]));
    expect(keeper).toMatch(/<tcp_port>9181<\/tcp_port>/);
  });

  it('the migrate job applies the cluster variant of the migrations on this cluster', () => {
    const job = services.migrate!;
    expect(job.entrypoint).toEqual(['promptline']);
    const args = job.command!;
    expect(args[0]).toBe('migrate');
    expect(args[args.indexOf('--cluster') + 1]).toBe('promptline');
    expect(args[args.indexOf('--clickhouse') + 1]).toMatch(/^http:\/\/ch-s1r1:8123$/);
    const statements = renderMigrations({ cluster: 'promptline' }).flatMap((m) => m.statements);
    expect(statements.length).toBeGreaterThan(10);
    const creates = statements.filter((s) => /^\s*CREATE/i.test(s));
    for (const s of creates) expect(s, s.slice(0, 80)).toMatch(/ON CLUSTER `?promptline`?/);
    const replicated = statements.filter((s) => /Replicated\w*MergeTree\(/.test(s));
    expect(replicated.length).toBeGreaterThan(0);
    // every macro the replicated table paths use is defined by the servers (or built in)
    const macros = new Set([
      'database',
      'table',
      'uuid',
      ...[...server.matchAll(/<(\w+) from_env="[A-Z_]+"\/>/g)].map((m) => m[1]!),
      'cluster',
    ]);
    for (const s of replicated) {
      for (const m of s.matchAll(/\{(\w+)\}/g))
        expect(macros.has(m[1]!), `macro {${m[1]}} in ${s.slice(0, 60)}`).toBe(true);
    }
    expect(statements.some((s) => /ENGINE = Distributed\('promptline', /.test(s))).toBe(true);
    // the collector in the cluster stack must not migrate on its own
    expect(services.collector!.environment?.PROMPTLINE_MIGRATE).toBe('false');
  });
});

describe('Kubernetes manifests', () => {
  const dir = join(REPO, 'deploy/kubernetes');
  const kustomization = yamlOf('deploy/kubernetes/kustomization.yaml') as { resources: string[] };
  const docs = kustomization.resources.flatMap((f) => {
    expect(existsSync(join(dir, f)), f).toBe(true);
    return parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => {
      expect(d.errors, f).toEqual([]);
      return d.toJS() as Yaml & { kind: string; metadata: { name: string } };
    });
  });
  const byKind = (kind: string): Array<Yaml & { metadata: { name: string } }> =>
    docs.filter((d) => d.kind === kind);

  it('every manifest file is listed and every document is well formed', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const d of docs) {
      expect(d.apiVersion, d.kind).toBeTruthy();
      expect(d.metadata.name, d.kind).toMatch(/^[a-z0-9-]+$/);
    }
    expect(docs.map((d) => d.kind).sort()).toEqual(
      ['ConfigMap', 'Job', 'PodDisruptionBudget', 'Service', 'Service', 'StatefulSet'].sort(),
    );
  });

  it('selectors, ports, probes, volumes and the config all line up', () => {
    const sts = byKind('StatefulSet')[0] as unknown as {
      spec: {
        serviceName: string;
        selector: { matchLabels: Record<string, string> };
        template: {
          metadata: { labels: Record<string, string> };
          spec: {
            containers: Array<{
              args: string[];
              ports: Array<{ name: string; containerPort: number }>;
              readinessProbe: { httpGet: { path: string; port: string } };
              livenessProbe: { httpGet: { path: string; port: string } };
              volumeMounts: Array<{ name: string; mountPath: string; subPath?: string }>;
              env: Array<{ name: string; value?: string }>;
            }>;
            volumes: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string } }>;
          };
        };
        volumeClaimTemplates: Array<{ metadata: { name: string } }>;
      };
    };
    const pod = sts.spec.template;
    expect(pod.metadata.labels).toMatchObject(sts.spec.selector.matchLabels);
    const services = byKind('Service') as unknown as Array<{
      metadata: { name: string };
      spec: { selector: Record<string, string>; ports: Array<{ targetPort: string }> };
    }>;
    expect(services.map((s) => s.metadata.name)).toContain(sts.spec.serviceName);
    const c = pod.spec.containers[0]!;
    for (const s of services) {
      expect(pod.metadata.labels).toMatchObject(s.spec.selector);
      for (const p of s.spec.ports) expect(c.ports.map((x) => x.name)).toContain(p.targetPort);
    }
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      expect(probe.httpGet.path).toBe('/healthz');
      expect(c.ports.map((x) => x.name)).toContain(probe.httpGet.port);
    }
    const volumeNames = [
      ...pod.spec.volumes.map((v) => v.name),
      ...sts.spec.volumeClaimTemplates.map((v) => v.metadata.name),
    ];
    for (const m of c.volumeMounts) expect(volumeNames, m.mountPath).toContain(m.name);
    const configVolume = pod.spec.volumes.find((v) => v.configMap !== undefined)!;
    const cm = byKind('ConfigMap').find((d) => d.metadata.name === configVolume.configMap!.name) as
      (Yaml & { data: Record<string, string> }) | undefined;
    expect(cm).toBeDefined();
    const mount = c.volumeMounts.find((m) => m.name === configVolume.name)!;
    expect(c.args[c.args.indexOf('--config') + 1]).toBe(mount.mountPath);
    // the ConfigMap carries deploy/collector/collector.yaml verbatim
    expect(cm!.data[mount.subPath!]).toBe(read('deploy/collector/collector.yaml'));
    // and it loads with the pod's environment
    const env = Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    const config = loadConfig(join(REPO, 'deploy/collector/collector.yaml'), {
      ...env,
      PROMPTLINE_KEYS_FILE: join(REPO, 'deploy/collector/keys.yaml'),
    });
    expect(config.exporter.endpoint).toBe(env.PROMPTLINE_CLICKHOUSE_URL);
    expect(config.exporter.migrate).toBe(false);
    expect(config.exporter.wal.dir.startsWith(c.volumeMounts.find((m) => m.name === 'wal')!.mountPath)).toBe(
      true,
    );
    expect(c.ports.map((p) => p.containerPort)).toContain(config.receiver.port);
    // the migration Job talks to the same ClickHouse
    const job = byKind('Job')[0] as unknown as {
      spec: { template: { spec: { containers: Array<{ command: string[]; args: string[] }> } } };
    };
    const jc = job.spec.template.spec.containers[0]!;
    expect(jc.command).toEqual(['promptline']);
    expect(jc.args[jc.args.indexOf('--clickhouse') + 1]).toBe(env.PROMPTLINE_CLICKHOUSE_URL);
  });
});

describe('collector-config', () => {
  it('every config file parses, and every file deploy/ references exists', () => {
    for (const f of readdirSync(join(REPO, 'collector-config')).filter((x) => x.endsWith('.yaml'))) {
      expect(() => yamlOf(`collector-config/${f}`), f).not.toThrow();
    }
    const referenced = new Set<string>();
    const walk = (d: string): void => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else
          for (const m of readFileSync(p, 'utf8').matchAll(/collector-config\/[\w.-]+\.yaml/g))
            referenced.add(m[0]);
      }
    };
    walk(join(REPO, 'deploy'));
    expect(referenced.size).toBeGreaterThan(0);
    for (const r of referenced) expect(existsSync(join(REPO, r)), r).toBe(true);
  });
});
