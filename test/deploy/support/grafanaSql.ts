/**
 * Renders a Grafana ClickHouse-plugin SQL query the way Grafana and the official plugin
 * (grafana-clickhouse-datasource v4) do before it reaches ClickHouse, so tests can run
 * dashboard, template-variable and alert queries against the real engine.
 *
 * Order, as in the plugin:
 * 1. `$__conditionalAll(condition, $var)` (plugin frontend): `condition`, or `1=1` when the
 *    variable is set to All or is empty.
 * 2. Template variables (Grafana's template service with the plugin's formatter):
 *    `$var`, `${var}`, `${var:format}`, `[[var]]`. Multi-value and All selections become
 *    `'a','b'` by default; a single value is inserted as is.
 * 3. Backend macros (plugin backend, also the only step alert rules get):
 *    `$__timeFilter(col)` → `col >= toDateTime(from) AND col <= toDateTime(to)`,
 *    `$__timeFilter_ms`, `$__dateFilter`, `$__fromTime`, `$__toTime` (+ `_ms`),
 *    `$__timeInterval(col)` → `toStartOfInterval(toDateTime(col), INTERVAL n second)`,
 *    `$__timeInterval_ms`, `$__interval_s`.
 *
 * Anything that still looks like a macro or a variable afterwards is an error: a typo in a
 * dashboard must fail the test, not reach ClickHouse as text.
 */

/** The state of one dashboard template variable. */
export interface VariableState {
  /** Every option the variable's query returned (what All expands to). */
  options: readonly string[];
  /** Selected values, or `'$__all'` for All. */
  current: readonly string[] | '$__all';
  /** Whether the variable allows several values (an array is formatted even with one value). */
  multi?: boolean;
  /** The variable's custom all value, used verbatim when All is selected. */
  allValue?: string;
}

export interface RenderContext {
  from: Date;
  to: Date;
  /** Panel interval in seconds (Grafana's `$__interval`, at least 1). */
  intervalSeconds?: number;
  variables?: Readonly<Record<string, VariableState>>;
}

/** Splits the argument list that starts at `open` (index of `(`); returns args and the index after `)`. */
function macroArgs(sql: string, open: number): { args: string[]; end: number } {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  let quote: string | null = null;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(sql.slice(start, i));
        return { args, end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  throw new Error(`unbalanced parentheses in macro at offset ${open}: ${sql.slice(open, open + 60)}`);
}

function applyConditionalAll(sql: string, variables: Readonly<Record<string, VariableState>>): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  let at = out.lastIndexOf(macro);
  while (at !== -1) {
    const { args, end } = macroArgs(out, at + macro.length - 1);
    if (args.length !== 2) throw new Error(`$__conditionalAll needs 2 arguments, got ${args.length}`);
    const [condition, ref] = args as [string, string];
    const name = ref
      .trim()
      .replace(/^\$\{?/, '')
      .replace(/\}$/, '');
    const v = variables[name];
    if (v === undefined) throw new Error(`$__conditionalAll refers to unknown variable ${ref.trim()}`);
    const isAll = v.current === '$__all' || v.current.length === 0 || v.current.every((x) => x === '');
    out = out.slice(0, at) + (isAll ? '1=1' : condition) + out.slice(end);
    at = out.lastIndexOf(macro);
  }
  return out;
}

function sqlQuote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function formatVariable(name: string, v: VariableState, format: string | undefined): string {
  if (v.current === '$__all' && v.allValue !== undefined) return v.allValue;
  const values = v.current === '$__all' ? [...v.options] : [...v.current];
  const asArray = v.current === '$__all' || v.multi === true || values.length !== 1;
  switch (format) {
    case undefined:
      // The plugin's own formatter: arrays quoted and comma-joined, single values raw.
      return asArray ? values.map((x) => `'${x}'`).join(',') : (values[0] ?? '');
    case 'singlequote':
      return values.map(sqlQuote).join(',');
    case 'sqlstring':
      return values.map((x) => `'${x.replace(/'/g, "''")}'`).join(',');
    case 'csv':
      return values.join(',');
    case 'raw':
      return values.join(',');
    default:
      throw new Error(`unsupported variable format \${${name}:${format}}`);
  }
}

