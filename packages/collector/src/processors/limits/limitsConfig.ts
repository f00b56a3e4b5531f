/** Configuration of a `promptline_limits` processor (its options: {@link LimitsOptions}). */
import type { ConfigReader, RawSection } from '../../config/ConfigReader.js';
import type { LimitsOptions } from './LimitsProcessor.js';

/** Reads one `promptline_limits` processor at `path`; its defaults are written here. */
export function readLimitsConfig(r: ConfigReader, o: RawSection, path: string): LimitsOptions {
  return {
    maxValueLength: r.num(o, 'max_attribute_value_length', path, 65_536, 64),
    maxAttributes: r.num(o, 'max_attributes', path, 256, 8),
    maxEvents: r.num(o, 'max_events', path, 128, 0),
    maxBodyLength: r.num(o, 'max_log_body_length', path, 262_144, 64),
  };
}
