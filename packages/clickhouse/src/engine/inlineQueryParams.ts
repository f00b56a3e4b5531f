/**
 * Query parameters written into the statement as typed constants, for the embedded engine.
 *
 * chdb binds `{name:Type}` parameters through process-wide state that is not isolated between
 * connections, so it runs every parameterised query of the process one after another, whatever
 * connection it was sent on; statements without parameters run side by side on different
 * connections. Written as constants (`CAST(<literal> AS Type)`, a string as a quoted literal), the
 * engine's reads no longer queue behind each other. The values stay data: a string's quote and
 * backslash are always escaped and control bytes written as `\xHH`, so no value can end its literal;
 * a number must be a number of its type; a time must have the engine's time shape. The placeholders
 * themselves come from the package's own SQL, never from a caller.
 *
 * Anything not handled here (another type, a missing value, a value of the wrong kind) returns
 * `undefined`, and the caller sends the statement with its parameters as before (where the engine
 * reports the problem in its own words).
 *
 * @module
 */

/** Placeholder types written as constants (every other type keeps the engine's binding). */
const INTEGER = /^U?Int(8|16|32|64)$/;
const FLOAT = /^Float(32|64)$/;
const TIME =
  /^(Date|Date32|DateTime|DateTime\('[A-Za-z0-9_/+-]+'\)|DateTime64\(\d, '[A-Za-z0-9_/+-]+'\)|DateTime64\(\d\))$/;
/** The engine's text form of a date or time (what `chTime` writes). */
const TIME_TEXT = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d{1,9})?)?$/;
const INTEGER_TEXT = /^-?\d{1,20}$/;

const INT_RANGE: Record<string, [bigint, bigint]> = {
  UInt8: [0n, 255n],
  UInt16: [0n, 65_535n],
  UInt32: [0n, 4_294_967_295n],
  UInt64: [0n, 18_446_744_073_709_551_615n],
  Int8: [-128n, 127n],
  Int16: [-32_768n, 32_767n],
  Int32: [-2_147_483_648n, 2_147_483_647n],
  Int64: [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n],
};

/**
 * A JS string as a ClickHouse string literal holding exactly its UTF-8 bytes: `'` and `\` escaped,
 * control bytes (and DEL) as `\xHH`, everything else as it is.
 */
export function stringLiteral(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  let out = "'";
  let run = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0x27 || b === 0x5c || b < 0x20 || b === 0x7f) {
      if (i > run) out += bytes.toString('utf8', run, i);
      out += b === 0x27 ? "\\'" : b === 0x5c ? '\\\\' : `\\x${b.toString(16).padStart(2, '0')}`;
      run = i + 1;
    }
  }
  if (bytes.length > run) out += bytes.toString('utf8', run);
  return `${out}'`;
}

/** `value` as a constant of `type`, or `undefined` when this module does not write it. */
function constantOf(type: string, value: unknown): string | undefined {
  if (type === 'String') {
    return typeof value === 'string' ? stringLiteral(value) : undefined;
  }
  const array = /^Array\((.+)\)$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) return undefined;
    const items: string[] = [];
    for (const v of value) {
      const c = constantOf(array[1] as string, v);
      if (c === undefined) return undefined;
      items.push(c);
    }
    return `CAST([${items.join(', ')}] AS ${type})`;
  }
  const nullable = /^Nullable\((.+)\)$/.exec(type);
  if (nullable) {
    if (value === null) return `CAST(NULL AS ${type})`;
    const c = constantOf(nullable[1] as string, value);
    return c === undefined ? undefined : `CAST(${c} AS ${type})`;
  }
  if (INTEGER.test(type)) {
    let i: bigint;
    if (typeof value === 'bigint') i = value;
    else if (typeof value === 'number' && Number.isSafeInteger(value)) i = BigInt(value);
    else if (typeof value === 'string' && INTEGER_TEXT.test(value)) i = BigInt(value);
    else return undefined;
    const [lo, hi] = INT_RANGE[type] as [bigint, bigint];
    return i < lo || i > hi ? undefined : `CAST(${i.toString()} AS ${type})`;
  }
  if (FLOAT.test(type)) {
    return typeof value === 'number' && Number.isFinite(value)
      ? `CAST(${String(value)} AS ${type})`
      : undefined;
  }
  if (TIME.test(type)) {
    return typeof value === 'string' && TIME_TEXT.test(value)
      ? `CAST(${stringLiteral(value)} AS ${type})`
      : undefined;
  }
  if (type === 'Bool') {
    return typeof value === 'boolean' ? (value ? 'true' : 'false') : undefined;
  }
  return undefined;
}

/**
 * `sql` with every `{name:Type}` placeholder replaced by its value from `params` as a constant of
 * `Type` (see the module comment), or `undefined` when a placeholder's type or value is not one this
 * module writes (or names no parameter). Quoted strings, quoted names and comments are left as
 * they are: a `{` in them is no placeholder.
 *
 * @example
 * inlineQueryParams('SELECT {n:UInt32} AS n, {s:String} AS s', { n: 3, s: "it's" });
 * // "SELECT CAST(3 AS UInt32) AS n, 'it\\'s' AS s"
 */
export function inlineQueryParams(sql: string, params: Record<string, unknown>): string | undefined {
  let out = '';
  let from = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"' || c === '`') {
      // A quoted string or name: up to its closing quote (backslash escapes; a doubled quote).
      i++;
      while (i < n) {
        if (sql[i] === '\\') i += 2;
        else if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else break;
        } else i++;
      }
      i++;
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '{') {
      const m = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/y;
      m.lastIndex = i;
      const found = m.exec(sql);
      if (!found) {
        i++;
        continue;
      }
      const [whole, name, rawType] = found as unknown as [string, string, string];
      if (!Object.hasOwn(params, name)) return undefined;
      const constant = constantOf(rawType.trim(), params[name]);
      if (constant === undefined) return undefined;
      out += sql.slice(from, i) + constant;
      i += whole.length;
      from = i;
    } else i++;
  }
  return out + sql.slice(from);
}
