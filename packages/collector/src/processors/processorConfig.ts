/**
 * The `processors` section: each configured processor (`type` or `type/name`) read by its own
 * component's config reader.
 */
import type { ConfigReader, RawSection } from '../config/ConfigReader.js';
import { noAuthConfig, readAuthConfig } from './auth/authConfig.js';
import type { AuthConfig } from './auth/authConfig.js';
import { readFilterConfig } from './filter/filterConfig.js';
import type { FilterOptions } from './filter/FilterProcessor.js';
import { readLimitsConfig } from './limits/limitsConfig.js';
import type { LimitsOptions } from './limits/LimitsProcessor.js';
import { readRedactionConfig } from './redaction/redactionConfig.js';
import type { RedactionConfig } from './redaction/redactionConfig.js';

/** One configured processor: its type, its configured name and its component's settings. */
export type ProcessorConfig =
  | { type: 'promptline_auth'; name: string }
  | ({ type: 'promptline_redaction'; name: string } & RedactionConfig)
  | ({ type: 'promptline_filter'; name: string } & FilterOptions)
  | ({ type: 'promptline_limits'; name: string } & LimitsOptions);

const PROCESSOR_TYPES = [
  'promptline_auth',
  'promptline_redaction',
  'promptline_filter',
  'promptline_limits',
] as const;

/**
 * Reads `processors`: the processors by configured name, and the key store's settings (from the
 * `promptline_auth` processor; none → anonymous ingest).
 */
export function readProcessorsConfig(
  r: ConfigReader,
  raw: RawSection,
  baseDir: string,
): { processors: Map<string, ProcessorConfig>; auth: AuthConfig } {
  const processorsRaw = r.obj(raw, 'processors', 'processors') ?? {};
  const processors = new Map<string, ProcessorConfig>();
  let auth = noAuthConfig();
  for (const [name, value] of Object.entries(processorsRaw)) {
    const path = `processors.${name}`;
    const type = name.split('/')[0]!;
    const o = value === null || value === undefined ? {} : r.obj(processorsRaw, name, path);
    if (o === undefined) continue;
    switch (type) {
      case 'promptline_auth':
        auth = readAuthConfig(r, o, path, baseDir);
        processors.set(name, { type, name });
        break;
      case 'promptline_redaction':
        processors.set(name, { type, name, ...readRedactionConfig(r, o, path) });
        break;
      case 'promptline_filter':
        processors.set(name, { type, name, ...readFilterConfig(r, o, path) });
        break;
      case 'promptline_limits':
        processors.set(name, { type, name, ...readLimitsConfig(r, o, path) });
        break;
      default:
        r.problems.push(
          `${path}: unknown processor type ${JSON.stringify(type)} (known: ${PROCESSOR_TYPES.join(', ')})`,
        );
        continue;
    }
    // The auth reader reports its own unknown keys.
    if (type !== 'promptline_auth') r.unknown(o, path);
  }
  return { processors, auth };
}
