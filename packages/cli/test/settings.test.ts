import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CliError } from '../src/CliError.js';
import { parseDuration } from '../src/duration.js';
import { resolveClickHouseUrl, resolveEngineDir, resolveHome, resolvePort } from '../src/settings.js';

describe('settings: option → environment → default', () => {
  it('takes the option over the environment over the default', () => {
    const env = { PROMPTLINE_HOME: '/from/env' };
    expect(resolveHome('/from/option', env)).toEqual({ value: '/from/option', source: 'option' });
    expect(resolveHome(undefined, env)).toEqual({ value: '/from/env', source: 'env' });
    expect(resolveHome(undefined, {})).toEqual({ value: resolve('.promptline'), source: 'default' });
    expect(resolveEngineDir(undefined, {})).toBe(resolve('.promptline/data'));
    expect(resolveEngineDir('/x', {})).toBe('/x/data');
    // PROMPTLINE_DATA_DIR is the engine directory (as for the collector); the home is its parent.
    const shared = { PROMPTLINE_DATA_DIR: '/srv/pl/engine' };
    expect(resolveEngineDir(undefined, shared)).toBe('/srv/pl/engine');
    expect(resolveHome(undefined, shared)).toEqual({ value: '/srv/pl', source: 'env' });
    expect(resolveEngineDir('/x', shared)).toBe('/x/data');
    expect(resolvePort(undefined, { PROMPTLINE_PORT: '9999' })).toEqual({ value: 9999, source: 'env' });
    expect(resolvePort('0', { PROMPTLINE_PORT: '9999' })).toEqual({ value: 0, source: 'option' });
    expect(resolvePort(undefined, {})).toEqual({ value: 4318, source: 'default' });
    expect(resolveClickHouseUrl(undefined, {})).toBeUndefined();
    expect(resolveClickHouseUrl(undefined, { PROMPTLINE_CLICKHOUSE_URL: 'http://ch:8123/' })).toEqual({
      value: 'http://ch:8123',
      source: 'env',
    });
  });

  it('names the bad setting and where it came from', () => {
    expect(() => resolvePort(undefined, { PROMPTLINE_PORT: 'eighty' })).toThrow(
      /PROMPTLINE_PORT "eighty" is not a port/,
    );
    expect(() => resolvePort('70000', {})).toThrow(/--port "70000"/);
    expect(() => resolveClickHouseUrl('ftp://x', {})).toThrow(/must use http or https/);
    expect(() => resolveClickHouseUrl('not a url', {})).toThrow(CliError);
  });
});

describe('parseDuration', () => {
  it('reads every unit', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
  });

  it('rejects what is not a positive duration, with a usage hint', () => {
    for (const bad of ['24', 'h', '-1h', '0h', '1y', '']) {
      let caught: unknown;
      try {
        parseDuration(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).toBeInstanceOf(CliError);
      expect((caught as CliError).exitCode).toBe(2);
    }
  });
});
