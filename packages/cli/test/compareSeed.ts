import type { LogRow, TraceRow } from '@promptline/clickhouse';
import { EVALUATION, EVALUATION_EVENT_NAME, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { gaussian, mulberry32 } from '../../../test/kit/random.js';
import { logRow, traceRow } from '../../../test/kit/rows.js';

/**
 * Rows for the compare / regressions CLI tests: label `production` serves v2 for an hour, then v3
 * (latency ×1.6, lower quality), then v4 (the distributions of v3), ending now.
 */

export const PROMPT = 'triage';
export const PER_VERSION = 150;
export const HOUR = 3_600_000;
const NOW = Date.now();
// production: v2 for an hour, then v3 (slower, lower quality), then v4 (same distributions as v3).
export const PHASES = [
  { version: 2, start: NOW - 3 * HOUR, slow: 1, quality: 0.8 },
  { version: 3, start: NOW - 2 * HOUR, slow: 1.6, quality: 0.6 },
  { version: 4, start: NOW - HOUR, slow: 1.6, quality: 0.6 },
];

export function seedRows(project: string): { spans: TraceRow[]; logs: LogRow[] } {
  const rnd = mulberry32(11);
  const gauss = (): number => gaussian(rnd);
  const spans: TraceRow[] = [];
  const logs: LogRow[] = [];
  let id = 0;
  const resource = { [RESOURCE.SERVICE_NAME]: 'svc', [RESOURCE.PROJECT_ID]: project };
  for (const phase of PHASES) {
    for (let i = 0; i < PER_VERSION; i++) {
      id++;
      const ms = phase.start + Math.floor(((i + 0.5) * (HOUR - 120_000)) / PER_VERSION);
      const latencyMs = 300 * phase.slow * Math.exp(0.3 * gauss());
      const traceId = id.toString(16).padStart(32, '0');
      const spanId = id.toString(16).padStart(16, '0');
      spans.push(
        traceRow({
          Timestamp: new Date(ms).toISOString(),
          TraceId: traceId,
          SpanId: spanId,
          ResourceAttributes: resource,
          SpanAttributes: {
            [GEN_AI.OPERATION_NAME]: 'chat',
            [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
            [GEN_AI.PROMPT_NAME]: PROMPT,
            [PROMPTLINE.PROMPT_VERSION]: String(phase.version),
            [PROMPTLINE.PROMPT_LABEL]: 'production',
            [GEN_AI.USAGE_INPUT_TOKENS]: String(100 + Math.floor(rnd() * 50)),
            [GEN_AI.USAGE_OUTPUT_TOKENS]: String(20 + Math.floor(rnd() * 20)),
          },
          Duration: Math.round(latencyMs * 1e6),
        }),
      );
      logs.push(
        logRow({
          Timestamp: new Date(ms + 1000).toISOString(),
          TraceId: traceId,
          SpanId: spanId,
          ResourceAttributes: resource,
          LogAttributes: {
            [EVALUATION.NAME]: 'quality',
            [EVALUATION.ID]: `q-${id}`,
            [EVALUATION.SCORE_VALUE]: (phase.quality + 0.1 * gauss()).toFixed(2),
          },
          EventName: EVALUATION_EVENT_NAME,
        }),
      );
    }
  }
  return { spans, logs };
}
