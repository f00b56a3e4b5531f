/**
 * The read API as the console uses it: same-origin GETs authenticated by the session cookie. The
 * types below are the JSON the collector answers (see the collector README's endpoint table).
 */

/** The request was refused for want of a session: the app shows the login. */
export class Unauthorized extends Error {
  override readonly name = 'Unauthorized';
}

/** Any other failed request, with the collector's own message. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => undefined;

/** Called whenever a request answers 401 (the session expired or was never there). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

/** GET `path` with `params` (undefined/empty values left out) → parsed JSON. */
export async function getJson<T>(
  path: string,
  params: Record<string, string | number | undefined> = {},
): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const url = qs.size > 0 ? `${path}?${qs.toString()}` : path;
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) {
    onUnauthorized();
    throw new Unauthorized('not logged in');
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, message);
  }
  return JSON.parse(text) as T;
}

/** POST JSON to a console endpoint (login, logout). */
export async function postJson(path: string, body?: unknown): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** A confidence interval of a figure, when the API provides one (as the query layer's `Interval`). */
export interface Interval {
  lower: number;
  upper: number;
  level?: number;
}

export interface Session {
  project: string;
  keyName: string;
}

export interface Sparkpoint {
  bucket: string;
  requests: number;
}

export interface PromptSummary {
  name: string;
  requests: number;
  errors: number;
  errorRate: number;
  latencyP95Ms: number;
  totalCostUsd: number;
  lastSeen: string;
  sparkline: Sparkpoint[];
  intervals?: Record<string, Interval>;
  /** The version of the last call in the window (as sent), from spans. */
  lastVersion: { version: number; versionName: string } | null;
  /** Label → version of its last call in the window, from spans. */
  labelsSeen: Record<string, { version: number; versionName: string }>;
}

export interface Overview {
  project: string;
  from: string;
  to: string;
  sparklineIntervalSeconds: number;
  prompts: PromptSummary[];
}

export interface RegistryPromptSummary {
  name: string;
  latestVersion: number;
  versionCount: number;
  lastCreatedAt: string;
  labels: Record<string, number>;
}

export interface Quantiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  mean?: number;
}

export interface ScoreSummary {
  name: string;
  count: number;
  mean: number | null;
  median: number | null;
  labels: Record<string, number>;
  intervals?: Record<string, Interval>;
}

export interface VersionMetrics {
  version: number;
  /** The version as sent (`3`, `2.1.0`, `#a1b2c3d4`); `version` is its stored number. */
  versionName: string;
  requests: number;
  errors: number;
  errorRate: number;
  latencyMs: Quantiles;
  ttftMs: (Quantiles & { count: number }) | null;
  totalTokens: Quantiles;
  costUsd: Quantiles;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  totalCostUsd: number;
  inputCostUsd: number;
  outputCostUsd: number;
  validated: number;
  validationPassRate: number | null;
  firstSeen: string;
  lastSeen: string;
  scores: ScoreSummary[];
  /** Confidence intervals by figure name (e.g. `errorRate`, `latencyMs.p95`), when provided. */
  intervals?: Record<string, Interval>;
}

export interface MetricsResponse {
  prompt: string;
  from: string;
  to: string;
  versions: VersionMetrics[];
}

/** `GET /api/v1/prompt-page`: everything the prompt page shows, in one answer. */
export interface PromptPageResponse {
  prompt: string;
  from: string;
  to: string;
  intervalSeconds: number;
  versions: VersionMetrics[];
  labels: LabelShare[];
  points: TimeSeriesPoint[];
  scorePoints: ScorePoint[];
  labelHistory: SpanLabelHistory[];
  registryHistory: RegistryLabelMove[];
}

export interface TimeSeriesPoint {
  bucket: string;
  version: number;
  versionName: string;
  requests: number;
  errors: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  ttftP50Ms: number | null;
  totalTokens: number;
  costUsd: number;
}

export interface ScorePoint {
  bucket: string;
  version: number;
  name: string;
  count: number;
  valueCount: number;
  mean: number | null;
}

export interface LabelShare {
  label: string;
  version: number;
  versionName: string;
  requests: number;
  share: number;
}

export interface SpanLabelHistory {
  label: string;
  version: number;
  versionName: string;
  environment: string;
  requests: number;
  firstSeen: string;
  lastSeen: string;
}

