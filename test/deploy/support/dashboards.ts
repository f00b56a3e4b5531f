/** Reads the provisioned Grafana dashboards and alert rules for the tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const REPO = resolve(import.meta.dirname, '../../..');
export const DASHBOARD_DIR = join(REPO, 'deploy/grafana/dashboards');
export const ALERTS_FILE = join(REPO, 'deploy/grafana/provisioning/alerting/promptline-alerts.yaml');
export const DATASOURCE_FILE = join(REPO, 'deploy/grafana/provisioning/datasources/clickhouse.yaml');

export interface DsRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  datasource?: DsRef;
  rawSql: string;
  format: number;
  editorType?: string;
  queryType?: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DsRef;
  targets?: Target[];
  gridPos?: { x: number; y: number; w: number; h: number };
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  datasource?: DsRef;
  query: { rawSql: string } | string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}

export interface Annotation {
  name: string;
  datasource?: DsRef;
  builtIn?: number;
  target?: Target;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
  annotations: { list: Annotation[] };
  file: string;
  [key: string]: unknown;
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ ...(JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as Dashboard), file }));
}

/** Every panel, rows' children included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function variableSql(v: Variable): string {
  return typeof v.query === 'string' ? v.query : v.query.rawSql;
}

export interface AlertQuery {
  refId: string;
  datasourceUid: string;
  relativeTimeRange?: { from: number; to: number };
  model: {
    rawSql?: string;
    type?: string;
    expression?: string;
    conditions?: Array<{ evaluator: { type: string; params: number[] } }>;
    [key: string]: unknown;
  };
}

export interface AlertRule {
  uid: string;
  title: string;
  condition: string;
  data: AlertQuery[];
  for?: string;
  noDataState?: string;
  execErrState?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface AlertFile {
  apiVersion: number;
  groups: Array<{ orgId: number; name: string; folder: string; interval: string; rules: AlertRule[] }>;
}

export function loadAlerts(): AlertFile {
  return parse(readFileSync(ALERTS_FILE, 'utf8')) as AlertFile;
}
