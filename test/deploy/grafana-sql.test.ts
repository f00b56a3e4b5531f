/**
 * The test-support renderer expands queries the way the ClickHouse plugin documents it
 * (macro table of grafana-clickhouse-datasource v4), so the dashboard tests run what Grafana
 * would send. Pure string tests: no engine needed.
 */
import { describe, expect, it } from 'vitest';
import { renderAlertSql, renderDashboardSql } from './support/grafanaSql.js';
import type { VariableState } from './support/grafanaSql.js';

const from = new Date('2026-11-01T00:00:00Z');
const to = new Date('2026-11-08T12:30:00Z');
const fromS = from.getTime() / 1000;
const toS = to.getTime() / 1000;

const vars: Record<string, VariableState> = {
  prompt: { options: ['summarize', 'classify'], current: ['summarize'] },
  version: { options: ['1', '2', '3'], current: ['2', '3'], multi: true },
  label: { options: ['production', 'staging'], current: '$__all', multi: true },
  env: { options: ['prod'], current: '$__all', allValue: '.*' },
  tricky: { options: ["o'brien"], current: ["o'brien"] },
};

describe('renderDashboardSql', () => {
  it('expands the time macros to the documented ClickHouse expressions', () => {
    const sql = renderDashboardSql(
      'SELECT $__timeInterval(bucket) t FROM x WHERE $__timeFilter(bucket) AND d BETWEEN $__fromTime AND $__toTime',
      { from, to, intervalSeconds: 3600 },
    );
    expect(sql).toBe(
      `SELECT toStartOfInterval(toDateTime(bucket), INTERVAL 3600 second) t FROM x ` +
        `WHERE bucket >= toDateTime(${fromS}) AND bucket <= toDateTime(${toS}) ` +
        `AND d BETWEEN toDateTime(${fromS}) AND toDateTime(${toS})`,
    );
  });

  it('expands millisecond and date variants and $__interval_s', () => {
    const sql = renderDashboardSql(
      '$__timeFilter_ms(ts) | $__dateFilter(day) | $__fromTime_ms | $__toTime_ms | $__interval_s | $__timeInterval_ms(ts)',
      { from, to, intervalSeconds: 30 },
    );
    expect(sql).toBe(
      `ts >= fromUnixTimestamp64Milli(${from.getTime()}) AND ts <= fromUnixTimestamp64Milli(${to.getTime()}) | ` +
        `day >= toDate('2026-11-01') AND day <= toDate('2026-11-08') | ` +
        `fromUnixTimestamp64Milli(${from.getTime()}) | fromUnixTimestamp64Milli(${to.getTime()}) | 30 | ` +
        `toStartOfInterval(toDateTime64(ts, 3), INTERVAL 30000 millisecond)`,
    );
  });

  it('$__conditionalAll keeps the condition for a selection and becomes 1=1 for All', () => {
    const sql = renderDashboardSql(
      'WHERE $__conditionalAll(label IN (${label:singlequote}), $label) AND $__conditionalAll(version IN (${version:csv}), $version)',
      { from, to, variables: vars },
    );
    expect(sql).toBe('WHERE 1=1 AND version IN (2,3)');
  });

  it('formats variables like Grafana with the plugin formatter', () => {
    const v = { from, to, variables: vars };
    expect(renderDashboardSql("p = '$prompt'", v)).toBe("p = 'summarize'");
    expect(renderDashboardSql('v IN ($version)', v)).toBe("v IN ('2','3')");
    expect(renderDashboardSql('l IN (${label:singlequote})', v)).toBe("l IN ('production','staging')");
    expect(renderDashboardSql('l IN ([[label]])', v)).toBe("l IN ('production','staging')");
    expect(renderDashboardSql("match(e, '${env:raw}')", v)).toBe("match(e, '.*')");
    expect(renderDashboardSql('n = ${tricky:singlequote}', v)).toBe("n = 'o\\'brien'");
    expect(renderDashboardSql('n = ${tricky:sqlstring}', v)).toBe("n = 'o''brien'");
  });

  it('fails on unknown variables, macros, formats and unbalanced macro calls', () => {
    expect(() => renderDashboardSql('x = $nope', { from, to, variables: vars })).toThrow(/\$nope/);
    expect(() => renderDashboardSql('$__timeFiltr(t)', { from, to })).toThrow(/\$__timeFiltr/);
    expect(() => renderDashboardSql('${prompt:json}', { from, to, variables: vars })).toThrow(/json/);
    expect(() => renderDashboardSql('$__timeFilter(t', { from, to })).toThrow(/unbalanced/);
    expect(() => renderDashboardSql('$__conditionalAll(a, $zzz)', { from, to, variables: vars })).toThrow(
      /zzz/,
    );
  });

  it('does not split macro arguments on commas inside strings or nested calls', () => {
    const sql = renderDashboardSql("$__conditionalAll(f(a, ',', b) = 1, $prompt)", {
      from,
      to,
      variables: vars,
    });
    expect(sql).toBe("f(a, ',', b) = 1");
  });
});

describe('renderAlertSql', () => {
  it('expands backend macros only and rejects dashboard-only constructs', () => {
    expect(renderAlertSql('WHERE $__timeFilter(b)', { from, to })).toBe(
      `WHERE b >= toDateTime(${fromS}) AND b <= toDateTime(${toS})`,
    );
    expect(() => renderAlertSql("WHERE p = '$prompt'", { from, to })).toThrow(/\$prompt/);
    expect(() => renderAlertSql('WHERE $__conditionalAll(a, $b)', { from, to })).toThrow(/conditionalAll/);
  });
});
