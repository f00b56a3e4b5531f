import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CliError } from '../src/CliError.js';
import { parseDuration } from '../src/duration.js';
import { warnDeprecatedVariable } from '../src/environment.js';
import {
  resolveClickHouseUrl,
  resolveEngineDir,
  resolveHome,
  resolveHost,
  resolvePort,
} from '../src/settings.js';
import { captureOutput } from './captureOutput.js';

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

  it('PROMPTLINE_COLLECTOR_ENDPOINT replaces the deprecated PROMPTLINE_HOST / PROMPTLINE_PORT', () => {
    const old = { PROMPTLINE_HOST: '0.0.0.0', PROMPTLINE_PORT: '9999' };
    // Still read while the new name is unset…
    expect(resolveHost(undefined, old)).toEqual({ value: '0.0.0.0', source: 'env' });
    expect(resolvePort(undefined, old)).toEqual({ value: 9999, source: 'env' });
    // …and ignored once it is set: the collector's config applies PROMPTLINE_COLLECTOR_ENDPOINT.
    const both = { ...old, PROMPTLINE_COLLECTOR_ENDPOINT: '127.0.0.1:5000' };
    expect(resolveHost(undefined, both)).toEqual({ value: '127.0.0.1', source: 'default' });
    expect(resolvePort(undefined, both)).toEqual({ value: 4318, source: 'default' });
    expect(resolvePort('0', both)).toEqual({ value: 0, source: 'option' });
    // One warning per name and process.
    const { out, stderr } = captureOutput();
    warnDeprecatedVariable(out, 'PROMPTLINE_PORT');
    warnDeprecatedVariable(out, 'PROMPTLINE_PORT');
    expect(stderr().match(/PROMPTLINE_PORT is deprecated/g)).toHaveLength(1);
    expect(stderr()).toContain('set PROMPTLINE_COLLECTOR_ENDPOINT=host:port (or --port) instead');
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

  it('rejects a window reaching back before 1900 (the schema stores no earlier time), naming the option', () => {
    for (const long of ['1000000d', '99999999999999999999d']) {
      expect(() => parseDuration(long, '--max-window'), long).toThrow(
        `--max-window "${long}" reaches back before 1900-01-01, the oldest time stored`,
      );
    }
    expect(parseDuration('36500d')).toBe(36_500 * 86_400_000);
  });
});
