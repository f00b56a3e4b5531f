/** Configuration of a `promptline_redaction` processor: which patterns, where, and what is dropped. */
import type { ConfigReader, RawSection } from '../../config/ConfigReader.js';
import { BUILTIN_PATTERN_NAMES, DEFAULT_CONTENT_KEYS } from './RedactionProcessor.js';
import type { BuiltinPatternName } from './RedactionProcessor.js';

export interface RedactionConfig {
  patterns: BuiltinPatternName[];
  custom: Array<{ name: string; regex: string; replacement: string }>;
  scope: 'content' | 'all';
  contentKeys: string[];
  dropKeys: string[];
  logBodies: boolean;
}

/** Reads one `promptline_redaction` processor at `path`; its defaults are written here. */
export function readRedactionConfig(r: ConfigReader, o: RawSection, path: string): RedactionConfig {
  const patterns = r.strList(o, 'patterns', path, BUILTIN_PATTERN_NAMES);
  for (const p of patterns) {
    if (!(BUILTIN_PATTERN_NAMES as readonly string[]).includes(p)) {
      r.problems.push(
        `${path}.patterns: unknown pattern ${JSON.stringify(p)} (built-ins: ${BUILTIN_PATTERN_NAMES.join(', ')}; add your own under custom)`,
      );
    }
  }
  r.note(path, 'custom');
  const customRaw = o.custom ?? [];
  const custom: RedactionConfig['custom'] = [];
  if (!Array.isArray(customRaw))
    r.problems.push(`${path}.custom: must be a list of { name, regex, replacement? }`);
  else
    customRaw.forEach((c: unknown, i: number) => {
      const cp = `${path}.custom[${i}]`;
      if (c === null || typeof c !== 'object' || Array.isArray(c)) {
        r.problems.push(`${cp}: must be a mapping { name, regex, replacement? }`);
        return;
      }
      const co = c as RawSection;
      const cname = r.str(co, 'name', cp, '');
      const regex = r.str(co, 'regex', cp, '');
      if (cname === '') r.problems.push(`${cp}.name: required`);
      if (regex === '') r.problems.push(`${cp}.regex: required (a JavaScript regular expression)`);
      else
        try {
          new RegExp(regex, 'g');
        } catch (e) {
          r.problems.push(
            `${cp}.regex: not a valid regular expression (${e instanceof Error ? e.message : String(e)})`,
          );
        }
      custom.push({ name: cname, regex, replacement: r.str(co, 'replacement', cp, `[REDACTED:${cname}]`) });
      r.unknown(co, cp);
    });
  return {
    patterns: patterns.filter((p): p is BuiltinPatternName =>
      (BUILTIN_PATTERN_NAMES as readonly string[]).includes(p),
    ),
    custom,
    scope: r.oneOf(o, 'scope', path, ['content', 'all'] as const, 'content'),
    contentKeys: r.strList(o, 'content_keys', path, DEFAULT_CONTENT_KEYS),
    dropKeys: r.strList(o, 'drop_keys', path, []),
    logBodies: r.bool(o, 'log_bodies', path, true),
  };
}
