/**
 * The collector's logger: leveled lines on stderr, prefixed `[promptline-collector]`. Level from
 * `service.telemetry.logs.level` (env `PROMPTLINE_LOG_LEVEL`), default `info`. `once()` logs a
 * repeating condition a single time per key, with a count, until it is `reset()`.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where lines go; tests pass their own. */
export type LogSink = (line: string) => void;

export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
  /**
   * Logs `message` the first time `key` fires; later firings only count. `reset(key)` logs the
   * final count ("... (N times)") and re-arms it.
   */
  once(key: string, level: Exclude<LogLevel, 'silent'>, message: string): void;
  reset(key: string, message: string): void;
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

export function createLogger(level: LogLevel, sink?: LogSink): Logger {
  const threshold = RANK[level];
  const out: LogSink =
    sink ??
    ((line) => {
      process.stderr.write(`${line}\n`);
    });
  const counts = new Map<string, number>();
  const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string, args: readonly unknown[]): void => {
    if (RANK[lvl] < threshold) return;
    const tail = args.length === 0 ? '' : ` ${args.map(format).join(' ')}`;
    try {
      out(`${new Date().toISOString()} [promptline-collector] ${lvl}: ${message}${tail}`);
    } catch {
      // A broken sink must not break the collector.
    }
  };
  return {
    debug: (m, ...a) => emit('debug', m, a),
    info: (m, ...a) => emit('info', m, a),
    warn: (m, ...a) => emit('warn', m, a),
    error: (m, ...a) => emit('error', m, a),
    once(key, lvl, message) {
      const n = counts.get(key) ?? 0;
      counts.set(key, n + 1);
      if (n === 0) emit(lvl, `${message} (logged once until it clears)`, []);
    },
    reset(key, message) {
      const n = counts.get(key);
      if (n === undefined) return;
      counts.delete(key);
      emit('info', `${message} (${n} times)`, []);
    },
  };
}
