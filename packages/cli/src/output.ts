/**
 * The CLI's only door to the terminal. Every command writes through an {@link Output}, so
 * machine-readable output (`--json`) stays on stdout while progress and diagnostics go to stderr.
 */

export interface Progress {
  /** Marks the step as done, with an optional detail (`✓ label detail (1.2 s)`). */
  done(detail?: string): void;
  /** Marks the step as failed; the caller still reports the error itself. */
  fail(detail?: string): void;
}

export interface Output {
  /** A line of normal output on stdout. */
  line(text?: string): void;
  /** A value as pretty JSON on stdout (a single document, nothing else is written to stdout). */
  json(value: unknown): void;
  /** A note for the human on stderr (never mixed into stdout). */
  note(text: string): void;
  /** A warning on stderr. */
  warn(text: string): void;
  /** An error on stderr, with an optional hint on how to fix it. */
  error(text: string, hint?: string): void;
  /** Starts a long operation: prints `… label` on stderr now and its outcome later. */
  progress(label: string): Progress;
}

export interface OutputStreams {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
}

/** Creates the output module over the process streams (or the given ones, for tests). */
export function createOutput(
  streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr },
): Output {
  const { stdout, stderr } = streams;
  return {
    line(text = '') {
      stdout.write(`${text}\n`);
    },
    json(value) {
      stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    note(text) {
      stderr.write(`${text}\n`);
    },
    warn(text) {
      stderr.write(`warning: ${text}\n`);
    },
    error(text, hint) {
      stderr.write(`error: ${text}\n`);
      if (hint !== undefined) stderr.write(`  hint: ${hint}\n`);
    },
    progress(label) {
      const started = Date.now();
      let settled = false;
      stderr.write(`… ${label}\n`);
      const finish = (mark: string, detail?: string): void => {
        if (settled) return;
        settled = true;
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        stderr.write(`${mark} ${label}${detail === undefined ? '' : ` ${detail}`} (${seconds} s)\n`);
      };
      return {
        done: (detail) => finish('✓', detail),
        fail: (detail) => finish('✗', detail),
      };
    },
  };
}
