import type { ClickHouseClient } from '@clickhouse/client';
import { insertLogs, insertTraces } from '@promptline/clickhouse';
import type { LogRow, TraceRow } from '@promptline/clickhouse';
import { EVALUATION, EVALUATION_EVENT_NAME, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { gaussian, mulberry32 } from './random.js';
import { hexId, logRow, traceRow } from './rows.js';

/**
 * Label moves for the baseline-relative checks (Grafana rules, `promptline check`), with the ground
 * truth kept as plain objects. Project `acme`, environment `prod`, "now" = {@link NOW}:
 * - `summarize`: the registry moves `production` from version 2 to 3 at NOW − 6 h; version 3 is
 *   twice as slow, fails 1 call in 8 and scores lower (`quality` numeric, `correct` boolean);
 * - `classify`: the registry moves `production` from 1 to 2 at NOW − 5 h; version 2 behaves exactly
 *   like version 1;
 * - `extract`: no registry events — its spans move `production` from 1 to 2 at NOW − 4 h (the
 *   moves come from the spans' label history); version 2 is slower and fails more;
 * - `legacy`: the registry moved `production` 9 days ago (settled: not checked).
 * 120 calls an hour per prompt from NOW − 40 h.
 */

export const PROJECT = 'acme';
/** The evaluation time, on an hour. */
export const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const HOUR = 3_600_000;

export interface MoveCall {
  prompt: string;
  version: number;
  label: string;
  environment: string;
  ms: number;
  latencyMs: number;
  error: boolean;
  traceId: string;
  spanId: string;
}
export interface MoveScore {
  call: MoveCall;
  name: string;
  value: number;
}
export interface RegistryMove {
  prompt: string;
  label: string;
  version: number;
  at: number;
  actor: string;
}
export interface MoveSeed {
  calls: MoveCall[];
  scores: MoveScore[];
  registry: RegistryMove[];
}

interface Profile {
  latencyMs: number;
  errorEvery: number;
  quality: number;
  correct: number;
}
const PROFILES: Record<string, Profile> = {
  'summarize@2': { latencyMs: 800, errorEvery: 0, quality: 0.85, correct: 0.9 },
  'summarize@3': { latencyMs: 1600, errorEvery: 8, quality: 0.7, correct: 0.65 },
  'classify@1': { latencyMs: 400, errorEvery: 50, quality: 0.9, correct: 0.95 },
  'classify@2': { latencyMs: 400, errorEvery: 50, quality: 0.9, correct: 0.95 },
  'extract@1': { latencyMs: 1200, errorEvery: 0, quality: 0.8, correct: 0.8 },
  'extract@2': { latencyMs: 2000, errorEvery: 10, quality: 0.8, correct: 0.8 },
  'legacy@4': { latencyMs: 500, errorEvery: 0, quality: 0.8, correct: 0.8 },
  'legacy@5': { latencyMs: 900, errorEvery: 5, quality: 0.5, correct: 0.5 },
};

export const MOVES: Record<string, { at: number; from: number; to: number }> = {
  summarize: { at: NOW - 6 * HOUR, from: 2, to: 3 },
  classify: { at: NOW - 5 * HOUR, from: 1, to: 2 },
  extract: { at: NOW - 4 * HOUR, from: 1, to: 2 },
  legacy: { at: NOW - 9 * 24 * HOUR, from: 4, to: 5 },
};

export function buildMoveSeed(): MoveSeed {
  const rnd = mulberry32(2026);
  const calls: MoveCall[] = [];
  const scores: MoveScore[] = [];
  const seen = new Map<string, number>();
  let id = 0;
  for (const [prompt, move] of Object.entries(MOVES)) {
    for (let i = 0; i < 40 * 120; i++) {
      const ms = NOW - 40 * HOUR + Math.floor((i * HOUR) / 120) + 7_000;
      const version = ms < move.at ? move.from : move.to;
      const p = PROFILES[`${prompt}@${version}`]!;
      const k = (seen.get(`${prompt}@${version}`) ?? 0) + 1;
      seen.set(`${prompt}@${version}`, k);
      id++;
      const call: MoveCall = {
        prompt,
        version,
        label: 'production',
        environment: 'prod',
        ms,
        latencyMs: Math.round(p.latencyMs * Math.exp(0.3 * gaussian(rnd)) * 1000) / 1000,
        error: p.errorEvery > 0 && k % p.errorEvery === 0,
        traceId: hexId(700_000 + id, 32),
        spanId: hexId(700_000 + id, 16),
      };
      calls.push(call);
      if (call.error) continue;
      const quality = Math.round(Math.min(1, Math.max(0, p.quality + 0.1 * gaussian(rnd))) * 100) / 100;
      scores.push({ call, name: 'quality', value: quality });
      scores.push({ call, name: 'correct', value: rnd() < p.correct ? 1 : 0 });
    }
  }
  const registry: RegistryMove[] = [];
  for (const prompt of ['summarize', 'classify', 'legacy']) {
    const move = MOVES[prompt]!;
    registry.push({
      prompt,
      label: 'production',
      version: move.from,
      at: NOW - 20 * 24 * HOUR,
      actor: 'alice',
    });
    registry.push({ prompt, label: 'production', version: move.to, at: move.at, actor: 'release-bot' });
  }
  return { calls, scores, registry };
}

function span(c: MoveCall): TraceRow {
  return traceRow({
    Timestamp: new Date(c.ms).toISOString(),
    TraceId: c.traceId,
    SpanId: c.spanId,
    Duration: Math.round(c.latencyMs * 1e6),
    StatusCode: c.error ? 'Error' : 'Unset',
    SpanAttributes: {
      [GEN_AI.OPERATION_NAME]: 'chat',
      [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
      [GEN_AI.PROMPT_NAME]: c.prompt,
      [PROMPTLINE.PROMPT_VERSION]: String(c.version),
      [PROMPTLINE.PROMPT_LABEL]: c.label,
    },
    ResourceAttributes: { [RESOURCE.PROJECT_ID]: PROJECT, [RESOURCE.DEPLOYMENT_ENVIRONMENT]: c.environment },
  });
}

function score(s: MoveScore, i: number): LogRow {
  return logRow({
    Timestamp: new Date(s.call.ms + 3_000).toISOString(),
    TraceId: s.call.traceId,
    SpanId: s.call.spanId,
    EventName: EVALUATION_EVENT_NAME,
    ResourceAttributes: { [RESOURCE.PROJECT_ID]: PROJECT },
    LogAttributes: {
      [EVALUATION.NAME]: s.name,
      [EVALUATION.ID]: `m-${i}`,
      [EVALUATION.SCORE_VALUE]: String(s.value),
      [EVALUATION.DATA_TYPE]: s.name === 'correct' ? 'boolean' : 'numeric',
    },
  });
}

/**
 * Writes the seed into `database`: one score in five before its span (resolved at read time), the
 * spans, the other scores, then the registry's label log.
 */
export async function writeMoveSeed(
  client: ClickHouseClient,
  seed: MoveSeed,
  database = 'default',
): Promise<void> {
  const logs = seed.scores.map(score);
  const opts = (token: string): { database: string; dedupToken: string } => ({ database, dedupToken: token });
  const early = logs.filter((_, i) => i % 5 === 0);
  const late = logs.filter((_, i) => i % 5 !== 0);
  for (let i = 0; i < early.length; i += 5000)
    await insertLogs(client, early.slice(i, i + 5000), opts(`e${i}`));
  const spans = seed.calls.map(span);
  for (let i = 0; i < spans.length; i += 5000)
    await insertTraces(client, spans.slice(i, i + 5000), opts(`s${i}`));
  for (let i = 0; i < late.length; i += 5000)
    await insertLogs(client, late.slice(i, i + 5000), opts(`l${i}`));
  await client.insert({
    table: `${database}.prompt_label_events`,
    format: 'JSONEachRow',
    values: seed.registry.map((m, i) => ({
      project_id: PROJECT,
      name: m.prompt,
      label: m.label,
      version: m.version,
      actor: m.actor,
      moved_at: new Date(m.at).toISOString().replace('T', ' ').replace('Z', ''),
      event_id: `move-${i}`,
    })),
  });
}
