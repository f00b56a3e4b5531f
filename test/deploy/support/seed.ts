/**
 * A deterministic production-like history for the Grafana and alert tests, written as raw
 * OpenTelemetry rows (otel_traces spans, otel_logs score events) so Promptline's materialized
 * views build every aggregate the dashboards read. The seed also keeps the ground truth: one
 * plain object per generation and score, from which tests compute expected numbers.
 *
 * 48 hours from T0, project `acme`:
 * - `summarize` (gpt-4o-mini): version 2 behind label `production` until the label moves to
 *   version 3 at END − 45 min. Version 3 is the regression: ~3× slower, later first token, worse
 *   quality score, 1 error in 12. 120 requests/hour; some version-3 traffic on `staging` for a day
 *   before.
 * - `classify` (gpt-4o-mini): version 1, steady and healthy, 30 requests/hour, 1 error in 40.
 * - `extract` (gpt-4o): version 1, expensive (over the cost budget), 40 requests/hour until its
 *   traffic drops to 5 in the last hour.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { insertLogs, insertTraces } from '@promptline/clickhouse';
import type { LogRow, TraceRow } from '@promptline/clickhouse';
import {
  ERROR_TYPE,
  EVALUATION,
  EVALUATION_EVENT_NAME,
  GEN_AI,
  PROMPTLINE,
  RESOURCE,
} from '@promptline/semconv';
import { logRow, traceRow } from '../../kit/rows.js';

export const PROJECT = 'acme';
export const T0 = Date.parse('2026-11-18T00:00:00Z');
export const HOURS = 48;
/** End of the seeded history; the tests' "now". On an hour boundary. */
export const END = T0 + HOURS * 3_600_000;
/** When `production` of `summarize` moves from version 2 to version 3. */
export const LABEL_MOVE_AT = END - 45 * 60_000;
export const SCORE_NAME = 'quality';

export interface SeedGeneration {
  time: number;
  prompt: string;
  version: number;
  label: string;
  environment: string;
  model: string;
  latencyMs: number;
  ttftMs: number;
  inputTokens: number;
  outputTokens: number;
  inputCost: number;
  outputCost: number;
  isError: boolean;
  traceId: string;
  spanId: string;
}

export interface SeedScore {
  generation: SeedGeneration;
  value: number;
}

export interface SeedLabelMove {
  prompt: string;
  label: string;
  version: number;
  at: number;
}

export interface Seed {
  generations: SeedGeneration[];
  scores: SeedScore[];
  labelMoves: SeedLabelMove[];
}

interface VersionProfile {
  model: string;
  provider: string;
  latencyMs: number;
  ttftMs: number;
  inputTokens: number;
  outputTokens: number;
  /** USD per input / output token. */
  inPrice: number;
  outPrice: number;
  score: number;
  /** Every n-th request fails (0: none). */
  errorEvery: number;
}

const PROFILES: Record<string, VersionProfile> = {
  'summarize@2': {
    model: 'gpt-4o-mini',
    provider: 'openai',
    latencyMs: 1800,
    ttftMs: 350,
    inputTokens: 1200,
    outputTokens: 300,
    inPrice: 0.15e-6,
    outPrice: 0.6e-6,
    score: 0.86,
    errorEvery: 0,
  },
  'summarize@3': {
    model: 'gpt-4o-mini',
    provider: 'openai',
    latencyMs: 5600,
    ttftMs: 1100,
    inputTokens: 2100,
    outputTokens: 520,
    inPrice: 0.15e-6,
    outPrice: 0.6e-6,
    score: 0.58,
    errorEvery: 12,
  },
  'classify@1': {
    model: 'gpt-4o-mini',
    provider: 'openai',
    latencyMs: 700,
    ttftMs: 150,
    inputTokens: 400,
    outputTokens: 20,
    inPrice: 0.15e-6,
    outPrice: 0.6e-6,
    score: 0.93,
    errorEvery: 40,
  },
  'extract@1': {
    model: 'gpt-4o',
    provider: 'openai',
    latencyMs: 2400,
    ttftMs: 500,
    inputTokens: 9000,
    outputTokens: 4000,
    inPrice: 2.5e-6,
    outPrice: 10e-6,
    score: 0.81,
    errorEvery: 0,
  },
};