export interface RegistryLabelMove {
  name: string;
  label: string;
  version: number;
  previousVersion: number | null;
  actor: string;
  movedAt: string;
}

export interface Dimensions {
  prompts: string[];
  environments: string[];
  labels: string[];
  models: string[];
  versions: number[];
}

export interface SideSummary {
  n: number;
  total: number;
  mean: number | null;
  median: number | null;
  events?: number;
  /** The row's headline statistic (`MetricComparison.headline`) on this side. */
  headline: number | null;
  /** Its interval at level 1 − alpha. */
  ci: Interval | null;
}

export interface MetricComparison {
  metric: string;
  /** What each side is summarised by, and what the test is about. */
  headline: 'median' | 'mean' | 'rate' | 'distribution';
  better: 'lower' | 'higher';
  baseline: SideSummary;
  candidate: SideSummary;
  test: string;
  p: number | null;
  pAdjusted: number | null;
  effect: {
    relativeChange: number | null;
    cliffsDelta: number | null;
    /** Candidate − baseline, in the metric's unit. */
    difference: number | null;
    /** Interval of `difference` at level 1 − alpha. */
    differenceCi: Interval | null;
  };
  verdict: string;
}

export interface VersionComparison {
  prompt: string;
  baseline: number;
  candidate: number;
  baselineName: string;
  candidateName: string;
  from: string;
  to: string;
  alpha: number;
  baselineGenerations: number;
  candidateGenerations: number;
  metrics: MetricComparison[];
}

export interface Distribution {
  bins: Array<[number, number]>;
  counts: Record<string, number[]>;
  n: Record<string, number>;
  scale: 'log' | 'linear';
}

export interface Distributions {
  versions: number[];
  latencyMs: Distribution;
  ttftMs: Distribution;
  scores: Record<string, Distribution>;
}

export interface LabelMove {
  environment: string;
  at: string;
  fromVersion: number;
  toVersion: number;
  fromVersionName: string;
  toVersionName: string;
  before: { from: string; to: string; generations: number };
  after: { from: string; to: string; generations: number };
  metrics: MetricComparison[];
  regressions: string[];
}

export interface RegressionReport {
  prompt: string;
  label: string;
  from: string;
  to: string;
  alpha: number;
  movesFound: number;
  moves: LabelMove[];
}

export interface GenerationScore {
  name: string;
  value: number | null;
  label: string;
  source: string;
  comment: string;
  time: string;
}

export interface GenerationRow {
  time: string;
  traceId: string;
  spanId: string;
  version: number;
  versionName: string;
  label: string;
  environment: string;
  model: string;
  latencyMs: number;
  ttftMs: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  status: 'ok' | 'error';
  errorType: string;
  scores: GenerationScore[];
}

export interface GenerationsPage {
  version: number;
  versionName: string;
  rows: GenerationRow[];
  next: string | null;
}

export interface GenerationDetail extends GenerationRow {
  promptName: string;
  promptHash: string;
  provider: string;
  serviceName: string;
  cacheReadTokens: number;
  reasoningTokens: number;
  inputCostUsd: number;
  outputCostUsd: number;
  costSource: string;
  validationPassed: boolean | null;
  experiment: { name: string; arm: string } | null;
  input: string | null;
  output: string | null;
  inputTruncated: boolean;
  outputTruncated: boolean;
  spanName: string;
  statusMessage: string;
  attributes: Record<string, string>;
}

export interface RegistryVersion {
  version: number;
  type: 'text' | 'chat';
  commitMessage: string;
  contentHash: string;
  createdBy: string;
  createdAt: string;
  labels: string[];
}

export interface RegistryPrompt {
  name: string;
  version: number;
  type: 'text' | 'chat';
  template?: string;
  messages?: Array<{ role?: string; content?: string; type?: string; name?: string }>;
  config?: Record<string, unknown>;
  commitMessage: string;
  createdBy: string;
  createdAt: string;
  hash: string;
  labels: string[];
}

export interface PromptDiff {
  unified: string;
  similarity: number;
  addedLines: number;
  removedLines: number;
  variablesAdded: string[];
  variablesRemoved: string[];
  configChanges: Array<{ key: string; before?: unknown; after?: unknown }>;
  identical: boolean;
}

export interface DiffResponse {
  name: string;
  from: RegistryPrompt;
  to: RegistryPrompt;
  diff: PromptDiff;
}
