import type { ProcessorConfig } from './processorConfig.js';
import { FilterProcessor } from './filter/FilterProcessor.js';
import { LimitsProcessor } from './limits/LimitsProcessor.js';
import type { Processor } from './Processor.js';
import { ProjectProcessor } from './auth/ProjectProcessor.js';
import { builtinPattern, RedactionProcessor } from './redaction/RedactionProcessor.js';

/**
 * Instantiates configured processors, sharing one instance per configured name across pipelines
 * (so their counters are per name).
 */
export function buildPipeline(
  configs: readonly ProcessorConfig[],
  cache: Map<string, Processor>,
): Processor[] {
  return configs.map((c) => {
    const existing = cache.get(c.name);
    if (existing !== undefined) return existing;
    let p: Processor;
    switch (c.type) {
      case 'promptline_auth':
        p = new ProjectProcessor(c.name);
        break;
      case 'promptline_redaction':
        p = new RedactionProcessor(c.name, {
          patterns: [
            ...c.patterns.map(builtinPattern),
            ...c.custom.map((x) => ({
              name: x.name,
              regex: new RegExp(x.regex, 'g'),
              replacement: x.replacement,
            })),
          ],
          scope: c.scope,
          contentKeys: c.contentKeys,
          dropKeys: c.dropKeys,
          logBodies: c.logBodies,
        });
        break;
      case 'promptline_filter':
        p = new FilterProcessor(c.name, c);
        break;
      case 'promptline_limits':
        p = new LimitsProcessor(c.name, c);
        break;
    }
    cache.set(c.name, p);
    return p;
  });
}

/** Each signal's processors, instances shared by name, and every instance (for their counters). */
export interface Pipelines {
  traces: Processor[];
  logs: Processor[];
  all(): Processor[];
}

/**
 * Builds both signals' pipelines. The project always comes from the key: a pipeline without the
 * `promptline_auth` stage gets it first.
 */
export function buildPipelines(configs: { traces: ProcessorConfig[]; logs: ProcessorConfig[] }): Pipelines {
  const cache = new Map<string, Processor>();
  const pipeline = (list: readonly ProcessorConfig[]): Processor[] => {
    const built = buildPipeline(list, cache);
    if (!built.some((p) => p instanceof ProjectProcessor))
      built.unshift(new ProjectProcessor('promptline_auth'));
    return built;
  };
  return { traces: pipeline(configs.traces), logs: pipeline(configs.logs), all: () => [...cache.values()] };
}
