import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdent } from '../schema/renderSql.js';

/** Usage types a model price can be given for. */
export type UsageType = 'input' | 'output' | 'cache_read' | 'cache_write' | 'reasoning';
export const USAGE_TYPES: readonly UsageType[] = [
  'input',
  'output',
  'cache_read',
  'cache_write',
  'reasoning',
];

/** One row of `promptline_model_prices`. */
export interface ModelPrice {
  /** RE2 regular expression matched against the model name, e.g. `^gpt-4o-mini(-\d{4}-\d{2}-\d{2})?$`. */
  modelPattern: string;
  usageType: UsageType;
  /** USD per one million tokens. */
  usdPerMillion: number;
  /** First instant the price applies. Default 1970-01-01. */
  effectiveFrom?: Date;
  /** Tier: applies when the request's input tokens are ≥ this. Default 0. */
  minInputTokens?: number;
  provider?: string;
  note?: string;
  /** Mark a price deleted (hides an earlier row with the same key). */
  deleted?: boolean;
}

/**
 * Insert or replace model prices (same pattern, usage type, effective date and tier = replace).
 * Patterns are compiled by the engine first: an invalid pattern is rejected with its index, and
 * nothing is written. New prices apply to spans inserted afterwards (costs are computed at insert).
 *
 * @example
 * await upsertModelPrices(client, [
 *   { modelPattern: '^my-model$', usageType: 'input', usdPerMillion: 0.5 },
 *   { modelPattern: '^my-model$', usageType: 'output', usdPerMillion: 1.5 },
 * ]);
 */
export async function upsertModelPrices(
  client: ClickHouseClient,
  prices: readonly ModelPrice[],
  opts: { database?: string } = {},
): Promise<void> {
  const db = quoteIdent(opts.database ?? 'default', 'database');
  prices.forEach((p, i) => {
    const bad = (what: string): never => {
      throw new Error(`model price ${i}: ${what}; nothing written`);
    };
    if (typeof p.modelPattern !== 'string' || p.modelPattern === '')
      bad('modelPattern must be a non-empty string');
    if (!USAGE_TYPES.includes(p.usageType)) bad(`usageType must be one of ${USAGE_TYPES.join(', ')}`);
    if (!Number.isFinite(p.usdPerMillion) || p.usdPerMillion < 0)
      bad('usdPerMillion must be a finite number ≥ 0');
    if (p.minInputTokens !== undefined && !(Number.isInteger(p.minInputTokens) && p.minInputTokens >= 0)) {
      bad('minInputTokens must be a non-negative integer');
    }
    if (p.effectiveFrom !== undefined && isNaN(p.effectiveFrom.getTime()))
      bad('effectiveFrom is not a valid Date');
  });
  if (prices.length === 0) return;
  for (let i = 0; i < prices.length; i++) {
    try {
      await client.query({
        query: "SELECT multiMatchAny('', {p:Array(String)}) AS ok",
        query_params: { p: [prices[i]?.modelPattern] },
        format: 'JSONEachRow',
      });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new Error(
        `model price ${i}: modelPattern ${JSON.stringify(prices[i]?.modelPattern)} does not compile: ${msg}`,
      );
    }
  }
  const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
  await client.insert({
    table: `${db}.promptline_model_prices`,
    format: 'JSONEachRow',
    values: prices.map((p) => ({
      model_pattern: p.modelPattern,
      usage_type: p.usageType,
      effective_from: Math.floor((p.effectiveFrom?.getTime() ?? 0) / 1000),
      min_input_tokens: p.minInputTokens ?? 0,
      usd_per_million: p.usdPerMillion,
      provider: p.provider ?? '',
      note: p.note ?? '',
      updated_at: now,
      is_deleted: p.deleted === true ? 1 : 0,
    })),
  });
}

/** Current (non-deleted) model prices, ordered by pattern, usage type, effective date and tier. */
export async function listModelPrices(
  client: ClickHouseClient,
  opts: { database?: string } = {},
): Promise<ModelPrice[]> {
  const db = quoteIdent(opts.database ?? 'default', 'database');
  const rs = await client.query({
    query: `SELECT model_pattern, usage_type, toUnixTimestamp(effective_from) AS effective_from, min_input_tokens,
  usd_per_million, provider, note
FROM ${db}.promptline_model_prices FINAL
ORDER BY model_pattern, usage_type, effective_from, min_input_tokens`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{
    model_pattern: string;
    usage_type: UsageType;
    effective_from: number;
    min_input_tokens: string | number;
    usd_per_million: number;
    provider: string;
    note: string;
  }>();
  return rows.map((r) => ({
    modelPattern: r.model_pattern,
    usageType: r.usage_type,
    usdPerMillion: r.usd_per_million,
    effectiveFrom: new Date(Number(r.effective_from) * 1000),
    minInputTokens: Number(r.min_input_tokens),
    provider: r.provider,
    note: r.note,
  }));
}
