import { EVALUATION, EVALUATION_EVENT_NAME, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import type { LogRow, TraceRow } from '../src/index.js';
import { gaussian, mulberry32 } from '../../../test/kit/random.js';
import { hexId, logRow, traceRow } from '../../../test/kit/rows.js';

/**
 * A label-move scenario for the comparison tests: `production` serves version 2, then 3, then 4,
 * one after the other for `phaseMs` each. Version 3 is slower (latency and TTFT ×1.5) and scores
 * lower on `quality` than 2; version 4 has exactly the distributions of 3. Tokens, cost and errors
 * have one distribution throughout.
 */
export interface ScenarioGen {
  version: number;
  ms: number;
  latencyMs: number;
  ttftMs: number | null;
  error: boolean;
  tokens: number;
  quality: number | null;
}

export interface Scenario {
  gens: ScenarioGen[];
  spans: TraceRow[];
  /** Scores sent before their spans (resolved at read time) and after (resolved at insert). */
  earlyScores: LogRow[];
  lateScores: LogRow[];
}

export function buildScenario(opts: {
  start: number;
  phaseMs: number;
  perVersion: number;
  project: string;
  prompt: string;
  environment: string;
  seed: number;
  idBase: number;
}): Scenario {
  const rnd = mulberry32(opts.seed);
  const gens: ScenarioGen[] = [];
  const spans: TraceRow[] = [];
  const earlyScores: LogRow[] = [];
  const lateScores: LogRow[] = [];
  let id = opts.idBase;
  [2, 3, 4].forEach((version, phase) => {
    const slow = version === 2 ? 1 : 1.5;
    for (let i = 0; i < opts.perVersion; i++) {
      id++;
      // Evenly spread over the phase, so every minute is served by one version.
      const ms =
        opts.start + phase * opts.phaseMs + Math.floor(((i + rnd()) * opts.phaseMs) / opts.perVersion);
      const error = i % 40 === 7;
      const latencyMs = Math.round(400 * slow * Math.exp(0.35 * gaussian(rnd)) * 1000) / 1000;
      const ttftMs = !error && i % 2 === 0 ? Math.round(latencyMs * 0.3 * 1000) / 1000 : null;
      const input = 200 + Math.floor(rnd() * 100);
      const output = 50 + Math.floor(rnd() * 50);
      const quality = error
        ? null
        : Math.min(
            1,
            Math.max(0, Math.round(((version === 2 ? 0.8 : 0.65) + 0.1 * gaussian(rnd)) * 100) / 100),
          );
      const attrs: Record<string, string> = {
        [GEN_AI.OPERATION_NAME]: 'chat',
        [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
        [GEN_AI.PROMPT_NAME]: opts.prompt,
        [PROMPTLINE.PROMPT_VERSION]: String(version),
        [PROMPTLINE.PROMPT_LABEL]: 'production',
      };
      if (!error) {
        attrs[GEN_AI.USAGE_INPUT_TOKENS] = String(input);
        attrs[GEN_AI.USAGE_OUTPUT_TOKENS] = String(output);
      }
      if (ttftMs !== null) attrs[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK] = String(ttftMs / 1000);
      const row = traceRow({
        Timestamp: new Date(ms).toISOString(),
        TraceId: hexId(id, 32),
        SpanId: hexId(id, 16),
        Duration: Math.round(latencyMs * 1e6),
        StatusCode: error ? 'Error' : 'Unset',
        SpanAttributes: attrs,
        ResourceAttributes: {
          [RESOURCE.SERVICE_NAME]: 'svc',
          [RESOURCE.PROJECT_ID]: opts.project,
          [RESOURCE.DEPLOYMENT_ENVIRONMENT]: opts.environment,
        },
      });
      spans.push(row);
      gens.push({
        version,
        ms,
        latencyMs: Math.round(latencyMs * 1e6) / 1e6,
        ttftMs,
        error,
        tokens: error ? 0 : input + output,
        quality,
      });
      if (quality !== null) {
        const score = logRow({
          Timestamp: new Date(ms + 1000).toISOString(),
          TraceId: row.TraceId,
          SpanId: row.SpanId,
          EventName: EVALUATION_EVENT_NAME,
          ResourceAttributes: {
            [RESOURCE.PROJECT_ID]: opts.project,
            [RESOURCE.DEPLOYMENT_ENVIRONMENT]: opts.environment,
          },
          LogAttributes: {
            [EVALUATION.NAME]: 'quality',
            [EVALUATION.ID]: `q-${id}`,
            [EVALUATION.SCORE_VALUE]: String(quality),
            [EVALUATION.DATA_TYPE]: 'numeric',
          },
        });
        (i % 3 === 0 ? earlyScores : lateScores).push(score);
      }
    }
  });
  return { gens, spans, earlyScores, lateScores };
}
