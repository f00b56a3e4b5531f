import { CliError } from './CliError.js';

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** 1900-01-01T00:00:00Z, the start of the range the schema's `DateTime64` columns store. */
const OLDEST_STORED_MS = Date.UTC(1900, 0, 1);

/**
 * Parses a window such as `90s`, `15m`, `24h`, `7d` or `2w` into milliseconds.
 *
 * @example parseDuration('24h') // 86_400_000
 */
export function parseDuration(text: string, optionName = '--since'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/.exec(text);
  const amount = match?.[1];
  const unit = match?.[2];
  if (amount === undefined || unit === undefined) {
    throw new CliError(`${optionName} "${text}" is not a duration`, {
      hint: 'use a number and a unit: 30m, 24h, 7d, 2w (s, m, h, d, w)',
      exitCode: 2,
    });
  }
  const ms = Number(amount) * (UNIT_MS[unit] ?? 0);
  if (!(ms > 0)) {
    throw new CliError(`${optionName} "${text}" must be longer than zero`, { exitCode: 2 });
  }
  // The schema stores times from 1900 on: a window ending now cannot reach further back.
  if (!(ms <= Date.now() - OLDEST_STORED_MS)) {
    throw new CliError(`${optionName} "${text}" reaches back before 1900-01-01, the oldest time stored`, {
      hint: 'use a shorter window, e.g. 30d',
      exitCode: 2,
    });
  }
  return ms;
}
