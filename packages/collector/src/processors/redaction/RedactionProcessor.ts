import { FOREIGN_CONTENT_KEYS, GEN_AI, PROMPTLINE } from '@promptline/semconv';
import type { AttributeMap, LogRow, TraceRow } from '../../otlp/rowTypes.js';
import type { ProcessContext, Processor } from '../Processor.js';

/** A named pattern whose matches are replaced by `[REDACTED:<name>]` (or `replacement`). */
export interface RedactionPattern {
  name: string;
  regex: RegExp;
  replacement: string;
  /** Extra check on a match (e.g. the Luhn checksum of card numbers). */
  accept?: (match: string) => boolean;
}

/** Built-in pattern names. */
export type BuiltinPatternName = 'email' | 'phone' | 'card' | 'api_key';

function luhn(text: string): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    digits++;
    let d = c;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}

/** The built-in patterns: e-mail addresses, phone numbers, payment card numbers (Luhn), API keys. */
export function builtinPattern(name: BuiltinPatternName): RedactionPattern {
  switch (name) {
    case 'email':
      return {
        name,
        regex: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
        replacement: '[REDACTED:email]',
      };
    case 'phone':
      return {
        name,
        regex: /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}(?!\w)/g,
        replacement: '[REDACTED:phone]',
      };
    case 'card':
      return {
        name,
        regex: /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/g,
        replacement: '[REDACTED:card]',
        accept: luhn,
      };
    case 'api_key':
      return {
        name,
        regex:
          /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}|\bxox[abpr]-[A-Za-z0-9-]{10,}|\bpl_[A-Za-z0-9_-]{20,}|\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*/g,
        replacement: '[REDACTED:api_key]',
      };
  }
}

export const BUILTIN_PATTERN_NAMES: readonly BuiltinPatternName[] = ['email', 'phone', 'card', 'api_key'];

/**
 * Attributes that carry prompt / completion content, scanned in `scope: content`: ours and those of
 * Langfuse, OpenInference, OpenLLMetry and the Vercel AI SDK. `*` in a key stands for one
 * dot-separated segment, `**` for one or more (see {@link contentKeyMatcher}).
 */
export const DEFAULT_CONTENT_KEYS: readonly string[] = [
  GEN_AI.INPUT_MESSAGES,
  GEN_AI.OUTPUT_MESSAGES,
  PROMPTLINE.INPUT,
  PROMPTLINE.OUTPUT,
  ...FOREIGN_CONTENT_KEYS,
];

/**
 * Splits content keys into exact keys and one regular expression for the wildcard ones (`*`: one
 * dot-separated segment, `**`: one or more segments), or `undefined` when there are none.
 */
export function contentKeyMatcher(keys: readonly string[]): { exact: Set<string>; pattern?: RegExp } {
  const exact = new Set<string>();
  const patterns: string[] = [];
  for (const key of keys) {
    if (!key.includes('*')) {
      exact.add(key);
      continue;
    }
    const parts = key
      .split(/(\*\*|\*)/)
      .map((part) =>
        part === '**' ? '.+' : part === '*' ? '[^.]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
      );
    patterns.push(parts.join(''));
  }
  return patterns.length === 0 ? { exact } : { exact, pattern: new RegExp(`^(?:${patterns.join('|')})$`) };
}

export interface RedactionOptions {
  patterns: RedactionPattern[];
  /** `content`: only content attributes, content-bearing events and log bodies; `all`: every value. */
  scope: 'content' | 'all';
  contentKeys: readonly string[];
  /** Attribute keys removed outright, wherever they appear. */
  dropKeys: readonly string[];
  /** Also scan log record bodies. */
  logBodies: boolean;
}

/**
 * Redacts prompt/completion content and attribute values by patterns. Regular expressions run only
 * on the values the configuration selects.
 */
export class RedactionProcessor implements Processor {
  readonly name: string;
  private readonly opts: RedactionOptions;
  private readonly contentKeys: Set<string>;
  private readonly contentPattern: RegExp | undefined;
  private readonly redacted: Record<string, number> = {};
  private dropped = 0;

  constructor(name: string, opts: RedactionOptions) {
    this.name = name;
    this.opts = opts;
    const matcher = contentKeyMatcher(opts.contentKeys);
    this.contentKeys = matcher.exact;
    this.contentPattern = matcher.pattern;
    for (const p of opts.patterns) this.redacted[p.name] = 0;
  }

  /** Applies every pattern to one value. */
  redact(value: string): string {
    let out = value;
    for (const p of this.opts.patterns) {
      p.regex.lastIndex = 0;
      if (!p.regex.test(out)) continue;
      p.regex.lastIndex = 0;
      out = out.replace(p.regex, (m) => {
        if (p.accept !== undefined && !p.accept(m)) return m;
        this.redacted[p.name] = (this.redacted[p.name] ?? 0) + 1;
        return p.replacement;
      });
    }
    return out;
  }

  private map(map: AttributeMap, everything: boolean): void {
    for (const key of this.opts.dropKeys) {
      if (Object.hasOwn(map, key)) {
        delete map[key];
        this.dropped++;
      }
    }
    if (this.opts.patterns.length === 0) return;
    if (everything) {
      for (const key in map) map[key] = this.redact(map[key]!);
    } else if (this.contentPattern !== undefined) {
      const pattern = this.contentPattern;
      for (const key in map) {
        if (this.contentKeys.has(key) || pattern.test(key)) map[key] = this.redact(map[key]!);
      }
    } else {
      for (const key of this.contentKeys) {
        if (Object.hasOwn(map, key)) map[key] = this.redact(map[key]!);
      }
    }
  }

  processTraces(rows: TraceRow[], _ctx: ProcessContext): TraceRow[] {
    const all = this.opts.scope === 'all';
    const resources = new Set<AttributeMap>();
    for (const row of rows) {
      this.map(row.SpanAttributes, all);
      const events = row['Events.Attributes'];
      for (let i = 0; i < events.length; i++) this.map(events[i]!, all);
      if (all) {
        resources.add(row.ResourceAttributes);
        const links = row['Links.Attributes'];
        for (let i = 0; i < links.length; i++) this.map(links[i]!, true);
        if (row.StatusMessage !== '') row.StatusMessage = this.redact(row.StatusMessage);
      }
    }
    for (const m of resources) this.map(m, true);
    return rows;
  }

  processLogs(rows: LogRow[], _ctx: ProcessContext): LogRow[] {
    const all = this.opts.scope === 'all';
    for (const row of rows) {
      this.map(row.LogAttributes, all);
      if (this.opts.logBodies && row.Body !== '' && this.opts.patterns.length > 0)
        row.Body = this.redact(row.Body);
    }
    return rows;
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = { dropped_attributes: this.dropped };
    for (const [k, v] of Object.entries(this.redacted)) out[`redacted_${k}`] = v;
    return out;
  }
}