function hex(n: bigint, width: number): string {
  return n.toString(16).padStart(width, '0').slice(-width);
}

/** A deterministic spread in [0.7, 1.6): bounded, right-skewed, different per request. */
function spread(i: number): number {
  const u = ((i * 7919) % 1000) / 1000;
  return 0.7 + 0.9 * u * u;
}

function nsTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-18T00:00:00.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000`;
}

/** Builds the history (pure; no engine). */
export function buildSeed(): Seed {
  const generations: SeedGeneration[] = [];
  const scores: SeedScore[] = [];
  let seq = 0;
  const perVersion = new Map<string, number>();
  const add = (prompt: string, version: number, label: string, environment: string, time: number): void => {
    const p = PROFILES[`${prompt}@${version}`];
    if (p === undefined) throw new Error(`no profile for ${prompt}@${version}`);
    seq++;
    const n = (perVersion.get(`${prompt}@${version}`) ?? 0) + 1;
    perVersion.set(`${prompt}@${version}`, n);
    const s = spread(seq);
    const isError = p.errorEvery > 0 && n % p.errorEvery === 0;
    const inputTokens = isError ? 0 : Math.round(p.inputTokens * s);
    const outputTokens = isError ? 0 : Math.round(p.outputTokens * s);
    const g: SeedGeneration = {
      time,
      prompt,
      version,
      label,
      environment,
      model: p.model,
      latencyMs: Math.round(p.latencyMs * s),
      ttftMs: Math.round(p.ttftMs * s),
      inputTokens,
      outputTokens,
      inputCost: inputTokens * p.inPrice,
      outputCost: outputTokens * p.outPrice,
      isError,
      traceId: hex(BigInt(seq) * 0x9e3779b97f4a7c15n + 1n, 32),
      spanId: hex(BigInt(seq) * 0x2545f4914f6cdd1dn + 7n, 16),
    };
    generations.push(g);
    if (!isError) scores.push({ generation: g, value: Math.min(1, Math.max(0, p.score + (s - 1) * 0.05)) });
  };

  for (let h = 0; h < HOURS; h++) {
    const hourStart = T0 + h * 3_600_000;
    for (let i = 0; i < 120; i++) {
      const t = hourStart + Math.floor((i * 3_600_000) / 120);
      add('summarize', t < LABEL_MOVE_AT ? 2 : 3, 'production', 'production', t);
    }
    if (h >= 24 && h < 47) {
      for (let i = 0; i < 6; i++) add('summarize', 3, 'staging', 'staging', hourStart + i * 600_000 + 1000);
    }
    for (let i = 0; i < 30; i++)
      add('classify', 1, 'production', 'production', hourStart + i * 120_000 + 500);
    const extractPerHour = h === HOURS - 1 ? 5 : 40;
    for (let i = 0; i < extractPerHour; i++) {
      add(
        'extract',
        1,
        'production',
        'production',
        hourStart + Math.floor((i * 3_600_000) / extractPerHour) + 250,
      );
    }
  }
  const labelMoves: SeedLabelMove[] = [
    { prompt: 'summarize', label: 'production', version: 2, at: T0 - 86_400_000 },
    { prompt: 'summarize', label: 'staging', version: 3, at: T0 + 24 * 3_600_000 - 60_000 },
    { prompt: 'summarize', label: 'production', version: 3, at: LABEL_MOVE_AT },
    { prompt: 'classify', label: 'production', version: 1, at: T0 - 86_400_000 },
    { prompt: 'extract', label: 'production', version: 1, at: T0 - 86_400_000 },
  ];
  return { generations, scores, labelMoves };
}

function generationSpan(g: SeedGeneration): TraceRow {
  const p = PROFILES[`${g.prompt}@${g.version}`]!;
  const attrs: Record<string, string> = {
    [GEN_AI.OPERATION_NAME]: 'chat',
    [GEN_AI.PROVIDER_NAME]: p.provider,
    [GEN_AI.REQUEST_MODEL]: g.model,
    [GEN_AI.RESPONSE_MODEL]: g.model,
    [GEN_AI.PROMPT_NAME]: g.prompt,
    [PROMPTLINE.PROMPT_VERSION]: String(g.version),
    [PROMPTLINE.PROMPT_LABEL]: g.label,
    [PROMPTLINE.PROMPT_HASH]: `h-${g.prompt}-${g.version}`,
    [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: String(g.ttftMs / 1000),
  };
  if (g.isError) {
    attrs[ERROR_TYPE] = 'RateLimitError';
  } else {
    attrs[GEN_AI.USAGE_INPUT_TOKENS] = String(g.inputTokens);
    attrs[GEN_AI.USAGE_OUTPUT_TOKENS] = String(g.outputTokens);
    attrs[PROMPTLINE.COST_USD] = String(g.inputCost + g.outputCost);
    attrs[PROMPTLINE.COST_INPUT_USD] = String(g.inputCost);
    attrs[PROMPTLINE.COST_OUTPUT_USD] = String(g.outputCost);
  }
  return traceRow({
    Timestamp: nsTimestamp(g.time),
    TraceId: g.traceId,
    SpanId: g.spanId,
    SpanName: `chat ${g.model}`,
    ServiceName: 'assistant-api',
    ResourceAttributes: {
      [RESOURCE.SERVICE_NAME]: 'assistant-api',
      [RESOURCE.DEPLOYMENT_ENVIRONMENT]: g.environment,
      [RESOURCE.PROJECT_ID]: PROJECT,
    },
    ScopeName: '@promptline/sdk',
    ScopeVersion: '0.1.0',
    SpanAttributes: attrs,
    Duration: g.latencyMs * 1_000_000,
    StatusCode: g.isError ? 'Error' : 'Unset',
    StatusMessage: g.isError ? 'rate limited' : '',
  });
}

function scoreRow(s: SeedScore, i: number): LogRow {
  const g = s.generation;
  return logRow({
    Timestamp: nsTimestamp(g.time + 5_000),
    TraceId: g.traceId,
    SpanId: g.spanId,
    ServiceName: 'assistant-api',
    ResourceAttributes: {
      [RESOURCE.SERVICE_NAME]: 'assistant-api',
      [RESOURCE.DEPLOYMENT_ENVIRONMENT]: g.environment,
      [RESOURCE.PROJECT_ID]: PROJECT,
    },
    ScopeName: '@promptline/sdk',
    ScopeVersion: '0.1.0',
    LogAttributes: {
      [EVALUATION.NAME]: SCORE_NAME,
      [EVALUATION.SCORE_VALUE]: String(s.value),
      [EVALUATION.DATA_TYPE]: 'numeric',
      [EVALUATION.SOURCE]: 'llm-judge',
      [EVALUATION.ID]: `score-${i}`,
    },
    EventName: EVALUATION_EVENT_NAME,
  });
}

/**
 * Writes the seed. One score in ten is sent BEFORE its span (as happens when an upstream collector
 * flushes its logs pipeline first): those are stored unresolved and must be resolved at read time.
 * Then the spans (generations, span index), then the other scores (resolved at insert through the
 * span index), then the registry's label-move log.
 */
export async function writeSeed(client: ClickHouseClient, seed: Seed): Promise<void> {
  const logs = seed.scores.map(scoreRow);
  const early = logs.filter((_, i) => i % 10 === 0);
  const late = logs.filter((_, i) => i % 10 !== 0);
  for (let i = 0; i < early.length; i += 5000) await insertLogs(client, early.slice(i, i + 5000));
  const spans = seed.generations.map(generationSpan);
  for (let i = 0; i < spans.length; i += 5000) await insertTraces(client, spans.slice(i, i + 5000));
  for (let i = 0; i < late.length; i += 5000) await insertLogs(client, late.slice(i, i + 5000));
  await client.insert({
    table: 'default.prompt_label_events',
    values: seed.labelMoves.map((m, i) => ({
      project_id: PROJECT,
      name: m.prompt,
      label: m.label,
      version: m.version,
      actor: 'release-bot',
      moved_at: new Date(m.at).toISOString().replace('T', ' ').replace('Z', ''),
      event_id: `move-${i}`,
    })),
    format: 'JSONEachRow',
  });
}