function interpolateVariables(sql: string, variables: Readonly<Record<string, VariableState>>): string {
  const pattern = /\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]|\$(\w+)/g;
  return sql.replace(pattern, (whole, n1?: string, f1?: string, n2?: string, f2?: string, n3?: string) => {
    const name = n1 ?? n2 ?? n3 ?? '';
    if (name.startsWith('__')) return whole; // a macro: left for the backend step
    const v = variables[name];
    if (v === undefined) throw new Error(`query uses undefined template variable ${whole}`);
    return formatVariable(name, v, f1 ?? f2);
  });
}

function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function applyBackendMacros(sql: string, ctx: RenderContext): string {
  const interval = Math.max(1, Math.floor(ctx.intervalSeconds ?? 60));
  const from = seconds(ctx.from);
  const to = seconds(ctx.to);
  const fromMs = ctx.from.getTime();
  const toMs = ctx.to.getTime();
  const withArgs: Record<string, (args: string[]) => string> = {
    timeFilter: ([c]) => `${c} >= toDateTime(${from}) AND ${c} <= toDateTime(${to})`,
    timeFilter_ms: ([c]) =>
      `${c} >= fromUnixTimestamp64Milli(${fromMs}) AND ${c} <= fromUnixTimestamp64Milli(${toMs})`,
    dateFilter: ([c]) => `${c} >= toDate('${isoDate(ctx.from)}') AND ${c} <= toDate('${isoDate(ctx.to)}')`,
    timeInterval: ([c]) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${interval} second)`,
    timeInterval_ms: ([c]) =>
      `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${interval * 1000} millisecond)`,
  };
  const bare: Record<string, string> = {
    fromTime: `toDateTime(${from})`,
    toTime: `toDateTime(${to})`,
    fromTime_ms: `fromUnixTimestamp64Milli(${fromMs})`,
    toTime_ms: `fromUnixTimestamp64Milli(${toMs})`,
    interval_s: String(interval),
  };
  let out = '';
  let i = 0;
  for (;;) {
    const at = sql.indexOf('$__', i);
    if (at === -1) return out + sql.slice(i);
    out += sql.slice(i, at);
    const name = /^\$__(\w+)/.exec(sql.slice(at))?.[1] ?? '';
    const after = at + 3 + name.length;
    const fn = withArgs[name];
    if (fn !== undefined) {
      if (sql[after] !== '(') throw new Error(`macro $__${name} needs (column)`);
      const { args, end } = macroArgs(sql, after);
      if (args.length !== 1 || args[0]!.trim() === '') throw new Error(`macro $__${name} takes one column`);
      out += fn([args[0]!.trim()]);
      i = end;
    } else if (bare[name] !== undefined) {
      // `$__fromTime()` is accepted too
      out += bare[name];
      i = sql.startsWith('()', after) ? after + 2 : after;
    } else {
      throw new Error(`unknown macro $__${name}`);
    }
  }
}

/** Expands macros and template variables in a dashboard / template-variable query. */
export function renderDashboardSql(sql: string, ctx: RenderContext): string {
  const variables = ctx.variables ?? {};
  const withConditions = applyConditionalAll(sql, variables);
  const withVariables = interpolateVariables(withConditions, variables);
  return applyBackendMacros(withVariables, ctx);
}

/**
 * Expands an alert-rule query: Grafana alerting runs it in the backend only, so template
 * variables and `$__conditionalAll` are not available there and are an error.
 */
export function renderAlertSql(sql: string, ctx: Omit<RenderContext, 'variables'>): string {
  if (sql.includes('$__conditionalAll')) throw new Error('$__conditionalAll does not work in alert rules');
  const variable = /\$\{\w+(?::\w+)?\}|\[\[\w+\]\]|\$(?!__)\w+/.exec(sql);
  if (variable !== null) throw new Error(`template variable ${variable[0]} does not work in alert rules`);
  return applyBackendMacros(sql, ctx);
}
