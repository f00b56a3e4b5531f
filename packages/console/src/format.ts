/**
 * How the console writes numbers. Plain functions (no DOM), shared with the browser tests, which
 * check that the page shows exactly what the read API answered.
 */

/** An integer count: `1234567` → `1,234,567`. */
export function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
}

/** Milliseconds: `87.4` → `87 ms`, `1234` → `1.23 s`. */
export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (Math.abs(v) >= 10) return `${Math.round(v)} ms`;
  return `${v.toFixed(1)} ms`;
}

/** US dollars: `0` → `$0`, `12.3` → `$12.30`, `0.000123` → `$0.00012`. */
export function fmtUsd(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '$0';
  if (Math.abs(v) >= 1) return `$${v.toFixed(2)}`;
  return `$${Number(v.toPrecision(2))}`;
}

/** A 0..1 rate as a percentage: `0.0312` → `3.1%`. */
export function fmtRate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return `${(v * 100).toFixed(1)}%`;
}

/** A plain number with up to 3 significant decimals: `0.81234` → `0.812`. */
export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return fmtCount(v);
  if (Math.abs(v) >= 100) return v.toFixed(1);
  return Number(v.toPrecision(3)).toString();
}

/**
 * A p-value: `0.0000123` → `1.2e-5`, `0.0432` → `0.043`; `0` → `<1e-15` (a p-value is never 0: a 0
 * is one too small for a double after `1 − cdf`, or a test of two samples without spread).
 */
export function fmtP(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v <= 0) return '<1e-15';
  if (v < 0.001) return v.toExponential(1);
  return v.toFixed(3);
}

/** A relative change: `0.123` → `+12.3%`. */
export function fmtChange(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
}

/** ISO time → `2026-11-20 12:34` (UTC). */
export function fmtTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '–';
  return `${iso.replace('T', ' ').slice(0, 16)} UTC`;
}

/**
 * Labels of a chart's time axis (ticks in epoch seconds), in UTC like every time the console shows:
 * `HH:MM`, with the date (`MM-DD HH:MM`) on the first tick and at midnight; over more than two days,
 * the date alone at midnight.
 */
export function fmtAxisTimes(ticks: readonly number[], spanSeconds: number): string[] {
  const days = spanSeconds > 2 * 86_400;
  return ticks.map((t, i) => {
    const iso = new Date(t * 1000).toISOString();
    const date = iso.slice(5, 10);
    const time = iso.slice(11, 16);
    if (days) return time === '00:00' ? date : `${date} ${time}`;
    return i === 0 || time === '00:00' ? `${date} ${time}` : time;
  });
}

/** ISO time → `2026-11-20 12:34:56` (UTC). */
export function fmtTimeSeconds(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '–';
  return `${iso.replace('T', ' ').slice(0, 19)} UTC`;
}

/** A version as the read API lists it: the stored number and the version as sent. */
export interface VersionRef {
  version: number;
  versionName?: string;
}

/**
 * How a version is shown, as the CLI shows it: `v3` for whole-number versions, the name as sent
 * otherwise (`2.1.0`, `2.2.0-rc1`, implicit `#a1b2c3d4`).
 */
export function versionLabel(v: VersionRef): string {
  const name = v.versionName ?? '';
  if (name === '' || name === String(v.version)) return `v${v.version}`;
  return name;
}

/**
 * How a version is given in a URL (the console's and the read API's `version`, `baseline`,
 * `candidate`): as sent (`3`, `2.1.0`), which the read API takes as typed. A name that would read as
 * a stored id (ten digits, 2^31 or more) is given by its id instead.
 */
export function versionParam(v: VersionRef): string {
  const name = v.versionName ?? '';
  if (name === '' || (/^[0-9]{10}$/.test(name.trim()) && Number(name.trim()) >= 2 ** 31))
    return String(v.version);
  return name;
}

/** Whether `text` (a URL's `3`, `v3`, `2.1.0`, or a stored number) names version `v`. */
export function isVersion(v: VersionRef, text: string): boolean {
  const t = text.trim();
  return (
    t === versionParam(v) ||
    t === String(v.version) ||
    (/^[vV][0-9]+$/.test(t) && t.slice(1) === String(v.version))
  );
}
