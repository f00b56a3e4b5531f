/** A mapping of the raw configuration document, before validation. */
export type RawSection = Record<string, unknown>;

/**
 * Reads the raw (parsed, substituted) configuration document for the components: typed values with
 * their defaults and bounds, every problem recorded with the key it concerns and how to fix it, and
 * the keys read per section, so that unknown keys (typos) can be reported. One reader serves the
 * whole document, so all problems are reported at once.
 */
export class ConfigReader {
  readonly problems: string[] = [];
  private readonly known = new Map<string, Set<string>>();

  obj(parent: RawSection | undefined, key: string, path: string): RawSection | undefined {
    const v = parent?.[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.problems.push(`${path}: must be a mapping (got ${describe(v)})`);
      return undefined;
    }
    return v as RawSection;
  }

  str(o: RawSection | undefined, key: string, path: string, dflt: string): string {
    this.note(path, key);
    const v = o?.[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') {
      this.problems.push(`${path}.${key}: must be a string (got ${describe(v)})`);
      return dflt;
    }
    return v;
  }

  num(
    o: RawSection | undefined,
    key: string,
    path: string,
    dflt: number,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    this.note(path, key);
    const v = o?.[key];
    if (v === undefined || v === null) return dflt;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${path}.${key}: must be a number between ${min} and ${max} (got ${describe(v)})`);
      return dflt;
    }
    return n;
  }

  /** Like {@link num}, but the value must also be an integer. */
  int(o: RawSection | undefined, key: string, path: string, dflt: number, min: number, max?: number): number {
    const before = this.problems.length;
    const n = this.num(o, key, path, dflt, min, max);
    if (this.problems.length === before && !Number.isInteger(n)) {
      this.problems.push(`${path}.${key}: must be a whole number (got ${describe(o?.[key])})`);
      return dflt;
    }
    return n;
  }

  bool(o: RawSection | undefined, key: string, path: string, dflt: boolean): boolean {
    this.note(path, key);
    const v = o?.[key];
    if (v === undefined || v === null) return dflt;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    this.problems.push(`${path}.${key}: must be true or false (got ${describe(v)})`);
    return dflt;
  }

  oneOf<T extends string>(
    o: RawSection | undefined,
    key: string,
    path: string,
    allowed: readonly T[],
    dflt: T,
  ): T {
    const v = this.str(o, key, path, dflt);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${path}.${key}: must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
    return dflt;
  }

  strList(o: RawSection | undefined, key: string, path: string, dflt: readonly string[]): string[] {
    this.note(path, key);
    const v = o?.[key];
    if (v === undefined || v === null) return [...dflt];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      this.problems.push(`${path}.${key}: must be a list of strings (got ${describe(v)})`);
      return [...dflt];
    }
    return v as string[];
  }

  /** Records a key as known for `path`, so unknown keys can be reported. */
  note(path: string, key: string): void {
    let set = this.known.get(path);
    if (set === undefined) this.known.set(path, (set = new Set()));
    set.add(key);
  }

  /** Reports keys of `o` that nothing read (typos). */
  unknown(o: RawSection | undefined, path: string, extra: readonly string[] = []): void {
    if (o === undefined) return;
    const known = this.known.get(path) ?? new Set<string>();
    for (const k of Object.keys(o)) {
      if (!known.has(k) && !extra.includes(k)) {
        this.problems.push(
          `${path}.${k}: unknown key (known: ${[...known, ...extra].sort().join(', ') || 'none'})`,
        );
      }
    }
  }
}

/** How a value is named in a problem: `a list`, `a mapping`, `null`, or the value as JSON. */
export function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}
