/** Configuration of a `promptline_filter` processor (its options: {@link FilterOptions}). */
import type { ConfigReader, RawSection } from '../../config/ConfigReader.js';
import type { FilterOptions } from './FilterProcessor.js';

/** Reads one `promptline_filter` processor at `path`; its defaults are written here. */
export function readFilterConfig(r: ConfigReader, o: RawSection, path: string): FilterOptions {
  return {
    sampleRatio: r.num(o, 'sample_ratio', path, 1, 0, 1),
    dropSpanNames: r.strList(o, 'drop_span_names', path, []),
    keepErrors: r.bool(o, 'keep_errors', path, true),
  };
}
