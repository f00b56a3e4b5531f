/**
 * The SDK's one logger: leveled, prefixed, writing to stderr. Level from `PROMPTLINE_LOG_LEVEL`
 * (`debug` | `info` | `warn` | `error` | `silent`, default `warn`). Telemetry problems are logged
 * here and never thrown into user code.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where log lines go; replaceable in tests through {@link setLogSink}. */
export type LogSink = (level: Exclude<LogLevel, 'silent'>, line: string) => void;

const stderrSink: LogSink = (_level, line) => {
  process.stderr.write(`${line}\n`);
};

let sink: LogSink = stderrSink;
let threshold = readLevel(process.env.PROMPTLINE_LOG_LEVEL);

function readLevel(raw: string | undefined): number {
  const key = (raw ?? '').trim().toLowerCase();
  return key in RANK ? RANK[key as LogLevel] : RANK.warn;
}

/**
 * Overrides the level (otherwise read once from `PROMPTLINE_LOG_LEVEL`).
 *
 * @example
 * ```ts
 * setLogLevel('debug');
 * ```
 */
export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level];
}

/**
 * Redirects log lines (`undefined` restores stderr), e.g. into the app's own logger.
 *
 * @example
 * ```ts
 * setLogSink((level, line) => appLogger[level](line));
 * ```
 */
export function setLogSink(next: LogSink | undefined): void {
  sink = next ?? stderrSink;
}

function format(arg: unknown): string {
  if (arg instanceof Error) return arg.message;
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}

function emit(level: Exclude<LogLevel, 'silent'>, message: string, args: readonly unknown[]): void {
  if (RANK[level] < threshold) return;
  const tail = args.length === 0 ? '' : ` ${args.map(format).join(' ')}`;
  try {
    sink(level, `[promptline] ${level}: ${message}${tail}`);
  } catch {
    // A broken sink must not break the caller either.
  }
}

/** @internal */
export const logger = {
  debug: (message: string, ...args: unknown[]): void => emit('debug', message, args),
  info: (message: string, ...args: unknown[]): void => emit('info', message, args),
  warn: (message: string, ...args: unknown[]): void => emit('warn', message, args),
  error: (message: string, ...args: unknown[]): void => emit('error', message, args),
};
